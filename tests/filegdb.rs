//! File Geodatabases (`.gdb` folders and `.gdb.zip`): the handmade geodatabase of
//! `scripts/gen_filegdb_cases.sh` (written by GDAL's OpenFileGDB driver; GDAL's own reading is
//! committed beside it as `cases.ogrinfo.txt`) read as GDAL reads it: a feature class inside a
//! feature dataset, a table, a field alias, a circular polygon densified within the stated
//! tolerance, a null geometry; mappings `file.gdb#NAME`; a corrupt table an error naming the
//! geodatabase, the layer and the feature. The conformance suite compares every fixture
//! converted to a geodatabase with its original (`tests/conformance.rs`).

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use nrqc::package::{load, Dataset, PackageError, ReadError};

const CASES: &str = "tests/data/filegdb/cases.gdb";

/// A package of the handmade geodatabase: `vector/cases.gdb` (or the `.gdb.zip` of it), with
/// `layers` appended to package.yaml.
fn package(zipped: bool, layers: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("pkg");
    std::fs::create_dir_all(root.join("vector")).unwrap();
    std::fs::write(
        root.join("package.yaml"),
        format!(
            "xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\ncrs: EPSG:4523\nproducer: 测试\n\
             survey_date: 2021-10-31\n{layers}"
        ),
    )
    .unwrap();
    if zipped {
        zip_dir(Path::new(CASES), &root.join("vector/cases.gdb.zip"));
    } else {
        copy_dir(Path::new(CASES), &root.join("vector/cases.gdb"));
    }
    (tmp, root)
}

fn loaded(root: &Path) -> Dataset {
    load(root, &builtin().schema).unwrap_or_else(|e| panic!("{e:?}"))
}

fn strings(d: &Dataset, frame: &str, field: &str) -> Vec<Option<String>> {
    let c = d.frame(frame).unwrap().df.column(field).unwrap();
    let c = c.str().unwrap();
    (0..c.len()).map(|i| c.get(i).map(str::to_owned)).collect()
}

fn floats(d: &Dataset, frame: &str, field: &str) -> Vec<Option<f64>> {
    let c = d.frame(frame).unwrap().df.column(field).unwrap();
    let c = c.f64().unwrap();
    (0..c.len()).map(|i| c.get(i)).collect()
}

#[test]
fn the_handmade_geodatabase_reads_as_gdal_reads_it() {
    use geo::Area;
    for zipped in [false, true] {
        let (_tmp, root) = package(zipped, "");
        let d = loaded(&root);
        assert!(d.failed.is_empty(), "{:?}", d.failed);
        // DY is in the feature dataset 成果; TJ is a table (cases.ogrinfo.txt: "Geometry: None").
        let names: Vec<&str> = d.frames.keys().map(String::as_str).collect();
        assert_eq!(names, ["DY", "TJ"]);
        let dy = d.frame("DY").unwrap();
        let tj = d.frame("TJ").unwrap();
        assert!(dy.geometry.is_some() && tj.geometry.is_none());
        assert_eq!(
            strings(&d, "DY", "BSM"),
            [Some("DY1".into()), Some("DY2".into()), Some("DY3".into())]
        );
        assert_eq!(
            strings(&d, "DY", "MC"),
            [
                Some("圆形地块".into()),
                Some("方形地块".into()),
                Some("无几何".into())
            ]
        );
        assert_eq!(
            floats(&d, "DY", "MJ"),
            [Some(31415.93), Some(10000.0), None]
        );
        let zs = dy.df.column("ZS").unwrap().i64().unwrap().clone();
        assert_eq!(
            (0..zs.len()).map(|i| zs.get(i)).collect::<Vec<_>>(),
            [Some(1), Some(2), None]
        );
        assert_eq!(strings(&d, "TJ", "MC"), [Some("合计".into()), None]);
        assert_eq!(floats(&d, "TJ", "MJ"), [Some(41415.93), None]);
        assert_eq!(strings(&d, "TJ", "BZ"), [None, None]);
        // The alias GDAL reads as the alternative name of BZ, and the report lists it.
        assert_eq!(tj.aliases.get("BZ").map(String::as_str), Some("备注"));
        let report = nrqc::inspect(&root, &builtin(), nrqc::quality::DefectClass::B).unwrap();
        let aliases = serde_json::to_value(&report.package).unwrap()["field_aliases"].clone();
        assert_eq!(aliases, serde_json::json!({"TJ": {"BZ": "备注"}}));
        assert!(dy.aliases.is_empty());
        let g = dy.geometry.as_ref().unwrap();
        assert_eq!(g.crs.epsg, Some(4523));
        // DY3: a null geometry, as GDAL prints no geometry for it.
        assert!(g.geoms[2].is_none());
        // DY2: the square, 10 000 m².
        assert!((g.geoms[1].as_ref().unwrap().unsigned_area() - 10_000.0).abs() < 1e-6);
        // DY1: the circle of radius 100 m about (35500100, 3900100) that GDAL reads as a
        // CIRCULARSTRING, densified to chords within 1 cm: every vertex on the circle, and the
        // area short of π r² by at most the perimeter × the tolerance.
        let circle = g.geoms[0].as_ref().unwrap();
        let coords: Vec<geo::Coord<f64>> = match circle {
            geo::Geometry::Polygon(p) => p.exterior().0.clone(),
            other => panic!("{other:?}"),
        };
        for c in &coords {
            let r = (c.x - 35_500_100.0).hypot(c.y - 3_900_100.0);
            assert!((r - 100.0).abs() < 1e-6, "{c:?} at {r}");
        }
        let exact = std::f64::consts::PI * 100.0 * 100.0;
        let area = circle.unsigned_area();
        assert!(
            area < exact && exact - area <= 2.0 * std::f64::consts::PI * 100.0 * 0.01,
            "{area}"
        );
        assert!(coords.len() > 100, "{}", coords.len());
        // The report says so, next to the layer.
        let path = if zipped {
            "vector/cases.gdb.zip"
        } else {
            "vector/cases.gdb"
        };
        let notes: Vec<(&str, &str)> = d
            .notes
            .iter()
            .map(|n| (n.path.as_str(), n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].0, path);
        assert!(
            notes[0].1.starts_with("DY: 1 feature(s) with curves (circular arcs or Bézier curves) were densified to straight segments within 0.01 CRS units (metres) of the true curve"),
            "{}",
            notes[0].1
        );
        // Every file read is listed: the zip itself, or the catalog and the two tables' files.
        let files: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        if zipped {
            assert!(files.contains(&"vector/cases.gdb.zip"), "{files:?}");
        } else {
            for f in [
                "a00000001.gdbtable",
                "a00000001.gdbtablx",
                "a00000009.gdbtable",
                "a0000000a.gdbtablx",
            ] {
                assert!(
                    files.contains(&format!("vector/cases.gdb/{f}").as_str()),
                    "{files:?}"
                );
            }
        }
    }
}

#[test]
fn a_mapping_picks_a_feature_class_by_name() {
    let (_tmp, root) = package(
        false,
        "layers:\n  宗地: vector/cases.gdb#DY\ntables:\n  统计: vector/cases.gdb#TJ\n",
    );
    let d = loaded(&root);
    let names: Vec<&str> = d.frames.keys().map(String::as_str).collect();
    assert_eq!(names, ["宗地", "统计"]);
    let (_tmp, root) = package(false, "layers:\n  宗地: vector/cases.gdb#ZRZK\n");
    let e = match load(&root, &builtin().schema) {
        Err(PackageError::Read(e)) => e,
        Ok(d) => d.failed.into_iter().next().expect("an error").error,
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(
        e.to_string(),
        "vector/cases.gdb: 宗地: no feature class or table `ZRZK` in this File Geodatabase; it holds DY, TJ"
    );
    let (_tmp, root) = package(false, "tables:\n  DY: vector/cases.gdb#DY\n");
    let e = loaded(&root)
        .failed
        .into_iter()
        .next()
        .expect("an error")
        .error;
    assert_eq!(
        e.message,
        "`DY` is a feature class; map it under `layers:`, not `tables:`"
    );
}

/// A copy of the package with `edit` applied to the bytes of the DY table (a00000009.gdbtable).
fn corrupted(edit: impl Fn(&mut Vec<u8>)) -> ReadError {
    let (tmp, root) = package(false, "");
    let table = root.join("vector/cases.gdb/a00000009.gdbtable");
    let mut bytes = std::fs::read(&table).unwrap();
    edit(&mut bytes);
    std::fs::write(&table, bytes).unwrap();
    let e = match load(&root, &builtin().schema) {
        Err(PackageError::Read(e)) => e,
        Ok(d) => d.failed.into_iter().next().expect("an error").error,
        Err(e) => panic!("{e:?}"),
    };
    drop(tmp);
    e
}

#[test]
fn a_truncated_or_corrupt_table_is_an_error_naming_the_layer_and_feature() {
    let e = corrupted(|b| b.truncate(b.len() - 10));
    // The last row (ObjectID 3, feature 2) loses 10 of its 15 bytes.
    assert_eq!(
        e.to_string(),
        "vector/cases.gdb: DY, feature 2: a00000009.gdbtable: ObjectID 3: the row claims 15 \
         bytes, past the end of the file (5 bytes left)"
    );
    // A row length beyond the file, at the last row.
    let e = corrupted(|b| {
        let n = b.len();
        b.truncate(n - 40);
    });
    assert_eq!(e.frame.as_deref(), Some("DY"));
    // Garbage: every 7th byte after the header flipped.
    for step in [7, 13, 31] {
        let e = corrupted(|b| {
            for i in (40..b.len()).step_by(step) {
                b[i] ^= 0x5a;
            }
        });
        assert_eq!(e.path, Path::new("vector/cases.gdb"), "{e}");
    }
}

#[test]
fn a_compressed_feature_class_is_listed_as_not_read_and_the_rest_is_read() {
    let (_tmp, root) = package(false, "");
    // The catalog row of DY: its name, then its FileFormat, 0, made 2 (CDF).
    let catalog = root.join("vector/cases.gdb/a00000001.gdbtable");
    let mut bytes = std::fs::read(&catalog).unwrap();
    let at = bytes
        .windows(7)
        .position(|w| w == b"\x02DY\x00\x00\x00\x00")
        .unwrap();
    bytes[at + 3] = 2;
    std::fs::write(&catalog, bytes).unwrap();
    let d = loaded(&root);
    assert_eq!(d.frames.keys().collect::<Vec<_>>(), ["TJ"]);
    let unread: Vec<(&str, &str)> = d
        .unread
        .iter()
        .map(|u| (u.path.as_str(), u.reason.as_str()))
        .collect();
    let why = "`DY` is stored compressed (ArcGIS FileFormat 2: SDC or CDF), which nrqc does not \
               read; uncompress the geodatabase in ArcGIS (Uncompress File Geodatabase Data) \
               before delivery";
    assert_eq!(unread, [("vector/cases.gdb", why)]);
    std::fs::write(
        root.join("package.yaml"),
        std::fs::read_to_string(root.join("package.yaml")).unwrap()
            + "layers:\n  DY: vector/cases.gdb#DY\n",
    )
    .unwrap();
    let e = loaded(&root)
        .failed
        .into_iter()
        .next()
        .expect("an error")
        .error;
    assert_eq!(e.message, why);
}

#[test]
fn a_package_zip_holding_a_gdb_folder_reads_it() {
    let (tmp, root) = package(false, "");
    // The package zipped as a producer zips it: its folder with the .gdb folder inside.
    let zip = tmp.path().join("622923_永靖县.zip");
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        let mut files = vec![root.join("package.yaml")];
        let mut gdb: Vec<PathBuf> = std::fs::read_dir(root.join("vector/cases.gdb"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        gdb.sort();
        files.extend(gdb);
        for f in files {
            let name = f.strip_prefix(&root).unwrap().to_str().unwrap().to_owned();
            w.start_file(format!("622923_永靖县/{name}"), options)
                .unwrap();
            w.write_all(&std::fs::read(&f).unwrap()).unwrap();
        }
        w.finish().unwrap();
    }
    let opened = nrqc::package::archive::open(&zip).unwrap();
    let d = loaded(opened.root());
    assert!(d.failed.is_empty(), "{:?}", d.failed);
    assert_eq!(d.frames.keys().collect::<Vec<_>>(), ["DY", "TJ"]);
    assert_eq!(d.frame("DY").unwrap().len(), 3);
}

#[test]
fn init_proposes_the_feature_classes_and_tables_of_a_geodatabase() {
    use nrqc::package::init::{propose, Area};
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new(CASES), &tmp.path().join("vector/cases.gdb"));
    let area = Area {
        code: "622923".into(),
        name: "永靖县".into(),
    };
    let p = propose(
        tmp.path(),
        &builtin().schema,
        &area,
        nrqc::package::manifest::Level::County,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p.layers, [("DY".into(), "vector/cases.gdb".into(), 3)]);
    assert_eq!(p.tables, [("TJ".into(), "vector/cases.gdb".into(), 2)]);
    assert!(p.text.contains("crs: EPSG:4523"), "{}", p.text);
}

#[test]
fn rows_deleted_in_gdal_are_left_out_over_several_index_blocks() {
    // 2,500 points (three blocks of 1,024 rows in the .gdbtablx), the second block deleted by
    // GDAL (scripts/gdal_delete_features.py): GDAL then reads 1,476 features.
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("P.csv");
    let mut text = String::from("WKT,N\n");
    for i in 1..=2500 {
        text.push_str(&format!("\"POINT({i} {i})\",{i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let root = tmp.path().join("pkg");
    std::fs::create_dir_all(root.join("vector")).unwrap();
    std::fs::write(
        root.join("package.yaml"),
        "xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\ncrs: EPSG:4523\n",
    )
    .unwrap();
    let gdb = root.join("vector/P.gdb");
    let run = |program: &str, args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} (gdal-bin, python3) is needed: {e}"));
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{program}: {o:?}"
        );
        String::from_utf8(o.stdout).unwrap()
    };
    run(
        "ogr2ogr",
        &[
            "-f",
            "OpenFileGDB",
            gdb.to_str().unwrap(),
            csv.to_str().unwrap(),
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            "-oo",
            "AUTODETECT_TYPE=YES",
            "-nlt",
            "POINT",
            "-a_srs",
            "EPSG:4523",
            "-nln",
            "P",
        ]
        .map(std::ffi::OsStr::new),
    );
    run(
        "python3",
        &[
            "scripts/gdal_delete_features.py",
            gdb.to_str().unwrap(),
            "P",
            "1025",
            "2048",
        ]
        .map(std::ffi::OsStr::new),
    );
    let summary = run(
        "ogrinfo",
        &["-so", gdb.to_str().unwrap(), "P"].map(std::ffi::OsStr::new),
    );
    assert!(summary.contains("Feature Count: 1476"), "{summary}");
    let d = loaded(&root);
    let p = d.frame("P").unwrap();
    let n = p.df.column("N").unwrap().i64().unwrap().clone();
    let n: Vec<i64> = (0..n.len()).map(|i| n.get(i).unwrap()).collect();
    let expected: Vec<i64> = (1..=1024).chain(2049..=2500).collect();
    assert_eq!(n, expected);
    let geoms = &p.geometry.as_ref().unwrap().geoms;
    assert_eq!(
        geoms[1024],
        Some(geo::Geometry::Point(geo::Point::new(2049.0, 2049.0)))
    );
}

#[test]
fn a_gdb_that_is_a_file_is_refused_without_being_read() {
    let (_tmp, root) = package(false, "");
    std::fs::remove_dir_all(root.join("vector/cases.gdb")).unwrap();
    std::fs::write(root.join("vector/cases.gdb"), b"not a folder").unwrap();
    let e = match load(&root, &builtin().schema) {
        Err(PackageError::Read(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        e.to_string(),
        "vector/cases.gdb: a file, not a folder: a File Geodatabase is a .gdb folder, or a zip of \
         one named .gdb.zip"
    );
}

/// Dates and times as ogr2ogr writes them (days since 1899-12-30 in a double) read back as the
/// source wrote them: the CSV's values are the expected answers. GDAL 3.6's own ogrinfo prints
/// two of them one second late (`1900/03/01 00:00:01`), its rounding of the double; nrqc rounds
/// to the millisecond ArcGIS stores.
#[test]
fn dates_written_by_gdal_read_as_their_source() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("TJ.csv");
    std::fs::write(
        &csv,
        "MC,RQ,SJ\n甲,2021-10-31,2021-10-31 08:30:00\n乙,1900-03-01,1899-12-30 00:00:00\n\
         丙,2024-02-29,2000-01-01 23:59:59\n",
    )
    .unwrap();
    let root = tmp.path().join("pkg");
    std::fs::create_dir_all(root.join("vector")).unwrap();
    let o = std::process::Command::new("ogr2ogr")
        .args([
            "-f",
            "OpenFileGDB",
            "-oo",
            "AUTODETECT_TYPE=YES",
            "-nln",
            "TJ",
        ])
        .arg(root.join("vector/dates.gdb"))
        .arg(&csv)
        .output()
        .expect("ogr2ogr (gdal-bin, which scripts/test installs)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(
        root.join("package.yaml"),
        "xzqdm: \"622923\"\nxzqmc: 永靖县\nlevel: county\nproducer: 测试\n\
         survey_date: 2021-10-31\ntables:\n  TJ: vector/dates.gdb#TJ\n",
    )
    .unwrap();
    let d = loaded(&root);
    assert_eq!(
        strings(&d, "TJ", "RQ"),
        [
            "2021-10-31T00:00:00",
            "1900-03-01T00:00:00",
            "2024-02-29T00:00:00"
        ]
        .map(|s| Some(s.into()))
    );
    assert_eq!(
        strings(&d, "TJ", "SJ"),
        [
            "2021-10-31T08:30:00",
            "1899-12-30T00:00:00",
            "2000-01-01T23:59:59"
        ]
        .map(|s| Some(s.into()))
    );
}
