//! The report model: one structure that every renderer reads.

use std::collections::BTreeMap;

use geo::Geometry;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::grade::Grading;
use crate::package::{FileDigest, InputNote, LayerCrs, Manifest, Unread};
use crate::rules::{DefectClass, Profile};

/// The version of `report.json`'s schema (docs/report-schema.md). Bump on any incompatible change.
pub const REPORT_SCHEMA: &str = "nrqc-report/1";

/// One feature (or table row) a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FeatureId {
    /// 0-based feature index in the layer file (row index in a table).
    pub fid: usize,
    /// The value of the layer's key field(s) (joined with `/` for a composite key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// The second side of a finding about a pair, e.g. the red-line zone a unit overlaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub layer: String,
    pub feature_ids: Vec<FeatureId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub class: DefectClass,
    pub element: String,
    /// The layer or table the features belong to.
    pub layer: String,
    pub feature_ids: Vec<FeatureId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
    /// In Chinese, for the people who fix the data.
    pub message: String,
    pub measured: Option<Value>,
    pub expected: Option<Value>,
    /// Where the defect is, in the package CRS, as a GeoJSON geometry.
    #[serde(serialize_with = "geometry_as_geojson")]
    pub geometry: Option<Geometry<f64>>,
}

fn geometry_as_geojson<S: Serializer>(g: &Option<Geometry<f64>>, s: S) -> Result<S::Ok, S::Error> {
    use geo::CoordsIter;
    use geozero::ToJson;
    match g {
        // JSON has no NaN or infinity: such a geometry (a finding of geometry_valid about a
        // non-finite coordinate) is left out; the finding names its feature.
        Some(g)
            if g.coords_iter()
                .any(|c| !(c.x.is_finite() && c.y.is_finite())) =>
        {
            s.serialize_none()
        }
        None => s.serialize_none(),
        Some(g) => {
            let json = g.to_json().map_err(serde::ser::Error::custom)?;
            let value: Value = serde_json::from_str(&json).map_err(serde::ser::Error::custom)?;
            value.serialize(s)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The check could not run (a layer or field it needs is missing, its data cannot be
    /// evaluated). A package with such a rule cannot pass.
    NotRun,
    /// The rule concerns an optional layer or table the package does not deliver.
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub class: DefectClass,
    pub element: String,
    pub sub_element: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// E.g. how many features a measuring check skipped, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageInfo {
    pub name: String,
    pub path: String,
    pub manifest: Manifest,
    /// The CRS each layer file declares about itself.
    pub layer_crs: BTreeMap<String, LayerCrs>,
    pub feature_counts: BTreeMap<String, usize>,
    pub files: Vec<FileDigest>,
    pub unread: Vec<Unread>,
    /// How files were read where the reader of the report must know it, e.g. a shapefile whose
    /// `.cpg` said GBK while its text is UTF-8.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<InputNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulesetInfo {
    pub id: String,
    pub sha256: String,
    pub rules: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub by_class: BTreeMap<DefectClass, usize>,
    pub rules_passed: usize,
    pub rules_failed: usize,
    pub rules_not_run: usize,
    pub rules_not_applicable: usize,
    pub findings: usize,
}

impl FeatureId {
    /// As people read it: `key (FID n)`, or `FID n` without a key.
    pub fn label(&self) -> String {
        match &self.key {
            Some(k) => format!("{k} (FID {})", self.fid),
            None => format!("FID {}", self.fid),
        }
    }
}

impl Finding {
    /// The features a finding is about, and those of its other side after `↔`, as one line for
    /// the Markdown and HTML tables; `—` for none.
    pub fn places(&self) -> String {
        let mut parts: Vec<String> = self.feature_ids.iter().map(FeatureId::label).collect();
        if let Some(r) = &self.related {
            let related: Vec<String> = r
                .feature_ids
                .iter()
                .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
                .collect();
            parts.push(format!("↔ {} {}", r.layer, related.join(", ")));
        }
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join("; ")
        }
    }
}

impl Counts {
    pub fn add(&mut self, status: Status, class: DefectClass, findings: usize) {
        match status {
            Status::Passed => self.rules_passed += 1,
            Status::Failed => self.rules_failed += 1,
            Status::NotRun => self.rules_not_run += 1,
            Status::NotApplicable => self.rules_not_applicable += 1,
        }
        *self.by_class.entry(class).or_default() += findings;
        self.findings += findings;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: String,
    pub engine: Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set, for reproducible reports.
    pub generated_at: String,
    pub package: PackageInfo,
    pub ruleset: RulesetInfo,
    /// The profile inspected under: its failing threshold and warning classes decide `outcome`.
    pub profile: Profile,
    pub outcome: Outcome,
    /// The GB/T 24356-2023 grade and every term of its computation.
    pub grading: Grading,
    pub counts: Counts,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Sets `outcome` and `grading` from the rule results and findings under the report's
    /// profile.
    pub fn judge(&mut self) {
        let failing = self.findings.iter().any(|f| self.profile.fails(f.class));
        self.outcome = if failing || self.counts.rules_not_run > 0 {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        self.grading = super::grade::grade(&self.rules, &self.profile);
    }

    /// Adds a rule run after the inspection, a batch's cross-package rule, with its findings
    /// about this package, and judges the report again.
    pub fn add_rule(&mut self, result: RuleResult, findings: Vec<Finding>) {
        self.counts.add(result.status, result.class, findings.len());
        self.rules.push(result);
        self.findings.extend(findings);
        self.judge();
    }

    /// The findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule_id == rule_id)
    }
}
