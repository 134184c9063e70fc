//! One table of a File Geodatabase: its `.gdbtable` (a header, the field descriptions, then the
//! rows) and its `.gdbtablx` (the offset of each row in the `.gdbtable`, 0 for a deleted one).
//!
//! The layout is the one documented by Even Rouault (<https://github.com/rouault/dump_gdbtable/wiki/FGDB-Spec>)
//! and read by GDAL's OpenFileGDB driver; the version 3 files of ArcGIS 10 and ArcGIS Pro (the
//! 64-bit version 4 of ArcGIS Pro 3.2 tables is refused by name). Every offset, count and length
//! is checked against the bytes there before it is used.

use super::bytes::{utf16, Bytes};

/// What a field holds, by the type code of its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldType {
    Int16,
    Int32,
    Float32,
    Float64,
    Text,
    DateTime,
    ObjectId,
    Geometry,
    Binary,
    Raster,
    Guid,
    GlobalId,
    Xml,
    Int64,
    Date,
    Time,
    DateTimeWithOffset,
}

impl FieldType {
    fn from_code(code: u8) -> Option<FieldType> {
        use FieldType::*;
        Some(match code {
            0 => Int16,
            1 => Int32,
            2 => Float32,
            3 => Float64,
            4 => Text,
            5 => DateTime,
            6 => ObjectId,
            7 => Geometry,
            8 => Binary,
            9 => Raster,
            10 => Guid,
            11 => GlobalId,
            12 => Xml,
            13 => Int64,
            14 => Date,
            15 => Time,
            16 => DateTimeWithOffset,
            _ => return None,
        })
    }

    /// The type as ArcGIS names it, for errors.
    pub(super) fn esri_name(self) -> &'static str {
        use FieldType::*;
        match self {
            Int16 => "esriFieldTypeSmallInteger",
            Int32 => "esriFieldTypeInteger",
            Float32 => "esriFieldTypeSingle",
            Float64 => "esriFieldTypeDouble",
            Text => "esriFieldTypeString",
            DateTime => "esriFieldTypeDate",
            ObjectId => "esriFieldTypeOID",
            Geometry => "esriFieldTypeGeometry",
            Binary => "esriFieldTypeBlob",
            Raster => "esriFieldTypeRaster",
            Guid => "esriFieldTypeGUID",
            GlobalId => "esriFieldTypeGlobalID",
            Xml => "esriFieldTypeXML",
            Int64 => "esriFieldTypeBigInteger",
            Date => "esriFieldTypeDateOnly",
            Time => "esriFieldTypeTimeOnly",
            DateTimeWithOffset => "esriFieldTypeTimestampOffset",
        }
    }
}

/// The coordinate precision of a geometry field: a stored integer `n` is `n / scale + origin`.
#[derive(Debug, Clone, Default)]
pub(super) struct Grid {
    pub x_origin: f64,
    pub y_origin: f64,
    pub xy_scale: f64,
}

impl Grid {
    /// The point at grid steps (`x`, `y`) from the origin. Computed as `(n + origin × scale) /
    /// scale` rather than GDAL's `n / scale + origin`: where the origin is a whole number of
    /// steps (ArcGIS's and GDAL's are), the sum is exact and one division gives the double
    /// nearest the grid's decimal value (`34635416.63`), not one a rounding of the large offset
    /// away (`34635416.630000114`), so a converted layer's coordinates are its source's.
    pub(super) fn coord(&self, x: f64, y: f64) -> geo::Coord<f64> {
        geo::Coord {
            x: (x + self.x_origin * self.xy_scale) / self.xy_scale,
            y: (y + self.y_origin * self.xy_scale) / self.xy_scale,
        }
    }
}

/// A field of the table, as its description gives it.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub name: String,
    /// The alias ArcGIS shows for the field; empty when it has none.
    pub alias: String,
    pub kind: FieldType,
    pub nullable: bool,
    /// For the geometry field: its spatial reference (WKT, as ArcGIS writes it) and grid.
    pub wkt: String,
    pub grid: Grid,
}

/// A parsed table: its fields and where each of its rows lies in the `.gdbtable`.
#[derive(Debug)]
pub(super) struct Table<'a> {
    bytes: &'a [u8],
    pub fields: Vec<Field>,
    /// Strings are UTF-8 (else UTF-16LE).
    utf8: bool,
    /// The table's geometry type code (0 none, 1 point, 2 multipoint, 3 polyline, 4 polygon,
    /// 9 multipatch).
    pub geometry_type: u8,
    nullable_bytes: usize,
    /// The number of rows the header counts.
    valid: i32,
    /// The offsets of the rows present, in ObjectID order; deleted rows are left out.
    pub rows: Vec<(u64, usize)>,
}

/// The most fields a table may describe (GDAL's limit on the description is 10 MiB; ArcGIS
/// allows 65,534 fields).
const MAX_FIELDS: usize = 65_535;

const NULLABLE: u8 = 1;
const EDITABLE: u8 = 4;

impl<'a> Table<'a> {
    /// Parses the `.gdbtable` `bytes` and its `.gdbtablx` `index` (`None` when the table has no
    /// index file, which a table without rows may lack).
    pub(super) fn parse(bytes: &'a [u8], index: Option<&[u8]>) -> Result<Table<'a>, String> {
        let mut t = Table::describe(bytes)?;
        if t.valid > 0 {
            let index = index
                .ok_or("the table has rows but its .gdbtablx (the index of its rows) is missing")?;
            t.rows = row_offsets(index, bytes.len()).map_err(|e| format!("its .gdbtablx: {e}"))?;
        }
        Ok(t)
    }

    /// The table's header and field descriptions, without its rows: `bytes` may be the start
    /// of the `.gdbtable`, up to the end of the field descriptions.
    pub(super) fn describe(bytes: &'a [u8]) -> Result<Table<'a>, String> {
        let mut b = Bytes::new(bytes);
        let version = b.i32("the .gdbtable header")?;
        match version {
            3 => {}
            4 => {
                return Err(
                    "a version 4 table (64-bit ObjectIDs, ArcGIS Pro 3.2 and later), \
                            which this version of nrqc does not read; save the geodatabase \
                            without 64-bit ObjectIDs"
                        .into(),
                )
            }
            v => {
                return Err(format!(
                    "not a File Geodatabase table (version {v}, expected 3)"
                ))
            }
        }
        let valid = b.i32("the .gdbtable header")?;
        if valid < 0 {
            return Err(format!("the header gives {valid} rows"));
        }
        b.take(16, "the .gdbtable header")?;
        let _file_size = b.u64("the .gdbtable header")?;
        let desc_offset = b.u64("the .gdbtable header")?;
        let desc_at = usize::try_from(desc_offset)
            .ok()
            .filter(|&o| o < bytes.len())
            .ok_or_else(|| {
                format!(
                    "the field descriptions start at byte {desc_offset}, past the end of the \
                     file ({} bytes)",
                    bytes.len()
                )
            })?;
        let mut d = Bytes::new(&bytes[desc_at..]);
        let desc_len = d.u32("the field descriptions")? as usize;
        let section = d
            .take(desc_len, "the field descriptions")
            .map_err(|e| format!("{e} (the section claims {desc_len} bytes)"))?;
        let mut d = Bytes::new(section);
        let _desc_version = d.u32("the field descriptions")?;
        let geometry_type = d.u8("the field descriptions")?;
        let utf8 = d.u8("the field descriptions")? & 1 != 0;
        let _ = d.u8("the field descriptions")?;
        let zm = d.u8("the field descriptions")?;
        let (has_m, has_z) = (zm & 0x40 != 0, zm & 0x80 != 0);
        let n = usize::from(d.u16("the field count")?);
        let mut fields: Vec<Field> = Vec::with_capacity(n.min(MAX_FIELDS).min(d.remaining()));
        for i in 0..n {
            let field = read_field(&mut d, has_z, has_m)
                .map_err(|e| format!("the description of field {} of {n}: {e}", i + 1))?;
            if fields.iter().any(|f| f.name == field.name) {
                return Err(format!("the field `{}` is described twice", field.name));
            }
            fields.push(field);
        }
        if fields
            .iter()
            .filter(|f| f.kind == FieldType::Geometry)
            .count()
            > 1
        {
            return Err("more than one geometry field".into());
        }
        let nullable_bytes = fields.iter().filter(|f| f.nullable).count().div_ceil(8);
        Ok(Table {
            bytes,
            fields,
            utf8,
            geometry_type,
            nullable_bytes,
            valid,
            rows: Vec::new(),
        })
    }

    /// The geometry field, if the table has one.
    pub(super) fn geometry_field(&self) -> Option<&Field> {
        self.fields.iter().find(|f| f.kind == FieldType::Geometry)
    }

    /// The values of row `i` (of [`Table::rows`]), one per field (`None` for a null and for the
    /// ObjectID, which is not stored).
    pub(super) fn row(&self, i: usize) -> Result<Vec<Option<Cell<'a>>>, RowError> {
        let (object_id, offset) = self.rows[i];
        let whole = RowError::whole;
        let mut b = Bytes::new(&self.bytes[offset..]);
        let len = b.u32("the row's length").map_err(whole)? as usize;
        let left = b.remaining();
        let blob = b.take(len, "the row").map_err(|_| {
            whole(format!(
                "ObjectID {object_id}: the row claims {len} bytes, past the end of the file \
                 ({left} bytes left)"
            ))
        })?;
        let mut b = Bytes::new(blob);
        let nulls = b
            .take(self.nullable_bytes, "the row's null flags")
            .map_err(whole)?;
        let mut values = Vec::with_capacity(self.fields.len());
        let mut nullable = 0usize;
        for (k, f) in self.fields.iter().enumerate() {
            if f.kind == FieldType::ObjectId {
                values.push(None);
                continue;
            }
            if f.nullable {
                let null = nulls[nullable / 8] >> (nullable % 8) & 1 == 1;
                nullable += 1;
                if null {
                    values.push(None);
                    continue;
                }
            }
            let at = |e: String| RowError {
                field: Some(k),
                message: e,
            };
            values.push(Some(self.cell(&mut b, f).map_err(at)?));
        }
        Ok(values)
    }

    fn cell(&self, b: &mut Bytes<'a>, f: &Field) -> Result<Cell<'a>, String> {
        use FieldType::*;
        let what = "the value";
        Ok(match f.kind {
            Int16 => Cell::Int(b.i16(what)?.into()),
            Int32 => Cell::Int(b.i32(what)?.into()),
            Int64 => Cell::Int(b.i64(what)?),
            Float32 => Cell::Float(b.f32(what)?.into()),
            Float64 => Cell::Float(b.f64(what)?),
            DateTime => Cell::Text(datetime(b.f64(what)?, DateParts::DateTime)?),
            Date => Cell::Text(datetime(b.f64(what)?, DateParts::Date)?),
            Time => Cell::Text(datetime(b.f64(what)?, DateParts::Time)?),
            DateTimeWithOffset => {
                let days = b.f64(what)?;
                let minutes = b.i16(what)?;
                let sign = if minutes < 0 { '-' } else { '+' };
                let m = minutes.unsigned_abs();
                Cell::Text(format!(
                    "{}{sign}{:02}:{:02}",
                    datetime(days, DateParts::DateTime)?,
                    m / 60,
                    m % 60
                ))
            }
            Text | Xml => {
                let n = b.count("the text's length", b.remaining())?;
                let raw = b.take(n, what)?;
                let text = if self.utf8 || f.kind == Xml {
                    std::str::from_utf8(raw)
                        .map_err(|e| {
                            format!(
                                "text that is not UTF-8 (invalid byte at offset {})",
                                e.valid_up_to()
                            )
                        })?
                        .to_owned()
                } else {
                    utf16(raw)?
                };
                Cell::Text(text)
            }
            Guid | GlobalId => {
                let g = b.take(16, what)?;
                Cell::Text(guid(g))
            }
            Geometry => {
                let n = b.count("the geometry's length", b.remaining())?;
                Cell::Shape(b.take(n, what)?)
            }
            Binary | Raster | ObjectId => {
                return Err(format!(
                    "{} values are not read by nrqc",
                    f.kind.esri_name()
                ))
            }
        })
    }
}

/// A decoded value of a row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell<'a> {
    Int(i64),
    Float(f64),
    Text(String),
    /// A geometry, as its shape buffer.
    Shape(&'a [u8]),
}

/// Why a row could not be read: the field at fault (by index), if it is one field's.
#[derive(Debug)]
pub(super) struct RowError {
    pub field: Option<usize>,
    pub message: String,
}

impl RowError {
    fn whole(message: String) -> RowError {
        RowError {
            field: None,
            message,
        }
    }
}

fn read_field(d: &mut Bytes<'_>, has_z: bool, has_m: bool) -> Result<Field, String> {
    let n = usize::from(d.u8("the name's length")?);
    let name = d.utf16(n, "the name")?;
    let n = usize::from(d.u8("the alias's length")?);
    let alias = d.utf16(n, "the alias")?;
    let code = d.u8("the type")?;
    let kind = FieldType::from_code(code).ok_or_else(|| {
        format!("field `{name}` has the type code {code}, which no version of the format defines")
    })?;
    let in_field = |e: String| format!("field `{name}`: {e}");
    let mut field = Field {
        name: name.clone(),
        alias,
        kind,
        nullable: false,
        wkt: String::new(),
        grid: Grid::default(),
    };
    use FieldType::*;
    match kind {
        Geometry | Raster => {
            d.u8("the field's flags").map_err(in_field)?;
            field.nullable = d.u8("the field's flags").map_err(in_field)? & NULLABLE != 0;
            if kind == Raster {
                let n = usize::from(d.u8("the raster column").map_err(in_field)?);
                d.utf16(n, "the raster column").map_err(in_field)?;
            }
            let n = usize::from(d.u16("the spatial reference's length").map_err(in_field)?);
            let raw = d.take(n, "the spatial reference").map_err(in_field)?;
            field.wkt = utf16(&raw[..n - n % 2]).map_err(in_field)?;
            let flags = d.u8("the geometry flags").map_err(in_field)?;
            let (m, z) = (flags & 2 != 0, flags & 4 != 0);
            if kind == Geometry || flags > 0 {
                let mut f64s = |k: usize| -> Result<Vec<f64>, String> {
                    (0..k)
                        .map(|_| d.f64("the coordinate grid"))
                        .collect::<Result<_, _>>()
                        .map_err(in_field)
                };
                let xy = f64s(3)?;
                f64s(
                    2 * usize::from(m) + 2 * usize::from(z) + 1 + usize::from(m) + usize::from(z),
                )?;
                field.grid = Grid {
                    x_origin: xy[0],
                    y_origin: xy[1],
                    xy_scale: xy[2],
                };
                if !(xy[2].is_finite() && xy[2] > 0.0) {
                    return Err(in_field(format!("a coordinate scale of {}", xy[2])));
                }
            }
            if kind == Raster {
                d.u8("the raster type").map_err(in_field)?;
            } else {
                // The extent, the Z and M ranges of a table with them, a byte, then 1 to 3
                // spatial index grid sizes.
                let extent = 4 + 2 * usize::from(has_z) + 2 * usize::from(has_m);
                d.take(8 * extent + 1, "the extent").map_err(in_field)?;
                let grids = d.u32("the spatial index grids").map_err(in_field)?;
                if !(1..=3).contains(&grids) {
                    return Err(in_field(format!(
                        "{grids} spatial index grid sizes, not 1 to 3"
                    )));
                }
                d.take(8 * grids as usize, "the spatial index grids")
                    .map_err(in_field)?;
            }
        }
        Text => {
            let _width = d.i32("the width").map_err(in_field)?;
            let flags = d.u8("the field's flags").map_err(in_field)?;
            field.nullable = flags & NULLABLE != 0;
            let default = d
                .count("the default's length", d.remaining())
                .map_err(in_field)?;
            if flags & EDITABLE != 0 {
                d.take(default, "the default value").map_err(in_field)?;
            }
        }
        ObjectId | Binary | Guid | GlobalId | Xml => {
            d.u8("the field's flags").map_err(in_field)?;
            field.nullable = d.u8("the field's flags").map_err(in_field)? & NULLABLE != 0;
        }
        Int16 | Int32 | Float32 | Float64 | DateTime | Int64 | Date | Time | DateTimeWithOffset => {
            d.u8("the width").map_err(in_field)?;
            let flags = d.u8("the field's flags").map_err(in_field)?;
            field.nullable = flags & NULLABLE != 0;
            let default = usize::from(d.u8("the default's length").map_err(in_field)?);
            if flags & EDITABLE != 0 {
                d.take(default, "the default value").map_err(in_field)?;
            }
        }
    }
    if kind == ObjectId && field.nullable {
        return Err(in_field("a nullable ObjectID".into()));
    }
    Ok(field)
}

/// The (ObjectID, offset) of each row present, from a `.gdbtablx`: a header (version, number of
/// 1024-row blocks present, number of rows, bytes per offset), the offsets of the blocks
/// present, and, when some blocks are absent, a trailer with a bitmap of those present.
fn row_offsets(index: &[u8], table_len: usize) -> Result<Vec<(u64, usize)>, String> {
    let mut b = Bytes::new(index);
    let version = b.u32("the header")?;
    if version != 3 {
        return Err(format!("version {version}, expected 3"));
    }
    let blocks = b.u32("the header")? as usize;
    let total = b.i32("the header")?;
    let width = b.u32("the header")? as usize;
    let total = usize::try_from(total).map_err(|_| format!("{total} rows"))?;
    if !(4..=6).contains(&width) {
        return Err(format!("offsets of {width} bytes, not 4 to 6"));
    }
    if blocks == 0 {
        return match total {
            0 => Ok(Vec::new()),
            _ => Err(format!("{total} rows in no block")),
        };
    }
    let block_bytes = blocks
        .checked_mul(1024 * width)
        .filter(|&n| n <= b.remaining())
        .ok_or_else(|| {
            format!(
                "{blocks} blocks of 1024 offsets of {width} bytes, more than the file's {} bytes",
                index.len()
            )
        })?;
    let offsets = b.take(block_bytes, "the offsets")?;
    // Which blocks of 1024 ObjectIDs are present: all, unless the trailer has a bitmap.
    let mut present: Vec<usize> = (0..blocks).collect();
    if b.remaining() >= 16 {
        let words = b.u32("the trailer")?;
        let bits = b.u32("the trailer")? as usize;
        let again = b.u32("the trailer")? as usize;
        let _ = b.u32("the trailer")?;
        if again != blocks {
            return Err(format!(
                "the trailer counts {again} blocks, the header {blocks}"
            ));
        }
        if words != 0 {
            if total > bits.saturating_mul(1024) {
                return Err(format!("{total} rows, more than its {bits} blocks of 1024"));
            }
            let map = b.take(bits.div_ceil(8), "the block bitmap")?;
            present = (0..bits)
                .filter(|i| map[i / 8] >> (i % 8) & 1 == 1)
                .collect();
            if present.len() != blocks {
                return Err(format!(
                    "the block bitmap marks {} blocks, the header counts {blocks}",
                    present.len()
                ));
            }
        }
    }
    let mut rows = Vec::new();
    for (k, &block) in present.iter().enumerate() {
        for j in 0..1024 {
            let row = block * 1024 + j;
            if row >= total {
                break;
            }
            let at = (k * 1024 + j) * width;
            let mut le = [0u8; 8];
            le[..width].copy_from_slice(&offsets[at..at + width]);
            let offset = u64::from_le_bytes(le);
            if offset == 0 {
                continue;
            }
            let offset = usize::try_from(offset)
                .ok()
                .filter(|&o| o < table_len)
                .ok_or_else(|| {
                    format!(
                        "ObjectID {} lies at byte {offset}, past the end of the .gdbtable ({table_len} bytes)",
                        row + 1
                    )
                })?;
            rows.push((row as u64 + 1, offset));
        }
    }
    Ok(rows)
}

#[derive(Clone, Copy)]
enum DateParts {
    DateTime,
    Date,
    Time,
}

/// A date stored as days since 1899-12-30 (a time as the fraction of a day), in ISO 8601 as the
/// other formats' readers give dates: `2021-10-31T08:30:00`, `2021-10-31`, `08:30:00`.
fn datetime(days: f64, parts: DateParts) -> Result<String, String> {
    // Whole milliseconds, as ArcGIS stores them.
    let ms = (days * 86_400_000.0).round();
    if !ms.is_finite() || ms.abs() > 1e16 {
        return Err(format!("{days} is no date (days since 1899-12-30)"));
    }
    let ms = ms as i64;
    let (day, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // 1899-12-30 is 25,569 days before 1970-01-01.
    let (y, m, d) = crate::diag::civil_from_days(day - 25_569);
    let (h, min, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    let time = match milli {
        0 => format!("{h:02}:{min:02}:{s:02}"),
        _ => format!("{h:02}:{min:02}:{s:02}.{milli:03}"),
    };
    Ok(match parts {
        DateParts::DateTime => format!("{y:04}-{m:02}-{d:02}T{time}"),
        DateParts::Date => format!("{y:04}-{m:02}-{d:02}"),
        DateParts::Time => time,
    })
}

/// A GUID as ArcGIS shows it: `{6F9619FF-8B86-D011-B42D-00C04FC964FF}` (the first three groups
/// stored little-endian).
fn guid(g: &[u8]) -> String {
    format!(
        "{{{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
        g[14], g[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days_since_1899_12_30() {
        assert_eq!(
            datetime(0.0, DateParts::DateTime).unwrap(),
            "1899-12-30T00:00:00"
        );
        // 2021-10-31 is day 44,500.
        assert_eq!(
            datetime(44_500.5, DateParts::DateTime).unwrap(),
            "2021-10-31T12:00:00"
        );
        assert_eq!(datetime(44_500.0, DateParts::Date).unwrap(), "2021-10-31");
        assert_eq!(datetime(0.25, DateParts::Time).unwrap(), "06:00:00");
        assert!(datetime(f64::NAN, DateParts::Date).is_err());
    }

    #[test]
    fn guids_as_arcgis_shows_them() {
        let g = [
            0xff, 0x19, 0x96, 0x6f, 0x86, 0x8b, 0x11, 0xd0, 0xb4, 0x2d, 0x00, 0xc0, 0x4f, 0xc9,
            0x64, 0xff,
        ];
        assert_eq!(guid(&g), "{6F9619FF-8B86-D011-B42D-00C04FC964FF}");
    }
}
