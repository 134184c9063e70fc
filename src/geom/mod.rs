//! Geometry on CGCS2000: CRSs, Gauss-Krüger projection and the official ellipsoidal area.
//! Plain functions over geo types; they know nothing of rules or reports.

pub mod area;
pub mod crs;
pub mod fit;
pub mod gk;
pub mod shape;
pub mod simplify;
pub mod sweep;
pub mod topology;
pub mod validity;
pub mod wkt;

use geo::{Coord, Rect};

/// The smallest rectangle holding all of `rects`, `None` for none.
pub fn bounds(rects: impl IntoIterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.into_iter().reduce(|a, b| {
        Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        )
    })
}
