//! Profiles (`profiles.yaml`): who runs an inspection, and so what its findings mean. A producer's
//! self-check (自检) reports minor classes as warnings; an acceptance (验收) counts them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefectClass, Name, Spanned};
use crate::ratio::Ratio;

/// `profiles.yaml`: the profiles and which one runs when none is asked for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfilesFile {
    pub default: Name,
    pub profiles: BTreeMap<String, ProfileDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileDef {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_fail_on")]
    pub fail_on: DefectClass,
    #[serde(default)]
    pub warn: Vec<DefectClass>,
    #[serde(default)]
    pub cross_package: bool,
    #[serde(default)]
    pub grading: Option<Spanned<Grading>>,
}

fn default_fail_on() -> DefectClass {
    DefectClass::B
}

/// A profile as a report records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Findings of this class or a more severe one fail the package, unless their class is a
    /// warning class.
    pub fail_on: DefectClass,
    /// Classes reported as warnings: listed, never failing the package. They still count
    /// toward the grade, so that a producer's self-check score is the score acceptance will give.
    pub warn: Vec<DefectClass>,
    /// Whether `nrqc batch` runs the cross-package rules (`batch.yaml`).
    pub cross_package: bool,
    pub grading: Grading,
}

/// How GB/T 24356-2023 grading counts and weighs defects (`grading:` of a profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    /// The divisor of formula (4), `S = 100 − (12B + 4C + D)/t`; 1 unless the client agrees
    /// otherwise (6.2.4.2).
    #[serde(default = "one")]
    pub t: Ratio,
    #[serde(default)]
    pub count: CountMode,
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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub elements: BTreeMap<String, Ratio>,
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

    pub fn sub_element(&self, element: &str, sub: &str) -> Option<Ratio> {
        match self.sub_elements.get(element) {
            None => Some(Ratio::ONE),
            Some(w) => w.get(sub).copied(),
        }
    }
}

impl Profile {
    pub(super) fn new(name: &str, def: ProfileDef) -> Profile {
        Profile {
            name: name.to_owned(),
            title: def.title,
            description: def.description,
            fail_on: def.fail_on,
            warn: def.warn,
            cross_package: def.cross_package,
            grading: def.grading.map(|g| g.value).unwrap_or_default(),
        }
    }

    /// The profile of a rule set that defines none: every class counts, B and above fail.
    pub(super) fn implicit() -> Profile {
        Profile {
            name: "default".into(),
            title: "默认".into(),
            description: String::new(),
            fail_on: default_fail_on(),
            warn: vec![],
            cross_package: false,
            grading: Grading::default(),
        }
    }

    /// Whether a finding of `class` fails the package under this profile.
    pub fn fails(&self, class: DefectClass) -> bool {
        class.at_least(self.fail_on) && !self.warns(class)
    }

    pub fn warns(&self, class: DefectClass) -> bool {
        self.warn.contains(&class)
    }
}
