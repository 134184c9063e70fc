//! The review commands and options: `--exceptions` and `--baseline` of `check`, `nrqc diff` and
//! `nrqc exceptions add`.

use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

use nrqc::finding::exception::Exceptions;
use nrqc::report::diff::{render_diff_html, render_diff_markdown, Diff};
use nrqc::report::review::Snapshot;

use nrqc::report::Lang;

use super::{error, print_out, render_diagnostic, Judging, ReviewArgs, RulesArg, RunError};

/// Reads a report.json, or the report.json in a folder; with the file's name for reports.
pub(super) fn read_report(path: &Path) -> Result<(Snapshot, String), String> {
    let file = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_owned()
    };
    let name = file.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(&file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if path.is_dir() => {
            format!("{} holds no report.json", path.display())
        }
        std::io::ErrorKind::NotFound => format!("{name} does not exist"),
        _ => format!("cannot read {name}: {e}"),
    })?;
    Ok((Snapshot::parse(&text, &name)?, name))
}

/// The exceptions that apply: `--exceptions FILE`, else the package's exceptions.yaml when it
/// has one; `None` for neither.
pub(super) fn exceptions_file(
    review: &ReviewArgs,
    package: &Path,
    dataset: &nrqc::package::Dataset,
) -> Option<Result<Exceptions, RunError>> {
    let read = match &review.exceptions {
        Some(p) => Some(Exceptions::read(p, &p.to_string_lossy().replace('\\', "/"))),
        None => Exceptions::delivered(dataset.exceptions.as_deref(), package),
    }?;
    Some(read.map_err(|d| {
        let d: &dyn miette::Diagnostic = d.as_ref();
        (render_diagnostic(d), d.to_string())
    }))
}

/// One side of `nrqc diff`: a report.json (or a folder holding one), or a package, which is
/// checked first; with the name it is shown by. An error is printed and its exit code given.
fn side(
    path: &Path,
    rules: &RulesArg,
    review: &ReviewArgs,
    profile: Option<String>,
) -> Result<(Snapshot, String), ExitCode> {
    let is_package = path.join("package.yaml").is_file()
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_package {
        return read_report(path).map_err(error);
    }
    let judging = Judging {
        profile,
        fail_on: None,
    };
    let pool = super::worker_pool(None).map_err(error)?;
    let (report, _) = super::inspect(
        path,
        rules,
        judging,
        review,
        &pool,
        true,
        nrqc::engine::Schedule::Together,
    )
    .map_err(|(printed, _)| {
        super::print_err(&printed);
        ExitCode::from(2)
    })?;
    let name = path.to_string_lossy().replace('\\', "/");
    let snapshot = Snapshot::parse(&nrqc::report::render_json(&report), &name).map_err(error)?;
    Ok((snapshot, name))
}

/// `nrqc diff OLD NEW`.
pub(super) fn diff(
    [old, new]: [&Path; 2],
    rules: &RulesArg,
    review: &ReviewArgs,
    profile: Option<String>,
    out: Option<&Path>,
) -> ExitCode {
    let read = side(old, rules, review, profile.clone())
        .and_then(|old| Ok((old, side(new, rules, review, profile)?)));
    let ((old, old_name), (new, new_name)) = match read {
        Ok(sides) => sides,
        Err(code) => return code,
    };
    if old.package.name != new.package.name {
        super::print_err(&super::warning_line(&format!(
            "comparing reports of different packages ({} and {})",
            old.package.name, new.package.name
        )));
    }
    let d = Diff::between(&old, &old_name, &new, &new_name);
    if let Some(dir) = out {
        let files = [
            ("diff.md", render_diff_markdown(&d)),
            ("diff.html", render_diff_html(&d)),
            (
                "diff.json",
                serde_json::to_string_pretty(&d).expect("a diff serialises") + "\n",
            ),
        ];
        if let Err(e) = std::fs::create_dir_all(dir) {
            return error(format!("cannot create {}: {e}", dir.display()));
        }
        for (name, text) in files {
            if let Err(code) = super::write_file(&dir.join(name), text) {
                return code;
            }
        }
    }
    let t = &d.total;
    let score = |s: Option<nrqc::ratio::Ratio>| s.map_or("—".into(), |s| s.to_decimal(2));
    let (old_score, new_score) = (score(d.old.score), score(d.new.score));
    let mut summary = match super::lang() {
        Lang::Zh => format!(
            "{}：{} {old_score} → {} {new_score}\n已改正 {}，新增 {}，仍未改正 {}，例外 {}\n",
            d.new.package,
            d.old.grade.zh(),
            d.new.grade.zh(),
            t.fixed,
            t.new,
            t.open,
            t.excepted
        ),
        Lang::En => format!(
            "{}: {} {old_score} → {} {new_score}\nfixed {}, new {}, still open {}, excepted {}\n",
            d.new.package,
            d.old.grade.en(),
            d.new.grade.en(),
            t.fixed,
            t.new,
            t.open,
            t.excepted
        ),
    };
    if let Some(dir) = out {
        let page = match super::lang() {
            Lang::Zh => "对比报告：",
            Lang::En => "comparison page: ",
        };
        let _ = writeln!(summary, "{page}{}", dir.join("diff.html").display());
    }
    let printed = print_out(&summary);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    ExitCode::from(d.exit_code())
}

/// Which findings of a report `exceptions add` writes entries for.
pub(super) struct Chosen {
    pub rules: Vec<String>,
    pub fingerprints: Vec<String>,
}

/// What every written entry says.
pub(super) struct Entry {
    pub reason: String,
    pub by: String,
    pub date: Option<String>,
    pub expires: Option<String>,
}

/// `nrqc exceptions add FILE --report REPORT …`: appends one entry per chosen finding not yet in
/// FILE, checks that the result parses, and writes it atomically.
pub(super) fn add_exceptions(
    file: &Path,
    report: &Path,
    chosen: &Chosen,
    entry: Entry,
) -> ExitCode {
    if chosen.rules.is_empty() && chosen.fingerprints.is_empty() {
        return error("choose findings with --rule ID and/or --fingerprint FP");
    }
    let (snapshot, report_name) = match read_report(report) {
        Ok(s) => s,
        Err(e) => return error(e),
    };
    let date = entry
        .date
        .unwrap_or_else(|| nrqc::report::now_rfc3339()[..10].to_owned());
    let shown = file.to_string_lossy().replace('\\', "/");
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "\
            # 例外（nrqc exceptions）：经认定不属于错漏的问题，按指纹列出。\n\
            # 每条须有 reason（理由）、by（认定人）、date（日期）；可选 expires、scope。\n\
            exceptions:\n"
            .to_owned(),
        Err(e) => return error(format!("cannot read {shown}: {e}")),
    };
    let already: Vec<String> = match Exceptions::parse(&existing, &shown) {
        Ok(x) => x.entries.into_iter().map(|e| e.fingerprint).collect(),
        Err(d) => return super::fail(d.as_ref()),
    };
    let picked: Vec<_> = snapshot
        .findings
        .iter()
        .filter(|f| {
            chosen
                .rules
                .iter()
                .any(|r| f.rule_id.starts_with(r.as_str()))
                || chosen
                    .fingerprints
                    .iter()
                    .any(|p| f.fingerprint.starts_with(p.as_str()))
        })
        .collect();
    if picked.is_empty() {
        return error(format!(
            "no finding of {report_name} matches the --rule and --fingerprint given"
        ));
    }
    let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let mut text = existing;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut added = 0;
    for f in picked.iter().filter(|f| !already.contains(&f.fingerprint)) {
        let features: Vec<String> = f
            .feature_ids
            .iter()
            .map(|id| id.key.clone().unwrap_or_else(|| format!("FID {}", id.fid)))
            .collect();
        let _ = write!(
            text,
            "  - fingerprint: {}\n    rule: {}\n    features: {}\n    message: {}\n    reason: {}\n    by: {}\n    date: {}\n",
            f.fingerprint,
            q(&f.rule_id),
            q(&format!("{} {}", f.layer, features.join(", "))),
            q(&f.message),
            q(&entry.reason),
            q(&entry.by),
            date
        );
        if let Some(expires) = &entry.expires {
            let _ = writeln!(text, "    expires: {expires}");
        }
        added += 1;
    }
    // What is written must read back: a file whose list is written inline, or a bad date,
    // stops here with the diagnostic and leaves the file as it was.
    if let Err(d) = Exceptions::parse(&text, &shown) {
        return super::fail(d.as_ref());
    }
    if let Err(code) = super::write_file(file, &text) {
        return code;
    }
    print_out(&format!(
        "{shown}：新增 {added} 条例外（{} 条已在文件中）\n",
        picked.len() - added
    ))
}
