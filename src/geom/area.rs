//! Ellipsoidal area (椭球面积) on CGCS2000 by the official method of 国土调查办发〔2008〕32号,
//! which the third national land survey reuses for TBMJ.
//!
//! Every vertex is inverse-projected to geodetic (B, L) once. Each ring edge (B₁, L₁) → (B₂, L₂)
//! contributes the ellipsoidal trapezoid between the edge and a reference meridian L₀:
//!
//! ```text
//! S = 2b²·ΔL·[A·sin(ΔB/2)·cos Bm − B·sin(3ΔB/2)·cos 3Bm + C·sin(5ΔB/2)·cos 5Bm
//!             − D·sin(7ΔB/2)·cos 7Bm + E·sin(9ΔB/2)·cos 9Bm]
//! ΔB = B₂ − B₁,  Bm = (B₁ + B₂)/2,  ΔL = (L₁ + L₂)/2 − L₀  (radians)
//! ```
//!
//! The signed trapezoids of a ring sum to its area; exterior rings count positive, holes
//! negative, whatever their orientation.
//!
//! L₀ does not change the result: its share of the sum is −2b²·L₀·Σ[…], and the bracket of each
//! edge is ½·(F(B₂) − F(B₁)) with F(B) = A·sin B − B/3·sin 3B + …, so over a closed ring it
//! telescopes to zero. It only decides how large the trapezoids are that cancel. Each ring takes
//! the longitude of its own first vertex as L₀, so ΔL is parcel-sized and the rounding error
//! stays proportional to the parcel instead of to its distance from the central meridian.

use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};

use super::crs::{Crs, FLATTENING, SEMI_MAJOR_AXIS};
use super::gk;

/// First eccentricity squared.
const E2: f64 = FLATTENING * (2.0 - FLATTENING);

/// 2b², b the semi-minor axis.
const TWO_B2: f64 = {
    let b = SEMI_MAJOR_AXIS * (1.0 - FLATTENING);
    2.0 * b * b
};

/// A, −B, C, −D, E of the notice, with the alternating signs of its formula folded in. They are
/// the series of (1 − e² sin² B)⁻² cos B in cos kB (k = 1, 3, …, 9), each divided by k.
const COEFFICIENTS: [f64; 5] = {
    let (e2, e4, e6, e8) = (E2, E2 * E2, E2 * E2 * E2, E2 * E2 * E2 * E2);
    [
        1.0 + 3.0 / 6.0 * e2 + 30.0 / 80.0 * e4 + 35.0 / 112.0 * e6 + 630.0 / 2304.0 * e8,
        -(1.0 / 6.0 * e2 + 15.0 / 80.0 * e4 + 21.0 / 112.0 * e6 + 420.0 / 2304.0 * e8),
        3.0 / 80.0 * e4 + 7.0 / 112.0 * e6 + 180.0 / 2304.0 * e8,
        -(1.0 / 112.0 * e6 + 45.0 / 2304.0 * e8),
        5.0 / 2304.0 * e8,
    ]
};

/// Ellipsoidal area in m² of a geometry whose coordinates are in `crs`. Points and lines have
/// none; a collection is the sum of its members, counting overlaps twice.
pub fn geometry_area(g: &Geometry<f64>, crs: &Crs) -> f64 {
    match g {
        Geometry::Polygon(p) => polygon_area(p, crs),
        Geometry::MultiPolygon(mp) => multi_polygon_area(mp, crs),
        Geometry::Rect(r) => {
            let (min, max) = (r.min(), r.max());
            let corners = [
                min,
                Coord { x: max.x, y: min.y },
                max,
                Coord { x: min.x, y: max.y },
            ];
            signed_ring_area(&corners, crs).abs()
        }
        Geometry::Triangle(t) => signed_ring_area(&t.to_array(), crs).abs(),
        Geometry::GeometryCollection(gc) => gc.iter().map(|g| geometry_area(g, crs)).sum(),
        Geometry::Point(_)
        | Geometry::Line(_)
        | Geometry::LineString(_)
        | Geometry::MultiPoint(_)
        | Geometry::MultiLineString(_) => 0.0,
    }
}

/// Ellipsoidal area in m² of the polygons of a multipolygon, summed.
pub fn multi_polygon_area(mp: &MultiPolygon<f64>, crs: &Crs) -> f64 {
    mp.iter().map(|p| polygon_area(p, crs)).sum()
}

/// Ellipsoidal area in m² of a polygon: its exterior ring less its holes.
pub fn polygon_area(p: &Polygon<f64>, crs: &Crs) -> f64 {
    let holes: f64 = p.interiors().iter().map(|r| ring_area(r, crs)).sum();
    ring_area(p.exterior(), crs) - holes
}

/// Ellipsoidal area in m² enclosed by a ring, in either orientation, closed or not.
pub fn ring_area(ring: &LineString<f64>, crs: &Crs) -> f64 {
    let coords = match ring.0.as_slice() {
        // The closing vertex repeats the first; projecting it again would only cost time.
        [first, rest @ .., last] if first == last => &ring.0[..=rest.len()],
        all => all,
    };
    signed_ring_area(coords, crs).abs()
}

/// The smallest planar area, in the squared units of `crs`, that a region of `m2` square metres
/// on the ellipsoid can have when it lies within `extent` (in `crs` coordinates; `None`: anywhere):
/// a planar pre-filter at this threshold never drops a region whose ellipsoidal area exceeds
/// `m2`.
///
/// Gauss-Krüger is conformal with scale k ≥ 1 (k = 1 on the central meridian only), so a
/// region's planar area is k² ≥ 1 times its ellipsoidal one and `m2` itself is a lower bound.
/// In longitude and latitude an element of area is (π/180)²·M·N·cos B square metres per square
/// degree (M, N the radii of curvature); M·N·cos B = a²(1 − e²)·cos B / (1 − e² sin² B)² falls
/// as |B| grows (its derivative has the sign of −(1 − e² sin² B) + 4e² cos² B < 0), so its
/// largest value over the extent is at its latitude nearest the equator, and dividing by it
/// gives the smallest square-degree equivalent over the extent.
pub fn planar_floor(crs: &Crs, m2: f64, extent: Option<Rect<f64>>) -> f64 {
    match crs {
        Crs::GaussKruger(_) => m2,
        Crs::Geographic => {
            let (south, north) = extent.map_or((0.0, 0.0), |r| (r.min().y, r.max().y));
            // Latitudes that are not latitudes (NaN, at or beyond a pole) get the equator's
            // bound, the most permissive, rather than one that could drop a real overlap.
            let latitude = |v: f64| v.abs() < 90.0;
            let nearest = if !latitude(south) || !latitude(north) || (south <= 0.0 && north >= 0.0)
            {
                0.0
            } else {
                south.abs().min(north.abs())
            };
            let (sin_b, cos_b) = nearest.to_radians().sin_cos();
            let w2 = 1.0 - E2 * sin_b * sin_b;
            let per_rad2 = SEMI_MAJOR_AXIS * SEMI_MAJOR_AXIS * (1.0 - E2) * cos_b / (w2 * w2);
            m2 / (per_rad2 * (std::f64::consts::PI / 180.0).powi(2))
        }
    }
}

/// Length in metres on the ellipsoid of the rings of a polygon (exterior and holes).
///
/// Each edge is measured by the ellipsoid's metric at its mid-latitude Bm:
/// ds² = (M·ΔB)² + (N·cos Bm·ΔL)². The edges measured here bound gaps and slivers, metres to a
/// few kilometres long, where this differs from the geodesic by a relative O((ΔB)²), below 10⁻⁶
/// for a 6 km edge, and it needs no iteration. A Gauss-Krüger edge is measured between its
/// inverse-projected ends, so lengths, like areas, do not depend on the zone.
pub fn perimeter(p: &Polygon<f64>, crs: &Crs) -> f64 {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|ring| ring_length(ring, crs))
        .sum()
}

fn ring_length(ring: &LineString<f64>, crs: &Crs) -> f64 {
    let geodetic = |c: &Coord<f64>| {
        let (lon, lat) = crs.to_lonlat(c.x, c.y);
        (lon.to_radians(), lat.to_radians())
    };
    let mut points = ring.0.iter().map(geodetic);
    let Some(mut prev) = points.next() else {
        return 0.0;
    };
    points
        .map(|next| {
            let ((l1, b1), (l2, b2)) = (prev, next);
            prev = next;
            let (sin_m, cos_m) = (0.5 * (b1 + b2)).sin_cos();
            let w2 = 1.0 - E2 * sin_m * sin_m;
            let n = SEMI_MAJOR_AXIS / w2.sqrt();
            let m = n * (1.0 - E2) / w2;
            (m * (b2 - b1)).hypot(n * cos_m * (l2 - l1))
        })
        .sum()
}

/// Signed area of the ring through `coords` (implicitly closed), positive when counterclockwise
/// in (L, B).
fn signed_ring_area(coords: &[Coord<f64>], crs: &Crs) -> f64 {
    match crs {
        Crs::Geographic => trapezoid_sum(coords, |c| (c.x.to_radians(), c.y.to_radians())),
        Crs::GaussKruger(zone) => {
            let false_easting = zone.false_easting();
            // Longitudes relative to the central meridian are as good as absolute ones, since
            // L₀ cancels, and skip an addition per vertex.
            trapezoid_sum(coords, |c| gk::inverse(c.x - false_easting, c.y))
        }
    }
}

/// Σ S over the edges of the implicitly closed ring through `coords`, with `geodetic` mapping a
/// vertex to (L, B) in radians.
fn trapezoid_sum(coords: &[Coord<f64>], geodetic: impl Fn(Coord<f64>) -> (f64, f64)) -> f64 {
    let Some(&first) = coords.first() else {
        return 0.0;
    };
    let start = geodetic(first);
    let l0 = start.0;
    let mut prev = start;
    let mut sum = 0.0;
    for &c in &coords[1..] {
        let next = geodetic(c);
        sum += trapezoid(prev, next, l0);
        prev = next;
    }
    sum + trapezoid(prev, start, l0)
}

/// The trapezoid S of one edge. The multiple angles come from the Chebyshev recurrences
/// sin (k+2)x = 2 cos 2x · sin kx − sin (k−2)x (and likewise for cos), so an edge costs two
/// `sin_cos` calls instead of ten.
#[inline]
fn trapezoid((l1, b1): (f64, f64), (l2, b2): (f64, f64), l0: f64) -> f64 {
    let dl = 0.5 * (l1 + l2) - l0;
    let (sin_h, cos_h) = (0.5 * (b2 - b1)).sin_cos();
    let (sin_m, cos_m) = (0.5 * (b1 + b2)).sin_cos();
    let two_cos_2h = 2.0 * (cos_h - sin_h) * (cos_h + sin_h);
    let two_cos_2m = 2.0 * (cos_m - sin_m) * (cos_m + sin_m);
    // sin(kΔB/2) and cos(k·Bm) for k = −1 and 1, stepped to k = 3, 5, 7, 9.
    let (mut s_prev, mut s) = (-sin_h, sin_h);
    let (mut c_prev, mut c) = (cos_m, cos_m);
    let mut bracket = 0.0;
    for coefficient in COEFFICIENTS {
        bracket += coefficient * s * c;
        (s_prev, s) = (s, two_cos_2h * s - s_prev);
        (c_prev, c) = (c, two_cos_2m * c - c_prev);
    }
    TWO_B2 * dl * bracket
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_measures::{Densify, Euclidean};
    use geo::MapCoords;
    use geo_types::{coord, polygon, GeometryCollection, LineString, Point, Rect, Triangle};
    use geographiclib_rs::{Geodesic, PolygonArea, Winding};

    fn crs(code: u32) -> Crs {
        Crs::from_epsg(code).expect("accepted code")
    }

    /// An irregular 12-vertex parcel of about `area` m² around `(lon, lat)`, in `crs`
    /// coordinates, densified to edges of at most `max_edge` (metres, or degrees for 4490).
    fn parcel(crs: &Crs, lon: f64, lat: f64, area: f64, max_edge: f64) -> Polygon<f64> {
        let (cx, cy) = crs.from_lonlat(lon, lat);
        let (sx, sy) = match crs {
            Crs::Geographic => (1.0 / (111_320.0 * lat.to_radians().cos()), 1.0 / 110_950.0),
            Crs::GaussKruger(_) => (1.0, 1.0),
        };
        // Radii vary by ±30 % so the parcel is neither convex nor symmetric.
        let radii = [
            1.0, 0.8, 1.2, 0.9, 0.7, 1.1, 1.3, 0.8, 1.0, 0.75, 1.15, 0.95,
        ];
        let n = radii.len() as f64;
        let mean_sq: f64 = radii.iter().map(|r| r * r).sum::<f64>() / n;
        let r0 = (area / (0.5 * n * (std::f64::consts::TAU / n).sin() * mean_sq)).sqrt();
        let ring: LineString<f64> = radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let a = std::f64::consts::TAU * i as f64 / n;
                coord! { x: cx + sx * r0 * r * a.cos(), y: cy + sy * r0 * r * a.sin() }
            })
            .collect();
        Euclidean.densify(&Polygon::new(ring, vec![]), max_edge)
    }

    /// Karney's geodesic area of the exterior ring on the CGCS2000 ellipsoid.
    fn geodesic_area(p: &Polygon<f64>, crs: &Crs) -> f64 {
        let geod = Geodesic::new(SEMI_MAJOR_AXIS, FLATTENING);
        let mut pa = PolygonArea::new(&geod, Winding::CounterClockwise);
        for c in &p.exterior().0[..p.exterior().0.len() - 1] {
            let (lon, lat) = crs.to_lonlat(c.x, c.y);
            pa.add_point(lat, lon);
        }
        pa.compute(false).1
    }

    #[test]
    fn agrees_with_geodesic_area() {
        // (EPSG, lon, lat): Linxia in both zones, the zone line, past the band edge, and
        // elsewhere in China at low and high latitude and in 6° zones.
        let places = [
            (4522, 103.2, 35.6),
            (4523, 103.6, 35.4),
            (4543, 102.0, 35.0),
            (4544, 105.0, 36.5),
            (4522, 104.2, 36.2),
            (4523, 102.9, 35.1),
            (4513, 76.4, 39.5),
            (4554, 134.0, 48.0),
            (4530, 121.5, 31.2),
            (4526, 109.5, 18.3),
            (4497, 113.8, 22.5),
            (4508, 108.2, 52.0),
        ];
        let mut worst = (0.0_f64, 0, 0.0);
        for (code, lon, lat) in places {
            let crs = crs(code);
            for area in [1e4, 1e6, 1e8] {
                let p = parcel(&crs, lon, lat, area, 10.0);
                let official = polygon_area(&p, &crs);
                let geodesic = geodesic_area(&p, &crs);
                let rel = (official - geodesic).abs() / geodesic;
                if rel > worst.0 {
                    worst = (rel, code, area);
                }
            }
        }
        assert!(
            worst.0 < 1e-6,
            "max relative difference {:.3e} (EPSG:{}, {} m²)",
            worst.0,
            worst.1,
            worst.2
        );
    }

    #[test]
    fn agrees_with_geodesic_area_in_lonlat() {
        let crs = Crs::Geographic;
        for (lon, lat) in [(103.2, 35.6), (87.6, 43.8), (110.3, 20.0)] {
            for area in [1e4, 1e6, 1e8] {
                let p = parcel(&crs, lon, lat, area, 1e-4);
                let official = polygon_area(&p, &crs);
                let geodesic = geodesic_area(&p, &crs);
                let rel = (official - geodesic).abs() / geodesic;
                assert!(
                    rel < 1e-6,
                    "{lon},{lat} {area} m²: relative difference {rel:.3e}"
                );
            }
        }
    }

    #[test]
    fn same_area_from_either_zone() {
        // A 50-vertex parcel astride the zone 34/35 line at 103.5°E, densified in lon/lat to
        // about 10 m, projected into both zones.
        let mut worst = 0.0_f64;
        for radius_deg in [0.0056, 0.036] {
            let ring: LineString<f64> = (0..50)
                .map(|i| {
                    let a = std::f64::consts::TAU * f64::from(i) / 50.0;
                    let r = radius_deg * (1.0 + 0.2 * (3.0 * a).sin());
                    coord! { x: 103.5 + r * a.cos() / 35.6_f64.to_radians().cos(), y: 35.6 + r * a.sin() }
                })
                .collect();
            let lonlat = Euclidean.densify(&Polygon::new(ring, vec![]), 1e-4);
            let areas = [4522, 4523].map(|code| {
                let crs = crs(code);
                let projected = lonlat.map_coords(|c| {
                    let (x, y) = crs.from_lonlat(c.x, c.y);
                    coord! { x: x, y: y }
                });
                polygon_area(&projected, &crs)
            });
            assert!(areas[0] > 0.9e6 && areas[0] < 60e6, "area {}", areas[0]);
            worst = worst.max((areas[0] - areas[1]).abs());
        }
        assert!(
            worst < 0.01,
            "zone 34 and 35 areas differ by {worst:.3e} m²"
        );
    }

    #[test]
    fn lonlat_quadrangle_matches_closed_form() {
        // The area between two parallels over ΔL has a closed form (authalic latitude), so a
        // 1:10 000 sheet (3′45″ × 2′30″) and a 1° cell check the coefficients A–E exactly.
        let e = E2.sqrt();
        let b2 = TWO_B2 / 2.0;
        let q = |lat: f64| {
            let s = lat.to_radians().sin();
            s / (1.0 - E2 * s * s) + (0.5 / e) * ((1.0 + e * s) / (1.0 - e * s)).ln()
        };
        for (lon, lat, dlon, dlat) in [
            (103.0, 35.5, 3.75 / 60.0, 2.5 / 60.0),
            (103.0, 35.0, 1.0, 1.0),
            (120.0, 18.0, 1.0, 1.0),
        ] {
            let rect = Rect::new(
                coord! { x: lon, y: lat },
                coord! { x: lon + dlon, y: lat + dlat },
            );
            let area = geometry_area(&rect.into(), &Crs::Geographic);
            let exact = 0.5 * b2 * dlon.to_radians() * (q(lat + dlat) - q(lat));
            assert!(
                ((area - exact) / exact).abs() < 1e-12,
                "{lon},{lat}: {area} vs closed form {exact}"
            );
        }
    }

    #[test]
    fn planar_floor_is_a_tight_lower_bound() {
        // Squares of the floor's planar area: none exceeds the threshold on the ellipsoid, and
        // the one on the extent's edge nearest the equator reaches it to the square's curvature.
        let m2 = 5e6;
        for (south, north) in [(35.0, 36.5), (3.0, 54.0), (-10.0, 10.0), (-40.0, -20.0)] {
            let extent = Rect::new(coord! { x: 100.0, y: south }, coord! { x: 104.0, y: north });
            let floor = planar_floor(&Crs::Geographic, m2, Some(extent));
            let side = floor.sqrt();
            let mut largest = 0.0_f64;
            for i in 0..=20 {
                let lat = south + (north - south - side) * f64::from(i) / 20.0;
                let square = Rect::new(
                    coord! { x: 102.0, y: lat },
                    coord! { x: 102.0 + side, y: lat + side },
                );
                largest = largest.max(geometry_area(&square.into(), &Crs::Geographic));
            }
            assert!(largest <= m2, "{south}..{north}: {largest} m² > {m2}");
            assert!(
                largest > m2 * 0.999,
                "{south}..{north}: {largest} m² is loose"
            );
        }
        // Gauss-Krüger: the threshold itself, since the scale is at least 1.
        let z34 = crs(4522);
        assert_eq!(planar_floor(&z34, m2, None), m2);
        // Without an extent, or with latitudes that are none, the equator's (smallest) floor.
        let equator = planar_floor(&Crs::Geographic, m2, None);
        let nan = Rect::new(
            coord! { x: 0.0, y: f64::NAN },
            coord! { x: 1.0, y: f64::NAN },
        );
        assert_eq!(planar_floor(&Crs::Geographic, m2, Some(nan)), equator);
        assert!(
            equator
                < planar_floor(
                    &Crs::Geographic,
                    m2,
                    Some(Rect::new(
                        coord! { x: 100.0, y: 35.0 },
                        coord! { x: 101.0, y: 36.0 },
                    ))
                )
        );
    }

    /// Karney's geodesic length of the rings on the CGCS2000 ellipsoid.
    fn geodesic_perimeter(p: &Polygon<f64>, crs: &Crs) -> f64 {
        use geographiclib_rs::InverseGeodesic;
        let geod = Geodesic::new(SEMI_MAJOR_AXIS, FLATTENING);
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.0.windows(2))
            .map(|w| {
                let (lon1, lat1) = crs.to_lonlat(w[0].x, w[0].y);
                let (lon2, lat2) = crs.to_lonlat(w[1].x, w[1].y);
                let s12: f64 = geod.inverse(lat1, lon1, lat2, lon2);
                s12
            })
            .sum()
    }

    #[test]
    fn perimeter_agrees_with_geodesic_length_in_every_crs() {
        let mut worst = 0.0_f64;
        for (code, lon, lat) in [
            (4490, 103.2, 35.6),
            (4522, 103.2, 35.6),
            (4523, 103.6, 35.4),
            (4490, 87.6, 43.8),
        ] {
            let crs = crs(code);
            for area in [1e2, 1e6, 1e8] {
                // Undensified: edges of tens of metres to several kilometres.
                let p = parcel(&crs, lon, lat, area, f64::INFINITY);
                let geodesic = geodesic_perimeter(&p, &crs);
                worst = worst.max((perimeter(&p, &crs) - geodesic).abs() / geodesic);
            }
        }
        assert!(worst < 1e-6, "relative difference {worst:.3e}");
    }

    #[test]
    fn holes_are_subtracted() {
        let crs = crs(4522);
        let outer = polygon![
            (x: 34_400_000.0, y: 3_940_000.0),
            (x: 34_401_000.0, y: 3_940_000.0),
            (x: 34_401_000.0, y: 3_941_000.0),
            (x: 34_400_000.0, y: 3_941_000.0),
        ];
        let hole = polygon![
            (x: 34_400_200.0, y: 3_940_200.0),
            (x: 34_400_200.0, y: 3_940_500.0),
            (x: 34_400_600.0, y: 3_940_500.0),
            (x: 34_400_600.0, y: 3_940_200.0),
        ];
        let with_hole = Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        let expected = polygon_area(&outer, &crs) - polygon_area(&hole, &crs);
        assert!((polygon_area(&with_hole, &crs) - expected).abs() < 1e-9);
        // A 1 km square near the central meridian is 1 km² to within the scale error.
        assert!((polygon_area(&outer, &crs) - 1e6).abs() < 1e3);
        assert!((polygon_area(&hole, &crs) - 1.2e5).abs() < 1e2);
    }

    #[test]
    fn orientation_and_closure_do_not_matter() {
        let crs = crs(4523);
        let p = parcel(&crs, 104.1, 35.8, 5e4, 5.0);
        let mut reversed = p.exterior().0.clone();
        reversed.reverse();
        let open = LineString::new(p.exterior().0[..p.exterior().0.len() - 1].to_vec());
        let ccw = polygon_area(&p, &crs);
        let cw = ring_area(&LineString::new(reversed), &crs);
        assert!((ccw - cw).abs() < 1e-9, "{ccw} vs {cw}");
        assert!((ring_area(&open, &crs) - ccw).abs() < 1e-9);
    }

    #[test]
    fn multipolygons_and_collections_sum() {
        let crs = crs(4523);
        let a = parcel(&crs, 104.1, 35.8, 5e4, 5.0);
        let b = parcel(&crs, 104.3, 35.9, 2e5, 5.0);
        let sum = polygon_area(&a, &crs) + polygon_area(&b, &crs);
        let mp = MultiPolygon::new(vec![a.clone(), b.clone()]);
        assert!((geometry_area(&mp.clone().into(), &crs) - sum).abs() < 1e-9);
        let gc =
            GeometryCollection::new_from(vec![a.into(), Point::new(0.0, 0.0).into(), b.into()]);
        assert!((geometry_area(&Geometry::GeometryCollection(gc), &crs) - sum).abs() < 1e-9);
    }

    #[test]
    fn rect_and_triangle_match_polygons() {
        let crs = crs(4543);
        let (min, max) = (
            coord! { x: 480_000.0, y: 3_950_000.0 },
            coord! { x: 480_700.0, y: 3_950_300.0 },
        );
        let rect = Rect::new(min, max);
        let from_rect = geometry_area(&rect.into(), &crs);
        assert!((from_rect - polygon_area(&rect.to_polygon(), &crs)).abs() < 1e-9);
        let tri = Triangle::new(min, coord! { x: max.x, y: min.y }, max);
        let from_tri = geometry_area(&tri.into(), &crs);
        assert!((from_tri - polygon_area(&tri.to_polygon(), &crs)).abs() < 1e-9);
    }

    #[test]
    fn non_areal_geometries_have_no_area() {
        let crs = crs(4522);
        let line = LineString::from(vec![
            (34_400_000.0, 3_940_000.0),
            (34_401_000.0, 3_941_000.0),
        ]);
        assert_eq!(geometry_area(&line.into(), &crs), 0.0);
        assert_eq!(
            geometry_area(&Point::new(34_400_000.0, 3_940_000.0).into(), &crs),
            0.0
        );
        assert_eq!(
            polygon_area(&Polygon::new(LineString::new(vec![]), vec![]), &crs),
            0.0
        );
    }
}
