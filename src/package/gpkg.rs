//! Reading GeoPackage (`.gpkg`) layers: SQLite through rusqlite, geometry blobs (GeoPackage
//! binary: a `GP` header and WKB) through geozero's WKB reader into the same `Builder` as
//! FlatGeobuf and GeoJSON, so a layer gives the same geometries, defects and columns whatever
//! its format.
//!
//! The database is opened read-only and `immutable=1`: SQLite then takes no locks and writes no
//! journal, `-wal` or `-shm` file beside the input (a delivery is never changed by inspecting it),
//! and ignores any `-wal` file already there.
//!
//! Only stored tables are read. A view is a query that runs when read, and a file can make it
//! return rows without end (a recursive view killed nrqc in the allocator; one over 10^11
//! generated rows ran for minutes); a virtual table runs a module's code. Both are refused, as a
//! layer and as one of the GeoPackage's own tables, before a row is read; a stored table's rows
//! are bounded by the file's size.

use std::path::{Path, PathBuf};

use geozero::wkb::GpkgWkb;
use geozero::{ColumnValue, FeatureProcessor, GeozeroGeometry, PropertyProcessor};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::columns::{Columns, Values};
use super::error::ReadError;
use super::vector::{self, Builder};
use super::{GeometryColumn, LayerCrs};

/// What `gpkg_contents` says a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataType {
    /// A feature table: rows with a geometry column (a layer).
    Features,
    /// An attribute table: rows without geometry (a table).
    Attributes,
}

/// A table listed in `gpkg_contents` that nrqc can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Content {
    pub table: String,
    pub data_type: DataType,
}

/// A table of a GeoPackage once decoded: a layer has a geometry column, an attribute table none.
pub(crate) struct Table {
    pub geometry: Option<GeometryColumn>,
    pub columns: Columns,
    pub rows: usize,
}

/// An open GeoPackage. `path` (relative to the package root) names it in errors.
pub(crate) struct GeoPackage {
    db: Connection,
    path: PathBuf,
}

/// `file:` URI of `path` for SQLite, every byte but unreserved ASCII percent-encoded (SQLite
/// decodes `%HH` to the byte), so that `?`, `#` or `%` in a directory name cannot end the path.
fn uri(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut s = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.push_str("?immutable=1");
    s
}

impl GeoPackage {
    /// Opens `file` read-only and immutable, checking that it is a GeoPackage.
    pub(crate) fn open(file: &Path, path: &Path) -> Result<GeoPackage, ReadError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(uri(file), flags)
            .map_err(|e| ReadError::new(path, format!("cannot open as a GeoPackage: {e}")))?;
        let gpkg = GeoPackage {
            db,
            path: path.to_owned(),
        };
        // Sorting must not spill to temporary files, and the first read tells whether this is
        // SQLite at all.
        gpkg.db
            .execute_batch("PRAGMA temp_store = MEMORY")
            .map_err(|e| gpkg.not_sqlite(e))?;
        let contents = gpkg
            .stored("gpkg_contents")
            .map_err(|e| gpkg.not_sqlite(e))?;
        if contents == Stored::Missing {
            return Err(ReadError::new(
                path,
                "not a GeoPackage: an SQLite database without a gpkg_contents table",
            ));
        }
        for table in [
            "gpkg_contents",
            "gpkg_geometry_columns",
            "gpkg_spatial_ref_sys",
        ] {
            let stored = gpkg
                .stored(table)
                .map_err(|e| gpkg.sql_err("sqlite_master", e))?;
            if let Some(what) = stored.not_a_table() {
                return Err(gpkg.err(format!(
                    "`{table}` is {what}, not a table; nrqc reads only the rows a GeoPackage \
                     stores"
                )));
            }
        }
        Ok(gpkg)
    }

    /// How the database holds `name` (SQLite names are case-insensitive), as SQLite parsed its
    /// schema: the text of a `CREATE` statement can be written to hide what it makes.
    fn stored(&self, name: &str) -> rusqlite::Result<Stored> {
        let row = self.db.query_row(
            "SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE",
            [name],
            |r| Ok(text(r.get_ref(0)?)),
        );
        Ok(match row {
            Ok(ty) => match ty.as_deref() {
                Some("view") => Stored::View,
                Some("virtual") => Stored::Virtual,
                // `table`, or `shadow` (a virtual table's storage): rows stored in the file.
                _ => Stored::Table,
            },
            Err(rusqlite::Error::QueryReturnedNoRows) => Stored::Missing,
            Err(e) => return Err(e),
        })
    }

    fn not_sqlite(&self, e: rusqlite::Error) -> ReadError {
        ReadError::new(
            &self.path,
            format!("not a GeoPackage (SQLite database): {e}"),
        )
    }

    fn err(&self, message: impl Into<String>) -> ReadError {
        ReadError::new(&self.path, message)
    }

    fn sql_err(&self, what: &str, e: rusqlite::Error) -> ReadError {
        self.err(format!("cannot read {what}: {e}"))
    }

    /// The feature and attribute tables, in `gpkg_contents` order of table name.
    pub(crate) fn contents(&self) -> Result<Vec<Content>, ReadError> {
        let what = "gpkg_contents";
        let mut stmt = self
            .db
            .prepare(
                "SELECT table_name, data_type FROM gpkg_contents \
                 WHERE data_type IN ('features', 'attributes') ORDER BY table_name",
            )
            .map_err(|e| self.sql_err(what, e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql_err(what, e))?;
        let mut contents = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sql_err(what, e))? {
            let table = text(row.get_ref(0).map_err(|e| self.sql_err(what, e))?);
            let data_type = text(row.get_ref(1).map_err(|e| self.sql_err(what, e))?);
            let (Some(table), Some(data_type)) = (table, data_type) else {
                return Err(self.err("gpkg_contents holds a row without a table name or type"));
            };
            contents.push(Content {
                table,
                data_type: if data_type == "features" {
                    DataType::Features
                } else {
                    DataType::Attributes
                },
            });
        }
        Ok(contents)
    }

    /// Reads table `table` as frame `frame`: a feature table when `layer`, else an attribute
    /// table.
    pub(crate) fn read(&self, table: &str, frame: &str, layer: bool) -> Result<Table, ReadError> {
        let err = |message: String| self.err(message).frame(frame);
        let contents = self.contents()?;
        let Some(content) = contents.iter().find(|c| c.table == table) else {
            let held: Vec<&str> = contents.iter().map(|c| c.table.as_str()).collect();
            return Err(err(format!(
                "no layer `{table}` in this GeoPackage; gpkg_contents lists {}",
                if held.is_empty() {
                    "no feature or attribute table".to_owned()
                } else {
                    held.join(", ")
                }
            )));
        };
        match (layer, content.data_type) {
            (true, DataType::Attributes) => {
                return Err(err(format!(
                    "`{table}` is an attribute table (gpkg_contents data_type 'attributes'), \
                     not a feature table; a layer needs geometry"
                )))
            }
            (false, DataType::Features) => {
                return Err(err(format!(
                    "`{table}` is a feature table (gpkg_contents data_type 'features'); \
                     map it under `layers:`, not `tables:`"
                )))
            }
            _ => {}
        }
        let stored = self
            .stored(table)
            .map_err(|e| self.sql_err("sqlite_master", e).frame(frame))?;
        if let Some(what) = stored.not_a_table() {
            return Err(err(format!(
                "`{table}` is {what}, not a table; nrqc reads only the rows a GeoPackage stores: \
                 write the layer's features into a table (e.g. `ogr2ogr -f GPKG out.gpkg in.gpkg \
                 {table}`)"
            )));
        }
        let geometry = if layer {
            Some(self.geometry_column(table, frame)?)
        } else {
            None
        };
        let columns = self.table_columns(table, frame)?;
        let mut builder = Builder::default();
        for c in &columns {
            if Some(&c.name) == geometry.as_ref().map(|g| &g.0) || c.primary_key {
                continue;
            }
            if let Some(values) = declared_values(&c.declared) {
                builder
                    .declare(&c.name, values)
                    .map_err(|m| err(format!("table `{table}`: {m}")))?;
            }
        }
        let pk = columns.iter().find(|c| c.primary_key);
        let select: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {}{}",
            select.join(", "),
            quote(table),
            pk.map(|c| format!(" ORDER BY {}", quote(&c.name)))
                .unwrap_or_default()
        );
        let what = format!("table `{table}`");
        let sql_err = |e: rusqlite::Error| self.sql_err(&what, e).frame(frame);
        let mut stmt = self.db.prepare(&sql).map_err(sql_err)?;
        let mut rows = stmt.query([]).map_err(sql_err)?;
        let mut feature = 0usize;
        while let Some(row) = rows.next().map_err(|e| sql_err(e).feature(feature))? {
            let at = |message: String, field: &str| {
                self.err(message).frame(frame).feature(feature).field(field)
            };
            builder
                .feature_begin(feature as u64)
                .map_err(|e| self.err(e.to_string()).frame(frame).feature(feature))?;
            for (i, c) in columns.iter().enumerate() {
                if c.primary_key {
                    continue;
                }
                let value = row
                    .get_ref(i)
                    .map_err(|e| at(format!("cannot read the value: {e}"), &c.name))?;
                if Some(&c.name) == geometry.as_ref().map(|g| &g.0) {
                    match value {
                        ValueRef::Null => {}
                        ValueRef::Blob(blob) => {
                            GpkgWkb(blob).process_geom(&mut builder).map_err(|e| {
                                at(
                                    format!(
                                        "not a GeoPackage geometry (a `GP` header and WKB): {e}"
                                    ),
                                    &c.name,
                                )
                            })?;
                        }
                        other => {
                            return Err(at(
                                format!(
                                    "the geometry is {}, not a GeoPackage geometry blob",
                                    sqlite_type(other)
                                ),
                                &c.name,
                            ))
                        }
                    }
                    continue;
                }
                let text_value;
                let value = match value {
                    ValueRef::Null => continue,
                    ValueRef::Integer(v) => match declared_values(&c.declared) {
                        Some(Values::Bool(_)) => match v {
                            0 | 1 => ColumnValue::Bool(v == 1),
                            _ => {
                                return Err(at(
                                    format!("{v} in a BOOLEAN column, which holds 0 or 1"),
                                    &c.name,
                                ))
                            }
                        },
                        Some(Values::Float(_)) => ColumnValue::Double(v as f64),
                        _ => ColumnValue::Long(v),
                    },
                    ValueRef::Real(v) => ColumnValue::Double(v),
                    ValueRef::Text(bytes) => {
                        text_value = std::str::from_utf8(bytes).map_err(|e| {
                            at(
                                format!(
                                    "text that is not UTF-8 (invalid byte at offset {})",
                                    e.valid_up_to()
                                ),
                                &c.name,
                            )
                        })?;
                        ColumnValue::String(text_value)
                    }
                    ValueRef::Blob(bytes) => ColumnValue::Binary(bytes),
                };
                builder
                    .property(i, &c.name, &value)
                    .map_err(|e| builder.error(&self.path, frame, e))?;
            }
            feature += 1;
        }
        let crs = match &geometry {
            Some((_, srs_id)) => self.crs(*srs_id, frame)?,
            None => LayerCrs::default(),
        };
        let decoded = vector::finish(builder, crs);
        Ok(Table {
            geometry: layer.then_some(decoded.geometry),
            columns: decoded.columns,
            rows: decoded.rows,
        })
    }

    /// The geometry column of feature table `table` and its srs_id.
    fn geometry_column(&self, table: &str, frame: &str) -> Result<(String, i64), ReadError> {
        let found = self
            .db
            .query_row(
                "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
                [table],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => self
                    .err(format!(
                        "feature table `{table}` has no row in gpkg_geometry_columns"
                    ))
                    .frame(frame),
                e => self.sql_err("gpkg_geometry_columns", e).frame(frame),
            })?;
        Ok(found)
    }

    /// The CRS of `srs_id` from gpkg_spatial_ref_sys: an EPSG code when the organization is
    /// EPSG, else the code [`epsg_of_wkt`](crate::geom::wkt::epsg_of_wkt) recognises in the
    /// definition (WKT), and the definition unless it is `undefined`.
    fn crs(&self, srs_id: i64, frame: &str) -> Result<LayerCrs, ReadError> {
        let row = self.db.query_row(
            "SELECT organization, organization_coordsys_id, definition \
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| {
                Ok((
                    text(r.get_ref(0)?),
                    r.get_ref(1)?.as_i64().ok(),
                    text(r.get_ref(2)?),
                ))
            },
        );
        match row {
            Ok((organization, code, definition)) => {
                let text = definition.filter(|d| !d.trim().eq_ignore_ascii_case("undefined"));
                Ok(LayerCrs {
                    // Another organization's code (ESRI, a producer's own) leaves the WKT to
                    // say what the CRS is.
                    epsg: organization
                        .filter(|o| o.eq_ignore_ascii_case("EPSG"))
                        .and(code)
                        .and_then(|c| u32::try_from(c).ok())
                        .filter(|&c| c != 0)
                        .or_else(|| text.as_deref().and_then(crate::geom::wkt::epsg_of_wkt)),
                    text,
                })
            }
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(self
                .err(format!(
                    "srs_id {srs_id} of the geometry column is not in gpkg_spatial_ref_sys"
                ))
                .frame(frame)),
            Err(e) => Err(self.sql_err("gpkg_spatial_ref_sys", e).frame(frame)),
        }
    }

    fn table_columns(&self, table: &str, frame: &str) -> Result<Vec<TableColumn>, ReadError> {
        let what = format!("the columns of `{table}`");
        let sql_err = |e| self.sql_err(&what, e).frame(frame);
        let mut stmt = self
            .db
            .prepare("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid")
            .map_err(sql_err)?;
        let mut rows = stmt.query([table]).map_err(sql_err)?;
        let mut columns = Vec::new();
        let mut integer_keys = 0;
        while let Some(row) = rows.next().map_err(sql_err)? {
            let name = text(row.get_ref(0).map_err(sql_err)?).unwrap_or_default();
            let declared = text(row.get_ref(1).map_err(sql_err)?)
                .unwrap_or_default()
                .to_ascii_uppercase();
            let pk = row.get_ref(2).map_err(sql_err)?.as_i64().unwrap_or(0);
            let primary_key = pk == 1 && declared == "INTEGER";
            integer_keys += usize::from(pk != 0);
            columns.push(TableColumn {
                name,
                declared,
                primary_key,
            });
        }
        if columns.is_empty() {
            return Err(self
                .err(format!(
                    "gpkg_contents lists `{table}`, but the database has no such table"
                ))
                .frame(frame));
        }
        // Only a lone INTEGER PRIMARY KEY is the feature id (an alias of the rowid).
        if integer_keys != 1 {
            for c in &mut columns {
                c.primary_key = false;
            }
        }
        Ok(columns)
    }
}

/// What a name in the database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Table,
    View,
    Virtual,
    Missing,
}

impl Stored {
    /// What it is in words, when it is something other than a stored table.
    fn not_a_table(self) -> Option<&'static str> {
        match self {
            Stored::View => Some("a view (a query run when it is read)"),
            Stored::Virtual => Some("a virtual table (rows made by a module's code)"),
            Stored::Table | Stored::Missing => None,
        }
    }
}

struct TableColumn {
    name: String,
    /// The declared type, upper case, e.g. `TEXT(10)`.
    declared: String,
    /// The INTEGER PRIMARY KEY (`fid`): the feature id, not an attribute.
    primary_key: bool,
}

/// The column a declared SQLite type gives, as the FlatGeobuf reader types its header's columns;
/// `None` for a type GeoPackage does not define (the values then decide).
fn declared_values(declared: &str) -> Option<Values> {
    let base = declared.split('(').next().unwrap_or("").trim();
    Some(match base {
        "INTEGER" | "INT" | "MEDIUMINT" | "SMALLINT" | "TINYINT" | "BIGINT" => Values::Int(vec![]),
        "BOOLEAN" => Values::Bool(vec![]),
        "REAL" | "DOUBLE" | "FLOAT" => Values::Float(vec![]),
        // Dates and times are ISO 8601 text in a GeoPackage, as in FlatGeobuf.
        "TEXT" | "DATE" | "DATETIME" | "BLOB" => Values::text(),
        _ => return None,
    })
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    }
}

fn sqlite_type(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an INTEGER",
        ValueRef::Real(_) => "a REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "a BLOB",
    }
}

/// Reads every feature and attribute table of the GeoPackage at `file`, as a package whose
/// `vector/` holds it would; the entry point of the fuzz target. Returns the tables' row counts.
pub fn read_all(file: &Path) -> Result<Vec<(String, usize)>, ReadError> {
    let path = Path::new("vector/FUZZ.gpkg");
    let gpkg = GeoPackage::open(file, path)?;
    let mut counts = Vec::new();
    for content in gpkg.contents()? {
        let layer = content.data_type == DataType::Features;
        let t = gpkg.read(&content.table, &content.table, layer)?;
        let df = t
            .columns
            .into_frame(t.rows)
            .map_err(|e| ReadError::new(path, e.to_string()).frame(&content.table))?;
        counts.push((content.table, df.height()));
    }
    Ok(counts)
}

/// The fuzz target's entry point: `data` written to a temporary file (SQLite reads files, not
/// bytes), read by [`read_all`], and removed again. Errors are the expected outcome; a panic,
/// hang or crash is a bug.
pub fn fuzz(data: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let file = std::env::temp_dir().join(format!(
        "nrqc-fuzz-{}-{}.gpkg",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    if std::fs::write(&file, data).is_ok() {
        let _ = read_all(&file);
    }
    let _ = std::fs::remove_file(&file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_what_would_end_the_path() {
        assert_eq!(
            uri(Path::new("/a b/x?#%.gpkg")),
            "file:/a%20b/x%3F%23%25.gpkg?immutable=1"
        );
        assert_eq!(uri(Path::new("县.gpkg")), "file:%E5%8E%BF.gpkg?immutable=1");
    }

    #[test]
    fn declared_types_map_as_flatgeobuf_columns() {
        assert!(matches!(declared_values("MEDIUMINT"), Some(Values::Int(_))));
        assert!(matches!(declared_values("BOOLEAN"), Some(Values::Bool(_))));
        assert!(matches!(declared_values("REAL"), Some(Values::Float(_))));
        assert!(matches!(declared_values("TEXT(10)"), Some(Values::Str(_))));
        assert!(matches!(declared_values("DATETIME"), Some(Values::Str(_))));
        assert!(declared_values("").is_none());
    }

    #[test]
    fn fuzz_entry_survives_junk_and_truncated_files() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/622923_永靖县_defective_gpkg/vector/622923_永靖县.gpkg");
        let bytes = std::fs::read(fixture).unwrap();
        fuzz(b"");
        fuzz(b"SQLite format 3\0 and then nothing");
        for len in [100, 4096, 8192, bytes.len() / 2, bytes.len() - 1] {
            fuzz(&bytes[..len]);
        }
        let mut flipped = bytes.clone();
        for i in (0..flipped.len()).step_by(997) {
            flipped[i] ^= 0x5a;
        }
        fuzz(&flipped);
    }
}
