//! A package is its own tree. Every file nrqc reads of a package (`package.yaml`, the files it
//! maps, the files found in `vector/` and `tables/`, a shapefile's sidecars) is resolved with its
//! symlinks followed and must lie inside the package root, be a regular file and be no larger
//! than the limit of its kind, before a byte of it is read. A delivery is inspected as delivered:
//! a symlink to `/etc/passwd` or a mapping to `../other/GGGZ.csv` is refused, never read into the
//! report.
//!
//! The limits bound memory: nrqc holds a layer or table in memory while it inspects it (about
//! twice the file's size, see the README's benchmarks). A 1,000,000-parcel FlatGeobuf is 258 MB;
//! statistics and attribute tables of a county are kilobytes to a few megabytes.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::error::ReadError;

/// The most bytes of `package.yaml`: metadata and a mapping of some dozens of layers and tables
/// take a few kilobytes.
pub const MAX_MANIFEST_BYTES: u64 = 256 << 10;
/// The largest `exceptions.yaml`: about 60,000 accepted findings at a few lines each.
pub const MAX_EXCEPTIONS_BYTES: u64 = 16 << 20;
/// The most bytes of a CSV table.
pub const MAX_TABLE_BYTES: u64 = 256 << 20;
/// The most bytes of a layer file (FlatGeobuf, GeoJSON, or one file of a shapefile): four times
/// a million-parcel FlatGeobuf.
pub const MAX_LAYER_BYTES: u64 = 1 << 30;
/// The most bytes of a GeoPackage, which may hold every layer and table of a package.
pub const MAX_GEOPACKAGE_BYTES: u64 = 2 << 30;

/// How large a file of the package may be, and what kind of file that limit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The largest size allowed, in bytes.
    pub bytes: u64,
    /// The kind of file, as the refusal names it, e.g. `a CSV table`.
    pub what: &'static str,
}

impl Limit {
    /// Refuses `bytes` above the limit, saying so in the user's terms.
    pub fn check(&self, bytes: u64) -> Result<(), String> {
        if bytes > self.bytes {
            return Err(format!(
                "{} bytes ({}); {} may be at most {} ({} bytes), as nrqc holds it in memory",
                bytes,
                human(bytes),
                self.what,
                human(self.bytes),
                self.bytes
            ));
        }
        Ok(())
    }
}

/// The limit of a file nrqc may read, by its name; `None` for files it never reads (documents,
/// scans), which a zip may still hold.
pub fn limit_of(name: &Path) -> Option<Limit> {
    if name.file_name().is_some_and(|n| n == "package.yaml") {
        return Some(Limit {
            bytes: MAX_MANIFEST_BYTES,
            what: "package.yaml",
        });
    }
    if name
        .file_name()
        .is_some_and(|n| n == crate::finding::exception::CONVENTIONAL)
    {
        return Some(Limit {
            bytes: MAX_EXCEPTIONS_BYTES,
            what: crate::finding::exception::CONVENTIONAL,
        });
    }
    let ext = name.extension()?.to_str()?.to_ascii_lowercase();
    let (bytes, what) = match ext.as_str() {
        "csv" => (MAX_TABLE_BYTES, "a CSV table"),
        "gpkg" => (MAX_GEOPACKAGE_BYTES, "a GeoPackage"),
        "fgb" | "geojson" | "json" | "shp" | "shx" | "dbf" | "prj" | "cpg" | "gdbtable"
        | "gdbtablx" => (MAX_LAYER_BYTES, "a layer file"),
        // A zipped File Geodatabase (`.gdb.zip`) in vector/, which may hold every layer.
        "zip" => (MAX_GEOPACKAGE_BYTES, "a zipped File Geodatabase"),
        _ => return None,
    };
    Some(Limit { bytes, what })
}

/// `bytes` in the largest binary unit that keeps it at 1 or more, e.g. `3.0 GiB`.
fn human(bytes: u64) -> String {
    let units = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in units {
        if bytes >= 1 << shift {
            return format!("{:.1} {unit}", bytes as f64 / (1u64 << shift) as f64);
        }
    }
    format!("{bytes} bytes")
}

/// What a path is when it is not a regular file, in words.
pub(crate) fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Whether `rel` leaves the directory it is relative to before any symlink is followed: an
/// absolute path, or more `..` than folders before them.
fn leaves(rel: &Path) -> bool {
    let mut depth = 0usize;
    for c in rel.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return true,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            Component::Normal(_) => depth += 1,
        }
    }
    false
}

fn outside(to: &Path) -> String {
    format!(
        "points outside the package (to {}); nrqc reads only files inside the package",
        to.display()
    )
}

/// Refuses `rel` when it names a path outside the package at `root` as written, before any
/// symlink is followed: an absolute path, or more `..` than folders before them.
pub fn written_inside(root: &Path, rel: &Path) -> Result<(), String> {
    match leaves(rel) {
        true => Err(outside(&root.join(rel))),
        false => Ok(()),
    }
}

/// The canonical path of `rel` in the package at `root` (itself canonical), refusing a path that
/// resolves outside it. `rel` may name a folder.
pub fn resolve(root: &Path, rel: &Path) -> Result<PathBuf, String> {
    written_inside(root, rel)?;
    let resolved = root.join(rel).canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        _ => format!("cannot be read: {e}"),
    })?;
    if !resolved.starts_with(root) {
        return Err(outside(&resolved));
    }
    Ok(resolved)
}

/// Opens `path` read-only without blocking (a FIFO cannot hang the run) and refuses anything
/// but a regular file. `follow` is false where the path was just resolved: a symlink put in its
/// place since is refused rather than followed.
pub fn open_regular(path: &Path, follow: bool) -> Result<(File, u64), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err(format!("is {}, not a file", kind_of(meta.file_type())));
    }
    Ok((file, meta.len()))
}

/// The file `rel` of the package at `root` (canonical), checked as this module says and opened
/// read-only, with its canonical path.
pub fn open(root: &Path, rel: &Path) -> Result<(File, PathBuf), ReadError> {
    let err = |message: String| ReadError::new(rel, message);
    let resolved = resolve(root, rel).map_err(err)?;
    let (file, len) = open_regular(&resolved, false).map_err(err)?;
    if let Some(limit) = limit_of(rel) {
        limit.check(len).map_err(|m| err(format!("is {m}")))?;
    }
    Ok((file, resolved))
}

/// The bytes of the file `rel` of the package at `root` (canonical); see [`open`].
pub fn read(root: &Path, rel: &Path) -> Result<Vec<u8>, ReadError> {
    let (file, _) = open(root, rel)?;
    let limit = limit_of(rel).map_or(u64::MAX, |l| l.bytes);
    // Sized from the file, up to its limit: grown by doubling, a 300 MB layer was copied several
    // times over while it was read.
    // A size the memory cannot hold is left to the read, which then fails as a read error.
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::new();
    let _ = bytes.try_reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // A file that grows after it was measured is still read no further than its limit.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::new(rel, format!("cannot be read: {e}")))?;
    if let Some(limit) = limit_of(rel) {
        limit
            .check(bytes.len() as u64)
            .map_err(|m| ReadError::new(rel, format!("is {m}")))?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_before_any_symlink() {
        assert!(leaves(Path::new("/etc/passwd")));
        assert!(leaves(Path::new("../x.csv")));
        assert!(leaves(Path::new("tables/../../x.csv")));
        assert!(!leaves(Path::new("tables/../tables/GGGZ.csv")));
        assert!(!leaves(Path::new("./vector/XZQ.fgb")));
    }

    #[test]
    fn limits_by_kind() {
        assert_eq!(
            limit_of(Path::new("tables/GGGZ.CSV")).unwrap().bytes,
            MAX_TABLE_BYTES
        );
        assert_eq!(
            limit_of(Path::new("vector/XZQ.fgb")).unwrap().bytes,
            MAX_LAYER_BYTES
        );
        assert_eq!(
            limit_of(Path::new("package.yaml")).unwrap().bytes,
            MAX_MANIFEST_BYTES
        );
        assert_eq!(limit_of(Path::new("docs/scan.pdf")), None);
        let err = limit_of(Path::new("t.csv"))
            .unwrap()
            .check(3 << 30)
            .unwrap_err();
        assert_eq!(
            err,
            "3221225472 bytes (3.0 GiB); a CSV table may be at most 256.0 MiB (268435456 bytes), \
             as nrqc holds it in memory"
        );
    }
}
