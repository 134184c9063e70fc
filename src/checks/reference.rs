//! `reference`: values of a field exist in a field of another layer or table; or, the other way
//! round, every feature of the target has at least one feature referring to it.
//!
//! ## Parameters
//! - `layer`, `field`: the referring side (the rule's `where` filters it).
//! - `target`, `target_field`: the referred side.
//! - `check`: `exists` (default) reports referring rows whose value is not in the target;
//!   `children` reports target features that no (filtered) referring row names.
//! - `separator`: the referring field holds a list (e.g. licence numbers `C1,C2`); each item
//!   must be found.
//! - `paired: { field, target_field }`: a value counts only in a target row that also carries
//!   the referring row's `field` (e.g. a KYQ row naming both the deposit and the licence).
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
//! With `paired`: `XKZH 的值 C6200002011 在 KYQ 中没有 KCBH = KC001 的行`.

use std::borrow::Cow;
use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;
use crate::package::Frame;

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
    pub separator: Option<String>,
    pub paired: Option<Pair>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub field: Name,
    pub target_field: Name,
}

/// A referenced value and, with `paired`, the value of the pairing field beside it.
/// A row's key: the pairing field's value (when paired) and the value, borrowed from the frame.
type Key<'a> = (Option<&'a str>, &'a str);

impl Check for Reference {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let from = phrase::field(&self.layer, &self.field);
        let to = phrase::field(&self.target, &self.target_field);
        match self.check {
            Direction::Exists => format!("every {from} exists in {to}"),
            Direction::Children => format!("every {to} is named by some {from}"),
        }
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![
            Read::field(&self.layer, &self.field),
            Read::field(&self.target, &self.target_field),
        ];
        if let Some(p) = &self.paired {
            reads.push(Read::field(&self.layer, &p.field));
            reads.push(Read::field(&self.target, &p.target_field));
        }
        reads
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let from = cx.frame(&self.layer.value)?;
        let to = cx.frame(&self.target.value)?;
        let field = self.field.value.as_str();
        let target_field = self.target_field.value.as_str();
        let from_pair = self.paired.as_ref().map(|p| p.field.value.as_str());
        let to_pair = self.paired.as_ref().map(|p| p.target_field.value.as_str());
        let mut findings = Vec::new();
        match self.check {
            Direction::Exists => {
                let to_columns = Columns::of(to, target_field, to_pair);
                let targets: HashSet<Key> = (0..to.len())
                    .flat_map(|r| to_columns.keys(r, None))
                    .collect();
                let from_columns = Columns::of(from, field, from_pair);
                let mut empty = 0;
                for row in cx.rows(from)? {
                    let sep = self.separator.as_deref();
                    let row_keys = from_columns.keys(row, sep);
                    empty += usize::from(row_keys.is_empty());
                    for key in row_keys {
                        if targets.contains(&key) {
                            continue;
                        }
                        let (pair, value) = key;
                        let label = phrase::spaced(&cx.schema.field_label(&from.name, field));
                        let target = phrase::word(&cx.schema.frame_label(&to.name));
                        let in_target =
                            phrase::word(&cx.schema.field_label(&to.name, target_field));
                        let message = match (pair, &self.paired) {
                            (Some(pv), Some(p)) => format!(
                                "{label}为 {value}，但{target}中没有{}为 {pv} 且{in_target}为 {value} 的记录",
                                phrase::word(&cx.schema.field_label(&to.name, &p.target_field.value))
                            ),
                            _ => format!("{label}为 {value}，但{target}的{in_target}中没有这个值"),
                        };
                        let f = cx
                            .finding(from, &[row], message)
                            .with_measured(Value::String(value.to_owned()))
                            .with_expected(Value::String(format!("{}.{target_field}", to.name)));
                        findings.push(f);
                    }
                }
                cx.empty_rows(from, field, empty);
            }
            Direction::Children => {
                let sep = self.separator.as_deref();
                let from_columns = Columns::of(from, field, from_pair);
                let referenced: HashSet<Key> = cx
                    .rows(from)?
                    .into_iter()
                    .flat_map(|r| from_columns.keys(r, sep))
                    .collect();
                let to_columns = Columns::of(to, target_field, to_pair);
                // What is checked here are the target's rows, each for a referencing row.
                let mut compared = 0;
                for row in 0..to.len() {
                    let row_keys = to_columns.keys(row, None);
                    compared += usize::from(!row_keys.is_empty());
                    for key in row_keys {
                        if referenced.contains(&key) {
                            continue;
                        }
                        let f = cx
                            .finding(
                                to,
                                &[row],
                                format!(
                                    "{}{} 没有被任何{}引用",
                                    phrase::spaced(&cx.schema.frame_label(&to.name)),
                                    key.1,
                                    phrase::word(&cx.schema.frame_label(&from.name))
                                ),
                            )
                            .with_measured(0.into())
                            .with_expected(Value::String(format!("≥ 1 {}", from.name)));
                        findings.push(f);
                    }
                }
                cx.checked(compared, Context::unit_of(to));
                cx.skipped(
                    to.len() - compared,
                    Context::unit_of(to),
                    format!("{} 的 {target_field} 为空（由非空规则检查）", to.name),
                );
            }
        }
        Ok(findings)
    }
}

/// The field and the pairing field of a frame, as text: read once, column-wise, and borrowed
/// by the keys (a million parcels' references cost a string and a set node each, read row by
/// row).
struct Columns<'a> {
    values: Vec<Option<Cow<'a, str>>>,
    paired: Option<Vec<Option<Cow<'a, str>>>>,
}

impl<'a> Columns<'a> {
    fn of(frame: &'a Frame, field: &str, pair: Option<&str>) -> Columns<'a> {
        Columns {
            values: frame.texts(field),
            paired: pair.map(|p| frame.texts(p)),
        }
    }

    /// The keys `row` holds: its value (or each item of it, with a separator) beside the
    /// pairing field's value. None when the value, or the pairing value, is empty.
    fn keys(&self, row: usize, separator: Option<&str>) -> Vec<Key<'_>> {
        let Some(value) = self.values[row].as_deref() else {
            return vec![];
        };
        let paired = match &self.paired {
            Some(p) => match p[row].as_deref() {
                Some(v) => Some(v),
                None => return vec![],
            },
            None => None,
        };
        match separator {
            Some(sep) => value
                .split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|v| (paired, v))
                .collect(),
            None => vec![(paired, value)],
        }
    }
}
