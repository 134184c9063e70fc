//! Profiles (`profiles.yaml`): who runs an inspection, and so what its findings mean. A producer's
//! self-check (自检) reports minor classes as warnings; an acceptance (验收) counts them.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::{Name, Spanned};
use crate::quality::{DefectClass, ExceptionPolicy, Grading, Profile};

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
    pub exceptions: ExceptionPolicy,
    #[serde(default)]
    pub grading: Option<Spanned<Grading>>,
}

fn default_fail_on() -> DefectClass {
    DefectClass::B
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
            exceptions: def.exceptions,
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
            exceptions: ExceptionPolicy::default(),
            grading: Grading::default(),
        }
    }
}
