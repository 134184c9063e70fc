//! The command line: parses arguments, calls the library, prints, and chooses the exit code.
//!
//! Exit codes: 0 the package passed; 1 findings at or above `--fail-on`, or a rule could not
//! run; 2 the package or the rules could not be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use crate::report::{self, Outcome};
use crate::rules::{DefectClass, RuleSet, RuleSources};

mod progress;

#[derive(Parser, Debug)]
#[command(
    name = "nrqc",
    version,
    about = "Inspect natural-resource registration survey packages (自然资源统一确权登记成果质量检查)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct RulesArg {
    /// Rule directory: `DIR` replaces the built-in rules, `+DIR` adds to them. Repeatable.
    #[arg(long = "rules", value_name = "[+]DIR")]
    rules: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inspect a package and write its reports (by default report.json, report.md and
    /// report.html).
    Check {
        /// The package directory (the one holding package.yaml), or a .zip holding one.
        package: PathBuf,
        #[command(flatten)]
        rules: RulesArg,
        /// Output directory [default: reports/<package name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Inspection profile: self-check (C, D are warnings), county, prefecture; see
        /// `nrqc rules profiles` [default: the rule set's default, county].
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Findings of this class or a more severe one fail the package (A is most severe)
        /// [default: the profile's, B].
        #[arg(long, value_enum, ignore_case = true)]
        fail_on: Option<ClassArg>,
        /// Worker threads [default: all cores].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Language of report.html's labels (data values stay as they are).
        #[arg(long, value_enum, default_value = "zh")]
        lang: report::Lang,
        /// Reports to write, comma-separated or repeated.
        #[arg(long, value_enum, value_delimiter = ',', default_values = ["json", "md", "html"])]
        format: Vec<Format>,
    },
    /// Inspect every county package of a prefecture in parallel, run the cross-package rules,
    /// and write batch.json and batch.md with each county's reports beside them.
    Batch {
        /// Package directories, or directories whose subdirectories are packages.
        #[arg(required = true)]
        packages: Vec<PathBuf>,
        #[command(flatten)]
        rules: RulesArg,
        /// Output directory [default: reports/<directory name>, or reports/batch for several].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Inspection profile; its cross_package setting runs the batch rules [default:
        /// prefecture].
        #[arg(long, value_name = "NAME", default_value = "prefecture")]
        profile: String,
        /// Findings of this class or a more severe one fail a package [default: the profile's].
        #[arg(long, value_enum, ignore_case = true)]
        fail_on: Option<ClassArg>,
        /// Inspect a sample: N packages, or `auto` for the size of GB/T 24356-2023 表1.
        #[arg(long, value_name = "N|auto", value_parser = parse_sample)]
        sample: Option<crate::batch::SampleSize>,
        /// Seed of the sample's draw [default: from the clock; recorded in batch.json].
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// The prefecture's statistics table, named after the table (e.g. TJ_ZRZYMJ.csv), for
        /// the rule that county totals add up to it. Repeatable.
        #[arg(long, value_name = "FILE")]
        prefecture_table: Vec<PathBuf>,
        /// Worker threads [default: all cores].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Work with rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Validate rule files without a package; exit 2 with diagnostics when they are invalid.
    Check {
        #[command(flatten)]
        rules: RulesArg,
    },
    /// List rules: id, kind, class, element, title.
    List {
        #[command(flatten)]
        rules: RulesArg,
    },
    /// List profiles: name, failing threshold, warning classes, title, description.
    Profiles {
        #[command(flatten)]
        rules: RulesArg,
    },
    /// Write the rules' documentation (Markdown): every rule and what it checks, the check kinds,
    /// the code lists.
    Doc {
        #[command(flatten)]
        rules: RulesArg,
        /// Write it to FILE, atomically, instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// A report `nrqc check --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum Format {
    /// report.json: everything, every finding.
    Json,
    /// report.md: a summary for people.
    Md,
    /// report.html: the summary with a map, one file that works offline.
    Html,
    /// junit.xml: one testcase per rule, for CI servers.
    Junit,
    /// errors.fgb and errors.geojson: the findings' geometry, for a GIS.
    Layer,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ClassArg {
    #[value(name = "A")]
    A,
    #[value(name = "B")]
    B,
    #[value(name = "C")]
    C,
    #[value(name = "D")]
    D,
}

impl From<ClassArg> for DefectClass {
    fn from(c: ClassArg) -> Self {
        match c {
            ClassArg::A => DefectClass::A,
            ClassArg::B => DefectClass::B,
            ClassArg::C => DefectClass::C,
            ClassArg::D => DefectClass::D,
        }
    }
}

/// Renders a diagnostic as nrqc prints it, without colour so it can be snapshot-tested.
pub fn render_diagnostic(d: &dyn Diagnostic) -> String {
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    if handler.render_report(&mut out, d).is_err() {
        out = d.to_string();
    }
    out
}

fn fail(d: &dyn Diagnostic) -> ExitCode {
    eprint!("{}", render_diagnostic(d));
    ExitCode::from(2)
}

/// Writes to stdout; a closed pipe (`nrqc rules list | head`) is not an error.
fn print_out(text: &str) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitCode::from(2)
        }
        _ => ExitCode::SUCCESS,
    }
}

fn load_rules(arg: &RulesArg) -> Result<RuleSet, ExitCode> {
    RuleSet::load(&RuleSources::from_args(&arg.rules)).map_err(|e| fail(&e))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // An interrupted run still removes a zip package's extraction.
    if let Err(e) = crate::package::scratch::remove_on_signals() {
        eprintln!("warning: cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave its temporary folder behind");
    }
    match cli.command {
        Command::Check {
            package,
            rules,
            out,
            profile,
            fail_on,
            jobs,
            quiet,
            lang,
            format,
        } => check(
            &package,
            &rules,
            Judging {
                profile,
                fail_on: fail_on.map(Into::into),
            },
            Outputs {
                dir: out,
                formats: format,
                lang,
            },
            jobs,
            quiet,
        ),
        Command::Batch {
            packages,
            rules,
            out,
            profile,
            fail_on,
            sample,
            seed,
            prefecture_table,
            jobs,
            quiet,
        } => batch(
            &packages,
            &rules,
            Judging {
                profile: Some(profile),
                fail_on: fail_on.map(Into::into),
            },
            BatchArgs {
                out,
                sample,
                seed,
                prefecture_tables: prefecture_table,
            },
            jobs,
            quiet,
        ),
        Command::Rules { command } => match command {
            RulesCommand::Check { rules } => match load_rules(&rules) {
                Ok(set) => print_out(&format!("{} rules OK ({})\n", set.rules.len(), set.id)),
                Err(code) => code,
            },
            RulesCommand::List { rules } => match load_rules(&rules) {
                Ok(set) => {
                    let lines: String = set
                        .rules
                        .iter()
                        .map(|r| {
                            format!(
                                "{}\t{}\t{}\t{}\t{}\n",
                                r.id, r.kind, r.class, r.element, r.title
                            )
                        })
                        .collect();
                    print_out(&lines)
                }
                Err(code) => code,
            },
            RulesCommand::Profiles { rules } => match load_rules(&rules) {
                Ok(set) => {
                    let lines: String = set
                        .profiles
                        .values()
                        .map(|p| {
                            let warn: Vec<String> = p.warn.iter().map(|c| c.to_string()).collect();
                            let default = if p.name == set.default_profile {
                                " (default)"
                            } else {
                                ""
                            };
                            format!(
                                "{}{default}\tfail-on {}\twarn [{}]\t{}\t{}\n",
                                p.name,
                                p.fail_on,
                                warn.join(", "),
                                p.title,
                                p.description
                            )
                        })
                        .collect();
                    print_out(&lines)
                }
                Err(code) => code,
            },
            RulesCommand::Doc { rules, out } => match load_rules(&rules) {
                Ok(set) => {
                    let text = crate::rules::doc::render(&set);
                    match out {
                        Some(path) => write_file(&path, &text).err().unwrap_or(ExitCode::SUCCESS),
                        None => print_out(&text),
                    }
                }
                Err(code) => code,
            },
        },
    }
}

fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), ExitCode> {
    report::write_atomic(path, contents.as_ref()).map_err(|e| {
        eprintln!("error: cannot write {}: {e}", path.display());
        ExitCode::from(2)
    })
}

/// What decides the outcome: a profile by name, and optionally its threshold overridden.
struct Judging {
    profile: Option<String>,
    fail_on: Option<DefectClass>,
}

fn check(
    package: &Path,
    rules: &RulesArg,
    judging: Judging,
    outputs: Outputs,
    jobs: Option<usize>,
    quiet: bool,
) -> ExitCode {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        pool = pool.num_threads(n.max(1));
    }
    let pool = match pool.build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start worker threads: {e}");
            return ExitCode::from(2);
        }
    };
    let rules = match load_rules(rules) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut profile = match rules.profile(judging.profile.as_deref()) {
        Ok(p) => p.clone(),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(class) = judging.fail_on {
        profile.fail_on = class;
    }
    let bar = progress::Bar::for_stderr(quiet);
    let observer: &dyn crate::progress::Observer = bar.as_ref().map_or(&(), |b| b);
    let inspected = pool.install(|| crate::inspect_mapped(package, &rules, &profile, observer));
    if let Some(bar) = &bar {
        bar.clear();
    }
    let (report, map) = match inspected {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let out = outputs
        .dir
        .unwrap_or_else(|| Path::new("reports").join(&report.package.name));
    let formats: std::collections::BTreeSet<Format> = outputs.formats.into_iter().collect();
    for format in formats {
        let files = match render(format, &report, &map, outputs.lang) {
            Ok(files) => files,
            Err((name, e)) => {
                eprintln!("error: cannot write {}: {e}", out.join(name).display());
                return ExitCode::from(2);
            }
        };
        for (name, contents) in files {
            if let Err(code) = write_file(&out.join(name), contents) {
                return code;
            }
        }
    }
    if !quiet {
        print_out(&format!(
            "{}报告：{}\n",
            report::summary(&report),
            out.display()
        ));
    }
    // The report is written, but the package was not inspected fully.
    for u in &report.package.unreadable {
        eprintln!("error: {}", u.error);
    }
    if !report.package.unreadable.is_empty() {
        return ExitCode::from(2);
    }
    match report.outcome {
        Outcome::Pass => ExitCode::SUCCESS,
        Outcome::Fail => ExitCode::from(1),
    }
}

/// Where `nrqc check` writes, and what.
struct Outputs {
    dir: Option<PathBuf>,
    formats: Vec<Format>,
    lang: report::Lang,
}

/// Report files by name.
type Files = Vec<(&'static str, Vec<u8>)>;

/// The files of one format; or the file that could not be rendered, and why.
fn render(
    format: Format,
    report: &report::Report,
    map: &report::MapLayers,
    lang: report::Lang,
) -> Result<Files, (&'static str, std::io::Error)> {
    Ok(match format {
        Format::Json => vec![("report.json", report::render_json(report).into_bytes())],
        Format::Md => vec![("report.md", report::render_markdown(report).into_bytes())],
        Format::Html => vec![(
            "report.html",
            report::render_html(report, map, lang).into_bytes(),
        )],
        Format::Junit => vec![("junit.xml", report::render_junit(report).into_bytes())],
        Format::Layer => vec![
            (
                "errors.fgb",
                report::render_fgb(report).map_err(|e| ("errors.fgb", e))?,
            ),
            (
                "errors.geojson",
                report::render_geojson(report)
                    .map_err(|e| ("errors.geojson", e))?
                    .into_bytes(),
            ),
        ],
    })
}

fn parse_sample(s: &str) -> Result<crate::batch::SampleSize, String> {
    match s {
        "auto" => Ok(crate::batch::SampleSize::Auto),
        n => match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(crate::batch::SampleSize::Fixed(n)),
            _ => Err("a positive number of packages, or `auto`".into()),
        },
    }
}

struct BatchArgs {
    out: Option<PathBuf>,
    sample: Option<crate::batch::SampleSize>,
    seed: Option<u64>,
    prefecture_tables: Vec<PathBuf>,
}

/// Exit codes as for `check`, over the batch: 0 the batch verdict is not 不合格; 1 it is; 2 a
/// package, the rules or a prefecture table could not be read.
fn batch(
    args: &[PathBuf],
    rules: &RulesArg,
    judging: Judging,
    opts: BatchArgs,
    jobs: Option<usize>,
    quiet: bool,
) -> ExitCode {
    use crate::batch;
    let error = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    // A worker that waits on one package's rules steals another package's work on its own
    // stack, so stacks nest deeper than in `check`.
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(64 << 20);
    if let Some(n) = jobs {
        pool = pool.num_threads(n.max(1));
    }
    let pool = match pool.build() {
        Ok(p) => p,
        Err(e) => return error(format!("cannot start worker threads: {e}")),
    };
    let rules = match load_rules(rules) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut profile = match rules.profile(judging.profile.as_deref()) {
        Ok(p) => p.clone(),
        Err(message) => return error(message),
    };
    if let Some(class) = judging.fail_on {
        profile.fail_on = class;
    }
    let packages = match batch::discover(args) {
        Ok(p) => p,
        Err(message) => return error(message),
    };
    let name = match args {
        [one] if !one.join("package.yaml").is_file() && !crate::package::archive::is_zip(one) => {
            crate::package::package_name(one)
        }
        _ => "batch".to_owned(),
    };
    let seed = opts.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let options = batch::Options {
        name: name.clone(),
        profile: &profile,
        sample: opts.sample.map(|s| (s, seed)),
        prefecture_tables: &opts.prefecture_tables,
    };
    let result = match pool.install(|| batch::run(&packages, &rules, &options)) {
        Ok(r) => r,
        Err(message) => return error(message),
    };
    let out = opts.out.unwrap_or_else(|| Path::new("reports").join(&name));
    for (dir, report, map) in &result.reports {
        for (file, text) in [
            ("report.json", report::render_json(report)),
            ("report.md", report::render_markdown(report)),
            (
                "report.html",
                report::render_html(report, map, report::Lang::default()),
            ),
        ] {
            if let Err(code) = write_file(&out.join(dir).join(file), &text) {
                return code;
            }
        }
    }
    let summary = &result.summary;
    for (file, text) in [
        ("batch.json", batch::render_json(summary)),
        ("batch.md", batch::render_markdown(summary)),
    ] {
        if let Err(code) = write_file(&out.join(file), &text) {
            return code;
        }
    }
    if !quiet {
        let mut text = String::new();
        for u in &summary.units {
            let score = u.score.map_or_else(|| "—".into(), |s| s.to_decimal(2));
            text.push_str(&format!("{}\t{}\t{}\n", u.package, score, u.grade.zh()));
        }
        for r in summary
            .cross_package
            .iter()
            .filter(|r| !r.findings.is_empty())
        {
            text.push_str(&format!(
                "{} [{}] {}：{} 处\n",
                r.id,
                r.class,
                r.title,
                r.findings.len()
            ));
        }
        text.push_str(&format!(
            "批结论（{}）：{}\n报告：{}\n",
            summary.verdict.clause,
            summary.verdict.grade.zh(),
            out.display()
        ));
        print_out(&text);
    }
    if summary.units.iter().any(|u| u.error.is_some()) {
        ExitCode::from(2)
    } else if summary.verdict.grade == crate::report::grade::Grade::Unqualified {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
