//! Check kinds: one file each. A kind is a struct of parameters, deserialized from the rule
//! file, that implements [`Check`]. Adding a kind is one file plus one line in `kinds!`.

/// Registers the kinds of a check trait, one module each: `KINDS`, `kind`, `doc` and
/// `deserialize_check` for the rule parser and the documentation.
macro_rules! kinds {
    ($check:ident; $($kind:ident :: $ty:ident),* $(,)?) => {
        $(mod $kind;)*

        /// The names of the kinds, as written in rule files.
        pub const KINDS: &[&str] = &[$(stringify!($kind)),*];

        /// The static name of a kind, if `name` is one.
        pub fn kind(name: &str) -> Option<&'static str> {
            KINDS.iter().copied().find(|k| *k == name)
        }

        /// A kind's documentation: the `//!` comment that opens its file, so that the source
        /// of the kind and `docs/rules.md` say the same.
        pub fn doc(kind: &str) -> Option<String> {
            let source = match kind {
                $(stringify!($kind) => include_str!(concat!(stringify!($kind), ".rs")),)*
                _ => return None,
            };
            Some($crate::checks::module_doc(source))
        }

        pub(crate) fn deserialize_check<'de, D: serde::Deserializer<'de>>(
            kind: &str,
            d: D,
        ) -> Result<Box<dyn $check>, D::Error> {
            match kind {
                $(stringify!($kind) => Ok(Box::new(<$kind::$ty as serde::Deserialize>::deserialize(d)?)),)*
                other => Err(serde::de::Error::custom(format!("unknown check kind `{other}`"))),
            }
        }
    };
}

pub(crate) mod balance;
pub(crate) mod condition;
pub mod cross;
pub(crate) mod derived;
pub(crate) mod phrase;
pub(crate) mod spatial;
pub(crate) mod sums;
pub(crate) mod units;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use crate::diag::{suggest, Name, Problem};
use crate::finding::{Coverage, FeatureId, Finding, Skipped, Unit};
use crate::package::{Dataset, Frame, GeometryColumn, Unread};
use crate::quality::DefectClass;
use crate::schema::{CodeList, FrameDef, Schema};
use derived::{Derived, LayerFacts};
pub(crate) use in_domain::unknown_code_list;

/// What a check reads: a layer or table, and optionally one of its fields.
pub struct Read<'a> {
    /// The layer or table, as the rule file names it.
    pub frame: &'a Name,
    /// One of its fields; `None`: the layer or table as a whole.
    pub field: Option<&'a Name>,
}

impl<'a> Read<'a> {
    /// A layer or table as a whole.
    pub fn frame(frame: &'a Name) -> Read<'a> {
        Read { frame, field: None }
    }

    /// One field of a layer or table.
    pub fn field(frame: &'a Name, field: &'a Name) -> Read<'a> {
        Read {
            frame,
            field: Some(field),
        }
    }

    /// Several fields of one layer or table.
    pub fn fields(frame: &'a Name, fields: &'a [Name]) -> Vec<Read<'a>> {
        fields.iter().map(|f| Read::field(frame, f)).collect()
    }
}

/// Why a check could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun(pub String);

/// A check kind of one package: its parameters, what it reads, and its run over the dataset.
/// A rule names one kind (see `docs/rules.md`).
pub trait Check: Send + Sync + fmt::Debug {
    /// The layer or table the check reports on; the rule's `where` filters its rows.
    fn frame(&self) -> &Name;

    /// Everything it reads; the linter checks these names against the schema and the engine does
    /// not run the check when the package lacks one of them.
    fn reads(&self) -> Vec<Read<'_>>;

    /// Validation beyond names: code lists exist, patterns compile.
    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        Vec::new()
    }

    /// Whether the rule's `where` may filter the rows of [`Check::frame`]; a kind that judges a
    /// layer or table as a whole (its schema, its readability, a statistics table's totals)
    /// takes none, and the parser refuses one.
    fn accepts_where(&self) -> bool {
        true
    }

    /// The layers and fields whose content the check inspects when it runs (`None`: the layer
    /// as a whole, e.g. its geometry), for the report's list of delivered content no rule read.
    /// By default what it [`reads`](Check::reads).
    fn inspects(&self, _schema: &Schema) -> Vec<(String, Option<String>)> {
        self.reads()
            .into_iter()
            .map(|r| (r.frame.value.clone(), r.field.map(|f| f.value.clone())))
            .collect()
    }

    /// Layers whose derived facts (areas, measurability) the check uses; the engine computes
    /// them once, before any rule runs.
    fn measures(&self) -> Vec<&Name> {
        Vec::new()
    }

    /// The layer among whose features the check looks for overlapping pairs, if any: when
    /// several checks do so in one layer, the engine finds the pairs once, before any rule runs.
    fn overlaps_within(&self) -> Option<&Name> {
        None
    }

    /// Whether the check looks at the package's documents (`docs/`), by name; in a package
    /// without `docs/` it does not apply.
    fn reads_documents(&self) -> bool {
        false
    }

    /// The files of `docs/` the check could not attribute, each with the reason; the report
    /// lists those that no rule which ran attributed among the content not inspected.
    fn unmatched_documents(&self, _dataset: &Dataset) -> Vec<Unread> {
        Vec::new()
    }

    /// Runs the check: its findings, or why it could not run. It counts what it evaluated and
    /// skipped through `cx`.
    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun>;

    /// What it checks, in plain words built from its parameters, e.g. `ZRZYDJDY.DBXSZT is not
    /// empty`; the rule's `where` is not part of it. `docs/rules.md` shows it for every rule.
    fn describe(&self) -> String;
}

kinds! {
    Check;
    readable::Readable,
    schema::Schema,
    not_null::NotNull,
    in_domain::InDomain,
    code_implies::CodeImplies,
    container_key::ContainerKey,
    pattern::Pattern,
    unique::Unique,
    reference::Reference,
    expression::Expression,
    geometry_valid::GeometryValid,
    crs::Crs,
    area_matches::AreaMatches,
    area_sum::AreaSum,
    table_totals::TableTotals,
    table_matches_layer::TableMatchesLayer,
    statistics_tables::StatisticsTables,
    no_overlap::NoOverlap,
    no_overlap_with::NoOverlapWith,
    no_gaps::NoGaps,
    tiles::Tiles,
    within::Within,
    min_area::MinArea,
    overlap_link::OverlapLink,
    single_class::SingleClass,
    documents::Documents,
}

/// The text of the `//!` lines opening a Rust source file.
pub(crate) fn module_doc(source: &str) -> String {
    source
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .fold(String::new(), |mut doc, line| {
            doc.push_str(line);
            doc.push('\n');
            doc
        })
}

/// What rule validation knows: the schema, the code lists and the unit lists.
pub struct LintContext<'a> {
    /// The package schema the names must exist in.
    pub schema: &'a Schema,
    /// The code lists of the rule set, by name.
    pub codes: &'a BTreeMap<String, CodeList>,
    /// The unit lists of `data/`, by name.
    pub unit_lists: &'a BTreeMap<String, cross::unit_list::UnitList>,
}

impl LintContext<'_> {
    /// The schema's definition of `frame`, or a problem naming the closest layer or table.
    pub fn frame_def(&self, frame: &Name) -> Result<&FrameDef, Problem> {
        self.schema.frame(&frame.value).ok_or_else(|| {
            let p = Problem::new(
                frame.referenced,
                format!("the package schema has no layer or table `{}`", frame.value),
            )
            .label("unknown layer");
            // A rule set without schema.yaml is most often `--rules DIR` meant as `+DIR`.
            if self.schema.frame_names().next().is_none() {
                return p.help(
                    "the rule set has no schema.yaml, so it declares no layer: `--rules DIR` \
                     replaces the built-in rules and schema, `--rules +DIR` adds DIR to them",
                );
            }
            match suggest(&frame.value, self.schema.frame_names()) {
                Some(s) => p.help(s),
                None => p,
            }
        })
    }

    /// Names among `reads` that the schema does not declare.
    pub(crate) fn check_reads(&self, reads: Vec<Read<'_>>) -> Vec<Problem> {
        let mut problems = Vec::new();
        for read in reads {
            let def = match self.frame_def(read.frame) {
                Ok(def) => def,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            if let Some(field) = read.field {
                if !def.fields.contains_key(&field.value) {
                    let p = Problem::new(
                        field.referenced,
                        format!(
                            "layer `{}` has no field `{}`",
                            read.frame.value, field.value
                        ),
                    )
                    .label("unknown field");
                    let help = suggest(&field.value, def.fields.keys().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!(
                                "the fields of {} are: {}",
                                read.frame.value,
                                def.fields.keys().cloned().collect::<Vec<_>>().join(", ")
                            )
                        });
                    problems.push(p.help(help));
                }
            }
        }
        problems.sort_by_key(|p| p.at.span().offset());
        problems.dedup_by_key(|p| p.at.span().offset());
        problems
    }

    /// A SQL condition compiles and names only fields of `frame`.
    /// A SQL value expression `text` (written in `at`, a message's `{…}`) that must evaluate on
    /// `frame`'s fields.
    pub(crate) fn check_value(&self, frame: &Name, at: &Name, text: &str) -> Vec<Problem> {
        self.check_sql(frame, at, text, &format!("value `{text}`"), |e, df| {
            condition::shown(e, df, None, false).map(drop)
        })
    }

    /// A rule's SQL condition, which must evaluate to true/false on `frame`'s fields.
    pub(crate) fn check_condition(&self, frame: &Name, condition: &Name) -> Vec<Problem> {
        self.check_sql(frame, condition, &condition.value, "condition", |e, df| {
            condition::evaluate(e, df).map(drop)
        })
    }

    /// SQL `text` that must parse and `evaluate` on an empty frame of `frame`'s schema: a
    /// misspelt field or a type mismatch is found before any package is read.
    fn check_sql(
        &self,
        frame: &Name,
        at: &Name,
        text: &str,
        noun: &str,
        evaluate: impl Fn(&polars::prelude::Expr, &polars::prelude::DataFrame) -> Result<(), String>,
    ) -> Vec<Problem> {
        let expr = match condition::compile(text) {
            Ok(e) => e,
            Err(e) => {
                return vec![
                    Problem::new(at.referenced, format!("invalid SQL {noun}: {e}"))
                        .label("cannot be parsed"),
                ]
            }
        };
        let Some(def) = self.schema.frame(&frame.value) else {
            return vec![]; // reported by check_reads
        };
        match evaluate(&expr, &condition::empty_frame(def)) {
            Ok(()) => vec![],
            Err(e) => vec![Problem::new(
                at.referenced,
                format!("the {noun} does not fit layer `{}`: {e}", frame.value),
            )
            .label("invalid here")
            .help(format!(
                "the fields of {} are: {}",
                frame.value,
                def.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ))],
        }
    }
}

/// What every check of one run shares: the dataset, its schema and code lists, and the facts
/// derived from it once.
pub struct Run<'a> {
    /// The package as loaded.
    pub dataset: &'a Dataset,
    /// The rule set's package schema.
    pub schema: &'a Schema,
    /// The rule set's code lists, by name.
    pub codes: &'a BTreeMap<String, CodeList>,
    /// Areas and measurability of the layers the rules measure, computed once.
    pub derived: Derived,
    /// The ids of the rules that read each layer or table, by its name.
    pub readers: BTreeMap<String, Vec<String>>,
}

/// What a check knows of the rule it runs for: what its findings carry, and its `where`.
#[derive(Clone, Copy)]
pub struct RuleFacts<'a> {
    /// The rule's id, which its findings carry.
    pub id: &'a str,
    /// The rule's defect class.
    pub class: DefectClass,
    /// The rule's quality element.
    pub element: &'a str,
    /// The rule's `where`, compiled.
    pub filter: Option<&'a polars::prelude::Expr>,
}

/// What a running check sees: the run's shared inputs and its own rule.
pub struct Context<'a> {
    /// The package as loaded.
    pub dataset: &'a Dataset,
    /// The rule set's package schema.
    pub schema: &'a Schema,
    /// The rule set's code lists, by name.
    pub codes: &'a BTreeMap<String, CodeList>,
    /// Areas and measurability of the measured layers.
    pub derived: &'a Derived,
    /// The ids of the rules that read each layer or table, by its name.
    pub readers: &'a BTreeMap<String, Vec<String>>,
    /// The rule the check runs for.
    pub rule: RuleFacts<'a>,
    notes: Mutex<Vec<String>>,
    coverage: Mutex<Tally>,
}

/// What a running check has counted so far.
#[derive(Default)]
struct Tally {
    /// Counted by the check itself with [`Context::checked`].
    checked: Option<(usize, Unit)>,
    /// The rows [`Context::rows`] selected, less those skipped, by layer: the count for checks
    /// that look at rows one by one.
    rows: BTreeMap<String, (usize, Unit)>,
    skipped: BTreeMap<(Unit, String), usize>,
    /// Layers of which the check could measure no feature at all.
    unmeasurable: Vec<String>,
}

impl<'a> Context<'a> {
    /// A context for one rule of `run`, with nothing counted yet.
    pub fn new(run: &'a Run<'a>, rule: RuleFacts<'a>) -> Self {
        Context {
            dataset: run.dataset,
            schema: run.schema,
            codes: run.codes,
            derived: &run.derived,
            readers: &run.readers,
            rule,
            notes: Mutex::new(Vec::new()),
            coverage: Mutex::new(Tally::default()),
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.coverage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `n` things the check evaluated (features, pairs, equations...). A check that
    /// compares pairs or equations counts them here; one that looks at the rows of
    /// [`Context::rows`] one by one need not, those rows are counted for it.
    pub fn checked(&self, n: usize, unit: Unit) {
        let mut t = self.tally();
        let (sum, _) = t.checked.get_or_insert((0, unit));
        *sum += n;
    }

    /// Counts `n` things the check could not evaluate, and why; the report shows them next to
    /// the rule's verdict, and a rule that skipped everything has not passed.
    pub fn skipped(&self, n: usize, unit: Unit, reason: impl Into<String>) {
        if n > 0 {
            *self
                .tally()
                .skipped
                .entry((unit, reason.into()))
                .or_default() += n;
        }
    }

    /// Something the report should say about this rule's run, such as features it skipped.
    pub fn note(&self, text: String) {
        self.notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    /// The notes, what the check evaluated and skipped, and the layers of which it could
    /// measure nothing.
    pub fn finish(self) -> (Vec<String>, Coverage, Vec<String>) {
        let tally = self
            .coverage
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let counted = tally.checked.or_else(|| {
            let unit = tally.rows.values().next()?.1;
            Some((tally.rows.values().map(|(n, _)| n).sum(), unit))
        });
        let coverage = Coverage {
            checked: Some(counted.map_or(0, |(n, _)| n)),
            unit: counted.map(|(_, u)| u),
            skipped: tally
                .skipped
                .into_iter()
                .map(|((unit, reason), count)| Skipped {
                    count,
                    unit,
                    reason,
                })
                .collect(),
        };
        (
            self.notes.into_inner().unwrap_or_else(|e| e.into_inner()),
            coverage,
            tally.unmeasurable,
        )
    }

    /// Areas and measurability of a layer's features.
    pub fn facts(&self, frame: &Frame) -> Result<&'a LayerFacts, NotRun> {
        if self.derived.crs.is_none() {
            return Err(NotRun(format!(
                "成果包坐标系 {} 不是可计算椭球面积的 CGCS2000 坐标系",
                self.dataset.manifest.crs.as_deref().unwrap_or("（未声明）")
            )));
        }
        self.derived
            .layers
            .get(&frame.name)
            .ok_or_else(|| NotRun(format!("{} 没有几何，无法量算", frame.name)))
    }

    /// The rows among `rows` that can be measured; the others are counted as skipped, by reason.
    pub fn measurable(&self, frame: &Frame, rows: Vec<usize>) -> Result<Vec<usize>, NotRun> {
        let facts = self.facts(frame)?;
        let before = rows.len();
        let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
        let kept: Vec<usize> = rows
            .into_iter()
            .filter(|&r| match facts.skip.get(r).copied().flatten() {
                None => true,
                Some(skip) => {
                    *skipped.entry(skip.zh()).or_default() += 1;
                    false
                }
            })
            .collect();
        for (why, n) in skipped {
            self.skip_rows(frame, n, why);
        }
        if kept.is_empty() && before > 0 {
            self.tally().unmeasurable.push(frame.name.clone());
        }
        Ok(kept)
    }

    /// Counts `n` rows of `frame` that [`Context::rows`] selected and the check could not
    /// evaluate, e.g. an empty value that another rule reports: they are skipped, not checked.
    pub fn skip_rows(&self, frame: &Frame, n: usize, why: &str) {
        if n == 0 {
            return;
        }
        let unit = Self::unit_of(frame);
        let mut t = self.tally();
        if let Some((checked, _)) = t.rows.get_mut(&frame.name) {
            *checked = checked.saturating_sub(n);
        }
        *t.skipped
            .entry((unit, format!("{} {why}", frame.name)))
            .or_default() += n;
    }

    /// Counts `n` rows of `frame` whose `field` is empty: skipped when the schema requires the
    /// field (a non-empty rule reports them), and simply not there to check when it is optional,
    /// so that a rule on an optional field no feature fills does not apply rather than pass.
    pub fn empty_rows(&self, frame: &Frame, field: &str, n: usize) {
        let required = self
            .schema
            .frame(&frame.name)
            .and_then(|d| d.fields.get(field))
            .is_some_and(|f| f.required);
        if required {
            self.skip_rows(frame, n, &format!("{field} 为空（由非空规则检查）"));
        } else if let Some((checked, _)) = self.tally().rows.get_mut(&frame.name) {
            *checked = checked.saturating_sub(n);
        }
    }

    /// What one row of `frame` is: a feature of a layer or a row of a table.
    pub fn unit_of(frame: &Frame) -> Unit {
        if frame.geometry.is_some() {
            Unit::Features
        } else {
            Unit::Rows
        }
    }

    /// The layer or table `name`; not run when the package lacks it.
    pub fn frame(&self, name: &str) -> Result<&'a Frame, NotRun> {
        self.dataset
            .frame(name)
            .ok_or_else(|| NotRun(format!("成果包中没有 {name}")))
    }

    /// A layer and its geometries; a table has none to check.
    pub fn layer(&self, name: &str) -> Result<(&'a Frame, &'a GeometryColumn), NotRun> {
        let frame = self.frame(name)?;
        let column = frame
            .geometry
            .as_ref()
            .ok_or_else(|| NotRun(format!("{name} 是无几何的表")))?;
        Ok((frame, column))
    }

    /// Row indices of `frame` that the rule applies to: all of them, or those where the rule's
    /// `where` holds (unknown counts as not holding, as in SQL).
    pub fn rows(&self, frame: &Frame) -> Result<Vec<usize>, NotRun> {
        let rows = self.select(frame)?;
        let unit = Self::unit_of(frame);
        let mut t = self.tally();
        let (n, _) = t.rows.entry(frame.name.clone()).or_insert((0, unit));
        *n += rows.len();
        Ok(rows)
    }

    fn select(&self, frame: &Frame) -> Result<Vec<usize>, NotRun> {
        match self.rule.filter {
            None => Ok((0..frame.len()).collect()),
            Some(expr) => condition::rows_holding(expr, &frame.df)
                .map_err(|e| NotRun(format!("`where` 条件无法在 {} 上求值：{e}", frame.name))),
        }
    }

    /// The id of feature `row`: its FID and the value of the schema's key field(s).
    pub fn feature_id(&self, frame: &Frame, row: usize) -> FeatureId {
        let key = self
            .schema
            .frame(&frame.name)
            .and_then(|d| d.key.as_ref())
            .and_then(|k| {
                let parts: Option<Vec<String>> =
                    k.fields().iter().map(|f| frame.text(f, row)).collect();
                parts.map(|p| p.join("/"))
            });
        FeatureId { fid: row, key }
    }

    /// A finding of this rule about `rows` of `frame`.
    pub fn finding(&self, frame: &Frame, rows: &[usize], message: String) -> Finding {
        let ids = rows.iter().map(|&r| self.feature_id(frame, r)).collect();
        let geometry = rows
            .first()
            .and_then(|&r| frame.geometry.as_ref()?.geoms.get(r)?.clone());
        Finding::new(
            self.rule.id,
            self.rule.class,
            self.rule.element,
            &frame.name,
            ids,
            message,
        )
        .with_geometry(geometry)
    }

    /// A finding about the layer or table as a whole.
    pub fn frame_finding(&self, layer: &str, message: String) -> Finding {
        Finding::new(
            self.rule.id,
            self.rule.class,
            self.rule.element,
            layer,
            vec![],
            message,
        )
    }
}

/// Non-null, non-blank text.
pub fn is_blank(value: Option<&str>) -> bool {
    value.is_none_or(|s| s.trim().is_empty())
}
