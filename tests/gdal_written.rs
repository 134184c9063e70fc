//! Layers as GDAL writes them (`ogr2ogr`, as QGIS and most producers' tools do), read the way
//! GDAL itself reads them. `ogr2ogr` (Debian `gdal-bin`) is required: the tests fail, never skip,
//! without it. `.ci/run` installs it. The full fixture × format matrix is tests/conformance.rs.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{copy_package, CLEAN};
use nrqc::report::Outcome;

fn ogr2ogr(args: &[&str]) {
    let o = Command::new("ogr2ogr")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("ogr2ogr cannot be started ({e}): install it with `apt-get install gdal-bin`")
        });
    assert!(
        o.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Rewrites `vector/<layer>.fgb` of `pkg` through ogr2ogr, with `extra` options.
fn rewrite_fgb(pkg: &Path, layer: &str, extra: &[&str]) {
    let file = pkg.join(format!("vector/{layer}.fgb"));
    let from = pkg.join(format!("{layer}.orig.fgb"));
    std::fs::rename(&file, &from).unwrap();
    let mut args = vec!["-f", "FlatGeobuf"];
    args.extend_from_slice(extra);
    args.extend([file.to_str().unwrap(), from.to_str().unwrap()]);
    ogr2ogr(&args);
    std::fs::remove_file(&from).unwrap();
}

fn inspect(pkg: &Path) -> nrqc::report::Report {
    nrqc::inspect(pkg, &common::builtin(), nrqc::quality::DefectClass::B)
        .unwrap_or_else(|e| panic!("{}: {e}", pkg.display()))
}

/// GDAL writes a spatial index by default; for one feature it holds a leaf and a root node. The
/// reader took it for an index of one node and read the root node as a feature ("it declares
/// 3240418607 bytes").
#[test]
fn a_one_feature_flatgeobuf_with_gdals_spatial_index_is_read() {
    let (_dir, pkg) = copy_package(CLEAN);
    rewrite_fgb(&pkg, "XZQ", &[]);
    let report = inspect(&pkg);
    assert!(
        report.package.unreadable.is_empty(),
        "{:?}",
        report.package.unreadable
    );
    assert_eq!(report.package.feature_counts["XZQ"], 1);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.outcome, Outcome::Pass);
}

/// A feature whose geometry is null, as GDAL 3.7 and later write it: a feature table without a
/// geometry. (The GDAL 3.6 of Debian 12 drops such features when it writes FlatGeobuf, so the
/// test writes the record itself and asks `ogrinfo` that GDAL reads it.) The flatgeobuf crate
/// refused it ("geometry format"); it is a row without geometry, reported by the geometry rule.
#[test]
fn a_null_geometry_as_gdal_writes_it_is_a_feature_without_geometry() {
    let (_dir, pkg) = copy_package(CLEAN);
    rewrite_fgb(&pkg, "ZRZK", &["-lco", "SPATIAL_INDEX=NO"]);
    let file = pkg.join("vector/ZRZK.fgb");
    let bytes = std::fs::read(&file).unwrap();
    let header_end = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let first_len = u32::from_le_bytes(bytes[header_end..header_end + 4].try_into().unwrap());
    let first_end = header_end + 4 + first_len as usize;
    let first = flatgeobuf::size_prefixed_root_as_feature(&bytes[header_end..first_end]).unwrap();
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let properties = first.properties().map(|p| fbb.create_vector(p.bytes()));
    let feature = flatgeobuf::Feature::create(
        &mut fbb,
        &flatgeobuf::FeatureArgs {
            geometry: None,
            properties,
            columns: None,
        },
    );
    fbb.finish_size_prefixed(feature, None);
    let mut rewritten = bytes[..header_end].to_vec();
    rewritten.extend_from_slice(fbb.finished_data());
    rewritten.extend_from_slice(&bytes[first_end..]);
    std::fs::write(&file, rewritten).unwrap();

    let original = inspect(Path::new(CLEAN));
    let features = original.package.feature_counts["ZRZK"];
    let gdal = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q", file.to_str().unwrap()])
        .output()
        .expect("ogrinfo (apt-get install gdal-bin)");
    let listing = String::from_utf8_lossy(&gdal.stdout);
    assert!(
        gdal.status.success(),
        "{}",
        String::from_utf8_lossy(&gdal.stderr)
    );
    assert_eq!(
        listing.matches("OGRFeature(ZRZK):").count(),
        features,
        "{listing}"
    );
    assert_eq!(
        listing.matches("POLYGON ((").count() + listing.matches("MULTIPOLYGON (((").count(),
        features - 1
    );

    let report = inspect(&pkg);
    assert!(
        report.package.unreadable.is_empty(),
        "{:?}",
        report.package.unreadable
    );
    assert_eq!(report.package.feature_counts["ZRZK"], features);
    let g002: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "ZR-G002")
        .collect();
    assert_eq!(g002.len(), 1, "{g002:#?}");
    assert_eq!(g002[0].feature_ids[0].fid, 0);
    assert_eq!(
        g002[0].measured.as_ref().unwrap()["reasons"],
        serde_json::json!(["geometry_null"]),
        "{g002:#?}"
    );
}

/// CGCS2000 / 3-degree Gauss-Kruger zone 34 (EPSG:4522) in OGC WKT1 without its authority codes,
/// as a producer's own CRS definition reaches GDAL.
const WKT_4522_NO_AUTHORITY: &str = concat!(
    r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 34",GEOGCS["China Geodetic Coordinate System 2000","#,
    r#"DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],"#,
    r#"UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],"#,
    r#"PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",102],PARAMETER["scale_factor",1],"#,
    r#"PARAMETER["false_easting",34500000],PARAMETER["false_northing",0],UNIT["metre",1]]"#
);

/// A CRS GDAL cannot name by an authority is written as WKT alone: into the FlatGeobuf header
/// with code 0, and into gpkg_spatial_ref_sys with organization `NONE`. The readers took that
/// for no EPSG code, and ZR-P001 reported the layer's CRS as unrecognisable; the WKT is
/// recognised as a `.prj` is.
#[test]
fn a_crs_given_only_as_wkt_is_recognised_in_flatgeobuf_and_geopackage() {
    for format in ["FlatGeobuf", "GPKG"] {
        let (dir, pkg) = copy_package(CLEAN);
        let wkt = dir.path().join("4522.wkt");
        std::fs::write(&wkt, WKT_4522_NO_AUTHORITY).unwrap();
        let wkt = wkt.to_str().unwrap();
        if format == "FlatGeobuf" {
            rewrite_fgb(&pkg, "XZQ", &["-a_srs", wkt]);
        } else {
            // vector/XZQ.gpkg in place of XZQ.fgb, found by its layer's name.
            let fgb = pkg.join("vector/XZQ.fgb");
            let gpkg = pkg.join("vector/XZQ.gpkg");
            ogr2ogr(&[
                "-f",
                "GPKG",
                "-a_srs",
                wkt,
                "-nln",
                "XZQ",
                gpkg.to_str().unwrap(),
                fgb.to_str().unwrap(),
            ]);
            std::fs::remove_file(&fgb).unwrap();
        }
        let dataset = nrqc::package::load(&pkg, &common::builtin().schema).unwrap();
        let frame = dataset.frame("XZQ").unwrap();
        let file = if format == "GPKG" {
            "vector/XZQ.gpkg"
        } else {
            "vector/XZQ.fgb"
        };
        assert_eq!(frame.path, std::path::Path::new(file));
        let crs = &frame.geometry.as_ref().unwrap().crs;
        assert!(
            crs.text.as_deref().is_some_and(|t| t.contains("zone 34")),
            "{format}: GDAL kept the WKT: {crs:?}"
        );
        assert_eq!(crs.epsg, Some(4522), "{format}");
        let report = inspect(&pkg);
        assert!(
            report.findings.is_empty(),
            "{format}: {:#?}",
            report.findings
        );
        assert_eq!(report.outcome, Outcome::Pass, "{format}");
    }
}
