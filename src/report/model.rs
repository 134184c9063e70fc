//! The report model: one structure that every renderer reads.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Geometry, LineString};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::grade::Grading;
use crate::package::{FileDigest, InputNote, LayerCrs, Manifest, Unread};
use crate::rules::{DefectClass, Profile};

/// The version of `report.json`'s schema (docs/report-schema.md). Bump on any incompatible change.
pub const REPORT_SCHEMA: &str = "nrqc-report/1";

/// Characters of one text (a message, a measured or expected value, a feature's key, a read
/// error) that the human-readable reports (report.md, report.html, junit.xml, batch.md) show;
/// report.json and the error layer keep it whole.
pub const SHOWN_CHARS: usize = 200;

/// `s` held to about [`SHOWN_CHARS`] characters: its start and its end (where a message says
/// what is wrong with the value it quotes), with what was left out counted between them.
pub fn clip(s: &str) -> Cow<'_, str> {
    const HEAD: usize = SHOWN_CHARS * 3 / 5;
    const TAIL: usize = SHOWN_CHARS - HEAD;
    let total = s.chars().count();
    if total <= SHOWN_CHARS {
        return Cow::Borrowed(s);
    }
    let head_end = s.char_indices().nth(HEAD).map_or(s.len(), |(i, _)| i);
    let tail_start = s
        .char_indices()
        .nth(total - TAIL)
        .map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!(
        "{}…（略去 {} 字符，全文见 report.json）…{}",
        &s[..head_end],
        total - HEAD - TAIL,
        &s[tail_start..]
    ))
}

/// One feature (or table row) a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FeatureId {
    /// 0-based feature index in the layer file (row index in a table).
    pub fid: usize,
    /// The value of the layer's key field(s) (joined with `/` for a composite key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// The second side of a finding about a pair, e.g. the red-line zone a unit overlaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub layer: String,
    pub feature_ids: Vec<FeatureId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub class: DefectClass,
    pub element: String,
    /// The layer or table the features belong to.
    pub layer: String,
    pub feature_ids: Vec<FeatureId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
    /// In Chinese, for the people who fix the data.
    pub message: String,
    pub measured: Option<Value>,
    pub expected: Option<Value>,
    /// Where the defect is, in the package CRS, as a GeoJSON geometry.
    #[serde(serialize_with = "geometry_as_geojson")]
    pub geometry: Option<Geometry<f64>>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The check could not run (a layer or field it needs is missing, its data cannot be
    /// evaluated). A package with such a rule cannot pass.
    NotRun,
    /// The rule concerns an optional layer or table the package does not deliver.
    NotApplicable,
}

/// What a rule's check counts as one thing evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub count: usize,
    pub unit: Unit,
    pub reason: String,
}

/// What a rule evaluated and what it skipped, so that no pass hides what was not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// How many things were checked, in `unit`s; `None` when the rule did not run.
    pub checked: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
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

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub class: DefectClass,
    pub element: String,
    pub sub_element: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the run should tell beyond its counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the rule evaluated and what it skipped, with the reasons.
    pub coverage: Coverage,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageInfo {
    pub name: String,
    pub path: String,
    pub manifest: Manifest,
    /// The CRS each layer file declares about itself.
    pub layer_crs: BTreeMap<String, LayerCrs>,
    pub feature_counts: BTreeMap<String, usize>,
    pub files: Vec<FileDigest>,
    pub unread: Vec<Unread>,
    /// Delivered layers and tables that could not be read: the package was not inspected fully,
    /// and `nrqc check` exits 2 after writing the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// Delivered layers, tables and fields that no rule that ran read (未检查的交付内容); files
    /// nrqc could not read at all are in `unread`.
    pub uninspected: Vec<Uninspected>,
    /// How files were read where the reader of the report must know it, e.g. a shapefile whose
    /// `.cpg` said GBK while its text is UTF-8.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<InputNote>,
}

/// Delivered content that no rule read: a whole layer or table (`fields` empty), or fields of
/// one that other rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uninspected {
    pub layer: String,
    pub path: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A delivered file that could not be read, with the layers or tables it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub path: String,
    pub frames: Vec<String>,
    /// The reader's error, naming the file, layer, feature and field where known.
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulesetInfo {
    pub id: String,
    pub sha256: String,
    pub rules: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub by_class: BTreeMap<DefectClass, usize>,
    pub rules_passed: usize,
    pub rules_failed: usize,
    pub rules_not_run: usize,
    pub rules_not_applicable: usize,
    pub findings: usize,
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

impl Finding {
    /// The features a finding is about, and those of its other side after `↔`, as one line for
    /// the Markdown and HTML tables; `—` for none.
    pub fn places(&self) -> String {
        let mut parts: Vec<String> = self.feature_ids.iter().map(FeatureId::label).collect();
        if let Some(r) = &self.related {
            let related: Vec<String> = r
                .feature_ids
                .iter()
                .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
                .collect();
            parts.push(format!("↔ {} {}", r.layer, related.join(", ")));
        }
        if parts.is_empty() {
            "—".into()
        } else {
            parts.join("; ")
        }
    }
}

impl Counts {
    pub fn add(&mut self, status: Status, class: DefectClass, findings: usize) {
        match status {
            Status::Passed => self.rules_passed += 1,
            Status::Failed => self.rules_failed += 1,
            Status::NotRun => self.rules_not_run += 1,
            Status::NotApplicable => self.rules_not_applicable += 1,
        }
        *self.by_class.entry(class).or_default() += findings;
        self.findings += findings;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: String,
    pub engine: Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set, for reproducible reports.
    pub generated_at: String,
    /// The same in every report one run writes (report.json, report.md, report.html,
    /// junit.xml; batch.json and each package's reports in a batch).
    pub run_id: String,
    pub package: PackageInfo,
    pub ruleset: RulesetInfo,
    /// The profile inspected under: its failing threshold and warning classes decide `outcome`.
    pub profile: Profile,
    pub outcome: Outcome,
    /// The GB/T 24356-2023 grade and every term of its computation.
    pub grading: Grading,
    pub counts: Counts,
    pub rules: Vec<RuleResult>,
    pub findings: Vec<Finding>,
}

/// `report.json` of a run that could not inspect the package (exit 2), or `batch.json` of a
/// batch that could not run: it replaces any earlier report, so that no older verdict is read as
/// this run's.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRun {
    pub schema: &'static str,
    pub engine: Engine,
    pub generated_at: String,
    pub run_id: String,
    pub package: FailedPackage,
    /// Always `error`.
    pub outcome: &'static str,
    /// What went wrong, as printed on stderr.
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedPackage {
    pub name: String,
    pub path: String,
}

impl FailedRun {
    /// `schema` is the report's (`nrqc-report/1`, `nrqc-batch/1`); `name` and `path` are the
    /// package's, or the batch's name and its arguments.
    pub fn new(schema: &'static str, name: String, path: String, error: String) -> FailedRun {
        FailedRun {
            schema,
            engine: Engine::nrqc(),
            generated_at: super::now_rfc3339(),
            run_id: super::run_id().to_owned(),
            package: FailedPackage { name, path },
            outcome: "error",
            error,
        }
    }
}

impl Engine {
    /// This build of nrqc.
    pub fn nrqc() -> Engine {
        Engine {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl Report {
    /// Sets `outcome` and `grading` from the rule results and findings under the report's
    /// profile.
    pub fn judge(&mut self) {
        let failing = self.findings.iter().any(|f| self.profile.fails(f.class));
        self.outcome = if failing || self.counts.rules_not_run > 0 {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        self.grading = super::grade::grade(&self.rules, &self.profile);
    }

    /// Adds a rule run after the inspection, a batch's cross-package rule, with its findings
    /// about this package, and judges the report again.
    pub fn add_rule(&mut self, result: RuleResult, findings: Vec<Finding>) {
        self.counts.add(result.status, result.class, findings.len());
        self.rules.push(result);
        self.findings.extend(findings);
        self.judge();
    }

    /// The findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule_id == rule_id)
    }
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
    fn long_texts_keep_their_start_and_end() {
        assert_eq!(super::clip("短"), "短");
        let exact = "值".repeat(super::SHOWN_CHARS);
        assert_eq!(super::clip(&exact), exact);
        let long = format!("GGGZYSLX 的值 {} 不在代码表中", "X".repeat(1_000_000));
        let clipped = super::clip(&long);
        assert!(clipped.starts_with("GGGZYSLX 的值 XXX"), "{clipped}");
        assert!(clipped.ends_with("XXX 不在代码表中"), "{clipped}");
        assert!(
            clipped.contains("…（略去 999819 字符，全文见 report.json）…"),
            "{clipped}"
        );
        assert_eq!(long.chars().count() - 999_819, super::SHOWN_CHARS);
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
