//! Zip packages: a `.zip` holding one package (package format section 1), extracted to a private
//! temporary directory and read from there like any other package.
//!
//! The archive is untrusted input. Before anything is written, every entry name is decoded
//! (UTF-8, or GBK when the raw name is not UTF-8, as Chinese Windows tools write it) and checked:
//! no absolute path, no drive letter, no `..`, no symlink, no NUL. Sizes are bounded twice: by
//! what the central directory declares, and by counting the bytes while inflating, because the
//! declared size of an entry can lie.
//!
//! The package is extracted to `<tmp>/<zip stem>/`, so that its name (the directory name) is the
//! zip's, e.g. `622923_永靖县` for `622923_永靖县.zip`, whether `package.yaml` sits at the
//! zip's root or in its one top-level folder.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::error::PackageError;
use super::scratch::{self, Scratch};
use super::tree;

/// At most this many entries. A county package has a manifest, a dozen layers and tables and
/// a few documents; 10,000 leaves room for shapefile sidecars and scanned documents while a zip
/// of millions of empty entries (cheap to make, slow to create on disk) is refused.
pub const MAX_ENTRIES: usize = 10_000;

/// At most this many bytes extracted in all. The largest package we generate (a million
/// parcels, `gen_fixtures --scale`) is under 1 GiB uncompressed; 16 GiB is far above any real
/// county delivery yet keeps a zip bomb from filling the disk.
pub const MAX_TOTAL_BYTES: u64 = 16 << 30;

/// At most this ratio of inflated to compressed bytes per entry, once the entry is past
/// [`RATIO_FLOOR`] bytes. Survey data (coordinates, CSV, GBK text) deflates 3–20×; deflate can
/// reach about 1032× on constant input, which is what bombs use. 200× leaves a wide margin for
/// repetitive tables.
pub const MAX_RATIO: u64 = 200;

/// Entries smaller than this are not held to [`MAX_RATIO`]: a small file of spaces or zeros is
/// harmless whatever its ratio.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// A package ready to be read: a directory, or a zip extracted to a temporary directory that
/// lives as long as this value.
#[derive(Debug)]
pub struct Opened {
    root: PathBuf,
    _tmp: Option<Scratch>,
}

impl Opened {
    /// The package directory to read.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Whether `path` names a zip package (a file ending in `.zip`, any case).
pub fn is_zip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        && !path.is_dir()
}

/// Opens the package at `path`: a directory as it is, a `.zip` by extracting it. Anything but a
/// directory or a regular file (a FIFO, a device) is refused before it is opened: reading a FIFO
/// would wait forever.
pub fn open(path: &Path) -> Result<Opened, PackageError> {
    let not_a_package = |what: String| PackageError::NotAPackage {
        path: path.to_owned(),
        what,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {}
        Ok(m) if m.is_file() => {}
        Ok(m) => {
            return Err(not_a_package(format!(
                "is {}",
                tree::kind_of(m.file_type())
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(not_a_package("does not exist".into()))
        }
        Err(e) => return Err(not_a_package(format!("cannot be read: {e}"))),
    }
    if !is_zip(path) {
        return Ok(Opened {
            root: path.to_owned(),
            _tmp: None,
        });
    }
    let err = |message: String| PackageError::Archive {
        zip: path.to_owned(),
        entry: None,
        message,
    };
    // Checked again on the open file: the path may have been replaced since.
    let (file, _) = tree::open_regular(path, true).map_err(err)?;
    let tmp = Scratch::new("nrqc-zip-")
        .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty() && s != "." && s != "..")
        .unwrap_or_else(|| "package".to_owned());
    let root = tmp.path().join(stem);
    extract(path, file, &root)?;
    Ok(Opened {
        root,
        _tmp: Some(tmp),
    })
}

/// Said of an entry whose path the zip holds twice.
const TWICE: &str = "the zip holds this path twice (as two entries, or as a file and a folder); \
                     each file of a package is delivered once";

/// One entry of the central directory, validated.
struct Entry {
    index: usize,
    /// Path components inside the zip, decoded; never empty, `.` or `..`.
    parts: Vec<String>,
    name: String,
    is_dir: bool,
}

/// Extracts the package in the zip `reader` (named `zip` in errors) into `dest`, which must not
/// exist yet. `package.yaml` may be at the zip's root or inside its one top-level folder.
pub fn extract<R: Read + Seek>(zip: &Path, reader: R, dest: &Path) -> Result<(), PackageError> {
    extract_holding(
        zip,
        reader,
        dest,
        "package.yaml",
        "no package.yaml at the zip's root or in its one top-level folder; a package zip holds \
         one package",
    )
}

/// [`extract`] of a zip that holds the file `marker` at its root or in its one top-level folder
/// (`package.yaml` for a package, the catalog `a00000001.gdbtable` for a zipped File
/// Geodatabase); `missing` says what is wrong when it does not.
pub(crate) fn extract_holding<R: Read + Seek>(
    zip: &Path,
    reader: R,
    dest: &Path,
    marker: &str,
    missing: &str,
) -> Result<(), PackageError> {
    let err = |entry: Option<&str>, message: String| PackageError::Archive {
        zip: zip.to_owned(),
        entry: entry.map(str::to_owned),
        message,
    };
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| err(None, format!("not a readable zip: {e}")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(err(
            None,
            format!(
                "{} entries; a package zip may hold at most {MAX_ENTRIES}",
                archive.len()
            ),
        ));
    }

    if archive.has_duplicate_names() {
        // The zip crate keeps one of the entries of a name; which name, the directory tells.
        let start = archive.central_directory_start();
        return Err(match duplicate_name(&mut archive.into_inner(), start) {
            Some(name) => err(Some(&name), TWICE.into()),
            None => err(
                None,
                "two entries have the same name; each file of a package is delivered once".into(),
            ),
        });
    }
    // First pass: names, kinds and declared sizes, before anything is written.
    let mut entries = Vec::with_capacity(archive.len());
    let mut declared_total: u64 = 0;
    // Decoded paths: two entries of one path (`a/b` and `a\\b`, or the same name twice), or a
    // file where another entry needs a folder, would leave which one is read to chance.
    let mut files = HashSet::new();
    let mut folders = HashSet::new();
    for index in 0..archive.len() {
        let file = archive
            .by_index_raw(index)
            .map_err(|e| err(None, format!("entry {index} is unreadable: {e}")))?;
        let name = decode_name(file.name_raw(), || file.name().ok());
        let here = |message: String| err(Some(&name), message);
        let parts = safe_parts(&name).map_err(|m| here(m.to_owned()))?;
        if file.is_symlink() {
            return Err(here(
                "a symbolic link; a package zip holds only files and folders".into(),
            ));
        }
        if file.encrypted() {
            return Err(here("encrypted; nrqc reads only unencrypted zips".into()));
        }
        let is_dir = file.is_dir();
        if !is_dir {
            check_ratio(file.size(), file.compressed_size()).map_err(here)?;
            // The declared size is checked here and, since it can lie, each entry is also
            // refused while inflating once it passes its declared size.
            if let Some(limit) = parts.last().and_then(|n| tree::limit_of(Path::new(n))) {
                limit
                    .check(file.size())
                    .map_err(|m| here(format!("declares {m}")))?;
            }
            declared_total = declared_total.saturating_add(file.size());
            if declared_total > MAX_TOTAL_BYTES {
                return Err(here(format!(
                    "the entries declare more than {} GiB in all, the most nrqc extracts",
                    MAX_TOTAL_BYTES >> 30
                )));
            }
        }
        if parts.is_empty() {
            if is_dir {
                continue;
            }
            return Err(here("an entry without a file name".into()));
        }
        let prefixes = (1..parts.len()).map(|end| &parts[..end]);
        let clash = files.contains(&parts[..])
            || (!is_dir && folders.contains(&parts[..]))
            || prefixes.clone().any(|p| files.contains(p));
        folders.extend(prefixes.map(<[String]>::to_vec));
        if is_dir {
            folders.insert(parts.clone());
        } else {
            files.insert(parts.clone());
        }
        if clash {
            return Err(here(TWICE.into()));
        }
        entries.push(Entry {
            index,
            parts,
            name,
            is_dir,
        });
    }

    // Where the package is: the zip's root, or its one top-level folder. Mac archivers'
    // `__MACOSX/` resource forks are not part of the package.
    entries.retain(|e| e.parts[0] != "__MACOSX");
    let is_manifest = |e: &Entry, depth: usize| {
        !e.is_dir && e.parts.len() == depth + 1 && e.parts[depth] == marker
    };
    let strip = if entries.iter().any(|e| is_manifest(e, 0)) {
        0
    } else {
        let top = entries.first().map(|e| e.parts[0].clone());
        let one_folder = top.as_ref().is_some_and(|top| {
            entries
                .iter()
                .all(|e| &e.parts[0] == top && (e.parts.len() > 1 || e.is_dir))
        });
        if one_folder && entries.iter().any(|e| is_manifest(e, 1)) {
            1
        } else {
            return Err(err(None, missing.into()));
        }
    };

    scratch::creating(|| std::fs::create_dir_all(dest))
        .map_err(|e| err(None, format!("cannot create {}: {e}", dest.display())))?;
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for entry in &entries {
        let here = |message: String| err(Some(&entry.name), message);
        let rel: PathBuf = entry.parts[strip..].iter().collect();
        let target = dest.join(&rel);
        if entry.is_dir {
            scratch::creating(|| std::fs::create_dir_all(&target))
                .map_err(|e| here(format!("cannot create the folder: {e}")))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            scratch::creating(|| std::fs::create_dir_all(parent))
                .map_err(|e| here(format!("cannot create its folder: {e}")))?;
        }
        let mut file = archive
            .by_index(entry.index)
            .map_err(|e| here(format!("unreadable: {e}")))?;
        let declared = file.size();
        let compressed = file.compressed_size();
        // create_new: a path is never written twice, whatever the checks above missed.
        let mut out = scratch::creating(|| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)
        })
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => here(TWICE.into()),
            _ => here(format!("cannot write {}: {e}", target.display())),
        })?;
        let mut written: u64 = 0;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| here(format!("corrupt compressed data: {e}")))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            total += n as u64;
            if written > declared {
                return Err(here(format!(
                    "inflates past its declared size of {declared} bytes"
                )));
            }
            if total > MAX_TOTAL_BYTES {
                return Err(here(format!(
                    "the package inflates past {} GiB, the most nrqc extracts",
                    MAX_TOTAL_BYTES >> 30
                )));
            }
            check_ratio(written, compressed).map_err(here)?;
            out.write_all(&buf[..n])
                .map_err(|e| here(format!("cannot write {}: {e}", target.display())))?;
        }
        if written != declared {
            return Err(here(format!(
                "inflates to {written} bytes, not its declared {declared}"
            )));
        }
    }
    Ok(())
}

/// The first name that occurs twice in the central directory starting at `start`, read from
/// the raw headers (the zip crate keeps one entry per name). At most [`MAX_ENTRIES`] + 1 headers
/// are read: the crate has read the same directory already, so it is well formed.
fn duplicate_name<R: Read + Seek>(reader: &mut R, start: u64) -> Option<String> {
    const HEADER: usize = 46;
    reader.seek(std::io::SeekFrom::Start(start)).ok()?;
    let mut seen = HashSet::new();
    for _ in 0..=MAX_ENTRIES {
        let mut h = [0u8; HEADER];
        reader.read_exact(&mut h).ok()?;
        if h[..4] != *b"PK\x01\x02" {
            return None;
        }
        let le = |at: usize| u16::from_le_bytes([h[at], h[at + 1]]) as usize;
        let mut name = vec![0u8; le(28)];
        reader.read_exact(&mut name).ok()?;
        if !seen.insert(name.clone()) {
            return Some(decode_name(&name, || None));
        }
        reader
            .seek(std::io::SeekFrom::Current((le(30) + le(32)) as i64))
            .ok()?;
    }
    None
}

fn check_ratio(inflated: u64, compressed: u64) -> Result<(), String> {
    if inflated > RATIO_FLOOR && inflated / compressed.max(1) > MAX_RATIO {
        return Err(format!(
            "compression ratio above {MAX_RATIO}:1 ({inflated} bytes from {compressed}); \
             refused as a possible zip bomb"
        ));
    }
    Ok(())
}

/// The entry name as text: UTF-8 when the raw bytes are UTF-8 (flagged or not: many tools write
/// UTF-8 without the flag), else GBK, as the Windows archivers of a Chinese locale write it,
/// else `fallback` (the zip crate's CP437 reading).
pub fn decode_name<'a>(raw: &[u8], fallback: impl FnOnce() -> Option<Cow<'a, str>>) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_owned();
    }
    if let Some(s) = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(raw) {
        return s.into_owned();
    }
    fallback()
        .map(Cow::into_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(raw).into_owned())
}

/// The components of an entry name, refusing what could escape the destination.
fn safe_parts(name: &str) -> Result<Vec<String>, &'static str> {
    if name.contains('\0') {
        return Err("a NUL byte in the entry name");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("an absolute path; entries must be relative to the zip's root");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err("a path with a drive letter; entries must be relative to the zip's root");
    }
    let mut parts = Vec::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("a `..` component, which would leave the package directory"),
            p => parts.push(p.to_owned()),
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_are_refused() {
        assert!(safe_parts("../x").is_err());
        assert!(safe_parts("a/../../x").is_err());
        assert!(safe_parts("/etc/passwd").is_err());
        assert!(safe_parts("C:\\x").is_err());
        assert!(safe_parts("a\\..\\x").is_err());
        assert_eq!(safe_parts("a/./b/").unwrap(), vec!["a", "b"]);
    }

    /// The entry `extract` refuses as a path given twice, if any.
    fn clash(entries: &[&str]) -> Option<String> {
        use zip::write::SimpleFileOptions;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for name in entries {
            match name.strip_suffix('/') {
                Some(dir) => z.add_directory(dir, SimpleFileOptions::default()),
                None => z.start_file(*name, SimpleFileOptions::default()),
            }
            .unwrap();
        }
        let zip = z.finish().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        match extract(Path::new("t.zip"), zip, &tmp.path().join("t")) {
            Err(PackageError::Archive { entry, message, .. }) if message == TWICE => entry,
            _ => None,
        }
    }

    #[test]
    fn a_path_given_twice_is_refused_by_its_entry() {
        let yaml = "package.yaml";
        assert_eq!(clash(&[yaml, "a/b", "a\\b"]).as_deref(), Some("a\\b"));
        assert_eq!(clash(&[yaml, "a/./b", "a//b"]).as_deref(), Some("a//b"));
        assert_eq!(clash(&[yaml, "a", "a/b"]).as_deref(), Some("a/b"));
        assert_eq!(clash(&[yaml, "a/b", "a"]).as_deref(), Some("a"));
        assert_eq!(clash(&[yaml, "a", "a/"]).as_deref(), Some("a/"));
        assert_eq!(clash(&[yaml, "a/", "a/b"]), None);
        assert_eq!(clash(&[yaml, "a/b", "a/c"]), None);
    }

    #[test]
    fn gbk_names_are_decoded() {
        let (raw, _, _) = encoding_rs::GBK.encode("622923_永靖县/package.yaml");
        assert_eq!(decode_name(&raw, || None), "622923_永靖县/package.yaml");
        assert_eq!(decode_name("永靖".as_bytes(), || None), "永靖");
    }

    #[test]
    fn ratio_is_held_only_past_the_floor() {
        assert!(check_ratio(1000, 1).is_ok());
        assert!(check_ratio(RATIO_FLOOR + 1, 1).is_err());
        assert!(check_ratio(RATIO_FLOOR * 10, RATIO_FLOOR).is_ok());
    }
}
