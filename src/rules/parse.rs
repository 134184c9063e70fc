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

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::diag::{suggest, Problem, RulesError, SourceFile};
use super::profile::{Profile, ProfilesFile};
use super::{CodeList, DefectClass, Location, Name, Rule, RuleSet, ELEMENTS};
use crate::checks::{self, condition, Check, LintContext};
use crate::schema::Schema;

const RULE_KEYS: &[&str] = &[
    "id", "title", "class", "element", "basis", "why", "example", "where",
];

struct RawRule {
    id: Name,
    title: String,
    class: DefectClass,
    element: Name,
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

    fn run(&self, _cx: &checks::Context) -> Result<Vec<crate::report::Finding>, checks::NotRun> {
        Err(checks::NotRun("the rule has no valid check kind".into()))
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
        match serde_saphyr::from_str::<T>(&file.text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problems
                    .push(super::diag::yaml_report(&e, &file.text, &file.name));
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
                    profiles.insert(name.clone(), Profile::new(&name, def));
                }
                default_profile = Some((i, f.default));
            }
        } else if rel.starts_with("codes/") {
            if let Some(list) = c.parse::<CodeList>(i) {
                codes.insert(list.code_list.clone(), list);
            }
        } else if let Some(f) = c.parse::<RuleFile>(i) {
            raw_rules.extend(f.rules.into_iter().map(|r| (i, r)));
        }
    }
    let rules = validate(&mut c, &schema, &codes, raw_rules);
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
