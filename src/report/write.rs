//! Writing reports into an output folder that others may share: a reader never sees half a
//! report or a mix of two runs' reports, and nothing is written outside the folder.
//!
//! A run's reports are rendered into a private staging folder (`.nrqc-XXXXXX`, 0700, made with
//! mkdir under a random name) inside the output folder, then moved into place by renames while
//! the run holds an exclusive `flock` on the output folder. No path that nrqc writes through is
//! predictable, and none that exists beforehand is followed: a planted symlink in the output
//! folder is replaced by the rename, never written through.

use std::ffi::CString;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::package::scratch::Scratch;

/// Writes `contents` to `path` through a temporary file of a random name created with O_EXCL
/// in the same directory, and a rename: an existing file or symlink of any name is never
/// written through.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".nrqc-").tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Every file name nrqc writes into a package's output folder: a run removes those it did not
/// write, so that no report of an earlier run stays beside its own.
pub const REPORT_FILES: [&str; 7] = [
    "report.json",
    "report.md",
    "report.html",
    "report.xlsx",
    "junit.xml",
    "errors.fgb",
    "errors.geojson",
];

/// A package's name as one path component of the output: never `.`, `..`, empty, hidden, or
/// holding a separator or a control character (a zip named `...zip` is the package `..`, which
/// must not become `reports/..`). Those characters become `_`; a name of dots alone is
/// `package`; the length is held to 200 bytes, under the 255 a file name may have.
pub fn path_component(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if s.chars().all(|c| c == '.') {
        return "package".to_owned();
    }
    if s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    if s.len() > 200 {
        let mut end = 200;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Why the output folder cannot take the reports.
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    /// `--out` names an existing file, not a folder (the path as given).
    #[error("--out {0} is a file, not a folder")]
    IsFile(PathBuf),
    /// `--out` is a package folder or lies inside one: the reports would change the delivery.
    #[error("--out {out} is inside the package {package}: the reports would change the delivery they inspect (and the next run would read them as delivered files); choose a folder outside it")]
    InsidePackage {
        /// The `--out` folder as given.
        out: PathBuf,
        /// The package folder it lies in, as given or found on the command line.
        package: PathBuf,
    },
    /// Creating, writing, moving or removing something in the output folder failed.
    #[error("cannot write to {path}: {error}")]
    Io {
        /// Where, as the user sees it: the final name in `--out`, never the staging folder's.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
}

impl OutError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutError + '_ {
        move |error| OutError::Io {
            path: path.to_owned(),
            error,
        }
    }
}

/// `out` as the path it will have once created: its nearest existing ancestor canonicalised,
/// the rest (which does not exist, so holds no symlink) resolved lexically.
fn resolve_future(out: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(out)?;
    let parts: Vec<Component> = absolute.components().collect();
    // The root always resolves, so some prefix does.
    let (mut resolved, rest) = (0..=parts.len())
        .rev()
        .find_map(|n| {
            let prefix: PathBuf = parts[..n].iter().collect();
            Some((prefix.canonicalize().ok()?, &parts[n..]))
        })
        .unwrap_or_else(|| (absolute.clone(), &[]));
    for part in rest {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    Ok(resolved)
}

/// Checks, before anything is inspected or written, that `out` can be an output folder: not a
/// file, and not inside any of `packages` (a package folder, or the package root itself). A zip
/// package's folder is fine: only the package's own tree is refused.
pub fn check_out(out: &Path, packages: &[PathBuf]) -> Result<(), OutError> {
    if out.exists() && !out.is_dir() {
        return Err(OutError::IsFile(out.to_owned()));
    }
    let resolved = resolve_future(out).map_err(OutError::io(out))?;
    for package in packages.iter().filter(|p| p.is_dir()) {
        let Ok(root) = package.canonicalize() else {
            continue;
        };
        if resolved.starts_with(&root) {
            return Err(OutError::InsidePackage {
                out: out.to_owned(),
                package: package.to_owned(),
            });
        }
    }
    Ok(())
}

/// The reports of one run, staged in a private folder inside the output folder until
/// [`Staged::publish`] moves them into place together. Dropping it unpublished (an error, a
/// panic) removes the staging folder, as does SIGINT or SIGTERM.
pub struct Staged {
    out: PathBuf,
    scratch: Scratch,
}

impl Staged {
    /// Creates the output folder if need be, and the staging folder in it.
    pub fn new(out: &Path) -> Result<Staged, OutError> {
        if out.exists() && !out.is_dir() {
            return Err(OutError::IsFile(out.to_owned()));
        }
        std::fs::create_dir_all(out).map_err(OutError::io(out))?;
        let scratch = Scratch::new_in(out, ".nrqc-").map_err(OutError::io(out))?;
        Ok(Staged {
            out: out.to_owned(),
            scratch,
        })
    }

    /// Stages `contents` as `rel` (`report.json`, or `<package>/report.json` in a batch).
    pub fn write(&self, rel: &Path, contents: &[u8]) -> Result<(), OutError> {
        let path = self.scratch.path().join(rel);
        let shown = self.out.join(rel);
        let mut dir = self.scratch.path().to_owned();
        for c in rel.parent().into_iter().flat_map(Path::components) {
            dir.push(c);
            match std::fs::create_dir(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(OutError::io(&shown)(e))
                }
                _ => {}
            }
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(OutError::io(&shown))?;
        f.write_all(contents).map_err(OutError::io(&shown))?;
        f.sync_all().map_err(OutError::io(&shown))
    }

    /// Moves every staged file into the output folder under an exclusive lock on it, and
    /// removes the names of `owned` in each folder written to that this run did not write.
    pub fn publish(self, owned: &[&str]) -> Result<(), OutError> {
        let out_fd = open_dir(None, &self.out, true).map_err(OutError::io(&self.out))?;
        // Another run into the same folder waits here until this one's set is in place.
        // SAFETY: a valid open descriptor.
        if unsafe { libc::flock(out_fd.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(OutError::io(&self.out)(std::io::Error::last_os_error()));
        }
        let stage_fd =
            open_dir(None, self.scratch.path(), false).map_err(OutError::io(&self.out))?;
        install(&stage_fd, &out_fd, self.scratch.path(), &self.out, owned)?;
        // The lock is released when `out_fd` closes, after the staging folder is gone.
        drop(self.scratch);
        drop(out_fd);
        Ok(())
    }
}

fn cstr(name: &std::ffi::OsStr) -> std::io::Result<CString> {
    CString::new(name.as_bytes()).map_err(std::io::Error::other)
}

/// Opens a folder: `path` relative to `at` (or to the working directory), following a final
/// symlink only when `follow` (the `--out` the user named).
fn open_dir(at: Option<&OwnedFd>, path: &Path, follow: bool) -> std::io::Result<OwnedFd> {
    let c = cstr(path.as_os_str())?;
    let mut flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let base = at.map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd());
    // SAFETY: a valid NUL-terminated path; the descriptor returned is owned here.
    let fd = unsafe { libc::openat(base, c.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn rename_at(from: &OwnedFd, name: &CString, to: &OwnedFd) -> std::io::Result<()> {
    // SAFETY: valid descriptors and NUL-terminated names.
    let r = unsafe {
        libc::renameat(
            from.as_raw_fd(),
            name.as_ptr(),
            to.as_raw_fd(),
            name.as_ptr(),
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn unlink_at(dir: &OwnedFd, name: &CString) -> std::io::Result<()> {
    // SAFETY: a valid descriptor and NUL-terminated name.
    if unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Moves what is staged in `stage` into `dest`, both open folders (`stage_path` and
/// `dest_path` name them, for listing and for errors). A staged folder whose name is free in
/// `dest`, or taken by something that is not a folder (a planted symlink), is moved whole; into
/// a folder that exists its files are moved one by one.
fn install(
    stage: &OwnedFd,
    dest: &OwnedFd,
    stage_path: &Path,
    dest_path: &Path,
    owned: &[&str],
) -> Result<(), OutError> {
    let entries = std::fs::read_dir(stage_path).map_err(OutError::io(dest_path))?;
    let mut staged = Vec::new();
    for entry in entries {
        let entry = entry.map_err(OutError::io(dest_path))?;
        let name = entry.file_name();
        let shown = dest_path.join(&name);
        let c = cstr(&name).map_err(OutError::io(&shown))?;
        let is_dir = entry.file_type().map_err(OutError::io(&shown))?.is_dir();
        if is_dir {
            match open_dir(Some(dest), Path::new(&name), false) {
                Ok(sub_dest) => {
                    let sub_stage = open_dir(Some(stage), Path::new(&name), false)
                        .map_err(OutError::io(&shown))?;
                    install(&sub_stage, &sub_dest, &entry.path(), &shown, owned)?;
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    rename_at(stage, &c, dest).map_err(OutError::io(&shown))?
                }
                // A symlink or file where the folder goes: it is replaced, never followed.
                Err(_) => {
                    unlink_at(dest, &c).map_err(OutError::io(&shown))?;
                    rename_at(stage, &c, dest).map_err(OutError::io(&shown))?;
                }
            }
        } else {
            rename_at(stage, &c, dest).map_err(OutError::io(&shown))?;
        }
        staged.push(name);
    }
    for name in owned {
        if staged.iter().any(|s| s == name) {
            continue;
        }
        let c = cstr(std::ffi::OsStr::new(name)).map_err(OutError::io(dest_path))?;
        match unlink_at(dest, &c) {
            Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
                return Err(OutError::io(&dest_path.join(name))(e))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_become_safe_path_components() {
        for (name, expected) in [
            ("..", "package"),
            (".", "package"),
            ("", "package"),
            ("...", "package"),
            (".hidden", "_hidden"),
            ("a/../b", "a_.._b"),
            ("a\\b", "a_b"),
            ("x\u{1b}[2J\u{7}y", "x_[2J_y"),
            ("622923_永靖县", "622923_永靖县"),
        ] {
            assert_eq!(path_component(name), expected, "{name:?}");
        }
        let long = "县".repeat(100);
        assert_eq!(path_component(&long), "县".repeat(66));
    }

    #[test]
    fn a_future_path_resolves_through_its_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("pkg")).unwrap();
        std::os::unix::fs::symlink(root.join("pkg"), root.join("link")).unwrap();
        let cases = [
            ("link/new/out", "pkg/new/out"),
            ("pkg/a/../b", "pkg/b"),
            ("pkg/a/../../elsewhere", "elsewhere"),
        ];
        for (given, expected) in cases {
            assert_eq!(
                resolve_future(&root.join(given)).unwrap(),
                root.join(expected),
                "{given}"
            );
        }
    }

    #[test]
    fn a_staged_set_replaces_the_earlier_set_and_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "unchanged").unwrap();
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("report.md"), "old").unwrap();
        std::os::unix::fs::symlink(&victim, out.join("report.json")).unwrap();
        std::os::unix::fs::symlink(dir.path(), out.join("pkg")).unwrap();
        let staged = Staged::new(&out).unwrap();
        staged.write(Path::new("report.json"), b"new").unwrap();
        staged.write(Path::new("pkg/report.json"), b"sub").unwrap();
        staged.publish(&REPORT_FILES).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "unchanged");
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).unwrap(),
            "new"
        );
        assert!(!out.join("report.json").is_symlink());
        assert!(!out.join("pkg").is_symlink());
        assert_eq!(
            std::fs::read_to_string(out.join("pkg/report.json")).unwrap(),
            "sub"
        );
        // The older report.md is gone; nothing else is left, the staging folder included.
        let mut left: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["pkg", "report.json"]);
    }
}
