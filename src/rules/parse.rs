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
//! The kind's parameters are deserialized by the kind itself (see [`crate::checks`]), so the
//! parameter structs keep serde-saphyr's spans and serde's own errors for unknown, missing and
//! mistyped parameters arrive with a line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::batch::{self, BatchCheck, BatchFile, BatchRule, RawBatchRule};
use super::data::UnitList;
use super::profile::ProfilesFile;
use super::{Rule, RuleSet};
use crate::checks::{self, condition, Check, LintContext};
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

struct RawRule {
    id: Name,
    title: String,
    class: DefectClass,
    element: Name,
    sub_element: Option<String>,
    basis: Option<String>,
    why: Option<String>,
    example: Option<String>,
    filter: Option<Name>,
    kind: &'static str,
    check: Box<dyn Check>,
    /// Unknown keys: reported with their place, while the rest of the file is still checked.
    problems: Vec<Problem>,
}

impl<'de> Deserialize<'de> for RawRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RuleVisitor)
    }
}

struct RuleVisitor;

impl<'de> Visitor<'de> for RuleVisitor {
    type Value = RawRule;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rule: a mapping with id, title, class, element and one check kind")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRule, A::Error> {
        let mut id: Option<Name> = None;
        let mut title: Option<String> = None;
        let mut class: Option<DefectClass> = None;
        let mut element: Option<Name> = None;
        let mut sub_element = None;
        let mut basis = None;
        let mut why = None;
        let mut example = None;
        let mut filter = None;
        let mut check: Option<(&'static str, Box<dyn Check>)> = None;
        let mut problems = Vec::new();
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
                    let Some(kind) = checks::kind(other) else {
                        let known = RULE_KEYS.iter().chain(checks::KINDS).copied();
                        let help = suggest(other, known).unwrap_or_else(|| {
                            format!(
                                "a rule has the keys {} and one check kind: {}",
                                RULE_KEYS.join(", "),
                                checks::KINDS.join(", ")
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
                        map.next_value::<de::IgnoredAny>()?;
                        continue;
                    };
                    if let Some((first, _)) = &check {
                        return Err(de::Error::custom(format!(
                            "a rule has one check kind, this one has `{first}` and `{kind}`"
                        )));
                    }
                    check = Some((kind, map.next_value_seed(KindSeed(kind))?));
                }
            }
        }
        let id: Name = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let (kind, check) = match check {
            Some(c) => c,
            None if !problems.is_empty() => (
                checks::KINDS[0],
                Box::new(NoCheck(id.clone())) as Box<dyn Check>,
            ),
            None => {
                return Err(de::Error::custom(format!(
                    "rule {} names no check kind; add one of: {}",
                    id.value,
                    checks::KINDS.join(", ")
                )))
            }
        };
        Ok(RawRule {
            id,
            title: title.ok_or_else(|| de::Error::missing_field("title"))?,
            class: class.ok_or_else(|| de::Error::missing_field("class"))?,
            element: element.ok_or_else(|| de::Error::missing_field("element"))?,
            sub_element,
            basis,
            why,
            example,
            filter,
            kind,
            check,
            problems,
        })
    }
}

/// Stands in for the check of a rule whose kind key was misspelt, so that the file's other
/// problems are still reported; such a rule set never runs.
#[derive(Debug)]
struct NoCheck(Name);

impl Check for NoCheck {
    fn frame(&self) -> &Name {
        &self.0
    }

    fn reads(&self) -> Vec<checks::Read<'_>> {
        vec![]
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn run(&self, _cx: &checks::Context) -> Result<Vec<crate::finding::Finding>, checks::NotRun> {
        Err(checks::NotRun("规则没有有效的检查类型".into()))
    }

    fn describe(&self) -> String {
        "nothing: the rule has no valid check kind".into()
    }
}

struct KindSeed(&'static str);

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Box<dyn Check>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        checks::deserialize_check(self.0, d)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RawRule>,
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
        let d = self.sources[source].diagnostic(p);
        self.problems.push(miette::Report::new(d));
    }
}

pub(super) fn assemble(
    id: String,
    hash: String,
    files: Vec<(String, String, String)>,
) -> Result<RuleSet, RulesError> {
    let mut c = Collector {
        sources: files
            .iter()
            .map(|(_, name, text)| SourceFile {
                name: name.clone(),
                text: Arc::from(text.as_str()),
            })
            .collect(),
        problems: vec![],
    };
    let mut schema = Schema::default();
    let mut codes: BTreeMap<String, CodeList> = BTreeMap::new();
    let mut raw_rules: Vec<(usize, RawRule)> = Vec::new();
    let mut profiles: BTreeMap<String, Profile> = BTreeMap::new();
    let mut default_profile: Option<(usize, Name)> = None;
    let mut gradings: Vec<(usize, String, Location)> = Vec::new();
    let mut file_sub_elements: BTreeMap<String, String> = BTreeMap::new();
    let mut raw_batch: Vec<(usize, RawBatchRule)> = Vec::new();
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
    let rules = validate(&mut c, &schema, &codes, raw_rules, file_sub_element);
    let batch_rules = validate_batch(
        &mut c,
        &schema,
        &codes,
        &unit_lists,
        &rules,
        raw_batch,
        file_sub_element,
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
    })
}

fn validate(
    c: &mut Collector,
    schema: &Schema,
    codes: &BTreeMap<String, CodeList>,
    raw_rules: Vec<(usize, RawRule)>,
    file_sub_element: impl Fn(usize) -> String,
) -> Vec<Rule> {
    let lint = LintContext { schema, codes };
    let mut seen: BTreeMap<String, (usize, Location)> = BTreeMap::new();
    let mut rules = Vec::new();
    for (source, r) in raw_rules {
        let mut problems = r.problems;
        if r.id.value.trim().is_empty() || r.id.value.contains(char::is_whitespace) {
            problems.push(Problem::new(
                r.id.referenced,
                "a rule id is one word, e.g. ZR-A001",
            ));
        }
        if let Some((first_source, _)) = seen.get(&r.id.value) {
            problems.push(
                Problem::new(
                    r.id.referenced,
                    format!("duplicate rule id `{}`", r.id.value),
                )
                .label("second definition")
                .help(format!(
                    "ids are stable and unique; the first definition is in {}",
                    c.sources[*first_source].name
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
        problems.extend(lint.check_reads(r.check.as_ref()));
        problems.extend(r.check.lint(&lint));
        if let Some(filter) = &r.filter {
            if r.check.accepts_where() {
                problems.extend(lint.check_condition(r.check.frame(), filter));
            } else {
                problems.push(Problem::new(
                    filter.referenced,
                    format!("check kind `{}` does not take `where`", r.kind),
                ));
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
            kind: r.kind,
            check: r.check,
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

/// Batch rules: one kind each, known element, schema names, ids unique across both sets.
fn validate_batch(
    c: &mut Collector,
    schema: &Schema,
    codes: &BTreeMap<String, CodeList>,
    lists: &BTreeMap<String, UnitList>,
    rules: &[Rule],
    raw: Vec<(usize, RawBatchRule)>,
    file_sub_element: impl Fn(usize) -> String,
) -> Vec<BatchRule> {
    let lint = LintContext { schema, codes };
    let mut ids: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
    let mut out = Vec::new();
    for (source, r) in raw {
        if !ids.insert(r.id.value.clone()) {
            c.problem(
                source,
                Problem::new(
                    r.id.referenced,
                    format!("duplicate rule id `{}`", r.id.value),
                )
                .label("second definition"),
            );
        }
        if !ELEMENTS.contains(&r.element.value.as_str()) {
            c.problem(
                source,
                Problem::new(
                    r.element.referenced,
                    format!("unknown quality element `{}`", r.element.value),
                )
                .help(format!("one of: {}", ELEMENTS.join(", "))),
            );
        }
        match batch::validate(r, &lint, lists, file_sub_element(source)) {
            Ok(rule) => {
                if let BatchCheck::ExpectedUnits(e) = &rule.check {
                    check_unit_list(
                        c,
                        &lists[&e.list.value],
                        &codes[&e.type_codes.value],
                        &codes[&e.area_codes.value],
                    );
                }
                out.push(rule)
            }
            Err(problems) => {
                for p in problems {
                    c.problem(source, p);
                }
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// A unit list's types are codes of the rule's type list and its area a code of its area list;
/// the problems point into the list's file.
fn check_unit_list(c: &mut Collector, list: &UnitList, types: &CodeList, areas: &CodeList) {
    let mut problems = Vec::new();
    if !areas.codes.contains_key(&list.area.value) {
        problems.push(
            Problem::new(
                list.area.referenced,
                format!(
                    "`{}` is not in the code list {}",
                    list.area.value, areas.code_list
                ),
            )
            .label("unknown area"),
        );
    }
    for unit in &list.units {
        // A name made only of ignored words would match every unit named so.
        for name in std::iter::once(&unit.name).chain(&unit.aliases) {
            if list.normalise(name).is_empty() {
                problems.push(
                    Problem::new(
                        unit.unit_type.referenced,
                        format!(
                            "the name `{name}` is empty once the list's `ignore` words are removed"
                        ),
                    )
                    .label("in this unit"),
                );
            }
        }
        if !types.codes.contains_key(&unit.unit_type.value) {
            problems.push(
                Problem::new(
                    unit.unit_type.referenced,
                    format!(
                        "type `{}` of {} is not in the code list {}",
                        unit.unit_type.value, unit.name, types.code_list
                    ),
                )
                .label("unknown type")
                .help(format!(
                    "codes: {}",
                    types.codes.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            );
        }
    }
    for p in problems {
        c.problem(list.source_file, p);
    }
}
