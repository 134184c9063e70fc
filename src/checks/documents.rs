//! `documents`: every feature has its documents in the package's `docs/`, found by the file
//! name alone (nrqc never opens a document): `<key>_<material>.<extension>`, e.g.
//! `docs/6229234000001_登记簿.pdf`, where more `_` parts may follow the key
//! (`6229234000001_罗家洞森林_附图.jpg`); the material is one of those parts.
//!
//! ## Parameters
//! - `layer`, `key`: the features and the field their file names begin with (the rule's `where`
//!   selects which features need documents).
//! - `materials`: the documents each feature needs, as written in the file name.
//! - `extensions`: the accepted extensions, compared without case.
//!
//! A package without `docs/` has no documents to check: the rule does not apply. A file of
//! `docs/` that names no feature of the layer, no material, or has another extension is no
//! feature's document; the report lists it, with the reason, among the delivered content not
//! inspected. Features without a key are skipped and counted.
//!
//! ## Example
//! ```yaml
//! - id: ZR-S006
//!   title: 登记单元缺少登记簿或附图
//!   class: B
//!   element: 完整性
//!   documents:
//!     layer: ZRZYDJDY
//!     key: ZRZYDJDYH
//!     materials: [登记簿, 附图]
//!     extensions: [pdf, jpg, jpeg, png, tif, tiff]
//! ```
//!
//! ## Finding
//! On the feature, one per missing material: `ZRZYDJDY 6229234000001 缺少 附图：docs/ 中没有
//! 6229234000001_附图.pdf（或 jpg、jpeg、png、tif、tiff）`, measured: the feature's documents
//! found.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{json, Value};

use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::Finding;
use crate::package::{Dataset, Unread};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    pub layer: Name,
    pub key: Name,
    pub materials: Vec<String>,
    pub extensions: Vec<String>,
}

/// The documents found, by feature key, and the files that are no feature's document, with why.
struct Sorted {
    of: BTreeMap<String, Vec<(usize, String)>>,
    unmatched: Vec<Unread>,
}

impl Documents {
    /// Sorts the files of `docs/` by the keys of the layer's features.
    fn sort(&self, dataset: &Dataset) -> Sorted {
        let keys: BTreeSet<String> = dataset
            .frame(&self.layer.value)
            .map(|f| {
                (0..f.len())
                    .filter_map(|r| f.text(&self.key.value, r))
                    .collect()
            })
            .unwrap_or_default();
        let mut sorted = Sorted {
            of: BTreeMap::new(),
            unmatched: Vec::new(),
        };
        for path in dataset.documents.iter().flatten() {
            match self.name(path, &keys) {
                Ok((key, material)) => sorted
                    .of
                    .entry(key)
                    .or_default()
                    .push((material, path.clone())),
                Err(reason) => sorted.unmatched.push(Unread {
                    path: path.clone(),
                    reason,
                }),
            }
        }
        sorted
    }

    /// The feature key and material a document's name gives, or why it gives none.
    fn name(&self, path: &str, keys: &BTreeSet<String>) -> Result<(String, usize), String> {
        let file = path.rsplit('/').next().unwrap_or(path);
        let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
        if !self.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
            return Err(format!(
                "不是登记单元的文档：扩展名不是 {} 之一（只按文件名检查，未打开）",
                self.extensions.join("、")
            ));
        }
        let mut parts = stem.split('_');
        let key = parts.next().unwrap_or_default();
        if !keys.contains(key) {
            return Err(format!(
                "不是登记单元的文档：文件名不以 {} 中的某个 {} 开头（只按文件名检查，未打开）",
                self.layer.value, self.key.value
            ));
        }
        let material = parts
            .find_map(|p| self.materials.iter().position(|m| m == p))
            .ok_or_else(|| {
                format!(
                    "不是登记单元的文档：文件名含 {key}，但不含 {} 中的任何一个（只按文件名检查，未打开）",
                    self.materials.join("、")
                )
            })?;
        Ok((key.to_owned(), material))
    }
}

impl Check for Documents {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "every {} feature has a file `docs/<{}>_<material>.<extension>` for each material of {} (extensions {})",
            self.layer.value,
            phrase::field(&self.layer, &self.key),
            phrase::list(&self.materials, "and"),
            phrase::list(&self.extensions, "or")
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::field(&self.layer, &self.key)]
    }

    fn reads_documents(&self) -> bool {
        true
    }

    fn unmatched_documents(&self, dataset: &Dataset) -> Vec<Unread> {
        self.sort(dataset).unmatched
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.materials.is_empty() {
            problems.push(Problem::new(
                self.layer.referenced,
                "`materials` is empty: no document to look for",
            ));
        }
        if self.extensions.is_empty() {
            problems.push(Problem::new(
                self.layer.referenced,
                "`extensions` is empty: no file could match",
            ));
        }
        if let Some(m) = self.materials.iter().find(|m| m.contains(['_', '.', '/'])) {
            problems.push(Problem::new(
                self.layer.referenced,
                format!("material `{m}` contains `_`, `.` or `/`, which separate the parts of a file name"),
            ));
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let sorted = self.sort(cx.dataset);
        if !sorted.unmatched.is_empty() {
            cx.note(format!(
                "docs/ 中 {} 个文件不是任何登记单元的文档，列于未检查的交付内容",
                sorted.unmatched.len()
            ));
        }
        let mut findings = Vec::new();
        let mut keyless = 0;
        for row in cx.rows(frame)? {
            let Some(key) = frame.text(&self.key.value, row) else {
                keyless += 1;
                continue;
            };
            let found = sorted.of.get(&key).map(Vec::as_slice).unwrap_or_default();
            for (i, material) in self.materials.iter().enumerate() {
                if found.iter().any(|(m, _)| *m == i) {
                    continue;
                }
                let first = self.extensions.first().map_or("", String::as_str);
                let others = match self.extensions.get(1..).unwrap_or_default() {
                    [] => String::new(),
                    others => format!("（或 {}）", others.join("、")),
                };
                let f = cx
                    .finding(
                        frame,
                        &[row],
                        format!(
                        "{} {key} 缺少 {material}：docs/ 中没有 {key}_{material}.{first}{others}",
                        frame.name
                    ),
                    )
                    .with_measured(json!(found.iter().map(|(_, p)| p).collect::<Vec<_>>()))
                    .with_expected(Value::String(format!("docs/{key}_{material}.{first}")));
                findings.push(f);
            }
        }
        cx.empty_rows(frame, &self.key.value, keyless);
        Ok(findings)
    }
}
