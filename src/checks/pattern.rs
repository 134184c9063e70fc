//! `pattern`: text values match a regular expression (Rust `regex` syntax, anchored by you).
//!
//! ## Parameters
//! - `layer`, `field`: what is checked. Null values are left to `not_null`.
//! - `regex`: the pattern, e.g. `^\d{6}(1[1-3]|2[1-3]|[3-7]0)\d{5}$` for unit codes.
//!
//! ## Example
//! ```yaml
//! - id: ZR-U001
//!   title: 登记单元号格式错误
//!   class: B
//!   element: 逻辑一致性
//!   pattern: { layer: ZRZYDJDY, field: ZRZYDJDYH, regex: '^\d{6}(1[1-3]|2[1-3]|[3-7]0)\d{5}$' }
//! ```
//!
//! ## Finding
//! `ZRZYDJDYH 的值 622923300001 不符合格式 ^\d{6}...$`, measured `"622923300001"`.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub layer: Name,
    pub field: Name,
    pub regex: Name,
    #[serde(skip)]
    compiled: OnceLock<Result<Regex, String>>,
}

impl Pattern {
    fn compiled(&self) -> &Result<Regex, String> {
        self.compiled
            .get_or_init(|| Regex::new(&self.regex.value).map_err(|e| e.to_string()))
    }
}

impl Check for Pattern {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} matches {}",
            phrase::field(&self.layer, &self.field),
            phrase::code(&self.regex.value)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::field(&self.layer, &self.field)]
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        match self.compiled() {
            Ok(_) => vec![],
            Err(e) => vec![Problem::new(
                self.regex.referenced,
                format!("invalid regular expression: {e}"),
            )],
        }
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let re = self
            .compiled()
            .as_ref()
            .map_err(|e| NotRun(format!("正则表达式无法编译：{e}")))?;
        let frame = cx.frame(&self.layer.value)?;
        let field = self.field.value.as_str();
        let mut findings = Vec::new();
        let mut empty = 0;
        let mut values = frame.texts(field);
        for row in cx.rows(frame)? {
            let Some(value) = values[row].take().map(Cow::into_owned) else {
                empty += 1;
                continue;
            };
            if re.is_match(&value) {
                continue;
            }
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!("{field} 的值 {value} 不符合格式 {}", self.regex.value),
                )
                .with_measured(Value::String(value))
                .with_expected(Value::String(self.regex.value.clone()));
            findings.push(f);
        }
        cx.empty_rows(frame, field, empty);
        Ok(findings)
    }
}
