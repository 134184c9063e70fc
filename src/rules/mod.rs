//! Declarative rules: YAML files under `rules/`, parsed and validated before anything runs.
//!
//! A rule set is a list of files: `schema.yaml` (the package schema), `codes/*.yaml` (code
//! lists), `data/*.yaml` (unit lists, [`crate::checks::cross::unit_list`]), `batch.yaml` (the
//! cross-package rules, [`crate::checks::cross`]) and any other `*.yaml` holding `rules:`. The
//! built-in set is embedded in the binary. Every problem in a rule file becomes a miette
//! diagnostic pointing at its line and column.
//!
//! Every rule, of one package or across a batch, has the same header (id, title, class,
//! element, sub_element, basis, why, example, where) and names one check kind, whose
//! parameters are the value of that key.

mod parse;
mod profile;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::checks::cross::unit_list::UnitList;
use crate::checks::cross::CrossCheck;
use crate::checks::Check;
use crate::diag::{Location, Name, RulesError, SourceFile};
use crate::quality::{DefectClass, Profile};
use crate::schema::{CodeList, Schema};

/// A rule: its header and its check, of one package (`C = dyn Check`) or across the packages of
/// a batch ([`BatchRule`]).
#[derive(Debug)]
pub struct Rule<C: ?Sized = dyn Check> {
    /// Stable and unique across the set, e.g. `ZR-N001`; findings and reports name the rule by it.
    pub id: String,
    /// What it is about, in Chinese, as reports show it.
    pub title: String,
    /// The defect class of its findings.
    pub class: DefectClass,
    /// The quality element it is graded under (one of `quality::ELEMENTS`).
    pub element: String,
    /// The sub-element (子元素) the rule is graded under: its `sub_element` key, or its rule
    /// file's entry in `sub_elements.yaml`, or its rule file's name.
    pub sub_element: String,
    /// The standard or document section the rule enforces (依据).
    pub basis: Option<String>,
    /// Why a finding matters, for the people who fix the data.
    pub why: Option<String>,
    /// The message of a finding the rule gives, as its fire case in `tests/rule_cases` produces
    /// it; documentation that a test keeps true.
    pub example: Option<String>,
    /// The rule's `where`, as written.
    pub filter: Option<Name>,
    /// The rule's `where`, compiled.
    pub filter_expr: Option<polars::prelude::Expr>,
    /// The name of its check kind, as written in the rule file.
    pub kind: &'static str,
    /// The check, with its parameters.
    pub check: Box<C>,
    /// Index into [`RuleSet::sources`].
    pub source: usize,
    /// Where its `id` is written in its file, for diagnostics.
    pub at: Location,
}

/// A rule across the packages of a batch (`batch.yaml`).
pub type BatchRule = Rule<dyn CrossCheck>;

/// A validated rule set: the schema, code lists, unit lists, rules and profiles that an
/// inspection runs under.
#[derive(Debug)]
pub struct RuleSet {
    /// `builtin`, or the directories it was read from.
    pub id: String,
    /// sha256 over every source file's name and text.
    pub hash: String,
    /// The package schema (`schema.yaml`): layers, tables, fields and their types.
    pub schema: Schema,
    /// Code lists of `codes/`, by name.
    pub codes: BTreeMap<String, CodeList>,
    /// Sorted by id.
    pub rules: Vec<Rule>,
    /// Rules across the packages of a batch (`batch.yaml`), sorted by id.
    pub batch_rules: Vec<BatchRule>,
    /// Unit lists of `data/`, by name.
    pub unit_lists: BTreeMap<String, UnitList>,
    /// By name; never empty (a set without `profiles.yaml` has an implicit `default`).
    pub profiles: BTreeMap<String, Profile>,
    /// The profile that runs when none is asked for: `profiles.yaml`'s `default`, or the implicit
    /// `default` of a set without that file.
    pub default_profile: String,
    /// Every file of the set with its text, in load order, for diagnostics and the hash.
    pub sources: Vec<SourceFile>,
    /// Rules that a later `--rules +DIR` replaced by giving a rule the same id.
    pub replaced: Vec<Replaced>,
    /// Rules of one package `select` left out (`--select`, `--ignore`), by id.
    pub left_out: Vec<String>,
    /// Cross-package rules `select` left out, by id: only a batch reports them.
    pub left_out_cross: Vec<String>,
}

/// A rule replaced by a rule of the same id from a later rule directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Replaced {
    /// The rule's id.
    pub id: String,
    /// The file of the rule that runs.
    pub by: String,
    /// The file of the rule it replaced, e.g. `builtin:area_logic.yaml`.
    pub was: String,
}

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// Where rule files come from: the embedded built-in set, replaced or extended by directories.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    /// Whether the embedded built-in set comes first.
    pub builtin: bool,
    /// Directories read after it, in order. Their rule files add rules (an id given twice is an
    /// error); a later `schema.yaml` extends the schema layer by layer, and a later profile, code
    /// list or unit list replaces the earlier one of the same name.
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
    /// A file or directory that could not be read: its path and the system's message.
    #[error("{path}: {message}")]
    #[diagnostic(code(nrqc::rules::io))]
    Io {
        /// The file or directory, as given or found.
        path: String,
        /// The system's message.
        message: String,
    },
    /// Files that were read but are not a valid rule set; each problem points at its line.
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

    /// Reads, parses and validates the files of `sources`; every problem of every file is
    /// reported at once.
    pub fn load(sources: &RuleSources) -> Result<RuleSet, LoadError> {
        // (relative path, display name, text), and which source each came from.
        let mut files: Vec<(String, String, String)> = Vec::new();
        let mut origins = Vec::new();
        if sources.builtin {
            for (rel, text) in builtin::FILES {
                files.push((rel.to_string(), format!("builtin:{rel}"), text.to_string()));
                origins.push(0);
            }
        }
        for (n, dir) in sources.dirs.iter().enumerate() {
            for (rel, text) in read_dir_files(dir)? {
                let name = dir.join(&rel).display().to_string();
                files.push((rel, name, text));
                origins.push(n + 1);
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
        Ok(parse::assemble(sources.id(), hash, files, origins)?)
    }

    /// The files of the built-in set, by path relative to the rules root, with their text: what
    /// `nrqc rules export` writes out as a starting point.
    pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
        builtin::FILES
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

    /// The rule of one package with id `id`.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Keeps the rules `select` names (ids or id prefixes; all when empty) and `ignore` does not,
    /// recording the others in `left_out`. A pattern that names no rule is an error: a misspelt
    /// id must not quietly select nothing or ignore nothing.
    pub fn select(&mut self, select: &[String], ignore: &[String]) -> Result<(), String> {
        let ids: Vec<&str> = self
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .chain(self.batch_rules.iter().map(|r| r.id.as_str()))
            .collect();
        for (option, patterns) in [("--select", select), ("--ignore", ignore)] {
            for p in patterns {
                if !ids.iter().any(|id| id.starts_with(p.as_str())) {
                    let hint = crate::diag::suggest(p, ids.iter().copied())
                        .map_or(String::new(), |s| format!("; {s}"));
                    return Err(format!(
                        "{option} {p}: no rule id is or starts with `{p}`{hint}"
                    ));
                }
            }
        }
        let keep = |id: &str| {
            (select.is_empty() || select.iter().any(|p| id.starts_with(p.as_str())))
                && !ignore.iter().any(|p| id.starts_with(p.as_str()))
        };
        let (mut left_out, mut left_out_cross) = (Vec::new(), Vec::new());
        self.rules.retain(|r| {
            keep(&r.id) || {
                left_out.push(r.id.clone());
                false
            }
        });
        self.batch_rules.retain(|r| {
            keep(&r.id) || {
                left_out_cross.push(r.id.clone());
                false
            }
        });
        self.left_out = left_out;
        self.left_out_cross = left_out_cross;
        Ok(())
    }

    /// The file `rule` is written in.
    pub fn source(&self, rule: &Rule) -> &SourceFile {
        &self.sources[rule.source]
    }
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
    let origins = vec![0; files.len()];
    let _ = parse::assemble("fuzz".into(), String::new(), files, origins);
}
