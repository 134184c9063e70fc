//! Findings, the one product of every check: what is wrong, where (features and geometry), how
//! serious, with what each rule evaluated and skipped. The engine's result for one rule
//! ([`RuleRun`]) gathers them; reports render them.

pub mod exception;
pub mod fingerprint;

use geo::{Geometry, LineString};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::quality::DefectClass;

/// One feature (or table row) a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct FeatureId {
    /// 0-based feature index in the layer file (row index in a table).
    pub fid: usize,
    /// The value of the layer's key field(s) (joined with `/` for a composite key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// The second side of a finding about a pair, e.g. the red-line zone a unit overlaps.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Related {
    /// The layer or table of that side.
    pub layer: String,
    /// Its features, as on the finding's own side.
    pub feature_ids: Vec<FeatureId>,
}

/// One defect: what is wrong, where and how serious; an entry of report.json's `findings`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    /// The id of the rule that found it, e.g. `ZR-N001`.
    pub rule_id: String,
    /// The rule's defect class.
    pub class: DefectClass,
    /// The rule's quality element (one of `quality::ELEMENTS`).
    pub element: String,
    /// The layer or table the features belong to.
    pub layer: String,
    /// The features or rows it is about; empty for a finding about the layer or table as a whole.
    pub feature_ids: Vec<FeatureId>,
    /// The other side of a finding about a pair (the zone a unit overlaps); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
    /// In Chinese, for the people who fix the data.
    pub message: String,
    /// What was found, as machine-readable values (numbers with their units, the offending value).
    pub measured: Option<Value>,
    /// What the rule asks for, in the same terms as `measured`.
    pub expected: Option<Value>,
    /// Where the defect is, in the package CRS, as a GeoJSON geometry.
    #[serde(
        serialize_with = "geometry_as_geojson",
        deserialize_with = "geometry_from_geojson"
    )]
    pub geometry: Option<Geometry<f64>>,
    /// What of its features the finding is about, when one rule can find several things wrong
    /// with the same features: a table's column, a declared CRS against a coordinate range.
    /// Part of the fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The finding's identity across runs and re-deliveries ([`fingerprint`]): 16 hex digits,
    /// with `-2`, `-3`… for findings of one rule that share everything it hashes.
    pub fingerprint: String,
    /// The accepted exception (例外) that covers this finding, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<Waiver>,
    /// Against `--baseline`: whether the finding was already in the earlier report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Since>,
}

/// An exception's mark on the finding it covers: why it is not a defect, who said so and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Waiver {
    /// Why the finding is not a defect, as the exceptions file gives it.
    pub reason: String,
    /// Who accepted it.
    pub by: String,
    /// When, `YYYY-MM-DD`.
    pub date: String,
    /// Whether it counts toward the verdict and grade under the report's profile.
    pub counted: bool,
}

/// A finding against the report of an earlier run (`nrqc check --baseline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Since {
    /// Not in the earlier report: new in this delivery.
    New,
    /// Also in the earlier report, by fingerprint: still open.
    Persisting,
}

/// A geometry in report.json's GeoJSON form, for the other documents nrqc writes and reads
/// back (a shard's maps): `None` for a geometry with a non-finite coordinate, as in report.json.
#[derive(Serialize, serde::Deserialize)]
pub struct GeoJsonGeometry(
    #[serde(
        serialize_with = "geometry_as_geojson",
        deserialize_with = "geometry_from_geojson"
    )]
    pub Option<Geometry<f64>>,
);

fn geometry_as_geojson<S: Serializer>(g: &Option<Geometry<f64>>, s: S) -> Result<S::Ok, S::Error> {
    use geo::CoordsIter;
    match g {
        // JSON has no NaN or infinity: such a geometry (a finding of geometry_valid about a
        // non-finite coordinate) is left out; the finding names its feature.
        Some(g)
            if g.coords_iter()
                .any(|c| !(c.x.is_finite() && c.y.is_finite())) =>
        {
            s.serialize_none()
        }
        None => s.serialize_none(),
        Some(g) => GeoJson(g).serialize(s),
    }
}

/// A geometry as [`geometry_as_geojson`] wrote it, read back (`nrqc merge` reads a shard's
/// reports): the same coordinates, since each ordinate was written in its shortest exact form.
/// A `Rect`, `Triangle` or `Line` comes back as the polygon or line string it was written as.
fn geometry_from_geojson<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Geometry<f64>>, D::Error> {
    use serde::Deserialize;
    type Xy = [f64; 2];
    #[derive(Deserialize)]
    #[serde(tag = "type")]
    enum Raw {
        Point { coordinates: Xy },
        LineString { coordinates: Vec<Xy> },
        Polygon { coordinates: Vec<Vec<Xy>> },
        MultiPoint { coordinates: Vec<Xy> },
        MultiLineString { coordinates: Vec<Vec<Xy>> },
        MultiPolygon { coordinates: Vec<Vec<Vec<Xy>>> },
        GeometryCollection { geometries: Vec<Raw> },
    }
    fn line(points: Vec<Xy>) -> LineString<f64> {
        points
            .into_iter()
            .map(|[x, y]| geo::coord! { x: x, y: y })
            .collect()
    }
    fn polygon(rings: Vec<Vec<Xy>>) -> geo::Polygon<f64> {
        let mut rings = rings.into_iter().map(line);
        let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
        geo::Polygon::new(exterior, rings.collect())
    }
    fn geometry(raw: Raw) -> Geometry<f64> {
        match raw {
            Raw::Point {
                coordinates: [x, y],
            } => geo::Point::new(x, y).into(),
            Raw::LineString { coordinates } => line(coordinates).into(),
            Raw::Polygon { coordinates } => polygon(coordinates).into(),
            Raw::MultiPoint { coordinates } => geo::MultiPoint::new(
                coordinates
                    .into_iter()
                    .map(|[x, y]| geo::Point::new(x, y))
                    .collect(),
            )
            .into(),
            Raw::MultiLineString { coordinates } => {
                geo::MultiLineString::new(coordinates.into_iter().map(line).collect()).into()
            }
            Raw::MultiPolygon { coordinates } => {
                geo::MultiPolygon::new(coordinates.into_iter().map(polygon).collect()).into()
            }
            Raw::GeometryCollection { geometries } => Geometry::GeometryCollection(
                geo::GeometryCollection::new_from(geometries.into_iter().map(geometry).collect()),
            ),
        }
    }
    Ok(Option::<Raw>::deserialize(d)?.map(geometry))
}

/// A geometry written as GeoJSON straight from its coordinates. Going through geozero's GeoJSON
/// text and a parsed `Value` held about 400 bytes per vertex at once (19 MB for a finding on a
/// unit of 50,000 vertices). Keys come in `Value`'s order, as report.json always had them.
struct GeoJson<'a>(&'a Geometry<f64>);

impl Serialize for GeoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        match self.0 {
            Geometry::Point(p) => map.serialize_entry("coordinates", &Xy(p.0))?,
            Geometry::Line(l) => map.serialize_entry("coordinates", &Ring(&[l.start, l.end]))?,
            Geometry::LineString(l) => map.serialize_entry("coordinates", &Ring::of(l))?,
            Geometry::Polygon(p) => map.serialize_entry("coordinates", &Rings(p))?,
            Geometry::Rect(r) => map.serialize_entry("coordinates", &Rings(&r.to_polygon()))?,
            Geometry::Triangle(t) => map.serialize_entry("coordinates", &Rings(&t.to_polygon()))?,
            Geometry::MultiPoint(m) => {
                map.serialize_entry("coordinates", &Each(&m.0, |p: &geo::Point<f64>| Xy(p.0)))?
            }
            Geometry::MultiLineString(m) => {
                map.serialize_entry("coordinates", &Each(&m.0, Ring::of))?
            }
            Geometry::MultiPolygon(m) => map.serialize_entry("coordinates", &Each(&m.0, Rings))?,
            Geometry::GeometryCollection(c) => {
                map.serialize_entry("geometries", &Each(&c.0, GeoJson))?
            }
        }
        let kind = match self.0 {
            Geometry::Point(_) => "Point",
            Geometry::Line(_) | Geometry::LineString(_) => "LineString",
            Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::MultiPolygon(_) => "MultiPolygon",
            Geometry::GeometryCollection(_) => "GeometryCollection",
        };
        map.serialize_entry("type", kind)?;
        map.end()
    }
}

/// `items`, each written as `f` makes it.
struct Each<'a, T, F>(&'a [T], F);

impl<'a, T, U: Serialize, F: Fn(&'a T) -> U> Serialize for Each<'a, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(&self.1))
    }
}

/// A polygon's rings, exterior first.
struct Rings<'a>(&'a geo::Polygon<f64>);

impl Serialize for Rings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rings = std::iter::once(self.0.exterior()).chain(self.0.interiors());
        s.collect_seq(rings.map(Ring::of))
    }
}

struct Ring<'a>(&'a [geo::Coord<f64>]);

impl Ring<'_> {
    fn of(line: &LineString<f64>) -> Ring<'_> {
        Ring(&line.0)
    }
}

impl Serialize for Ring<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&c| Xy(c)))
    }
}

struct Xy(geo::Coord<f64>);

impl Serialize for Xy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq([Ordinate(self.0.x), Ordinate(self.0.y)])
    }
}

/// A finite ordinate; an integral one is written without a decimal point, as report.json
/// always had it (`[500000,3950000]`).
struct Ordinate(f64);

impl Serialize for Ordinate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        let x = self.0;
        if x.fract() == 0.0 && x.is_sign_positive() && x < 2.0 * TWO_63 {
            s.serialize_u64(x as u64)
        } else if x.fract() == 0.0 && (-TWO_63..0.0).contains(&x) {
            s.serialize_i64(x as i64)
        } else {
            s.serialize_f64(x)
        }
    }
}

/// A rule's result in a run: report.json's `status`, in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran and found nothing.
    Passed,
    /// Ran and found defects.
    Failed,
    /// The check could not run (a layer or field it needs is missing, its data cannot be
    /// evaluated). A package with such a rule cannot pass.
    NotRun,
    /// The rule concerns an optional layer or table the package does not deliver.
    NotApplicable,
}

/// What a rule's check counts as one thing evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Features of a layer.
    Features,
    /// Rows of a table.
    Rows,
    /// Pairs of features the rule decided (every pair of a group, or of the two sides).
    Pairs,
    /// Equations of a statistics table (a total against its parts).
    Equations,
    /// Layers or tables, for checks about a whole delivery.
    Frames,
    /// Fields of a layer or table.
    Fields,
    /// Delivered files.
    Files,
    /// Packages of a batch, for the cross-package rules.
    Packages,
}

impl Unit {
    /// The counter word and noun, e.g. `个要素`.
    pub fn zh(self) -> &'static str {
        match self {
            Unit::Features => "个要素",
            Unit::Rows => "行",
            Unit::Pairs => "对要素",
            Unit::Equations => "个等式",
            Unit::Frames => "个图层或表",
            Unit::Fields => "个字段",
            Unit::Files => "个文件",
            Unit::Packages => "个成果包",
        }
    }

    /// The unit in English for `n` of them: `1 feature`, `2 features`.
    pub fn en_of(self, n: usize) -> &'static str {
        match (n, self) {
            (1, Unit::Frames) => "layer or table",
            // The other plurals are the singular and an s.
            (1, u) => u.en().trim_end_matches('s'),
            (_, u) => u.en(),
        }
    }

    /// The unit in English, plural: `features`, `pairs`, ....
    pub fn en(self) -> &'static str {
        match self {
            Unit::Features => "features",
            Unit::Rows => "rows",
            Unit::Pairs => "pairs",
            Unit::Equations => "equations",
            Unit::Frames => "layers or tables",
            Unit::Fields => "fields",
            Unit::Files => "files",
            Unit::Packages => "packages",
        }
    }
}

/// Things a rule left unchecked for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Skipped {
    /// How many, in `unit`s.
    pub count: usize,
    /// What was counted: features, rows, pairs...
    pub unit: Unit,
    /// Why they could not be checked, in Chinese as the report shows it.
    pub reason: String,
}

/// What a rule evaluated and what it skipped, so that no pass hides what was not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Coverage {
    /// How many things were checked, in `unit`s; `None` when the rule did not run.
    pub checked: Option<usize>,
    /// What `checked` counts; `None` when nothing was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// What was left unchecked, by reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

impl Coverage {
    /// `3 个要素未检查：几何无效；2 对要素未检查：…`, or `None` when nothing was skipped.
    pub fn skipped_zh(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            self.skipped
                .iter()
                .map(|s| format!("{} {}未检查：{}", s.count, s.unit.zh(), s.reason))
                .collect::<Vec<_>>()
                .join("；")
        })
    }

    /// `3 features not checked: 几何无效; 1 pair not checked: …` (the reasons as the rule gives
    /// them), or `None` when nothing was skipped.
    pub fn skipped_en(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            self.skipped
                .iter()
                .map(|s| {
                    format!(
                        "{} {} not checked: {}",
                        s.count,
                        s.unit.en_of(s.count),
                        s.reason
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// What was skipped in `lang`.
    pub fn skipped_in(&self, lang: crate::i18n::Lang) -> Option<String> {
        match lang {
            crate::i18n::Lang::Zh => self.skipped_zh(),
            crate::i18n::Lang::En => self.skipped_en(),
        }
    }

    /// `检查 120 个要素`, with what was skipped.
    pub fn summary_zh(&self) -> Option<String> {
        let checked = self.checked?;
        let unit = self.unit.map_or("项", Unit::zh);
        let mut s = format!("检查 {checked} {unit}");
        if let Some(skipped) = self.skipped_zh() {
            s.push('；');
            s.push_str(&skipped);
        }
        Some(s)
    }
}

impl Finding {
    /// A finding of `rule_id` about `feature_ids` of `layer`, with nothing measured or expected,
    /// no geometry and no fingerprint yet.
    pub fn new(
        rule_id: &str,
        class: DefectClass,
        element: &str,
        layer: &str,
        feature_ids: Vec<FeatureId>,
        message: String,
    ) -> Finding {
        Finding {
            rule_id: rule_id.to_owned(),
            class,
            element: element.to_owned(),
            layer: layer.to_owned(),
            feature_ids,
            related: None,
            message,
            measured: None,
            expected: None,
            geometry: None,
            subject: None,
            fingerprint: String::new(),
            exception: None,
            baseline: None,
        }
    }

    /// With what of its features it is about (see `subject`).
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// With the geometry that shows where the defect is.
    pub fn with_geometry(mut self, geometry: Option<Geometry<f64>>) -> Self {
        self.geometry = geometry;
        self
    }

    /// Whether it counts toward the verdict and the grade: not when an exception covers it and
    /// the profile waives excepted findings.
    pub fn counts(&self) -> bool {
        self.exception.as_ref().is_none_or(|w| w.counted)
    }

    /// With what was measured (report.json's `measured`).
    pub fn with_measured(mut self, measured: Value) -> Self {
        self.measured = Some(measured);
        self
    }

    /// With what was expected (report.json's `expected`).
    pub fn with_expected(mut self, expected: Value) -> Self {
        self.expected = Some(expected);
        self
    }

    /// With the other side of a finding about a pair.
    pub fn with_related(mut self, related: Related) -> Self {
        self.related = Some(related);
        self
    }
}

impl FeatureId {
    /// As people read it: `key (FID n)`, or `FID n` without a key.
    pub fn label(&self) -> String {
        match &self.key {
            Some(k) => format!("{k} (FID {})", self.fid),
            None => format!("FID {}", self.fid),
        }
    }
}

/// What one rule gave when the engine ran it.
#[derive(Debug, Clone)]
pub struct RuleRun {
    /// Whether the rule passed, failed, did not run or did not apply.
    pub status: Status,
    /// Why it did not run or did not apply, in Chinese; `None` when it ran.
    pub reason: Option<String>,
    /// What the run should tell beyond its counts.
    pub notes: Vec<String>,
    /// What the check evaluated and skipped; `checked: None` when it did not run.
    pub coverage: Coverage,
    /// In the order the check produced them.
    pub findings: Vec<Finding>,
    /// Wall time from the rule's start to its end. Rules run in parallel, and a thread waiting
    /// inside one rule may run parts of others meanwhile, so the times of rules overlap.
    pub elapsed: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use geo::{coord, point, polygon, Geometry, GeometryCollection, Line, LineString, Rect};
    use geozero::ToJson;

    use super::GeoJson;

    /// The GeoJSON report.json had when it went through geozero's text and a parsed `Value`.
    fn through_geozero(g: &Geometry<f64>) -> String {
        let value: serde_json::Value = serde_json::from_str(&g.to_json().unwrap()).unwrap();
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn geojson_is_what_geozero_and_value_wrote() {
        let square = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 1.5, y: 1.25), (x: 2.0, y: 1.0), (x: 2.0, y: -0.0), (x: 1.5, y: 1.25)]],
        ];
        let line = LineString::from(vec![(35_500_123.456, 3_950_000.0), (-1e-7, -42.0)]);
        let geometries: Vec<Geometry<f64>> = vec![
            point!(x: 500_000.0, y: -3.25).into(),
            Line::new(coord! { x: 0.1, y: 0.2 }, coord! { x: -7.0, y: 1e300 }).into(),
            line.clone().into(),
            square.clone().into(),
            Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 1.0, y: 2.5 }).into(),
            geo::Triangle::new(
                coord! { x: 0.0, y: 0.0 },
                coord! { x: 1.0, y: 0.0 },
                coord! { x: 0.0, y: 1.0 },
            )
            .into(),
            geo::MultiPoint::from(vec![(1.0, 2.0), (3.5, -4.0)]).into(),
            geo::MultiPoint::<f64>::new(vec![]).into(),
            geo::MultiLineString::new(vec![line.clone(), line]).into(),
            geo::MultiPolygon::new(vec![square.clone(), square.clone()]).into(),
            Geometry::GeometryCollection(GeometryCollection::new_from(vec![
                square.into(),
                point!(x: 1.0, y: 1.0).into(),
            ])),
        ];
        for g in &geometries {
            let direct = serde_json::to_string(&GeoJson(g)).unwrap();
            assert_eq!(direct, through_geozero(g), "{g:?}");
        }
    }
}
