//! Cross-package check kinds: rules across the packages of a batch (`batch.yaml`, top key
//! `batch_rules:`), for what no single county's package can show. `nrqc batch` runs them under a
//! profile with `cross_package: true`; `nrqc check` never does. A batch rule has the keys of any
//! rule (id, title, class, element, sub_element, basis, why) and one of these kinds.
//!
//! A kind is a struct of parameters that implements [`CrossCheck`]: what it needs from each
//! package, taken while the package's dataset is loaded ([`Input`]), and its judgement over all
//! of them. Adding a kind is one file plus one line in `kinds!`, as for the kinds of one
//! package.

pub mod unit_list;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{LintContext, Read, RuleFacts};
use crate::diag::Problem;
use crate::finding::{FeatureId, Finding, Status};
use crate::package::Dataset;
use crate::ratio::Ratio;
use crate::schema::CodeList;
use unit_list::UnitList;

/// A cross-package check kind: what it takes from each package and its judgement over all of
/// them. A batch rule names one kind.
pub trait CrossCheck: Send + Sync + fmt::Debug {
    /// Everything it reads; the linter checks these names against the schema.
    fn reads(&self) -> Vec<Read<'_>>;

    /// Validation beyond names: the code lists and unit lists it names exist.
    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        Vec::new()
    }

    /// What it checks, in plain words, for the rule documentation.
    fn describe(&self) -> String;

    /// What it needs from one package, taken while the package's dataset is loaded.
    fn extract(&self, dataset: &Dataset) -> Input;

    /// Its judgement over the inputs of every readable package of the batch; an error stops
    /// the batch (a prefecture table that cannot be read).
    fn judge(&self, cx: &CrossContext) -> Result<Judgement, String>;
}

kinds! {
    CrossCheck;
    unique_across::UniqueAcross,
    delivered_once::DeliveredOnce,
    totals_match::TotalsMatch,
    expected_units::ExpectedUnits,
    one_package_per_area::OnePackagePerArea,
}

/// A readable package of the batch, as a cross-package check sees it.
#[derive(Debug, Clone, Copy)]
pub struct Package<'a> {
    /// Its report folder in the batch's output, which findings name it by.
    pub name: &'a str,
    /// Its path as found from the command line.
    pub path: &'a str,
    /// `xzqdm` of its `package.yaml`: the county it delivers.
    pub area_code: &'a str,
    /// `xzqmc` of its `package.yaml`.
    pub area_name: &'a str,
    /// What the rule took from it.
    pub input: &'a Input,
}

/// What a cross-package check sees when it judges the batch.
pub struct CrossContext<'a> {
    /// The batch rule being judged; `filter` is always `None`.
    pub rule: RuleFacts<'a>,
    /// Each readable package, in batch order.
    pub packages: &'a [Package<'a>],
    /// The rule set's code lists, by name.
    pub codes: &'a BTreeMap<String, CodeList>,
    /// The rule set's unit lists, by name.
    pub unit_lists: &'a BTreeMap<String, UnitList>,
    /// Whether the batch is a sample of the packages delivered.
    pub sampled: bool,
    /// How many packages of the batch could not be read.
    pub unreadable: usize,
    /// The area codes (XZQDM) of the readable packages.
    pub areas: &'a BTreeSet<&'a str>,
    /// `--plan-year`: units of a plan list registered later are not expected.
    pub plan_year: Option<i32>,
    /// `--prefecture-table`: files named after their table (`TJ_ZRZYMJ.csv`).
    pub prefecture_tables: &'a [PathBuf],
}

impl CrossContext<'_> {
    /// Whether packages `i` and `j` (indices into [`CrossContext::packages`]) deliver the same
    /// county: one county delivered twice, which `one_package_per_area` reports once, as a
    /// delivery. The kinds that compare packages do not compare such copies with each other:
    /// a copy holds every unit code and name of the first, so comparing them would report each
    /// unit of the county as a clash with itself and bury the one defect, the second delivery.
    pub fn same_area(&self, i: usize, j: usize) -> bool {
        self.packages[i].area_code == self.packages[j].area_code
    }

    /// The counties delivered more than once: each area code with the indices of its packages,
    /// in batch order.
    pub fn redelivered(&self) -> Vec<(&str, Vec<usize>)> {
        let mut by_area: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in self.packages.iter().enumerate() {
            by_area.entry(p.area_code).or_default().push(i);
        }
        by_area.into_iter().filter(|(_, i)| i.len() > 1).collect()
    }

    /// A finding of this rule about features `ids` of `layer`.
    pub fn finding(&self, layer: &str, ids: Vec<FeatureId>, message: String) -> Finding {
        Finding::new(
            self.rule.id,
            self.rule.class,
            self.rule.element,
            layer,
            ids,
            message,
        )
    }
}

/// A cross-package check's judgement.
#[derive(Debug, Default)]
pub struct Judgement {
    /// The findings about each package (in the order of [`CrossContext::packages`]), which go
    /// into its report and grade; `None` for a kind that judges the batch as a whole.
    pub per_package: Option<Vec<Vec<Finding>>>,
    /// The findings about the batch as a whole.
    pub about_batch: Vec<Finding>,
    /// Why the rule judged nothing, or not everything: its status and the reason.
    pub not_judged: Option<(Status, String)>,
}

/// What one batch rule needs from one package. Serialisable: a shard (`nrqc batch --shard`)
/// keeps it in its manifest, so that `nrqc merge` judges the batch without reading the packages
/// again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// `unique_across`: (fid, key) of every feature with its key filled.
    Keys(Vec<(usize, String)>),
    /// `delivered_once`: (fid, code, name) of every unit whose code has a prefecture or province
    /// prefix.
    Units(Vec<(usize, String, Option<String>)>),
    /// `totals_match`: the package's table, or `None` when it does not deliver it.
    Table(Option<Table>),
    /// `expected_units`: every unit with a name.
    Named(Vec<Delivered>),
    /// `one_package_per_area`: nothing from the layers; it judges the packages' manifests, which
    /// [`Package`] carries.
    Manifest,
}

/// A delivered unit, as `expected_units` compares it with a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// 0-based FID of the unit in its layer.
    pub fid: usize,
    /// Its unit code (ZRZYDJDYH); `None` when empty.
    pub code: Option<String>,
    /// Its name as delivered, not normalised.
    pub name: String,
    /// Its type code (DJDYLX), trimmed; `None` when empty.
    pub unit_type: Option<String>,
}

/// A statistics table as exact decimals: row key → column → value, and the most decimals any
/// value was written with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// By row key: the row's 0-based index in the file, and its values by column.
    pub rows: BTreeMap<String, (usize, BTreeMap<String, Ratio>)>,
    /// The most decimals any value was written with.
    pub decimals: u32,
}

/// Whether a unit code's 6-digit prefix is a prefecture's (`XXXX00`) or a province's (`XX0000`)
/// code: the prefix of a unit that crosses counties.
pub fn above_county(code: &str) -> bool {
    code.get(..6)
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.ends_with("00"))
}

/// Names as a rule's description lists them: `` `A`, `B` ``.
fn listed(names: &[crate::diag::Name]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.value))
        .collect::<Vec<_>>()
        .join(", ")
}
