//! `delivered_once: { layer, code, name }`: a unit whose code carries the prefecture's or
//! province's prefix (a unit that crosses counties) is delivered by one package only: the same
//! name under such a prefix in two packages is one unit delivered twice. Equal codes are left to
//! `unique_across`, and two packages of one county to `one_package_per_area`, so that one
//! defect is reported once.
//!
//! ```yaml
//! - id: ZR-X002
//!   delivered_once: { layer: ZRZYDJDY, code: ZRZYDJDYH, name: DJDYMC }
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::json;

use super::{above_county, CrossCheck, CrossContext, Input, Judgement};
use crate::checks::Read;
use crate::diag::Name;
use crate::finding::FeatureId;
use crate::package::Dataset;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveredOnce {
    pub layer: Name,
    pub code: Name,
    pub name: Name,
}

impl CrossCheck for DeliveredOnce {
    fn reads(&self) -> Vec<Read<'_>> {
        vec![
            Read::field(&self.layer, &self.code),
            Read::field(&self.layer, &self.name),
        ]
    }

    fn describe(&self) -> String {
        format!(
            "a `{}` feature whose `{}` has the prefecture's or province's prefix is delivered \
             by one package only: no other package has one of the same `{}` under a \
             prefecture or province prefix",
            self.layer.value, self.code.value, self.name.value
        )
    }

    /// (fid, code, name) of every unit whose code has a prefecture or province prefix.
    fn extract(&self, dataset: &Dataset) -> Input {
        let Some(frame) = dataset.frame(&self.layer.value) else {
            return Input::Units(vec![]);
        };
        let names = frame.texts(&self.name.value);
        let units = frame
            .texts(&self.code.value)
            .into_iter()
            .zip(names)
            .enumerate()
            .filter_map(|(row, (code, name))| {
                let code = code.filter(|c| above_county(c))?.into_owned();
                Some((row, code, name.map(Cow::into_owned)))
            })
            .collect();
        Input::Units(units)
    }

    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String> {
        let packages = cx.packages;
        let mut out = vec![Vec::new(); packages.len()];
        // name → package index → (fid, code)
        type Deliveries<'a> = BTreeMap<&'a str, BTreeMap<usize, Vec<(usize, &'a str)>>>;
        let mut seen: Deliveries = BTreeMap::new();
        for (i, p) in packages.iter().enumerate() {
            if let Input::Units(units) = p.input {
                for (fid, code, name) in units {
                    if let Some(name) = name.as_deref().filter(|n| !n.trim().is_empty()) {
                        seen.entry(name)
                            .or_default()
                            .entry(i)
                            .or_default()
                            .push((*fid, code));
                    }
                }
            }
        }
        for (name, by_package) in seen {
            let codes: BTreeSet<&str> = by_package
                .values()
                .flatten()
                .map(|(_, code)| *code)
                .collect();
            let areas: BTreeSet<&str> = by_package.keys().map(|&i| packages[i].area_code).collect();
            // One code in several packages is `unique_across`'s finding; one county's copies
            // are not two counties (`CrossContext::same_area`).
            if areas.len() < 2 || codes.len() < 2 {
                continue;
            }
            let delivered: Vec<String> = by_package
                .iter()
                .flat_map(|(&i, units)| {
                    units
                        .iter()
                        .map(move |(_, code)| format!("{}（{code}）", packages[i].name))
                })
                .collect();
            for (&i, units) in &by_package {
                let f = cx
                    .finding(
                        &self.layer.value,
                        units
                            .iter()
                            .map(|(fid, code)| FeatureId {
                                fid: *fid,
                                key: Some((*code).to_owned()),
                            })
                            .collect(),
                        format!(
                            "跨县单元“{name}”由 {} 个成果包各自交付：{}",
                            by_package.len(),
                            delivered.join("、")
                        ),
                    )
                    .with_measured(json!({ "delivered_by": delivered }));
                out[i].push(f);
            }
        }
        Ok(Judgement {
            per_package: Some(out),
            ..Judgement::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::checks::RuleFacts;
    use crate::quality::DefectClass;
    use crate::rules::RuleSet;

    #[test]
    fn a_cross_county_unit_delivered_twice_under_two_codes() {
        let rules = RuleSet::builtin().unwrap();
        let rule = rules
            .batch_rules
            .iter()
            .find(|r| r.id == "ZR-X002")
            .unwrap();
        let name = Some("太子山国家级自然保护区".to_owned());
        let a = Input::Units(vec![(4, "6229001100001".into(), name.clone())]);
        let b = Input::Units(vec![(7, "6229001100002".into(), name)]);
        let other = Input::Units(vec![(1, "6229001100003".into(), Some("莲花山".into()))]);
        let package = |name, area_code, input| super::super::Package {
            name,
            path: name,
            area_code,
            area_name: name,
            input,
        };
        let packages = [
            package("和政县", "622925", &a),
            package("临夏县", "622921", &b),
            package("康乐县", "622922", &other),
        ];
        let judged = rule
            .check
            .judge(&CrossContext {
                rule: RuleFacts {
                    id: "ZR-X002",
                    class: DefectClass::B,
                    element: "逻辑一致性",
                    filter: None,
                },
                packages: &packages,
                codes: &BTreeMap::new(),
                unit_lists: &BTreeMap::new(),
                sampled: false,
                unreadable: 0,
                areas: &BTreeSet::new(),
                plan_year: None,
                prefecture_tables: &[],
            })
            .unwrap();
        let found = judged.per_package.unwrap();
        assert_eq!(found[0].len(), 1);
        assert_eq!(found[1].len(), 1);
        assert!(found[2].is_empty());
        assert_eq!(found[1][0].feature_ids[0].fid, 7);
        assert!(
            found[0][0]
                .message
                .contains("和政县（6229001100001）、临夏县（6229001100002）"),
            "{}",
            found[0][0].message
        );
        assert!(above_county("6200001100001") && above_county("6229001100001"));
        assert!(!above_county("6229251100001") && !above_county("62"));
    }
}
