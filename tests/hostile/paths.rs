//! Nothing read outside the package, no hang on a file that is not a regular file, bounded zip
//! extraction, and no temporary folder left behind (README, "Paths: nothing read outside the
//! package"). Symlinks and FIFOs cannot live in git, so these packages are made here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{copy_package, flat, run_measured, Measured, CLEAN};

const LIMIT: Duration = Duration::from_secs(20);

/// A run of `nrqc <args>` with a private TMPDIR, so that what it leaves there can be seen.
fn nrqc(args: &[&Path], tmpdir: &Path) -> Measured {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nrqc"));
    cmd.args(args)
        .env("TMPDIR", tmpdir)
        .env("NO_COLOR", "1")
        .env("NRQC_LANG", "en");
    run_measured(&cmd, LIMIT)
}

/// `nrqc check PKG --quiet --out OUT` in the work folder `work`, whose `tmp/` is the child's
/// TMPDIR.
fn check(package: &Path, work: &Path) -> Measured {
    let tmp = work.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = work.join("out");
    let m = nrqc(
        &[
            Path::new("check"),
            package,
            Path::new("--quiet"),
            Path::new("--out"),
            &out,
        ],
        &tmp,
    );
    assert!(!m.timed_out, "nrqc hung on {}", package.display());
    m
}

fn stderr(m: &Measured) -> String {
    flat(&String::from_utf8_lossy(&m.output.stderr))
}

/// Exit 2 with `expected` on stderr.
fn assert_refused(m: &Measured, expected: &str) {
    let err = stderr(m);
    assert_eq!(m.output.status.code(), Some(2), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// What is left in the child's TMPDIR (`work/tmp`).
fn leftovers(work: &Path) -> Vec<String> {
    std::fs::read_dir(work.join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Whether `marker` occurs in any file under `dir` (the reports).
fn written_anywhere(dir: &Path, marker: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.map(|e| e.unwrap().path()).any(|p| {
        if p.is_dir() {
            written_anywhere(&p, marker)
        } else {
            String::from_utf8_lossy(&std::fs::read(&p).unwrap()).contains(marker)
        }
    })
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A CSV table outside every package, in the layout of GGGZ, holding `MARKER`.
const MARKER: &str = "6229239999999";
fn outside_table(dir: &Path) -> PathBuf {
    let gggz = std::fs::read(Path::new(CLEAN).join("tables/GGGZ.csv")).unwrap();
    let mut text = gggz.clone();
    text.extend_from_slice(format!("{MARKER},x,62292310001,1.00,x\n").as_bytes());
    let path = dir.join("GGGZ.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn append_manifest(package: &Path, text: &str) {
    let manifest = package.join("package.yaml");
    let mut m = std::fs::read_to_string(&manifest).unwrap();
    m.push_str(text);
    std::fs::write(manifest, m).unwrap();
}

#[test]
fn a_symlinked_table_that_leaves_the_package_is_refused_unread() {
    let elsewhere = tempfile::tempdir().unwrap();
    let marker_table = outside_table(elsewhere.path());
    // A FIFO outside: were it opened, the run would hang.
    let fifo = elsewhere.path().join("pipe.csv");
    mkfifo(&fifo);
    for target in [
        Path::new("/etc/passwd"),
        Path::new("/proc/self/environ"),
        &marker_table,
        &fifo,
    ] {
        let (work, package) = copy_package(CLEAN);
        let table = package.join("tables/GGGZ.csv");
        std::fs::remove_file(&table).unwrap();
        std::os::unix::fs::symlink(target, &table).unwrap();
        let m = check(&package, work.path());
        // /proc/self is the child's own /proc/<pid>.
        let to = match target.starts_with("/proc/self") {
            true => "/proc/".to_owned(),
            false => target.canonicalize().unwrap().display().to_string(),
        };
        assert_refused(
            &m,
            &format!("tables/GGGZ.csv: points outside the package (to {to}"),
        );
        assert_refused(&m, "); nrqc reads only files inside the package");
        for content in [MARKER, "root:", "PATH="] {
            assert!(!written_anywhere(&work.path().join("out"), content));
        }
    }
}

#[test]
fn a_symlinked_folder_that_leaves_the_package_is_refused_unread() {
    let elsewhere = tempfile::tempdir().unwrap();
    outside_table(elsewhere.path());
    let (work, package) = copy_package(CLEAN);
    for t in ["KYQ.csv", "TJ_ZRZYMJ.csv"] {
        std::fs::copy(package.join("tables").join(t), elsewhere.path().join(t)).unwrap();
    }
    std::fs::remove_dir_all(package.join("tables")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), package.join("tables")).unwrap();
    let m = check(&package, work.path());
    assert_refused(
        &m,
        &format!(
            "tables: points outside the package (to {})",
            elsewhere.path().canonicalize().unwrap().display()
        ),
    );
    assert!(!written_anywhere(&work.path().join("out"), MARKER));
}

#[test]
fn a_symlinked_manifest_outside_the_package_is_refused_unread() {
    let elsewhere = tempfile::tempdir().unwrap();
    let (work, package) = copy_package(CLEAN);
    let manifest = elsewhere.path().join("package.yaml");
    std::fs::rename(package.join("package.yaml"), &manifest).unwrap();
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("producer: ", &format!("producer: {MARKER}")),
    )
    .unwrap();
    std::os::unix::fs::symlink(&manifest, package.join("package.yaml")).unwrap();
    let m = check(&package, work.path());
    assert_refused(
        &m,
        &format!(
            "package.yaml: points outside the package (to {})",
            manifest.canonicalize().unwrap().display()
        ),
    );
    assert!(!stderr(&m).contains(MARKER));
    assert!(!written_anywhere(&work.path().join("out"), MARKER));
}

#[test]
fn a_symlink_inside_the_package_is_followed() {
    let (work, package) = copy_package(CLEAN);
    // Not `docs/`: that folder holds the units' documents (ZR-S006).
    std::fs::create_dir(package.join("shared")).unwrap();
    std::fs::rename(
        package.join("tables/GGGZ.csv"),
        package.join("shared/GGGZ.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../shared/GGGZ.csv", package.join("tables/GGGZ.csv")).unwrap();
    let m = check(&package, work.path());
    assert_eq!(m.output.status.code(), Some(0), "{}", stderr(&m));
    let report = std::fs::read_to_string(work.path().join("out/report.json")).unwrap();
    assert!(report.contains("\"tables/GGGZ.csv\""), "{report}");
}

#[test]
fn a_manifest_mapping_outside_the_package_is_refused_unread() {
    let elsewhere = tempfile::tempdir().unwrap();
    let marker_table = outside_table(elsewhere.path());
    let relative = format!(
        "../../{}",
        marker_table.strip_prefix("/").unwrap().display()
    );
    for (mapping, to) in [
        (marker_table.display().to_string(), marker_table.clone()),
        ("/etc/passwd".to_owned(), PathBuf::from("/etc/passwd")),
        ("../GGGZ.csv".to_owned(), PathBuf::from("../GGGZ.csv")),
        (relative.clone(), PathBuf::from(&relative)),
    ] {
        let (work, package) = copy_package(CLEAN);
        std::fs::remove_file(package.join("tables/GGGZ.csv")).unwrap();
        std::fs::write(package.join("../GGGZ.csv"), b"x").unwrap();
        append_manifest(&package, &format!("tables:\n  GGGZ: {mapping}\n"));
        let m = check(&package, work.path());
        let shown = if to.is_absolute() {
            to
        } else {
            package.canonicalize().unwrap().join(to)
        };
        assert_refused(
            &m,
            &format!(
                "{mapping}: GGGZ: package.yaml maps the table GGGZ here, but this file points \
                 outside the package (to {})",
                shown.display()
            ),
        );
        assert!(!written_anywhere(&work.path().join("out"), MARKER));
    }
}

#[test]
fn a_manifest_in_a_zip_mapping_outside_is_refused() {
    for mapping in ["../x.csv", "/etc/passwd"] {
        let work = tempfile::tempdir().unwrap();
        let manifest = format!(
            "{}tables:\n  GGGZ: {mapping}\n",
            std::fs::read_to_string(Path::new(CLEAN).join("package.yaml")).unwrap()
        );
        let zip = work.path().join("622923_永靖县.zip");
        std::fs::write(&zip, zip_of(&[("package.yaml", manifest.as_bytes())])).unwrap();
        let m = check(&zip, work.path());
        assert_refused(
            &m,
            &format!(
                "{mapping}: GGGZ: package.yaml maps the table GGGZ here, but this file points \
                 outside the package"
            ),
        );
        assert_eq!(leftovers(work.path()), Vec::<String>::new());
    }
}

#[test]
fn a_fifo_as_the_package_is_refused_without_hanging() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("x.zip");
    mkfifo(&fifo);
    let m = check(&fifo, work.path());
    assert_refused(
        &m,
        &format!(
            "{}: is a FIFO (named pipe); a package is a directory holding package.yaml, or a \
             .zip file",
            fifo.display()
        ),
    );
    assert!(m.wall < Duration::from_secs(10), "{:?}", m.wall);
}

#[test]
fn a_fifo_or_folder_as_a_table_says_what_it_is() {
    // Mapped by package.yaml, and found in tables/.
    let (work, package) = copy_package(CLEAN);
    std::fs::remove_file(package.join("tables/GGGZ.csv")).unwrap();
    mkfifo(&package.join("tables/pipe.csv"));
    append_manifest(&package, "tables:\n  GGGZ: tables/pipe.csv\n");
    assert_refused(
        &check(&package, work.path()),
        "tables/pipe.csv: GGGZ: package.yaml maps the table GGGZ here, but this file is a FIFO \
         (named pipe), not a file",
    );

    let (work, package) = copy_package(CLEAN);
    std::fs::remove_file(package.join("tables/GGGZ.csv")).unwrap();
    std::fs::create_dir(package.join("tables/GGGZ.csv")).unwrap();
    append_manifest(&package, "tables:\n  GGGZ: tables/GGGZ.csv\n");
    assert_refused(
        &check(&package, work.path()),
        "tables/GGGZ.csv: GGGZ: package.yaml maps the table GGGZ here, but this file is a \
         directory, not a file",
    );

    let (work, package) = copy_package(CLEAN);
    std::fs::remove_file(package.join("tables/KYQ.csv")).unwrap();
    mkfifo(&package.join("tables/KYQ.csv"));
    assert_refused(
        &check(&package, work.path()),
        "tables/KYQ.csv: is a FIFO (named pipe), not a file",
    );
}

#[test]
fn a_table_over_its_limit_is_refused_before_it_is_read() {
    let (work, package) = copy_package(CLEAN);
    // Sparse: 300 MiB that take no disk.
    let table = std::fs::OpenOptions::new()
        .write(true)
        .open(package.join("tables/GGGZ.csv"))
        .unwrap();
    table.set_len(300 << 20).unwrap();
    let m = check(&package, work.path());
    assert_refused(
        &m,
        "tables/GGGZ.csv: is 314572800 bytes (300.0 MiB); a CSV table may be at most \
         256.0 MiB (268435456 bytes), as nrqc holds it in memory",
    );
    assert!(m.peak_mib < 150, "{} MiB", m.peak_mib);
}

/// A zip of `entries`, stored (not compressed), each at a fixed date.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        z.start_file(*name, options).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// The clean package's files as zip entries, with `replace` put in place of (or beside) them.
fn package_entries(replace: &[(&str, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for dir in ["", "vector", "tables"] {
        for e in std::fs::read_dir(Path::new(CLEAN).join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let name = p
                    .strip_prefix(CLEAN)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                entries.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    entries.retain(|(n, _)| !replace.iter().any(|(r, _)| r == n));
    entries.extend(replace.iter().map(|(n, d)| (n.to_string(), d.clone())));
    entries
}

pub(crate) fn zip_package(path: &Path, replace: &[(&str, Vec<u8>)]) {
    let entries = package_entries(replace);
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    std::fs::write(path, zip_of(&refs)).unwrap();
}

/// Sets the uncompressed size that `zip`'s local and central headers declare for `name`.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for at in 0..zip.len() - 4 {
        let (offset, name_at) = match &zip[at..at + 4] {
            b"PK\x03\x04" => (22, 30),
            b"PK\x01\x02" => (24, 46),
            _ => continue,
        };
        if zip[at + name_at..].starts_with(name.as_bytes()) {
            zip[at + offset..at + offset + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{name} has a local and a central header");
}

#[test]
fn a_zip_table_over_its_limit_is_refused_and_leaves_nothing() {
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("622923_永靖县.zip");
    // 2 MiB stored, declaring 300 MiB: 150:1, under the ratio limit, over the table limit.
    zip_package(&zip, &[("tables/GGGZ.csv", vec![b'1'; 2 << 20])]);
    let mut bytes = std::fs::read(&zip).unwrap();
    declare_size(&mut bytes, "tables/GGGZ.csv", 300 << 20);
    std::fs::write(&zip, &bytes).unwrap();
    let m = check(&zip, work.path());
    assert_refused(
        &m,
        &format!(
            "{}: entry `tables/GGGZ.csv`: declares 314572800 bytes (300.0 MiB); a CSV table may \
             be at most 256.0 MiB (268435456 bytes), as nrqc holds it in memory",
            zip.display()
        ),
    );
    assert_eq!(leftovers(work.path()), Vec::<String>::new());

    // Declared sizes lie: one that inflates past its declaration is stopped there, and its
    // partial extraction removed.
    declare_size(&mut bytes, "tables/GGGZ.csv", 1 << 20);
    std::fs::write(&zip, &bytes).unwrap();
    let m = check(&zip, work.path());
    assert_refused(
        &m,
        "entry `tables/GGGZ.csv`: corrupt compressed data: File is larger than its declared \
         uncompressed size",
    );
    assert_eq!(leftovers(work.path()), Vec::<String>::new());
}

#[test]
fn one_oversized_zip_costs_a_batch_only_its_own_report() {
    let work = tempfile::tempdir().unwrap();
    let batch = work.path().join("batch");
    std::fs::create_dir(&batch).unwrap();
    crate::common::copy_dir(Path::new(CLEAN), &batch.join("622923_永靖县"));
    let zip = batch.join("622921_临夏县.zip");
    zip_package(&zip, &[("tables/GGGZ.csv", vec![b'1'; 2 << 20])]);
    let mut bytes = std::fs::read(&zip).unwrap();
    declare_size(&mut bytes, "tables/GGGZ.csv", 300 << 20);
    std::fs::write(&zip, &bytes).unwrap();
    // Neither may a FIFO hang the batch or be left out unsaid.
    mkfifo(&batch.join("622922_康乐县.zip"));
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = work.path().join("out");
    let m = nrqc(
        &[
            Path::new("batch"),
            &batch,
            Path::new("--quiet"),
            Path::new("--out"),
            &out,
        ],
        &tmp,
    );
    assert_eq!(m.output.status.code(), Some(2), "{}", stderr(&m));
    assert!(out.join("622923_永靖县/report.json").is_file());
    let summary = std::fs::read_to_string(out.join("batch.json")).unwrap();
    assert!(
        summary.contains("a CSV table may be at most 256.0 MiB"),
        "{summary}"
    );
    assert!(summary.contains("is a FIFO (named pipe)"), "{summary}");
    assert!(!m.timed_out);
    assert_eq!(leftovers(work.path()), Vec::<String>::new());
}

#[test]
fn a_signal_while_a_zip_is_read_removes_its_extraction() {
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("622923_永靖县.zip");
    // A 40 MB table: the run is still at it long after its extraction folder appears.
    let gggz = std::fs::read(Path::new(CLEAN).join("tables/GGGZ.csv")).unwrap();
    let (header, rows) = gggz.split_at(gggz.iter().position(|b| *b == b'\n').unwrap() + 1);
    let mut big = header.to_vec();
    while big.len() < 40 << 20 {
        big.extend_from_slice(rows);
    }
    zip_package(&zip, &[("tables/GGGZ.csv", big)]);
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nrqc"))
            .arg("check")
            .arg(&zip)
            .arg("--quiet")
            .arg("--out")
            .arg(work.path().join("out"))
            .env("TMPDIR", &tmp)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while leftovers(work.path()).is_empty() {
            assert!(start.elapsed() < LIMIT, "no extraction folder appeared");
            std::thread::sleep(Duration::from_millis(2));
        }
        // SAFETY: our own child, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > LIMIT {
                child.kill().unwrap();
                panic!("nrqc did not exit on signal {signal}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(code), "{status:?}");
        assert_eq!(leftovers(work.path()), Vec::<String>::new());
    }
}

/// Documents are known by name only: a FIFO in docs/ cannot hang the run (only its metadata is
/// read), and a FIFO or a symlink out of the package is no document, listed as unread with why;
/// their units then lack the document. A docs/ symlinked out of the package is refused.
#[test]
fn documents_are_known_by_name_and_never_read() {
    let (work, package) = copy_package(CLEAN);
    let docs = package.join("docs");
    std::fs::create_dir(&docs).unwrap();
    mkfifo(&docs.join("6229231200001_登记簿.pdf"));
    std::os::unix::fs::symlink("/etc/passwd", docs.join("6229231200001_附图.pdf")).unwrap();
    let m = check(&package, work.path());
    assert_eq!(m.output.status.code(), Some(1), "{}", stderr(&m));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join("out/report.json")).unwrap())
            .unwrap();
    let unread: Vec<(&str, &str)> = report["package"]["unread"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["path"].as_str().unwrap(), u["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(unread.len(), 2, "{unread:?}");
    assert_eq!(unread[0].0, "docs/6229231200001_登记簿.pdf");
    assert!(
        unread[0].1.starts_with("is a FIFO (named pipe)"),
        "{unread:?}"
    );
    assert_eq!(unread[1].0, "docs/6229231200001_附图.pdf");
    assert!(
        unread[1]
            .1
            .starts_with("points outside the package (to /etc/passwd)"),
        "{unread:?}"
    );
    assert!(!written_anywhere(&work.path().join("out"), "root:"));

    let elsewhere = tempfile::tempdir().unwrap();
    let (work, package) = copy_package(CLEAN);
    std::os::unix::fs::symlink(elsewhere.path(), package.join("docs")).unwrap();
    assert_refused(
        &check(&package, work.path()),
        "docs: points outside the package",
    );
}
