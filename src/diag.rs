//! The vocabulary of YAML input (rule files, profiles, `package.yaml`): names with the place
//! they were written, the parser's limits, and problems as miette diagnostics (the file, a
//! labelled span, and help).

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
pub use serde_saphyr::{Location, Spanned};

/// A name written in a rule file, with where it was written.
pub type Name = Spanned<String>;

/// One problem in one rule file.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(nrqc::rules))]
pub struct RuleDiagnostic {
    /// The error line, in English, e.g. "no code list `DJDYLXX`".
    pub message: String,
    /// The whole rule file under its `SourceFile` name, for the snippet.
    #[source_code]
    pub src: NamedSource<Arc<str>>,
    /// The byte span of the YAML node at fault; `None` when the parser gave no position, and
    /// then the diagnostic shows no snippet.
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    /// The text printed at `span`, "here" unless the problem says otherwise.
    pub label: String,
    /// A hint printed after the snippet, such as "did you mean `DJDYLX`?"; `None` for none.
    #[help]
    pub help: Option<String>,
}

/// A problem found by a check's own validation, placed by the YAML node it concerns.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The position of the YAML node (usually a `Name`'s `referenced`); `Location::UNKNOWN`
    /// for a problem with no node to point at.
    pub at: Location,
    /// What is wrong, in English; the diagnostic's error line.
    pub message: String,
    /// The text shown at the node; "here" unless set with `label`.
    pub label: String,
    /// A hint on how to fix it, shown after the snippet; `None` for none.
    pub help: Option<String>,
    /// The rule set's source file it is in, when not the file of the rule being checked (a unit
    /// list of `rules/data/` that a rule names).
    pub file: Option<usize>,
}

impl Problem {
    /// A problem at `at`, labelled "here", without help, in the file of the rule being checked.
    pub fn new(at: Location, message: impl Into<String>) -> Problem {
        Problem {
            at,
            message: message.into(),
            label: "here".into(),
            help: None,
            file: None,
        }
    }

    /// Placed in source file `file` of the rule set.
    pub fn in_file(mut self, file: usize) -> Self {
        self.file = Some(file);
        self
    }

    /// Replaces the default label "here" with one that says what is at the span.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a hint on how to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The byte span of a YAML node, when the parser knows it.
pub fn span_of(at: &Location) -> Option<SourceSpan> {
    let span = at.span();
    let offset = span.byte_offset()?;
    let len = span.byte_len().unwrap_or(0).max(1);
    Some(SourceSpan::new(
        usize::try_from(offset).ok()?.into(),
        usize::try_from(len).ok()?,
    ))
}

/// A source file of the rule set, kept for diagnostics.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Shown in diagnostics and reports, e.g. `rules/codes.yaml` or `builtin:codes.yaml`.
    pub name: String,
    /// The file's whole text, shared with every diagnostic made from it.
    pub text: Arc<str>,
}

impl SourceFile {
    /// `p` as a diagnostic on this file; `p.file` is not consulted, so the caller picks the
    /// file it names.
    pub fn diagnostic(&self, p: Problem) -> RuleDiagnostic {
        RuleDiagnostic {
            message: p.message,
            src: NamedSource::new(self.name.clone(), self.text.clone()),
            span: span_of(&p.at),
            label: p.label,
            help: p.help,
        }
    }
}

/// All problems of a rule set; nothing runs while there is one.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("the rule files have {} problem(s)", .problems.len())]
#[diagnostic(code(nrqc::rules::invalid))]
pub struct RulesError {
    /// One report per problem, in the order found: YAML errors from the parser, and
    /// `RuleDiagnostic`s from the rules' own validation.
    #[related]
    pub problems: Vec<miette::Report>,
}

/// A YAML syntax or deserialization error as a diagnostic that names the file.
pub fn yaml_report(err: &serde_saphyr::Error, text: &str, file: &str) -> miette::Report {
    let options = serde_saphyr::render_options! { source_name: Some(file) };
    serde_saphyr::miette::to_miette_report_with_options(err, text, file, options)
}

/// The closest candidate to a misspelt name, for "did you mean" help.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
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

/// The civil date (year, month, day; proleptic Gregorian) `days` days after 1970-01-01, by
/// Howard Hinnant's days-to-civil algorithm: for report timestamps and for dates read from
/// files that count days.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Whether `s` is a calendar date written `YYYY-MM-DD` (2021-02-29 is not; 2024-02-29 is).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !s.is_ascii() {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s[r.clone()]
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s[r].parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn calendar_dates_only() {
        for ok in ["2026-12-05", "2024-02-29", "2000-02-29", "2021-01-31"] {
            assert!(super::is_date(ok), "{ok}");
        }
        for bad in [
            "2021-02-29",
            "1900-02-29",
            "2021-02-31",
            "2021-04-31",
            "2021-13-01",
            "2021-00-10",
            "2021-01-00",
            "2021-1-01",
            "20210101",
            "２０２１-01-01",
            "+021-01-01",
        ] {
            assert!(!super::is_date(bad), "{bad}");
        }
    }
}
