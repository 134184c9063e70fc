//! GeoPackage layers (`.gpkg`, several layers in one file): the GeoPackage copy of the defective
//! 永靖县 package (every layer in `vector/622923_永靖县.gpkg`, made with ogr2ogr by
//! `scripts/gen_format_copies.sh`) gives exactly the findings of the FlatGeobuf/GeoJSON original;
//! the file is read without being changed; its CRS comes from gpkg_spatial_ref_sys; bad mappings
//! and bad files are errors that name the file, layer, feature and field.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use nrqc::package::{load, PackageError, ReadError};
use rusqlite::Connection;

const GPKG: &str = "fixtures/622923_永靖县_defective_gpkg";
const FILE: &str = "vector/622923_永靖县.gpkg";

fn schema() -> nrqc::schema::Schema {
    builtin().schema
}

/// The error that stopped the package, or the first of the layers that could not be read
/// (the rest of the package is loaded, and the report names them).
fn read_error(root: &Path) -> ReadError {
    match load(root, &schema()) {
        Err(PackageError::Read(e)) => e,
        Err(e) => panic!("not a read error: {e:?}"),
        Ok(d) => match d.failed.into_iter().next() {
            Some(f) => f.error,
            None => panic!("{}: loaded", root.display()),
        },
    }
}

/// Rewrites the package's manifest: `edit` gets its text.
fn edit_manifest(root: &Path, edit: impl Fn(String) -> String) {
    let path = root.join("package.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

/// Opens the copy's GeoPackage for writing (tests damage copies only, never the fixture).
/// GDAL's spatial-index triggers call its own SQL functions (ST_IsEmpty), so they are dropped.
fn writable(root: &Path) -> Connection {
    let db = Connection::open(root.join(FILE)).unwrap();
    let triggers: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        db.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
    db
}

/// Every file under `dir` with its size and modification time.
fn listing(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(listing(&entry.path()));
        } else {
            out.insert(entry.path(), (meta.len(), meta.modified().unwrap()));
        }
    }
    out
}

/// The whole findings (rule, feature ids and keys, message, measured, expected, geometry) are
/// those of the original. No normalisation is needed: ogr2ogr keeps the rings' vertices, their
/// order and start, and the features' order (fid = row index + 1).
#[test]
fn geopackage_copy_gives_the_findings_of_the_original() {
    let original = inspect(DEFECTIVE, 2);
    let copy = inspect(GPKG, 2);
    assert_eq!(finding_keys(&copy), finding_keys(&original));
    assert_eq!(copy.findings.len(), original.findings.len());
    for (c, o) in copy.findings.iter().zip(&original.findings) {
        let c = serde_json::to_value(c).unwrap();
        let o = serde_json::to_value(o).unwrap();
        assert_eq!(c, o);
    }
    // The rules that ran, failed or could not run are the same too.
    let status = |r: &nrqc::report::Report| -> Vec<(String, String)> {
        r.rules
            .iter()
            .map(|r| (r.id.clone(), format!("{:?} {:?}", r.status, r.reason)))
            .collect()
    };
    assert_eq!(status(&copy), status(&original));
    // The GeoPackage is hashed once, though seven layers are read from it.
    let files: Vec<&str> = copy.package.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        files,
        [
            "package.yaml",
            "tables/GGGZ.csv",
            "tables/KYQ.csv",
            "tables/TJ_ZRZYMJ.csv",
            FILE
        ]
    );
    assert!(copy.package.unread.is_empty(), "{:?}", copy.package.unread);
}

/// Read-only and immutable: no journal, -wal or -shm file appears beside the input, and nothing
/// there changes.
#[test]
fn reading_changes_nothing_in_the_package() {
    let (_tmp, root) = copy_package(GPKG);
    let before = listing(&root);
    let dataset = load(&root, &schema()).unwrap();
    assert_eq!(dataset.frames.len(), 10);
    drop(dataset);
    assert_eq!(listing(&root), before);
    // Discovery of an unmapped file opens it too.
    edit_manifest(&root, |t| t.split("layers:").next().unwrap().to_owned());
    let before = listing(&root);
    load(&root, &schema()).unwrap();
    assert_eq!(listing(&root), before);
    // In WAL mode a reader opened merely read-only (`mode=ro`) creates -wal and -shm files
    // beside the database and leaves them there; immutable creates neither.
    let db = writable(&root);
    let mode: String = db
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(db);
    let before = listing(&root);
    assert_eq!(before.len(), 5, "{before:?}");
    load(&root, &schema()).unwrap();
    assert_eq!(listing(&root), before);
}

/// The CRS read for layer `name` of `dataset`.
fn layer_crs(dataset: &nrqc::package::Dataset, name: &str) -> nrqc::package::LayerCrs {
    dataset
        .frame(name)
        .unwrap()
        .geometry
        .as_ref()
        .unwrap()
        .crs
        .clone()
}

/// srs_id → gpkg_spatial_ref_sys: organization EPSG and its code, and the WKT definition.
#[test]
fn layer_crs_comes_from_gpkg_spatial_ref_sys() {
    let dataset = load(Path::new(GPKG), &schema()).unwrap();
    let crs = |name: &str| layer_crs(&dataset, name);
    assert_eq!(crs("XZQ").epsg, Some(4522));
    assert!(
        crs("XZQ")
            .text
            .unwrap()
            .starts_with("PROJCS[\"CGCS2000 / 3-degree Gauss-Kruger zone 34\""),
        "{:?}",
        crs("XZQ").text
    );
    // The red line was delivered in zone 35, as its GeoJSON original says.
    assert_eq!(crs("STBHHX").epsg, Some(4523));
    assert_eq!(
        dataset.frame("ZRZK").unwrap().path,
        PathBuf::from(FILE),
        "a layer's path is its file"
    );
}

/// An organization other than EPSG (GDAL writes `NONE` for a CRS it cannot name) leaves the WKT
/// definition to say what the CRS is: recognised as a `.prj` is, or no code when it names
/// nothing nrqc knows.
#[test]
fn a_crs_without_an_epsg_organization_is_recognised_from_its_wkt() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("622923_永靖县");
    copy_dir(Path::new(GPKG), &root);
    let db = writable(&root);
    let srs = "(SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?1)";
    let definition: String = db
        .query_row(
            &format!("SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = {srs}"),
            ["XZQ"],
            |r| r.get(0),
        )
        .unwrap();
    // GDAL's own definition, its authority codes cut out.
    let bare = without_authorities(&definition);
    db.execute(
        &format!(
            "UPDATE gpkg_spatial_ref_sys SET organization = 'NONE', definition = ?2 WHERE srs_id = {srs}"
        ),
        rusqlite::params!["XZQ", bare],
    )
    .unwrap();
    let red_line = "(SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'STBHHX')";
    db.execute(
        &format!(
            "UPDATE gpkg_spatial_ref_sys SET organization = 'NONE', definition = 'LOCAL_CS[\"site grid\"]' WHERE srs_id = {red_line}"
        ),
        [],
    )
    .unwrap();
    drop(db);
    let dataset = load(&root, &schema()).unwrap();
    let crs = |name: &str| layer_crs(&dataset, name);
    assert!(!crs("XZQ").text.unwrap().contains("AUTHORITY"));
    assert_eq!(crs("XZQ").epsg, Some(4522));
    assert_eq!(crs("STBHHX").epsg, None);
}

/// `wkt` without its `,AUTHORITY["…","…"]` nodes.
fn without_authorities(wkt: &str) -> String {
    let mut out = String::with_capacity(wkt.len());
    let mut rest = wkt;
    while let Some(at) = rest.find(",AUTHORITY[") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(']').expect("a closed AUTHORITY node");
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A layer name after '#' that the file does not hold, no name at all, or '#' on another format.
#[test]
fn bad_layer_mappings_are_errors_naming_file_and_layer() {
    let (_tmp, root) = copy_package(GPKG);
    edit_manifest(&root, |t| t.replace("#XZQ", "#missing"));
    let e = read_error(&root);
    assert_eq!(e.path, PathBuf::from(FILE));
    assert_eq!(e.frame.as_deref(), Some("XZQ"));
    assert!(e.message.contains("no layer `missing`"), "{e}");
    assert!(
        e.message.contains("ZRZYDJDY"),
        "lists what the file holds: {e}"
    );

    edit_manifest(&root, |t| t.replace("#missing", "#"));
    let e = read_error(&root);
    assert_eq!(e.frame.as_deref(), Some("XZQ"));
    assert!(e.message.contains("no layer name after '#'"), "{e}");

    edit_manifest(&root, |t| {
        t.replace("XZQ: vector/622923_永靖县.gpkg#", "XZQ: vector/XZQ.fgb#XZQ")
    });
    let e = read_error(&root);
    assert!(e.message.contains("and this file is neither"), "{e}");
}

/// A .gpkg in vector/ that package.yaml does not map contributes each feature table as the layer
/// of its name; the findings are the same.
#[test]
fn unmapped_geopackage_in_vector_is_discovered() {
    let (_tmp, root) = copy_package(GPKG);
    edit_manifest(&root, |t| t.split("layers:").next().unwrap().to_owned());
    let dataset = load(&root, &schema()).unwrap();
    let layers: Vec<&str> = dataset
        .frames
        .values()
        .filter(|f| f.geometry.is_some())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        layers,
        ["CKQ", "KCZY", "STBHHX", "XZQ", "YJJBNT", "ZRZK", "ZRZYDJDY"]
    );
    let root = root.to_str().unwrap();
    assert_eq!(
        finding_keys(&inspect(root, 2)),
        finding_keys(&inspect(DEFECTIVE, 2))
    );
}

/// An attribute table (gpkg_contents data_type 'attributes') serves as a table; mapped as a
/// layer it is an error, and a feature table mapped under `tables:` is one too.
#[test]
fn attribute_tables_serve_as_tables() {
    let (_tmp, root) = copy_package(GPKG);
    let db = writable(&root);
    db.execute_batch(
        "CREATE TABLE KYQ (fid INTEGER PRIMARY KEY AUTOINCREMENT, KCBH TEXT, XKZH TEXT, QLLX TEXT);
         INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('KYQ', 'attributes', 'KYQ');",
    )
    .unwrap();
    // The package's CSV tables are GBK (`encoding: GBK`).
    let bytes = std::fs::read(root.join("tables/KYQ.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    for row in csv.records() {
        let row = row.unwrap();
        db.execute(
            "INSERT INTO KYQ (KCBH, XKZH, QLLX) VALUES (?1, ?2, ?3)",
            [&row[0], &row[1], &row[2]],
        )
        .unwrap();
    }
    drop(db);
    std::fs::remove_file(root.join("tables/KYQ.csv")).unwrap();
    // Unmapped, the file contributes its feature tables as layers and KYQ as a table.
    edit_manifest(&root, |t| t.split("layers:").next().unwrap().to_owned());
    let dataset = load(&root, &schema()).unwrap();
    let kyq = dataset.frame("KYQ").unwrap();
    assert!(kyq.geometry.is_none());
    assert_eq!(kyq.path, PathBuf::from(FILE));
    let root_str = root.to_str().unwrap();
    assert_eq!(
        finding_keys(&inspect(root_str, 2)),
        finding_keys(&inspect(DEFECTIVE, 2))
    );

    edit_manifest(&root, |t| {
        t + "layers:\n  KYQ: vector/622923_永靖县.gpkg#KYQ\n"
    });
    let e = read_error(&root);
    assert_eq!(e.frame.as_deref(), Some("KYQ"));
    assert!(e.message.contains("not a feature table"), "{e}");

    edit_manifest(&root, |t| {
        t.replace(
            "layers:\n  KYQ: vector/622923_永靖县.gpkg#KYQ\n",
            "tables:\n  CKQ2: vector/622923_永靖县.gpkg#CKQ\n",
        )
    });
    let e = read_error(&root);
    assert!(e.message.contains("is a feature table"), "{e}");
}

/// Declared column types map as FlatGeobuf's header types: INTEGER family → integers, BOOLEAN →
/// booleans, REAL/DOUBLE/FLOAT → floats, TEXT/DATE/DATETIME → strings.
#[test]
fn declared_column_types_map_to_columns() {
    let (_tmp, root) = copy_package(GPKG);
    let db = writable(&root);
    db.execute_batch(
        "ALTER TABLE CKQ ADD COLUMN N MEDIUMINT;
         ALTER TABLE CKQ ADD COLUMN B BOOLEAN;
         ALTER TABLE CKQ ADD COLUMN F FLOAT;
         ALTER TABLE CKQ ADD COLUMN D DATE;
         ALTER TABLE CKQ ADD COLUMN T DATETIME;
         UPDATE CKQ SET N = 7, B = 1, F = 2, D = '2030-12-31', T = '2030-12-31T00:00:00Z' WHERE fid = 1;",
    )
    .unwrap();
    drop(db);
    let dataset = load(&root, &schema()).unwrap();
    let df = &dataset.frame("CKQ").unwrap().df;
    use polars::prelude::DataType;
    let dtype = |c: &str| df.column(c).unwrap().dtype().clone();
    assert_eq!(dtype("N"), DataType::Int64);
    assert_eq!(dtype("B"), DataType::Boolean);
    assert_eq!(dtype("F"), DataType::Float64);
    assert_eq!(dtype("D"), DataType::String);
    assert_eq!(dtype("T"), DataType::String);
    assert_eq!(df.column("F").unwrap().f64().unwrap().get(0), Some(2.0));
    assert_eq!(df.column("N").unwrap().i64().unwrap().get(0), Some(7));
    assert_eq!(df.column("B").unwrap().bool().unwrap().get(0), Some(true));
    // No fid and no geometry among the attributes, which keep the file's order.
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        ["XKZH", "KSMC", "FZJGJB", "YXQZ", "N", "B", "F", "D", "T"]
    );
}

/// Features are read in the order of their fid, whatever order the rows are stored in.
#[test]
fn features_are_read_in_fid_order() {
    let (_tmp, root) = copy_package(GPKG);
    let original = load(Path::new(GPKG), &schema()).unwrap();
    let db = writable(&root);
    // Rewrite ZRZK with its rows inserted in reverse fid order.
    db.execute_batch(
        "CREATE TABLE tmp AS SELECT * FROM ZRZK;
         DELETE FROM ZRZK;
         INSERT INTO ZRZK SELECT * FROM tmp ORDER BY fid DESC;
         DROP TABLE tmp;",
    )
    .unwrap();
    drop(db);
    let copy = load(&root, &schema()).unwrap();
    let bsm = |d: &nrqc::package::Dataset| {
        let c = d.frame("ZRZK").unwrap().df.column("BSM").unwrap().clone();
        let c = c.str().unwrap().clone();
        (0..c.len())
            .map(|i| c.get(i).map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert_eq!(bsm(&copy), bsm(&original));
}

/// Bad input is an error naming the place, never a panic: a file that is not SQLite, an SQLite
/// file that is not a GeoPackage, a geometry that is not GeoPackage WKB, a text geometry, text
/// that is not UTF-8, a BOOLEAN that is not 0 or 1.
#[test]
fn bad_files_are_errors_naming_the_place() {
    let (_tmp, root) = copy_package(GPKG);
    let file = root.join(FILE);
    let pristine = std::fs::read(&file).unwrap();

    std::fs::write(&file, b"not a database at all, just text").unwrap();
    let e = read_error(&root);
    assert_eq!(e.path, PathBuf::from(FILE));
    assert!(e.message.contains("not a GeoPackage"), "{e}");

    std::fs::remove_file(&file).unwrap();
    Connection::open(&file)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let e = read_error(&root);
    assert!(e.message.contains("without a gpkg_contents table"), "{e}");

    let damage = |sql: &str| {
        std::fs::write(&file, &pristine).unwrap();
        writable(&root).execute_batch(sql).unwrap();
        read_error(&root)
    };
    let e = damage("UPDATE ZRZK SET geom = x'0102030405' WHERE fid = 3");
    assert_eq!(
        (e.frame.as_deref(), e.feature, e.field.as_deref()),
        (Some("ZRZK"), Some(2), Some("geom"))
    );
    assert!(e.message.contains("not a GeoPackage geometry"), "{e}");

    let e = damage("UPDATE ZRZK SET geom = 'POLYGON((0 0,1 0,1 1,0 0))' WHERE fid = 1");
    assert_eq!((e.feature, e.field.as_deref()), (Some(0), Some("geom")));
    assert!(e.message.contains("TEXT"), "{e}");

    let e = damage("UPDATE ZRZK SET BSM = CAST(x'ff41' AS TEXT) WHERE fid = 2");
    assert_eq!((e.feature, e.field.as_deref()), (Some(1), Some("BSM")));
    assert!(e.message.contains("not UTF-8"), "{e}");

    let e = damage("ALTER TABLE XZQ ADD COLUMN B BOOLEAN; UPDATE XZQ SET B = 2");
    assert_eq!(
        (e.frame.as_deref(), e.feature, e.field.as_deref()),
        (Some("XZQ"), Some(0), Some("B"))
    );

    // Geometry collections nested beyond any survey layer's depth: an error, not a stack overflow.
    let mut blob = b"GP\x00\x01".to_vec();
    blob.extend(4522i32.to_le_bytes());
    for _ in 0..100_000 {
        blob.push(1);
        blob.extend(7u32.to_le_bytes());
        blob.extend(1u32.to_le_bytes());
    }
    std::fs::write(&file, &pristine).unwrap();
    writable(&root)
        .execute("UPDATE ZRZK SET geom = ?1 WHERE fid = 1", [&blob])
        .unwrap();
    let e = read_error(&root);
    assert!(e.message.contains("nested deeper"), "{e}");
}

/// A NaN coordinate is what it is in FlatGeobuf: a geometry defect reported by the validity
/// rule for that feature, not a read error.
#[test]
fn nan_coordinates_are_geometry_defects_as_in_flatgeobuf() {
    let (_tmp, root) = copy_package(GPKG);
    let db = writable(&root);
    let blob: Vec<u8> = db
        .query_row("SELECT geom FROM XZQ WHERE fid = 1", [], |r| r.get(0))
        .unwrap();
    // GP header (8 bytes + envelope), then WKB: byte order, type, ring count, point count, x.
    let flags = blob[3];
    let envelope = [0, 32, 48, 48, 64][usize::from((flags >> 1) & 7)];
    let first_x = 8 + envelope + 1 + 4 + 4 + 4;
    let mut nan = blob.clone();
    nan[first_x + 16..first_x + 24].copy_from_slice(&f64::NAN.to_le_bytes());
    db.execute("UPDATE XZQ SET geom = ?1 WHERE fid = 1", [&nan])
        .unwrap();
    drop(db);
    let report = inspect(root.to_str().unwrap(), 2);
    let invalid: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.layer == "XZQ")
        .filter(|f| {
            f.measured
                .as_ref()
                .is_some_and(|m| m.to_string().contains("invalid_coordinate"))
        })
        .collect();
    assert_eq!(invalid.len(), 1, "{:#?}", report.findings);
    assert_eq!(invalid[0].feature_ids[0].fid, 0);
}
