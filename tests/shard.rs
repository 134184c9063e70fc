//! `nrqc batch --shard K/N` and `nrqc merge`: a batch inspected in shards, as separate
//! processes, and merged equals the batch run whole; the manifests merge refuses.

use std::path::Path;

use crate::common::*;
use nrqc::report;

/// Asserts `a == b`, showing the first line that differs rather than both texts.
fn same(a: &[u8], b: &[u8], what: &str) {
    if a == b {
        return;
    }
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(a.lines().count().min(b.lines().count()));
    let at = |t: &str| {
        t.lines()
            .nth(line)
            .unwrap_or("<end>")
            .chars()
            .take(400)
            .collect::<String>()
    };
    panic!(
        "{what} differs at line {}:\n  {}\n  {}",
        line + 1,
        at(&a),
        at(&b)
    );
}

/// What a shard keeps of a county (its report before the cross-package rules, and its map) reads
/// back into reports byte for byte equal to those rendered from the inspection itself: merge
/// re-renders every county from it.
#[test]
fn a_report_and_its_map_read_back_render_the_same_files() {
    let rules = builtin();
    let profile = rules.profile(Some("prefecture")).unwrap().clone();
    for package in [
        DEFECTIVE,
        MISSING_LAYERS,
        "fixtures/622925_和政县_defective",
    ] {
        let inspection = nrqc::Inspection::run(Path::new(package), &rules, &()).unwrap();
        let (original, map) = inspection.report_and_map(&profile);
        let json = serde_json::to_string(&original).unwrap();
        let read: report::Report = serde_json::from_str(&json).unwrap();
        let map_read: report::MapLayers =
            serde_json::from_str(&serde_json::to_string(&map).unwrap()).unwrap();
        let json = |r: &report::Report| report::render_json(r).into_bytes();
        same(&json(&read), &json(&original), package);
        let md = |r: &report::Report| report::render_markdown(r).into_bytes();
        same(&md(&read), &md(&original), package);
        let junit = |r: &report::Report| report::render_junit(r).into_bytes();
        same(&junit(&read), &junit(&original), package);
        let geojson = |r: &report::Report| report::render_geojson(r).unwrap().into_bytes();
        same(&geojson(&read), &geojson(&original), package);
        let fgb = |r: &report::Report| report::render_fgb(r).unwrap();
        same(&fgb(&read), &fgb(&original), package);
        for lang in [report::Lang::Zh, report::Lang::En] {
            same(
                report::render_html(&read, &map_read, lang).as_bytes(),
                report::render_html(&original, &map, lang).as_bytes(),
                package,
            );
        }
        assert!(!read.findings.is_empty(), "{package}");
    }
}
