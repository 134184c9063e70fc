//! `package.yaml`, the manifest every package carries (package format section 2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::error::PackageError;

/// The administrative level of the delivering area (`level` in `package.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `county`: a county (县级) delivery such as `622923_永靖县`, the usual case.
    County,
    /// `prefecture`: a prefecture (州/市级) delivery.
    Prefecture,
    /// `province`: a province (省级) delivery.
    Province,
}

/// Text encoding of shapefile attributes and CSV tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// Written `UTF-8`, `utf-8`, `UTF8` or `utf8`; what CSV tables are read as when the
    /// manifest names no encoding.
    #[serde(rename = "UTF-8", alias = "utf-8", alias = "UTF8", alias = "utf8")]
    Utf8,
    /// Written `GBK`, `gbk`, `GB18030` or `gb18030`, as Chinese Windows tools save text;
    /// decoded by encoding_rs's GBK decoder, which also reads GB18030.
    #[serde(rename = "GBK", alias = "gbk", alias = "GB18030", alias = "gb18030")]
    Gbk,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(rename = "xzqdm")]
    area_code: Spanned<String>,
    #[serde(rename = "xzqmc")]
    area_name: String,
    level: Level,
    crs: Option<Spanned<String>>,
    producer: Option<String>,
    survey_date: Option<Spanned<String>>,
    encoding: Option<Encoding>,
    #[serde(default)]
    layers: BTreeMap<String, String>,
    #[serde(default)]
    tables: BTreeMap<String, String>,
}

/// The validated manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// 行政区代码 (`xzqdm`): the GB/T 2260 code of the county (or prefecture) delivering.
    #[serde(rename = "xzqdm")]
    pub area_code: String,
    /// 行政区名称 (`xzqmc`).
    #[serde(rename = "xzqmc")]
    pub area_name: String,
    /// `level`; copied into the JSON report, no check reads it.
    pub level: Level,
    /// The declared CRS as written, e.g. `EPSG:4522`; a package of tables alone needs none
    /// (package format 1.1, section 2), one with layers is refused without it when loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// The EPSG code of [`Manifest::crs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsg: Option<u32>,
    /// `producer`, the body that made the package, e.g. `永靖县自然资源局`; copied into the
    /// JSON report, no check reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// `survey_date` as written, checked to be `YYYY-MM-DD`; copied into the JSON report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_date: Option<String>,
    /// `encoding`: the declared text encoding of CSV tables (which are read in it, UTF-8 when
    /// `None`) and of shapefile attributes without a `.cpg` (where the bytes have the last word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// `layers`: layer name to its file, relative to the package root, for layers not at
    /// `vector/<LAYER>.<ext>`; `file.gpkg#name` picks a layer inside a GeoPackage.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub layers: BTreeMap<String, String>,
    /// `tables`: table name to its file, relative to the package root, as for `layers`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, String>,
}

impl Manifest {
    /// Parses and validates manifest text; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Manifest, PackageError> {
        let raw: RawManifest = serde_saphyr::from_str_with_options(
            text,
            crate::diag::yaml_options(),
        )
        .map_err(|e| match in_plain_words(&e) {
            Some(message) => {
                let at = e.location().unwrap_or(serde_saphyr::Location::UNKNOWN);
                let line = match at.line() {
                    0 => String::new(),
                    n => format!(", line {n}"),
                };
                PackageError::manifest_value(text, file, &at, format!("{file}{line}: {message}"))
            }
            None => PackageError::Manifest {
                report: crate::diag::yaml_report(&e, text, file),
            },
        })?;
        let invalid = |at: &Spanned<String>, message: String| {
            PackageError::manifest_value(text, file, &at.referenced, message)
        };
        if !is_digits(&raw.area_code.value, 6) {
            return Err(invalid(
                &raw.area_code,
                format!(
                    "xzqdm `{}` is not a 6-digit GB/T 2260 code",
                    raw.area_code.value
                ),
            ));
        }
        let epsg = raw
            .crs
            .as_ref()
            .map(|crs| {
                parse_epsg(&crs.value).ok_or_else(|| {
                    invalid(
                        crs,
                        format!("crs `{}` is not of the form EPSG:<code>", crs.value),
                    )
                })
            })
            .transpose()?;
        if let Some(date) = &raw.survey_date {
            if !crate::diag::is_date(&date.value) {
                return Err(invalid(
                    date,
                    format!("survey_date `{}` is not a date YYYY-MM-DD", date.value),
                ));
            }
        }
        Ok(Manifest {
            area_code: raw.area_code.value,
            area_name: raw.area_name,
            level: raw.level,
            crs: raw.crs.map(|c| c.value),
            epsg,
            producer: raw.producer,
            survey_date: raw.survey_date.map(|d| d.value),
            encoding: raw.encoding,
            layers: raw.layers,
            tables: raw.tables,
        })
    }
}

/// What is wrong with the manifest, in the producer's terms, where the YAML parser's own words
/// name its settings ("set DuplicateKeyPolicy in Options", "budget breached: ScalarBytes").
fn in_plain_words(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::Error;
    let mut e = e;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = e {
        e = error;
    }
    let breach = match e {
        Error::DuplicateMappingKey { key, .. } => {
            let key = key.as_deref().map_or("a key".into(), |k| format!("`{k}`"));
            return Some(format!(
                "{key} is written twice in one mapping; each key of a manifest is given once"
            ));
        }
        Error::Budget { breach, .. } => breach,
        _ => return None,
    };
    let budget = crate::diag::yaml_options().budget?;
    let what = match breach {
        BudgetBreach::Aliases { .. } => {
            format!("uses more than {} aliases (`*name`)", budget.max_aliases)
        }
        BudgetBreach::Anchors { .. } => {
            format!("defines more than {} anchors (`&name`)", budget.max_anchors)
        }
        BudgetBreach::Depth { .. } => format!("nests more than {} levels deep", budget.max_depth),
        BudgetBreach::Nodes { .. } => format!("holds more than {} values", budget.max_nodes),
        BudgetBreach::Events { .. } => {
            format!("holds more than {} YAML events", budget.max_events)
        }
        BudgetBreach::ScalarBytes { .. } => format!(
            "holds more than {} MiB of text",
            budget.max_total_scalar_bytes >> 20
        ),
        BudgetBreach::Documents { .. } => "holds more than one YAML document".into(),
        other => format!("is beyond the YAML nrqc reads ({other:?})"),
    };
    Some(format!(
        "the manifest {what}, far more than a manifest needs; refused as a possible YAML bomb"
    ))
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `EPSG:4522`, `epsg:4522` or a URN such as `urn:ogc:def:crs:EPSG::4522`.
pub fn parse_epsg(s: &str) -> Option<u32> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    let code = if let Some(rest) = upper.strip_prefix("EPSG:") {
        rest
    } else if upper.starts_with("URN:OGC:DEF:CRS:EPSG:") {
        upper.rsplit(':').next()?
    } else {
        return None;
    };
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_forms() {
        assert_eq!(parse_epsg("EPSG:4522"), Some(4522));
        assert_eq!(parse_epsg("urn:ogc:def:crs:EPSG::4523"), Some(4523));
        assert_eq!(parse_epsg("EPSG:"), None);
        assert_eq!(parse_epsg("4522"), None);
    }

    #[test]
    fn bad_xzqdm_points_at_value() {
        let text = "xzqdm: \"62292\"\nxzqmc: 永靖县\nlevel: county\ncrs: EPSG:4522\n";
        let err = Manifest::parse(text, "package.yaml").unwrap_err();
        assert!(err.to_string().contains("not a 6-digit"), "{err}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let text = "xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\ncrs: EPSG:4522\ncolour: red\n";
        assert!(Manifest::parse(text, "package.yaml").is_err());
    }
}
