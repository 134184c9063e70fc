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

mod dbf;
mod encoding;

use dbf::Dbf;
use encoding::choose_encoding;

use super::error::ReadError;
use super::manifest::Encoding;
use super::vector::Decoded;
use super::{GeometryColumn, InputNote, LayerCrs, RawDefect};
use crate::geom::wkt::epsg_of_wkt;

/// One file of a shapefile layer: its path in the package (for errors) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// Relative to the package root, e.g. `vector/ZRZK.dbf`; named in errors and notes.
    pub path: &'a Path,
    /// The whole file.
    pub bytes: &'a [u8],
}

/// The files of one shapefile layer, already in memory.
#[derive(Debug, Clone, Copy)]
pub struct ShapefileParts<'a> {
    /// The shapes.
    pub shp: Part<'a>,
    /// The index: each record's offset and length in the `.shp`, and so the feature count.
    pub shx: Part<'a>,
    /// The attributes, one record per shape.
    pub dbf: Part<'a>,
    /// The CRS as WKT; `None` when absent, and then the layer declares no CRS.
    pub prj: Option<Part<'a>>,
    /// The code page label of the `.dbf` (e.g. `GBK`, `UTF-8`, `936`); `None` when absent, and
    /// then the manifest's `encoding`, if any, is the declared one.
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

pub(crate) fn multipoint(c: Vec<Coord<f64>>) -> Geometry<f64> {
    Geometry::MultiPoint(MultiPoint::new(c.into_iter().map(Point::from).collect()))
}

pub(crate) fn lines(mut parts: Vec<Vec<Coord<f64>>>) -> Geometry<f64> {
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
pub(crate) fn polygons(
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

#[cfg(test)]
mod tests {
    use super::*;
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
