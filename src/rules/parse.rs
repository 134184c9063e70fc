//! Turning rule-set files into a validated [`RuleSet`].
//!
//! A rule is a YAML mapping with common keys (`id`, `title`, `class`, ...) and exactly one key that
//! names its check kind, whose value holds the kind's parameters:
//!
//! ```yaml
//! - id: ZR-N001
//!   title: 登记单元必填属性为空
//!   class: C
//!   element: 完整性
//!   not_null: { layer: ZRZYDJDY, fields: [ZRZYDJDYH, DJDYMC] }
//! ```
//!
//! The kind's parameters are deserialized by the kind itself (see [`crate::checks`], and
//! [`crate::checks::cross`] for the rules of `batch.yaml`), so the
//! parameter structs keep serde-saphyr's spans and serde's own errors for unknown, missing and
//! mistyped parameters arrive with a line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::profile::ProfilesFile;
use super::{BatchRule, Replaced, Rule, RuleSet};
use crate::checks::cross::unit_list::UnitList;
use crate::checks::cross::{self, CrossCheck};
use crate::checks::{self, condition, Check, LintContext, Read};
use crate::diag::{suggest, yaml_options, yaml_report, Problem, RulesError, SourceFile};
use crate::diag::{Location, Name};
use crate::quality::Profile;
use crate::quality::{DefectClass, ELEMENTS};
use crate::ratio::Ratio;
use crate::schema::{CodeList, Schema};

const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "class",
    "element",
    "sub_element",
    "basis",
    "why",
    "example",
    "where",
];

/// A family of check kinds a rule may name: those of one package, or those across a batch.
trait Kinds {
    type Check: ?Sized + fmt::Debug;
    /// What a rule of this family is called in messages.
    const RULE: &'static str;
    fn kinds() -> &'static [&'static str];
    fn kind(name: &str) -> Option<&'static str>;
    fn deserialize<'de, D: Deserializer<'de>>(
        kind: &str,
        d: D,
    ) -> Result<Box<Self::Check>, D::Error>;
    fn reads(check: &Self::Check) -> Vec<Read<'_>>;
    fn lint(check: &Self::Check, cx: &LintContext) -> Vec<Problem>;
    /// The layer or table the rule's `where` filters, if its kind takes one.
    fn filtered(check: &Self::Check) -> Option<&Name>;
}

/// The kinds of one package ([`crate::checks`]).
struct Single;

impl Kinds for Single {
    type Check = dyn Check;
    const RULE: &'static str = "rule";

    fn kinds() -> &'static [&'static str] {
        checks::KINDS
    }

    fn kind(name: &str) -> Option<&'static str> {
        checks::kind(name)
    }

    fn deserialize<'de, D: Deserializer<'de>>(
        kind: &str,
        d: D,
    ) -> Result<Box<dyn Check>, D::Error> {
        checks::deserialize_check(kind, d)
    }

    fn reads(check: &dyn Check) -> Vec<Read<'_>> {
        check.reads()
    }

    fn lint(check: &dyn Check, cx: &LintContext) -> Vec<Problem> {
        check.lint(cx)
    }

    fn filtered(check: &dyn Check) -> Option<&Name> {
        check.accepts_where().then(|| check.frame())
    }
}

/// The kinds across the packages of a batch ([`crate::checks::cross`]).
struct Cross;

impl Kinds for Cross {
    type Check = dyn CrossCheck;
    const RULE: &'static str = "batch rule";

    fn kinds() -> &'static [&'static str] {
        cross::KINDS
    }

    fn kind(name: &str) -> Option<&'static str> {
        cross::kind(name)
    }

    fn deserialize<'de, D: Deserializer<'de>>(
        kind: &str,
        d: D,
    ) -> Result<Box<dyn CrossCheck>, D::Error> {
        cross::deserialize_check(kind, d)
    }

    fn reads(check: &dyn CrossCheck) -> Vec<Read<'_>> {
        check.reads()
    }

    fn lint(check: &dyn CrossCheck, cx: &LintContext) -> Vec<Problem> {
        check.lint(cx)
    }

    /// A batch rule judges whole packages: no `where`.
    fn filtered(_: &dyn CrossCheck) -> Option<&Name> {
        None
    }
}

struct RawRule<K: Kinds> {
    id: Name,
    title: String,
    class: DefectClass,
    element: Name,
    sub_element: Option<String>,
    basis: Option<String>,
    why: Option<String>,
    example: Option<String>,
    filter: Option<Name>,
    /// `None` when its only kind-like key was misspelt: the rule is reported, not built.
    check: Option<(&'static str, Box<K::Check>)>,
    /// Unknown keys: reported with their place, while the rest of the file is still checked.
    problems: Vec<Problem>,
}

impl<'de, K: Kinds> Deserialize<'de> for RawRule<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RuleVisitor::<K>(PhantomData))
    }
}

struct RuleVisitor<K>(PhantomData<K>);

impl<'de, K: Kinds> Visitor<'de> for RuleVisitor<K> {
    type Value = RawRule<K>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rule: a mapping with id, title, class, element and one check kind")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRule<K>, A::Error> {
        let mut id: Option<Name> = None;
        let mut title: Option<String> = None;
        let mut class: Option<DefectClass> = None;
        let mut element: Option<Name> = None;
        let mut sub_element = None;
        let mut basis = None;
        let mut why = None;
        let mut example = None;
        let mut filter = None;
        let mut check: Option<(&'static str, Box<K::Check>)> = None;
        let mut problems = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<Name>()? {
            match key.value.as_str() {
                "id" => id = Some(map.next_value()?),
                "title" => title = Some(map.next_value()?),
                "class" => class = Some(map.next_value()?),
                "element" => element = Some(map.next_value()?),
                "sub_element" => sub_element = Some(map.next_value()?),
                "basis" => basis = Some(map.next_value()?),
                "why" => why = Some(map.next_value()?),
                "example" => example = Some(map.next_value()?),
                "where" => filter = Some(map.next_value()?),
                other => {
                    let Some(kind) = K::kind(other) else {
                        let known = RULE_KEYS.iter().chain(K::kinds()).copied();
                        let help = suggest(other, known).unwrap_or_else(|| {
                            format!(
                                "a {} has the keys {} and one check kind: {}",
                                K::RULE,
                                RULE_KEYS.join(", "),
                                K::kinds().join(", ")
                            )
                        });
                        problems.push(
                            Problem::new(
                                key.referenced,
                                format!(
                                    "unknown key `{other}`: neither a rule field nor a check kind"
                                ),
                            )
                            .label("unknown key")
                            .help(help),
                        );
                        unknown.push(other.to_owned());
                        map.next_value::<de::IgnoredAny>()?;
                        continue;
                    };
                    if let Some((first, _)) = &check {
                        return Err(de::Error::custom(format!(
                            "a {} has one check kind, this one has `{first}` and `{kind}`",
                            K::RULE
                        )));
                    }
                    check = Some((kind, map.next_value_seed(KindSeed::<K>(kind, PhantomData))?));
                }
            }
        }
        // A required field missing beside an unknown key like it was misspelt: name the key, or
        // the unknown-key problem (which needs the whole rule to be reported) would be lost.
        let missing = |field: &'static str| -> A::Error {
            match unknown.iter().find(|k| suggest(k, [field]).is_some()) {
                Some(k) => de::Error::custom(format!(
                    "unknown key `{k}`: did you mean `{field}`? (the rule has no `{field}`)"
                )),
                None => de::Error::missing_field(field),
            }
        };
        let id: Name = id.ok_or_else(|| missing("id"))?;
        if check.is_none() && problems.is_empty() {
            return Err(de::Error::custom(format!(
                "{} {} names no check kind; add one of: {}",
                K::RULE,
                id.value,
                K::kinds().join(", ")
            )));
        }
        Ok(RawRule {
            id,
            title: title.ok_or_else(|| missing("title"))?,
            class: class.ok_or_else(|| missing("class"))?,
            element: element.ok_or_else(|| missing("element"))?,
            sub_element,
            basis,
            why,
            example,
            filter,
            check,
            problems,
        })
    }
}

struct KindSeed<K>(&'static str, PhantomData<K>);

impl<'de, K: Kinds> DeserializeSeed<'de> for KindSeed<K> {
    type Value = Box<K::Check>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        K::deserialize(self.0, d)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RawRule<Single>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    batch_rules: Vec<RawRule<Cross>>,
}

/// `sub_elements.yaml`: the sub-element (子元素) of the rules of each rule file, by the file's
/// name without `.yaml`, so that a theme file need not repeat it on every rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubElementsFile {
    sub_elements: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    schema: Schema,
}

/// Collects problems across files so one run shows all of them.
struct Collector {
    sources: Vec<SourceFile>,
    /// For each source file, which of the rule set's sources it came from: 0 for the first (the
    /// built-in set, or the first directory), then one more per `--rules` directory.
    origins: Vec<usize>,
    problems: Vec<miette::Report>,
}

impl Collector {
    fn parse<T: for<'de> Deserialize<'de>>(&mut self, source: usize) -> Option<T> {
        let file = &self.sources[source];
        match serde_saphyr::from_str_with_options::<T>(&file.text, yaml_options()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problems.push(yaml_report(&e, &file.text, &file.name));
                None
            }
        }
    }

    fn problem(&mut self, source: usize, p: Problem) {
        let d = self.sources[p.file.unwrap_or(source)].diagnostic(p);
        self.problems.push(miette::Report::new(d));
    }
}

pub(super) fn assemble(
    id: String,
    hash: String,
    files: Vec<(String, String, String)>,
    origins: Vec<usize>,
) -> Result<RuleSet, RulesError> {
    let mut c = Collector {
        sources: files
            .iter()
            .map(|(_, name, text)| SourceFile {
                name: name.clone(),
                text: Arc::from(text.as_str()),
            })
            .collect(),
        origins,
        problems: vec![],
    };
    let mut replaced = Vec::new();
    let mut schema = Schema::default();
    let mut codes: BTreeMap<String, CodeList> = BTreeMap::new();
    let mut raw_rules: Vec<(usize, RawRule<Single>)> = Vec::new();
    let mut profiles: BTreeMap<String, Profile> = BTreeMap::new();
    let mut default_profile: Option<(usize, Name)> = None;
    let mut gradings: Vec<(usize, String, Location)> = Vec::new();
    let mut file_sub_elements: BTreeMap<String, String> = BTreeMap::new();
    let mut raw_batch: Vec<(usize, RawRule<Cross>)> = Vec::new();
    let mut unit_lists: BTreeMap<String, UnitList> = BTreeMap::new();
    for (i, (rel, _, _)) in files.iter().enumerate() {
        if rel == "schema.yaml" {
            // A later directory's schema extends and overrides the earlier one, layer by layer.
            if let Some(f) = c.parse::<SchemaFile>(i) {
                schema.version = f.schema.version;
                schema.layers.extend(f.schema.layers);
                schema.tables.extend(f.schema.tables);
            }
        } else if rel == "profiles.yaml" {
            // A later directory's profiles add to and replace the earlier ones.
            if let Some(f) = c.parse::<ProfilesFile>(i) {
                for (name, def) in f.profiles {
                    if let Some(g) = &def.grading {
                        gradings.push((i, name.clone(), g.referenced));
                    }
                    profiles.insert(name.clone(), Profile::new(&name, def));
                }
                default_profile = Some((i, f.default));
            }
        } else if rel == "batch.yaml" {
            if let Some(f) = c.parse::<BatchFile>(i) {
                raw_batch.extend(f.batch_rules.into_iter().map(|r| (i, r)));
            }
        } else if rel == "sub_elements.yaml" {
            if let Some(f) = c.parse::<SubElementsFile>(i) {
                file_sub_elements.extend(f.sub_elements);
            }
        } else if rel.starts_with("codes/") {
            if let Some(list) = c.parse::<CodeList>(i) {
                codes.insert(list.code_list.clone(), list);
            }
        } else if rel.starts_with("data/") {
            // A later directory's list of the same name replaces the earlier one.
            if let Some(mut list) = c.parse::<UnitList>(i) {
                list.source_file = i;
                unit_lists.insert(list.unit_list.clone(), list);
            }
        } else if let Some(f) = c.parse::<RuleFile>(i) {
            raw_rules.extend(f.rules.into_iter().map(|r| (i, r)));
        }
    }
    let file_sub_element = |source: usize| {
        let stem = files[source]
            .0
            .trim_end_matches(".yml")
            .trim_end_matches(".yaml");
        file_sub_elements
            .get(stem)
            .cloned()
            .unwrap_or_else(|| stem.to_owned())
    };
    let lint = LintContext {
        schema: &schema,
        codes: &codes,
        unit_lists: &unit_lists,
    };
    // Ids are unique across the rules of one package and those of a batch.
    let mut seen = BTreeMap::new();
    let rules: Vec<Rule> = validate(
        &mut c,
        &lint,
        &mut seen,
        &mut replaced,
        raw_rules,
        &file_sub_element,
    );
    let batch_rules: Vec<BatchRule> = validate(
        &mut c,
        &lint,
        &mut seen,
        &mut replaced,
        raw_batch,
        &file_sub_element,
    );
    for (source, name, at) in gradings {
        for p in check_grading(&profiles[&name], &rules, at) {
            c.problem(source, p);
        }
    }
    let default_profile = match default_profile {
        Some((source, name)) if !profiles.contains_key(&name.value) => {
            let known = profiles.keys().cloned().collect::<Vec<_>>().join(", ");
            c.problem(
                source,
                Problem::new(
                    name.referenced,
                    format!("the default profile `{}` is not defined", name.value),
                )
                .label("unknown profile")
                .help(format!("profiles defined: {known}")),
            );
            name.value
        }
        Some((_, name)) => name.value,
        None => {
            let implicit = Profile::implicit();
            let name = implicit.name.clone();
            profiles.insert(name.clone(), implicit);
            name
        }
    };
    if !c.problems.is_empty() {
        return Err(RulesError {
            problems: c.problems,
        });
    }
    Ok(RuleSet {
        id,
        hash,
        schema,
        codes,
        rules,
        batch_rules,
        unit_lists,
        profiles,
        default_profile,
        sources: c.sources,
        replaced,
        left_out: vec![],
        left_out_cross: vec![],
    })
}

/// The rules of one family, sorted by id: ids unique (in `seen`, shared by the families) and one
/// word, known elements, names the schema declares, the kind's own validation and its `where`.
/// A rule of a later `--rules +DIR` with the id of an earlier rule of the same family replaces
/// it, so that one threshold changes without copying the set; `replaced` records it.
fn validate<K: Kinds>(
    c: &mut Collector,
    lint: &LintContext,
    seen: &mut BTreeMap<String, (usize, Location)>,
    replaced: &mut Vec<Replaced>,
    raw_rules: Vec<(usize, RawRule<K>)>,
    file_sub_element: &impl Fn(usize) -> String,
) -> Vec<Rule<K::Check>> {
    let mut rules: Vec<Rule<K::Check>> = Vec::new();
    for (source, r) in raw_rules {
        let mut problems = r.problems;
        if r.id.value.trim().is_empty() || r.id.value.contains(char::is_whitespace) {
            problems.push(Problem::new(
                r.id.referenced,
                "a rule id is one word, e.g. ZR-A001",
            ));
        }
        let earlier = seen.get(&r.id.value).copied();
        let replacing = earlier.filter(|&(first, _)| {
            c.origins[first] < c.origins[source] && rules.iter().any(|e| e.id == r.id.value)
        });
        if let Some((first_source, _)) = replacing {
            rules.retain(|e| e.id != r.id.value);
            replaced.push(Replaced {
                id: r.id.value.clone(),
                by: c.sources[source].name.clone(),
                was: c.sources[first_source].name.clone(),
            });
            seen.insert(r.id.value.clone(), (source, r.id.referenced));
        } else if let Some((first_source, _)) = earlier {
            problems.push(
                Problem::new(
                    r.id.referenced,
                    format!("duplicate rule id `{}`", r.id.value),
                )
                .label("second definition")
                .help(format!(
                    "ids are stable and unique; the first definition is in {}",
                    c.sources[first_source].name
                )),
            );
        } else {
            seen.insert(r.id.value.clone(), (source, r.id.referenced));
        }
        if !ELEMENTS.contains(&r.element.value.as_str()) {
            let mut p = Problem::new(
                r.element.referenced,
                format!("unknown quality element `{}`", r.element.value),
            );
            p = p.help(
                suggest(&r.element.value, ELEMENTS.iter().copied())
                    .unwrap_or_else(|| format!("one of: {}", ELEMENTS.join(", "))),
            );
            problems.push(p);
        }
        let Some((kind, check)) = r.check else {
            // Its misspelt kind is among the problems.
            for p in problems {
                c.problem(source, p);
            }
            continue;
        };
        problems.extend(lint.check_reads(K::reads(&check)));
        problems.extend(K::lint(&check, lint));
        if let Some(filter) = &r.filter {
            match K::filtered(&check) {
                Some(frame) => problems.extend(lint.check_condition(frame, filter)),
                None => problems.push(Problem::new(
                    filter.referenced,
                    format!("check kind `{kind}` does not take `where`"),
                )),
            }
        }
        let filter_expr = r
            .filter
            .as_ref()
            .and_then(|f| condition::compile(&f.value).ok());
        for p in problems {
            c.problem(source, p);
        }
        rules.push(Rule {
            at: r.id.referenced,
            id: r.id.value,
            title: r.title,
            class: r.class,
            element: r.element.value,
            sub_element: r.sub_element.unwrap_or_else(|| file_sub_element(source)),
            basis: r.basis,
            why: r.why,
            example: r.example,
            filter: r.filter,
            filter_expr,
            kind,
            check,
            source,
        });
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules
}

/// A profile's grading settings against the rules they weigh: `t` and weights positive, every
/// named element and sub-element known, and a weighted level complete.
fn check_grading(profile: &Profile, rules: &[Rule], at: Location) -> Vec<Problem> {
    let g = &profile.grading;
    let mut problems = Vec::new();
    let mut problem = |message: String| {
        problems.push(Problem::new(at, message).label("grading"));
    };
    if g.t <= Ratio::ZERO {
        problem(format!("profile `{}`: t must be positive", profile.name));
    }
    let weights = g
        .weights
        .elements
        .values()
        .chain(g.weights.sub_elements.values().flat_map(|m| m.values()));
    if weights.clone().any(|w| *w <= Ratio::ZERO) {
        problem(format!(
            "profile `{}`: weights must be positive",
            profile.name
        ));
    }
    let graded: BTreeSet<&str> = rules.iter().map(|r| r.element.as_str()).collect();
    for element in g
        .weights
        .elements
        .keys()
        .chain(g.weights.sub_elements.keys())
    {
        if !ELEMENTS.contains(&element.as_str()) {
            problem(format!(
                "profile `{}`: unknown quality element `{element}`; one of: {}",
                profile.name,
                ELEMENTS.join(", ")
            ));
        }
    }
    if !g.weights.elements.is_empty() {
        for element in graded
            .iter()
            .filter(|e| !g.weights.elements.contains_key(**e))
        {
            problem(format!(
                "profile `{}`: element weights leave out `{element}`, which has rules",
                profile.name
            ));
        }
    }
    for (element, subs) in &g.weights.sub_elements {
        let have: BTreeSet<&str> = rules
            .iter()
            .filter(|r| &r.element == element)
            .map(|r| r.sub_element.as_str())
            .collect();
        for sub in subs.keys().filter(|s| !have.contains(s.as_str())) {
            problem(format!(
                "profile `{}`: element `{element}` has no rules of sub-element `{sub}`; it has: {}",
                profile.name,
                have.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        for sub in have.iter().filter(|s| !subs.contains_key(**s)) {
            problem(format!(
                "profile `{}`: sub-element weights of `{element}` leave out `{sub}`, which has rules",
                profile.name
            ));
        }
    }
    problems
}
