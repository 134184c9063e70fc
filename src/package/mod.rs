//! Finding and loading the layers and tables of a package into a [`Dataset`].
//!
//! The loader reads each file once, hashes it for the report, and decodes it into geo geometries
//! plus a polars DataFrame of attributes (row `i` is feature `i`, its FID). It knows nothing of
//! rules; the schema only types CSV columns, which carry no types of their own.

mod columns;
pub mod error;
pub mod manifest;
mod table;
mod vector;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::Geometry;
use polars::prelude::DataFrame;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use error::{PackageError, ReadError};
pub use manifest::{Encoding, Manifest};

use crate::progress::{Observer, Stage};
use crate::schema::Schema;

/// A defect seen while decoding a geometry, before geo-types normalised it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawDefect {
    /// The ring's last coordinate differs from its first (0 = exterior).
    RingNotClosed { ring: usize },
}

/// The CRS a layer file declares about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LayerCrs {
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

#[derive(Debug, Clone)]
pub struct GeometryColumn {
    /// One per feature; `None` for a feature without geometry.
    pub geoms: Vec<Option<Geometry<f64>>>,
    /// Decode-time defects by feature index, in feature order.
    pub defects: Vec<(usize, RawDefect)>,
    pub crs: LayerCrs,
}

/// A table value that does not parse as its schema type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCell {
    pub row: usize,
    pub field: String,
    pub raw: String,
}

/// A layer (with geometry) or a table (without).
#[derive(Debug, Clone)]
pub struct Frame {
    pub name: String,
    /// Relative to the package root.
    pub path: PathBuf,
    pub df: DataFrame,
    pub geometry: Option<GeometryColumn>,
    pub bad_cells: Vec<BadCell>,
    /// For table columns of numbers, the most decimals a value was written with; a statistics
    /// table's rounding, which its floats no longer show.
    pub decimals: BTreeMap<String, u32>,
}

impl Frame {
    pub fn len(&self) -> usize {
        self.df.height()
    }

    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.df.schema().contains(name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A file in the package that nrqc did not read, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unread {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub manifest: Manifest,
    pub frames: BTreeMap<String, Frame>,
    /// Every file read, sorted by path.
    pub files: Vec<FileDigest>,
    pub unread: Vec<Unread>,
}

impl Dataset {
    pub fn frame(&self, name: &str) -> Option<&Frame> {
        self.frames.get(name)
    }

    /// The package's name: its directory name, as in `622923_永靖县`.
    pub fn name(&self) -> String {
        package_name(&self.root)
    }
}

pub fn package_name(root: &Path) -> String {
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
    Csv,
}

struct Source {
    name: String,
    path: PathBuf,
    format: Format,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "fgb" => Some(Format::FlatGeobuf),
        "geojson" | "json" => Some(Format::GeoJson),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

fn rel(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Loads the package at `root` with every layer and table decoded, in parallel.
pub fn load(root: &Path, schema: &Schema) -> Result<Dataset, PackageError> {
    load_observed(root, schema, &())
}

/// [`load`], telling `observer` of each layer and table read ([`Stage::Layers`]).
pub fn load_observed(
    root: &Path,
    schema: &Schema,
    observer: &dyn Observer,
) -> Result<Dataset, PackageError> {
    let manifest_path = root.join("package.yaml");
    let manifest_bytes = match std::fs::read(&manifest_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PackageError::NoManifest {
                path: root.to_owned(),
            })
        }
        Err(e) => return Err(ReadError::new("package.yaml", e.to_string()).into()),
    };
    let manifest_text = std::str::from_utf8(&manifest_bytes)
        .map_err(|_| ReadError::new("package.yaml", "the manifest must be UTF-8 text"))?;
    let manifest = Manifest::parse(manifest_text, "package.yaml")?;

    let (sources, unread) = discover(root, &manifest)?;
    observer.start(Stage::Layers, sources.len());
    let loaded: Vec<Result<(Frame, FileDigest), ReadError>> = sources
        .par_iter()
        .map(|s| {
            let frame = load_frame(root, s, &manifest, schema);
            observer.step(Stage::Layers);
            frame
        })
        .collect();
    let mut files = vec![digest("package.yaml", &manifest_bytes)];
    let mut frames = BTreeMap::new();
    for result in loaded {
        let (frame, file) = result?;
        files.push(file);
        frames.insert(frame.name.clone(), frame);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Dataset {
        root: root.to_owned(),
        manifest,
        frames,
        files,
        unread,
    })
}

/// Layers and tables by the manifest's mapping first, then by their conventional folders.
fn discover(root: &Path, manifest: &Manifest) -> Result<(Vec<Source>, Vec<Unread>), ReadError> {
    let mut sources: Vec<Source> = Vec::new();
    let mut unread = Vec::new();
    for (name, path) in manifest.layers.iter().chain(&manifest.tables) {
        if path.contains('#') {
            return Err(ReadError::new(
                path,
                "GeoPackage layers (`file.gpkg#layer`) are not supported by this version of nrqc",
            )
            .frame(name));
        }
        let path = PathBuf::from(path);
        let format = format_of(&path).ok_or_else(|| {
            ReadError::new(&path, "unsupported file type; use .fgb, .geojson or .csv").frame(name)
        })?;
        if !root.join(&path).is_file() {
            return Err(ReadError::new(
                &path,
                "package.yaml maps a layer here, but there is no such file",
            )
            .frame(name));
        }
        sources.push(Source {
            name: name.clone(),
            path,
            format,
        });
    }
    for dir in ["vector", "tables"] {
        let entries = match std::fs::read_dir(root.join(dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ReadError::new(dir, e.to_string())),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| Path::new(dir).join(e.file_name()))
            .collect();
        paths.sort();
        for path in paths {
            if sources.iter().any(|s| s.path == path) {
                continue;
            }
            let expected = if dir == "vector" {
                [Format::FlatGeobuf, Format::GeoJson].as_slice()
            } else {
                [Format::Csv].as_slice()
            };
            match format_of(&path).filter(|f| expected.contains(f)) {
                Some(format) => {
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
                    sources.push(Source { name, path, format });
                }
                None => unread.push(Unread {
                    path: rel(&path),
                    reason: if dir == "vector" {
                        "not a FlatGeobuf or GeoJSON layer; this version of nrqc reads no other vector format".into()
                    } else {
                        "not a CSV table".into()
                    },
                }),
            }
        }
    }
    Ok((sources, unread))
}

fn digest(path: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: path.to_owned(),
        bytes: bytes.len() as u64,
        sha256: crate::hex(&Sha256::digest(bytes)),
    }
}

fn load_frame(
    root: &Path,
    source: &Source,
    manifest: &Manifest,
    schema: &Schema,
) -> Result<(Frame, FileDigest), ReadError> {
    let path = &source.path;
    let name = source.name.as_str();
    // std::fs::read opens read-only: inputs are never changed.
    let bytes = std::fs::read(root.join(path))
        .map_err(|e| ReadError::new(path, format!("cannot read: {e}")).frame(name))?;
    let file = digest(&rel(path), &bytes);
    let (columns, rows, geometry, bad_cells, decimals) = match source.format {
        Format::FlatGeobuf | Format::GeoJson => {
            let d = if source.format == Format::FlatGeobuf {
                vector::read_fgb(path, name, &bytes)?
            } else {
                vector::read_geojson(path, name, &bytes)?
            };
            (d.columns, d.rows, Some(d.geometry), vec![], BTreeMap::new())
        }
        Format::Csv => {
            let encoding = manifest.encoding.unwrap_or(Encoding::Utf8);
            let t = table::read_csv(path, name, &bytes, encoding, schema.frame(name))?;
            (t.columns, t.rows, None, t.bad_cells, t.decimals)
        }
    };
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
        },
        file,
    ))
}
