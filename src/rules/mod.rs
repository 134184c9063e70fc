//! Declarative rules: YAML files under `rules/`, parsed and validated before anything runs.
//!
//! A rule set is a list of files: `schema.yaml` (the package schema), `codes/*.yaml` (code
//! lists), `data/*.yaml` (unit lists, [`data`]) and any other `*.yaml` holding `rules:`. The built-in set is embedded in the binary.
//! Every problem in a rule file becomes a miette diagnostic pointing at its line and column.

pub mod batch;
pub mod data;
mod diag;
pub mod doc;
mod parse;
mod profile;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use diag::{span_of, suggest, yaml_report, Problem, RuleDiagnostic, RulesError, SourceFile};
pub use profile::{CountMode, Grading, Profile, Weights};
pub use serde_saphyr::{Location, Spanned};

use crate::checks::Check;
use crate::schema::Schema;

/// A name written in a rule file, with where it was written.
pub type Name = Spanned<String>;

/// Defect class of GB/T 24356-2023: A is the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DefectClass {
    A,
    B,
    C,
    D,
}

impl DefectClass {
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

/// A code list from `rules/codes/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    pub code_list: String,
    #[serde(default)]
    pub title: String,
    pub codes: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub class: DefectClass,
    pub element: String,
    /// The sub-element (子元素) the rule is graded under: its `sub_element` key, or its rule
    /// file's entry in `sub_elements.yaml`, or its rule file's name.
    pub sub_element: String,
    pub basis: Option<String>,
    pub why: Option<String>,
    /// The message of a finding the rule gives, as its fire case in `tests/rule_cases` produces
    /// it; documentation that a test keeps true.
    pub example: Option<String>,
    /// The rule's `where`, as written.
    pub filter: Option<Name>,
    /// The rule's `where`, compiled.
    pub filter_expr: Option<polars::prelude::Expr>,
    pub kind: &'static str,
    pub check: Box<dyn Check>,
    /// Index into [`RuleSet::sources`].
    pub source: usize,
    pub at: Location,
}

#[derive(Debug)]
pub struct RuleSet {
    /// `builtin`, or the directories it was read from.
    pub id: String,
    /// sha256 over every source file's name and text.
    pub hash: String,
    pub schema: Schema,
    pub codes: BTreeMap<String, CodeList>,
    /// Sorted by id.
    pub rules: Vec<Rule>,
    /// Rules across the packages of a batch (`batch.yaml`), sorted by id.
    pub batch_rules: Vec<batch::BatchRule>,
    /// Unit lists of `data/`, by name.
    pub unit_lists: BTreeMap<String, data::UnitList>,
    /// By name; never empty (a set without `profiles.yaml` has an implicit `default`).
    pub profiles: BTreeMap<String, Profile>,
    pub default_profile: String,
    pub sources: Vec<SourceFile>,
}

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Where rule files come from: the embedded built-in set, replaced or extended by directories.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    pub builtin: bool,
    pub dirs: Vec<std::path::PathBuf>,
}

impl RuleSources {
    /// From `--rules` arguments: `DIR` replaces the built-in set, `+DIR` adds to it.
    pub fn from_args(args: &[String]) -> RuleSources {
        let mut sources = RuleSources {
            builtin: true,
            dirs: vec![],
        };
        for arg in args {
            match arg.strip_prefix('+') {
                Some(dir) => sources.dirs.push(dir.into()),
                None => {
                    sources.builtin = false;
                    sources.dirs.push(arg.into());
                }
            }
        }
        sources
    }

    fn id(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.builtin {
            parts.push("builtin".into());
        }
        parts.extend(self.dirs.iter().map(|d| d.display().to_string()));
        parts.join("+")
    }
}

/// Failure to assemble a rule set: unreadable files, or diagnostics.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    #[error("{path}: {message}")]
    #[diagnostic(code(nrqc::rules::io))]
    Io { path: String, message: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] RulesError),
}

/// `(path relative to the rules root, text)` of every YAML file below `dir`, sorted.
fn read_dir_files(dir: &Path) -> Result<Vec<(String, String)>, LoadError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), LoadError> {
        let io = |e: std::io::Error| LoadError::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        };
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).map_err(|e| LoadError::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

impl RuleSet {
    /// The embedded built-in rule set.
    pub fn builtin() -> Result<RuleSet, LoadError> {
        RuleSet::load(&RuleSources {
            builtin: true,
            dirs: vec![],
        })
    }

    pub fn load(sources: &RuleSources) -> Result<RuleSet, LoadError> {
        // (relative path, display name, text)
        let mut files: Vec<(String, String, String)> = Vec::new();
        if sources.builtin {
            for (rel, text) in builtin::FILES {
                files.push((rel.to_string(), format!("builtin:{rel}"), text.to_string()));
            }
        }
        for dir in &sources.dirs {
            for (rel, text) in read_dir_files(dir)? {
                let name = dir.join(&rel).display().to_string();
                files.push((rel, name, text));
            }
        }
        let mut hasher = Sha256::new();
        for (_, name, text) in &files {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
        let hash = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(parse::assemble(sources.id(), hash, files)?)
    }

    /// The named profile, or the default one.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, String> {
        let name = name.unwrap_or(&self.default_profile);
        self.profiles.get(name).ok_or_else(|| {
            format!(
                "no profile `{name}` in rule set {}; profiles: {}",
                self.id,
                self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn source(&self, rule: &Rule) -> &SourceFile {
        &self.sources[rule.source]
    }
}

/// The YAML parser's limits for rule files, profiles and `package.yaml`. serde-saphyr's defaults
/// already refuse alias bombs; these are tighter because the files are small and hand-written
/// (the built-in set is about 60 KB, its deepest value 8 levels, and it uses no alias): a
/// "billion laughs" or a 10,000-level nesting is refused in milliseconds with a clear error
/// instead of costing memory and time.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 48;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_events = 500_000;
    budget.max_nodes = 200_000;
    budget.max_total_scalar_bytes = 16 << 20;
    budget.max_documents = 1;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 100_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options.alias_limits.max_alias_expansions_per_anchor = 1_000;
    options
}

/// The fuzz target's entry point: `data` as a rule file (or, by its first byte, as
/// `profiles.yaml` or `schema.yaml`) beside the built-in schema, code lists and profiles.
#[doc(hidden)]
pub fn fuzz_rule_file(data: &[u8]) {
    let [mode, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let rel = match mode % 3 {
        0 => "fuzz.yaml",
        1 => "profiles.yaml",
        _ => "schema.yaml",
    };
    let mut files: Vec<(String, String, String)> = builtin::FILES
        .iter()
        .filter(|(r, _)| {
            *r != rel
                && (r.starts_with("codes/")
                    || ["schema.yaml", "profiles.yaml", "sub_elements.yaml"].contains(r))
        })
        .map(|(r, t)| (r.to_string(), r.to_string(), t.to_string()))
        .collect();
    files.push((rel.into(), rel.into(), text.into()));
    let _ = parse::assemble("fuzz".into(), String::new(), files);
}
