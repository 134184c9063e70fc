//! The CGCS2000 coordinate reference systems a survey package may declare.
//!
//! All of them share the CGCS2000 ellipsoid (a = 6 378 137 m, 1/f = 298.257222101). The projected
//! ones are Gauss-Krüger (transverse Mercator) with scale factor 1 on the central meridian, false
//! northing 0 and latitude of origin 0:
//!
//! | EPSG        | band | zones   | central meridian  | false easting        | name                                       |
//! |-------------|------|---------|-------------------|----------------------|--------------------------------------------|
//! | 4490        | —    | —       | —                 | —                    | geographic, longitude/latitude in degrees  |
//! | 4491–4501   | 6°   | 13–23   | 6·zone − 3 (75–135°E) | zone·10⁶ + 500 000 | CGCS2000 / Gauss-Kruger zone 13 …          |
//! | 4502–4512   | 6°   | 13–23   | 75–135°E          | 500 000              | CGCS2000 / Gauss-Kruger CM 75E …           |
//! | 4513–4533   | 3°   | 25–45   | 3·zone (75–135°E) | zone·10⁶ + 500 000   | CGCS2000 / 3-degree Gauss-Kruger zone 25 … |
//! | 4534–4554   | 3°   | 25–45   | 75–135°E          | 500 000              | CGCS2000 / 3-degree Gauss-Kruger CM 75E …  |
//!
//! `scripts/gk_reference.py` checks every row of this table (name, central meridian, false
//! easting, k = 1, FN = 0, ellipsoid, axis order north/east) against the EPSG database of PROJ
//! 9.5.1 before it writes the reference points. EPSG's axis order is northing, easting, but
//! FlatGeobuf, GeoJSON and shapefiles store the easting as x, so every function here takes and
//! returns `(x = easting, y = northing)` and `(x = longitude, y = latitude)`.

use super::gk;

/// Semi-major axis of the CGCS2000 ellipsoid, metres.
pub const SEMI_MAJOR_AXIS: f64 = 6_378_137.0;
/// Flattening of the CGCS2000 ellipsoid. It differs from GRS 80 (1/298.257222100882711) by less
/// than 10⁻¹⁵, far below a millimetre anywhere, but the official value is used regardless.
pub const FLATTENING: f64 = 1.0 / 298.257_222_101;

/// A coordinate reference system accepted in a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// EPSG:4490, longitude and latitude in degrees.
    Geographic,
    /// One of EPSG:4491–4554.
    GaussKruger(GaussKruger),
}

/// Width of a Gauss-Krüger band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneWidth {
    /// 3° bands, zones 25–45; the width used by land surveys at 1:500–1:10 000.
    Three,
    /// 6° bands, zones 13–23.
    Six,
}

impl ZoneWidth {
    /// The band width in degrees of longitude.
    pub fn degrees(self) -> f64 {
        match self {
            ZoneWidth::Three => 3.0,
            ZoneWidth::Six => 6.0,
        }
    }
}

/// A CGCS2000 Gauss-Krüger zone, with or without the zone number in the easting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GaussKruger {
    width: ZoneWidth,
    zone: u32,
    prefixed: bool,
}

impl Crs {
    /// The CRS of an EPSG code, or `None` if the code is not a CGCS2000 CRS that packages may use.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        let (width, zone, prefixed) = match code {
            4490 => return Some(Crs::Geographic),
            4491..=4501 => (ZoneWidth::Six, code - 4491 + 13, true),
            4502..=4512 => (ZoneWidth::Six, code - 4502 + 13, false),
            4513..=4533 => (ZoneWidth::Three, code - 4513 + 25, true),
            4534..=4554 => (ZoneWidth::Three, code - 4534 + 25, false),
            _ => return None,
        };
        Some(Crs::GaussKruger(GaussKruger {
            width,
            zone,
            prefixed,
        }))
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        match self {
            Crs::Geographic => 4490,
            Crs::GaussKruger(gk) => gk.epsg(),
        }
    }

    /// The EPSG name, e.g. "CGCS2000 / 3-degree Gauss-Kruger zone 34".
    pub fn name(&self) -> String {
        match self {
            Crs::Geographic => "China Geodetic Coordinate System 2000".to_owned(),
            Crs::GaussKruger(gk) => gk.name(),
        }
    }

    /// The zone of a projected CRS, `None` for EPSG:4490.
    pub fn gauss_kruger(&self) -> Option<&GaussKruger> {
        match self {
            Crs::Geographic => None,
            Crs::GaussKruger(gk) => Some(gk),
        }
    }

    /// Longitude and latitude in degrees of a point stored as `(x, y)` in this CRS.
    pub fn to_lonlat(&self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Crs::Geographic => (x, y),
            Crs::GaussKruger(gk) => gk.to_lonlat(x, y),
        }
    }

    /// The stored `(x, y)` in this CRS of a longitude and latitude in degrees.
    pub fn from_lonlat(&self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Geographic => (lon, lat),
            Crs::GaussKruger(gk) => gk.from_lonlat(lon, lat),
        }
    }
}

impl GaussKruger {
    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        match (self.width, self.prefixed) {
            (ZoneWidth::Six, true) => 4491 + self.zone - 13,
            (ZoneWidth::Six, false) => 4502 + self.zone - 13,
            (ZoneWidth::Three, true) => 4513 + self.zone - 25,
            (ZoneWidth::Three, false) => 4534 + self.zone - 25,
        }
    }

    /// The EPSG name, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 105E".
    pub fn name(&self) -> String {
        let band = match self.width {
            ZoneWidth::Three => "3-degree ",
            ZoneWidth::Six => "",
        };
        if self.prefixed {
            format!("CGCS2000 / {band}Gauss-Kruger zone {}", self.zone)
        } else {
            format!(
                "CGCS2000 / {band}Gauss-Kruger CM {}E",
                self.central_meridian()
            )
        }
    }

    /// The band width.
    pub fn width(&self) -> ZoneWidth {
        self.width
    }

    /// The zone number (13–23 for 6° bands, 25–45 for 3° bands), also for the "CM" forms whose
    /// eastings do not carry it.
    pub fn zone(&self) -> u32 {
        self.zone
    }

    /// Whether the easting carries the zone number, i.e. `easting div 10⁶ == zone`.
    pub fn prefixed(&self) -> bool {
        self.prefixed
    }

    /// The central meridian, degrees east.
    pub fn central_meridian(&self) -> f64 {
        match self.width {
            ZoneWidth::Three => 3.0 * f64::from(self.zone),
            ZoneWidth::Six => 6.0 * f64::from(self.zone) - 3.0,
        }
    }

    /// The western edge of the band, degrees east.
    pub fn band_west(&self) -> f64 {
        self.central_meridian() - self.width.degrees() / 2.0
    }

    /// The eastern edge of the band, degrees east.
    pub fn band_east(&self) -> f64 {
        self.central_meridian() + self.width.degrees() / 2.0
    }

    /// The false easting in metres: 500 km, plus the zone number in millions if prefixed.
    pub fn false_easting(&self) -> f64 {
        let prefix = if self.prefixed {
            f64::from(self.zone) * 1e6
        } else {
            0.0
        };
        prefix + 500_000.0
    }

    /// Longitude and latitude in degrees of a point at `(easting, northing)`.
    pub fn to_lonlat(&self, easting: f64, northing: f64) -> (f64, f64) {
        let (lam, phi) = gk::inverse(easting - self.false_easting(), northing);
        (self.central_meridian() + lam.to_degrees(), phi.to_degrees())
    }

    /// `(easting, northing)` of a longitude and latitude in degrees.
    pub fn from_lonlat(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = gk::forward(
            (lon - self.central_meridian()).to_radians(),
            lat.to_radians(),
        );
        (x + self.false_easting(), y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_round_trip_and_match_the_table() {
        assert_eq!(Crs::from_epsg(4490), Some(Crs::Geographic));
        assert_eq!(Crs::Geographic.epsg(), 4490);
        for code in [4489, 4555, 4326, 2383, 0] {
            assert_eq!(Crs::from_epsg(code), None, "EPSG:{code}");
        }
        for code in 4491..=4554 {
            let crs = Crs::from_epsg(code).expect("accepted code");
            assert_eq!(crs.epsg(), code);
            let gk = crs.gauss_kruger().expect("projected");
            let cm = gk.central_meridian();
            assert!((75.0..=135.0).contains(&cm), "EPSG:{code} CM {cm}");
            assert_eq!(gk.band_east() - gk.band_west(), gk.width().degrees());
            assert_eq!((gk.band_east() + gk.band_west()) / 2.0, cm);
            if gk.prefixed() {
                assert_eq!(gk.false_easting(), f64::from(gk.zone()) * 1e6 + 500_000.0);
            } else {
                assert_eq!(gk.false_easting(), 500_000.0);
            }
        }
    }

    #[test]
    fn linxia_zones() {
        let z34 = *Crs::from_epsg(4522).unwrap().gauss_kruger().unwrap();
        assert_eq!(
            (
                z34.zone(),
                z34.central_meridian(),
                z34.band_west(),
                z34.band_east()
            ),
            (34, 102.0, 100.5, 103.5)
        );
        assert_eq!(z34.false_easting(), 34_500_000.0);
        assert_eq!(z34.name(), "CGCS2000 / 3-degree Gauss-Kruger zone 34");

        let z35 = *Crs::from_epsg(4544).unwrap().gauss_kruger().unwrap();
        assert_eq!((z35.zone(), z35.central_meridian()), (35, 105.0));
        assert!(!z35.prefixed());
        assert_eq!(z35.false_easting(), 500_000.0);
        assert_eq!(z35.name(), "CGCS2000 / 3-degree Gauss-Kruger CM 105E");
    }

    #[test]
    fn names_follow_epsg() {
        let name = |code| Crs::from_epsg(code).unwrap().name();
        assert_eq!(name(4490), "China Geodetic Coordinate System 2000");
        assert_eq!(name(4491), "CGCS2000 / Gauss-Kruger zone 13");
        assert_eq!(name(4501), "CGCS2000 / Gauss-Kruger zone 23");
        assert_eq!(name(4502), "CGCS2000 / Gauss-Kruger CM 75E");
        assert_eq!(name(4512), "CGCS2000 / Gauss-Kruger CM 135E");
        assert_eq!(name(4513), "CGCS2000 / 3-degree Gauss-Kruger zone 25");
        assert_eq!(name(4533), "CGCS2000 / 3-degree Gauss-Kruger zone 45");
        assert_eq!(name(4534), "CGCS2000 / 3-degree Gauss-Kruger CM 75E");
        assert_eq!(name(4554), "CGCS2000 / 3-degree Gauss-Kruger CM 135E");
    }

    #[test]
    fn geographic_is_identity() {
        assert_eq!(Crs::Geographic.to_lonlat(103.2, 35.6), (103.2, 35.6));
        assert_eq!(Crs::Geographic.from_lonlat(103.2, 35.6), (103.2, 35.6));
    }

    /// `(crs, lon, lat, easting, northing)` computed by PROJ 9.5.1 (`scripts/gk_reference.py`).
    fn pyproj_points() -> Vec<(Crs, f64, f64, f64, f64)> {
        include_str!("../../tests/data/gk_reference.csv")
            .lines()
            .skip(1)
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                let num = |i: usize| f[i].parse::<f64>().expect("number");
                let crs = Crs::from_epsg(f[0].parse().expect("code")).expect("accepted code");
                (crs, num(1), num(2), num(3), num(4))
            })
            .collect()
    }

    #[test]
    fn forward_matches_pyproj() {
        let points = pyproj_points();
        assert!(points.len() >= 200);
        let mut worst = (0.0_f64, 0);
        for (crs, lon, lat, e, n) in &points {
            let (x, y) = crs.from_lonlat(*lon, *lat);
            let err = (x - e).hypot(y - n);
            if err > worst.0 {
                worst = (err, crs.epsg());
            }
        }
        assert!(
            worst.0 < 1e-3,
            "max forward error {:.3e} m (EPSG:{})",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn inverse_matches_pyproj() {
        let mut worst_deg = 0.0_f64;
        let mut worst_m = 0.0_f64;
        for (crs, lon, lat, e, n) in pyproj_points() {
            let (lon2, lat2) = crs.to_lonlat(e, n);
            worst_deg = worst_deg.max((lon2 - lon).abs()).max((lat2 - lat).abs());
            let (x, y) = crs.from_lonlat(lon2, lat2);
            worst_m = worst_m.max((x - e).hypot(y - n));
        }
        assert!(
            worst_deg < 1e-8 && worst_m < 1e-3,
            "max inverse error {worst_deg:.3e}°, {worst_m:.3e} m after re-projection"
        );
    }

    #[test]
    fn central_meridian_maps_to_false_easting() {
        let crs = Crs::from_epsg(4523).unwrap();
        let (x, _) = crs.from_lonlat(105.0, 35.5);
        assert_eq!(x, 35_500_000.0);
        let (lon, lat) = crs.to_lonlat(35_500_000.0, 0.0);
        assert_eq!((lon, lat), (105.0, 0.0));
    }
}
