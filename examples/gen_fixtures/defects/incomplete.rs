//! The completeness defects, in a ninth package of their own (`622923_永靖县_missing_layers`): a
//! delivery of 永靖县 without its five required layers and tables, ZRZYDJDY, ZRZK, XZQ, STBHHX
//! and GGGZ, with only the optional ones and the statistics table.
//!
//! Any of the five stops every rule that reads it, and the defects of the eight county packages
//! are nearly all about units, parcels, the county, the red line or its links: one missing
//! there would silence them, so the packages keep every required layer and the missing ones
//! are gathered here, where nothing else is to be found.

use nrqc::rules::RuleSet;

use super::{finding, not_run, Finding};
use crate::model::Package;

/// The required layers and tables, each with the completeness rule that reports it missing.
const REQUIRED: [(&str, &str); 5] = [
    ("ZRZYDJDY", "ZR-S001"),
    ("ZRZK", "ZR-S002"),
    ("XZQ", "ZR-S003"),
    ("STBHHX", "ZR-S004"),
    ("GGGZ", "ZR-S005"),
];

/// Leaves out the five and names what that causes: each one's completeness finding, and every
/// built-in rule that reads one of them does not run, for the first of them that it reads (the
/// one the report names). The rules come from the rule set, so a new rule reading a required
/// layer joins the truth when the fixtures are regenerated.
pub fn without_required_layers(package: &mut Package) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (layer, rule) in REQUIRED {
        package.missing.push(layer);
        findings.push(finding(
            rule,
            layer,
            vec![],
            format!("{layer} not delivered"),
        ));
    }
    let rules = RuleSet::builtin().expect("the built-in rules are valid");
    for rule in &rules.rules {
        let first_missing = rule.check.reads().into_iter().find_map(|read| {
            REQUIRED
                .iter()
                .find(|(layer, _)| read.frame.value == *layer)
        });
        if let Some(&(layer, cause)) = first_missing {
            findings.push(not_run(
                rule.id.clone(),
                layer,
                format!("缺少{layer}，无法检查"),
                format!("reads {layer} ({cause})"),
            ));
        }
    }
    findings
}
