//! `code_implies`: one coded field determines another, through a mapping code list.
//!
//! ## Parameters
//! - `layer`, `field`: the determining field (e.g. DLBM).
//! - `code_list`: a list in `rules/codes/` whose value for each code is the value `implies` must
//!   hold (e.g. `DLBM_ZYLX`: `"0301": SL`).
//! - `implies`: the determined field (e.g. ZYLX).
//!
//! Rows where either field is empty, whose code the list does not map, or whose `implies` value
//! is not in that field's own code list (when one is loaded under its name), are left to
//! `not_null` and `in_domain`: one wrong code is one finding.
//!
//! ## Example
//! ```yaml
//! - id: ZR-D008
//!   title: 地类编码与资源类型不一致
//!   class: B
//!   element: 属性精度
//!   code_implies: { layer: ZRZK, field: DLBM, code_list: DLBM_ZYLX, implies: ZYLX }
//! ```
//!
//! ## Finding
//! `DLBM 0301（乔木林地）应属 ZYLX SL，实为 CY`, measured `"CY"`, expected `"SL"`.

use serde::Deserialize;
use serde_json::Value;

use super::in_domain::unknown_code_list;
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeImplies {
    pub layer: Name,
    pub field: Name,
    pub code_list: Name,
    pub implies: Name,
}

impl Check for CodeImplies {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} is what code list {} gives for {}",
            phrase::field(&self.layer, &self.implies),
            self.code_list.value,
            phrase::field(&self.layer, &self.field)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.field),
            Read::field(&self.layer, &self.implies),
        ]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        unknown_code_list(&self.code_list, cx).into_iter().collect()
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let list = cx
            .codes
            .get(&self.code_list.value)
            .ok_or_else(|| NotRun(format!("没有代码表 {}", self.code_list.value)))?;
        // The code lists loaded under the fields' own names: names of the codes, and the values
        // `in_domain` already answers for.
        let names = cx.codes.get(&self.field.value);
        let implied_codes = cx.codes.get(&self.implies.value);
        let (field, implies) = (self.field.value.as_str(), self.implies.value.as_str());
        let mut findings = Vec::new();
        // Rows this rule cannot judge, each reported by another rule: empty values (non-empty
        // rules) and codes outside their code lists (code-list rules).
        let (mut empty_code, mut empty_implied, mut uncoded) = (0, 0, 0);
        let (codes, actuals) = (frame.texts(field), frame.texts(implies));
        for row in cx.rows(frame)? {
            let Some(code) = codes[row].as_deref() else {
                empty_code += 1;
                continue;
            };
            let Some(actual) = actuals[row].as_deref() else {
                empty_implied += 1;
                continue;
            };
            let Some(expected) = list.codes.get(code) else {
                uncoded += 1;
                continue;
            };
            if implied_codes.is_some_and(|l| !l.codes.contains_key(actual)) {
                uncoded += 1;
                continue;
            }
            if expected == actual {
                continue;
            }
            let name = names
                .and_then(|l| l.codes.get(code))
                .map(|n| format!("（{n}）"))
                .unwrap_or_default();
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!("{field} {code}{name}应属 {implies} {expected}，实为 {actual}"),
                )
                .with_measured(Value::String(actual.to_owned()))
                .with_expected(Value::String(expected.clone()));
            findings.push(f);
        }
        cx.empty_rows(frame, field, empty_code);
        cx.empty_rows(frame, implies, empty_implied);
        cx.skip_rows(frame, uncoded, "代码不在代码表内（由代码表规则检查）");
        Ok(findings)
    }
}
