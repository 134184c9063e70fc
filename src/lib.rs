//! nrqc inspects natural-resource rights-registration survey packages (自然资源统一确权登记成果).
//!
//! Data flows one way: [`package`] loads a delivery into a [`package::Dataset`]; [`rules`] parses the
//! declarative rule files; [`engine`] runs the [`checks`] of every rule in parallel and collects
//! [`report::Finding`]s; [`report`] renders them. [`Inspection`] is that pipeline for one
//! package, [`batch`] for a prefecture's packages. The library never prints: the `nrqc` binary
//! (`src/main.rs` and its `cli` module) parses the command line, prints and chooses the exit
//! code; clap is used only there.
//!
//! Modules import down these layers, never sideways or up:
//!
//! ```text
//!   cli (the binary)
//!    └─ batch
//!        └─ inspection
//!            └─ engine
//!                └─ checks
//!                    └─ package · rules · report
//!                        └─ geom · schema · ratio · progress
//! ```
//!
//! `tests/layers.rs` fails on an import that breaks this. Its `KNOWN` list holds the imports
//! that still do (report and package reading rules' vocabulary, rules parsing check kinds), to
//! be moved into leaf modules.

pub mod batch;
pub mod checks;
pub mod engine;
pub mod geom;
pub mod inspection;
pub mod package;
pub mod progress;
pub mod ratio;
pub mod report;
pub mod rules;
pub mod schema;

use std::path::Path;

pub use inspection::Inspection;

/// Lower-case hex of a digest, as reports print sha256 sums.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the package at `path` (a directory, or a `.zip` holding one), runs every rule of `rules`
/// on the current rayon pool and returns the report, judged under the rule set's default profile
/// but with findings of class `fail_on` or more severe failing the package.
///
/// ```
/// let rules = nrqc::rules::RuleSet::builtin().unwrap();
/// let package = std::path::Path::new("fixtures/622923_永靖县");
/// let report = nrqc::inspect(package, &rules, nrqc::rules::DefectClass::B).unwrap();
/// assert_eq!(report.outcome, nrqc::report::Outcome::Pass);
/// assert!(report.findings.is_empty());
/// ```
pub fn inspect(
    path: &Path,
    rules: &rules::RuleSet,
    fail_on: rules::DefectClass,
) -> Result<report::Report, package::PackageError> {
    let mut profile = rules
        .profile(None)
        .expect("a rule set always has its default profile")
        .clone();
    profile.fail_on = fail_on;
    inspect_as(path, rules, &profile)
}

/// [`inspect`] under `profile`, which decides what fails the package.
pub fn inspect_as(
    path: &Path,
    rules: &rules::RuleSet,
    profile: &rules::Profile,
) -> Result<report::Report, package::PackageError> {
    Ok(Inspection::run(path, rules, &())?.report(profile))
}
