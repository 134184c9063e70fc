//! The error layer: every finding that has a geometry, as a feature an inspector opens in QGIS or
//! ArcGIS over the delivery. Both files are in the package CRS so they overlay the delivered layers
//! without reprojection.
//!
//! The layer mixes geometry types (overlaps are polygons, a bad vertex may be a point), so the
//! FlatGeobuf header declares `Unknown`; single polygons and lines are promoted to their multi
//! types so that a GIS splits it into as few sub-layers as possible.

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geozero::{ColumnValue, PropertyProcessor, ToJson};

use super::Report;

use crate::finding::Finding;

/// The attribute fields, in this order in both files.
pub const FIELDS: [&str; 9] = [
    "rule_id", "class", "element", "layer", "fids", "keys", "message", "measured", "expected",
];

/// A finding's attributes in [`FIELDS`] order; `None` is a null.
fn attributes(f: &Finding) -> [Option<String>; 9] {
    let join = |parts: Vec<String>| Some(parts.join(","));
    let keys = if f.feature_ids.iter().any(|id| id.key.is_some()) {
        // Positions are kept (an empty entry for a feature without a key) so `keys` lines up
        // with `fids`.
        join(
            f.feature_ids
                .iter()
                .map(|id| id.key.clone().unwrap_or_default())
                .collect(),
        )
    } else {
        None
    };
    [
        Some(f.rule_id.clone()),
        Some(f.class.to_string()),
        Some(f.element.clone()),
        Some(f.layer.clone()),
        join(f.feature_ids.iter().map(|id| id.fid.to_string()).collect()),
        keys,
        Some(f.message.clone()),
        f.measured.as_ref().map(|v| v.to_string()),
        f.expected.as_ref().map(|v| v.to_string()),
    ]
}

fn located(report: &Report) -> impl Iterator<Item = (&Finding, &Geometry<f64>)> {
    report
        .findings
        .iter()
        .filter_map(|f| Some((f, f.geometry.as_ref()?)))
}

/// `errors.fgb`: FlatGeobuf with a spatial index, the package's EPSG code in its header.
pub fn render_fgb(report: &Report) -> std::io::Result<Vec<u8>> {
    fgb(
        located(report),
        // A package without a CRS has no layers, so no finding has a geometry to place.
        report.package.manifest.epsg.unwrap_or(0),
        &format!("nrqc findings: {}", report.package.name),
    )
}

fn fgb<'a>(
    located: impl Iterator<Item = (&'a Finding, &'a Geometry<f64>)>,
    epsg: u32,
    title: &str,
) -> std::io::Result<Vec<u8>> {
    let mut fgb = FgbWriter::create_with_options(
        "errors",
        GeometryType::Unknown,
        FgbWriterOptions {
            write_index: true,
            detect_type: false,
            promote_to_multi: true,
            crs: FgbCrs {
                code: epsg as i32,
                ..Default::default()
            },
            title: Some(title),
            ..Default::default()
        },
    )
    .map_err(std::io::Error::other)?;
    for name in FIELDS {
        fgb.add_column(name, ColumnType::String, |_, col| col.nullable = true);
    }
    for (finding, geometry) in located {
        let mut failed = None;
        fgb.add_feature_geom(without_collections(geometry), |feature| {
            for (i, (name, value)) in FIELDS.iter().zip(attributes(finding)).enumerate() {
                if let Some(value) = value {
                    if let Err(e) = feature.property(i, name, &ColumnValue::String(&value)) {
                        failed.get_or_insert(e);
                    }
                }
            }
        })
        .map_err(std::io::Error::other)?;
        if let Some(e) = failed {
            return Err(std::io::Error::other(e));
        }
    }
    let mut out = Vec::new();
    fgb.write(&mut out).map_err(std::io::Error::other)?;
    Ok(out)
}

/// The geometry as FlatGeobuf can hold it in a layer of mixed types: the flatgeobuf crate's
/// writer garbles a GeometryCollection there, so a collection becomes the multi geometry of its
/// parts of the highest dimension (a finding's collection is in practice all polygons). The
/// GeoJSON file keeps the collection.
fn without_collections(g: &Geometry<f64>) -> Geometry<f64> {
    fn parts(
        g: &Geometry<f64>,
        points: &mut Vec<Point<f64>>,
        lines: &mut Vec<LineString<f64>>,
        polygons: &mut Vec<Polygon<f64>>,
    ) {
        match g {
            Geometry::Point(p) => points.push(*p),
            Geometry::MultiPoint(m) => points.extend(m.iter().copied()),
            Geometry::Line(l) => lines.push((*l).into()),
            Geometry::LineString(l) => lines.push(l.clone()),
            Geometry::MultiLineString(m) => lines.extend(m.iter().cloned()),
            Geometry::Polygon(p) => polygons.push(p.clone()),
            Geometry::MultiPolygon(m) => polygons.extend(m.iter().cloned()),
            Geometry::Rect(r) => polygons.push(r.to_polygon()),
            Geometry::Triangle(t) => polygons.push(t.to_polygon()),
            Geometry::GeometryCollection(c) => {
                for g in c {
                    parts(g, points, lines, polygons);
                }
            }
        }
    }
    if !matches!(g, Geometry::GeometryCollection(_)) {
        return g.clone();
    }
    let (mut points, mut lines, mut polygons) = (vec![], vec![], vec![]);
    parts(g, &mut points, &mut lines, &mut polygons);
    if !polygons.is_empty() {
        MultiPolygon(polygons).into()
    } else if !lines.is_empty() {
        MultiLineString(lines).into()
    } else {
        MultiPoint(points).into()
    }
}

/// `errors.geojson`, one feature a line. RFC 7946 GeoJSON is WGS84 only; this keeps the package
/// CRS and names it with the legacy `crs` member (as the packages' own GeoJSON layers do), which
/// GDAL, QGIS and ArcGIS honour, rather than reprojecting away from the delivery's coordinates.
pub fn render_geojson(report: &Report) -> std::io::Result<String> {
    let crs = report.package.manifest.epsg.map_or_else(String::new, |epsg| {
        format!("\"crs\": {{ \"type\": \"name\", \"properties\": {{ \"name\": \"urn:ogc:def:crs:EPSG::{epsg}\" }} }},\n")
    });
    let mut out = format!(
        "{{\n\"type\": \"FeatureCollection\",\n\"name\": \"errors\",\n{crs}\"features\": ["
    );
    for (n, (finding, geometry)) in located(report).enumerate() {
        let properties: Vec<String> = FIELDS
            .iter()
            .zip(attributes(finding))
            .map(|(name, value)| format!("{}: {}", json_string(name), json_value(value)))
            .collect();
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        out.push_str(&format!(
            "{{ \"type\": \"Feature\", \"properties\": {{ {} }}, \"geometry\": {} }}",
            properties.join(", "),
            geometry.to_json().map_err(std::io::Error::other)?
        ));
    }
    out.push_str("\n]\n}\n");
    Ok(out)
}

fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn json_value(v: Option<String>) -> String {
    v.map_or_else(|| "null".to_owned(), |s| json_string(&s))
}

#[cfg(test)]
mod tests {
    use geo::{line_string, point, polygon, Geometry, GeometryCollection};

    use super::*;
    use crate::finding::FeatureId;
    use crate::quality::DefectClass;

    #[test]
    fn mixed_geometry_types_round_trip_through_flatgeobuf() {
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let geometries: Vec<Geometry<f64>> = vec![
            square.clone().into(),
            point!(x: 2.0, y: 2.0).into(),
            line_string![(x: 0.0, y: 0.0), (x: 3.0, y: 3.0)].into(),
            Geometry::GeometryCollection(GeometryCollection::new_from(vec![
                square.into(),
                point!(x: 5.0, y: 5.0).into(),
            ])),
        ];
        let findings: Vec<Finding> = geometries
            .into_iter()
            .map(|g| {
                Finding::new(
                    "T-1",
                    DefectClass::B,
                    "e",
                    "L",
                    vec![FeatureId { fid: 1, key: None }],
                    "m".into(),
                )
                .with_expected(serde_json::json!({"a": 1}))
                .with_geometry(Some(g))
            })
            .collect();
        let bytes = fgb(
            findings.iter().map(|f| (f, f.geometry.as_ref().unwrap())),
            4522,
            "t",
        )
        .unwrap();
        let mut reader = flatgeobuf::FgbReader::open(std::io::Cursor::new(bytes))
            .unwrap()
            .select_all()
            .unwrap();
        let mut read = Vec::new();
        while let Some(feature) = flatgeobuf::FallibleStreamingIterator::next(&mut reader).unwrap()
        {
            use geozero::ToGeo;
            read.push(feature.to_geo().unwrap());
        }
        read.sort_by_key(|g| format!("{g:?}"));
        let read: Vec<String> = read.iter().map(|g| format!("{g:?}")).collect();
        // Single lines and polygons come back as their multi types; the collection as its
        // polygons.
        assert_eq!(
            read,
            [
                "MULTILINESTRING((0.0 0.0,3.0 3.0))",
                "MULTIPOLYGON(((0.0 0.0,1.0 0.0,1.0 1.0,0.0 0.0)))",
                "MULTIPOLYGON(((0.0 0.0,1.0 0.0,1.0 1.0,0.0 0.0)))",
                "POINT(2.0 2.0)",
            ]
        );
    }
}
