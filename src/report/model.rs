//! The report model: one structure that every renderer reads.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::grade::Grading;
use crate::finding::{Coverage, FeatureId, Finding, Status};
use crate::package::{FileDigest, InputNote, LayerCrs, Manifest, Unread};
use crate::quality::{DefectClass, ExceptionPolicy, Profile};

/// The version of `report.json`'s schema (docs/report-schema.md). Bump on any incompatible change.
pub const REPORT_SCHEMA: &str = "nrqc-report/1";

/// Characters of one text (a message, a measured or expected value, a feature's key, a read
/// error) that the human-readable reports (report.md, report.html, junit.xml, batch.md) show;
/// report.json and the error layer keep it whole.
pub const SHOWN_CHARS: usize = 200;

/// `s` held to about [`SHOWN_CHARS`] characters: its start and its end (where a message says
/// what is wrong with the value it quotes), with what was left out counted between them.
pub fn clip(s: &str) -> Cow<'_, str> {
    const HEAD: usize = SHOWN_CHARS * 3 / 5;
    const TAIL: usize = SHOWN_CHARS - HEAD;
    let total = s.chars().count();
    if total <= SHOWN_CHARS {
        return Cow::Borrowed(s);
    }
    let head_end = s.char_indices().nth(HEAD).map_or(s.len(), |(i, _)| i);
    let tail_start = s
        .char_indices()
        .nth(total - TAIL)
        .map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!(
        "{}…（略去 {} 字符，全文见 report.json）…{}",
        &s[..head_end],
        total - HEAD - TAIL,
        &s[tail_start..]
    ))
}

/// One rule's result: an entry of `rules` in report.json, a row of the rule tables of report.md and
/// report.html, a testcase of junit.xml.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's stable id, e.g. `ZR-N001`; its findings carry it as `rule_id`.
    pub id: String,
    /// The rule's `title` from its rule file, in Chinese, e.g. `登记单元图层缺失`.
    pub title: String,
    /// The check kind that ran it, e.g. `not_null` (docs/rules.md lists the kinds).
    pub kind: String,
    /// The defect class (GB/T 24356-2023, `"A"`…`"D"`) of each of its findings.
    pub class: DefectClass,
    /// The quality element it is graded under, e.g. `完整性`; junit.xml's testcase `classname`.
    pub element: String,
    /// The sub-element within `element` whose score S₁ its defects lower, e.g. `遗漏`.
    pub sub_element: String,
    /// What the rule rests on (依据): the standard, plan section or format clause, as its rule
    /// file gives it; absent when it gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// `passed`, `failed`, `not_run` or `not_applicable`; a rule that checked nothing is never
    /// `passed`.
    pub status: Status,
    /// Why it did not run or does not apply, in Chinese; absent when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the run should tell beyond its counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the rule evaluated and what it skipped, with the reasons.
    pub coverage: Coverage,
    /// How many findings it made (`Report::findings` holds them, under this rule's id).
    pub findings: usize,
    /// How many of them an accepted exception covers (marked 例外); under a profile that waives
    /// exceptions they count toward neither the exit code nor the grade.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excepted: usize,
    /// Wall time of the rule's check in milliseconds (to 0.1 ms); rules run in parallel and
    /// their times overlap (see [`Timings`]).
    pub elapsed_ms: f64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl RuleResult {
    /// The defects (错漏) it counts toward the grade under `profile`: its findings, less those
    /// an exception waives.
    pub fn defects(&self, profile: &Profile) -> usize {
        match profile.exceptions {
            ExceptionPolicy::Waive => self.findings - self.excepted,
            ExceptionPolicy::Count => self.findings,
        }
    }
}

/// The program that wrote a report: `engine` of report.json and batch.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Engine {
    /// The crate's name, `nrqc`.
    pub name: String,
    /// The crate's version, e.g. `0.1.0`.
    pub version: String,
}

/// The package inspected, what it delivered and what could not be read: `package` of report.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageInfo {
    /// The package's name: its directory's name, or a zip's file name without `.zip`, e.g.
    /// `622923_永靖县`.
    pub name: String,
    /// The package's path as given on the command line, with `/` as separator.
    pub path: String,
    /// The validated `package.yaml` (`xzqdm`, `xzqmc`, `level`, `crs`, …), serialised with its wire
    /// names.
    pub manifest: Manifest,
    /// The CRS each layer file declares about itself.
    pub layer_crs: BTreeMap<String, LayerCrs>,
    /// The aliases a file gives its fields (a File Geodatabase's, as ArcGIS shows them), by layer
    /// or table and field; absent when no file gives one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Features (of a layer) or rows (of a table) per layer or table, by name.
    pub feature_counts: BTreeMap<String, usize>,
    /// Every file read: its path relative to the package, its size in bytes and its SHA-256.
    pub files: Vec<FileDigest>,
    /// Files of the package that were not read, and files of `docs/` that no rule matched to a
    /// feature, each with the reason.
    pub unread: Vec<Unread>,
    /// Delivered layers and tables that could not be read: the package was not inspected fully,
    /// and `nrqc check` exits 2 after writing the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// Delivered layers, tables and fields that no rule that ran read (未检查的交付内容); files
    /// nrqc could not read at all are in `unread`.
    pub uninspected: Vec<Uninspected>,
    /// How files were read where the reader of the report must know it, e.g. a shapefile whose
    /// `.cpg` said GBK while its text is UTF-8.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<InputNote>,
}

/// Delivered content that no rule read: a whole layer or table (`fields` empty), or fields of
/// one that other rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uninspected {
    /// The layer's or table's name, e.g. `ZRZK`.
    pub layer: String,
    /// Its file, relative to the package root, with `/` as separator.
    pub path: String,
    /// The fields no rule read, as the file names them; empty (and absent from report.json) when no
    /// rule read the layer or table at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A delivered file that could not be read, with the layers or tables it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    /// The file, relative to the package root, with `/` as separator.
    pub path: String,
    /// The layers or tables the file holds (several for a GeoPackage), none of them inspected.
    pub frames: Vec<String>,
    /// The reader's error, naming the file, layer, feature and field where known.
    pub error: String,
}

/// The rule set a report was made with: `ruleset` of report.json and batch.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RulesetInfo {
    /// `builtin`, or the rule directories given joined with `+`.
    pub id: String,
    /// SHA-256 in hex over every rule-set file's name and text; report.md and batch.md show its
    /// first 12 digits.
    pub sha256: String,
    /// How many rules the set holds; in batch.json, the package rules and, when the profile runs
    /// them, the cross-package rules.
    pub rules: usize,
    /// Rules a later `--rules +DIR` replaced with a rule of the same id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<crate::rules::Replaced>,
    /// Rules `--select` and `--ignore` left out: they did not run, and the report says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
}

impl RulesetInfo {
    /// What a report says of `rules`: with their cross-package rules when `cross` (a batch whose
    /// profile runs them), else the rules of one package only.
    pub fn of(rules: &crate::rules::RuleSet, cross: bool) -> RulesetInfo {
        let mut left_out = rules.left_out.clone();
        let mut run = rules.rules.len();
        if cross {
            left_out.extend(rules.left_out_cross.iter().cloned());
            run += rules.batch_rules.len();
        }
        RulesetInfo {
            id: rules.id.clone(),
            sha256: rules.hash.clone(),
            rules: run,
            replaced: rules.replaced.clone(),
            left_out,
        }
    }
}

/// Rules by status and findings by class: `counts` of report.json.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Findings per defect class (`{"A": n, …}`); `build` lists every class, with 0 when it has
    /// none.
    pub by_class: BTreeMap<DefectClass, usize>,
    /// Rules whose status is `passed`.
    pub rules_passed: usize,
    /// Rules whose status is `failed`, warning classes included; junit.xml's `failures`.
    pub rules_failed: usize,
    /// Rules whose status is `not_run`: one makes `outcome` `fail` and the grade 不合格; junit.xml's
    /// `errors`.
    pub rules_not_run: usize,
    /// Rules whose status is `not_applicable`; junit.xml's `skipped`.
    pub rules_not_applicable: usize,
    /// Findings of every class, warnings included: the length of `Report::findings`.
    pub findings: usize,
    /// Findings an accepted exception covers, whether or not the profile counts them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excepted: usize,
}

impl Finding {
    /// The features a finding is about, and those of its other side after `↔`, as one line for
    /// the Markdown and HTML tables; `—` for none.
    pub fn places(&self) -> String {
        places(&self.feature_ids, self.related.as_ref())
    }
}

/// [`Finding::places`] of features `ids` and the other side `related`.
pub fn places(ids: &[FeatureId], related: Option<&crate::finding::Related>) -> String {
    let mut parts: Vec<String> = ids.iter().map(FeatureId::label).collect();
    if let Some(r) = related {
        let related: Vec<String> = r
            .feature_ids
            .iter()
            .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
            .collect();
        parts.push(format!("↔ {} {}", r.layer, related.join(", ")));
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join("; ")
    }
}

impl Counts {
    /// Counts one rule's result: its `status`, and its `findings` under its `class`.
    pub fn add(&mut self, status: Status, class: DefectClass, findings: usize) {
        match status {
            Status::Passed => self.rules_passed += 1,
            Status::Failed => self.rules_failed += 1,
            Status::NotRun => self.rules_not_run += 1,
            Status::NotApplicable => self.rules_not_applicable += 1,
        }
        *self.by_class.entry(class).or_default() += findings;
        self.findings += findings;
    }
}

/// The `--fail-on` gate of a report (`outcome` of report.json), not its verdict, which is
/// `grading.grade`; a failed run writes `"error"` instead (`FailedRun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `pass`: every rule ran and no finding outside the warning classes reaches `profile.fail_on`.
    Pass,
    /// `fail`: a finding outside the warning classes reaches `profile.fail_on`, or a rule did not
    /// run.
    Fail,
}

/// The result of inspecting one package: what report.json holds and every other report renders.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `nrqc-report/1` (`REPORT_SCHEMA`).
    pub schema: String,
    /// The nrqc that wrote the report.
    pub engine: Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when set, for reproducible reports.
    pub generated_at: String,
    /// The same in every report one run writes (report.json, report.md, report.html,
    /// junit.xml; batch.json and each package's reports in a batch).
    pub run_id: String,
    /// The package inspected, its files, and what was not read or not inspected.
    pub package: PackageInfo,
    /// The rule set the package was inspected with.
    pub ruleset: RulesetInfo,
    /// The profile inspected under: its failing threshold and warning classes decide `outcome`.
    pub profile: Profile,
    /// The `--fail-on` gate, set by `judge`; it decides `nrqc check`'s exit code, not the grade.
    pub outcome: Outcome,
    /// The GB/T 24356-2023 grade and every term of its computation.
    pub grading: Grading,
    /// Rules by status and findings by class.
    pub counts: Counts,
    /// One entry per rule, in the rule set's order (by id); a batch appends its cross-package
    /// rules.
    pub rules: Vec<RuleResult>,
    /// Every finding, in rule order, then in the order the check met them; report.md, report.html
    /// and junit.xml list only the first of each rule.
    pub findings: Vec<Finding>,
    /// The exceptions file applied, and its entries that covered no finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<super::review::ExceptionsApplied>,
    /// The earlier report compared with (`--baseline`), and its findings this run no longer has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<super::review::BaselineApplied>,
    /// How long the run took, by stage and by file; each rule's time is in its result.
    pub timings: Timings,
}

/// Where a run's time went: `timings` of report.json, printed by `nrqc check --timings`. Times
/// are wall-clock milliseconds to 0.1 ms. Files load in parallel. Rules run in parallel unless
/// `one_at_a_time`, and then a thread waiting inside one rule may run parts of other rules
/// meanwhile, which that rule's time includes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Opening the package (a zip extracted), reading the manifest and loading every layer
    /// and table.
    pub load_ms: f64,
    /// Measuring what the rules share (areas, spatial indexes), before any rule runs.
    pub measure_ms: f64,
    /// Running the rules, from the first rule's start to the last one's end.
    pub rules_ms: f64,
    /// Whether the rules ran one after another (`nrqc check --timings`), each still parallel
    /// within, so that each rule's time is its own and the times add up to `rules_ms`.
    pub one_at_a_time: bool,
    /// Each file of layers or tables, in discovery order.
    pub files: Vec<FileTiming>,
}

/// The time one file of layers or tables took to load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileTiming {
    /// Path relative to the package root.
    pub path: String,
    /// The layers and tables it delivers.
    pub frames: Vec<String>,
    /// Wall time in milliseconds.
    pub ms: f64,
}

/// `d` in milliseconds, to 0.1 ms.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// `report.json` of a run that could not inspect the package (exit 2), or `batch.json` of a
/// batch that could not run: it replaces any earlier report, so that no older verdict is read as
/// this run's.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRun {
    /// The schema of the report it replaces: `nrqc-report/1` or `nrqc-batch/1`.
    pub schema: &'static str,
    /// The nrqc that ran.
    pub engine: Engine,
    /// RFC 3339 UTC; from `SOURCE_DATE_EPOCH` when that is set.
    pub generated_at: String,
    /// 16 hex digits, as in `Report::run_id`.
    pub run_id: String,
    /// The package (or batch) the run was asked to inspect.
    pub package: FailedPackage,
    /// Always `error`.
    pub outcome: &'static str,
    /// What went wrong, as printed on stderr.
    pub error: String,
}

/// What a failed run was asked to inspect: `package` of its report.json or batch.json.
#[derive(Debug, Clone, Serialize)]
pub struct FailedPackage {
    /// The package's name, as in `PackageInfo::name`, or the batch's name.
    pub name: String,
    /// The package's path as given on the command line (`/` as separator), or the batch's arguments
    /// joined with spaces.
    pub path: String,
}

impl FailedRun {
    /// `schema` is the report's (`nrqc-report/1`, `nrqc-batch/1`); `name` and `path` are the
    /// package's, or the batch's name and its arguments.
    pub fn new(schema: &'static str, name: String, path: String, error: String) -> FailedRun {
        FailedRun {
            schema,
            engine: Engine::nrqc(),
            generated_at: super::now_rfc3339(),
            run_id: super::run_id().to_owned(),
            package: FailedPackage { name, path },
            outcome: "error",
            error,
        }
    }
}

impl Engine {
    /// This build of nrqc.
    pub fn nrqc() -> Engine {
        Engine {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl Report {
    /// Sets `outcome` and `grading` from the rule results and findings under the report's
    /// profile.
    pub fn judge(&mut self) {
        let failing = self
            .findings
            .iter()
            .any(|f| f.counts() && self.profile.fails(f.class));
        self.outcome = if failing || self.counts.rules_not_run > 0 {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        self.grading = super::grade::grade(&self.rules, &self.profile);
    }

    /// Adds a rule run after the inspection, a batch's cross-package rule, with its findings
    /// about this package (fingerprinted by the caller, whose batch.json lists them too), and
    /// judges the report again.
    pub fn add_rule(&mut self, result: RuleResult, findings: Vec<Finding>) {
        self.counts.add(result.status, result.class, findings.len());
        self.rules.push(result);
        self.findings.extend(findings);
        self.judge();
    }

    /// The findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule_id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule_id == rule_id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_texts_keep_their_start_and_end() {
        assert_eq!(super::clip("短"), "短");
        let exact = "值".repeat(super::SHOWN_CHARS);
        assert_eq!(super::clip(&exact), exact);
        let long = format!("GGGZYSLX 的值 {} 不在代码表中", "X".repeat(1_000_000));
        let clipped = super::clip(&long);
        assert!(clipped.starts_with("GGGZYSLX 的值 XXX"), "{clipped}");
        assert!(clipped.ends_with("XXX 不在代码表中"), "{clipped}");
        assert!(
            clipped.contains("…（略去 999819 字符，全文见 report.json）…"),
            "{clipped}"
        );
        assert_eq!(long.chars().count() - 999_819, super::SHOWN_CHARS);
    }
}
