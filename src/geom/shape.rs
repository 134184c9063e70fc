//! Shape defects that leave a geometry valid but betray digitising errors: repeated vertices,
//! spikes and very short segments (三调 QA: 回头线, 短线; domain notes T07).

use geo::{Coord, Geometry, LineString};

use super::crs::{Crs, FLATTENING, SEMI_MAJOR_AXIS};

/// Coordinates in metres for the shape tests, whose thresholds are metres and true angles.
/// Gauss-Krüger coordinates are taken as they are: conformal, so angles are true, and lengths
/// within k − 1 < 0.1 % of the ground's. Lon/lat ones go onto the plane tangent at a vertex of
/// the ring: x = ΔL·N·cos B₀, y = ΔB·M (radii of curvature at B₀). Over a parcel of a few km this
/// scale is off by about ΔB·tan B₀ (< 0.1 % for 1 km at 54°N), where degrees themselves would be
/// off by a factor cos B₀ between east-west and north-south (0.81 at 36°N).
#[derive(Debug, Clone, Copy)]
pub struct Local {
    origin: Coord<f64>,
    /// Metres per unit of x and of y.
    scale: Coord<f64>,
}

impl Local {
    /// The plane for the ring around `at` in `crs`; without a CRS, the coordinates as metres.
    pub fn new(crs: Option<&Crs>, at: Coord<f64>) -> Local {
        let scale = match crs {
            None | Some(Crs::GaussKruger(_)) => Coord { x: 1.0, y: 1.0 },
            Some(Crs::Geographic) => {
                let e2 = FLATTENING * (2.0 - FLATTENING);
                let (sin_b, cos_b) = at.y.to_radians().sin_cos();
                let w2 = 1.0 - e2 * sin_b * sin_b;
                let n = SEMI_MAJOR_AXIS / w2.sqrt();
                let m = n * (1.0 - e2) / w2;
                let per_degree = std::f64::consts::PI / 180.0;
                Coord {
                    x: n * cos_b * per_degree,
                    y: m * per_degree,
                }
            }
        };
        Local { origin: at, scale }
    }

    /// `ring` on the plane, in metres.
    pub fn ring(&self, ring: &LineString<f64>) -> LineString<f64> {
        ring.0
            .iter()
            .map(|&c| Coord {
                x: (c.x - self.origin.x) * self.scale.x,
                y: (c.y - self.origin.y) * self.scale.y,
            })
            .collect()
    }

    /// A point of the plane back in the CRS.
    pub fn back(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.origin.x + c.x / self.scale.x,
            y: self.origin.y + c.y / self.scale.y,
        }
    }
}

/// The rings of a polygonal geometry (exteriors and holes), in order.
pub fn rings(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).collect(),
        Geometry::MultiPolygon(mp) => mp
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect(),
        _ => vec![],
    }
}

/// Vertices equal to the one before them (the closing vertex excepted).
pub fn repeated_points(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    ring.0
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[1])
        .collect()
}

/// The distinct vertices of a closed ring, without its closing repeat.
fn vertices(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v: Vec<Coord<f64>> = ring.0.clone();
    v.dedup();
    if v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v
}

/// Vertices where the ring turns back on itself: the angle between the edge in and the edge out
/// is below `max_degrees`.
pub fn spikes(ring: &LineString<f64>, max_degrees: f64) -> Vec<Coord<f64>> {
    let v = vertices(ring);
    let n = v.len();
    if n < 3 {
        return vec![];
    }
    (0..n)
        .filter_map(|i| {
            let (prev, here, next) = (v[(i + n - 1) % n], v[i], v[(i + 1) % n]);
            let (a, b) = (prev - here, next - here);
            let cos = (a.x * b.x + a.y * b.y) / (a.x.hypot(a.y) * b.x.hypot(b.y));
            let angle = cos.clamp(-1.0, 1.0).acos().to_degrees();
            (angle < max_degrees).then_some(here)
        })
        .collect()
}

/// Midpoints of segments shorter than `min_length` (zero-length ones are repeated points).
pub fn short_segments(ring: &LineString<f64>, min_length: f64) -> Vec<Coord<f64>> {
    ring.0
        .windows(2)
        .filter(|w| w[0] != w[1])
        .filter(|w| (w[1] - w[0]).x.hypot((w[1] - w[0]).y) < min_length)
        .map(|w| (w[0] + w[1]) / 2.0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_string;

    #[test]
    fn spike_repeat_and_short_segment() {
        // A square with a 1 m wide, 50 m long spike out of its top edge, a repeated vertex and a
        // 0.1 m step.
        let ring = line_string![
            (x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.),
            (x: 50.5, y: 100.), (x: 50., y: 150.), (x: 49.5, y: 100.),
            (x: 0.1, y: 100.), (x: 0., y: 100.), (x: 0., y: 0.)
        ];
        assert_eq!(repeated_points(&ring), vec![Coord { x: 100., y: 0. }]);
        assert_eq!(spikes(&ring, 5.0), vec![Coord { x: 50., y: 150. }]);
        assert_eq!(short_segments(&ring, 0.2), vec![Coord { x: 0.05, y: 100. }]);
        assert!(spikes(&ring, 1.0).is_empty());
    }

    #[test]
    fn lonlat_rings_are_measured_in_metres() {
        // The same square parcel as above, 100 m a side, written in lon/lat at 36°N: its 0.1 m
        // step and its spike are found by thresholds in metres and true degrees, at their place.
        let (lon0, lat0) = (103.2, 36.0);
        let local = Local::new(Some(&Crs::Geographic), Coord { x: lon0, y: lat0 });
        let metres = line_string![
            (x: 0., y: 0.), (x: 100., y: 0.), (x: 100., y: 100.),
            (x: 50.5, y: 100.), (x: 50., y: 150.), (x: 49.5, y: 100.),
            (x: 0.1, y: 100.), (x: 0., y: 100.), (x: 0., y: 0.)
        ];
        let lonlat: LineString<f64> = metres.0.iter().map(|&c| local.back(c)).collect();
        // About 111 km per degree of latitude, 90 km per degree of longitude here.
        let side = lonlat.0[1].x - lonlat.0[0].x;
        assert!((side * 90_000.0 - 100.0).abs() < 0.5, "{side}°");
        let plane = local.ring(&lonlat);
        let short = short_segments(&plane, 0.2);
        assert_eq!(short.len(), 1);
        let at = local.back(short[0]);
        assert!(
            (at.x - (lon0 + 0.05 / local.scale.x)).abs() < 1e-12
                && (at.y - lonlat.0[6].y).abs() < 1e-12
        );
        assert_eq!(spikes(&plane, 5.0).len(), 1);
        // In degrees the 0.1 m step is 1.1e-6 long and would pass any metre threshold.
        assert_eq!(short_segments(&lonlat, 0.2).len(), 8);
    }
}
