//! File Geodatabases (`.gdb` folders, as ArcGIS delivers them, or zipped: `.gdb.zip`): each
//! feature class a layer, each attribute table a table, named by its name in the geodatabase,
//! as the tables of a GeoPackage.
//!
//! A pure Rust reader of the format (documented by Even Rouault, and read by GDAL's OpenFileGDB
//! driver, whose reading the conformance tests compare with); see the README's "Files written by
//! others" for why it is not GDAL. The catalog `a00000001.gdbtable` lists the tables by name;
//! table `n` is the file pair `a<n as 8 hex digits>.gdbtable` / `.gdbtablx`. Feature classes
//! inside feature datasets are tables of the catalog like any other, so a geodatabase's datasets
//! are walked by reading the catalog. The geodatabase's own tables (`GDB_*`) are not layers.
//!
//! Every file is read through `tree` (inside the package, no symlink out, no FIFO, bounded like a
//! layer file); a `.gdb.zip` is extracted as a package zip is, with the same checks, to a private
//! temporary directory. A corrupt or truncated table is an error naming the geodatabase, the
//! layer, and the feature and field where it is one's.

mod bytes;
mod geometry;
mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::columns::{Columns, Value, Values};
use super::error::ReadError;
use super::scratch::Scratch;
use super::vector::Decoded;
use super::{archive, tree, FileDigest, GeometryColumn, InputNote, LayerCrs};
use table::{Cell, FieldType, Table};

pub use geometry::Tolerance;

/// The catalog: the table listing every table of the geodatabase.
const CATALOG: &str = "a00000001";

/// Whether `path` names a File Geodatabase: a `.gdb` folder or a `.gdb.zip`.
pub(crate) fn is_filegdb(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".gdb") || name.ends_with(".gdb.zip")
}

/// A table the catalog lists.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    /// The stem of its files, `a<ObjectID as 8 hex digits>`.
    stem: String,
    /// Its `FileFormat`: 0 for a table of the layout read here; 1 and 2 for ArcGIS's compressed
    /// storage (SDC, CDF), which is not documented and not read.
    format: i64,
}

impl Entry {
    /// One of the geodatabase's own tables (`GDB_Items`, `GDB_SpatialRefs` …).
    fn is_system(&self) -> bool {
        self.name.to_ascii_uppercase().starts_with("GDB_")
    }

    /// Why it cannot be read, when it is compressed.
    fn compressed(&self) -> Option<String> {
        (self.format != 0).then(|| {
            format!(
                "`{}` is stored compressed (ArcGIS FileFormat {}: SDC or CDF), which nrqc does \
                 not read; uncompress the geodatabase in ArcGIS (Uncompress File Geodatabase \
                 Data) before delivery",
                self.name, self.format
            )
        })
    }
}

/// A table of the catalog that nrqc reads: a feature class (layer) or an attribute table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Content {
    pub name: String,
    /// A feature class: the table has a geometry field.
    pub layer: bool,
}

/// A table of the geodatabase once decoded.
pub(crate) struct Loaded {
    pub decoded: Decoded,
    /// The aliases ArcGIS shows for fields, by field name (only fields that have one).
    pub aliases: BTreeMap<String, String>,
    /// What the report must say of how the table was read (curves densified).
    pub notes: Vec<InputNote>,
}

/// An open geodatabase. `path` (relative to the package root) names it in errors and the
/// report.
pub(crate) struct FileGdb {
    path: PathBuf,
    /// The canonical root files are read inside, and the folder of the tables within it.
    root: PathBuf,
    dir: PathBuf,
    /// Every file read, by path; for a `.gdb.zip`, the zip.
    digests: Mutex<BTreeMap<String, FileDigest>>,
    /// The catalog, in catalog order.
    catalog: Vec<Entry>,
    extracted: Option<Scratch>,
}

impl FileGdb {
    /// Opens the geodatabase `path` (a `.gdb` folder or a `.gdb.zip`) of the package at `root`
    /// (canonical) and reads its catalog.
    pub(crate) fn open(root: &Path, path: &Path) -> Result<FileGdb, ReadError> {
        let err = |m: String| ReadError::new(path, m);
        let resolved = tree::resolve(root, path).map_err(err)?;
        let mut gdb = if resolved.is_dir() {
            FileGdb {
                path: path.to_owned(),
                root: root.to_owned(),
                dir: path.to_owned(),
                digests: Mutex::default(),
                catalog: Vec::new(),
                extracted: None,
            }
        } else {
            let zipped = path
                .to_string_lossy()
                .to_ascii_lowercase()
                .ends_with(".gdb.zip");
            if !zipped {
                return Err(err(
                    "a file, not a folder: a File Geodatabase is a .gdb folder, or a zip of one \
                     named .gdb.zip"
                        .into(),
                ));
            }
            let bytes = tree::read(root, path)?;
            let tmp = Scratch::new("nrqc-gdb-")
                .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
            let dest = tmp.path().join("gdb");
            archive::extract_holding(
                path,
                std::io::Cursor::new(&bytes),
                &dest,
                &format!("{CATALOG}.gdbtable"),
                "no a00000001.gdbtable (the catalog of a File Geodatabase) at the zip's root \
                 or in its one top-level folder: not a zipped File Geodatabase",
            )
            .map_err(|e| match e {
                super::PackageError::Archive { entry, message, .. } => err(match entry {
                    Some(entry) => format!("entry `{entry}`: {message}"),
                    None => message,
                }),
                e => err(e.to_string()),
            })?;
            let root = dest
                .canonicalize()
                .map_err(|e| err(format!("cannot read the extracted zip: {e}")))?;
            let digest = FileDigest {
                path: super::rel(path),
                bytes: bytes.len() as u64,
                sha256: crate::hex(&Sha256::digest(&bytes)),
            };
            FileGdb {
                path: path.to_owned(),
                root,
                dir: PathBuf::new(),
                digests: Mutex::new(BTreeMap::from([(digest.path.clone(), digest)])),
                catalog: Vec::new(),
                extracted: Some(tmp),
            }
        };
        gdb.catalog = gdb.read_catalog()?;
        Ok(gdb)
    }

    fn err(&self, message: impl Into<String>) -> ReadError {
        ReadError::new(&self.path, message)
    }

    /// The bytes of the table file `name` (`a00000009.gdbtable`), `None` when it is not there.
    fn file(&self, name: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let rel = self.dir.join(name);
        if self.root.join(&rel).symlink_metadata().is_err() {
            return Ok(None);
        }
        let bytes =
            tree::read(&self.root, &rel).map_err(|e| self.err(format!("{name}: {}", e.message)))?;
        if self.extracted.is_none() {
            let path = super::rel(&rel);
            let digest = FileDigest {
                path: path.clone(),
                bytes: bytes.len() as u64,
                sha256: crate::hex(&Sha256::digest(&bytes)),
            };
            self.digests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(path, digest);
        }
        Ok(Some(bytes))
    }

    /// The start of the table file `name`, up to the end of its field descriptions: what
    /// tells a feature class from a table, without reading its rows.
    fn head(&self, name: &str) -> Result<Vec<u8>, ReadError> {
        use std::io::{Read, Seek, SeekFrom};
        let rel = self.dir.join(name);
        let err = |m: String| self.err(format!("{name}: {m}"));
        let (mut file, _) = tree::open(&self.root, &rel).map_err(|e| err(e.message))?;
        let io = |e: std::io::Error| err(format!("cannot be read: {e}"));
        let mut header = [0u8; 40];
        let mut end = 40u64;
        if file.read_exact(&mut header).is_ok() {
            let mut offset = [0u8; 8];
            offset.copy_from_slice(&header[32..40]);
            let offset = u64::from_le_bytes(offset);
            let mut len = [0u8; 4];
            if file.seek(SeekFrom::Start(offset)).is_ok() && file.read_exact(&mut len).is_ok() {
                end = offset.saturating_add(4 + u64::from(u32::from_le_bytes(len)));
            }
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut bytes = Vec::new();
        // Never past the end of the file, whose size tree::open checked.
        file.take(end).read_to_end(&mut bytes).map_err(io)?;
        Ok(bytes)
    }

    /// The files read so far, sorted by path.
    pub(crate) fn digests(&self) -> Vec<FileDigest> {
        let digests = self.digests.lock().unwrap_or_else(|e| e.into_inner());
        digests.values().cloned().collect()
    }

    /// The `.gdbtable` and `.gdbtablx` of the table with file stem `stem`.
    fn table_files(&self, stem: &str) -> Result<(Vec<u8>, Option<Vec<u8>>), ReadError> {
        let name = format!("{stem}.gdbtable");
        let table = self
            .file(&name)?
            .ok_or_else(|| self.err(format!("{name} is missing")))?;
        let index = self.file(&format!("{stem}.gdbtablx"))?;
        Ok((table, index))
    }

    fn read_catalog(&self) -> Result<Vec<Entry>, ReadError> {
        let (bytes, index) = self.table_files(CATALOG)?;
        catalog(&bytes, index.as_deref())
            .map_err(|m| self.err(format!("the catalog ({CATALOG}.gdbtable): {m}")))
    }

    /// The feature classes and attribute tables, in catalog order, and why each compressed
    /// one is not read; the geodatabase's own tables (`GDB_*`) left out.
    pub(crate) fn contents(&self) -> Result<(Vec<Content>, Vec<String>), ReadError> {
        let mut contents = Vec::new();
        let mut compressed = Vec::new();
        for entry in self.catalog.iter().filter(|e| !e.is_system()) {
            if let Some(why) = entry.compressed() {
                compressed.push(why);
                continue;
            }
            let head = self.head(&format!("{}.gdbtable", entry.stem))?;
            let t = Table::describe(&head).map_err(|m| {
                self.err(format!("{}.gdbtable: {m}", entry.stem))
                    .frame(&entry.name)
            })?;
            contents.push(Content {
                name: entry.name.clone(),
                layer: t.geometry_field().is_some(),
            });
        }
        Ok((contents, compressed))
    }

    /// Reads the table `table` as frame `frame`: a feature class when `layer`, else an
    /// attribute table.
    pub(crate) fn read(&self, table: &str, frame: &str, layer: bool) -> Result<Loaded, ReadError> {
        let err = |m: String| self.err(m).frame(frame);
        let Some(entry) = self.catalog.iter().find(|e| e.name == table) else {
            let held: Vec<&str> = (self.catalog.iter())
                .filter(|e| !e.is_system())
                .map(|e| e.name.as_str())
                .collect();
            return Err(err(format!(
                "no feature class or table `{table}` in this File Geodatabase; it holds {}",
                if held.is_empty() {
                    "none".to_owned()
                } else {
                    held.join(", ")
                }
            )));
        };
        if let Some(why) = entry.compressed() {
            return Err(err(why));
        }
        let stem = &entry.stem;
        let (bytes, index) = self.table_files(stem)?;
        decode(
            &self.path,
            stem,
            table,
            frame,
            layer,
            &bytes,
            index.as_deref(),
        )
    }
}

/// The tables the catalog `bytes` (with its index) lists.
fn catalog(bytes: &[u8], index: Option<&[u8]>) -> Result<Vec<Entry>, String> {
    let t = Table::parse(bytes, index)?;
    let field = |name: &str, kind: FieldType| {
        t.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name) && f.kind == kind)
            .ok_or(format!("no {name} field"))
    };
    let (name, format) = (
        field("Name", FieldType::Text)?,
        field("FileFormat", FieldType::Int32)?,
    );
    let mut catalog = Vec::new();
    for (i, &(object_id, _)) in t.rows.iter().enumerate() {
        let row = t.row(i).map_err(|e| e.message)?;
        if let Some(Cell::Text(n)) = &row[name] {
            let format = match row[format] {
                Some(Cell::Int(f)) => f,
                _ => 0,
            };
            catalog.push(Entry {
                name: n.clone(),
                stem: format!("a{object_id:08x}"),
                format,
            });
        }
    }
    Ok(catalog)
}

/// Decodes the table `table` (files `stem`.gdbtable, `bytes`, and `.gdbtablx`, `index`) of the
/// geodatabase `path` as frame `frame`: a feature class when `layer`, else an attribute table.
fn decode(
    path: &Path,
    stem: &str,
    table: &str,
    frame: &str,
    layer: bool,
    bytes: &[u8],
    index: Option<&[u8]>,
) -> Result<Loaded, ReadError> {
    let err = |m: String| ReadError::new(path, m).frame(frame);
    let file = format!("{stem}.gdbtable");
    let t = Table::parse(bytes, index).map_err(|m| err(format!("{file} (`{table}`): {m}")))?;
    let geometry_field = t.geometry_field();
    match (layer, geometry_field.is_some()) {
        (true, false) => {
            return Err(err(format!(
                "`{table}` is a table without geometry, not a feature class; a layer needs \
                 geometry"
            )))
        }
        (false, true) => {
            return Err(err(format!(
                "`{table}` is a feature class; map it under `layers:`, not `tables:`"
            )))
        }
        _ => {}
    }
    if t.geometry_type == 9 {
        return Err(err(format!(
            "`{table}` is a multipatch (3D) feature class, which nrqc does not read"
        )));
    }
    let mut columns = Columns::default();
    let mut aliases = BTreeMap::new();
    for f in &t.fields {
        if !f.alias.is_empty() && f.alias != f.name {
            aliases.insert(f.name.clone(), f.alias.clone());
        }
        let values = match f.kind {
            FieldType::ObjectId | FieldType::Geometry => continue,
            FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => Values::Int(vec![]),
            FieldType::Float32 | FieldType::Float64 => Values::Float(vec![]),
            FieldType::Text
            | FieldType::DateTime
            | FieldType::Date
            | FieldType::Time
            | FieldType::DateTimeWithOffset
            | FieldType::Guid
            | FieldType::GlobalId
            | FieldType::Xml => Values::text(),
            FieldType::Binary | FieldType::Raster => {
                return Err(err(format!(
                    "{file}: the field `{}` is of type {}, which nrqc does not read",
                    f.name,
                    f.kind.esri_name()
                ))
                .field(&f.name))
            }
        };
        columns
            .declare(&f.name, values)
            .map_err(|m| err(format!("{file}: {m}")))?;
    }
    let crs = geometry_field.map(|g| LayerCrs {
        epsg: crate::geom::wkt::epsg_of_wkt(&g.wkt),
        text: Some(g.wkt.clone()).filter(|w| !w.trim().is_empty()),
    });
    let mut decoder = geometry_field.map(|g| geometry::Decoder {
        grid: &g.grid,
        tolerance: Tolerance::for_wkt(&g.wkt),
        densified: 0,
    });
    let mut geoms = Vec::with_capacity(if layer { t.rows.len() } else { 0 });
    let mut defects = Vec::new();
    let mut curved = 0usize;
    for feature in 0..t.rows.len() {
        let at = |m: String, field: Option<&str>| {
            let e = err(format!("{file}: {m}")).feature(feature);
            match field {
                Some(f) => e.field(f),
                None => e,
            }
        };
        let row = t
            .row(feature)
            .map_err(|e| at(e.message, e.field.map(|k| t.fields[k].name.as_str())))?;
        let mut geometry = None;
        for (f, cell) in t.fields.iter().zip(row) {
            let Some(cell) = cell else { continue };
            let value = match cell {
                Cell::Int(v) => Value::Int(v),
                Cell::Float(v) => Value::Float(v),
                Cell::Text(s) => Value::Str(s.into()),
                Cell::Shape(shape) => {
                    let Some(decoder) = decoder.as_mut() else {
                        continue;
                    };
                    let (g, curves) = decoder
                        .decode(shape, feature, &mut defects)
                        .map_err(|m| at(format!("the geometry: {m}"), Some(&f.name)))?;
                    curved += usize::from(curves);
                    geometry = g;
                    continue;
                }
            };
            columns
                .set(feature, &f.name, value)
                .map_err(|m| at(m, Some(&f.name)))?;
        }
        if layer {
            geoms.push(geometry);
        }
    }
    let mut notes = Vec::new();
    if let Some(d) = decoder.as_ref().filter(|_| curved > 0) {
        notes.push(InputNote {
            path: super::rel(path),
            message: format!(
                "{frame}: {curved} feature(s) with curves (circular arcs or Bézier curves) \
                 were densified to straight segments within {} {} of the true curve \
                 ({} vertices added)",
                d.tolerance.0,
                if d.tolerance == Tolerance::GEOGRAPHIC {
                    "degrees"
                } else {
                    "CRS units (metres)"
                },
                d.densified
            ),
        });
    }
    Ok(Loaded {
        decoded: Decoded {
            geometry: GeometryColumn {
                geoms,
                defects,
                crs: crs.unwrap_or_default(),
            },
            columns,
            rows: t.rows.len(),
        },
        aliases,
        notes,
    })
}

/// The fuzz target's entry point: `data` is a 2-byte head (the length of the `.gdbtablx`,
/// little-endian, clipped to what follows), the `.gdbtablx`, then the `.gdbtable`. The table is
/// read as a catalog, as a feature class and as an attribute table, as the loader would.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((head, rest)) = data.split_at_checked(2) else {
        return;
    };
    let n = usize::from(u16::from_le_bytes([head[0], head[1]])).min(rest.len());
    let (index, bytes) = rest.split_at(n);
    let _ = catalog(bytes, Some(index));
    let path = Path::new("vector/FUZZ.gdb");
    for layer in [true, false] {
        if let Ok(l) = decode(path, "a00000009", "FUZZ", "FUZZ", layer, bytes, Some(index)) {
            let _ = l.decoded.columns.into_frame(l.decoded.rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The handmade geodatabase's DY table (a circle, a square, a null geometry), truncated at
    /// every length and with bytes flipped: errors, never a panic.
    #[test]
    fn fuzz_entry_survives_truncated_and_flipped_tables() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filegdb/cases.gdb");
        for stem in ["a00000001", "a00000009", "a0000000a"] {
            let table = std::fs::read(dir.join(format!("{stem}.gdbtable"))).unwrap();
            let index = std::fs::read(dir.join(format!("{stem}.gdbtablx"))).unwrap();
            let input = |table: &[u8]| {
                let mut v = (index.len() as u16).to_le_bytes().to_vec();
                v.extend_from_slice(&index);
                v.extend_from_slice(table);
                v
            };
            fuzz(&input(&table));
            for len in 0..table.len() {
                fuzz(&input(&table[..len]));
            }
            for step in [3, 7, 11, 29] {
                for start in 0..step {
                    let mut flipped = table.clone();
                    for i in (start..flipped.len()).step_by(step) {
                        flipped[i] ^= 0xa5;
                    }
                    fuzz(&input(&flipped));
                }
            }
        }
    }
}
