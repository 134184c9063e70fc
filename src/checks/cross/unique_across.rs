//! `unique_across: { layer, fields }`: a key occurs in at most one package of the batch.
//!
//! ```yaml
//! - id: ZR-X001
//!   unique_across: { layer: ZRZYDJDY, fields: [ZRZYDJDYH] }
//! ```
//!
//! Each package with a feature of the key gets a finding naming the other packages that have it.
//! Packages of the same county (`xzqdm`) are not compared with each other: a county delivered
//! twice is `one_package_per_area`'s one finding, not a clash of each of its units.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::{CrossCheck, CrossContext, Input, Judgement};
use crate::checks::Read;
use crate::diag::Name;
use crate::finding::FeatureId;
use crate::package::Dataset;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueAcross {
    pub layer: Name,
    pub fields: Vec<Name>,
}

impl CrossCheck for UniqueAcross {
    fn reads(&self) -> Vec<Read<'_>> {
        Read::fields(&self.layer, &self.fields)
    }

    fn describe(&self) -> String {
        format!(
            "the key {} of `{}` occurs in the packages of at most one county (`xzqdm`) of the \
             batch",
            super::listed(&self.fields),
            self.layer.value
        )
    }

    /// (fid, key) of every feature with its key filled.
    fn extract(&self, dataset: &Dataset) -> Input {
        let Some(frame) = dataset.frame(&self.layer.value) else {
            return Input::Keys(vec![]);
        };
        let mut columns: Vec<Vec<Option<Cow<str>>>> =
            self.fields.iter().map(|f| frame.texts(&f.value)).collect();
        let keys = (0..frame.len())
            .filter_map(|row| {
                let parts: Option<Vec<String>> = columns
                    .iter_mut()
                    .map(|c| {
                        c[row]
                            .take()
                            .map(Cow::into_owned)
                            .filter(|v| !v.trim().is_empty())
                    })
                    .collect();
                Some((row, parts?.join("/")))
            })
            .collect();
        Input::Keys(keys)
    }

    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String> {
        let packages = cx.packages;
        let mut out = vec![Vec::new(); packages.len()];
        // key → package index → fids
        let mut seen: BTreeMap<&str, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
        for (i, p) in packages.iter().enumerate() {
            if let Input::Keys(keys) = p.input {
                for (fid, key) in keys {
                    seen.entry(key)
                        .or_default()
                        .entry(i)
                        .or_default()
                        .push(*fid);
                }
            }
        }
        let fields: Vec<&str> = self.fields.iter().map(|f| f.value.as_str()).collect();
        for (key, by_package) in seen.into_iter().filter(|(_, p)| p.len() > 1) {
            let names: Vec<&str> = by_package.keys().map(|&i| packages[i].name).collect();
            for (&i, fids) in &by_package {
                // A copy of the same county is not another county (`CrossContext::same_area`).
                let others: Vec<&str> = by_package
                    .keys()
                    .filter(|&&j| !cx.same_area(i, j))
                    .map(|&j| packages[j].name)
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let f = cx
                    .finding(
                        &self.layer.value,
                        fids.iter()
                            .map(|&fid| FeatureId {
                                fid,
                                key: Some(key.to_owned()),
                            })
                            .collect(),
                        format!(
                            "{} = {key} 也出现在 {} 的成果中",
                            fields.join("/"),
                            others.join("、")
                        ),
                    )
                    .with_measured(json!({ "packages": names }));
                out[i].push(f);
            }
        }
        Ok(Judgement {
            per_package: Some(out),
            ..Judgement::default()
        })
    }
}
