//! `reference`: values of a field exist in a field of another layer or table; or, the other way
//! round, every feature of the target has at least one feature referring to it.
//!
//! ## Parameters
//! - `layer`, `field`: the referring side (the rule's `where` filters it).
//! - `target`, `target_field`: the referred side.
//! - `check`: `exists` (default) reports referring rows whose value is not in the target;
//!   `children` reports target features that no (filtered) referring row names.
//!
//! ## Example
//! ```yaml
//! - id: ZR-F001
//!   title: 图斑所属登记单元不存在
//!   class: B
//!   element: 逻辑一致性
//!   reference: { layer: ZRZK, field: ZRZYDJDYH, target: ZRZYDJDY, target_field: ZRZYDJDYH }
//! ```
//!
//! ## Finding
//! `exists`: `ZRZYDJDYH 的值 6229234000099 在 ZRZYDJDY.ZRZYDJDYH 中不存在`, on the referring row.
//! `children`: `ZRZYDJDY 6229234000002 没有 ZRZK 要素引用`, on the target feature.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use super::{text_at, Check, Context, NotRun, Read};
use crate::report::Finding;
use crate::rules::Name;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Exists,
    Children,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub layer: Name,
    pub field: Name,
    pub target: Name,
    pub target_field: Name,
    #[serde(default)]
    pub check: Direction,
}

impl Check for Reference {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.field),
            Read::field(&self.target, &self.target_field),
        ]
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let from = cx.frame(&self.layer.value)?;
        let to = cx.frame(&self.target.value)?;
        let field = self.field.value.as_str();
        let target_field = self.target_field.value.as_str();
        let values_of = |frame: &crate::package::Frame, field: &str, rows: &mut dyn Iterator<Item = usize>| {
            rows.filter_map(|r| text_at(&frame.df, field, r))
                .collect::<BTreeSet<String>>()
        };
        let mut findings = Vec::new();
        match self.check {
            Direction::Exists => {
                let targets = values_of(to, target_field, &mut (0..to.len()));
                for row in cx.rows(from)? {
                    let Some(value) = text_at(&from.df, field, row) else {
                        continue;
                    };
                    if targets.contains(&value) {
                        continue;
                    }
                    let mut f = cx.finding(
                        from,
                        &[row],
                        format!("{field} 的值 {value} 在 {}.{target_field} 中不存在", to.name),
                    );
                    f.measured = Some(Value::String(value));
                    f.expected = Some(Value::String(format!("{}.{target_field}", to.name)));
                    findings.push(f);
                }
            }
            Direction::Children => {
                let referenced = values_of(from, field, &mut cx.rows(from)?.into_iter());
                for row in 0..to.len() {
                    let Some(value) = text_at(&to.df, target_field, row) else {
                        continue;
                    };
                    if referenced.contains(&value) {
                        continue;
                    }
                    let mut f = cx.finding(
                        to,
                        &[row],
                        format!("{} {value} 没有 {} 要素引用", to.name, from.name),
                    );
                    f.measured = Some(0.into());
                    f.expected = Some(Value::String(format!("≥ 1 {}", from.name)));
                    findings.push(f);
                }
            }
        }
        Ok(findings)
    }
}
