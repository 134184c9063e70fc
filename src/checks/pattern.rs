//! `pattern`: text values match a regular expression (Rust `regex` syntax, anchored by you).
//!
//! ## Parameters
//! - `layer`, `field`: what is checked. Null values are left to `not_null`.
//! - `regex`: the pattern, e.g. `^\d{6}(1[1-3]|2[1-3]|[3-7]0)\d{5}$` for unit codes.
//! - `means`: what the pattern asks for, in words, for the finding: a regular expression is not
//!   a message for the people who fix the data.
//!
//! ## Example
//! ```yaml
//! - id: ZR-U001
//!   title: 登记单元号格式错误
//!   class: B
//!   element: 逻辑一致性
//!   pattern:
//!     layer: ZRZYDJDY
//!     field: ZRZYDJDYH
//!     regex: '^\d{6}(1[1-3]|2[1-3]|[3-7]0)\d{5}$'
//!     means: 13 位：6 位县级行政区代码 + 2 位登记单元类型（11–13、21–23、30–70）+ 5 位顺序号
//! ```
//!
//! ## Finding
//! `登记单元号（ZRZYDJDYH）为 622923300001，应为 13 位：…`, measured `"622923300001"`, expected
//! the regular expression.

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
    pub means: Name,
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
        let values = frame.texts(field);
        for row in cx.rows(frame)? {
            let Some(value) = values[row].as_deref() else {
                empty += 1;
                continue;
            };
            if re.is_match(value) {
                continue;
            }
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!(
                        "{}为 {value}，应为 {}",
                        phrase::spaced(&cx.schema.field_label(&frame.name, field)),
                        self.means.value
                    ),
                )
                .with_measured(Value::String(value.to_owned()))
                .with_expected(Value::String(self.regex.value.clone()));
            findings.push(f);
        }
        cx.empty_rows(frame, field, empty);
        Ok(findings)
    }
}
