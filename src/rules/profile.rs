//! Profiles (`profiles.yaml`): who runs an inspection, and so what its findings mean. A producer's
//! self-check (自检) reports minor classes as warnings; an acceptance (验收) counts them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DefectClass, Name};

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
    /// Classes reported as warnings: listed, never failing the package.
    pub warn: Vec<DefectClass>,
}

impl Profile {
    pub(super) fn new(name: &str, def: ProfileDef) -> Profile {
        Profile {
            name: name.to_owned(),
            title: def.title,
            description: def.description,
            fail_on: def.fail_on,
            warn: def.warn,
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
