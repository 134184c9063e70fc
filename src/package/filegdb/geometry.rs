//! Geometries of a File Geodatabase: the compressed shape buffer of the format (variable-length
//! integers on the field's coordinate grid, deltas from the previous vertex), decoded to geo
//! geometries as GDAL's OpenFileGDB driver reads them. Z and M are read past and dropped, as
//! the other readers drop them.
//!
//! Curves (ArcGIS writes circular features with arcs in their boundaries, and may store Bézier
//! segments) are densified: each arc becomes chords whose greatest distance from the true arc is
//! at most the tolerance ([`Tolerance`]), and the reader counts the features so densified for
//! the report. Elliptic arcs are an error naming them: never silently dropped or straightened.
//! Polygons and lines are assembled by the Shapefile reader's code (`shapefile::polygons`): the
//! rings of a shape are ESRI's, outer rings clockwise, in both formats.

use std::f64::consts::{PI, TAU};

use geo::{Coord, Geometry, MultiPoint, Point};

use super::bytes::Bytes;
use super::table::Grid;
use crate::package::shapefile::{lines, multipoint, polygons};
use crate::package::RawDefect;

/// How far a chord of a densified curve may stray from the curve, in the CRS's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance(pub f64);

impl Tolerance {
    /// 1 cm in a projected CRS (metres).
    pub const PROJECTED: Tolerance = Tolerance(0.01);
    /// 1e-7 degrees in a geographic CRS: about 1.1 cm on the ground at the equator, less
    /// elsewhere.
    pub const GEOGRAPHIC: Tolerance = Tolerance(1e-7);

    /// The tolerance for a CRS given by its WKT: geographic when it is a `GEOGCS`, else
    /// projected.
    pub fn for_wkt(wkt: &str) -> Tolerance {
        let head = wkt.trim_start().to_ascii_uppercase();
        if head.starts_with("GEOGCS") || head.starts_with("GEOGCRS") {
            Tolerance::GEOGRAPHIC
        } else {
            Tolerance::PROJECTED
        }
    }
}

/// The most vertices the curves of one table may add: a circle of 100 km radius densified to
/// 1 cm takes about 7,000; a table of a county's circular features a few million.
pub(super) const MAX_DENSIFIED: usize = 16_000_000;

/// Decodes shape buffers of one geometry field.
pub(super) struct Decoder<'g> {
    pub grid: &'g Grid,
    pub tolerance: Tolerance,
    /// Vertices added by densifying curves so far (bounded by [`MAX_DENSIFIED`]).
    pub densified: usize,
}

const Z_FLAG: u64 = 0x8000_0000;
const M_FLAG: u64 = 0x4000_0000;
const CURVE_FLAG: u64 = 0x2000_0000;

/// What a shape is, by the low byte of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Point,
    MultiPoint,
    Line,
    Polygon,
}

/// (kind, Z, M) of a shape type code; the general types say Z and M by the flags.
fn kind_of(code: u64) -> Result<Option<(Kind, bool, bool)>, String> {
    let (z, m) = (code & Z_FLAG != 0, code & M_FLAG != 0);
    Ok(Some(match code & 0xff {
        0 => return Ok(None),
        1 => (Kind::Point, z, m),
        21 => (Kind::Point, z, true),
        9 => (Kind::Point, true, m),
        11 => (Kind::Point, true, true),
        52 => (Kind::Point, z, m),
        8 => (Kind::MultiPoint, z, m),
        28 => (Kind::MultiPoint, z, true),
        20 => (Kind::MultiPoint, true, m),
        18 => (Kind::MultiPoint, true, true),
        53 => (Kind::MultiPoint, z, m),
        3 => (Kind::Line, z, m),
        23 => (Kind::Line, z, true),
        10 => (Kind::Line, true, m),
        13 => (Kind::Line, true, true),
        50 => (Kind::Line, z, m),
        5 => (Kind::Polygon, z, m),
        25 => (Kind::Polygon, z, true),
        19 => (Kind::Polygon, true, m),
        15 => (Kind::Polygon, true, true),
        51 => (Kind::Polygon, z, m),
        31 | 32 | 54 => return Err("a multipatch (3D surface), which nrqc does not read".into()),
        t => return Err(format!("shape type {t}, which the format does not define")),
    }))
}

/// A curve segment of a part: from vertex `start` to the next.
#[derive(Debug, Clone, Copy)]
enum Segment {
    /// A circular arc through an interior point.
    ArcThrough(Coord<f64>),
    /// A circular arc about a centre, counter-clockwise or not.
    ArcAbout(Coord<f64>, bool),
    /// A straight segment stored as a curve (an arc flagged empty, a line or a point).
    Straight,
    /// A cubic Bézier curve with these control points.
    Bezier(Coord<f64>, Coord<f64>),
}

impl Decoder<'_> {
    /// The geometry of a shape buffer (`None` for a null shape); `defects` receives the
    /// unclosed rings of feature `row`. Returns whether a curve was densified.
    pub(super) fn decode(
        &mut self,
        shape: &[u8],
        row: usize,
        defects: &mut Vec<(usize, RawDefect)>,
    ) -> Result<(Option<Geometry<f64>>, bool), String> {
        let mut b = Bytes::new(shape);
        let code = b.varuint("the shape type")?;
        let Some((kind, z, m)) = kind_of(code)? else {
            return Ok((None, false));
        };
        let grid = self.grid;
        let at = |x: i64, y: i64| grid.coord(x as f64, y as f64);
        if kind == Kind::Point {
            let x = b.varuint("the point")?;
            let y = b.varuint("the point")?;
            if x == 0 || y == 0 {
                return Ok((Some(Geometry::MultiPoint(MultiPoint::new(vec![]))), false));
            }
            let c = grid.coord((x - 1) as f64, (y - 1) as f64);
            return Ok((Some(Geometry::Point(Point::from(c))), false));
        }
        // Each vertex takes at least 2 bytes, each part at least 1: counts beyond that are
        // refused before anything is allocated from them.
        let points = b.count("the number of vertices", b.remaining() / 2)?;
        if kind == Kind::MultiPoint {
            if points == 0 {
                return Ok((Some(multipoint(vec![])), false));
            }
            skip_extent(&mut b)?;
            let coords = xy(&mut b, points, &at)?;
            return Ok((Some(multipoint(coords)), false));
        }
        if points == 0 {
            let empty = match kind {
                Kind::Polygon => polygons(vec![], row, defects),
                _ => lines(vec![]),
            };
            return Ok((Some(empty), false));
        }
        let parts = b.count("the number of parts", b.remaining())?;
        let curves = if code & CURVE_FLAG != 0 {
            b.count("the number of curves", b.remaining() / 3)?
        } else {
            0
        };
        if parts == 0 {
            return Err(format!("{points} vertices in no part"));
        }
        skip_extent(&mut b)?;
        let mut sizes = Vec::with_capacity(parts);
        let mut sum = 0usize;
        for _ in 0..parts - 1 {
            let n = b.count("the size of a part", points)?;
            sum += n;
            sizes.push(n);
        }
        let last = points
            .checked_sub(sum)
            .ok_or_else(|| format!("parts of {sum} vertices in all, of {points}"))?;
        sizes.push(last);
        let coords = xy(&mut b, points, &at)?;
        let mut segments: Vec<(usize, Segment)> = Vec::new();
        if curves > 0 {
            // Curves follow the Z and M values, which are read past.
            if z {
                for _ in 0..points {
                    b.varint("a Z value")?;
                }
            }
            if m {
                // A single byte 0x42 ('B') stands for "no M values".
                if b.peek() == Some(0x42) {
                    b.u8("the M values")?;
                } else {
                    for _ in 0..points {
                        b.varint("an M value")?;
                    }
                }
            }
            for _ in 0..curves {
                segments.push(segment(&mut b, points)?);
            }
            segments.sort_by_key(|s| s.0);
            if let Some(w) = segments.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(format!("two curve segments start at vertex {}", w[0].0));
            }
        }
        let mut rings = Vec::with_capacity(parts);
        let mut start = 0;
        let mut next_curve = 0;
        for size in sizes {
            let end = start + size;
            let mut part = Vec::with_capacity(size);
            for i in start..end {
                part.push(coords[i]);
                if next_curve < segments.len() && segments[next_curve].0 == i {
                    if i + 1 >= end {
                        return Err(format!(
                            "a curve segment starts at the last vertex of a part (vertex {i})"
                        ));
                    }
                    self.densify(&mut part, coords[i], coords[i + 1], segments[next_curve].1)?;
                    next_curve += 1;
                }
            }
            rings.push(part);
            start = end;
        }
        let g = match kind {
            Kind::Polygon => polygons(rings, row, defects),
            _ => lines(rings),
        };
        Ok((Some(g), !segments.is_empty()))
    }

    /// Pushes the vertices strictly between `a` and `b` on `segment` onto `out`.
    fn densify(
        &mut self,
        out: &mut Vec<Coord<f64>>,
        a: Coord<f64>,
        b: Coord<f64>,
        segment: Segment,
    ) -> Result<(), String> {
        let before = out.len();
        match segment {
            Segment::Straight => {}
            Segment::ArcThrough(p) => {
                if same(a, b) {
                    // A full circle: the interior point is opposite the start.
                    let c = Coord {
                        x: (a.x + p.x) / 2.0,
                        y: (a.y + p.y) / 2.0,
                    };
                    self.arc(out, c, a, TAU)?;
                } else if let Some(c) = circumcentre(a, p, b) {
                    let (ta, tp, tb) = (angle(c, a), angle(c, p), angle(c, b));
                    let ccw_to_b = (tb - ta).rem_euclid(TAU);
                    let ccw_to_p = (tp - ta).rem_euclid(TAU);
                    let sweep = if ccw_to_p < ccw_to_b {
                        ccw_to_b
                    } else {
                        ccw_to_b - TAU
                    };
                    self.arc(out, c, a, sweep)?;
                }
                // Three points on a line: a straight segment.
            }
            Segment::ArcAbout(c, ccw) => {
                let sweep = if same(a, b) {
                    TAU
                } else {
                    (angle(c, b) - angle(c, a)).rem_euclid(TAU)
                };
                self.arc(out, c, a, if ccw { sweep } else { sweep - TAU })?;
            }
            Segment::Bezier(p1, p2) => {
                // A chord of n equal parameter steps strays at most M / (8 n²), M bounding the
                // second derivative: 6 × the largest second difference of the control points.
                let d1 = (a.x - 2.0 * p1.x + p2.x).hypot(a.y - 2.0 * p1.y + p2.y);
                let d2 = (p1.x - 2.0 * p2.x + b.x).hypot(p1.y - 2.0 * p2.y + b.y);
                let n = steps((6.0 * d1.max(d2) / (8.0 * self.tolerance.0)).sqrt())?;
                for k in 1..n {
                    let t = k as f64 / n as f64;
                    let u = 1.0 - t;
                    let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
                    out.push(Coord {
                        x: w0 * a.x + w1 * p1.x + w2 * p2.x + w3 * b.x,
                        y: w0 * a.y + w1 * p1.y + w2 * p2.y + w3 * b.y,
                    });
                }
            }
        }
        self.densified += out.len() - before;
        if self.densified > MAX_DENSIFIED {
            return Err(format!(
                "its curves densify to more than {MAX_DENSIFIED} vertices in this table"
            ));
        }
        Ok(())
    }

    /// Pushes the vertices after `from` of the arc about `c` turning by `sweep` radians
    /// (counter-clockwise when positive), short of its end.
    fn arc(
        &mut self,
        out: &mut Vec<Coord<f64>>,
        c: Coord<f64>,
        from: Coord<f64>,
        sweep: f64,
    ) -> Result<(), String> {
        let r = (from.x - c.x).hypot(from.y - c.y);
        let t = self.tolerance.0;
        // A chord over the angle θ strays r (1 - cos(θ/2)) from the arc.
        let step = if t >= r {
            PI / 2.0
        } else {
            (2.0 * (1.0 - t / r).acos()).min(PI / 2.0)
        };
        let n = steps(sweep.abs() / step)?;
        let start = angle(c, from);
        for k in 1..n {
            let theta = start + sweep * k as f64 / n as f64;
            out.push(Coord {
                x: c.x + r * theta.cos(),
                y: c.y + r * theta.sin(),
            });
        }
        Ok(())
    }
}

/// The number of chords for `n` (rounded up, at least 1), refused when beyond any budget.
fn steps(n: f64) -> Result<usize, String> {
    if !n.is_finite() || n > MAX_DENSIFIED as f64 {
        return Err(format!(
            "a curve that would densify to {n} vertices (more than {MAX_DENSIFIED})"
        ));
    }
    Ok((n.ceil() as usize).max(1))
}

fn same(a: Coord<f64>, b: Coord<f64>) -> bool {
    a.x == b.x && a.y == b.y
}

fn angle(c: Coord<f64>, p: Coord<f64>) -> f64 {
    (p.y - c.y).atan2(p.x - c.x)
}

/// The centre of the circle through three points; `None` when they are on a line.
fn circumcentre(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> Option<Coord<f64>> {
    // Relative to `a`, for precision with large (projected) coordinates.
    let (bx, by) = (b.x - a.x, b.y - a.y);
    let (cx, cy) = (c.x - a.x, c.y - a.y);
    let d = 2.0 * (bx * cy - by * cx);
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
    let centre = Coord {
        x: a.x + (cy * b2 - by * c2) / d,
        y: a.y + (bx * c2 - cx * b2) / d,
    };
    (centre.x.is_finite() && centre.y.is_finite()).then_some(centre)
}

/// The extent of a shape: four variable-length integers, not needed to read it.
fn skip_extent(b: &mut Bytes<'_>) -> Result<(), String> {
    for _ in 0..4 {
        b.varuint("the extent")?;
    }
    Ok(())
}

/// `n` vertices, each as deltas from the previous (the first from 0).
fn xy(
    b: &mut Bytes<'_>,
    n: usize,
    at: &impl Fn(i64, i64) -> Coord<f64>,
) -> Result<Vec<Coord<f64>>, String> {
    let mut coords = Vec::with_capacity(n);
    let (mut x, mut y) = (0i64, 0i64);
    for _ in 0..n {
        x = x.wrapping_add(b.varint("a vertex")?);
        y = y.wrapping_add(b.varint("a vertex")?);
        coords.push(at(x, y));
    }
    Ok(coords)
}

/// Segment type codes.
const ARC: u64 = 1;
const BEZIER: u64 = 4;
const ELLIPSE: u64 = 5;
/// Arc flags.
const ARC_EMPTY: u32 = 0x1;
const ARC_CCW: u32 = 0x8;
const ARC_LINE: u32 = 0x20;
const ARC_POINT: u32 = 0x40;
const ARC_IP: u32 = 0x80;

/// One curve description: its start vertex, its type and its parameters.
fn segment(b: &mut Bytes<'_>, points: usize) -> Result<(usize, Segment), String> {
    let start = b.varuint("a curve's start vertex")?;
    let start = usize::try_from(start)
        .ok()
        .filter(|&s| s + 1 < points)
        .ok_or_else(|| format!("a curve segment starting at vertex {start} of {points}"))?;
    let kind = b.varuint("a curve's type")?;
    let segment = match kind {
        ARC => {
            let p = Coord {
                x: b.f64("an arc")?,
                y: b.f64("an arc")?,
            };
            let bits = b.u32("an arc")?;
            if bits & ARC_IP != 0 {
                Segment::ArcThrough(p)
            } else if bits & (ARC_EMPTY | ARC_LINE | ARC_POINT) != 0 {
                Segment::Straight
            } else {
                Segment::ArcAbout(p, bits & ARC_CCW != 0)
            }
        }
        BEZIER => {
            let mut c = [0.0; 4];
            for v in &mut c {
                *v = b.f64("a Bézier curve")?;
            }
            Segment::Bezier(Coord { x: c[0], y: c[1] }, Coord { x: c[2], y: c[3] })
        }
        ELLIPSE => {
            return Err(format!(
                "an elliptic arc (from vertex {start}), which this version of nrqc cannot \
                 densify; replace it by circular arcs or vertices in ArcGIS (Densify)"
            ))
        }
        k => {
            return Err(format!(
                "a curve segment of type {k}, which the format does not define"
            ))
        }
    };
    for c in match segment {
        Segment::ArcThrough(p) | Segment::ArcAbout(p, _) => vec![p],
        Segment::Bezier(p, q) => vec![p, q],
        Segment::Straight => vec![],
    } {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(format!(
                "a curve segment (from vertex {start}) with a point at ({}, {})",
                c.x, c.y
            ));
        }
    }
    Ok((start, segment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn decoder(grid: &Grid) -> Decoder<'_> {
        Decoder {
            grid,
            tolerance: Tolerance::PROJECTED,
            densified: 0,
        }
    }

    #[test]
    fn a_full_circle_by_its_interior_point_densifies_within_the_tolerance() {
        let grid = Grid {
            x_origin: 0.0,
            y_origin: 0.0,
            xy_scale: 1.0,
        };
        let mut d = decoder(&grid);
        let mut out = vec![Coord { x: 10.0, y: 0.0 }];
        let a = Coord { x: 10.0, y: 0.0 };
        d.densify(
            &mut out,
            a,
            a,
            Segment::ArcThrough(Coord { x: -10.0, y: 0.0 }),
        )
        .unwrap();
        out.push(a);
        for c in &out {
            assert!((c.x.hypot(c.y) - 10.0).abs() < 1e-9);
        }
        // A chord's midpoint is within the tolerance of the circle.
        for w in out.windows(2) {
            let mid = ((w[0].x + w[1].x) / 2.0).hypot((w[0].y + w[1].y) / 2.0);
            assert!(10.0 - mid <= 0.01 + 1e-12, "{mid}");
        }
        let area = geo::Polygon::new(geo::LineString::new(out), vec![]).unsigned_area();
        assert!((area - PI * 100.0).abs() < 2.0 * PI * 10.0 * 0.01, "{area}");
    }

    #[test]
    fn a_half_circle_turns_through_its_interior_point() {
        let grid = Grid {
            x_origin: 0.0,
            y_origin: 0.0,
            xy_scale: 1.0,
        };
        let mut d = decoder(&grid);
        let mut out = vec![];
        let (a, b) = (Coord { x: 1.0, y: 0.0 }, Coord { x: -1.0, y: 0.0 });
        // Through (0, -1): clockwise, below the axis.
        d.densify(
            &mut out,
            a,
            b,
            Segment::ArcThrough(Coord { x: 0.0, y: -1.0 }),
        )
        .unwrap();
        assert!(out.iter().all(|c| c.y < 0.0));
        out.clear();
        d.densify(
            &mut out,
            a,
            b,
            Segment::ArcAbout(Coord { x: 0.0, y: 0.0 }, true),
        )
        .unwrap();
        assert!(out.iter().all(|c| c.y > 0.0));
    }

    #[test]
    fn a_bezier_curve_densifies_within_the_tolerance() {
        let grid = Grid {
            x_origin: 0.0,
            y_origin: 0.0,
            xy_scale: 1.0,
        };
        let mut d = decoder(&grid);
        let (a, p1, p2, b) = (
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 30.0, y: 100.0 },
            Coord { x: 70.0, y: -100.0 },
            Coord { x: 100.0, y: 0.0 },
        );
        let mut out = vec![a];
        d.densify(&mut out, a, b, Segment::Bezier(p1, p2)).unwrap();
        out.push(b);
        let at = |t: f64| {
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            Coord {
                x: w[0] * a.x + w[1] * p1.x + w[2] * p2.x + w[3] * b.x,
                y: w[0] * a.y + w[1] * p1.y + w[2] * p2.y + w[3] * b.y,
            }
        };
        let n = out.len() - 1;
        // Each chord's midpoint is within the tolerance of the curve at the middle parameter.
        for k in 0..n {
            let mid = at((k as f64 + 0.5) / n as f64);
            let chord = Coord {
                x: (out[k].x + out[k + 1].x) / 2.0,
                y: (out[k].y + out[k + 1].y) / 2.0,
            };
            assert!(
                (mid.x - chord.x).hypot(mid.y - chord.y) <= 0.01,
                "chord {k} of {n}"
            );
        }
    }

    #[test]
    fn an_ellipse_is_an_error_not_a_straight_line() {
        // start 0, type 5.
        let mut b = Bytes::new(&[0, 5]);
        assert!(segment(&mut b, 2).unwrap_err().contains("elliptic arc"));
    }

    #[test]
    fn tolerance_follows_the_crs() {
        assert_eq!(
            Tolerance::for_wkt("GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\"]"),
            Tolerance::GEOGRAPHIC
        );
        assert_eq!(
            Tolerance::for_wkt("PROJCS[\"CGCS2000_3_Degree_GK_Zone_34\"]"),
            Tolerance::PROJECTED
        );
    }
}
