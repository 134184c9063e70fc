//! CRS descriptions in WKT (ESRI and OGC WKT1, WKT2) recognised as EPSG codes: the `.prj` of a
//! shapefile, and any layer that declares its CRS only as WKT.

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
/// `OTHER_GEOGRAPHIC` by its datum, or any CRS by its EPSG authority code.
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
}
