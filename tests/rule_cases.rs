//! Ruff-style cases for every built-in rule. The clean 永靖县 package is each rule's no-fire
//! case; `tests/rule_cases/*.yaml` holds, per rule, mutations of that package (applied in
//! memory, never to its files) that make the rule fire, and the findings it must then give,
//! exactly. A built-in rule without a case fails the test, so every new rule comes with one.
//!
//! A case file maps rule ids to cases:
//!
//! ```yaml
//! ZR-M010:
//!   setup: []          # optional: mutations after which the rule must still pass
//!   mutate:
//!     - append: { at: ZRZYDJDY/6229234000002, set: { ZRZYDJDYH: "6229234009001", DJDYZMJ: 1000.0 } }
//!     - append: { at: ZRZK/6229232021000016, set: { BSM: "6229232021009001", ZRZYDJDYH: "6229234009001", MJ: 900.0 } }
//!   expect:
//!     - layer: ZRZYDJDY
//!       keys: ["6229234009001"]
//!       related: ["6229232021009001"]
//!       measured: { difference: 100.0, unit: m2 }
//! ```
//!
//! `at` names a feature by its schema key (`LAYER/KEY`, a composite key joined with `/`) or by
//! FID (`LAYER#3`); keys survive the fixture's regeneration, FIDs need not. The mutations are
//! the variants of [`Mutation`]. Expected findings are compared in order: layer, the key of every
//! feature, the keys of the related features when the finding has some, and `measured` whenever
//! the finding carries it: the entries written must agree, numbers within `tolerance`. Write the
//! entries the case determines rather than the fixture's own areas, which move when it is
//! regenerated. When a case does not give what it expects, the failure prints the findings in
//! this syntax, to check and paste. The rule's `example:` must be the message of one of them.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use geo::{Geometry, Translate};
use nrqc::engine::run_one;
use nrqc::finding::{FeatureId, Finding, Status};
use nrqc::package::{BadCell, Dataset, Frame, GeometryColumn, LayerCrs, RawDefect};
use nrqc::rules::{Rule, RuleSet};
use nrqc::schema::FieldType;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

const CASES: &str = "tests/rule_cases";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// For rules on optional layers the clean package lacks: delivers them, still clean.
    #[serde(default)]
    setup: Vec<Mutation>,
    mutate: Vec<Mutation>,
    expect: Vec<Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    layer: String,
    keys: Vec<Option<String>>,
    related: Option<Vec<Option<String>>>,
    measured: Option<Value>,
    #[serde(default = "default_tolerance")]
    tolerance: f64,
}

/// A thousandth of the unit: far below any rule's own tolerance, far above rounding noise.
fn default_tolerance() -> f64 {
    1e-3
}

/// A feature: `LAYER/KEY` or `LAYER#FID`.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct At {
    layer: String,
    by: By,
}

enum By {
    Key(String),
    Fid(usize),
}

impl TryFrom<String> for At {
    type Error = String;

    fn try_from(text: String) -> Result<At, String> {
        if let Some((layer, key)) = text.split_once('/') {
            return Ok(At {
                layer: layer.into(),
                by: By::Key(key.into()),
            });
        }
        let (layer, fid) = text
            .split_once('#')
            .ok_or_else(|| format!("`{text}` is neither LAYER/KEY nor LAYER#FID"))?;
        Ok(At {
            layer: layer.into(),
            by: By::Fid(fid.parse().map_err(|e| format!("`{text}`: {e}"))?),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Mutation {
    /// `value` of the column's type; null allowed.
    Set {
        at: At,
        field: String,
        value: Value,
    },
    /// Adds `by` to a number.
    Shift {
        at: At,
        field: String,
        by: f64,
    },
    Delete(At),
    /// Appends a copy of the feature (geometry, decode defects and all) with `set` changed.
    Append {
        at: At,
        #[serde(default)]
        set: BTreeMap<String, Value>,
    },
    Translate {
        at: At,
        dx: f64,
        dy: f64,
    },
    /// Replaces the geometry; `wkt: ~` leaves the feature without one.
    Geometry {
        at: At,
        wkt: Option<String>,
    },
    /// What the reader records for a ring whose last vertex is not its first; geo-types has
    /// closed the ring by then, so the geometry itself stays as it is.
    RingNotClosed {
        at: At,
        ring: usize,
    },
    /// What the CSV reader records for a value that does not parse as the column's type: the
    /// value becomes null and the raw text is kept.
    BadCell {
        at: At,
        field: String,
        raw: String,
    },
    DropLayer(String),
    /// What the loader records for a layer whose file cannot be decoded: the layer is gone and
    /// the reader's error is kept.
    Unreadable {
        layer: String,
        error: String,
    },
    DropField {
        layer: String,
        field: String,
    },
    /// Converts a column to another type, as a producer who typed it wrongly delivers it.
    Cast {
        layer: String,
        field: String,
        to: FieldType,
    },
    /// The CRS the layer file declares about itself (`~`: none).
    LayerCrs {
        layer: String,
        epsg: Option<u32>,
    },
    /// The CRS `package.yaml` declares.
    PackageCrs(u32),
    /// Delivers a layer (in the package CRS) or table the package lacks, with the schema's
    /// fields.
    AddLayer {
        layer: String,
        features: Vec<NewFeature>,
    },
    /// Delivers a table the schema does not declare, as the CSV reader gives it: a header line
    /// and rows of comma-separated text, each column text, a blank cell null.
    AddTable {
        table: String,
        csv: String,
    },
    /// What the loader records for a `docs/` holding files of these names (nrqc reads documents
    /// by name only).
    Documents(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFeature {
    /// For a layer; a table has none.
    wkt: Option<String>,
    fields: BTreeMap<String, Value>,
}

fn dtype(ty: FieldType) -> DataType {
    match ty {
        FieldType::String | FieldType::Date => DataType::String,
        FieldType::Number => DataType::Float64,
        FieldType::Integer => DataType::Int64,
    }
}

fn any_value(value: &Value, dtype: &DataType) -> Result<AnyValue<'static>, String> {
    Ok(match value {
        Value::Null => AnyValue::Null,
        Value::String(s) if dtype.is_string() => AnyValue::StringOwned(s.as_str().into()),
        Value::Number(n) if dtype.is_float() => AnyValue::Float64(n.as_f64().unwrap()),
        Value::Number(n) if dtype.is_integer() => {
            AnyValue::Int64(n.as_i64().ok_or_else(|| format!("{n} is not an integer"))?)
        }
        Value::Bool(b) if dtype.is_bool() => AnyValue::Boolean(*b),
        other => return Err(format!("{other} does not fit a {dtype} column")),
    })
}

fn parse_wkt(text: &str) -> Result<Geometry<f64>, String> {
    use wkt::TryFromWkt;
    Geometry::try_from_wkt_str(text).map_err(|e| format!("WKT `{text}`: {e}"))
}

fn frame_mut<'a>(dataset: &'a mut Dataset, name: &str) -> Result<&'a mut Frame, String> {
    dataset
        .frames
        .get_mut(name)
        .ok_or_else(|| format!("the package has no {name}"))
}

fn geometry_mut(frame: &mut Frame) -> Result<&mut GeometryColumn, String> {
    let name = frame.name.clone();
    frame
        .geometry
        .as_mut()
        .ok_or_else(|| format!("{name} is a table"))
}

/// The row `at` names: the only one with that key, or the FID.
fn row(frame: &Frame, rules: &RuleSet, at: &At) -> Result<usize, String> {
    match &at.by {
        By::Fid(fid) if *fid < frame.len() => Ok(*fid),
        By::Fid(fid) => Err(format!("{} has no feature #{fid}", at.layer)),
        By::Key(key) => {
            let fields = rules
                .schema
                .frame(&at.layer)
                .and_then(|d| d.key.as_ref())
                .ok_or_else(|| format!("{} has no key; name the feature by #FID", at.layer))?
                .fields();
            let rows: Vec<usize> = (0..frame.len())
                .filter(|&r| {
                    let parts: Option<Vec<String>> =
                        fields.iter().map(|f| frame.text(f, r)).collect();
                    parts.is_some_and(|p| p.join("/") == *key)
                })
                .collect();
            match rows[..] {
                [r] => Ok(r),
                _ => Err(format!(
                    "{} rows of {} have the key {key}",
                    rows.len(),
                    at.layer
                )),
            }
        }
    }
}

/// Rewrites one column value by value, keeping its type.
fn edit_column(
    df: &mut DataFrame,
    field: &str,
    edit: impl FnOnce(&mut [AnyValue<'static>], &DataType) -> Result<(), String>,
) -> Result<(), String> {
    let column = df
        .column(field)
        .map_err(|_| format!("there is no field {field}"))?;
    let dtype = column.dtype().clone();
    let mut values: Vec<AnyValue<'static>> = (0..column.len())
        .map(|i| column.get(i).map(AnyValue::into_static))
        .collect::<PolarsResult<_>>()
        .map_err(|e| e.to_string())?;
    edit(&mut values, &dtype)?;
    let series = Series::from_any_values_and_dtype(field.into(), &values, &dtype, true)
        .map_err(|e| e.to_string())?;
    df.with_column(series.into_column())
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn set(df: &mut DataFrame, row: usize, field: &str, value: &Value) -> Result<(), String> {
    edit_column(df, field, |values, dtype| {
        values[row] = any_value(value, dtype)?;
        Ok(())
    })
}

impl Mutation {
    fn apply(&self, dataset: &mut Dataset, rules: &RuleSet) -> Result<(), String> {
        match self {
            Mutation::Set { at, field, value } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                set(&mut frame.df, r, field, value)
            }
            Mutation::Shift { at, field, by } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                edit_column(&mut frame.df, field, |values, _| {
                    let old = values[r]
                        .extract::<f64>()
                        .ok_or_else(|| format!("{field} of {} is not a number", at.layer))?;
                    values[r] = AnyValue::Float64(old + by);
                    Ok(())
                })
            }
            Mutation::Delete(at) => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                let keep: BooleanChunked = (0..frame.len()).map(|i| i != r).collect();
                frame.df = frame.df.filter(&keep).map_err(|e| e.to_string())?;
                // Later rows move up one; what the reader recorded about them moves with them.
                let shift = |i: usize| if i > r { i - 1 } else { i };
                frame.bad_cells.retain(|c| c.row != r);
                for cell in &mut frame.bad_cells {
                    cell.row = shift(cell.row);
                }
                if let Some(column) = &mut frame.geometry {
                    column.geoms.remove(r);
                    column.defects.retain(|(i, _)| *i != r);
                    for (i, _) in &mut column.defects {
                        *i = shift(*i);
                    }
                }
                Ok(())
            }
            Mutation::Append { at, set: values } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                let copy = frame.df.slice(r as i64, 1);
                frame.df.vstack_mut(&copy).map_err(|e| e.to_string())?;
                let new = frame.len() - 1;
                for (field, value) in values {
                    set(&mut frame.df, new, field, value)?;
                }
                if let Some(column) = &mut frame.geometry {
                    column.geoms.push(column.geoms[r].clone());
                    let defects: Vec<(usize, RawDefect)> = column
                        .defects_of(r)
                        .iter()
                        .map(|(_, d)| (new, d.clone()))
                        .collect();
                    column.defects.extend(defects);
                }
                Ok(())
            }
            Mutation::Translate { at, dx, dy } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                let g = geometry_mut(frame)?.geoms[r]
                    .as_mut()
                    .ok_or("the feature has no geometry")?;
                g.translate_mut(*dx, *dy);
                Ok(())
            }
            Mutation::Geometry { at, wkt } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                geometry_mut(frame)?.geoms[r] = wkt.as_deref().map(parse_wkt).transpose()?;
                Ok(())
            }
            Mutation::RingNotClosed { at, ring } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                let column = geometry_mut(frame)?;
                let after = column.defects.partition_point(|(i, _)| *i <= r);
                column
                    .defects
                    .insert(after, (r, RawDefect::RingNotClosed { ring: *ring }));
                Ok(())
            }
            Mutation::BadCell { at, field, raw } => {
                let frame = frame_mut(dataset, &at.layer)?;
                let r = row(frame, rules, at)?;
                set(&mut frame.df, r, field, &Value::Null)?;
                frame.bad_cells.push(BadCell {
                    row: r,
                    field: field.clone(),
                    raw: raw.clone(),
                });
                Ok(())
            }
            Mutation::DropLayer(name) => dataset
                .frames
                .remove(name)
                .map(drop)
                .ok_or_else(|| format!("the package has no {name}")),
            Mutation::Unreadable { layer, error } => {
                let frame = dataset
                    .frames
                    .remove(layer)
                    .ok_or_else(|| format!("the package has no {layer}"))?;
                dataset.failed.push(nrqc::package::Unloaded {
                    frames: vec![layer.clone()],
                    error: nrqc::package::ReadError::new(frame.path, error.as_str()).frame(layer),
                });
                Ok(())
            }
            Mutation::DropField { layer, field } => {
                let frame = frame_mut(dataset, layer)?;
                frame.df.drop_in_place(field).map_err(|e| e.to_string())?;
                Ok(())
            }
            Mutation::Cast { layer, field, to } => {
                let frame = frame_mut(dataset, layer)?;
                let column = frame
                    .df
                    .column(field)
                    .and_then(|c| c.cast(&dtype(*to)))
                    .map_err(|e| e.to_string())?;
                frame.df.with_column(column).map_err(|e| e.to_string())?;
                Ok(())
            }
            Mutation::LayerCrs { layer, epsg } => {
                geometry_mut(frame_mut(dataset, layer)?)?.crs = LayerCrs {
                    epsg: *epsg,
                    text: epsg.map(|e| format!("urn:ogc:def:crs:EPSG::{e}")),
                };
                Ok(())
            }
            Mutation::Documents(names) => {
                dataset.documents = Some(names.iter().map(|n| format!("docs/{n}")).collect());
                Ok(())
            }
            Mutation::PackageCrs(epsg) => {
                dataset.manifest.epsg = Some(*epsg);
                dataset.manifest.crs = Some(format!("EPSG:{epsg}"));
                Ok(())
            }
            Mutation::AddLayer { layer, features } => {
                let def = rules
                    .schema
                    .frame(layer)
                    .ok_or_else(|| format!("the schema has no {layer}"))?;
                let mut columns = Vec::new();
                for (name, field) in &def.fields {
                    let dtype = dtype(field.ty);
                    let values: Vec<AnyValue<'static>> = features
                        .iter()
                        .map(|f| any_value(f.fields.get(name).unwrap_or(&Value::Null), &dtype))
                        .collect::<Result<_, _>>()?;
                    let series = Series::from_any_values_and_dtype(
                        name.as_str().into(),
                        &values,
                        &dtype,
                        true,
                    )
                    .map_err(|e| e.to_string())?;
                    columns.push(series.into_column());
                }
                let unknown: Vec<&String> = features
                    .iter()
                    .flat_map(|f| f.fields.keys())
                    .filter(|k| !def.fields.contains_key(*k))
                    .collect();
                if !unknown.is_empty() {
                    return Err(format!("{layer} has no fields {unknown:?}"));
                }
                let is_layer = def.geometry.is_some();
                if features.iter().any(|f| f.wkt.is_some() != is_layer) {
                    return Err(
                        "give every feature of a layer, and no row of a table, a wkt".into(),
                    );
                }
                let geometry = is_layer
                    .then(|| -> Result<GeometryColumn, String> {
                        Ok(GeometryColumn {
                            geoms: features
                                .iter()
                                .map(|f| f.wkt.as_deref().map(parse_wkt).transpose())
                                .collect::<Result<_, _>>()?,
                            defects: vec![],
                            crs: LayerCrs {
                                epsg: dataset.manifest.epsg,
                                text: None,
                            },
                        })
                    })
                    .transpose()?;
                let path = if is_layer {
                    format!("vector/{layer}.fgb")
                } else {
                    format!("tables/{layer}.csv")
                };
                let frame = Frame {
                    name: layer.clone(),
                    path: path.into(),
                    df: DataFrame::new(features.len(), columns).map_err(|e| e.to_string())?,
                    geometry,
                    bad_cells: vec![],
                    decimals: BTreeMap::new(),
                    aliases: BTreeMap::new(),
                };
                dataset.frames.insert(layer.clone(), frame);
                Ok(())
            }
            Mutation::AddTable { table, csv } => {
                let mut lines = csv
                    .lines()
                    .map(|l| l.split(',').map(str::trim).collect::<Vec<_>>());
                let header = lines.next().ok_or("the csv has no header")?;
                let rows: Vec<Vec<&str>> = lines.collect();
                let columns = (header.iter().enumerate())
                    .map(|(i, name)| {
                        let cells: Vec<Option<&str>> = rows
                            .iter()
                            .map(|r| r.get(i).copied().filter(|c| !c.is_empty()))
                            .collect();
                        Column::new((*name).into(), cells)
                    })
                    .collect();
                let frame = Frame {
                    name: table.clone(),
                    path: format!("tables/{table}.csv").into(),
                    df: DataFrame::new(rows.len(), columns).map_err(|e| e.to_string())?,
                    geometry: None,
                    bad_cells: vec![],
                    decimals: BTreeMap::new(),
                    aliases: BTreeMap::new(),
                };
                dataset.frames.insert(table.clone(), frame);
                Ok(())
            }
        }
    }
}

fn load_cases() -> BTreeMap<String, Case> {
    let mut paths: Vec<_> = std::fs::read_dir(CASES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut cases = BTreeMap::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: BTreeMap<String, Case> =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (id, case) in file {
            if cases.insert(id.clone(), case).is_some() {
                panic!("{id} has two cases; the second is in {}", path.display());
            }
        }
    }
    cases
}

fn keys(ids: &[FeatureId]) -> Vec<Option<String>> {
    ids.iter().map(|i| i.key.clone()).collect()
}

/// Whether `actual` has every entry of `expected`, numbers within `tolerance`.
fn agrees(actual: &Value, expected: &Value, tolerance: f64) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => {
            (a.as_f64().unwrap() - e.as_f64().unwrap()).abs() <= tolerance
        }
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|a| agrees(a, v, tolerance))),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| agrees(a, e, tolerance))
        }
        _ => actual == expected,
    }
}

fn finding_matches(f: &Finding, e: &Expected) -> bool {
    let related = f.related.as_ref().map(|r| keys(&r.feature_ids));
    let measured = match (&f.measured, &e.measured) {
        (None, None) => true,
        (Some(a), Some(e_m)) => agrees(a, e_m, e.tolerance),
        _ => false,
    };
    f.layer == e.layer && keys(&f.feature_ids) == e.keys && related == e.related && measured
}

/// A finding in the syntax of `expect`, to compare with or paste into a case.
fn render(f: &Finding) -> String {
    let json = |ids: &[FeatureId]| serde_json::to_string(&keys(ids)).unwrap();
    let mut s = format!(
        "    - layer: {}\n      keys: {}\n",
        f.layer,
        json(&f.feature_ids)
    );
    if let Some(r) = &f.related {
        s += &format!("      related: {}\n", json(&r.feature_ids));
    }
    if let Some(m) = &f.measured {
        s += &format!("      measured: {m}\n");
    }
    s + &format!("      # {}\n", f.message)
}

/// What is wrong with `rule` and its case, if anything.
fn check(rule: &Rule, case: &Case, clean: &Dataset, rules: &RuleSet) -> Option<String> {
    let id = &rule.id;
    let mutated = |steps: &[Mutation], mut dataset: Dataset| -> Result<Dataset, String> {
        for (i, step) in steps.iter().enumerate() {
            step.apply(&mut dataset, rules)
                .map_err(|e| format!("{id}: mutation {} cannot be applied: {e}", i + 1))?;
        }
        Ok(dataset)
    };
    let base = match mutated(&case.setup, clean.clone()) {
        Ok(d) => d,
        Err(e) => return Some(e),
    };
    let quiet = run_one(&base, rules, rule);
    if quiet.status != Status::Passed || !quiet.findings.is_empty() {
        let found: String = quiet.findings.iter().map(render).collect();
        return Some(format!(
            "{id}: does not pass on the clean package{}: {:?} {}\n{found}",
            if case.setup.is_empty() {
                ""
            } else {
                " after its setup"
            },
            quiet.status,
            quiet.reason.unwrap_or_default()
        ));
    }
    let fired = match mutated(&case.mutate, base) {
        Ok(d) => run_one(&d, rules, rule),
        Err(e) => return Some(e),
    };
    let found: String = fired.findings.iter().map(render).collect();
    let exact = fired.findings.len() == case.expect.len()
        && fired
            .findings
            .iter()
            .zip(&case.expect)
            .all(|(f, e)| finding_matches(f, e));
    if fired.status != Status::Failed || !exact {
        return Some(format!(
            "{id}: the case gives other findings than it expects ({:?} {}); it gives:\n{found}",
            fired.status,
            fired.reason.unwrap_or_default()
        ));
    }
    let example = rule.example.as_deref();
    if !fired
        .findings
        .iter()
        .any(|f| Some(f.message.as_str()) == example)
    {
        return Some(format!(
            "{id}: `example:` ({example:?}) is not the message of a finding of its case; they are:\n{found}"
        ));
    }
    None
}

#[test]
fn every_builtin_rule_passes_on_the_clean_package_and_fires_on_its_case() {
    let rules = common::builtin();
    let clean = nrqc::package::load(Path::new(common::CLEAN), &rules.schema).unwrap();
    let cases = load_cases();
    let mut problems: Vec<String> = rules
        .rules
        .par_iter()
        .filter_map(|rule| match cases.get(&rule.id) {
            None => Some(format!("{}: no fire case; add one to {CASES}/", rule.id)),
            Some(case) => check(rule, case, &clean, &rules),
        })
        .collect();
    problems.extend(
        cases
            .keys()
            .filter(|id| rules.rule(id).is_none())
            .map(|id| format!("{id}: a case for a rule that is not built in")),
    );
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
