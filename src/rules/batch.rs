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

use serde::Deserialize;

use super::diag::Problem;
use super::{DefectClass, Name};
use crate::checks::{LintContext, Read};

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

#[derive(Debug, Clone)]
pub enum BatchCheck {
    UniqueAcross(UniqueAcross),
    DeliveredOnce(DeliveredOnce),
    TotalsMatch(TotalsMatch),
}

impl BatchCheck {
    pub fn kind(&self) -> &'static str {
        match self {
            BatchCheck::UniqueAcross(_) => "unique_across",
            BatchCheck::DeliveredOnce(_) => "delivered_once",
            BatchCheck::TotalsMatch(_) => "totals_match",
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
        }
    }

    /// Whether its findings concern a county's package (and go into its report and grade) or
    /// the batch as a whole.
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
    sub_element: String,
) -> Result<BatchRule, Vec<Problem>> {
    let kinds: Vec<BatchCheck> = [
        raw.unique_across.map(BatchCheck::UniqueAcross),
        raw.delivered_once.map(BatchCheck::DeliveredOnce),
        raw.totals_match.map(BatchCheck::TotalsMatch),
    ]
    .into_iter()
    .flatten()
    .collect();
    let [check] = <[BatchCheck; 1]>::try_from(kinds).map_err(|_| {
        vec![Problem::new(
            raw.id.referenced,
            format!(
                "batch rule {} needs exactly one of unique_across, delivered_once, totals_match",
                raw.id.value
            ),
        )]
    })?;
    let problems = lint.check_read_list(check.reads());
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
