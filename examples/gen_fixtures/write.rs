//! Writing a package (FlatGeobuf, GeoJSON, GBK CSV, manifest) and its ground truth.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::Geometry;
use geozero::{ColumnValue, PropertyProcessor};

use crate::defects::Finding;
use crate::model::{Kind, Layer, Package, Row, Value};
use crate::shape::polygon;

/// `value` / 10^places with exactly `places` decimals, without going through a float.
/// Coordinates and areas here are never negative.
pub fn decimal(value: i64, places: u32) -> String {
    let scale = 10i64.pow(places);
    format!(
        "{}.{:0width$}",
        value / scale,
        value % scale,
        width = places as usize
    )
}

pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// Writes `package` into `dir`, which is emptied first so no file of an older run survives.
pub fn write_package(dir: &Path, package: &Package) -> std::io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir.join("vector"))?;
    fs::create_dir_all(dir.join("tables"))?;
    fs::write(dir.join("package.yaml"), manifest(package))?;
    if let Some(documents) = &package.documents {
        fs::create_dir_all(dir.join("docs"))?;
        for name in documents {
            // nrqc reads documents by name only; the content is a placeholder.
            fs::write(dir.join("docs").join(name), "fixture placeholder\n")?;
        }
    }
    let delivered = |layer: &Layer| !package.missing.contains(&layer.name);
    for layer in [
        &package.xzq,
        &package.units,
        &package.parcels,
        &package.farmland,
        &package.deposits,
        &package.rights,
    ] {
        // KCZY and CKQ are optional: a county without minerals delivers neither.
        if delivered(layer) && !layer.rows.is_empty() {
            let mut fgb = FgbLayer::create(layer)?;
            for row in &layer.rows {
                fgb.add(layer, row)?;
            }
            fgb.finish(&dir.join(format!("vector/{}.fgb", layer.name)))?;
        }
    }
    if delivered(&package.zones) {
        fs::write(dir.join("vector/STBHHX.geojson"), geojson(&package.zones))?;
    }
    // GGGZ is required; KYQ comes with the deposits, even with no licence to link.
    let tables = [
        (&package.links, true),
        (&package.right_links, !package.deposits.rows.is_empty()),
        (&package.stats, true),
    ];
    for (table, due) in tables {
        if delivered(table) && due {
            fs::write(
                dir.join(format!("tables/{}.csv", table.name)),
                gbk_csv(table),
            )?;
        }
    }
    Ok(())
}

pub fn manifest(package: &Package) -> String {
    let county = package.county;
    format!(
        "# Test fixture written by examples/gen_fixtures; regenerate instead of editing.\n\
         xzqdm: \"{}\"\nxzqmc: {}\nlevel: county\ncrs: EPSG:{}\nproducer: {}\n\
         survey_date: 2021-10-31\nencoding: GBK\n",
        county.code,
        county.name,
        county.epsg,
        county.producer()
    )
}

/// A FlatGeobuf layer being written feature by feature (the writer keeps features in a
/// temporary file, so a layer of a million parcels never sits in memory as geometries).
pub struct FgbLayer<'a> {
    fgb: FgbWriter<'a>,
}

impl<'a> FgbLayer<'a> {
    pub fn create(layer: &Layer) -> std::io::Result<FgbLayer<'a>> {
        let options = FgbWriterOptions {
            // The spatial index would reorder features by Hilbert curve; fids must stay file
            // order.
            write_index: false,
            crs: FgbCrs {
                code: layer.epsg as i32,
                ..Default::default()
            },
            ..Default::default()
        };
        let mut fgb = FgbWriter::create_with_options(layer.name, GeometryType::Polygon, options)
            .map_err(std::io::Error::other)?;
        for (name, kind) in &layer.columns {
            let column_type = match kind {
                Kind::Text => ColumnType::String,
                Kind::Decimal | Kind::Number => ColumnType::Double,
            };
            fgb.add_column(name, column_type, |_, _| {});
        }
        Ok(FgbLayer { fgb })
    }

    pub fn add(&mut self, layer: &Layer, row: &Row) -> std::io::Result<()> {
        self.fgb
            .add_feature_geom(Geometry::Polygon(polygon(&row.ring)), |feature| {
                for (i, ((name, kind), value)) in layer.columns.iter().zip(&row.values).enumerate()
                {
                    // A null is an absent property.
                    let column_value = match (value, kind) {
                        (Value::Null, _) => continue,
                        (Value::Text(s), Kind::Number) => {
                            ColumnValue::Double(s.parse().expect("a number column holds digits"))
                        }
                        (Value::Text(s), _) => ColumnValue::String(s),
                        (Value::Area(cents) | Value::Figure(cents), _) => {
                            ColumnValue::Double(*cents as f64 / 100.0)
                        }
                    };
                    feature
                        .property(i, name, &column_value)
                        .expect("property fits its column");
                }
            })
            .map_err(std::io::Error::other)
    }

    pub fn finish(self, path: &Path) -> std::io::Result<()> {
        let file = fs::File::create(path)?;
        let mut out = std::io::BufWriter::new(file);
        self.fgb.write(&mut out).map_err(std::io::Error::other)
    }
}

/// GeoJSON with the legacy named-CRS member, as exported by desktop GIS for projected data.
fn geojson(layer: &Layer) -> String {
    let features: Vec<String> = layer
        .rows
        .iter()
        .map(|row| {
            let properties: Vec<String> = layer
                .columns
                .iter()
                .zip(&row.values)
                .map(|((name, _), value)| {
                    let json = match value {
                        Value::Null => "null".to_owned(),
                        Value::Text(s) => json_string(s),
                        Value::Area(cents) | Value::Figure(cents) => decimal(*cents, 2),
                    };
                    format!("\"{name}\": {json}")
                })
                .collect();
            let ring = row.ring.iter().chain(&row.ring[..1]);
            let coords: Vec<String> = ring
                .map(|&(x, y)| format!("[{}, {}]", decimal(x, 3), decimal(y, 3)))
                .collect();
            format!(
                "{{\"type\": \"Feature\", \"properties\": {{{}}}, \
                 \"geometry\": {{\"type\": \"Polygon\", \"coordinates\": [[{}]]}}}}",
                properties.join(", "),
                coords.join(", ")
            )
        })
        .collect();
    format!(
        "{{\n\"type\": \"FeatureCollection\",\n\"name\": \"{}\",\n\
         \"crs\": {{\"type\": \"name\", \
         \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::{}\"}}}},\n\
         \"features\": [\n{}\n]\n}}\n",
        layer.name,
        layer.epsg,
        features.join(",\n")
    )
}

/// The table as CSV with a header row, encoded in GBK as the manifest declares.
pub fn gbk_csv(layer: &Layer) -> Vec<u8> {
    let mut csv = layer
        .columns
        .iter()
        .map(|c| c.0)
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for row in &layer.rows {
        let cells: Vec<String> = row
            .values
            .iter()
            .map(|value| match value {
                Value::Null => String::new(),
                Value::Text(s) if s.contains([',', '"', '\n']) => {
                    format!("\"{}\"", s.replace('"', "\"\""))
                }
                Value::Text(s) => s.clone(),
                Value::Area(cents) | Value::Figure(cents) => decimal(*cents, 2),
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(
        !unmappable,
        "{} holds a character GBK cannot encode",
        layer.name
    );
    bytes.into_owned()
}

pub fn truth_yaml(name: &str, package: &Package, findings: &[Finding]) -> String {
    let mut yaml = format!(
        "# Ground truth for {name}: the findings the rules of rules/*.yaml must report, one\n\
         # entry per finding. fids are 0-based feature indices (CSV: data-row indices), none for a\n\
         # finding on a layer as a whole; keys are the schema key of each fid ([ZRZYDJDYH,\n\
         # GGGZFQBSM] for GGGZ). A note says which injected defect causes the finding.\n\
         # not_run: every rule the defects stop from running, with the reason the report gives.\n\
         # Written by examples/gen_fixtures; regenerate instead of editing.\n\
         package: {name}\nfindings:\n"
    );
    let (stopped, findings): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.not_run.is_some());
    for finding in findings {
        let layer = package.layer(finding.layer);
        let fids: Vec<String> = finding.fids.iter().map(usize::to_string).collect();
        let keys: Vec<String> = finding
            .fids
            .iter()
            .map(|&fid| {
                let key: Vec<String> = layer.key_of(fid).iter().map(|k| json_string(k)).collect();
                match key.len() {
                    1 => key[0].clone(),
                    _ => format!("[{}]", key.join(", ")),
                }
            })
            .collect();
        yaml += &format!(
            "  - rule: {}\n    layer: {}\n    fids: [{}]\n    keys: [{}]\n    note: {}\n",
            finding.rule,
            finding.layer,
            fids.join(", "),
            keys.join(", "),
            json_string(&finding.note)
        );
    }
    // The report gives one reason per rule: a later defect that stops a rule again (on another
    // of the layers it measures) names the reason as it then reads; the notes of both stay.
    let mut by_rule: BTreeMap<&str, (&str, &str, Vec<&str>)> = BTreeMap::new();
    for f in stopped {
        let reason = f.not_run.as_deref().expect("partitioned on not_run");
        let entry = by_rule
            .entry(&f.rule)
            .or_insert((f.layer, reason, Vec::new()));
        (entry.0, entry.1) = (f.layer, reason);
        entry.2.push(&f.note);
    }
    yaml += if by_rule.is_empty() {
        "not_run: []\n"
    } else {
        "not_run:\n"
    };
    for (rule, (layer, reason, notes)) in by_rule {
        yaml += &format!(
            "  - rule: {rule}\n    layer: {layer}\n    reason: {}\n    note: {}\n",
            json_string(reason),
            json_string(&notes.join("; "))
        );
    }
    yaml
}
