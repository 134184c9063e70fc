//! The vocabulary of quality under GB/T 24356-2023 that rules, findings and reports share:
//! defect classes, quality elements, and the profiles that decide what a finding means.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ratio::Ratio;

/// Defect class of GB/T 24356-2023: A is the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefectClass {
    /// A 类 (严重缺陷): the result cannot be used; one makes a unit 不合格.
    A,
    /// B 类 (重缺陷): weighs 12 in formula (4).
    B,
    /// C 类 (轻缺陷): weighs 4.
    C,
    /// D 类 (微缺陷, a flaw): weighs 1.
    D,
}

impl DefectClass {
    /// Every class, most severe first.
    pub const ALL: [DefectClass; 4] = [
        DefectClass::A,
        DefectClass::B,
        DefectClass::C,
        DefectClass::D,
    ];

    /// Whether this class is at least as severe as `threshold`.
    pub fn at_least(self, threshold: DefectClass) -> bool {
        self <= threshold
    }
}

impl fmt::Display for DefectClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Quality elements of GB/T 17941/18316, plus 面积精度 which acceptance of registration results
/// grades on its own.
pub const ELEMENTS: &[&str] = &[
    "空间参考系",
    "位置精度",
    "属性精度",
    "面积精度",
    "完整性",
    "逻辑一致性",
    "时间精度",
    "表征质量",
    "附件质量",
];

/// A profile as a report records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Its key in `profiles.yaml`, as `--profile` names it (`county`, `self-check`...).
    pub name: String,
    /// Its title for people, e.g. 县级验收.
    pub title: String,
    /// What it is for; empty when the file gives none.
    pub description: String,
    /// Findings of this class or a more severe one fail the package, unless their class is a
    /// warning class.
    pub fail_on: DefectClass,
    /// Classes reported as warnings: listed, never failing the package. They still count
    /// toward the grade, so that a producer's self-check score is the score acceptance will give.
    pub warn: Vec<DefectClass>,
    /// Whether `nrqc batch` runs the cross-package rules (`batch.yaml`).
    pub cross_package: bool,
    /// Whether findings covered by an accepted exception (例外) still count.
    pub exceptions: ExceptionPolicy,
    /// How the grade is computed under it.
    pub grading: Grading,
}

/// What an accepted exception (例外) does to the finding it covers (`exceptions:` of a profile).
/// Either way the finding stays listed, marked 例外 with its reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionPolicy {
    /// The finding counts toward neither the verdict nor the grade (county and prefecture
    /// acceptance).
    #[default]
    Waive,
    /// The finding counts as if there were no exception (a strict acceptance).
    Count,
}

/// How GB/T 24356-2023 grading counts and weighs defects (`grading:` of a profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    /// The divisor of formula (4), `S = 100 − (12B + 4C + D)/t`; 1 unless the client agrees
    /// otherwise (6.2.4.2).
    #[serde(default = "one")]
    pub t: Ratio,
    /// What one defect (错漏) is: a finding or a failed rule.
    #[serde(default)]
    pub count: CountMode,
    /// The weights of elements and sub-elements in the score.
    #[serde(default)]
    pub weights: Weights,
}

fn one() -> Ratio {
    Ratio::ONE
}

impl Default for Grading {
    fn default() -> Grading {
        Grading {
            t: Ratio::ONE,
            count: CountMode::default(),
            weights: Weights::default(),
        }
    }
}

/// What one 错漏 is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountMode {
    /// Every finding is one defect, as GB/T 24356 counts 错漏 item by item.
    #[default]
    Findings,
    /// Every failed rule is one defect, however many features it found.
    Rules,
}

/// Relative weights of quality elements (P) and of the sub-elements within each element (p).
/// Weights are renormalised over the parts actually inspected; a level left out weighs its
/// parts equally. A level that is given must name every part that has rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Weight of each quality element; empty: all equal.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub elements: BTreeMap<String, Ratio>,
    /// Weight of each sub-element within its element, by element; an element left out weighs its
    /// sub-elements equally.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sub_elements: BTreeMap<String, BTreeMap<String, Ratio>>,
}

impl Weights {
    /// The weight of `element`: as configured, or 1 when its level is not configured.
    pub fn element(&self, element: &str) -> Option<Ratio> {
        if self.elements.is_empty() {
            Some(Ratio::ONE)
        } else {
            self.elements.get(element).copied()
        }
    }

    /// The weight of sub-element `sub` of `element`: as configured, or 1 when that element's
    /// sub-elements are not configured; `None` when they are and leave `sub` out.
    pub fn sub_element(&self, element: &str, sub: &str) -> Option<Ratio> {
        match self.sub_elements.get(element) {
            None => Some(Ratio::ONE),
            Some(w) => w.get(sub).copied(),
        }
    }
}

impl Profile {
    /// Whether a finding of `class` fails the package under this profile.
    pub fn fails(&self, class: DefectClass) -> bool {
        class.at_least(self.fail_on) && !self.warns(class)
    }

    /// Whether findings of `class` are reported as warnings under this profile.
    pub fn warns(&self, class: DefectClass) -> bool {
        self.warn.contains(&class)
    }
}
