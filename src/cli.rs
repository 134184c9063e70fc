//! The command line: parses arguments, calls the library, prints, and chooses the exit code.
//!
//! Exit codes: 0 no finding reaches `--fail-on` and every rule ran; 1 findings at or above
//! `--fail-on`, or a rule could not run; 2 the package or the rules could not be read. The exit
//! code is not the verdict, which is the GB/T 24356 grade (`nrqc::report::verdict`).

use rayon::prelude::*;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use nrqc::quality::DefectClass;
use nrqc::report;
use nrqc::rules::{RuleSet, RuleSources};

mod progress;
mod review;

#[derive(Parser, Debug)]
#[command(
    name = "nrqc",
    version,
    about = "Inspect natural-resource registration survey packages (自然资源统一确权登记成果质量检查)"
)]
struct Cli {
    /// Language of what nrqc prints and of report.html's labels; values from the package stay
    /// as they are. report.json keeps its messages in English.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "NRQC_LANG",
        default_value = "zh"
    )]
    lang: LangArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct RulesArg {
    /// Rule directory: `DIR` replaces the built-in rules, `+DIR` adds to them (a rule there with
    /// the id of a built-in rule replaces it). Repeatable.
    #[arg(long = "rules", value_name = "[+]DIR")]
    rules: Vec<String>,
    /// Run only the rules with these ids or id prefixes (`ZR-M`, `ZR-T105`); comma-separated or
    /// repeated. The report lists the rules left out.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    select: Vec<String>,
    /// Leave out the rules with these ids or id prefixes; comma-separated or repeated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    ignore: Vec<String>,
}

impl RulesArg {
    /// The rule set the arguments name, with `--select` and `--ignore` applied; an error as it
    /// is printed and as report.json records it.
    fn load(&self) -> Result<RuleSet, RunError> {
        let mut set = RuleSet::load(&RuleSources::from_args(&self.rules))
            .map_err(|e| (render_diagnostic(&e), e.to_string()))?;
        set.select(&self.select, &self.ignore).map_err(run_error)?;
        Ok(set)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inspect a package and write its reports (`--format`).
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
        /// Findings of this class or a more severe one make the exit code 1 (A is most severe);
        /// the verdict is the GB/T 24356 grade [default: the profile's, B].
        #[arg(long, value_enum, ignore_case = true)]
        fail_on: Option<ClassArg>,
        /// Worker threads [default: all cores].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Print where the time went: the stages, the slowest rules and the slowest files
        /// (report.json has every rule's and file's time).
        #[arg(long)]
        timings: bool,
        /// Reports to write, comma-separated or repeated.
        #[arg(long, value_enum, value_delimiter = ',', default_values = ["json", "md", "html"])]
        format: Vec<Format>,
        #[command(flatten)]
        review: ReviewArgs,
    },
    /// Compare two reports of a package (复检): findings fixed, new, still open and excepted, by
    /// fingerprint, and the grade before and after. Exit 1 when the later has a new finding or
    /// a worse grade.
    Diff {
        /// The earlier report: a report.json, a folder holding one, or a package to check.
        old: PathBuf,
        /// The later report, likewise.
        new: PathBuf,
        #[command(flatten)]
        rules: RulesArg,
        /// Profile for a side given as a package [default: the rule set's default].
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Exceptions applied to a side given as a package [default: its exceptions.yaml].
        #[arg(long, value_name = "FILE")]
        exceptions: Option<PathBuf>,
        /// Write diff.md, diff.html and diff.json into DIR (the summary is always printed).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write a package.yaml for a folder of layers and tables (vector/, tables/): the layers and
    /// tables found, the CRS their files declare, the text encoding, for the producer to review.
    Init {
        /// The package folder; it must not have a package.yaml yet.
        dir: PathBuf,
        /// The area code (6 digits) [default: from a folder named like `622923_永靖县`].
        #[arg(long, value_name = "CODE", requires = "xzqmc")]
        xzqdm: Option<String>,
        /// The area name [default: from the folder name].
        #[arg(long, value_name = "NAME", requires = "xzqdm")]
        xzqmc: Option<String>,
        /// The delivering area's level.
        #[arg(long, value_enum, default_value = "county")]
        level: LevelArg,
        #[command(flatten)]
        rules: RulesArg,
    },
    /// Work with exceptions files (例外).
    Exceptions {
        #[command(subcommand)]
        command: ExceptionsCommand,
    },
    /// Inspect every county package of a prefecture in parallel, run the cross-package rules,
    /// and write batch.json, batch.md and batch-junit.xml with each county's reports beside
    /// them (report.json, report.md, report.html, junit.xml, errors.fgb, errors.geojson).
    Batch {
        /// Package directories, or directories whose subdirectories are packages.
        #[arg(required = true)]
        packages: Vec<PathBuf>,
        #[command(flatten)]
        rules: RulesArg,
        /// Output directory [default: reports/<directory name>, or reports/batch for several].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Inspection profile; its cross_package setting runs the batch rules.
        #[arg(long, value_name = "NAME", default_value = "prefecture")]
        profile: String,
        /// Findings about the batch as a whole (ZR-X003, ZR-X004, ZR-X005) of this class or a more
        /// severe one make it 不合格 [default: the profile's].
        #[arg(long, value_enum, ignore_case = true)]
        fail_on: Option<ClassArg>,
        /// Inspect a sample: N packages, or `auto` for the size of GB/T 24356-2023 表1.
        #[arg(long, value_name = "N|auto", value_parser = parse_sample)]
        sample: Option<nrqc::batch::SampleSize>,
        /// Seed of the sample's draw [default: from the clock; recorded in batch.json].
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// The prefecture's statistics table, named after the table (e.g. TJ_ZRZYMJ.csv), for
        /// the rule that county totals add up to it. Repeatable.
        #[arg(long, value_name = "FILE")]
        prefecture_table: Vec<PathBuf>,
        /// The year the batch is judged at: units a plan list (rules/data/) registers in a later
        /// year are not expected yet [default: every unit of the list].
        #[arg(long, value_name = "YEAR")]
        plan_year: Option<i32>,
        /// Inspect only share K of N (1 ≤ K ≤ N): the packages found at positions K, K+N,
        /// K+2N…; write their reports and shard-K-of-N.json for `nrqc merge`, not the batch's
        /// summary (docs/campaign.md). With --sample, give --seed.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Worker threads [default: all cores].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Print nothing but errors.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Finish a batch run in shards (`nrqc batch --shard K/N`): check that shards 1 to N are all
    /// there and were run alike, run the cross-package rules on what they kept, add the findings
    /// to each county's reports, and write batch.json, batch.md and batch-junit.xml, as one
    /// `nrqc batch` over every package writes them.
    Merge {
        /// Folders the shards wrote to (their shard-K-of-N.json and county reports).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory: every county's reports and the batch's summary [default: the
        /// first DIR].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
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

/// `check`'s review of earlier work: exceptions and a baseline.
#[derive(Args, Debug, Clone)]
struct ReviewArgs {
    /// Accepted exceptions (例外), by finding fingerprint [default: the package's
    /// exceptions.yaml, when it has one].
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// An earlier report.json of the package: mark each finding new or persisting and list the
    /// earlier findings that are gone.
    #[arg(long, value_name = "REPORT")]
    baseline: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum ExceptionsCommand {
    /// Append entries for chosen findings of a report to an exceptions file (created if
    /// missing), so that nobody types a fingerprint.
    Add {
        /// The exceptions file to write, e.g. the package's exceptions.yaml.
        file: PathBuf,
        /// The report.json whose findings are excepted (or a folder holding it).
        #[arg(long, value_name = "REPORT")]
        report: PathBuf,
        /// Findings of rules with this id or id prefix (`ZR-M0`). Repeatable.
        #[arg(long = "rule", value_name = "ID")]
        rules: Vec<String>,
        /// Findings with this fingerprint or fingerprint prefix. Repeatable.
        #[arg(long = "fingerprint", value_name = "FP")]
        fingerprints: Vec<String>,
        /// Why the findings are not defects.
        #[arg(long)]
        reason: String,
        /// Who accepts them.
        #[arg(long)]
        by: String,
        /// The day they are accepted, YYYY-MM-DD [default: today].
        #[arg(long)]
        date: Option<String>,
        /// The last day they apply, YYYY-MM-DD.
        #[arg(long)]
        expires: Option<String>,
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
    /// Write the built-in rule files into DIR, as a starting point for a rule set of your own
    /// (`--rules DIR`) or for rules that replace built-in ones (`--rules +DIR`).
    Export {
        /// The directory to write; created if missing. Existing files are not overwritten.
        dir: PathBuf,
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
    /// report.xlsx: the 质检记录表, every finding and rule, and the grading, as a workbook.
    Xlsx,
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

/// `package.yaml`'s `level`, as `nrqc init --level` spells it.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LevelArg {
    County,
    Prefecture,
    Province,
}

/// `report::Lang` as `--lang` spells it: the library knows nothing of the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for report::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Zh => report::Lang::Zh,
            LangArg::En => report::Lang::En,
        }
    }
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

/// The language of `--lang`, once the command line is parsed.
static LANG: std::sync::OnceLock<report::Lang> = std::sync::OnceLock::new();

fn lang() -> report::Lang {
    LANG.get().copied().unwrap_or_default()
}

/// `message` in the reader's language, as a line of stderr starting `error: `.
fn error_line(message: &str) -> String {
    let lang = lang();
    format!("{}{}\n", lang.error_prefix(), nrqc::i18n::tr(lang, message))
}

/// `message` in the reader's language, as a line of stderr starting `warning: `.
fn warning_line(message: &str) -> String {
    let lang = lang();
    format!(
        "{}{}\n",
        lang.warning_prefix(),
        nrqc::i18n::tr(lang, message)
    )
}

/// Renders a diagnostic as nrqc prints it, in the reader's language, without colour so it can
/// be snapshot-tested.
fn render_diagnostic(d: &dyn Diagnostic) -> String {
    let d = nrqc::i18n::Localized::new(d, lang());
    let d = &d;
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    if handler.render_report(&mut out, d).is_err() {
        out = d.to_string();
    }
    out
}

/// Text for a terminal: control characters other than newline and tab (ESC, BEL, CR, DEL, and
/// C1 such as CSI, U+009B) and the bidirectional overrides are shown as escapes (`\x1b`,
/// `\u{9b}`), so that a value from a package cannot retitle, clear or rewrite the reader's
/// terminal, nor reorder what it shows.
fn terminal(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c as u32 {
            _ if !unsafe_char(c) => out.push(c),
            n @ 0..0x80 => out.push_str(&format!("\\x{n:02x}")),
            n => out.push_str(&format!("\\u{{{n:x}}}")),
        }
    }
    Cow::Owned(out)
}

/// Writes to stderr, escaped for the terminal.
fn print_err(text: &str) {
    use std::io::Write;
    // Nowhere is left to report a failure to write to stderr.
    let _ = std::io::stderr()
        .lock()
        .write_all(terminal(text).as_bytes());
}

/// `error: <message>` on stderr, and exit code 2.
fn error(message: impl std::fmt::Display) -> ExitCode {
    print_err(&error_line(&message.to_string()));
    ExitCode::from(2)
}

fn fail(d: &dyn Diagnostic) -> ExitCode {
    print_err(&render_diagnostic(d));
    ExitCode::from(2)
}

/// Writes to stdout, escaped for the terminal; a closed pipe (`nrqc rules list | head`) is not
/// an error.
fn print_out(text: &str) -> ExitCode {
    use std::io::Write;
    match std::io::stdout()
        .lock()
        .write_all(terminal(text).as_bytes())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            error(format!("cannot write to stdout: {e}"))
        }
        _ => ExitCode::SUCCESS,
    }
}

fn load_rules(arg: &RulesArg) -> Result<RuleSet, ExitCode> {
    arg.load().map_err(|(printed, _)| {
        print_err(&printed);
        ExitCode::from(2)
    })
}

/// Prints a panic as Rust's default hook does, escaped for the terminal: its message may quote
/// a value from the package.
fn escaped_panic_hook(info: &std::panic::PanicHookInfo) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let thread = std::thread::current();
    let location = info
        .location()
        .map_or(String::new(), |l| format!(" at {l}"));
    let backtrace = std::backtrace::Backtrace::capture();
    let trace = match backtrace.status() {
        std::backtrace::BacktraceStatus::Captured => format!("{backtrace}\n"),
        _ => "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
            .to_owned(),
    };
    print_err(&format!(
        "thread '{}' panicked{location}:\n{message}\n{trace}",
        thread.name().unwrap_or("<unnamed>")
    ));
}

pub(crate) fn main() -> ExitCode {
    std::panic::set_hook(Box::new(escaped_panic_hook));
    // clap's message quotes the arguments given, which may hold escape sequences; its colours
    // are given up for that.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                print_err(&text);
            } else {
                print_out(&text);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // Set once, before anything is printed in it.
    let _ = LANG.set(cli.lang.into());
    // An interrupted run still removes a zip package's extraction.
    if let Err(e) = nrqc::package::remove_on_signals() {
        print_err(&warning_line(&format!("cannot handle SIGINT and SIGTERM ({e}); an interrupted run may leave its temporary folder behind")));
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
            timings,
            format,
            review,
        } => check(
            &package,
            &rules,
            Judging {
                profile,
                fail_on: fail_on.map(Into::into),
            },
            &review,
            Outputs {
                dir: out,
                formats: format,
                lang: lang(),
                timings,
            },
            jobs,
            quiet,
        ),
        Command::Diff {
            old,
            new,
            rules,
            profile,
            exceptions,
            out,
        } => review::diff(
            [&old, &new],
            &rules,
            &ReviewArgs {
                exceptions,
                baseline: None,
            },
            profile,
            out.as_deref(),
        ),
        Command::Init {
            dir,
            xzqdm,
            xzqmc,
            level,
            rules,
        } => init(&dir, xzqdm.zip(xzqmc), level, &rules),
        Command::Exceptions {
            command:
                ExceptionsCommand::Add {
                    file,
                    report,
                    rules,
                    fingerprints,
                    reason,
                    by,
                    date,
                    expires,
                },
        } => review::add_exceptions(
            &file,
            &report,
            &review::Chosen {
                rules,
                fingerprints,
            },
            review::Entry {
                reason,
                by,
                date,
                expires,
            },
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
            plan_year,
            shard,
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
                plan_year,
                shard,
            },
            jobs,
            quiet,
        ),
        Command::Merge { dirs, out, quiet } => merge(&dirs, out, quiet),
        Command::Rules { command } => match command {
            RulesCommand::Check { rules } => match load_rules(&rules) {
                Ok(set) => print_out(&match lang() {
                    report::Lang::Zh => format!("{} 条规则无误（{}）\n", set.rules.len(), set.id),
                    report::Lang::En => format!("{} rules OK ({})\n", set.rules.len(), set.id),
                }),
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
                            let exceptions = match p.exceptions {
                                nrqc::quality::ExceptionPolicy::Waive => "waive",
                                nrqc::quality::ExceptionPolicy::Count => "count",
                            };
                            format!(
                                "{}{default}\tfail-on {}\twarn [{}]\texceptions {exceptions}\t{}\t{}\n",
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
            RulesCommand::Export { dir } => export_rules(&dir),
            RulesCommand::Doc { rules, out } => match load_rules(&rules) {
                Ok(set) => {
                    let text = nrqc::report::doc::render(&set);
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

/// `nrqc init DIR`: writes the proposed package.yaml and says what it found.
fn init(dir: &Path, area: Option<(String, String)>, level: LevelArg, rules: &RulesArg) -> ExitCode {
    use nrqc::package::init::{propose, Area};
    use nrqc::package::manifest::Level;
    let area = match area {
        Some((code, name)) => Area { code, name },
        None => match Area::from_folder(dir) {
            Some(a) => a,
            None => {
                return error(format!(
                    "cannot tell the area from the folder name {}: give --xzqdm CODE --xzqmc NAME",
                    dir.display()
                ))
            }
        },
    };
    let rules = match load_rules(rules) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let level = match level {
        LevelArg::County => Level::County,
        LevelArg::Prefecture => Level::Prefecture,
        LevelArg::Province => Level::Province,
    };
    let proposal = match propose(dir, &rules.schema, &area, level) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let path = dir.join("package.yaml");
    if let Err(code) = write_file(&path, &proposal.text) {
        return code;
    }
    let (path, dir) = (path.display(), dir.display());
    let (layers, tables) = (proposal.layers.len(), proposal.tables.len());
    print_out(&match lang() {
        report::Lang::Zh => format!("已写入 {path}：{layers} 个图层、{tables} 个表；请逐行核对（文件中的注释说明了各项的来源），再运行 nrqc check {dir}\n"),
        report::Lang::En => format!("wrote {path}: {layers} layers, {tables} tables; review it line by line (its comments say where each value comes from), then run nrqc check {dir}\n"),
    })
}

/// `nrqc rules export DIR`: the built-in files, each written atomically; a file already there is
/// an error before anything is written, so that nobody's edited rules are overwritten.
fn export_rules(dir: &Path) -> ExitCode {
    let files = RuleSet::builtin_files();
    if let Some((rel, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
        return error(format!(
            "{} exists; export into an empty or new directory",
            dir.join(rel).display()
        ));
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return error(format!("cannot create {}: {e}", parent.display()));
            }
        }
        if let Err(code) = write_file(&path, text) {
            return code;
        }
    }
    let (n, dir) = (files.len(), dir.display());
    print_out(&match lang() {
        report::Lang::Zh => format!("{n} 个规则文件已写入 {dir}：用 --rules {dir} 替换内置规则，或把要改的规则（同号）放进另一目录用 --rules +DIR 替换\n"),
        report::Lang::En => format!("{n} rule files written to {dir}: --rules {dir} replaces the built-in rules with them; or put the rules to change (same ids) in another folder and add it with --rules +DIR\n"),
    })
}

fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), ExitCode> {
    report::write_atomic(path, contents.as_ref())
        .map_err(|e| error(format!("cannot write {}: {e}", path.display())))
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
    review: &ReviewArgs,
    outputs: Outputs,
    jobs: Option<usize>,
    quiet: bool,
) -> ExitCode {
    // The same name as the report's: the package folder's, or the zip's without `.zip`.
    let out = outputs.dir.clone().unwrap_or_else(|| {
        Path::new("reports").join(report::path_component(&nrqc::package::package_name(
            package,
        )))
    });
    // Before anything is read or written: a refused --out is left as it is.
    if let Err(e) = report::check_out(&out, &[package.to_owned()]) {
        return error(e);
    }
    let formats: std::collections::BTreeSet<Format> = outputs.formats.iter().copied().collect();
    // --timings runs the rules one at a time, so that each rule's time is its own.
    let schedule = if outputs.timings {
        nrqc::engine::Schedule::OneAtATime
    } else {
        nrqc::engine::Schedule::Together
    };
    let pool = match worker_pool(jobs) {
        Ok(pool) => pool,
        Err(e) => return error(e),
    };
    let (report, map) = match inspect(package, rules, judging, review, &pool, quiet, schedule) {
        Ok(inspected) => inspected,
        Err((printed, message)) => {
            print_err(&printed);
            // No older verdict stays in --out to be read as this run's.
            if let Err(e) = write_failed(package, &out, &formats, message) {
                print_err(&error_line(&e.to_string()));
            }
            return ExitCode::from(2);
        }
    };
    if let Err(e) = pool.install(|| write_reports(&report, &map, &out, &formats, outputs.lang)) {
        return error(e);
    }
    if !quiet {
        let lang = lang();
        let (reports, page) = match lang {
            report::Lang::Zh => ("报告：", "网页报告："),
            report::Lang::En => ("reports: ", "report page: "),
        };
        let html = if formats.contains(&Format::Html) {
            format!("\n{page}{}", out.join("report.html").display())
        } else {
            String::new()
        };
        print_out(&format!(
            "{}{reports}{}{html}\n",
            report::summary(&report, lang),
            out.display()
        ));
    }
    if outputs.timings {
        print_out(&timings(&report, lang()));
    }
    // The report is written, but the package was not inspected fully.
    for u in &report.package.unreadable {
        print_err(&error_line(&u.error));
    }
    ExitCode::from(report::verdict::exit_code(&report))
}

/// How many of the slowest rules and files `--timings` prints.
const SLOWEST: usize = 10;

/// `--timings`: the stages, then the slowest rules and files, like cargo's and dbt's timing
/// summaries.
fn timings(report: &report::Report, lang: report::Lang) -> String {
    use std::fmt::Write;
    let t = &report.timings;
    let zh = lang == report::Lang::Zh;
    let secs = |ms: f64| match ms {
        ms if ms < 1000.0 => format!("{ms:.1} ms"),
        ms => format!("{:.2} s", ms / 1000.0),
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}{} {}{} {}{} {}",
        if zh { "用时：读取" } else { "time: load" },
        secs(t.load_ms),
        if zh { "，量算" } else { ", measure" },
        secs(t.measure_ms),
        if zh { "，规则" } else { ", rules" },
        secs(t.rules_ms),
        if zh { "，合计" } else { ", total" },
        secs(t.load_ms + t.measure_ms + t.rules_ms),
    );
    let mut slowest = |heading: &str, mut rows: Vec<(f64, &str, String)>| {
        rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let _ = writeln!(s, "{heading}");
        for (ms, name, about) in rows.iter().take(SLOWEST) {
            let _ = writeln!(s, "  {:>9}  {name}  {about}", secs(*ms));
        }
    };
    slowest(
        if zh {
            "最慢的规则（逐条运行，每条规则内部并行）："
        } else {
            "slowest rules (run one at a time, each parallel within):"
        },
        report
            .rules
            .iter()
            .map(|r| (r.elapsed_ms, r.id.as_str(), r.title.clone()))
            .collect(),
    );
    slowest(
        if zh {
            "最慢的文件（并行读取）："
        } else {
            "slowest files (read in parallel):"
        },
        t.files
            .iter()
            .map(|f| (f.ms, f.path.as_str(), f.frames.join(", ")))
            .collect(),
    );
    s
}

/// Why a run could not inspect: the text printed on stderr, and the message for report.json.
type RunError = (String, String);

fn run_error(message: String) -> RunError {
    (error_line(&message), message)
}

/// The worker threads of `check` and `batch`. A worker that waits inside one rule steals other
/// rules' work (in `batch`, other packages') onto its own stack, so stacks nest: rayon's default
/// 2 MiB overflowed in tests/conformance.rs, which nests inspections the same way (debug build,
/// under load). 64 MiB is address space, not memory, until a stack is that deep.
fn worker_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(64 << 20);
    if let Some(n) = jobs {
        pool = pool.num_threads(n.max(1));
    }
    pool.build()
        .map_err(|e| format!("cannot start worker threads: {e}"))
}

/// Loads the rules and the profile and inspects the package.
fn inspect(
    package: &Path,
    rules: &RulesArg,
    judging: Judging,
    review: &ReviewArgs,
    pool: &rayon::ThreadPool,
    quiet: bool,
    schedule: nrqc::engine::Schedule,
) -> Result<(report::Report, report::MapLayers), RunError> {
    // Read before the package is: a baseline that is not a report stops the run early.
    let baseline = review
        .baseline
        .as_deref()
        .map(review::read_report)
        .transpose()
        .map_err(run_error)?;
    let diagnostic = |d: &dyn Diagnostic| (render_diagnostic(d), d.to_string());
    let rules = rules.load()?;
    let mut profile = rules
        .profile(judging.profile.as_deref())
        .map_err(run_error)?
        .clone();
    if let Some(class) = judging.fail_on {
        profile.fail_on = class;
    }
    let bar = progress::Bar::for_stderr(quiet);
    let observer: &dyn nrqc::progress::Observer = bar.as_ref().map_or(&(), |b| b);
    let inspected = pool.install(|| {
        nrqc::Inspection::scheduled(package, &rules, observer, schedule).map(|i| {
            let exceptions = review::exceptions_file(review, package, i.dataset());
            (exceptions, i.report_and_map(&profile))
        })
    });
    if let Some(bar) = &bar {
        bar.clear();
    }
    let (exceptions, (mut report, map)) = inspected.map_err(|e| diagnostic(&e))?;
    if let Some(exceptions) = exceptions.transpose()? {
        report.apply_exceptions(&exceptions);
    }
    if let Some((snapshot, file)) = baseline {
        report.apply_baseline(&snapshot, &file);
    }
    Ok((report, map))
}

/// Renders the reports of `formats` into a staging folder in `out` and moves them into place
/// together, removing any other report an earlier run left there.
fn write_reports(
    report: &report::Report,
    map: &report::MapLayers,
    out: &Path,
    formats: &std::collections::BTreeSet<Format>,
    lang: report::Lang,
) -> Result<(), String> {
    let staged = report::Staged::new(out).map_err(|e| e.to_string())?;
    stage_reports(&staged, out, Path::new(""), formats, report, map, lang)?;
    staged
        .publish(&report::REPORT_FILES)
        .map_err(|e| e.to_string())
}

/// Renders one package's reports of `formats` into the folder `dir` of `staged` (whose output
/// folder is `out`): `check`'s reports, and each county's in a batch.
fn stage_reports(
    staged: &report::Staged,
    out: &Path,
    dir: &Path,
    formats: &std::collections::BTreeSet<Format>,
    report: &report::Report,
    map: &report::MapLayers,
    lang: report::Lang,
) -> Result<(), String> {
    // Formats side by side: report.json of a million parcels' findings takes as long as the
    // others together. The first error in format order is the one told.
    let staged: Vec<Result<(), String>> = formats
        .par_iter()
        .map(|&format| {
            let files = render(format, report, map, lang).map_err(|(name, e)| {
                format!("cannot write {}: {e}", out.join(dir).join(name).display())
            })?;
            for (name, contents) in files {
                staged
                    .write(&dir.join(name), &contents)
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .collect();
    staged.into_iter().collect()
}

/// The reports of a run that could not inspect the package: report.json (always, for the
/// pipelines that read it) and report.md (when asked for) say so, and every other report is
/// removed.
fn write_failed(
    package: &Path,
    out: &Path,
    formats: &std::collections::BTreeSet<Format>,
    message: String,
) -> Result<(), String> {
    let failed = report::FailedRun::new(
        report::REPORT_SCHEMA,
        nrqc::package::package_name(package),
        package.to_string_lossy().replace('\\', "/"),
        message,
    );
    let staged = report::Staged::new(out).map_err(|e| e.to_string())?;
    let mut files = vec![("report.json", report::render_failed_json(&failed))];
    if formats.contains(&Format::Md) {
        files.push(("report.md", report::render_failed_markdown(&failed)));
    }
    for (name, text) in files {
        staged
            .write(Path::new(name), text.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    staged
        .publish(&report::REPORT_FILES)
        .map_err(|e| e.to_string())
}

/// Where `nrqc check` writes, and what.
struct Outputs {
    dir: Option<PathBuf>,
    formats: Vec<Format>,
    lang: report::Lang,
    /// `--timings`: print where the time went.
    timings: bool,
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
        Format::Xlsx => vec![(
            "report.xlsx",
            report::render_xlsx(report).map_err(|e| ("report.xlsx", std::io::Error::other(e)))?,
        )],
    })
}

fn parse_sample(s: &str) -> Result<nrqc::batch::SampleSize, String> {
    match s {
        "auto" => Ok(nrqc::batch::SampleSize::Auto),
        n => match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(nrqc::batch::SampleSize::Fixed(n)),
            _ => Err("a positive number of packages, or `auto`".into()),
        },
    }
}

struct BatchArgs {
    out: Option<PathBuf>,
    sample: Option<nrqc::batch::SampleSize>,
    seed: Option<u64>,
    prefecture_tables: Vec<PathBuf>,
    plan_year: Option<i32>,
    /// `--shard K/N`, as given.
    shard: Option<String>,
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
    use nrqc::batch;
    // Before anything is read: a mistyped share wastes no inspection.
    let shard = match opts.shard.as_deref().map(str::parse::<batch::shard::Shard>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(message)) => return error(message),
    };
    if shard.is_some() && opts.sample.is_some() && opts.seed.is_none() {
        return error("--shard with --sample needs --seed: each shard must draw the same sample");
    }
    let pool = match worker_pool(jobs) {
        Ok(p) => p,
        Err(message) => return error(message),
    };
    let rule_args = rules;
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
        [one] if !one.join("package.yaml").is_file() && !nrqc::package::archive::is_zip(one) => {
            report::path_component(&nrqc::package::package_name(one))
        }
        _ => "batch".to_owned(),
    };
    let out = opts.out.unwrap_or_else(|| Path::new("reports").join(&name));
    if let Err(e) = report::check_out(&out, &packages) {
        return error(e);
    }
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
        plan_year: opts.plan_year,
    };
    if let Some(shard) = shard {
        let run = ShardRun {
            shard,
            rule_args,
            rules: &rules,
            options: &options,
        };
        return pool.install(|| batch_shard(&packages, &run, &out, quiet));
    }
    let paths: Vec<String> = args.iter().map(|p| p.display().to_string()).collect();
    let result = pool.install(|| batch::run(&packages, &rules, &options));
    conclude_batch(result, &name, &paths.join(" "), &out, quiet)
}

/// Writes a batch's reports and summary into `out`, prints the summary, and chooses the exit
/// code: `nrqc batch` and `nrqc merge` alike. A batch that could not run leaves a batch.json
/// saying so; `what` is what it was asked to inspect.
fn conclude_batch(
    result: Result<nrqc::batch::Batch, String>,
    name: &str,
    what: &str,
    out: &Path,
    quiet: bool,
) -> ExitCode {
    use nrqc::batch;
    let result = match result {
        Ok(r) => r,
        Err(message) => {
            print_err(&error_line(&message));
            // No earlier batch verdict stays in --out to be read as this run's.
            let failed = report::FailedRun::new(
                batch::BATCH_SCHEMA,
                name.to_owned(),
                what.to_owned(),
                message,
            );
            if let Err(e) = write_failed_batch(&failed, out) {
                print_err(&error_line(&e.to_string()));
            }
            return ExitCode::from(2);
        }
    };
    if let Err(e) = write_batch(&result, out) {
        return error(e);
    }
    let summary = &result.summary;
    if !quiet {
        print_out(&batch_summary(summary, out));
    }
    // The reports are written, but these packages were not inspected, or not fully.
    for u in &summary.units {
        if let Some(e) = &u.error {
            print_err(&error_line(&format!("{}: {e}", u.path)));
        }
    }
    if summary.units.iter().any(|u| u.error.is_some()) {
        ExitCode::from(2)
    } else if summary.verdict.grade == nrqc::report::grade::Grade::Unqualified {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What `nrqc batch --shard` runs with, besides the packages.
struct ShardRun<'a> {
    shard: nrqc::batch::shard::Shard,
    rule_args: &'a RulesArg,
    rules: &'a RuleSet,
    options: &'a nrqc::batch::Options<'a>,
}

/// `nrqc batch --shard K/N`: inspects the shard's share of the packages and writes their reports
/// (before the cross-package rules, which `nrqc merge` adds) with shard-K-of-N.json, and no
/// batch summary: the verdict is the merge's. Exit 0 once they are written, unreadable packages
/// included (they are the merge's to report, and a scheduler should not retry them); 2 when
/// the shard could not run.
fn batch_shard(packages: &[PathBuf], run: &ShardRun, out: &Path, quiet: bool) -> ExitCode {
    use nrqc::batch::{self, shard};
    let opts = run.options;
    let selection = match batch::select(packages, opts) {
        Ok(s) => s,
        Err(message) => return error(message),
    };
    let share = run.shard.share(selection.packages.len());
    let entries = batch::inspect(&selection, &share, run.rules, opts);
    let campaign = shard::Campaign {
        engine: report::Engine::nrqc(),
        name: opts.name.clone(),
        rule_args: shard::RuleArgs {
            rules: run.rule_args.rules.clone(),
            select: run.rule_args.select.clone(),
            ignore: run.rule_args.ignore.clone(),
        },
        ruleset: report::RulesetInfo::of(run.rules, opts.profile.cross_package),
        profile: opts.profile.clone(),
        sampling: selection.sampling.clone(),
        plan_year: opts.plan_year,
        prefecture_tables: opts
            .prefecture_tables
            .iter()
            .map(|p| shard::TableFile::read(p))
            .collect(),
        packages: selection
            .names
            .iter()
            .zip(&selection.packages)
            .map(|(name, path)| shard::Listed {
                name: name.clone(),
                path: path.display().to_string(),
            })
            .collect(),
    };
    let manifest = shard::Manifest::new(run.shard, campaign, entries);
    if let Err(e) = write_shard(&manifest, out) {
        return error(e);
    }
    let unreadable: Vec<&nrqc::batch::Entry> = manifest
        .entries
        .iter()
        .map(|p| &p.entry)
        .filter(|e| matches!(e.outcome, batch::Outcome::Unreadable { .. }))
        .collect();
    if !quiet {
        let (k, n) = (run.shard.index, run.shard.count);
        let (inspected, total) = (manifest.entries.len(), manifest.batch.packages.len());
        let file = out.join(run.shard.file_name());
        let (file, dir) = (file.display(), out.display());
        print_out(&match lang() {
            report::Lang::Zh => format!(
                "分片 {k}/{n}：检查了 {total} 个成果包中的 {inspected} 个（{} 个无法读取）\n清单：{file}\n{n} 个分片都完成后运行：nrqc merge {dir}\n",
                unreadable.len()
            ),
            report::Lang::En => format!(
                "shard {k}/{n}: {inspected} of {total} packages inspected ({} unreadable)\nmanifest: {file}\nonce all {n} shards are done: nrqc merge {dir}\n",
                unreadable.len()
            ),
        });
    }
    for e in unreadable {
        if let batch::Outcome::Unreadable { error } = &e.outcome {
            print_err(&warning_line(&format!("{}: {error}", e.path)));
        }
    }
    ExitCode::SUCCESS
}

/// Stages a shard's county reports and its manifest and moves them into `out` together; an
/// earlier batch summary there is removed, since it is no longer this batch's verdict. Other
/// shards' manifests and folders are left as they are.
fn write_shard(manifest: &nrqc::batch::shard::Manifest, out: &Path) -> Result<(), String> {
    use nrqc::batch::Outcome;
    let staged = report::Staged::new(out).map_err(|e| e.to_string())?;
    stage_counties(
        &staged,
        out,
        manifest
            .entries
            .iter()
            .filter_map(|p| match &p.entry.outcome {
                Outcome::Inspected { report, map, .. } => {
                    Some((p.entry.name.as_str(), &**report, map))
                }
                Outcome::Unreadable { .. } => None,
            }),
    )?;
    staged
        .write(
            Path::new(&manifest.shard.file_name()),
            manifest.to_json()?.as_bytes(),
        )
        .map_err(|e| e.to_string())?;
    publish_batch(staged)
}

/// Moves a batch's or a shard's staged files into place; in each folder, what nrqc writes and
/// this run did not is an earlier run's, and is removed.
fn publish_batch(staged: report::Staged) -> Result<(), String> {
    let owned: Vec<&str> = nrqc::batch::BATCH_FILES
        .into_iter()
        .chain(report::REPORT_FILES)
        .collect();
    staged.publish(&owned).map_err(|e| e.to_string())
}

/// `nrqc merge DIR...`: the shards' manifests checked and assembled, then the batch finished as
/// `nrqc batch` finishes it, every county's reports (re)written into `out` (the first DIR by
/// default) with the batch's summary. Exit codes as `nrqc batch`'s.
fn merge(dirs: &[PathBuf], out: Option<PathBuf>, quiet: bool) -> ExitCode {
    use nrqc::batch::{self, shard};
    let assembled = shard::read_manifests(dirs).and_then(shard::assemble);
    let (campaign, entries) = match assembled {
        Ok(a) => a,
        Err(message) => return error(message),
    };
    let out = out.unwrap_or_else(|| dirs[0].clone());
    let paths: Vec<PathBuf> = campaign
        .packages
        .iter()
        .map(|p| PathBuf::from(&p.path))
        .collect();
    if let Err(e) = report::check_out(&out, &paths) {
        return error(e);
    }
    // The rule set the shards loaded, loaded again from the same arguments: its cross-package
    // rules, code lists and unit lists judge the batch.
    let rule_args = RulesArg {
        rules: campaign.rule_args.rules.clone(),
        select: campaign.rule_args.select.clone(),
        ignore: campaign.rule_args.ignore.clone(),
    };
    let rules = match load_rules(&rule_args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let loaded = report::RulesetInfo::of(&rules, campaign.profile.cross_package);
    if serde_json::to_value(&loaded).ok() != serde_json::to_value(&campaign.ruleset).ok() {
        return error(format!(
            "the shards ran with the rule set {} (sha256 {}), which now loads as {} (sha256 {}): merge with the rules the shards had",
            campaign.ruleset.id, campaign.ruleset.sha256, loaded.id, loaded.sha256
        ));
    }
    if let Err(message) = shard::check_tables(&campaign.prefecture_tables) {
        return error(message);
    }
    let tables: Vec<PathBuf> = campaign
        .prefecture_tables
        .iter()
        .map(|t| t.path.clone())
        .collect();
    let options = batch::Options {
        name: campaign.name.clone(),
        profile: &campaign.profile,
        sample: None,
        prefecture_tables: &tables,
        plan_year: campaign.plan_year,
    };
    let result = batch::finish(entries, campaign.sampling.clone(), &rules, &options);
    let what: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    conclude_batch(result, &campaign.name, &what.join(" "), &out, quiet)
}

/// The reports each county of a batch gets: those batch.md links, and those a pipeline reads
/// (junit.xml) or opens in a GIS (the error layers).
const BATCH_FORMATS: [Format; 5] = [
    Format::Json,
    Format::Md,
    Format::Html,
    Format::Junit,
    Format::Layer,
];

/// Stages each county's reports of a batch into its folder (`<package>/`, the names made safe
/// and unique by the batch).
fn stage_counties<'a>(
    staged: &report::Staged,
    out: &Path,
    counties: impl IntoIterator<Item = (&'a str, &'a report::Report, &'a report::MapLayers)>,
) -> Result<(), String> {
    let formats = BATCH_FORMATS.into_iter().collect();
    for (dir, report, map) in counties {
        stage_reports(
            staged,
            out,
            Path::new(dir),
            &formats,
            report,
            map,
            report::Lang::default(),
        )?;
    }
    Ok(())
}

/// Stages batch.json, batch.md, batch-junit.xml and each package's reports, and moves them into
/// `out` together.
fn write_batch(result: &nrqc::batch::Batch, out: &Path) -> Result<(), String> {
    let staged = report::Staged::new(out).map_err(|e| e.to_string())?;
    stage_counties(
        &staged,
        out,
        result.reports.iter().map(|(d, r, m)| (d.as_str(), r, m)),
    )?;
    let summary = &result.summary;
    for (name, text) in [
        ("batch.json", nrqc::batch::render_json(summary)),
        ("batch.md", nrqc::batch::render_markdown(summary)),
        ("batch-junit.xml", nrqc::batch::render_junit(result)),
    ] {
        staged
            .write(Path::new(name), text.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    publish_batch(staged)
}

/// What `nrqc batch` prints: a table of the counties (县, 代码, 评定, 得分, 问题数, 报告, the
/// columns padded to the widest cell), the cross-package rules that found something, and the
/// batch verdict with its reasons.
fn batch_summary(summary: &nrqc::batch::Summary, out: &Path) -> String {
    let zh = lang() == report::Lang::Zh;
    let head = if zh {
        ["县", "代码", "评定", "得分", "问题数", "报告"]
    } else {
        ["county", "code", "grade", "score", "findings", "reports"]
    };
    let mut rows = vec![head.map(String::from)];
    for u in &summary.units {
        let report = match (&u.error, zh) {
            // Inspected in part: its reports say what could not be read.
            (Some(_), true) if u.report.is_some() => {
                format!("{}（部分无法读取）", out.join(&u.package).display())
            }
            (Some(_), false) if u.report.is_some() => {
                format!("{} (partly unreadable)", out.join(&u.package).display())
            }
            (Some(_), true) => format!("无法读取：{}", u.path),
            (Some(_), false) => format!("unreadable: {}", u.path),
            (None, _) => out.join(&u.package).display().to_string(),
        };
        rows.push([
            u.area_name.clone().unwrap_or_else(|| "—".into()),
            u.area_code.clone().unwrap_or_else(|| "—".into()),
            if zh { u.grade.zh() } else { u.grade.en() }.to_owned(),
            u.score.map_or_else(|| "—".into(), |s| s.to_decimal(2)),
            u.findings.to_string(),
            report,
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (cell, w) in row.iter().zip(widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(w - display_width(cell) + 2));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    for r in summary
        .cross_package
        .iter()
        .filter(|r| !r.findings.is_empty())
    {
        let n = r.findings.len();
        let found = if zh {
            format!("：{n} 处")
        } else {
            format!(": {n} findings")
        };
        text.push_str(&format!("{} [{}] {}{found}\n", r.id, r.class, r.title));
    }
    let v = &summary.verdict;
    let reasons = match (v.reasons.is_empty(), zh) {
        (true, _) => String::new(),
        (false, true) => format!("（{}）", v.reasons.join("；")),
        (false, false) => format!(" ({})", v.reasons.join("; ")),
    };
    let out = out.display();
    text.push_str(&if zh {
        format!(
            "批结论（{}）：{}{reasons}\n报告：{out}\n",
            v.clause,
            v.grade.zh()
        )
    } else {
        format!(
            "batch verdict ({}): {}{reasons}\nreports: {out}\n",
            v.clause,
            v.grade.en()
        )
    });
    text
}

/// The columns `s` takes on a terminal: East Asian wide characters (Han, kana, Hangul,
/// full-width forms) take two, as terminals draw them.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0x303e
            | 0x3041..=0x33ff
            | 0x3400..=0x4dbf
            | 0x4e00..=0x9fff
            | 0xa000..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6
            | 0x20000..=0x3fffd => 2,
            _ => 1,
        })
        .sum()
}

/// batch.json of a batch that could not run; batch.md and batch-junit.xml are removed. The
/// packages' folders are left: batch.json no longer links them.
fn write_failed_batch(failed: &report::FailedRun, out: &Path) -> Result<(), String> {
    let staged = report::Staged::new(out).map_err(|e| e.to_string())?;
    staged
        .write(
            Path::new("batch.json"),
            report::render_failed_json(failed).as_bytes(),
        )
        .map_err(|e| e.to_string())?;
    staged
        .publish(&nrqc::batch::BATCH_FILES)
        .map_err(|e| e.to_string())
}
