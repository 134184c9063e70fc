//! Shapefile layers: the Shapefile copies of the defective 永靖县 package
//! (`scripts/gen_format_copies.sh`, GDAL's ogr2ogr from the FlatGeobuf and GeoJSON layers, GBK
//! attributes) give exactly the findings of the original: same rules, feature ids, messages,
//! measured values and geometries. No geometry normalisation is needed: ogr2ogr reverses each
//! ring to the shapefile's clockwise outer rings, and the reader turns it back vertex for vertex.

use crate::common;

use std::path::Path;

use common::{copy_package, inspect, DEFECTIVE};
use nrqc::report::Report;

const SHP: &str = "fixtures/622923_永靖县_defective_shp";
/// The same without `.cpg` files: the encoding comes from package.yaml and the bytes.
const SHP_NOCPG: &str = "fixtures/622923_永靖县_defective_shp_nocpg";

/// Asserts that `copy` gives the findings and rule outcomes of `original`, naming the first
/// finding that differs.
fn assert_same_findings(copy: &Report, original: &Report, what: &str) {
    let outcomes = |r: &Report| -> Vec<(String, String, Option<String>, usize)> {
        r.rules
            .iter()
            .map(|x| {
                (
                    x.id.clone(),
                    format!("{:?}", x.status),
                    x.reason.clone(),
                    x.findings,
                )
            })
            .collect()
    };
    assert_eq!(outcomes(copy), outcomes(original), "{what}: rule outcomes");
    let mut blanks = 0;
    for (i, (a, b)) in copy.findings.iter().zip(&original.findings).enumerate() {
        // dBASE has no null text: an empty string and a null are both a blank field, which is
        // read as null (as GDAL does). The one difference allowed is a measured "" in the
        // original that the copy measures as null.
        let mut b = b.clone();
        if let Some(m) = b.measured.as_mut() {
            blanks += blank_to_null(m);
        }
        assert_eq!(a, &b, "{what}: finding {i} differs");
    }
    // The three findings of the original that measure an empty string (ZR-N001 and its kin).
    assert_eq!(blanks, 3, "{what}: blank text values measured");
    assert_eq!(
        copy.findings.len(),
        original.findings.len(),
        "{what}: number of findings"
    );
    assert!(!original.findings.is_empty());
}

/// Replaces every `""` in `v` by null; returns how many it replaced.
fn blank_to_null(v: &mut serde_json::Value) -> usize {
    match v {
        serde_json::Value::String(s) if s.is_empty() => {
            *v = serde_json::Value::Null;
            1
        }
        serde_json::Value::Array(a) => a.iter_mut().map(blank_to_null).sum(),
        serde_json::Value::Object(o) => o.values_mut().map(blank_to_null).sum(),
        _ => 0,
    }
}

#[test]
fn shapefile_copies_give_the_findings_of_the_flatgeobuf_original() {
    let original = inspect(DEFECTIVE, 2);
    for copy in [SHP, SHP_NOCPG] {
        let report = inspect(copy, 2);
        assert_same_findings(&report, &original, copy);
        assert_eq!(
            report.package.feature_counts,
            original.package.feature_counts
        );
        // Every file of every layer was read and hashed; none is listed as unread.
        assert!(
            report.package.unread.is_empty(),
            "{:?}",
            report.package.unread
        );
        let files: Vec<&str> = report
            .package
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        for layer in ["CKQ", "KCZY", "STBHHX", "XZQ", "YJJBNT", "ZRZK", "ZRZYDJDY"] {
            for ext in ["shp", "shx", "dbf", "prj"] {
                let path = format!("vector/{layer}.{ext}");
                assert!(
                    files.contains(&path.as_str()),
                    "{copy}: {path} not in {files:?}"
                );
            }
            let cpg = format!("vector/{layer}.cpg");
            assert_eq!(files.contains(&cpg.as_str()), copy == SHP, "{copy}: {cpg}");
            // The .prj (ESRI WKT, as GDAL writes it) is recognised as the EPSG code the
            // original declares: 4522, and 4523 for the layer whose zone is a defect.
            assert_eq!(
                report.package.layer_crs[layer].epsg, original.package.layer_crs[layer].epsg,
                "{copy}: {layer}"
            );
            assert!(report.package.layer_crs[layer].epsg.is_some());
        }
        // The .cpg, or package.yaml's `encoding: GBK`, agrees with the bytes: nothing to note.
        assert!(
            report.package.notes.is_empty(),
            "{:?}",
            report.package.notes
        );
    }
}

#[test]
fn a_wrong_encoding_label_is_overridden_and_reported() {
    // UTF-8 .cpg files over GBK attributes: the bytes win, the findings are unchanged, and the
    // report says which label was overridden.
    let (_dir, root) = copy_package(SHP_NOCPG);
    for layer in ["ZRZK", "ZRZYDJDY"] {
        std::fs::write(root.join(format!("vector/{layer}.cpg")), "UTF-8").unwrap();
    }
    let report = inspect(root.to_str().unwrap(), 2);
    assert_same_findings(&report, &inspect(DEFECTIVE, 2), "UTF-8 .cpg over GBK");
    let notes: Vec<(&str, &str)> = report
        .package
        .notes
        .iter()
        .map(|n| (n.path.as_str(), n.message.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                "vector/ZRZK.dbf",
                "declared UTF-8 by vector/ZRZK.cpg, but its text is GBK: read as GBK"
            ),
            (
                "vector/ZRZYDJDY.dbf",
                "declared UTF-8 by vector/ZRZYDJDY.cpg, but its text is GBK: read as GBK"
            ),
        ]
    );
    let md = nrqc::report::render_markdown(&report);
    assert!(
        md.contains("读取说明"),
        "the Markdown report shows the notes"
    );
}

#[test]
fn a_non_ascii_file_name_mapped_in_the_manifest_is_read() {
    let (_dir, root) = copy_package(SHP);
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        std::fs::rename(
            root.join(format!("vector/ZRZYDJDY.{ext}")),
            root.join(format!("vector/自然资源登记单元.{ext}")),
        )
        .unwrap();
    }
    let manifest = root.join("package.yaml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("layers:\n  ZRZYDJDY: vector/自然资源登记单元.shp\n");
    std::fs::write(&manifest, text).unwrap();
    let report = inspect(root.to_str().unwrap(), 2);
    assert_same_findings(&report, &inspect(DEFECTIVE, 2), "自然资源登记单元.shp");
    assert!(
        report.package.unread.is_empty(),
        "{:?}",
        report.package.unread
    );
    assert!(report
        .package
        .files
        .iter()
        .any(|f| f.path == "vector/自然资源登记单元.dbf"));
}

fn load_error(root: &Path) -> String {
    let rules = common::builtin();
    match nrqc::inspect(root, &rules, nrqc::quality::DefectClass::B) {
        Ok(report) => match report.package.unreadable.first() {
            Some(u) => u.error.clone(),
            None => panic!("{} was read", root.display()),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_shx_or_dbf_is_an_error_naming_the_file() {
    for ext in ["shx", "dbf"] {
        let (_dir, root) = copy_package(SHP);
        std::fs::remove_file(root.join(format!("vector/ZRZK.{ext}"))).unwrap();
        let e = load_error(&root);
        assert!(
            e.starts_with(&format!("vector/ZRZK.{ext}: ZRZK: missing")),
            "{e}"
        );
    }
}

#[test]
fn a_truncated_shp_is_an_error_naming_the_file_and_feature() {
    let (_dir, root) = copy_package(SHP);
    let shp = root.join("vector/ZRZK.shp");
    let bytes = std::fs::read(&shp).unwrap();
    std::fs::write(&shp, &bytes[..bytes.len() - 100]).unwrap();
    let e = load_error(&root);
    assert!(
        e.starts_with("vector/ZRZK.shp: ZRZK, feature ") && e.contains("outside the file"),
        "{e}"
    );
}
