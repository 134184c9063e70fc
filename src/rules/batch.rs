//! Rules across the packages of a batch (`batch.yaml`, top key `batch_rules:`): what no single
//! county's package can show. `nrqc batch` runs them under a profile with `cross_package: true`;
//! `nrqc check` never does. They share the common keys of a rule (id, title, class, element,
//! sub_element, basis, why) and have exactly one of these kinds:
//!
//! - `unique_across: { layer, fields }`: a key occurs in at most one package of the batch.
//! - `delivered_once: { layer, code, name }`: a unit whose code carries the prefecture's or
//!   province's prefix (a unit that crosses counties) is delivered by one package only: the
//!   same name under such a prefix in two packages is one unit delivered twice. Equal codes are
//!   left to `unique_across`, so that one defect is reported once.
//! - `totals_match: { table, key, columns }`: the county tables, summed row by row (matched on
//!   `key`), equal the prefecture's table given with `--prefecture-table`, within the rounding
//!   of the written decimals.
//! - `expected_units: { list, layer, code, name, type, type_codes, area_codes }`: every unit of a
//!   list of `rules/data/` ([`super::data`]) is delivered by some package, under a name that
//!   matches its name or an alias, and with its type. A unit named as the list's but of another
//!   type is a finding in the package that delivered it; a unit no package delivers is a finding
//!   about the batch, judged only when the batch holds every county of the list's area (by the
//!   code list `area_codes`), none of them unreadable, and is not a sample: otherwise a missing
//!   unit may be in a package that was not inspected, and the rule says so instead. Units
//!   delivered with a name that contains the expected one, or is contained in it (a river's
//!   county section, `广通河广河段`), are named beside a missing unit but do not stand for it: a
//!   unit the plan registers whole is one unit.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::data::UnitList;
use crate::checks::{LintContext, Read};
use crate::diag::Name;
use crate::diag::{suggest, Problem};
use crate::quality::DefectClass;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchFile {
    pub batch_rules: Vec<RawBatchRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBatchRule {
    pub id: Name,
    pub title: String,
    pub class: DefectClass,
    pub element: Name,
    pub sub_element: Option<String>,
    pub basis: Option<String>,
    pub why: Option<String>,
    pub unique_across: Option<UniqueAcross>,
    pub delivered_once: Option<DeliveredOnce>,
    pub totals_match: Option<TotalsMatch>,
    pub expected_units: Option<ExpectedUnits>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueAcross {
    pub layer: Name,
    pub fields: Vec<Name>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveredOnce {
    pub layer: Name,
    pub code: Name,
    pub name: Name,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalsMatch {
    pub table: Name,
    pub key: Name,
    pub columns: Vec<Name>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedUnits {
    /// A `unit_list` of `rules/data/`.
    pub list: Name,
    pub layer: Name,
    pub code: Name,
    pub name: Name,
    #[serde(rename = "type")]
    pub unit_type: Name,
    /// The code list of `type`: the list's types must be in it, and messages name them.
    pub type_codes: Name,
    /// The code list of area codes: the counties that make up the list's `area`.
    pub area_codes: Name,
}

#[derive(Debug, Clone)]
pub enum BatchCheck {
    UniqueAcross(UniqueAcross),
    DeliveredOnce(DeliveredOnce),
    TotalsMatch(TotalsMatch),
    /// Boxed: seven names with their spans, more than twice the size of the other kinds.
    ExpectedUnits(Box<ExpectedUnits>),
}

impl BatchCheck {
    pub fn kind(&self) -> &'static str {
        match self {
            BatchCheck::UniqueAcross(_) => "unique_across",
            BatchCheck::DeliveredOnce(_) => "delivered_once",
            BatchCheck::TotalsMatch(_) => "totals_match",
            BatchCheck::ExpectedUnits(_) => "expected_units",
        }
    }

    /// What it checks, in plain words, for the rule documentation.
    pub fn describe(&self) -> String {
        let list = |names: &[Name]| {
            names
                .iter()
                .map(|n| format!("`{}`", n.value))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            BatchCheck::UniqueAcross(c) => format!(
                "the key {} of `{}` occurs in at most one package of the batch",
                list(&c.fields),
                c.layer.value
            ),
            BatchCheck::DeliveredOnce(c) => format!(
                "a `{}` feature whose `{}` has the prefecture's or province's prefix is delivered \
                 by one package only: no other package has one of the same `{}` under a \
                 prefecture or province prefix",
                c.layer.value, c.code.value, c.name.value
            ),
            BatchCheck::TotalsMatch(c) => format!(
                "the sums of {} of the county tables `{}`, row by row on `{}`, equal the \
                 prefecture's table (`--prefecture-table`) within the rounding of the written \
                 decimals",
                list(&c.columns),
                c.table.value,
                c.key.value
            ),
            BatchCheck::ExpectedUnits(c) => format!(
                "every unit of the list `{}` (rules/data/) is delivered as a `{}` feature whose \
                 `{}` matches its name or an alias, with its `{}`; a missing unit is judged when \
                 the batch holds every county of the list's area",
                c.list.value, c.layer.value, c.name.value, c.unit_type.value
            ),
        }
    }

    /// Whether some of its findings concern a county's package (and go into its report and
    /// grade); the rest concern the batch as a whole.
    pub fn per_package(&self) -> bool {
        !matches!(self, BatchCheck::TotalsMatch(_))
    }

    fn reads(&self) -> Vec<Read<'_>> {
        match self {
            BatchCheck::UniqueAcross(c) => Read::fields(&c.layer, &c.fields),
            BatchCheck::DeliveredOnce(c) => vec![
                Read::field(&c.layer, &c.code),
                Read::field(&c.layer, &c.name),
            ],
            BatchCheck::TotalsMatch(c) => {
                let mut reads = vec![Read::field(&c.table, &c.key)];
                reads.extend(Read::fields(&c.table, &c.columns));
                reads
            }
            BatchCheck::ExpectedUnits(c) => vec![
                Read::field(&c.layer, &c.code),
                Read::field(&c.layer, &c.name),
                Read::field(&c.layer, &c.unit_type),
            ],
        }
    }
}

#[derive(Debug, Clone)]
pub struct BatchRule {
    pub id: String,
    pub title: String,
    pub class: DefectClass,
    pub element: String,
    pub sub_element: String,
    pub basis: Option<String>,
    pub why: Option<String>,
    pub check: BatchCheck,
}

/// A batch rule with exactly one kind, naming what the schema declares.
pub(super) fn validate(
    raw: RawBatchRule,
    lint: &LintContext,
    lists: &BTreeMap<String, UnitList>,
    sub_element: String,
) -> Result<BatchRule, Vec<Problem>> {
    let kinds: Vec<BatchCheck> = [
        raw.unique_across.map(BatchCheck::UniqueAcross),
        raw.delivered_once.map(BatchCheck::DeliveredOnce),
        raw.totals_match.map(BatchCheck::TotalsMatch),
        raw.expected_units
            .map(|e| BatchCheck::ExpectedUnits(Box::new(e))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [check] = <[BatchCheck; 1]>::try_from(kinds).map_err(|_| {
        vec![Problem::new(
            raw.id.referenced,
            format!(
                "batch rule {} needs exactly one of unique_across, delivered_once, totals_match, expected_units",
                raw.id.value
            ),
        )]
    })?;
    let mut problems = lint.check_read_list(check.reads());
    if let BatchCheck::ExpectedUnits(c) = &check {
        problems.extend(unknown_unit_list(&c.list, lists));
        for codes in [&c.type_codes, &c.area_codes] {
            problems.extend(crate::checks::unknown_code_list(codes, lint));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(BatchRule {
        id: raw.id.value,
        title: raw.title,
        class: raw.class,
        element: raw.element.value,
        sub_element: raw.sub_element.unwrap_or(sub_element),
        basis: raw.basis,
        why: raw.why,
        check,
    })
}

/// The problem with naming `list`, if `rules/data/` has no unit list of that name.
fn unknown_unit_list(list: &Name, lists: &BTreeMap<String, UnitList>) -> Option<Problem> {
    if lists.contains_key(&list.value) {
        return None;
    }
    let p = Problem::new(list.referenced, format!("no unit list `{}`", list.value))
        .label("unknown unit list");
    Some(
        match suggest(&list.value, lists.keys().map(String::as_str)) {
            Some(s) => p.help(s),
            None => p.help(format!(
                "unit lists live in rules/data/; known: {}",
                lists.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        },
    )
}
