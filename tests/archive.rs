//! Zip packages: a zipped package reads exactly as its directory does, whatever its layout
//! (package.yaml at the root or in one top-level folder) and entry-name encoding (GBK without the
//! UTF-8 flag, as `scripts/zip_fixture.py` writes the committed fixture); unsafe zips are refused
//! with an error naming the zip and the entry.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use nrqc::package::PackageError;
use zip::write::SimpleFileOptions;

const DEFECTIVE_ZIP: &str = "fixtures/622923_永靖县_defective.zip";

#[test]
fn zipped_package_gives_the_same_findings_as_its_directory() {
    let dir = inspect(DEFECTIVE, 2);
    let zipped = inspect(DEFECTIVE_ZIP, 2);
    assert!(!dir.findings.is_empty());
    assert_eq!(zipped.findings, dir.findings);
    assert_eq!(finding_keys(&zipped), finding_keys(&dir));
    assert_eq!(
        common::timeless(&zipped.rules),
        common::timeless(&dir.rules)
    );
    // The package keeps its name; the report names the zip as the input, not the temp dir.
    assert_eq!(zipped.package.name, "622923_永靖县_defective");
    assert_eq!(zipped.package.path, DEFECTIVE_ZIP);
    // The same files with the same digests.
    assert_eq!(
        serde_json::to_value(&zipped.package.files).unwrap(),
        serde_json::to_value(&dir.package.files).unwrap()
    );
}

/// Writes `files` (name, bytes) into a zip at `path` with UTF-8 names.
fn write_zip(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        z.start_file(name.as_str(), options).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

fn package_files(dir: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "vector/", "tables/", "docs/"] {
        let Ok(entries) = std::fs::read_dir(Path::new(dir).join(sub)) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let name = format!("{prefix}{sub}{}", e.file_name().to_string_lossy());
                out.push((name, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn package_yaml_at_the_zip_root_is_read_too() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("622923_永靖县.zip");
    write_zip(&zip, &package_files(CLEAN, ""));
    let report = inspect(zip.to_str().unwrap(), 2);
    let dir = inspect(CLEAN, 2);
    assert_eq!(report.findings, dir.findings);
    assert_eq!(report.package.name, "622923_永靖县");
}

/// A zipped package's documents are matched by name as its directory's are.
#[test]
fn documents_of_a_zip_are_matched_as_in_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("622924_广河县_defective.zip");
    let src = "fixtures/622924_广河县_defective";
    write_zip(&zip, &package_files(src, "622924_广河县_defective/"));
    let zipped = inspect(zip.to_str().unwrap(), 2);
    let dir = inspect(src, 2);
    let s006 = |r: &nrqc::report::Report| -> Vec<String> {
        r.findings
            .iter()
            .filter(|f| f.rule_id == "ZR-S006")
            .map(|f| f.message.clone())
            .collect()
    };
    assert_eq!(s006(&zipped).len(), 2);
    assert_eq!(s006(&zipped), s006(&dir));
    assert_eq!(
        serde_json::to_value(&zipped.package.unread).unwrap(),
        serde_json::to_value(&dir.package.unread).unwrap()
    );
}

fn open_err(files: &[(String, Vec<u8>)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("622923_永靖县.zip");
    write_zip(&zip, files);
    let err = nrqc::package::archive::open(&zip).unwrap_err();
    assert!(matches!(err, PackageError::Archive { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("622923_永靖县.zip"), "{text}");
    text
}

fn manifest() -> (String, Vec<u8>) {
    (
        "package.yaml".into(),
        std::fs::read(Path::new(CLEAN).join("package.yaml")).unwrap(),
    )
}

#[test]
fn parent_and_absolute_entries_are_refused() {
    let e = open_err(&[manifest(), ("../evil.txt".into(), b"x".to_vec())]);
    assert!(e.contains("`../evil.txt`") && e.contains("`..`"), "{e}");
    let e = open_err(&[manifest(), ("a/../../evil.txt".into(), b"x".to_vec())]);
    assert!(e.contains("`..`"), "{e}");
    let e = open_err(&[manifest(), ("/etc/evil".into(), b"x".to_vec())]);
    assert!(e.contains("absolute path"), "{e}");
}

#[test]
fn symlinks_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("p.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    z.add_symlink("vector", "/etc", SimpleFileOptions::default())
        .unwrap();
    z.finish().unwrap();
    let e = nrqc::package::archive::open(&zip).unwrap_err().to_string();
    assert!(e.contains("symbolic link") && e.contains("`vector`"), "{e}");
}

#[test]
fn a_zip_bomb_is_refused() {
    // 64 MiB of zeros deflate to about 64 KiB: a ratio near 1000:1.
    let e = open_err(&[manifest(), ("tables/GGGZ.csv".into(), vec![0; 64 << 20])]);
    assert!(
        e.contains("compression ratio") && e.contains("tables/GGGZ.csv"),
        "{e}"
    );
}

#[test]
fn a_zip_without_a_package_is_refused() {
    let e = open_err(&[
        ("a/package.yaml".into(), b"x".to_vec()),
        ("b/package.yaml".into(), b"x".to_vec()),
    ]);
    assert!(e.contains("no package.yaml"), "{e}");
}

#[test]
fn the_extracted_copy_is_private_and_removed() {
    let opened = nrqc::package::archive::open(Path::new(DEFECTIVE_ZIP)).unwrap();
    let root: PathBuf = opened.root().to_owned();
    assert!(root.join("package.yaml").is_file());
    assert!(root.ends_with("622923_永靖县_defective"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    drop(opened);
    assert!(!root.exists());
}

#[test]
fn batch_discovers_zips_in_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(DEFECTIVE_ZIP, tmp.path().join("622923_永靖县.zip")).unwrap();
    let found = nrqc::batch::discover(&[tmp.path().to_owned()]).unwrap();
    assert_eq!(found, vec![tmp.path().join("622923_永靖县.zip")]);
    assert_eq!(nrqc::package::package_name(&found[0]), "622923_永靖县");
}
