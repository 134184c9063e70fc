//! GDAL conformance: every fixture package, converted layer by layer by GDAL's `ogr2ogr` into
//! each form a producer's tools write, gives the findings of the original; and small edge cases
//! (null geometries, a single-feature layer, multipolygons whose parts touch, holes), converted
//! the same way, read as GEOS reads their source, with GEOS's validity verdict.
//!
//! The forms: FlatGeobuf with GDAL's default spatial index and without one
//! (`-lco SPATIAL_INDEX=NO`), GeoJSON, GeoPackage (every layer in one `.gpkg`, mapped in
//! package.yaml as `file.gpkg#LAYER`), and Shapefile with GBK attributes (`-lco ENCODING=GBK`),
//! with its `.cpg` and without it, and File Geodatabase (`-f OpenFileGDB`, every layer in one
//! `vector/<package>.gdb` found by name, and the same zipped as `<package>.gdb.zip` and mapped as
//! `file.gdb.zip#LAYER`). Tables stay CSV. The conversion runs here, with the installed
//! `gdal-bin`, so a GDAL that writes differently is caught by the next run, not by a stale copy.
//! A finding is compared whole: rule, layer, feature ids (fid and key), related features,
//! message, measured, expected and geometry; and each rule's status, reason and coverage.
//!
//! What a form cannot carry is handled narrowly, each difference found by GDAL (never by nrqc),
//! counted and printed:
//! - dBASE has no null text: a Shapefile copy reads an empty string of the original as null (as
//!   GDAL does). The only difference allowed is a measured `""` that the copy measures as null,
//!   and their number must be exactly the blank-text defects the ground truth lists on layers.
//! - GDAL's Shapefile driver writes a Real field without a width as `N(24,15)`, which cannot hold
//!   a county's area in m² (2 038 428 439.08; GDAL warns "not successfully written"): Real
//!   fields are cast to `numeric(24,6)` in the conversion, more decimals than any area carries.
//! - GDAL's GeoJSON writer leaves out a field that no feature sets (a GeoJSON layer has no schema
//!   but its members): the rules of [`FIELD_RULES`] reading such an optional field do not apply
//!   (a rule that reads the field), or do not run (a SQL condition naming it cannot be evaluated),
//!   with the reason naming the field, and no other rule may change.
//! - GDAL's FlatGeobuf writer sorts features along a Hilbert curve for the spatial index. The
//!   copy's features are mapped back to the source by GDAL's reading of both files; the same
//!   defects must be found on the same features (rule, measured, expected, every feature named
//!   with its fid and key); and the whole findings must equal those of the same features in the
//!   same order without the index (`ogr2ogr -lco SPATIAL_INDEX=NO` of the indexed copy).
//! - GDAL 3.6's FlatGeobuf writer leaves out features without geometry; the edge cases then
//!   expect what GDAL reads back.
//!
//! Every warning `ogr2ogr` prints fails the test: a conversion that lost something silently would
//! make the comparison meaningless.
//!
//! Without `ogr2ogr` this fails, naming what to install, unless `NRQC_SKIP_GDAL=1` opts out; CI
//! installs gdal-bin (`.ci/run`) and never sets it.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{builtin, copy_dir, truth, COUNTIES, MISSING_LAYERS};
use nrqc::finding::Status;
use nrqc::quality::DefectClass;
use nrqc::report::Report;
use nrqc::rules::RuleSet;

const OPT_OUT: &str = "NRQC_SKIP_GDAL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    FlatGeobuf,
    FlatGeobufNoIndex,
    GeoJson,
    GeoPackage,
    Shapefile,
    ShapefileNoCpg,
    /// A File Geodatabase folder, `vector/<package>.gdb`, its feature classes found by name.
    FileGdb,
    /// The same zipped, `vector/<package>.gdb.zip`, mapped in package.yaml as `file#LAYER`.
    FileGdbZip,
}

const FORMS: [Form; 8] = [
    Form::FlatGeobuf,
    Form::FlatGeobufNoIndex,
    Form::GeoJson,
    Form::GeoPackage,
    Form::Shapefile,
    Form::ShapefileNoCpg,
    Form::FileGdb,
    Form::FileGdbZip,
];

impl Form {
    fn is_shapefile(self) -> bool {
        matches!(self, Form::Shapefile | Form::ShapefileNoCpg)
    }
}

/// Whether GDAL is there; `false` only when it is missing and the opt-out is set.
fn gdal_available() -> bool {
    match Command::new("ogr2ogr").arg("--version").output() {
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!(
            "ogr2ogr --version failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var(OPT_OUT).is_ok_and(|v| v == "1") {
                eprintln!("skipped: no ogr2ogr, and {OPT_OUT}=1");
                return false;
            }
            panic!(
                "ogr2ogr (GDAL) is needed for the conformance suite: install it (`apt-get install \
                 -y gdal-bin`, as .ci/run does), or set {OPT_OUT}=1 to skip it"
            )
        }
        Err(e) => panic!("cannot run ogr2ogr: {e}"),
    }
}

/// Runs a GDAL tool; a failure, or any warning on stderr, fails the test. Returns stdout.
fn gdal(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let o = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && stderr.trim().is_empty(),
        "{program} {args:?}: {}\n{stderr}",
        o.status
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A layer file as GDAL reads it (`ogrinfo -al`).
struct Reading {
    /// (name, type) of each field, in order.
    fields: Vec<(String, String)>,
    /// Each feature as `ogrinfo` prints it (fields, then geometry as WKT), in the file's order.
    features: Vec<String>,
}

impl Reading {
    /// The fields that no feature sets (`ogrinfo` prints a null as `(null)` and leaves an unset
    /// field out).
    fn never_set(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| {
                let printed = format!("{name} (");
                !self
                    .features
                    .iter()
                    .any(|b| b.lines().any(|l| l.trim_start().starts_with(&printed)))
            })
            .collect()
    }
}

/// GDAL's reading of a layer file, read once per file for all the tests here.
fn reading(file: &Path) -> std::sync::Arc<Reading> {
    type Cache = std::sync::Mutex<BTreeMap<PathBuf, std::sync::Arc<Reading>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().unwrap().get(file) {
        return r.clone();
    }
    let out = gdal("ogrinfo", &["-al".as_ref(), file.as_os_str()]);
    let mut fields = Vec::new();
    let mut features: Vec<String> = Vec::new();
    for line in out.lines() {
        if line.starts_with("OGRFeature(") {
            features.push(String::new());
        } else if let Some(feature) = features.last_mut() {
            if !line.trim().is_empty() {
                feature.push_str(line);
                feature.push('\n');
            }
        } else if let Some(field) = field_line(line) {
            fields.push(field);
        }
    }
    let r = std::sync::Arc::new(Reading { fields, features });
    cache.lock().unwrap().insert(file.to_owned(), r.clone());
    r
}

/// A field of `ogrinfo`'s layer summary, `NAME: Type (width.precision)`.
fn field_line(line: &str) -> Option<(String, String)> {
    let (name, rest) = line.split_once(": ")?;
    let (ty, width) = rest.split_once(" (")?;
    let width = width.strip_suffix(')')?;
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let numeric = width.chars().all(|c| c.is_ascii_digit() || c == '.');
    (plain && !name.is_empty() && numeric).then(|| (name.to_owned(), ty.to_owned()))
}

/// The `-sql` that writes `layer` to a Shapefile with room for its reals (see the module doc).
fn shapefile_select(file: &Path, layer: &str) -> String {
    let columns: Vec<String> = reading(file)
        .fields
        .iter()
        .map(|(name, ty)| match ty.as_str() {
            "Real" => format!("CAST(\"{name}\" AS numeric(24,6)) AS \"{name}\""),
            _ => format!("\"{name}\""),
        })
        .collect();
    format!("SELECT {} FROM \"{layer}\"", columns.join(", "))
}

/// The layer files of a package's `vector/`, as (layer name, path), by name.
fn layer_files(pkg: &Path) -> Vec<(String, PathBuf)> {
    let Ok(dir) = std::fs::read_dir(pkg.join("vector")) else {
        return Vec::new();
    };
    let mut layers: Vec<(String, PathBuf)> = dir
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_stem().unwrap().to_str().unwrap().to_owned(), p))
        .collect();
    layers.sort();
    layers
}

/// For each feature of `copy`, the index of the feature of `source` that GDAL reads the same
/// (fields and geometry); equal features are matched in order.
fn gdal_order(source: &Path, copy: &Path) -> Vec<usize> {
    let source_features = &reading(source).features;
    let mut used = vec![false; source_features.len()];
    reading(copy)
        .features
        .iter()
        .enumerate()
        .map(|(fid, feature)| {
            let j = (0..source_features.len())
                .find(|&j| !used[j] && source_features[j] == *feature)
                .unwrap_or_else(|| {
                    panic!(
                        "{} feature {fid} is no feature of {}: {feature}",
                        copy.display(),
                        source.display()
                    )
                });
            used[j] = true;
            j
        })
        .collect()
}

/// What a conversion changed that the comparison must know, each found by GDAL.
#[derive(Default)]
struct Converted {
    /// Per layer, the source fid of each feature of the copy, where GDAL wrote them in another
    /// order: its FlatGeobuf writer sorts features along a Hilbert curve for the spatial index.
    order: BTreeMap<String, Vec<usize>>,
    /// Per layer, the fields GDAL's GeoJSON writer left out: a field no feature sets has no
    /// member in any feature, and a GeoJSON layer's fields are its members.
    dropped: BTreeMap<String, Vec<String>>,
}

/// Writes the package `src` converted into `form` to `dst`: each layer of `src/vector` by its
/// own `ogr2ogr` run, tables and documents copied, package.yaml copied with the GeoPackage's
/// layers mapped.
fn convert(src: &Path, dst: &Path, form: Form) -> Converted {
    let mut converted = Converted::default();
    let vector = dst.join("vector");
    std::fs::create_dir_all(&vector).unwrap();
    let mut manifest = std::fs::read_to_string(src.join("package.yaml")).unwrap();
    // A mapping already there would have to be rewritten, not extended.
    assert!(!manifest.contains("layers:"), "{}", src.display());
    for folder in ["tables", "docs"] {
        if src.join(folder).is_dir() {
            copy_dir(&src.join(folder), &dst.join(folder));
        }
    }
    let gpkg_name = format!("{}.gpkg", src.file_name().unwrap().to_str().unwrap());
    let gdb_name = format!("{}.gdb", src.file_name().unwrap().to_str().unwrap());
    let layers = layer_files(src);
    if matches!(form, Form::GeoPackage | Form::FileGdbZip) && !layers.is_empty() {
        manifest.push_str("layers:\n");
    }
    for (i, (name, file)) in layers.iter().enumerate() {
        let options: Vec<String> = match form {
            Form::FlatGeobuf => vec!["-f".into(), "FlatGeobuf".into()],
            Form::FlatGeobufNoIndex => ["-f", "FlatGeobuf", "-lco", "SPATIAL_INDEX=NO"]
                .map(Into::into)
                .into(),
            Form::GeoJson => vec!["-f".into(), "GeoJSON".into()],
            Form::GeoPackage if i == 0 => vec!["-f".into(), "GPKG".into()],
            Form::GeoPackage => vec!["-f".into(), "GPKG".into(), "-update".into()],
            // A feature class has one geometry type: a GeoJSON layer of polygons and
            // multipolygons (GDAL: "Unknown (any)") is written as multipolygons, which an ESRI
            // polygon shape is either way.
            Form::FileGdb | Form::FileGdbZip => {
                let summary = gdal(
                    "ogrinfo",
                    &["-so".as_ref(), file.as_os_str(), name.as_ref()],
                );
                let mixed = summary.lines().any(|l| l == "Geometry: Unknown (any)");
                ["-f", "OpenFileGDB", "-nlt", "PROMOTE_TO_MULTI"]
                    .into_iter()
                    .take(if mixed { 2 } else { 4 })
                    .chain(
                        mixed
                            .then_some(["-nlt", "MULTIPOLYGON"])
                            .into_iter()
                            .flatten(),
                    )
                    .chain((i > 0).then_some("-update"))
                    .map(Into::into)
                    .collect()
            }
            Form::Shapefile | Form::ShapefileNoCpg => vec![
                "-f".into(),
                "ESRI Shapefile".into(),
                "-lco".into(),
                "ENCODING=GBK".into(),
                "-sql".into(),
                shapefile_select(file, name),
            ],
        };
        let written = vector.join(match form {
            Form::FlatGeobuf | Form::FlatGeobufNoIndex => format!("{name}.fgb"),
            Form::GeoJson => format!("{name}.geojson"),
            Form::GeoPackage => gpkg_name.clone(),
            Form::Shapefile | Form::ShapefileNoCpg => format!("{name}.shp"),
            Form::FileGdb | Form::FileGdbZip => gdb_name.clone(),
        });
        match form {
            Form::GeoPackage => {
                manifest.push_str(&format!("  {name}: vector/{gpkg_name}#{name}\n"))
            }
            Form::FileGdbZip => {
                manifest.push_str(&format!("  {name}: vector/{gdb_name}.zip#{name}\n"))
            }
            _ => {}
        }
        let mut args: Vec<&std::ffi::OsStr> = options.iter().map(|o| o.as_ref()).collect();
        args.extend([
            written.as_os_str(),
            file.as_os_str(),
            "-nln".as_ref(),
            name.as_ref(),
        ]);
        gdal("ogr2ogr", &args);
        match form {
            Form::FlatGeobuf => {
                let order = gdal_order(file, &written);
                if order.iter().enumerate().any(|(i, &j)| i != j) {
                    converted.order.insert(name.clone(), order);
                }
            }
            Form::GeoJson => {
                let dropped = reading(file).never_set();
                let text = std::fs::read_to_string(&written).unwrap();
                assert!(
                    dropped.iter().all(|d| !text.contains(&format!("\"{d}\":"))),
                    "{}: {dropped:?} are written though no feature sets them",
                    written.display()
                );
                if !dropped.is_empty() {
                    converted.dropped.insert(name.clone(), dropped);
                }
            }
            Form::ShapefileNoCpg => {
                std::fs::remove_file(vector.join(format!("{name}.cpg"))).unwrap();
            }
            _ => {}
        }
    }
    if form == Form::FileGdbZip && !layers.is_empty() {
        let gdb = vector.join(&gdb_name);
        common::zip_dir(&gdb, &vector.join(format!("{gdb_name}.zip")));
        std::fs::remove_dir_all(gdb).unwrap();
    }
    std::fs::write(dst.join("package.yaml"), manifest).unwrap();
    converted
}

/// `f` over `items` on a few plain threads, in order. Not rayon's pool: a worker waiting inside
/// one inspection steals another whole inspection onto its stack, which overflowed it here;
/// and while `ogr2ogr` runs, the thread only waits, so there are more threads than cores.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return out;
                        };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn run(pkg: &Path, rules: &RuleSet) -> Report {
    // Inspections started from several threads share one pool, whose workers steal one
    // inspection's work while they wait inside another: rayon's default 2 MiB stacks overflowed
    // (SIGABRT) under load. The binary gives its workers the same 64 MiB (src/cli.rs).
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(64 << 20)
            .build()
            .unwrap()
    });
    pool.install(|| nrqc::inspect(pkg, rules, DefectClass::B))
        .unwrap_or_else(|e| panic!("{}: {e:?}", pkg.display()))
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

/// The rules that read a field GDAL's GeoJSON writer can leave out (`rules/minerals.yaml`, and
/// the collective owner of a parcel in a county whose parcels are all state-owned): when no
/// feature sets it, the GeoJSON copy has no such field, and the rule does not apply or run.
const FIELD_RULES: [(&str, &str, &str); 3] = [
    ("ZR-K001", "KCZY", "ZSH"),
    ("ZR-K002", "KCZY", "XKZH"),
    ("ZR-O005", "ZRZK", "QSDWDM"),
];

/// How a copy's report differs from the original's.
#[derive(Default)]
struct Comparison {
    /// Each difference not accounted for, as text.
    diffs: Vec<String>,
    /// Measured `""` of the original that the copy measures as null.
    blanks: usize,
    /// Rules of [`FIELD_RULES`] that did not apply or run because their field was left out.
    unrun: usize,
    /// Findings whose feature ids were mapped back to the source order.
    remapped: usize,
}

/// What a finding says independent of the features' order: rule, measured and expected values,
/// and every feature it names (its own and its related ones, with layer, fid and key).
fn defect(f: &serde_json::Value) -> serde_json::Value {
    let mut features: Vec<serde_json::Value> = Vec::new();
    for object in [f, &f["related"]] {
        for id in object["feature_ids"].as_array().into_iter().flatten() {
            features.push(serde_json::json!([object["layer"], id["fid"], id["key"]]));
        }
    }
    features.sort_by_key(|v| v.to_string());
    serde_json::json!({
        "rule_id": f["rule_id"],
        "layer": f["layer"],
        "measured": f["measured"],
        "expected": f["expected"],
        "features": features,
    })
}

/// Maps the `fid`s of a finding's (or its `related`'s) `feature_ids` on its `layer` to the
/// source order; whether the layer was reordered.
fn remap(object: &mut serde_json::Value, converted: &Converted) -> bool {
    let Some(order) = object["layer"]
        .as_str()
        .and_then(|l| converted.order.get(l))
    else {
        return false;
    };
    for id in object["feature_ids"].as_array_mut().into_iter().flatten() {
        let fid = id["fid"].as_u64().unwrap() as usize;
        id["fid"] = order[fid].into();
    }
    true
}

fn compare(copy: &Report, original: &Report, form: Form, converted: &Converted) -> Comparison {
    let mut cmp = Comparison::default();
    let diffs = &mut cmp.diffs;
    let expected_unrun: Vec<&str> = FIELD_RULES
        .iter()
        .filter(|(_, layer, field)| {
            converted
                .dropped
                .get(*layer)
                .is_some_and(|d| d.iter().any(|f| f == field))
        })
        .map(|(rule, _, _)| *rule)
        .collect();
    let mut unrun = Vec::new();
    for (c, o) in copy.rules.iter().zip(&original.rules) {
        let field = FIELD_RULES.iter().find(|(rule, _, _)| *rule == c.id);
        let reason = c.reason.as_deref().unwrap_or("");
        if matches!(c.status, Status::NotApplicable | Status::NotRun)
            && field.is_some_and(|(_, _, f)| reason.contains(f))
        {
            unrun.push(c.id.as_str());
            continue;
        }
        let (c, o) = (common::timeless(c), common::timeless(o));
        if c != o {
            diffs.push(format!("rule\n  copy:     {c}\n  original: {o}"));
        }
    }
    if unrun != expected_unrun {
        diffs.push(format!(
            "not applicable or not run for a field left out: {unrun:?}, expected {expected_unrun:?}"
        ));
    }
    cmp.unrun = unrun.len();
    if copy.rules.len() != original.rules.len() {
        diffs.push(format!(
            "{} rules, original {}",
            copy.rules.len(),
            original.rules.len()
        ));
    }
    let mut copied: Vec<serde_json::Value> = Vec::new();
    for f in &copy.findings {
        let mut f = serde_json::to_value(f).unwrap();
        let mut remapped = remap(&mut f, converted);
        if let Some(related) = f.get_mut("related").filter(|r| !r.is_null()) {
            remapped |= remap(related, converted);
        }
        cmp.remapped += usize::from(remapped);
        copied.push(f);
    }
    let mut originals: Vec<serde_json::Value> = Vec::new();
    for f in &original.findings {
        let mut f = serde_json::to_value(f).unwrap();
        if form.is_shapefile() {
            cmp.blanks += blank_to_null(&mut f["measured"]);
        }
        originals.push(f);
    }
    if !converted.order.is_empty() {
        // GDAL changed the feature order, and with it which feature of a pair a finding is about
        // and whose geometry and key its message shows: the same defects on the same features
        // is what can be compared here (the whole findings are compared with a rewrite in the
        // new order, in the test).
        copied = copied.iter().map(defect).collect();
        originals = originals.iter().map(defect).collect();
        copied.sort_by_key(|f| f.to_string());
        originals.sort_by_key(|f| f.to_string());
    }
    for (c, o) in copied.iter().zip(&originals) {
        if c != o {
            diffs.push(format!("finding\n  copy:     {c}\n  original: {o}"));
        }
    }
    if copied.len() != originals.len() {
        diffs.push(format!(
            "{} findings, original {}",
            copied.len(),
            originals.len()
        ));
    }
    let (cp, op) = (&copy.package, &original.package);
    if cp.feature_counts != op.feature_counts {
        diffs.push(format!(
            "feature counts {:?}, original {:?}",
            cp.feature_counts, op.feature_counts
        ));
    }
    let epsg = |r: &Report| -> BTreeMap<String, Option<u32>> {
        r.package
            .layer_crs
            .iter()
            .map(|(l, c)| (l.clone(), c.epsg))
            .collect()
    };
    let (c_epsg, o_epsg) = (epsg(copy), epsg(original));
    if c_epsg != o_epsg {
        diffs.push(format!("layer CRS {c_epsg:?}, original {o_epsg:?}"));
    }
    // Documents are copied as they are: what the original could not attribute, neither can the copy.
    let paths = |r: &Report| -> Vec<(String, String)> {
        r.package
            .unread
            .iter()
            .map(|u| (u.path.clone(), u.reason.clone()))
            .collect()
    };
    if paths(copy) != paths(original) {
        diffs.push(format!(
            "unread {:?}, original {:?}",
            paths(copy),
            paths(original)
        ));
    }
    for (what, n) in [
        ("unreadable", cp.unreadable.len()),
        ("notes", cp.notes.len()),
    ] {
        if n != 0 {
            diffs.push(format!(
                "{n} {what}: {:?} {:?} {:?}",
                cp.unread, cp.unreadable, cp.notes
            ));
        }
    }
    cmp
}

/// Every fixture package: the eight clean counties, their defective twins, the one without its
/// required layers.
fn fixture_packages() -> Vec<String> {
    COUNTIES
        .iter()
        .flat_map(|c| [format!("fixtures/{c}"), format!("fixtures/{c}_defective")])
        .chain([MISSING_LAYERS.to_owned()])
        .collect()
}

/// The blank text values the ground truth lists on layers (tables stay CSV): the measured `""`
/// a Shapefile copy reads as null.
fn blank_layer_values(pkg: &str) -> usize {
    let Ok(true) = std::fs::exists(format!("{pkg}.truth.yaml")) else {
        return 0;
    };
    let layers: Vec<String> = layer_files(Path::new(pkg))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    truth(&format!("{pkg}.truth.yaml"))
        .findings
        .iter()
        .filter(|f| f.note.contains("blank") && layers.contains(&f.layer))
        .count()
}

#[test]
fn every_fixture_in_every_gdal_form_gives_the_findings_of_the_original() {
    if !gdal_available() {
        return;
    }
    let start = Instant::now();
    let rules = builtin();
    let packages = fixture_packages();
    let originals: BTreeMap<&str, Report> = packages
        .iter()
        .map(String::as_str)
        .zip(par_map(&packages, |p| run(Path::new(p), &rules)))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let combos: Vec<(&str, Form)> = packages
        .iter()
        .flat_map(|p| FORMS.map(|f| (p.as_str(), f)))
        .collect();
    let results: Vec<(Comparison, usize)> = par_map(&combos, |&(pkg, form)| {
        let src = Path::new(pkg);
        let dst = tmp
            .path()
            .join(format!("{form:?}"))
            .join(src.file_name().unwrap());
        let converted = convert(src, &dst, form);
        let copy = run(&dst, &rules);
        let mut cmp = compare(&copy, &originals[pkg], form, &converted);
        let expected = if form.is_shapefile() {
            blank_layer_values(pkg)
        } else {
            0
        };
        if cmp.blanks != expected {
            cmp.diffs.push(format!(
                "{} measured \"\" read as null, expected {expected}",
                cmp.blanks
            ));
        }
        if !converted.order.is_empty() {
            // The whole findings, against the same features in the same order without the
            // index: GDAL rewrites the indexed copy in its own order.
            let same_order = tmp.path().join("SameOrder").join(src.file_name().unwrap());
            convert(&dst, &same_order, Form::FlatGeobufNoIndex);
            let rewritten = run(&same_order, &rules);
            let exact = compare(
                &copy,
                &rewritten,
                Form::FlatGeobufNoIndex,
                &Converted::default(),
            );
            cmp.diffs.extend(
                exact
                    .diffs
                    .into_iter()
                    .map(|d| format!("against the rewrite: {d}")),
            );
        }
        if !cmp.diffs.is_empty() {
            cmp.diffs.insert(0, format!("{pkg} as {form:?}:"));
        }
        (cmp, converted.order.len())
    });
    let total = |f: fn(&(Comparison, usize)) -> usize| results.iter().map(f).sum::<usize>();
    eprintln!(
        "{} packages × {} forms = {} conversions compared in {:.1} s: {} measured \"\" read as \
         null (Shapefile), {} rules not applicable or not run for a field GeoJSON left out, {} layers reordered \
         by the FlatGeobuf index, {} findings mapped back to the source order",
        packages.len(),
        FORMS.len(),
        combos.len(),
        start.elapsed().as_secs_f64(),
        total(|r| r.0.blanks),
        total(|r| r.0.unrun),
        total(|r| r.1),
        total(|r| r.0.remapped),
    );
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.0.diffs.is_empty())
        .map(|r| r.0.diffs.join("\n"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(combos.len(), 17 * FORMS.len());
}

/// The edge cases of `scripts/conformance_reference.py`, under rules of one `geometry_valid` per
/// layer.
const EDGE_SCHEMA: &str = "schema:
  version: 1
  layers:
    EDGE:
      title: 边界情形
      geometry: polygon
      required: true
      key: BSM
      fields:
        BSM: { type: string, required: true, title: 标识码 }
        MC: { type: string, required: true, title: 说明 }
    ONE:
      title: 单要素图层
      geometry: polygon
      required: true
      key: BSM
      fields:
        BSM: { type: string, required: true, title: 标识码 }
        MC: { type: string, required: true, title: 说明 }
";

const EDGE_RULES: &str = "rules:
  - id: C-EDGE
    title: 边界情形几何无效
    class: B
    element: 逻辑一致性
    geometry_valid: { layer: EDGE }
  - id: C-ONE
    title: 单要素图层几何无效
    class: B
    element: 逻辑一致性
    geometry_valid: { layer: ONE }
";

const EDGE_DATA: &str = "tests/data/conformance";

#[derive(serde::Deserialize)]
struct Reference {
    layers: BTreeMap<String, Vec<RefFeature>>,
}

/// What shapely (GEOS) reads from the source of one feature.
#[derive(serde::Deserialize)]
struct RefFeature {
    #[serde(rename = "BSM")]
    bsm: String,
    null: bool,
    #[serde(default)]
    rings: Vec<usize>,
    #[serde(default)]
    area: f64,
    #[serde(default)]
    valid_reason: String,
    /// Where an invalid geometry is invalid, as segments `[x1, y1, x2, y2]`.
    #[serde(default)]
    locus: Vec<[f64; 4]>,
}

fn edge_rules() -> (tempfile::TempDir, RuleSet) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.yaml"), EDGE_SCHEMA).unwrap();
    std::fs::write(dir.path().join("rules.yaml"), EDGE_RULES).unwrap();
    let set = RuleSet::load(&nrqc::rules::RuleSources {
        builtin: false,
        dirs: vec![dir.path().to_owned()],
    })
    .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
    (dir, set)
}

/// The rings of each polygon of a geometry nrqc read.
fn rings(g: &geo::Geometry<f64>) -> Vec<usize> {
    match g {
        geo::Geometry::Polygon(p) => vec![1 + p.interiors().len()],
        geo::Geometry::MultiPolygon(m) => m.0.iter().map(|p| 1 + p.interiors().len()).collect(),
        other => panic!("not a polygon: {other:?}"),
    }
}

/// Whether `p` lies on one of the `segments` (to 1 µm).
fn on_locus(p: [f64; 2], segments: &[[f64; 4]]) -> bool {
    segments.iter().any(|&[x1, y1, x2, y2]| {
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 == 0.0 {
            0.0
        } else {
            (((p[0] - x1) * dx + (p[1] - y1) * dy) / len2).clamp(0.0, 1.0)
        };
        (p[0] - x1 - t * dx).hypot(p[1] - y1 - t * dy) < 1e-6
    })
}

/// The `BSM` of every feature GDAL reads from the layer files in `dir`.
fn gdal_keys(dir: &Path) -> Vec<String> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        // A File Geodatabase: a `.gdb` folder, or a `.gdb.zip`, which GDAL opens as it is.
        if ["fgb", "geojson", "gpkg", "shp", "gdb", "zip"].contains(&ext) {
            for feature in &reading(&path).features {
                keys.extend(
                    feature
                        .lines()
                        .filter_map(|l| l.trim_start().strip_prefix("BSM (String) = "))
                        .map(str::to_owned),
                );
            }
        }
    }
    keys
}

/// Differences between what nrqc read of `layer` in the package at `root` (and what its
/// `geometry_valid` rule found) and GEOS's reading of the source.
fn edge_differences(
    root: &Path,
    rules: &RuleSet,
    report: &Report,
    layer: &str,
    rule: &str,
    reference: &[&RefFeature],
) -> Vec<String> {
    use geo::Area;
    let mut diffs = Vec::new();
    let data = nrqc::package::load(root, &rules.schema).unwrap();
    let frame = data.frame(layer).unwrap();
    let geoms = &frame.geometry.as_ref().unwrap().geoms;
    let keys = frame.df.column("BSM").unwrap().str().unwrap().clone();
    let keys: Vec<Option<String>> = (0..keys.len())
        .map(|i| keys.get(i).map(str::to_owned))
        .collect();
    if geoms.len() != reference.len() || keys.len() != reference.len() {
        return vec![format!(
            "{layer}: {} features, GEOS {}",
            geoms.len(),
            reference.len()
        )];
    }
    for r in reference {
        // By key: the FlatGeobuf index puts features in another order.
        let Some(i) = keys
            .iter()
            .position(|k| k.as_deref() == Some(r.bsm.as_str()))
        else {
            diffs.push(format!("{layer} {}: not read", r.bsm));
            continue;
        };
        match (&geoms[i], r.null) {
            (None, true) => {}
            (Some(g), false) => {
                if rings(g) != r.rings || (g.unsigned_area() - r.area).abs() > 1e-6 {
                    diffs.push(format!(
                        "{layer} {}: rings {:?} area {}, GEOS {:?} {}",
                        r.bsm,
                        rings(g),
                        g.unsigned_area(),
                        r.rings,
                        r.area
                    ));
                }
            }
            (g, _) => diffs.push(format!(
                "{layer} {}: read {g:?}, GEOS null: {}",
                r.bsm, r.null
            )),
        }
        let found: Vec<&nrqc::finding::Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule_id == rule && f.feature_ids.iter().any(|id| id.fid == i))
            .collect();
        let measured = found.first().and_then(|f| f.measured.clone());
        let reasons: Vec<String> = measured
            .as_ref()
            .map(|m| serde_json::from_value(m["reasons"].clone()).unwrap())
            .unwrap_or_default();
        let at: Vec<[f64; 2]> = measured
            .as_ref()
            .map(|m| serde_json::from_value(m["at"].clone()).unwrap())
            .unwrap_or_default();
        let agrees = if r.null {
            reasons == ["geometry_null"]
        } else {
            let expected = common::geos_reason_codes(&r.valid_reason);
            match expected {
                [] => found.is_empty(),
                _ => {
                    reasons.len() == 1
                        && expected.contains(&reasons[0].as_str())
                        && at.len() == 1
                        && on_locus(at[0], &r.locus)
                }
            }
        };
        if found.len() > 1 || !agrees {
            diffs.push(format!(
                "{layer} {}: {rule} found {reasons:?} at {at:?}, GEOS: {}",
                r.bsm,
                if r.null { "null" } else { &r.valid_reason }
            ));
        }
    }
    diffs
}

#[test]
fn gdal_written_edge_cases_read_as_geos_reads_them_in_every_form() {
    if !gdal_available() {
        return;
    }
    let reference: Reference = serde_json::from_str(
        &std::fs::read_to_string(format!("{EDGE_DATA}/reference.json")).unwrap(),
    )
    .unwrap();
    let (_rules_dir, rules) = edge_rules();
    // The sources as a package of GeoJSON layers, the form ogr2ogr converts from.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("source").join("622923_永靖县");
    std::fs::create_dir_all(src.join("vector")).unwrap();
    std::fs::write(
        src.join("package.yaml"),
        "xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\ncrs: EPSG:4522\nencoding: GBK\n",
    )
    .unwrap();
    for layer in ["EDGE", "ONE"] {
        let name = format!("{layer}.geojson");
        std::fs::copy(
            Path::new(EDGE_DATA).join(&name),
            src.join("vector").join(&name),
        )
        .unwrap();
    }
    let failures: Vec<String> = par_map(&FORMS, |&form| {
        let dst = tmp.path().join(format!("{form:?}")).join("622923_永靖县");
        convert(&src, &dst, form);
        let report = run(&dst, &rules);
        let kept = gdal_keys(&dst.join("vector"));
        let mut diffs = Vec::new();
        for (layer, rule) in [("EDGE", "C-EDGE"), ("ONE", "C-ONE")] {
            // GDAL 3.6's FlatGeobuf writer leaves out features without geometry (GDAL reads
            // the file without them); every other form keeps them.
            let (written, left_out): (Vec<&RefFeature>, Vec<&RefFeature>) = reference.layers[layer]
                .iter()
                .partition(|r| kept.contains(&r.bsm));
            let allowed = matches!(form, Form::FlatGeobuf | Form::FlatGeobufNoIndex);
            for r in left_out {
                if !(allowed && r.null) {
                    diffs.push(format!("{layer} {}: not written by GDAL", r.bsm));
                }
            }
            diffs.extend(edge_differences(
                &dst, &rules, &report, layer, rule, &written,
            ));
        }
        (!diffs.is_empty()).then(|| format!("{form:?}:\n{}", diffs.join("\n")))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
