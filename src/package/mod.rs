//! Finding and loading the layers and tables of a package into a [`Dataset`].
//!
//! The loader reads each file once, hashes it for the report, and decodes it into geo geometries
//! plus a polars DataFrame of attributes (row `i` is feature `i`, its FID). It knows nothing of
//! rules; the schema only types CSV columns, which carry no types of their own.

pub mod archive;
mod cells;
mod columns;
pub mod error;
#[doc(hidden)]
pub mod filegdb;
#[doc(hidden)]
pub mod gpkg;
pub mod init;
pub mod manifest;
pub(crate) mod scratch;
pub mod shapefile;
pub(crate) mod table;
pub mod tree;
pub(crate) mod vector;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::Geometry;
use polars::prelude::DataFrame;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::finding::exception::CONVENTIONAL;

pub use error::{PackageError, ReadError};
pub use manifest::{Encoding, Manifest};
pub use scratch::remove_on_signals;
pub(crate) use table::written_decimals;

use crate::progress::{Observer, Stage};
use crate::schema::Schema;

/// A defect seen while decoding a geometry, before geo-types normalised it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawDefect {
    /// The ring's last coordinate differs from its first (0 = exterior).
    RingNotClosed {
        /// The ring within its polygon: 0 for the exterior, `i + 1` for hole `i`.
        ring: usize,
    },
}

/// The CRS a layer file declares about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LayerCrs {
    /// The EPSG code the file gives, else the one its WKT is recognised as (a GeoJSON `CRS84`
    /// counts as 4326); `None` when it names no CRS, or one nrqc does not recognise.
    pub epsg: Option<u32>,
    /// The definition as written (a WKT or a URN), when the file has one.
    pub text: Option<String>,
}

impl GeometryColumn {
    /// The decode-time defects of feature `row`, found by bisection: a file whose every ring is
    /// unclosed must not make a per-feature scan quadratic.
    pub fn defects_of(&self, row: usize) -> &[(usize, RawDefect)] {
        let start = self.defects.partition_point(|(r, _)| *r < row);
        let end = self.defects.partition_point(|(r, _)| *r <= row);
        &self.defects[start..end]
    }
}

/// The geometries of a layer, one per feature in FID order, as decoded from its file.
#[derive(Debug, Clone)]
pub struct GeometryColumn {
    /// One per feature; `None` for a feature without geometry.
    pub geoms: Vec<Option<Geometry<f64>>>,
    /// Decode-time defects by feature index, in feature order.
    pub defects: Vec<(usize, RawDefect)>,
    /// What the file says of its CRS (FlatGeobuf header, `.prj`, GeoJSON `crs` member,
    /// GeoPackage `srs_id`); the `crs` check compares it with the manifest's `crs`.
    pub crs: LayerCrs,
}

/// A table value that does not parse as its schema type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCell {
    /// 0-based data row, i.e. the FID (the header row is not counted).
    pub row: usize,
    /// The column, named as in the header.
    pub field: String,
    /// The value as written, trimmed; its cell in the DataFrame is null.
    pub raw: String,
}

/// A layer (with geometry) or a table (without).
#[derive(Debug, Clone)]
pub struct Frame {
    /// The layer or table name, e.g. `ZRZK`: its key in `package.yaml`'s `layers` or `tables`,
    /// else its file's stem, or its table's name in a GeoPackage found in `vector/`.
    pub name: String,
    /// Relative to the package root.
    pub path: PathBuf,
    /// The attributes, one row per feature in FID order; no geometry column.
    pub df: DataFrame,
    /// The geometries; `None` for a table.
    pub geometry: Option<GeometryColumn>,
    /// CSV values that do not parse as their schema type, for the `schema` check; empty for
    /// layers and GeoPackage tables, whose files type their own columns.
    pub bad_cells: Vec<BadCell>,
    /// For table columns of numbers, the most decimals a value was written with; a statistics
    /// table's rounding, which its floats no longer show.
    pub decimals: BTreeMap<String, u32>,
    /// The aliases the file gives its fields (a File Geodatabase's field aliases, as ArcGIS
    /// shows them), by field name; empty for formats without them.
    pub aliases: BTreeMap<String, String>,
}

impl Frame {
    /// The number of features (rows).
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether it holds no feature (a table with only its header row, say).
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// Whether it has the column `name`, spelt exactly (case matters).
    pub fn has_field(&self, name: &str) -> bool {
        self.df.schema().contains(name)
    }
}

/// A file read, as the report lists it so a delivery can be matched to its inspection.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FileDigest {
    /// Relative to the package root, with `/` separators, e.g. `vector/ZRZK.fgb`.
    pub path: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, 64 lower-case hex digits.
    pub sha256: String,
}

/// Something about how a file was read that the report must say, e.g. an encoding label that the
/// file's bytes contradicted and that was overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InputNote {
    /// The file it concerns, relative to the package root, with `/` separators.
    pub path: String,
    /// The note, in English, e.g. "3 record(s) marked deleted were read as ordinary features".
    pub message: String,
}

/// A file in the package that nrqc did not read, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Unread {
    /// Relative to the package root, with `/` separators.
    pub path: String,
    /// Why, in English, as a phrase following the path, e.g. "not a CSV table".
    pub reason: String,
}

/// A loaded package: its manifest and every layer and table it delivers, decoded, plus what
/// the report must say about its files. What the checks run on.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The package directory as passed to `load` (not canonicalised); for a zip, the directory
    /// it was extracted to, named after the zip.
    pub root: PathBuf,
    /// `package.yaml`, validated.
    pub manifest: Manifest,
    /// The text of the package's own exceptions file (`exceptions.yaml` at its root), when it
    /// delivers one; parsed by the caller, which also may be given another.
    pub exceptions: Option<String>,
    /// The layers and tables read, by name; also those the schema does not know.
    pub frames: BTreeMap<String, Frame>,
    /// Every file read, sorted by path.
    pub files: Vec<FileDigest>,
    /// Files of `vector/`, `tables/` and `docs/` that were not read, in discovery order.
    pub unread: Vec<Unread>,
    /// How files were read, where the report must say it (sorted by path).
    pub notes: Vec<InputNote>,
    /// Layers and tables that were delivered but could not be read, in discovery order.
    pub failed: Vec<Unloaded>,
    /// The files of `docs/` (`docs/<name>`, sorted), known by name only: nrqc never opens a
    /// document. `None` when the package has no `docs/`.
    pub documents: Option<Vec<String>>,
    /// How long each file of layers or tables took to read and decode, in discovery order.
    pub load_times: Vec<LoadTime>,
}

/// The time one file of layers or tables took to load (read, decoded, hashed), whether or not
/// it could be read.
#[derive(Debug, Clone)]
pub struct LoadTime {
    /// Path relative to the package root, e.g. `vector/ZRZK.fgb`.
    pub path: String,
    /// The layers and tables it delivers (several for a GeoPackage).
    pub frames: Vec<String>,
    /// Wall time; files load in parallel.
    pub elapsed: std::time::Duration,
}

/// Delivered layers or tables (several for one GeoPackage) that could not be read.
#[derive(Debug, Clone)]
pub struct Unloaded {
    /// The names of the layers and tables lost, e.g. `["ZRZK"]`.
    pub frames: Vec<String>,
    /// Why the file could not be read.
    pub error: ReadError,
}

impl Dataset {
    /// A layer or table by name; `None` when it was not delivered or could not be read.
    pub fn frame(&self, name: &str) -> Option<&Frame> {
        self.frames.get(name)
    }

    /// The package's name: its directory name, as in `622923_永靖县`.
    pub fn name(&self) -> String {
        package_name(&self.root)
    }
}

/// The name of the package at `root`: a zip's file stem, else the directory's name (after
/// resolving `.` and symlinks), else `package`.
pub fn package_name(root: &Path) -> String {
    if archive::is_zip(root) {
        // `622923_永靖县.zip` is the package `622923_永靖县`.
        if let Some(stem) = root.file_stem() {
            return stem.to_string_lossy().into_owned();
        }
    }
    root.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(root)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "package".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    FlatGeobuf,
    GeoJson,
    GeoPackage,
    /// `.shp` with its `.shx`, `.dbf` and optional `.prj`, `.cpg` beside it.
    Shapefile,
    /// A File Geodatabase: a `.gdb` folder, or a `.gdb.zip`.
    FileGdb,
    Csv,
}

struct Source {
    name: String,
    path: PathBuf,
    format: Format,
    /// The table inside a GeoPackage or File Geodatabase.
    inner: Option<String>,
    /// A layer (with geometry) rather than a table; decides which tables of a GeoPackage fit.
    layer: bool,
}

fn format_of(path: &Path) -> Option<Format> {
    if filegdb::is_filegdb(path) {
        return Some(Format::FileGdb);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "fgb" => Some(Format::FlatGeobuf),
        "geojson" | "json" => Some(Format::GeoJson),
        "gpkg" => Some(Format::GeoPackage),
        "shp" => Some(Format::Shapefile),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

fn rel(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// What loading one file (or the files read together) gives: its frames, the files read, and
/// what the report must say of how they were read.
type UnitLoaded = (Vec<Frame>, Vec<FileDigest>, Vec<InputNote>);

/// Loads the package at `root` with every layer and table decoded, in parallel.
pub fn load(root: &Path, schema: &Schema) -> Result<Dataset, PackageError> {
    load_observed(root, schema, &())
}

/// The advice for a directory without `package.yaml` that holds packages (directories with a
/// `package.yaml`, or `.zip` files): they are inspected together by `nrqc batch`.
fn folder_of_packages(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| archive::is_zip(p) || p.join("package.yaml").is_file())
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = if names.len() > 3 { "…" } else { "" };
    Some(format!(
        "this folder holds {} packages ({}{more}): inspect them together with `nrqc batch {}`, \
         or one of them with `nrqc check {}/<package>`",
        names.len(),
        shown.join(", "),
        dir.display(),
        dir.display()
    ))
}

/// [`load`], telling `observer` of each layer and table read ([`Stage::Layers`]).
pub fn load_observed(
    root: &Path,
    schema: &Schema,
    observer: &dyn Observer,
) -> Result<Dataset, PackageError> {
    if root.join("package.yaml").symlink_metadata().is_err() {
        return Err(PackageError::NoManifest {
            path: root.to_owned(),
            help: folder_of_packages(root),
        });
    }
    let given = root;
    // Every file is read through `tree`, inside this canonical root.
    let root = &root
        .canonicalize()
        .map_err(|e| ReadError::new(root, format!("cannot read the package folder: {e}")))?;
    let manifest_bytes = tree::read(root, Path::new("package.yaml"))?;
    let manifest_text = std::str::from_utf8(&manifest_bytes)
        .map_err(|_| ReadError::new("package.yaml", "the manifest must be UTF-8 text"))?;
    let manifest = Manifest::parse(manifest_text, "package.yaml")?;

    let (sources, mut unread) = discover(root, &manifest)?;
    let documents = documents(root, &mut unread)?;
    if manifest.crs.is_none() {
        if let Some(layer) = sources.iter().find(|s| s.layer) {
            return Err(ReadError::new(
                "package.yaml",
                format!(
                    "no `crs`: the package delivers the layer {} ({}), and a package with layers \
                     declares its CRS (package format 1.1, section 2)",
                    layer.name,
                    rel(&layer.path)
                ),
            )
            .into());
        }
    }
    observer.start(Stage::Layers, sources.len());
    // The layers of one GeoPackage or File Geodatabase are loaded together, so that its files
    // are read and hashed once.
    let mut units: Vec<Vec<&Source>> = Vec::new();
    for s in &sources {
        let same_file = |u: &&mut Vec<&Source>| {
            matches!(s.format, Format::GeoPackage | Format::FileGdb)
                && u[0].format == s.format
                && u[0].path == s.path
        };
        match units.iter_mut().find(same_file) {
            Some(unit) => unit.push(s),
            None => units.push(vec![s]),
        }
    }
    let loaded: Vec<(Result<UnitLoaded, ReadError>, std::time::Duration)> = units
        .par_iter()
        .map(|unit| {
            let started = std::time::Instant::now();
            (
                load_unit(root, unit, &manifest, schema, observer),
                started.elapsed(),
            )
        })
        .collect();
    let mut files = vec![digest("package.yaml", &manifest_bytes)];
    // Read like every other file of the package (inside it, no FIFO, bounded) and hashed with
    // them: the exceptions a delivery brings are part of what was inspected.
    let exceptions = match root.join(CONVENTIONAL).symlink_metadata() {
        Err(_) => None,
        Ok(_) => {
            let bytes = tree::read(root, Path::new(CONVENTIONAL))?;
            files.push(digest(CONVENTIONAL, &bytes));
            Some(String::from_utf8(bytes).map_err(|_| {
                ReadError::new(CONVENTIONAL, "the exceptions file must be UTF-8 text")
            })?)
        }
    };
    let mut frames = BTreeMap::new();
    let mut notes = Vec::new();
    let mut failed = Vec::new();
    let mut load_times = Vec::new();
    for ((result, elapsed), unit) in loaded.into_iter().zip(&units) {
        load_times.push(LoadTime {
            path: rel(&unit[0].path),
            frames: unit.iter().map(|s| s.name.clone()).collect(),
            elapsed,
        });
        let (unit_frames, unit_files, unit_notes) = match result {
            Ok(loaded) => loaded,
            Err(error) => {
                // The rest of the package is still inspected; the report names what failed.
                failed.push(Unloaded {
                    frames: unit.iter().map(|s| s.name.clone()).collect(),
                    error,
                });
                continue;
            }
        };
        files.extend(unit_files);
        notes.extend(unit_notes);
        for frame in unit_frames {
            frames.insert(frame.name.clone(), frame);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    notes.sort_by(|a: &InputNote, b| a.path.cmp(&b.path));
    Ok(Dataset {
        root: given.to_owned(),
        manifest,
        exceptions,
        frames,
        files,
        unread,
        notes,
        failed,
        documents,
        load_times,
    })
}

/// Loads one unit: a file of one layer or table, or the layers of one GeoPackage or File
/// Geodatabase.
fn load_unit(
    root: &Path,
    unit: &[&Source],
    manifest: &Manifest,
    schema: &Schema,
    observer: &dyn Observer,
) -> Result<UnitLoaded, ReadError> {
    match unit {
        [s, ..] if s.format == Format::FileGdb => load_gdb(root, unit, observer),
        [s] if s.format == Format::Shapefile => {
            let loaded = load_shapefile(root, s, manifest);
            observer.step(Stage::Layers);
            loaded.map(|(frame, files, notes)| (vec![frame], files, notes))
        }
        [s] if s.format != Format::GeoPackage => {
            let frame = load_frame(root, s, manifest, schema);
            observer.step(Stage::Layers);
            frame.map(|(frame, file)| (vec![frame], vec![file], vec![]))
        }
        unit => load_gpkg(root, unit, observer).map(|(f, d)| (f, vec![d], vec![])),
    }
}

/// The files of `docs/` by name. Each entry is resolved like any file of the package but only
/// its metadata is read; one that resolves outside the package, or is no regular file, is no
/// document of the package and is listed as unread. A `docs/` symlinked outside the package is
/// refused, as `vector/` and `tables/` are.
fn documents(root: &Path, unread: &mut Vec<Unread>) -> Result<Option<Vec<String>>, ReadError> {
    let dir = "docs";
    if root.join(dir).symlink_metadata().is_err() {
        return Ok(None);
    }
    let folder = tree::resolve(root, Path::new(dir)).map_err(|m| ReadError::new(dir, m))?;
    if !folder.is_dir() {
        unread.push(Unread {
            path: dir.into(),
            reason: "is a file; documents are delivered in a folder docs/".into(),
        });
        return Ok(None);
    }
    let entries = std::fs::read_dir(&folder).map_err(|e| ReadError::new(dir, e.to_string()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| Path::new(dir).join(e.file_name()))
        .collect();
    paths.sort();
    let mut documents = Vec::new();
    for path in paths {
        let kind = tree::resolve(root, &path).and_then(|resolved| {
            std::fs::metadata(resolved)
                .map(|m| m.file_type())
                .map_err(|e| format!("cannot be read: {e}"))
        });
        match kind {
            Ok(kind) if kind.is_file() => documents.push(rel(&path)),
            Ok(kind) => unread.push(Unread {
                path: rel(&path),
                reason: format!(
                    "is {}; documents are the files directly in docs/",
                    tree::kind_of(kind)
                ),
            }),
            Err(reason) => unread.push(Unread {
                path: rel(&path),
                reason,
            }),
        }
    }
    Ok(Some(documents))
}

/// Layers and tables by the manifest's mapping first, then by their conventional folders.
fn discover(root: &Path, manifest: &Manifest) -> Result<(Vec<Source>, Vec<Unread>), ReadError> {
    let mut sources: Vec<Source> = Vec::new();
    let mut unread = Vec::new();
    let mapped = (manifest.layers.iter().map(|m| (m, true)))
        .chain(manifest.tables.iter().map(|m| (m, false)));
    for ((name, mapping), layer) in mapped {
        // `file.gpkg#table` picks a table inside a GeoPackage.
        let (path, inner) = match mapping.split_once('#') {
            Some((path, inner)) => (PathBuf::from(path), Some(inner)),
            None => (PathBuf::from(mapping), None),
        };
        let mapped_here = |message: String| {
            let what = if layer { "layer" } else { "table" };
            ReadError::new(
                &path,
                format!("package.yaml maps the {what} {name} here, but this file {message}"),
            )
            .frame(name)
        };
        // Before anything else: a path outside the package is refused whatever it names.
        tree::written_inside(root, &path).map_err(mapped_here)?;
        let format = format_of(&path).ok_or_else(|| {
            ReadError::new(
                &path,
                "unsupported file type; use .fgb, .geojson, .gpkg, .gdb, .shp or .csv",
            )
            .frame(name)
        })?;
        let inner = match (inner, format) {
            (Some(""), _) => {
                return Err(ReadError::new(
                    &path,
                    format!("package.yaml maps {name} to `{mapping}`, with no layer name after '#'"),
                )
                .frame(name))
            }
            (Some(inner), Format::GeoPackage | Format::FileGdb) => Some(inner.to_owned()),
            (Some(_), _) => {
                return Err(ReadError::new(
                    &path,
                    format!("package.yaml maps {name} to `{mapping}`, but '#layer' picks a layer inside a GeoPackage (.gpkg) or File Geodatabase (.gdb) and this file is neither"),
                )
                .frame(name))
            }
            // A GeoPackage or geodatabase mapped without '#': its table named like the layer.
            (None, Format::GeoPackage | Format::FileGdb) => Some(name.clone()),
            (None, _) => None,
        };
        if format == Format::FileGdb {
            // A folder, or a zip of one.
            tree::resolve(root, &path).map_err(mapped_here)?;
        } else {
            tree::open(root, &path).map_err(|e| mapped_here(e.message))?;
        }
        sources.push(Source {
            name: name.clone(),
            path,
            format,
            inner,
            layer,
        });
    }
    for dir in ["vector", "tables"] {
        if root.join(dir).symlink_metadata().is_err() {
            continue;
        }
        let folder = tree::resolve(root, Path::new(dir)).map_err(|m| ReadError::new(dir, m))?;
        let entries = std::fs::read_dir(folder).map_err(|e| ReadError::new(dir, e.to_string()))?;
        // Folders inside are not part of the package format, but for File Geodatabases (`.gdb`
        // folders in vector/); files and symlinks are, and a symlink is followed only to a
        // regular file (or a geodatabase's folder) inside the package.
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_type().is_ok_and(|t| !t.is_dir())
                    || (dir == "vector" && filegdb::is_filegdb(Path::new(&e.file_name())))
            })
            .map(|e| Path::new(dir).join(e.file_name()))
            .collect();
        paths.sort();
        // Shapefiles here or mapped anywhere, without extension: their sidecars are part of them.
        let shapefiles: Vec<PathBuf> = (paths.iter().chain(sources.iter().map(|s| &s.path)))
            .filter(|p| format_of(p) == Some(Format::Shapefile))
            .map(|p| p.with_extension(""))
            .collect();
        for path in paths {
            if sources.iter().any(|s| s.path == path) {
                continue;
            }
            if dir == "vector" && format_of(&path) == Some(Format::GeoPackage) {
                discover_gpkg(root, path, &mut sources, &mut unread)?;
                continue;
            }
            if dir == "vector" && format_of(&path) == Some(Format::FileGdb) {
                discover_gdb(root, path, &mut sources, &mut unread)?;
                continue;
            }
            if dir == "vector"
                && shapefile::is_sidecar(&path)
                && shapefiles.contains(&path.with_extension(""))
            {
                continue;
            }
            let expected = if dir == "vector" {
                [Format::FlatGeobuf, Format::GeoJson, Format::Shapefile].as_slice()
            } else {
                [Format::Csv].as_slice()
            };
            match format_of(&path).filter(|f| expected.contains(f)) {
                Some(format) => {
                    tree::open(root, &path)?;
                    let name = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if let Some(other) = sources.iter().find(|s| s.name == name) {
                        return Err(ReadError::new(
                            &path,
                            format!("{name} is also delivered as {}; a layer or table is delivered once", rel(&other.path)),
                        ));
                    }
                    sources.push(Source {
                        name,
                        path,
                        format,
                        inner: None,
                        layer: dir == "vector",
                    });
                }
                None => unread.push(Unread {
                    path: rel(&path),
                    reason: if dir == "vector" {
                        "not a FlatGeobuf, GeoJSON, GeoPackage, File Geodatabase or Shapefile layer; this version of nrqc reads no other vector format".into()
                    } else {
                        "not a CSV table".into()
                    },
                }),
            }
        }
    }
    Ok((sources, unread))
}

/// The tables of a GeoPackage in `vector/` that package.yaml does not map into: each feature
/// table a layer, each attribute table a table, named by its table name.
fn discover_gpkg(
    root: &Path,
    path: PathBuf,
    sources: &mut Vec<Source>,
    unread: &mut Vec<Unread>,
) -> Result<(), ReadError> {
    let (_, file) = tree::open(root, &path)?;
    let contents = gpkg::GeoPackage::open(&file, &path)?.contents()?;
    if contents.is_empty() {
        unread.push(Unread {
            path: rel(&path),
            reason: "a GeoPackage without feature or attribute tables".into(),
        });
    }
    for content in contents {
        if let Some(other) = sources.iter().find(|s| s.name == content.table) {
            return Err(ReadError::new(
                &path,
                format!(
                    "{} is also delivered as {}; a layer or table is delivered once",
                    content.table,
                    rel(&other.path)
                ),
            )
            .frame(&content.table));
        }
        sources.push(Source {
            name: content.table.clone(),
            path: path.clone(),
            format: Format::GeoPackage,
            inner: Some(content.table),
            layer: content.data_type == gpkg::DataType::Features,
        });
    }
    Ok(())
}

/// The feature classes and tables of a File Geodatabase in `vector/` that package.yaml does not
/// map into: each feature class a layer, each attribute table a table, named by its name.
fn discover_gdb(
    root: &Path,
    path: PathBuf,
    sources: &mut Vec<Source>,
    unread: &mut Vec<Unread>,
) -> Result<(), ReadError> {
    let (contents, compressed) = filegdb::FileGdb::open(root, &path)?.contents()?;
    if contents.is_empty() && compressed.is_empty() {
        unread.push(Unread {
            path: rel(&path),
            reason: "a File Geodatabase without feature classes or tables".into(),
        });
    }
    unread.extend(compressed.into_iter().map(|reason| Unread {
        path: rel(&path),
        reason,
    }));
    for content in contents {
        if let Some(other) = sources.iter().find(|s| s.name == content.name) {
            return Err(ReadError::new(
                &path,
                format!(
                    "{} is also delivered as {}; a layer or table is delivered once",
                    content.name,
                    rel(&other.path)
                ),
            )
            .frame(&content.name));
        }
        sources.push(Source {
            name: content.name.clone(),
            path: path.clone(),
            format: Format::FileGdb,
            inner: Some(content.name),
            layer: content.layer,
        });
    }
    Ok(())
}

/// Loads the layers and tables `unit` reads from one File Geodatabase, in parallel, with every
/// file read hashed once.
fn load_gdb(
    root: &Path,
    unit: &[&Source],
    observer: &dyn Observer,
) -> Result<UnitLoaded, ReadError> {
    let path = &unit[0].path;
    let gdb = filegdb::FileGdb::open(root, path).map_err(|e| e.frame(&unit[0].name))?;
    let loaded = unit
        .par_iter()
        .map(|s| {
            let name = s.name.as_str();
            let t = gdb.read(s.inner.as_deref().unwrap_or(name), name, s.layer)?;
            let df = t
                .decoded
                .columns
                .into_frame(t.decoded.rows)
                .map_err(|e| ReadError::new(path, e.to_string()).frame(name))?;
            observer.step(Stage::Layers);
            let frame = Frame {
                name: name.to_owned(),
                path: path.clone(),
                df,
                geometry: s.layer.then_some(t.decoded.geometry),
                bad_cells: vec![],
                decimals: BTreeMap::new(),
                aliases: t.aliases,
            };
            Ok((frame, t.notes))
        })
        .collect::<Result<Vec<_>, ReadError>>()?;
    let (frames, notes): (Vec<Frame>, Vec<Vec<InputNote>>) = loaded.into_iter().unzip();
    Ok((frames, gdb.digests(), notes.concat()))
}

/// Loads the layers and tables `unit` reads from one GeoPackage, each through its own read-only
/// connection (in parallel), and hashes the file once.
fn load_gpkg(
    root: &Path,
    unit: &[&Source],
    observer: &dyn Observer,
) -> Result<(Vec<Frame>, FileDigest), ReadError> {
    let path = &unit[0].path;
    let (opened, file) = tree::open(root, path)?;
    let digest = digest_file(opened, path)?;
    let frames = unit
        .par_iter()
        .map(|s| {
            let name = s.name.as_str();
            let db = gpkg::GeoPackage::open(&file, path).map_err(|e| e.frame(name))?;
            let t = db.read(s.inner.as_deref().unwrap_or(name), name, s.layer)?;
            let df = t
                .columns
                .into_frame(t.rows)
                .map_err(|e| ReadError::new(path, e.to_string()).frame(name))?;
            observer.step(Stage::Layers);
            Ok(Frame {
                name: name.to_owned(),
                path: path.clone(),
                df,
                geometry: t.geometry,
                bad_cells: vec![],
                decimals: BTreeMap::new(),
                aliases: BTreeMap::new(),
            })
        })
        .collect::<Result<Vec<Frame>, ReadError>>()?;
    Ok((frames, digest))
}

/// The digest of a file read in chunks: a GeoPackage is read by SQLite, page by page, and need
/// not be held in memory whole.
fn digest_file(mut f: std::fs::File, path: &Path) -> Result<FileDigest, ReadError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| ReadError::new(path, format!("cannot read: {e}"));
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(cannot)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileDigest {
        path: rel(path),
        bytes,
        sha256: crate::hex(&hasher.finalize()),
    })
}

/// Loads a shapefile layer: its `.shp`, `.shx` and `.dbf` (an error names whichever is missing),
/// and its `.prj` and `.cpg` where present; each file read is hashed.
fn load_shapefile(
    root: &Path,
    source: &Source,
    manifest: &Manifest,
) -> Result<(Frame, Vec<FileDigest>, Vec<InputNote>), ReadError> {
    let path = &source.path;
    let name = source.name.as_str();
    let read = |p: &Path| tree::read(root, p).map_err(|e| e.frame(name));
    let found =
        |ext: &str| shapefile::sidecar(&root.join(path), ext).map(|p| path.with_file_name(p));
    let required = |ext: &str, what: &str| {
        found(ext).ok_or_else(|| {
            ReadError::new(
                path.with_extension(ext),
                format!(
                    "missing: the shapefile layer {} needs its .{ext} ({what}) beside it",
                    rel(path)
                ),
            )
            .frame(name)
        })
    };
    let shx_path = required("shx", "the index of its shapes")?;
    let dbf_path = required("dbf", "its attributes")?;
    let (prj_path, cpg_path) = (found("prj"), found("cpg"));
    let shp = read(path)?;
    let shx = read(&shx_path)?;
    let dbf = read(&dbf_path)?;
    let prj = prj_path.as_deref().map(read).transpose()?;
    let cpg = cpg_path.as_deref().map(read).transpose()?;
    fn part<'a>(path: &'a Path, bytes: &'a [u8]) -> shapefile::Part<'a> {
        shapefile::Part { path, bytes }
    }
    let parts = shapefile::ShapefileParts {
        shp: shapefile::Part { path, bytes: &shp },
        shx: part(&shx_path, &shx),
        dbf: part(&dbf_path, &dbf),
        prj: prj_path.as_ref().zip(prj.as_ref()).map(|(p, b)| part(p, b)),
        cpg: cpg_path.as_ref().zip(cpg.as_ref()).map(|(p, b)| part(p, b)),
    };
    let layer = shapefile::read_shapefile(name, parts, manifest.encoding)?;
    let mut files = vec![
        digest(&rel(path), &shp),
        digest(&rel(&shx_path), &shx),
        digest(&rel(&dbf_path), &dbf),
    ];
    for (p, b) in [(&prj_path, &prj), (&cpg_path, &cpg)] {
        if let (Some(p), Some(b)) = (p, b) {
            files.push(digest(&rel(p), b));
        }
    }
    let d = layer.decoded;
    let df = d
        .columns
        .into_frame(d.rows)
        .map_err(|e| ReadError::new(path, e.to_string()).frame(name))?;
    let frame = Frame {
        name: name.to_owned(),
        path: path.clone(),
        df,
        geometry: Some(d.geometry),
        bad_cells: vec![],
        decimals: BTreeMap::new(),
        aliases: BTreeMap::new(),
    };
    Ok((frame, files, layer.notes))
}

fn digest(path: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: path.to_owned(),
        bytes: bytes.len() as u64,
        sha256: crate::hex(&Sha256::digest(bytes)),
    }
}

/// What a layer or table file decodes to: its columns, row count, geometry, unreadable cells
/// and the decimals of its numbers.
type DecodedFrame = (
    columns::Columns,
    usize,
    Option<GeometryColumn>,
    Vec<BadCell>,
    BTreeMap<String, u32>,
);

fn decode(
    source: &Source,
    manifest: &Manifest,
    schema: &Schema,
    bytes: &[u8],
) -> Result<DecodedFrame, ReadError> {
    let path = &source.path;
    let name = source.name.as_str();
    Ok(match source.format {
        Format::FlatGeobuf | Format::GeoJson => {
            let d = if source.format == Format::FlatGeobuf {
                vector::read_fgb(path, name, bytes)?
            } else {
                vector::read_geojson(path, name, bytes)?
            };
            (d.columns, d.rows, Some(d.geometry), vec![], BTreeMap::new())
        }
        Format::GeoPackage => {
            return Err(ReadError::new(
                path,
                "a GeoPackage's layers are loaded together with load_gpkg",
            )
            .frame(name))
        }
        Format::FileGdb => {
            return Err(ReadError::new(
                path,
                "a File Geodatabase's layers are loaded together with load_gdb",
            )
            .frame(name))
        }
        Format::Shapefile => {
            return Err(ReadError::new(
                path,
                "a shapefile's files are loaded together with load_shapefile",
            )
            .frame(name))
        }
        Format::Csv => {
            let encoding = manifest.encoding.unwrap_or(Encoding::Utf8);
            let t = table::read_csv(path, name, bytes, encoding, schema.frame(name))?;
            (t.columns, t.rows, None, t.bad_cells, t.decimals)
        }
    })
}

fn load_frame(
    root: &Path,
    source: &Source,
    manifest: &Manifest,
    schema: &Schema,
) -> Result<(Frame, FileDigest), ReadError> {
    let path = &source.path;
    let name = source.name.as_str();
    // Opened read-only: inputs are never changed.
    let bytes = tree::read(root, path).map_err(|e| e.frame(name))?;
    // The digest beside the decoding, and the file's bytes let go before its columns are built:
    // a layer of a million parcels is 300 MB of file.
    let (file, decoded) = rayon::join(
        || digest(&rel(path), &bytes),
        || decode(source, manifest, schema, &bytes),
    );
    drop(bytes);
    let (columns, rows, geometry, bad_cells, decimals) = decoded?;
    let df = columns
        .into_frame(rows)
        .map_err(|e| ReadError::new(path, e.to_string()).frame(name))?;
    Ok((
        Frame {
            name: name.to_owned(),
            path: path.clone(),
            df,
            geometry,
            bad_cells,
            decimals,
            aliases: BTreeMap::new(),
        },
        file,
    ))
}
