#![warn(missing_docs)]
//! nrqc inspects natural-resource rights-registration survey packages (自然资源统一确权登记成果).
//!
//! Data flows one way: [`package`] loads a delivery into a [`package::Dataset`]; [`rules`] parses
//! the declarative rule files, each naming one of the [`checks`]; [`engine`] runs them in
//! parallel and collects [`finding::Finding`]s; [`report`] judges and renders them.
//! [`Inspection`] is that pipeline for one package, [`batch`] for a prefecture's packages. The
//! library never prints: the `nrqc` binary (`src/main.rs` and its `cli` module) parses the
//! command line, prints and chooses the exit code; clap is used only there.
//!
//! Modules import down these layers, never sideways or up:
//!
//! ```text
//!   cli (the binary)
//!    └─ batch · fuzz         a prefecture's packages; the fuzz targets' entry points
//!        └─ inspection       one package: open, load, run, report
//!            └─ report       judging (GB/T 24356 grade, verdict) and rendering, rule docs
//!                └─ engine   every rule's check over the dataset, in parallel
//!                    └─ rules       rule files: header, profile, the check kind they name
//!                        └─ checks  the check kinds, one file each
//!                            └─ package   layers and tables into a Dataset
//!                                └─ finding   findings and per-rule results
//!                                    └─ quality   defect classes, elements, profiles
//!                                        └─ diag · geom · schema · ratio · progress · i18n
//! ```
//!
//! `tests/layers.rs` fails on an import that breaks this. The report sits above the engine
//! because it judges the engine's results and documents the rules; rules sit above checks
//! because a rule file names its check kind, which the parser looks up among the checks.

pub mod batch;
pub mod checks;
pub mod diag;
pub mod engine;
pub mod finding;
#[doc(hidden)]
pub mod fuzz;
pub mod geom;
pub mod i18n;
pub mod inspection;
pub mod package;
pub mod progress;
pub mod quality;
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
/// let report = nrqc::inspect(package, &rules, nrqc::quality::DefectClass::B).unwrap();
/// assert_eq!(report.outcome, nrqc::report::Outcome::Pass);
/// assert!(report.findings.is_empty());
/// ```
pub fn inspect(
    path: &Path,
    rules: &rules::RuleSet,
    fail_on: quality::DefectClass,
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
    profile: &quality::Profile,
) -> Result<report::Report, package::PackageError> {
    Ok(Inspection::run(path, rules, &())?.report(profile))
}
