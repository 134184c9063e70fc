//! ESRI Shapefile layers: `.shp` + `.shx` + `.dbf`, with `.prj` and `.cpg` where present.
//!
//! Geometry records are decoded by the `shapefile` crate, one record at a time from a slice of
//! the `.shp` whose bounds come from the `.shx` and were checked against the file's size first:
//! a record that claims more parts or points than its bytes can hold is an error before anything
//! is allocated from the claim.
//!
//! The `.dbf` is read here rather than through `dbase` (the crate `shapefile` depends on):
//! `dbase` 0.8 keeps a field's decimal count private (needed to type `N(10,0)` as an integer, as
//! GDAL does), parses `F` fields as `f32`, and hands back only decoded strings, while the encoding
//! must be chosen from the raw bytes of the whole file. The format is a header, 32-byte field
//! descriptors and fixed-width text records; every size is checked against the file's length.
//!
//! Attribute encoding: the `.cpg` label, else the manifest's `encoding`, is what the producer
//! declared. The bytes decide: text that is valid UTF-8 is UTF-8 (GBK Chinese is almost never
//! valid UTF-8), else GBK if it decodes as GBK. A label the bytes contradict is overridden and
//! the override is returned as a note for the report, never silently; bytes valid in neither are
//! an error naming the row and field.
//!
//! Geometry follows GDAL: a polygon record with one outer ring is a Polygon, with several a
//! MultiPolygon, its holes (counter-clockwise rings) assigned to the outer ring that contains
//! them, or all to the only outer ring, inside it or not. Shapefiles store outer rings
//! clockwise; rings are turned to the orientation of the FlatGeobuf and GeoJSON layers (outer
//! counter-clockwise, holes clockwise), which restores the ring a GDAL conversion reversed
//! vertex for vertex.

use std::io::Cursor;
use std::path::Path;

use geo::{
    Contains, Coord, Geometry, Intersects, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use shapefile::record::traits::HasXY;
use shapefile::{PolygonRing, ReadableShape, Shape};

use super::columns::{Columns, Value, Values};
use super::error::ReadError;
use super::manifest::Encoding;
use super::vector::Decoded;
use super::{GeometryColumn, InputNote, LayerCrs, RawDefect};

/// One file of a shapefile layer: its path in the package (for errors) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

/// The files of one shapefile layer, already in memory.
#[derive(Debug, Clone, Copy)]
pub struct ShapefileParts<'a> {
    pub shp: Part<'a>,
    pub shx: Part<'a>,
    pub dbf: Part<'a>,
    pub prj: Option<Part<'a>>,
    pub cpg: Option<Part<'a>>,
}

/// A decoded shapefile layer and what the report should say about how it was read.
pub(crate) struct Shapefile {
    pub decoded: Decoded,
    /// E.g. an encoding label that the bytes contradicted.
    pub notes: Vec<InputNote>,
}

/// Whether `path` has the extension of a file that belongs to a shapefile layer beside its
/// `.shp` (and that nrqc reads).
pub(crate) fn is_sidecar(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["shx", "dbf", "prj", "cpg"].contains(&e.to_ascii_lowercase().as_str()))
}

/// The file name of the `.ext` file beside the shapefile `shp` (an absolute or working-directory
/// path), in lower or upper case, if there is one.
pub(crate) fn sidecar(shp: &Path, ext: &str) -> Option<std::ffi::OsString> {
    let upper = shp
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.chars().all(|c| c.is_ascii_uppercase()));
    let cases = if upper {
        [ext.to_ascii_uppercase(), ext.to_ascii_lowercase()]
    } else {
        [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
    };
    cases.into_iter().find_map(|e| {
        let p = shp.with_extension(e);
        p.is_file()
            .then(|| p.file_name().map(|n| n.to_owned()))
            .flatten()
    })
}

/// Reads a shapefile layer from its parts. `manifest_encoding` is `package.yaml`'s `encoding`.
pub(crate) fn read_shapefile(
    frame: &str,
    parts: ShapefileParts<'_>,
    manifest_encoding: Option<Encoding>,
) -> Result<Shapefile, ReadError> {
    let index = read_index(frame, parts.shp, parts.shx)?;
    let dbf = Dbf::parse(frame, parts.dbf)?;
    if dbf.records != index.len() {
        return Err(ReadError::new(
            parts.dbf.path,
            format!(
                "{} records, but {} has {} shapes; a layer's .dbf holds one record per shape",
                dbf.records,
                parts.shx.path.display(),
                index.len()
            ),
        )
        .frame(frame));
    }
    let mut notes = Vec::new();
    let encoding = choose_encoding(frame, &parts, &dbf, manifest_encoding, &mut notes)?;
    let (columns, deleted) = dbf.columns(frame, parts.dbf.path, encoding)?;
    if deleted > 0 {
        notes.push(InputNote {
            path: super::rel(parts.dbf.path),
            message: format!("{deleted} record(s) marked deleted were read as ordinary features"),
        });
    }
    let (geoms, defects) = read_geometries(frame, parts.shp, &index)?;
    let crs = match parts.prj {
        Some(prj) => {
            let text = String::from_utf8_lossy(prj.bytes).trim().to_owned();
            LayerCrs {
                epsg: epsg_of_wkt(&text),
                text: Some(text).filter(|t| !t.is_empty()),
            }
        }
        None => LayerCrs::default(),
    };
    Ok(Shapefile {
        decoded: Decoded {
            geometry: GeometryColumn {
                geoms,
                defects,
                crs,
            },
            columns,
            rows: index.len(),
        },
        notes,
    })
}

/// The fuzz target's entry point (`fuzz/fuzz_targets/shapefile.rs`): `data` is a 7-byte head
/// (the lengths of the `.shx`, `.dbf` and `.prj` as little-endian `u16`, clipped to what follows,
/// and a byte whose low bits pick no `.cpg`, `GBK` or `UTF-8`), then those files, then the `.shp`.
/// Decodes as the loader would and drops the result.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Some((head, mut rest)) = data.split_at_checked(7) else {
        return;
    };
    let mut take = |i: usize| {
        let n = usize::from(u16::from_le_bytes([head[i], head[i + 1]])).min(rest.len());
        let (part, tail) = rest.split_at(n);
        rest = tail;
        part
    };
    let (shx, dbf, prj) = (take(0), take(2), take(4));
    let cpg: Option<&[u8]> = match head[6] % 3 {
        0 => None,
        1 => Some(b"GBK"),
        _ => Some(b"UTF-8"),
    };
    let part = |path: &'static str, bytes| Part {
        path: Path::new(path),
        bytes,
    };
    let parts = ShapefileParts {
        shp: part("vector/FUZZ.shp", rest),
        shx: part("vector/FUZZ.shx", shx),
        dbf: part("vector/FUZZ.dbf", dbf),
        prj: Some(part("vector/FUZZ.prj", prj)),
        cpg: cpg.map(|c| part("vector/FUZZ.cpg", c)),
    };
    let manifest = (head[6] & 4 != 0).then_some(Encoding::Gbk);
    if let Ok(s) = read_shapefile("FUZZ", parts, manifest) {
        let _ = s.decoded.columns.into_frame(s.decoded.rows);
    }
}

// ---------------------------------------------------------------------------------------------
// .shx and .shp

const HEADER: usize = 100;
const FILE_CODE: i32 = 9994;

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn check_header(frame: &str, part: Part<'_>) -> Result<(), ReadError> {
    let err = |m: String| ReadError::new(part.path, m).frame(frame);
    if part.bytes.len() < HEADER {
        return Err(err(format!(
            "truncated: {} bytes, shorter than the 100-byte header",
            part.bytes.len()
        )));
    }
    if be_i32(part.bytes, 0) != FILE_CODE {
        return Err(err("not a shapefile (the file code is not 9994)".into()));
    }
    Ok(())
}

/// `(offset, length)` in bytes of each record's content in the `.shp` (after its 8-byte record
/// header), from the `.shx`, each checked to lie inside the `.shp`.
fn read_index(frame: &str, shp: Part<'_>, shx: Part<'_>) -> Result<Vec<(usize, usize)>, ReadError> {
    check_header(frame, shp)?;
    check_header(frame, shx)?;
    let body = &shx.bytes[HEADER..];
    if !body.len().is_multiple_of(8) {
        return Err(ReadError::new(
            shx.path,
            format!(
                "truncated: {} bytes after the header, not a whole number of 8-byte index entries",
                body.len()
            ),
        )
        .frame(frame));
    }
    let mut index = Vec::with_capacity(body.len() / 8);
    for (i, entry) in body.chunks_exact(8).enumerate() {
        let offset = i64::from(be_i32(entry, 0)) * 2;
        let length = i64::from(be_i32(entry, 4)) * 2;
        let start = offset + 8;
        let end = start + length;
        if offset < HEADER as i64 || length < 4 || end > shp.bytes.len() as i64 {
            return Err(ReadError::new(
                shp.path,
                format!(
                    "record {} lies outside the file: offset {offset}, length {length} bytes, file {} bytes (truncated or a wrong .shx)",
                    i + 1,
                    shp.bytes.len()
                ),
            )
            .frame(frame)
            .feature(i));
        }
        let declared = be_i32(shp.bytes, offset as usize + 4);
        if i64::from(declared) * 2 != length {
            return Err(ReadError::new(
                shp.path,
                format!(
                    "record {} declares {} bytes of content, its .shx entry {length}",
                    i + 1,
                    i64::from(declared) * 2
                ),
            )
            .frame(frame)
            .feature(i));
        }
        index.push((start as usize, length as usize));
    }
    Ok(index)
}

/// The bytes a record of `content` must have for the counts it declares, before the `shapefile`
/// crate allocates from them.
fn check_record(content: &[u8]) -> Result<(), String> {
    let shape_type = le_i32(content, 0);
    let count = |at: usize| -> Result<u64, String> {
        if content.len() < at + 4 {
            return Err(format!(
                "{} bytes, too short for a shape of type {shape_type}",
                content.len()
            ));
        }
        u64::try_from(le_i32(content, at)).map_err(|_| "a negative part or point count".to_owned())
    };
    // Multi-part types: box (32), parts, points, part starts, points; Z and M ranges follow.
    let needed = match shape_type {
        0 => 4,
        1 | 11 | 21 => 20,
        8 | 18 | 28 => 40 + 16 * count(36)?,
        3 | 5 | 13 | 15 | 23 | 25 => 44 + 4 * count(36)? + 16 * count(40)?,
        31 => 44 + 8 * count(36)? + 16 * count(40)?,
        other => return Err(format!("unknown shape type {other}")),
    };
    if needed > content.len() as u64 {
        return Err(format!(
            "record of {} bytes declares parts and points needing {needed} bytes",
            content.len()
        ));
    }
    Ok(())
}

type Geoms = (Vec<Option<Geometry<f64>>>, Vec<(usize, RawDefect)>);

fn read_geometries(
    frame: &str,
    shp: Part<'_>,
    index: &[(usize, usize)],
) -> Result<Geoms, ReadError> {
    let mut geoms = Vec::with_capacity(index.len());
    let mut defects = Vec::new();
    for (row, &(start, length)) in index.iter().enumerate() {
        let err = |m: String| ReadError::new(shp.path, m).frame(frame).feature(row);
        let content = &shp.bytes[start..start + length];
        check_record(content).map_err(err)?;
        let shape = Shape::read_from(&mut Cursor::new(content), length as i32)
            .map_err(|e| err(format!("corrupt shape record: {e}")))?;
        geoms.push(to_geo(shape, row, &mut defects).map_err(err)?);
    }
    Ok((geoms, defects))
}

fn coords<P: HasXY>(points: &[P]) -> Vec<Coord<f64>> {
    points
        .iter()
        .map(|p| Coord { x: p.x(), y: p.y() })
        .collect()
}

fn parts<P: HasXY>(parts: &[Vec<P>]) -> Vec<Vec<Coord<f64>>> {
    parts.iter().map(|p| coords(p)).collect()
}

fn rings<P: HasXY>(rings: &[PolygonRing<P>]) -> Vec<Vec<Coord<f64>>> {
    rings.iter().map(|r| coords(r.points())).collect()
}

fn to_geo(
    shape: Shape,
    row: usize,
    defects: &mut Vec<(usize, RawDefect)>,
) -> Result<Option<Geometry<f64>>, String> {
    // M and Z are dropped, as the FlatGeobuf and GeoJSON readers drop them.
    let g = match shape {
        Shape::NullShape => return Ok(None),
        Shape::Point(p) => Geometry::Point(Point::new(p.x, p.y)),
        Shape::PointM(p) => Geometry::Point(Point::new(p.x, p.y)),
        Shape::PointZ(p) => Geometry::Point(Point::new(p.x, p.y)),
        Shape::Multipoint(m) => multipoint(coords(m.points())),
        Shape::MultipointM(m) => multipoint(coords(m.points())),
        Shape::MultipointZ(m) => multipoint(coords(m.points())),
        Shape::Polyline(l) => lines(parts(l.parts())),
        Shape::PolylineM(l) => lines(parts(l.parts())),
        Shape::PolylineZ(l) => lines(parts(l.parts())),
        Shape::Polygon(p) => polygons(rings(p.rings()), row, defects),
        Shape::PolygonM(p) => polygons(rings(p.rings()), row, defects),
        Shape::PolygonZ(p) => polygons(rings(p.rings()), row, defects),
        Shape::Multipatch(_) => return Err("multipatch shapes are not supported".into()),
    };
    Ok(Some(g))
}

fn multipoint(c: Vec<Coord<f64>>) -> Geometry<f64> {
    Geometry::MultiPoint(MultiPoint::new(c.into_iter().map(Point::from).collect()))
}

fn lines(mut parts: Vec<Vec<Coord<f64>>>) -> Geometry<f64> {
    if parts.len() == 1 {
        Geometry::LineString(LineString::new(parts.pop().unwrap_or_default()))
    } else {
        Geometry::MultiLineString(MultiLineString::new(
            parts.into_iter().map(LineString::new).collect(),
        ))
    }
}

/// Twice the signed area (shoelace): negative for a clockwise ring, the shapefile's outer ring.
fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        + match (ring.last(), ring.first()) {
            (Some(a), Some(b)) => a.x * b.y - b.x * a.y,
            _ => 0.0,
        }
}

fn is_closed(ring: &[Coord<f64>]) -> bool {
    match (ring.first(), ring.last()) {
        (Some(a), Some(b)) => a.x.to_bits() == b.x.to_bits() && a.y.to_bits() == b.y.to_bits(),
        _ => true,
    }
}

/// Rings to polygons as GDAL's shapefile driver does (checked with ogrinfo of GDAL 3.6.2):
/// clockwise rings are outer rings; with exactly one, every other ring is its hole, inside it
/// or not (GDAL's fast path: a hole outside the shell is then reported by `geometry_valid`
/// rather than silently read as an island); with several, a counter-clockwise ring is a hole of
/// the smallest outer ring that contains it, or, inside none, a polygon of its own.
fn polygons(
    rings: Vec<Vec<Coord<f64>>>,
    row: usize,
    defects: &mut Vec<(usize, RawDefect)>,
) -> Geometry<f64> {
    let unclosed: Vec<bool> = rings.iter().map(|r| r.len() > 1 && !is_closed(r)).collect();
    let areas: Vec<f64> = rings.iter().map(|r| signed_area2(r)).collect();
    if rings.len() == 1 {
        if unclosed[0] {
            defects.push((row, RawDefect::RingNotClosed { ring: 0 }));
        }
        let ring = oriented(rings.into_iter().next().unwrap_or_default(), areas[0], true);
        return Geometry::Polygon(Polygon::new(LineString::new(ring), vec![]));
    }
    // (ring index of the outer, ring indexes of its holes)
    let mut outers: Vec<(usize, Vec<usize>)> = (0..rings.len())
        .filter(|&i| areas[i] <= 0.0)
        .map(|i| (i, vec![]))
        .collect();
    let outer_shapes: Vec<Polygon<f64>> = outers
        .iter()
        .map(|&(i, _)| Polygon::new(LineString::new(rings[i].clone()), vec![]))
        .collect();
    // A counter-clockwise ring inside no outer ring becomes a polygon of its own; it never
    // contains another hole, so only the clockwise rings are searched (`outer_shapes`).
    let mut orphans = Vec::new();
    let single_outer = outers.len() == 1;
    for i in (0..rings.len()).filter(|&i| areas[i] > 0.0) {
        let container = outer_shapes
            .iter()
            .enumerate()
            .filter(|(_, shape)| single_outer || encloses(shape, &rings[i]))
            .min_by(|a, b| {
                areas[outers[a.0].0]
                    .abs()
                    .total_cmp(&areas[outers[b.0].0].abs())
            })
            .map(|(k, _)| k);
        match container {
            Some(k) => outers[k].1.push(i),
            None => orphans.push((i, vec![])),
        }
    }
    outers.extend(orphans);
    outers.sort_by_key(|(i, _)| *i);
    let mut taken: Vec<Option<Vec<Coord<f64>>>> = rings.into_iter().map(Some).collect();
    let mut polys = Vec::with_capacity(outers.len());
    for (outer, holes) in outers {
        if unclosed[outer] {
            defects.push((row, RawDefect::RingNotClosed { ring: 0 }));
        }
        let exterior = oriented(taken[outer].take().unwrap_or_default(), areas[outer], true);
        let interiors = holes
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                if unclosed[h] {
                    defects.push((row, RawDefect::RingNotClosed { ring: k + 1 }));
                }
                LineString::new(oriented(
                    taken[h].take().unwrap_or_default(),
                    areas[h],
                    false,
                ))
            })
            .collect();
        polys.push(Polygon::new(LineString::new(exterior), interiors));
    }
    if polys.len() == 1 {
        Geometry::Polygon(polys.pop().expect("one polygon"))
    } else {
        Geometry::MultiPolygon(MultiPolygon::new(polys))
    }
}

/// Whether the hole `ring` lies inside `shape`, judged at its first vertex off the shape's
/// boundary: a hole may touch its shell at a vertex (valid, and GDAL reads it as a hole), and
/// judged at a vertex on the shell it would become a shell of its own.
fn encloses(shape: &Polygon<f64>, ring: &[Coord<f64>]) -> bool {
    let off_boundary = ring
        .iter()
        .map(|&c| Point::from(c))
        .find(|p| !shape.exterior().intersects(p));
    match off_boundary {
        Some(p) => shape.contains(&p),
        // Every vertex on the shell: kept as its hole, for geometry_valid to judge.
        None => !ring.is_empty(),
    }
}

/// The ring counter-clockwise if `outer`, clockwise if not.
fn oriented(mut ring: Vec<Coord<f64>>, area2: f64, outer: bool) -> Vec<Coord<f64>> {
    if (outer && area2 < 0.0) || (!outer && area2 > 0.0) {
        ring.reverse();
    }
    ring
}

// ---------------------------------------------------------------------------------------------
// .dbf

struct Field {
    name: String,
    kind: u8,
    offset: usize,
    length: usize,
    decimals: u8,
}

struct Dbf<'a> {
    bytes: &'a [u8],
    fields: Vec<Field>,
    raw_names: Vec<&'a [u8]>,
    records: usize,
    header_len: usize,
    record_len: usize,
    /// The language driver id (byte 29); 0x4D is code page 936 (GBK).
    ldid: u8,
}

impl<'a> Dbf<'a> {
    fn parse(frame: &str, part: Part<'a>) -> Result<Dbf<'a>, ReadError> {
        let b = part.bytes;
        let err = |m: String| ReadError::new(part.path, m).frame(frame);
        if b.len() < 32 {
            return Err(err(format!(
                "truncated: {} bytes, shorter than the 32-byte dBASE header",
                b.len()
            )));
        }
        let records = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        let header_len = usize::from(u16::from_le_bytes([b[8], b[9]]));
        let record_len = usize::from(u16::from_le_bytes([b[10], b[11]]));
        if header_len < 33 || header_len > b.len() {
            return Err(err(format!(
                "not a dBASE file: header length {header_len}, file {} bytes",
                b.len()
            )));
        }
        let mut fields = Vec::new();
        let mut raw_names = Vec::new();
        let mut offset = 1; // the deletion flag
        let mut at = 32;
        while at + 32 <= header_len && b[at] != 0x0D {
            let d = &b[at..at + 32];
            let raw = &d[..11];
            let raw = &raw[..raw.iter().position(|&c| c == 0).unwrap_or(11)];
            let name = String::from_utf8_lossy(raw).trim().to_owned();
            let length = usize::from(d[16]);
            fields.push(Field {
                name,
                kind: d[11].to_ascii_uppercase(),
                offset,
                length,
                decimals: d[17],
            });
            raw_names.push(raw);
            offset += length;
            at += 32;
        }
        if offset > record_len {
            return Err(err(format!(
                "the fields need {offset} bytes per record, the header says records have {record_len}"
            )));
        }
        let needed = records
            .checked_mul(record_len)
            .and_then(|n| n.checked_add(header_len));
        if needed.is_none_or(|n| n > b.len()) {
            return Err(err(format!(
                "truncated: {records} records of {record_len} bytes after a {header_len}-byte header do not fit in {} bytes",
                b.len()
            )));
        }
        Ok(Dbf {
            bytes: b,
            fields,
            raw_names,
            records,
            header_len,
            record_len,
            ldid: b[29],
        })
    }

    fn record(&self, row: usize) -> &'a [u8] {
        let start = self.header_len + row * self.record_len;
        &self.bytes[start..start + self.record_len]
    }

    fn cell(&self, row: usize, field: &Field) -> &'a [u8] {
        &self.record(row)[field.offset..field.offset + field.length]
    }

    /// Every text value's bytes (trimmed), with its row and field, and the field names.
    fn texts(&self) -> impl Iterator<Item = (Option<usize>, &str, &'a [u8])> + '_ {
        let names = self
            .fields
            .iter()
            .zip(&self.raw_names)
            .map(|(f, raw)| (None, f.name.as_str(), *raw));
        let cells = (0..self.records).flat_map(move |row| {
            self.fields
                .iter()
                .filter(|f| {
                    !matches!(
                        f.kind,
                        b'N' | b'F' | b'D' | b'L' | b'I' | b'B' | b'O' | b'+' | b'Y' | b'T' | b'@'
                    )
                })
                .map(move |f| (Some(row), f.name.as_str(), trim(self.cell(row, f))))
        });
        names.chain(cells)
    }

    /// The attribute columns, typed from the field descriptors, and the count of records marked
    /// deleted.
    fn columns(
        &self,
        frame: &str,
        path: &Path,
        encoding: Encoding,
    ) -> Result<(Columns, usize), ReadError> {
        let mut columns = Columns::default();
        let mut names = Vec::with_capacity(self.fields.len());
        for (f, raw) in self.fields.iter().zip(&self.raw_names) {
            let name =
                decode(raw, encoding).map_or_else(|| f.name.clone(), |n| n.trim().to_owned());
            let values = match f.kind {
                b'N' | b'F' if f.decimals == 0 => Values::Int(vec![]),
                b'N' | b'F' | b'B' | b'O' | b'Y' => Values::Float(vec![]),
                b'I' | b'+' => Values::Int(vec![]),
                b'L' => Values::Bool(vec![]),
                b'M' => {
                    return Err(ReadError::new(
                        path,
                        format!("memo field {name} is not supported (its text is in a .dbt file)"),
                    )
                    .frame(frame)
                    .field(&name))
                }
                _ => Values::Str(vec![]),
            };
            columns
                .declare(&name, values)
                .map_err(|m| ReadError::new(path, format!("the header: {m}")).frame(frame))?;
            names.push(name);
        }
        let mut deleted = 0;
        for row in 0..self.records {
            if self.record(row)[0] == b'*' {
                deleted += 1;
            }
            for (f, name) in self.fields.iter().zip(&names) {
                let err = |m: String| {
                    ReadError::new(path, m)
                        .frame(frame)
                        .feature(row)
                        .field(name)
                };
                let raw = self.cell(row, f);
                let Some(value) = self.value(f, raw, encoding).map_err(err)? else {
                    continue;
                };
                columns.set(row, name, value).map_err(err)?;
            }
        }
        Ok((columns, deleted))
    }

    fn value(&self, f: &Field, raw: &[u8], encoding: Encoding) -> Result<Option<Value>, String> {
        let text = || std::str::from_utf8(trim(raw)).map(str::trim);
        Ok(match f.kind {
            b'N' | b'F' => {
                let Ok(t) = text() else {
                    return Err(format!(
                        "number {:?} is not ASCII",
                        String::from_utf8_lossy(raw)
                    ));
                };
                if t.is_empty() || t.bytes().all(|c| c == b'*') {
                    return Ok(None);
                }
                if f.decimals == 0 {
                    if let Ok(i) = t.parse::<i64>() {
                        return Ok(Some(Value::Int(i)));
                    }
                }
                match t.parse::<f64>() {
                    Ok(v) => Some(Value::Float(v)),
                    Err(_) => return Err(format!("`{t}` is not a number")),
                }
            }
            b'D' => {
                let t = text().unwrap_or_default();
                if t.is_empty() || t.bytes().all(|c| c == b'0') {
                    return Ok(None);
                }
                if t.len() != 8 || !t.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(format!("`{t}` is not a date YYYYMMDD"));
                }
                Some(Value::Str(format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..])))
            }
            b'L' => match trim(raw).first() {
                Some(b'T' | b't' | b'Y' | b'y') => Some(Value::Bool(true)),
                Some(b'F' | b'f' | b'N' | b'n') => Some(Value::Bool(false)),
                _ => None,
            },
            b'I' | b'+' if raw.len() == 4 => Some(Value::Int(le_i32(raw, 0).into())),
            b'B' | b'O' if raw.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(raw);
                Some(Value::Float(f64::from_le_bytes(a)))
            }
            b'I' | b'+' | b'B' | b'O' | b'Y' | b'T' | b'@' => {
                return Err(format!(
                    "binary field of type {} and {} bytes is not supported",
                    f.kind as char,
                    raw.len()
                ))
            }
            _ => {
                let t = trim(raw);
                if t.is_empty() {
                    return Ok(None);
                }
                match decode(t, encoding) {
                    Some(s) => Some(Value::Str(s)),
                    None => {
                        return Err(format!(
                            "bytes {} are not valid {}",
                            hex_preview(t),
                            encoding_name(encoding)
                        ))
                    }
                }
            }
        })
    }
}

/// Without trailing spaces and NULs (dBASE pads text with spaces; some writers with NULs).
fn trim(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != 0)
        .map_or(0, |i| i + 1);
    &b[..end]
}

fn hex_preview(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(16).map(|c| format!("{c:02X}")).collect();
    let more = if b.len() > 16 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "UTF-8",
        Encoding::Gbk => "GBK",
    }
}

fn decode(b: &[u8], e: Encoding) -> Option<String> {
    match e {
        Encoding::Utf8 => std::str::from_utf8(b).ok().map(str::to_owned),
        Encoding::Gbk => encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(b)
            .map(|s| s.into_owned()),
    }
}

/// What a `.cpg` file says, as nrqc's encodings: `Err` with the label for one it does not read.
fn cpg_label(bytes: &[u8]) -> Result<Encoding, String> {
    let label = String::from_utf8_lossy(bytes).trim().to_owned();
    let upper = label.to_ascii_uppercase().replace(['-', '_', ' '], "");
    match upper.as_str() {
        "UTF8" | "65001" => Ok(Encoding::Utf8),
        "GBK" | "CP936" | "936" | "ANSI936" | "GB2312" | "GB18030" | "54936" | "EUCCN" => {
            Ok(Encoding::Gbk)
        }
        _ => Err(label),
    }
}

fn choose_encoding(
    frame: &str,
    parts: &ShapefileParts<'_>,
    dbf: &Dbf<'_>,
    manifest: Option<Encoding>,
    notes: &mut Vec<InputNote>,
) -> Result<Encoding, ReadError> {
    // The declared encoding and where it was declared.
    let (declared, source): (Option<Encoding>, String) = match parts.cpg.map(|c| cpg_label(c.bytes))
    {
        Some(Ok(e)) => (
            Some(e),
            parts
                .cpg
                .map(|c| c.path.display().to_string())
                .unwrap_or_default(),
        ),
        Some(Err(label)) => (
            None,
            format!(
                "{} (`{label}`, not an encoding nrqc reads)",
                parts
                    .cpg
                    .map(|c| c.path.display().to_string())
                    .unwrap_or_default()
            ),
        ),
        None => match manifest {
            Some(e) => (Some(e), "package.yaml".to_owned()),
            None if dbf.ldid == 0x4D => (
                Some(Encoding::Gbk),
                "the .dbf language driver (936)".to_owned(),
            ),
            None => (None, String::new()),
        },
    };
    let mut ascii = true;
    let mut utf8 = true;
    let mut gbk = true;
    for (_, _, bytes) in dbf.texts() {
        if bytes.is_ascii() {
            continue;
        }
        ascii = false;
        utf8 &= std::str::from_utf8(bytes).is_ok();
        gbk &= decode(bytes, Encoding::Gbk).is_some();
        if !utf8 && !gbk {
            break;
        }
    }
    if ascii {
        return Ok(declared.unwrap_or(Encoding::Utf8));
    }
    let used = if utf8 {
        Encoding::Utf8
    } else if gbk {
        Encoding::Gbk
    } else {
        // Name the first value the declared encoding (else GBK) cannot decode.
        let e = declared.unwrap_or(Encoding::Gbk);
        let (row, field, bytes) = dbf
            .texts()
            .find(|(_, _, b)| decode(b, e).is_none())
            .expect("a value that neither encoding decodes");
        let mut err = ReadError::new(
            parts.dbf.path,
            format!(
                "text bytes {} are neither UTF-8 nor GBK{}",
                hex_preview(bytes),
                if source.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (declared {} by {source})",
                        declared.map_or("no encoding", encoding_name)
                    )
                }
            ),
        )
        .frame(frame)
        .field(field);
        if let Some(row) = row {
            err = err.feature(row);
        }
        return Err(err);
    };
    let used_name = encoding_name(used);
    let message = match declared {
        Some(d) if d == used => return Ok(used),
        Some(d) => format!(
            "declared {} by {source}, but its text is {used_name}: read as {used_name}",
            encoding_name(d)
        ),
        None if source.is_empty() => format!(
            "no encoding declared (no .cpg, no `encoding` in package.yaml); its text is {used_name}: read as {used_name}"
        ),
        None => format!("encoding declared by {source}; its text is {used_name}: read as {used_name}"),
    };
    notes.push(InputNote {
        path: super::rel(parts.dbf.path),
        message,
    });
    Ok(used)
}

// ---------------------------------------------------------------------------------------------
// .prj

/// A WKT node: `NAME[arg, ...]`.
#[derive(Debug)]
enum Wkt {
    Node(String, Vec<Wkt>),
    Text(String),
    Number(f64),
    Word,
}

fn parse_wkt(s: &str) -> Option<Wkt> {
    let mut p = WktParser {
        s: s.as_bytes(),
        at: 0,
        depth: 0,
    };
    let node = p.value()?;
    p.ws();
    (p.at == p.s.len()).then_some(node)
}

struct WktParser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
}

impl WktParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<Wkt> {
        self.ws();
        match *self.s.get(self.at)? {
            b'"' => {
                let mut out = Vec::new();
                self.at += 1;
                loop {
                    let c = *self.s.get(self.at)?;
                    self.at += 1;
                    if c == b'"' {
                        // `""` is an escaped quote in WKT2.
                        if self.s.get(self.at) == Some(&b'"') {
                            out.push(b'"');
                            self.at += 1;
                            continue;
                        }
                        break;
                    }
                    out.push(c);
                }
                Some(Wkt::Text(String::from_utf8_lossy(&out).into_owned()))
            }
            c if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => {
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
                {
                    self.at += 1;
                }
                std::str::from_utf8(&self.s[start..self.at])
                    .ok()?
                    .parse()
                    .ok()
                    .map(Wkt::Number)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.at;
                while self
                    .s
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.at += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                self.ws();
                let open = match self.s.get(self.at) {
                    Some(b'[') => b']',
                    Some(b'(') => b')',
                    _ => return Some(Wkt::Word),
                };
                self.depth += 1;
                if self.depth > 64 {
                    return None;
                }
                self.at += 1;
                let mut args = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.at) == Some(&open) {
                        self.at += 1;
                        break;
                    }
                    args.push(self.value()?);
                    self.ws();
                    match *self.s.get(self.at)? {
                        b',' => self.at += 1,
                        c if c == open => {
                            self.at += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                self.depth -= 1;
                Some(Wkt::Node(word.to_ascii_uppercase(), args))
            }
            _ => None,
        }
    }
}

impl Wkt {
    fn args(&self) -> &[Wkt] {
        match self {
            Wkt::Node(_, args) => args,
            _ => &[],
        }
    }

    fn keyword(&self) -> &str {
        match self {
            Wkt::Node(k, _) => k,
            _ => "",
        }
    }

    /// The first (quoted) argument: a node's name.
    fn name(&self) -> &str {
        match self.args().first() {
            Some(Wkt::Text(t)) => t,
            _ => "",
        }
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.args().get(i) {
            Some(Wkt::Number(n)) => Some(*n),
            Some(Wkt::Text(t)) => t.trim().parse().ok(),
            _ => None,
        }
    }

    fn child(&self, keywords: &[&str]) -> Option<&Wkt> {
        self.args().iter().find(|a| keywords.contains(&a.keyword()))
    }

    fn find(&self, keywords: &[&str]) -> Option<&Wkt> {
        if keywords.contains(&self.keyword()) {
            return Some(self);
        }
        self.args().iter().find_map(|a| a.find(keywords))
    }

    /// The EPSG code of an `AUTHORITY["EPSG","4522"]` or `ID["EPSG",4522]` child.
    fn epsg(&self) -> Option<u32> {
        let id = self.child(&["AUTHORITY", "ID"])?;
        if !id.name().eq_ignore_ascii_case("EPSG") {
            return None;
        }
        match id.args().get(1)? {
            Wkt::Number(n) if n.fract() == 0.0 && *n > 0.0 => Some(*n as u32),
            Wkt::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a GEOGCS/GEOGCRS names the CGCS2000 datum, or has its ellipsoid and a 2000 datum.
fn is_cgcs2000(geog: &Wkt) -> bool {
    let datum = geog.find(&["DATUM", "GEODETICDATUM", "TRF"]);
    let names = [
        normalise(geog.name()),
        datum.map(|d| normalise(d.name())).unwrap_or_default(),
    ];
    if names.iter().any(|n| {
        n.contains("cgcs2000")
            || n.contains("china2000")
            || n.contains("chinageodeticcoordinatesystem2000")
    }) {
        return true;
    }
    if geog.epsg() == Some(4490) || datum.and_then(Wkt::epsg) == Some(1043) {
        return true;
    }
    false
}

/// The parameter `names` (normalised) of a projected CRS: PARAMETER in WKT1, PARAMETER inside
/// CONVERSION/METHOD in WKT2.
fn parameter(projcs: &Wkt, names: &[&str]) -> Option<f64> {
    fn walk(w: &Wkt, names: &[&str]) -> Option<f64> {
        if w.keyword() == "PARAMETER" && names.contains(&normalise(w.name()).as_str()) {
            return w.number(1);
        }
        w.args().iter().find_map(|a| walk(a, names))
    }
    walk(projcs, names)
}

/// The geographic CRSs other than CGCS2000 that Chinese data comes in, by normalised datum name.
/// An ESRI `.prj` (GDAL writes ESRI WKT) carries no authority code, and a `.prj` that named one
/// of these but read as no declaration at all let the `crs` rules take the manifest's CRS for it.
const OTHER_GEOGRAPHIC: [(&[&str], u32); 3] = [
    (
        &[
            "wgs1984",
            "dwgs1984",
            "worldgeodeticsystem1984",
            "worldgeodeticsystem1984ensemble",
        ],
        4326,
    ),
    (&["xian1980", "dxian1980"], 4610),
    (&["beijing1954", "dbeijing1954"], 4214),
];

/// The EPSG code of a CRS described by WKT (ESRI or OGC WKT1, or WKT2): an accepted CGCS2000 CRS
/// recognised by its datum and projection parameters, a geographic CRS of
/// [`OTHER_GEOGRAPHIC`] by its datum, or any CRS by its EPSG authority code.
pub fn epsg_of_wkt(text: &str) -> Option<u32> {
    let root = parse_wkt(text.trim())?;
    match root.keyword() {
        "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS" | "GEODETICCRS" => {
            if let Some(code) = root.epsg() {
                return Some(code);
            }
            if is_cgcs2000(&root) {
                return Some(4490);
            }
            let datum = root.find(&["DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"])?;
            let datum = normalise(datum.name());
            OTHER_GEOGRAPHIC
                .iter()
                .find(|(names, _)| names.contains(&datum.as_str()))
                .map(|&(_, code)| code)
        }
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => {
            let by_params = projected(&root);
            by_params.or_else(|| root.epsg())
        }
        _ => None,
    }
}

fn projected(projcs: &Wkt) -> Option<u32> {
    let geog = projcs.child(&["GEOGCS", "GEOGCRS", "BASEGEOGCRS", "BASEGEODCRS"])?;
    if !is_cgcs2000(geog) {
        return None;
    }
    let method = projcs
        .find(&["PROJECTION", "METHOD"])
        .map(|m| normalise(m.name()))
        .unwrap_or_default();
    if !(method.contains("gauss") || method.contains("transversemercator")) {
        return None;
    }
    let cm = parameter(
        projcs,
        &[
            "centralmeridian",
            "longitudeofnaturalorigin",
            "longitudeoforigin",
        ],
    )?;
    let fe = parameter(projcs, &["falseeasting"])?;
    let fn_ = parameter(projcs, &["falsenorthing"]).unwrap_or(0.0);
    let k = parameter(projcs, &["scalefactor", "scalefactoratnaturalorigin"]).unwrap_or(1.0);
    let lat0 = parameter(projcs, &["latitudeoforigin", "latitudeofnaturalorigin"]).unwrap_or(0.0);
    if fn_ != 0.0 || (k - 1.0).abs() > 1e-12 || lat0 != 0.0 {
        return None;
    }
    let name = normalise(projcs.name());
    let three = name.contains("3degree") || name.contains("3degreegk") || name.contains("3du");
    let six = name.contains("6degree");
    let cm_int = (cm.fract() == 0.0 && (75.0..=135.0).contains(&cm)).then_some(cm as u32)?;
    if fe == 500_000.0 {
        // Both band widths have "CM" forms; 6° central meridians are 3 less than a multiple of 6
        // and also 3° meridians, so only the name tells them apart, and land surveys use 3°.
        let six_cm = (cm_int + 3).is_multiple_of(6);
        if six && six_cm {
            return Some(4502 + (cm_int + 3) / 6 - 13);
        }
        if cm_int.is_multiple_of(3) && !six {
            return Some(4534 + cm_int / 3 - 25);
        }
        let _ = three;
        return None;
    }
    let prefix = (fe - 500_000.0) / 1e6;
    if prefix.fract() != 0.0 {
        return None;
    }
    let zone = prefix as u32;
    match zone {
        25..=45 if cm_int == 3 * zone => Some(4513 + zone - 25),
        13..=23 if cm_int == 6 * zone - 3 => Some(4491 + zone - 13),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESRI_4522: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_34",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",34500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",102.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

    const ESRI_4546: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

    const ESRI_4490: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    /// As GDAL writes EPSG:4522 in OGC WKT1 (`gdalsrsinfo -o wkt1 EPSG:4522`), but with the
    /// authority codes removed, so the parameters alone must identify it.
    const OGC_4522_NO_AUTHORITY: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 34",
        GEOGCS["China Geodetic Coordinate System 2000",
            DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],
            PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],
        PROJECTION["Transverse_Mercator"],
        PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",102],
        PARAMETER["scale_factor",1],PARAMETER["false_easting",34500000],
        PARAMETER["false_northing",0],UNIT["metre",1],AXIS["Northing",NORTH],AXIS["Easting",EAST]]"#;

    const OGC_4546: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 111E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",111],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4546"]]"#;

    const OGC_4490: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;

    #[test]
    fn prj_recognises_cgcs2000_systems() {
        assert_eq!(epsg_of_wkt(ESRI_4522), Some(4522));
        assert_eq!(epsg_of_wkt(ESRI_4546), Some(4546));
        assert_eq!(epsg_of_wkt(ESRI_4490), Some(4490));
        assert_eq!(epsg_of_wkt(OGC_4522_NO_AUTHORITY), Some(4522));
        assert_eq!(epsg_of_wkt(OGC_4546), Some(4546));
        assert_eq!(epsg_of_wkt(OGC_4490), Some(4490));
        // The parameters win over a name: zone 35 parameters under a zone 34 name.
        let renamed = ESRI_4522
            .replace("34500000.0", "35500000.0")
            .replace("\"Central_Meridian\",102.0", "\"Central_Meridian\",105.0");
        assert_eq!(epsg_of_wkt(&renamed), Some(4523));
        // A zone prefix that disagrees with the central meridian is no accepted CRS.
        assert_eq!(epsg_of_wkt(&ESRI_4522.replace("102.0", "105.0")), None);
        // 6° zones: prefixed zone 18 (CM 105E), and the CM form named 6-degree.
        let six = ESRI_4522
            .replace("CGCS2000_3_Degree_GK_Zone_34", "CGCS2000_GK_Zone_18")
            .replace("34500000.0", "18500000.0")
            .replace("\"Central_Meridian\",102.0", "\"Central_Meridian\",105.0");
        assert_eq!(epsg_of_wkt(&six), Some(4496));
        let six_cm = ESRI_4546
            .replace(
                "CGCS2000_3_Degree_GK_CM_111E",
                "CGCS2000_6_Degree_GK_CM_105E",
            )
            .replace("\"Central_Meridian\",111.0", "\"Central_Meridian\",105.0");
        assert_eq!(epsg_of_wkt(&six_cm), Some(4507));
        // Another datum (Xian 1980) with the same parameters is not CGCS2000.
        let xian = ESRI_4522
            .replace("GCS_China_Geodetic_Coordinate_System_2000", "GCS_Xian_1980")
            .replace("D_China_2000", "D_Xian_1980")
            .replace(
                "\"CGCS2000\",6378137.0,298.257222101",
                "\"Xian_1980\",6378140.0,298.257",
            );
        assert_eq!(epsg_of_wkt(&xian), None);
        assert_eq!(epsg_of_wkt("not wkt"), None);
        assert_eq!(epsg_of_wkt(&"PROJCS[".repeat(200)), None);
    }

    /// A `.prj` in another geographic CRS is that CRS, for the `crs` rules to reject, not no
    /// declaration: GDAL writes EPSG:4326 as this ESRI WKT, without an authority code.
    #[test]
    fn prj_recognises_other_geographic_systems() {
        const ESRI_4326: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(epsg_of_wkt(ESRI_4326), Some(4326));
        let xian = ESRI_4326
            .replace("GCS_WGS_1984", "GCS_Xian_1980")
            .replace("D_WGS_1984", "D_Xian_1980");
        assert_eq!(epsg_of_wkt(&xian), Some(4610));
        let beijing = ESRI_4326
            .replace("GCS_WGS_1984", "GCS_Beijing_1954")
            .replace("D_WGS_1984", "D_Beijing_1954");
        assert_eq!(epsg_of_wkt(&beijing), Some(4214));
        // An unknown datum stays unrecognised.
        assert_eq!(
            epsg_of_wkt(&ESRI_4326.replace("D_WGS_1984", "D_Unknown")),
            None
        );
    }

    // -- building small shapefiles in memory ------------------------------------------------

    fn header(code_len_words: usize, shape_type: i32) -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&FILE_CODE.to_be_bytes());
        h[24..28].copy_from_slice(&(code_len_words as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&shape_type.to_le_bytes());
        h
    }

    /// `.shp` and `.shx` of polygons given as rings of (x, y).
    fn shp_shx(polys: &[Vec<Vec<(f64, f64)>>]) -> (Vec<u8>, Vec<u8>) {
        let mut records = Vec::new();
        let mut index = Vec::new();
        let mut offset = 100;
        for (i, rings) in polys.iter().enumerate() {
            let mut c = Vec::new();
            c.extend(5i32.to_le_bytes());
            c.extend([0u8; 32]);
            let n: usize = rings.iter().map(Vec::len).sum();
            c.extend((rings.len() as i32).to_le_bytes());
            c.extend((n as i32).to_le_bytes());
            let mut start = 0;
            for r in rings {
                c.extend((start as i32).to_le_bytes());
                start += r.len();
            }
            for r in rings {
                for (x, y) in r {
                    c.extend(x.to_le_bytes());
                    c.extend(y.to_le_bytes());
                }
            }
            index.extend(((offset / 2) as i32).to_be_bytes());
            index.extend(((c.len() / 2) as i32).to_be_bytes());
            records.extend(((i + 1) as i32).to_be_bytes());
            records.extend(((c.len() / 2) as i32).to_be_bytes());
            records.extend(&c);
            offset += 8 + c.len();
        }
        let mut shp = header((100 + records.len()) / 2, 5);
        shp.extend(records);
        let mut shx = header((100 + index.len()) / 2, 5);
        shx.extend(index);
        (shp, shx)
    }

    /// A `.dbf` with character fields `(name, width)` and rows of raw bytes.
    fn dbf(fields: &[(&str, u8, u8, u8)], rows: &[Vec<&[u8]>]) -> Vec<u8> {
        let record_len: usize = 1 + fields.iter().map(|f| usize::from(f.2)).sum::<usize>();
        let header_len = 32 + 32 * fields.len() + 1;
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
        b[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
        b[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
        for (name, kind, len, dec) in fields {
            let mut d = [0u8; 32];
            d[..name.len()].copy_from_slice(name.as_bytes());
            d[11] = *kind;
            d[16] = *len;
            d[17] = *dec;
            b.extend(d);
        }
        b.push(0x0D);
        for row in rows {
            b.push(b' ');
            for (f, v) in fields.iter().zip(row) {
                let mut cell = v.to_vec();
                cell.resize(usize::from(f.2), b' ');
                b.extend(cell);
            }
        }
        b.push(0x1A);
        b
    }

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> Vec<(f64, f64)> {
        let mut r = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        if clockwise {
            r.reverse();
        }
        r
    }

    struct Files {
        shp: Vec<u8>,
        shx: Vec<u8>,
        dbf: Vec<u8>,
        cpg: Option<Vec<u8>>,
    }

    fn read(f: &Files, manifest: Option<Encoding>) -> Result<Shapefile, ReadError> {
        let part = |p: &'static str, b: &'static [u8]| Part {
            path: Path::new(p),
            bytes: b,
        };
        // Leak: test data lives for the test binary.
        let leak = |v: &Vec<u8>| -> &'static [u8] { Box::leak(v.clone().into_boxed_slice()) };
        read_shapefile(
            "ZRZK",
            ShapefileParts {
                shp: part("vector/ZRZK.shp", leak(&f.shp)),
                shx: part("vector/ZRZK.shx", leak(&f.shx)),
                dbf: part("vector/ZRZK.dbf", leak(&f.dbf)),
                prj: None,
                cpg: f.cpg.as_ref().map(|c| part("vector/ZRZK.cpg", leak(c))),
            },
            manifest,
        )
    }

    fn files(names: &[&[u8]], cpg: Option<&str>) -> Files {
        let polys: Vec<_> = (0..names.len())
            .map(|i| vec![square(i as f64 * 10.0, 0.0, 5.0, true)])
            .collect();
        let (shp, shx) = shp_shx(&polys);
        let rows: Vec<Vec<&[u8]>> = names
            .iter()
            .map(|n| vec![*n, b"12.50".as_slice(), b"3".as_slice()])
            .collect();
        Files {
            shp,
            shx,
            dbf: dbf(
                &[("MC", b'C', 40, 0), ("MJ", b'N', 24, 2), ("N", b'N', 10, 0)],
                &rows,
            ),
            cpg: cpg.map(|c| c.as_bytes().to_vec()),
        }
    }

    fn frame(s: Shapefile) -> polars::prelude::DataFrame {
        s.decoded.columns.into_frame(s.decoded.rows).unwrap()
    }

    fn column(df: &polars::prelude::DataFrame, name: &str) -> Vec<Option<String>> {
        let c = df.column(name).unwrap().str().unwrap().clone();
        (0..c.len()).map(|i| c.get(i).map(str::to_owned)).collect()
    }

    /// Names are compared once decoded: GBK 地类 and 坐落 are both `����` read as UTF-8 with
    /// replacement, and were refused as one field named twice.
    #[test]
    fn gbk_field_names_are_told_apart_and_a_name_twice_is_an_error() {
        let polys = vec![vec![square(0.0, 0.0, 5.0, true)]];
        let (shp, shx) = shp_shx(&polys);
        let named = |a: &str, b: &str| {
            let mut dbf = dbf(
                &[("AAAA", b'C', 8, 0), ("BBBB", b'C', 8, 0)],
                &[vec![b"1", b"2"]],
            );
            dbf[32..36].copy_from_slice(&encoding_rs::GBK.encode(a).0);
            dbf[64..68].copy_from_slice(&encoding_rs::GBK.encode(b).0);
            Files {
                shp: shp.clone(),
                shx: shx.clone(),
                dbf,
                cpg: Some(b"GBK".to_vec()),
            }
        };
        let df = frame(read(&named("地类", "坐落"), None).unwrap());
        assert_eq!(column(&df, "地类"), vec![Some("1".into())]);
        assert_eq!(column(&df, "坐落"), vec![Some("2".into())]);
        let e = read(&named("地类", "地类"), None).err().unwrap();
        assert_eq!(
            e.to_string(),
            "vector/ZRZK.dbf: ZRZK: the header: two columns are named `地类` (columns 1 and 2: \
             string, then string)"
        );
    }

    #[test]
    fn utf8_under_a_gbk_cpg_is_read_as_utf8_and_said() {
        let f = files(&["黄河".as_bytes(), b"Lake"], Some("GBK"));
        let s = read(&f, None).unwrap();
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(
            s.notes[0]
                .message
                .contains("declared GBK by vector/ZRZK.cpg")
                && s.notes[0].message.contains("read as UTF-8"),
            "{:?}",
            s.notes
        );
        let df = frame(s);
        assert_eq!(
            column(&df, "MC"),
            vec![Some("黄河".into()), Some("Lake".into())]
        );
        assert_eq!(
            df.column("MJ").unwrap().dtype(),
            &polars::prelude::DataType::Float64
        );
        assert_eq!(
            df.column("N").unwrap().dtype(),
            &polars::prelude::DataType::Int64
        );
    }

    #[test]
    fn gbk_without_a_label_is_detected_and_said() {
        let (gbk, _, _) = encoding_rs::GBK.encode("刘家峡水库");
        let f = files(&[&gbk], None);
        let s = read(&f, None).unwrap();
        assert_eq!(s.notes.len(), 1);
        assert!(
            s.notes[0].message.contains("no encoding declared")
                && s.notes[0].message.contains("read as GBK"),
            "{:?}",
            s.notes
        );
        assert_eq!(column(&frame(s), "MC"), vec![Some("刘家峡水库".into())]);
    }

    #[test]
    fn gbk_under_a_utf8_label_is_read_as_gbk_and_said() {
        let (gbk, _, _) = encoding_rs::GBK.encode("莲花山");
        for (cpg, manifest, by) in [
            (Some("UTF-8"), None, "vector/ZRZK.cpg"),
            (None, Some(Encoding::Utf8), "package.yaml"),
        ] {
            let f = files(&[&gbk], cpg);
            let s = read(&f, manifest).unwrap();
            assert!(
                s.notes[0]
                    .message
                    .contains(&format!("declared UTF-8 by {by}"))
                    && s.notes[0].message.contains("read as GBK"),
                "{:?}",
                s.notes
            );
            assert_eq!(column(&frame(s), "MC"), vec![Some("莲花山".into())]);
        }
        // A label the bytes agree with leaves no note.
        let f = files(&[&gbk], Some("GBK"));
        assert!(read(&f, None).unwrap().notes.is_empty());
    }

    #[test]
    fn undecodable_text_names_row_and_field() {
        let (gbk, _, _) = encoding_rs::GBK.encode("湿地");
        let bad: &[u8] = &[0xFF, 0xFE, 0x80];
        let f = files(&[&gbk, bad], Some("GBK"));
        let e = read(&f, None).err().unwrap();
        assert_eq!(e.path, Path::new("vector/ZRZK.dbf"));
        assert_eq!(e.frame.as_deref(), Some("ZRZK"));
        assert_eq!(e.feature, Some(1));
        assert_eq!(e.field.as_deref(), Some("MC"));
        assert!(e.message.contains("FF FE 80"), "{e}");
    }

    #[test]
    fn truncated_shp_is_an_error_not_a_panic() {
        let f = files(&[b"a", b"b"], None);
        for cut in [0, 50, 99, 100, 120, f.shp.len() - 1] {
            let g = Files {
                shp: f.shp[..cut].to_vec(),
                shx: f.shx.clone(),
                dbf: f.dbf.clone(),
                cpg: None,
            };
            let e = read(&g, None)
                .err()
                .unwrap_or_else(|| panic!("cut at {cut} was read"));
            assert_eq!(e.path, Path::new("vector/ZRZK.shp"), "{e}");
            assert!(
                e.message.contains("truncated") || e.message.contains("outside the file"),
                "{e}"
            );
        }
    }

    #[test]
    fn huge_point_count_is_an_error_before_allocation() {
        let f = files(&[b"a"], None);
        let mut shp = f.shp.clone();
        // num_points of the first record: 100 (file header) + 8 (record header) + 4 + 32 + 4.
        shp[148..152].copy_from_slice(&i32::MAX.to_le_bytes());
        let g = Files { shp, ..f };
        let e = read(&g, None).err().unwrap();
        assert_eq!(e.feature, Some(0));
        assert!(e.message.contains("declares parts and points"), "{e}");
    }

    /// Damaged copies of a small layer (bytes overwritten, files cut) give errors or layers,
    /// never a panic: a smoke test of what `fuzz/fuzz_targets/shapefile.rs` explores.
    #[test]
    fn damaged_files_never_panic() {
        let (gbk, _, _) = encoding_rs::GBK.encode("黄河");
        let f = files(&[&gbk, b"Lake", b""], Some("GBK"));
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let mut g = Files {
                shp: f.shp.clone(),
                shx: f.shx.clone(),
                dbf: f.dbf.clone(),
                cpg: None,
            };
            let target = match next() % 3 {
                0 => &mut g.shp,
                1 => &mut g.shx,
                _ => &mut g.dbf,
            };
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % target.len();
                target[at] = next() as u8;
            }
            if next() % 4 == 0 {
                let cut = (next() as usize) % target.len();
                target.truncate(cut);
            }
            let _ = read(&g, None);
        }
    }

    #[test]
    fn record_count_mismatch_is_an_error() {
        let f = files(&[b"a", b"b"], None);
        let one = files(&[b"a"], None);
        let g = Files { dbf: one.dbf, ..f };
        let e = read(&g, None).err().unwrap();
        assert_eq!(e.path, Path::new("vector/ZRZK.dbf"));
        assert!(
            e.message.contains("1 records") && e.message.contains("2 shapes"),
            "{e}"
        );
    }

    #[test]
    fn rings_become_polygons_and_multipolygons_as_gdal_makes_them() {
        // Record 0: one outer (CW) with a hole (CCW); record 1: two outers; record 2: an
        // unclosed outer ring; record 3: a hole inside the second of two outers; record 4: one
        // outer and two counter-clockwise rings outside it (as in the national 1:4M
        // boundaries), which GDAL 3.6.2 makes holes of the one outer ring, an invalid polygon;
        // record 5: two outers and two counter-clockwise rings inside neither, each a polygon
        // of its own (GDAL's MULTIPOLYGON of four).
        let mut open = square(0.0, 0.0, 10.0, true);
        open.pop();
        let polys = vec![
            vec![square(0.0, 0.0, 10.0, true), square(2.0, 2.0, 2.0, false)],
            vec![square(0.0, 0.0, 1.0, true), square(5.0, 5.0, 1.0, true)],
            vec![open],
            vec![
                square(0.0, 0.0, 3.0, true),
                square(10.0, 0.0, 5.0, true),
                square(11.0, 1.0, 1.0, false),
            ],
            vec![
                square(0.0, 0.0, 1.0, true),
                square(5.0, 5.0, 1.0, false),
                square(8.0, 8.0, 1.0, false),
            ],
            vec![
                square(0.0, 0.0, 1.0, true),
                square(2.0, 0.0, 1.0, true),
                square(5.0, 5.0, 1.0, false),
                square(8.0, 8.0, 1.0, false),
            ],
        ];
        let (shp, shx) = shp_shx(&polys);
        let rows: Vec<Vec<&[u8]>> = (0..6).map(|_| vec![b"x".as_slice()]).collect();
        let f = Files {
            shp,
            shx,
            dbf: dbf(&[("MC", b'C', 10, 0)], &rows),
            cpg: None,
        };
        let s = read(&f, None).unwrap();
        let g = &s.decoded.geometry;
        match &g.geoms[0] {
            Some(Geometry::Polygon(p)) => {
                assert_eq!(p.interiors().len(), 1);
                // Turned to the FlatGeobuf orientation: outer CCW, hole CW.
                assert!(signed_area2(&p.exterior().0) > 0.0);
                assert!(signed_area2(&p.interiors()[0].0) < 0.0);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&g.geoms[1], Some(Geometry::MultiPolygon(m)) if m.0.len() == 2));
        assert!(matches!(&g.geoms[2], Some(Geometry::Polygon(p)) if p.exterior().is_closed()));
        assert_eq!(g.defects, vec![(2, RawDefect::RingNotClosed { ring: 0 })]);
        match &g.geoms[3] {
            Some(Geometry::MultiPolygon(m)) => {
                assert_eq!(m.0[0].interiors().len(), 0);
                assert_eq!(m.0[1].interiors().len(), 1);
            }
            other => panic!("{other:?}"),
        }
        match &g.geoms[4] {
            Some(Geometry::Polygon(p)) => {
                assert_eq!(p.interiors().len(), 2);
                assert!(signed_area2(&p.exterior().0) > 0.0);
                let invalid = crate::geom::validity::validate(&Geometry::Polygon(p.clone()));
                assert_eq!(
                    invalid.iter().map(|i| i.reason.code()).collect::<Vec<_>>(),
                    ["hole_outside_shell", "hole_outside_shell"]
                );
            }
            other => panic!("{other:?}"),
        }
        match &g.geoms[5] {
            Some(Geometry::MultiPolygon(m)) => {
                assert_eq!(m.0.len(), 4);
                for p in &m.0 {
                    assert!(p.interiors().is_empty());
                    assert!(signed_area2(&p.exterior().0) > 0.0);
                }
            }
            other => panic!("{other:?}"),
        }
    }

    /// A hole whose first vertex lies on its shell (valid: they touch at one point) is a hole,
    /// as GDAL reads it; tested at that vertex it was read as a second shell, and the feature
    /// was reported as nested shells (found by tests/conformance.rs).
    #[test]
    fn a_hole_touching_its_shell_is_a_hole() {
        let shell = square(0.0, 0.0, 10.0, true);
        // Counter-clockwise, starting on the shell's left edge.
        let hole = vec![(0.0, 5.0), (5.0, 4.0), (5.0, 6.0), (0.0, 5.0)];
        let (shp, shx) = shp_shx(&[vec![shell, hole]]);
        let f = Files {
            shp,
            shx,
            dbf: dbf(&[("MC", b'C', 10, 0)], &[vec![b"x".as_slice()]]),
            cpg: None,
        };
        let s = read(&f, None).unwrap();
        match &s.decoded.geometry.geoms[0] {
            Some(Geometry::Polygon(p)) => assert_eq!(p.interiors().len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dbf_types_map_like_the_flatgeobuf_columns() {
        let (shp, shx) = shp_shx(&[
            vec![square(0.0, 0.0, 1.0, true)],
            vec![square(0.0, 0.0, 1.0, true)],
        ]);
        let fields = [
            ("MC", b'C', 10, 0),
            ("MJ", b'N', 24, 15),
            ("K", b'N', 10, 0),
            ("D", b'D', 8, 0),
            ("L", b'L', 1, 0),
            ("F", b'F', 12, 3),
        ];
        let rows: Vec<Vec<&[u8]>> = vec![
            vec![
                b"  a  ",
                b"1234.500000000000000",
                b"42",
                b"20251231",
                b"T",
                b"1.250",
            ],
            vec![b"", b"", b"", b"", b"?", b"********"],
        ];
        let f = Files {
            shp,
            shx,
            dbf: dbf(&fields, &rows),
            cpg: None,
        };
        let df = frame(read(&f, None).unwrap());
        use polars::prelude::DataType;
        let dtypes: Vec<DataType> = df.dtypes();
        assert_eq!(
            dtypes,
            vec![
                DataType::String,
                DataType::Float64,
                DataType::Int64,
                DataType::String,
                DataType::Boolean,
                DataType::Float64
            ]
        );
        assert_eq!(column(&df, "MC"), vec![Some("  a".into()), None]);
        assert_eq!(column(&df, "D"), vec![Some("2025-12-31".into()), None]);
        let mj = df.column("MJ").unwrap().f64().unwrap().clone();
        assert_eq!((mj.get(0), mj.get(1)), (Some(1234.5), None));
        let k = df.column("K").unwrap().i64().unwrap().clone();
        assert_eq!((k.get(0), k.get(1)), (Some(42), None));
        let l = df.column("L").unwrap().bool().unwrap().clone();
        assert_eq!((l.get(0), l.get(1)), (Some(true), None));
    }
}
