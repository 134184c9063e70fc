//! Shape defects that leave a geometry valid but betray digitising errors: repeated vertices,
//! spikes and very short segments (三调 QA: 回头线, 短线; domain notes T07).

use geo::{Coord, Geometry, LineString};

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
}
