//! `in_domain`: values belong to a code list.
//!
//! ## Parameters
//! - `layer`, `field`: what is checked. Null values are left to `not_null`.
//! - `code_list`: the name of a list in `rules/codes/`, or
//! - `codes`: the allowed values inline.
//! - `prefix`: only the first `prefix` characters of a value must be a code (a township's
//!   9-digit XZQDM opens with its county's 6-digit code); the value's full form is a `pattern`
//!   rule's business.
//!
//! Numbers are compared by their text (`12`, not `12.0`), so a code stored as an integer still
//! matches its list.
//!
//! ## Example
//! ```yaml
//! - id: ZR-D001
//!   title: 登记单元类型代码不在代码表内
//!   class: C
//!   element: 属性精度
//!   in_domain: { layer: ZRZYDJDY, field: DJDYLX, code_list: DJDYLX }
//! ```
//!
//! ## Finding
//! `登记单元类型（DJDYLX）为 99，不在代码表“登记单元类型”（DJDYLX）中`, measured `"99"`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{suggest, Name, Problem};
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InDomain {
    pub layer: Name,
    pub field: Name,
    pub code_list: Option<Name>,
    pub codes: Option<Vec<String>>,
    #[serde(default)]
    pub prefix: Option<usize>,
}

/// The problem with naming `list`, if no code list of `rules/codes/` has that name.
pub(crate) fn unknown_code_list(list: &Name, cx: &LintContext) -> Option<Problem> {
    if cx.codes.contains_key(&list.value) {
        return None;
    }
    let p = Problem::new(list.referenced, format!("no code list `{}`", list.value))
        .label("unknown code list");
    Some(
        match suggest(&list.value, cx.codes.keys().map(String::as_str)) {
            Some(s) => p.help(s),
            None => p.help(format!(
                "code lists live in rules/codes/; known: {}",
                cx.codes.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        },
    )
}

impl Check for InDomain {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let field = match self.prefix {
            Some(n) => format!(
                "the first {n} characters of {}",
                phrase::field(&self.layer, &self.field)
            ),
            None => phrase::field(&self.layer, &self.field),
        };
        match &self.code_list {
            Some(list) => format!("{field} is a code of code list {}", list.value),
            None => {
                let codes: Vec<String> = self
                    .codes
                    .iter()
                    .flatten()
                    .map(|c| phrase::code(c))
                    .collect();
                format!("{field} is one of {}", phrase::list(&codes, "or"))
            }
        }
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::field(&self.layer, &self.field)]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        match (&self.code_list, &self.codes) {
            (Some(list), None) => unknown_code_list(list, cx).into_iter().collect(),
            (None, Some(_)) => vec![],
            _ => vec![Problem::new(
                self.field.referenced,
                "give exactly one of `code_list` and `codes`",
            )],
        }
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let (allowed, list_name): (BTreeSet<&str>, String) = match (&self.code_list, &self.codes) {
            (Some(name), _) => {
                let list = cx
                    .codes
                    .get(&name.value)
                    .ok_or_else(|| NotRun(format!("没有代码表 {}", name.value)))?;
                (
                    list.codes.keys().map(String::as_str).collect(),
                    format!("代码表“{}”（{}）", list.title, list.code_list),
                )
            }
            (None, Some(codes)) => (codes.iter().map(String::as_str).collect(), "允许值".into()),
            (None, None) => return Err(NotRun("规则未指定代码表".into())),
        };
        let field = self.field.value.as_str();
        let label = phrase::spaced(&cx.schema.field_label(&frame.name, field));
        let mut findings = Vec::new();
        let mut empty = 0;
        let values = frame.texts(field);
        for row in cx.rows(frame)? {
            // Borrowed: most values are in the list, and a copy of each cost more than the test.
            let Some(value) = values[row].as_deref() else {
                empty += 1;
                continue;
            };
            let compared = match self.prefix.and_then(|n| value.char_indices().nth(n)) {
                Some((end, _)) => &value[..end],
                None => value,
            };
            if allowed.contains(compared) {
                continue;
            }
            let what = match self.prefix {
                Some(n) => format!("{label}为 {value}，前 {n} 位 {compared} 不在{list_name}中"),
                None => format!("{label}为 {value}，不在{list_name}中"),
            };
            let f = cx
                .finding(frame, &[row], what)
                .with_measured(Value::String(value.to_owned()))
                .with_expected(match &self.code_list {
                    Some(name) => Value::String(format!("code_list:{}", name.value)),
                    None => {
                        Value::Array(allowed.iter().map(|c| Value::String((*c).into())).collect())
                    }
                });
            findings.push(f);
        }
        cx.empty_rows(frame, field, empty);
        Ok(findings)
    }
}
