//! Whether coordinates fit the CRS they are declared in: the zone prefix of the easting, the
//! zone's longitude band, China's extent, and the axis order.
//!
//! Tested on a feature's bounding box: its corners bound the feature's eastings and northings
//! exactly, and its longitudes to well within the band margin.

use geo::Rect;

use super::crs::Crs;

/// How far coordinates may stray before they are a defect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Degrees beyond the zone's band: a county straddling a zone line is delivered in one zone.
    pub band_margin: f64,
    /// China's extent in longitude, degrees east `(west, east)`: 73–136 by default.
    pub lon: (f64, f64),
    /// China's extent in latitude, degrees north `(south, north)`: 3–54 by default.
    pub lat: (f64, f64),
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            band_margin: 1.0,
            lon: (73.0, 136.0),
            lat: (3.0, 54.0),
        }
    }
}

/// Why coordinates do not fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Misfit {
    /// x holds northings and y eastings (or latitude and longitude).
    SwappedAxes,
    /// The easting's leading digits name another zone than the CRS's.
    ZonePrefix {
        /// The easting's whole millions of metres, e.g. 35 for 35 500 000 m.
        found: i64,
        /// The zone of the declared CRS, e.g. 34 for EPSG:4522.
        expected: u32,
    },
    /// The longitude lies beyond the zone's band by more than the margin.
    OutsideBand {
        /// Longitude of the first bounding-box corner beyond band and margin, degrees east.
        lon: f64,
        /// The band's western edge, degrees east (without the margin).
        west: f64,
        /// The band's eastern edge, degrees east (without the margin).
        east: f64,
    },
    /// The position lies outside China.
    OutsideChina {
        /// Longitude of the first bounding-box corner outside, degrees east.
        lon: f64,
        /// Latitude of that corner, degrees north.
        lat: f64,
    },
}

impl Misfit {
    /// Stable snake_case identifier (`swapped_axes`, `zone_prefix`, …): the `reason` of a
    /// finding's measured value, and how findings are grouped.
    pub fn code(&self) -> &'static str {
        match self {
            Misfit::SwappedAxes => "swapped_axes",
            Misfit::ZonePrefix { .. } => "zone_prefix",
            Misfit::OutsideBand { .. } => "outside_band",
            Misfit::OutsideChina { .. } => "outside_china",
        }
    }
}

fn in_range(v: f64, (lo, hi): (f64, f64)) -> bool {
    (lo..=hi).contains(&v)
}

/// The first reason the box's coordinates do not fit `crs`, in the order that explains most:
/// swapped axes make every other test meaningless, and a wrong prefix explains a band miss.
pub fn misfit(bbox: Rect<f64>, crs: &Crs, limits: &Limits) -> Option<Misfit> {
    let (min, max) = (bbox.min(), bbox.max());
    match crs {
        Crs::Geographic => {
            let looks_swapped = in_range(min.x, limits.lat)
                && in_range(max.x, limits.lat)
                && in_range(min.y, limits.lon)
                && in_range(max.y, limits.lon);
            if looks_swapped {
                return Some(Misfit::SwappedAxes);
            }
            outside_china([(min.x, min.y), (max.x, max.y)], limits)
        }
        Crs::GaussKruger(gk) => {
            // Northings in China run from about 330 km to 6000 km; eastings with a prefix are
            // at least 13 500 km and without one stay within a few hundred km of 500 km.
            let northing_like = |v: f64| (300_000.0..6_500_000.0).contains(&v);
            let easting_like = |v: f64| {
                if gk.prefixed() {
                    v >= 10_000_000.0
                } else {
                    (-500_000.0..1_500_000.0).contains(&v)
                }
            };
            let x_is_northing = northing_like(min.x) && northing_like(max.x);
            let y_is_easting = easting_like(min.y) && easting_like(max.y);
            let already_right = easting_like(min.x) && easting_like(max.x) && northing_like(min.y);
            if x_is_northing && y_is_easting && !already_right {
                return Some(Misfit::SwappedAxes);
            }
            if gk.prefixed() {
                for x in [min.x, max.x] {
                    let found = (x / 1_000_000.0).floor() as i64;
                    if found != i64::from(gk.zone()) {
                        return Some(Misfit::ZonePrefix {
                            found,
                            expected: gk.zone(),
                        });
                    }
                }
            }
            let corners = [
                (min.x, min.y),
                (min.x, max.y),
                (max.x, min.y),
                (max.x, max.y),
            ]
            .map(|(x, y)| crs.to_lonlat(x, y));
            let (west, east) = (
                gk.band_west() - limits.band_margin,
                gk.band_east() + limits.band_margin,
            );
            if let Some(&(lon, _)) = corners.iter().find(|(lon, _)| !(west..=east).contains(lon)) {
                return Some(Misfit::OutsideBand {
                    lon,
                    west: gk.band_west(),
                    east: gk.band_east(),
                });
            }
            outside_china(corners, limits)
        }
    }
}

fn outside_china<const N: usize>(points: [(f64, f64); N], limits: &Limits) -> Option<Misfit> {
    points
        .into_iter()
        .find(|&(lon, lat)| !in_range(lon, limits.lon) || !in_range(lat, limits.lat))
        .map(|(lon, lat)| Misfit::OutsideChina { lon, lat })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    fn rect_at(crs: &Crs, lon: f64, lat: f64) -> Rect<f64> {
        let (x, y) = crs.from_lonlat(lon, lat);
        let size = if matches!(crs, Crs::Geographic) {
            0.001
        } else {
            100.0
        };
        Rect::new(coord! { x: x, y: y }, coord! { x: x + size, y: y + size })
    }

    #[test]
    fn yongjing_in_zone_34_fits_with_the_margin() {
        let z34 = Crs::from_epsg(4522).unwrap();
        // 永靖县 reaches 103.65°E, past zone 34's band (100.5–103.5°E).
        assert_eq!(
            misfit(rect_at(&z34, 103.65, 36.0), &z34, &Limits::default()),
            None
        );
        let far = misfit(rect_at(&z34, 104.8, 36.0), &z34, &Limits::default());
        assert!(matches!(far, Some(Misfit::OutsideBand { .. })), "{far:?}");
    }

    #[test]
    fn zone_35_coordinates_in_a_zone_34_package() {
        let z34 = Crs::from_epsg(4522).unwrap();
        let z35 = Crs::from_epsg(4523).unwrap();
        let m = misfit(rect_at(&z35, 103.2, 36.0), &z34, &Limits::default());
        assert_eq!(
            m,
            Some(Misfit::ZonePrefix {
                found: 35,
                expected: 34
            })
        );
    }

    #[test]
    fn swapped_axes_are_recognised() {
        for code in [4522, 4543, 4490] {
            let crs = Crs::from_epsg(code).unwrap();
            let r = rect_at(&crs, 103.2, 36.0);
            let swapped = Rect::new(
                coord! { x: r.min().y, y: r.min().x },
                coord! { x: r.max().y, y: r.max().x },
            );
            assert_eq!(
                misfit(swapped, &crs, &Limits::default()),
                Some(Misfit::SwappedAxes),
                "{code}"
            );
            assert_eq!(misfit(r, &crs, &Limits::default()), None, "{code}");
        }
    }

    #[test]
    fn outside_china() {
        let geo = Crs::Geographic;
        let r = Rect::new(coord! { x: 2.35, y: 48.85 }, coord! { x: 2.36, y: 48.86 });
        assert!(matches!(
            misfit(r, &geo, &Limits::default()),
            Some(Misfit::OutsideChina { .. })
        ));
    }
}
