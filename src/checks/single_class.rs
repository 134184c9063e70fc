//! `single_class`: the children of a parent all fall in one class of a coded field, and so do
//! the parent's own per-class area fields; e.g. a forest unit holds state or collective land,
//! not both.
//!
//! ## Parameters
//! - `layer`, `key`: the parents (the rule's `where` selects which, e.g. by unit type).
//! - `children`, `child_key`: the child layer and its field naming the parent.
//! - `field`: the children's coded field (e.g. QSXZ).
//! - `area`: optional, the children's area field, summed per class for the finding.
//! - `classes`: a list of `{ name, codes, area }`: the class's name, the codes of `field` that
//!   belong to it and, optionally, the parent's field declaring the class's area (e.g. GYMJ).
//!
//! A parent is in a class when one of its children has a code of it, or when it declares an area
//! above 0 in the class's `area` field; in two classes or more it is a finding. What is checked
//! is the selected parents; parents without a key are skipped and counted, and so are children
//! whose code is empty (non-empty rules report them) or in no class (code-list rules).
//!
//! ## Example
//! ```yaml
//! - id: ZR-O010
//!   title: 森林、草原、荒地登记单元混有国有与集体土地
//!   class: B
//!   element: 逻辑一致性
//!   where: DJDYLX IN ('40', '50', '60')
//!   single_class:
//!     layer: ZRZYDJDY
//!     key: ZRZYDJDYH
//!     children: ZRZK
//!     child_key: ZRZYDJDYH
//!     field: QSXZ
//!     area: MJ
//!     classes:
//!       - { name: 国有, codes: ['10', '20'], area: GYMJ }
//!       - { name: 集体, codes: ['30', '31', '32', '33', '34', '40'], area: JTMJ }
//! ```
//!
//! ## Finding
//! On the parent, with the children of every class as related features:
//! `ZRZYDJDY 6229014000001 混有 国有、集体：国有 ZRZK 2 个（BSM 1、3），MJ 合计 90000.00 m²，GYMJ
//! 90000.00 m²；集体 ZRZK 1 个（BSM 2），MJ 合计 30000.00 m²，JTMJ 30000.00 m²`; measured per
//! class: the children's keys, their summed area and the declared area.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::sums::floats;
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Related};
use crate::package::Frame;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SingleClass {
    pub layer: Name,
    pub key: Name,
    pub children: Name,
    pub child_key: Name,
    pub field: Name,
    pub area: Option<Name>,
    pub classes: Vec<Class>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub name: Name,
    pub codes: Vec<String>,
    pub area: Option<Name>,
}

/// A finding lists this many child keys per class in its message; all are in `related`.
const LISTED: usize = 10;

/// What one parent holds of one class.
#[derive(Default)]
struct Held {
    children: Vec<usize>,
    summed: f64,
    declared: Option<f64>,
}

impl Held {
    fn present(&self) -> bool {
        !self.children.is_empty() || self.declared.is_some_and(|a| a > 0.0)
    }
}

impl Check for SingleClass {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let classes: Vec<String> = self
            .classes
            .iter()
            .map(|c| match &c.area {
                Some(a) => format!("{} ({})", c.name.value, phrase::field(&self.layer, a)),
                None => c.name.value.clone(),
            })
            .collect();
        format!(
            "the {} features of each {} feature ({}) and its class areas fall in one class of {}: {}",
            self.children.value,
            self.layer.value,
            phrase::join(&self.children, &self.child_key, &self.layer, &self.key),
            phrase::field(&self.children, &self.field),
            phrase::list(&classes, "or")
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        let mut reads = vec![
            Read::field(&self.layer, &self.key),
            Read::field(&self.children, &self.child_key),
            Read::field(&self.children, &self.field),
        ];
        reads.extend(self.area.iter().map(|a| Read::field(&self.children, a)));
        reads.extend(
            self.classes
                .iter()
                .filter_map(|c| c.area.as_ref())
                .map(|a| Read::field(&self.layer, a)),
        );
        reads
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.classes.len() < 2 {
            problems.push(
                Problem::new(self.field.referenced, "`classes` needs two classes or more")
                    .label("nothing to tell apart"),
            );
        }
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for class in &self.classes {
            if class.codes.is_empty() {
                problems.push(Problem::new(class.name.referenced, "a class without codes"));
            }
            for code in &class.codes {
                if let Some(other) = seen.insert(code, &class.name.value) {
                    problems.push(
                        Problem::new(
                            class.name.referenced,
                            format!("code {code} is in class {other} already"),
                        )
                        .label("code in two classes"),
                    );
                }
            }
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let parent = cx.frame(&self.layer.value)?;
        let child = cx.frame(&self.children.value)?;
        let class_of: BTreeMap<&str, usize> = self
            .classes
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.codes.iter().map(move |code| (code.as_str(), i)))
            .collect();
        let child_areas = match &self.area {
            Some(a) => Some(floats(&child.df, &a.value)?),
            None => None,
        };
        let declared: Vec<Option<Vec<Option<f64>>>> = self
            .classes
            .iter()
            .map(|c| {
                c.area
                    .as_ref()
                    .map(|a| floats(&parent.df, &a.value))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;

        let selected = cx.rows(parent)?;
        let mut held: BTreeMap<String, Vec<Held>> = BTreeMap::new();
        let mut keyless = 0;
        for &row in &selected {
            let Some(key) = parent.text(&self.key.value, row) else {
                keyless += 1;
                continue;
            };
            let classes = (0..self.classes.len())
                .map(|i| Held {
                    declared: declared[i].as_ref().and_then(|d| d[row]),
                    ..Held::default()
                })
                .collect();
            held.insert(key, classes);
        }
        cx.skip_rows(parent, keyless, &format!("{} 为空", self.key.value));

        let (mut uncoded, mut empty) = (0, 0);
        let parent_keys = child.texts(&self.child_key.value);
        let codes = child.texts(&self.field.value);
        for row in 0..child.len() {
            let Some(parent_key) = &parent_keys[row] else {
                continue;
            };
            let Some(classes) = held.get_mut(parent_key.as_ref()) else {
                continue;
            };
            let Some(code) = codes[row].as_deref() else {
                empty += 1;
                continue;
            };
            let Some(&i) = class_of.get(code) else {
                uncoded += 1;
                continue;
            };
            classes[i].children.push(row);
            if let Some(areas) = &child_areas {
                classes[i].summed += areas[row].unwrap_or(0.0);
            }
        }
        let unit = Context::unit_of(child);
        cx.skipped(
            empty,
            unit,
            format!(
                "{} 的 {} 为空（由非空规则检查）",
                child.name, self.field.value
            ),
        );
        cx.skipped(
            uncoded,
            unit,
            format!(
                "{} 的 {} 不属于任何一类（由代码表规则检查）",
                child.name, self.field.value
            ),
        );

        let mut findings = Vec::new();
        for &row in &selected {
            let Some(key) = parent.text(&self.key.value, row) else {
                continue;
            };
            let classes = &held[&key];
            let present: Vec<usize> = (0..classes.len())
                .filter(|&i| classes[i].present())
                .collect();
            if present.len() < 2 {
                continue;
            }
            findings.push(self.finding(cx, parent, child, row, &key, classes, &present));
        }
        Ok(findings)
    }
}

impl SingleClass {
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        cx: &Context,
        parent: &Frame,
        child: &Frame,
        row: usize,
        key: &str,
        classes: &[Held],
        present: &[usize],
    ) -> Finding {
        let names: Vec<&str> = present
            .iter()
            .map(|&i| self.classes[i].name.value.as_str())
            .collect();
        let mut parts = Vec::new();
        let mut measured = Map::new();
        let mut related = Vec::new();
        for &i in present {
            let (class, held) = (&self.classes[i], &classes[i]);
            // By key, so that the finding does not depend on the order of the file.
            let mut ids: Vec<_> = held
                .children
                .iter()
                .map(|&r| cx.feature_id(child, r))
                .collect();
            ids.sort_by(|a, b| (&a.key, a.fid).cmp(&(&b.key, b.fid)));
            let keys: Vec<String> = ids
                .iter()
                .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
                .collect();
            let mut part = format!("{} {} {} 个", class.name.value, child.name, keys.len());
            if !keys.is_empty() {
                let mut listed = keys
                    .iter()
                    .take(LISTED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("、");
                if keys.len() > LISTED {
                    listed.push_str(&format!(" 等 {} 个", keys.len()));
                }
                part.push_str(&format!("（{listed}）"));
            }
            let mut entry = Map::new();
            entry.insert("features".into(), json!(keys));
            if let Some(a) = &self.area {
                part.push_str(&format!("，{} 合计 {:.2} m²", a.value, held.summed));
                entry.insert(a.value.clone(), json!(round2(held.summed)));
            }
            if let Some(a) = &class.area {
                match held.declared {
                    Some(d) => part.push_str(&format!("，{} {d:.2} m²", a.value)),
                    None => part.push_str(&format!("，{} 为空", a.value)),
                }
                entry.insert(a.value.clone(), json!(held.declared));
            }
            parts.push(part);
            measured.insert(class.name.value.clone(), Value::Object(entry));
            related.extend(ids);
        }
        let message = format!(
            "{} {key} 混有 {}：{}",
            parent.name,
            names.join("、"),
            parts.join("；")
        );
        let all: Vec<&str> = self.classes.iter().map(|c| c.name.value.as_str()).collect();
        let f = cx
            .finding(parent, &[row], message)
            .with_measured(Value::Object(measured))
            .with_expected(Value::String(format!("只含一类：{}", all.join(" 或 "))));
        if related.is_empty() {
            return f;
        }
        f.with_related(Related {
            layer: child.name.clone(),
            feature_ids: related,
        })
    }
}

/// A summed area to the cent, so that sums of two-decimal areas read as written.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
