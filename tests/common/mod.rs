//! Shared helpers for the integration tests.
#![allow(dead_code)] // helpers kept for the next test as much as for the current ones

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nrqc::report::{Outcome, Report};

use nrqc::finding::Status;
use nrqc::quality::DefectClass;
use nrqc::rules::RuleSet;

pub const CLEAN: &str = "fixtures/622923_永靖县";
pub const DEFECTIVE: &str = "fixtures/622923_永靖县_defective";
/// 永靖县 delivered without its required layers and tables: the completeness defects.
pub const MISSING_LAYERS: &str = "fixtures/622923_永靖县_missing_layers";

/// The clean package of every Linxia county (`fixtures/<dir>`, with `<dir>_defective` and
/// `<dir>_defective.truth.yaml` beside it), written by `examples/gen_fixtures`.
pub const COUNTIES: [&str; 8] = [
    "622901_临夏市",
    "622921_临夏县",
    "622922_康乐县",
    "622923_永靖县",
    "622924_广河县",
    "622925_和政县",
    "622926_东乡族自治县",
    "622927_积石山保安族东乡族撒拉族自治县",
];

pub fn builtin() -> RuleSet {
    RuleSet::builtin().expect("the built-in rules are valid")
}

pub fn inspect(path: &str, threads: usize) -> Report {
    let rules = builtin();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| nrqc::inspect(Path::new(path), &rules, DefectClass::B))
        .unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

/// (rule, layer, fids) of a finding: what the ground truth names.
pub type Key = (String, String, Vec<usize>);

pub fn finding_keys(report: &Report) -> BTreeSet<Key> {
    report
        .findings
        .iter()
        .map(|f| {
            let mut fids: Vec<usize> = f.feature_ids.iter().map(|id| id.fid).collect();
            fids.sort();
            (f.rule_id.clone(), f.layer.clone(), fids)
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct Truth {
    pub package: String,
    pub findings: Vec<TruthFinding>,
    /// Every rule the defects stop from running.
    pub not_run: Vec<TruthNotRun>,
}

/// A rule that cannot run: the report gives it status `not_run` with this reason.
#[derive(serde::Deserialize)]
pub struct TruthNotRun {
    pub rule: String,
    pub reason: String,
}

#[derive(serde::Deserialize)]
pub struct TruthFinding {
    pub rule: String,
    pub layer: String,
    pub fids: Vec<usize>,
    #[serde(default)]
    pub keys: Vec<TruthKey>,
    #[serde(default)]
    pub note: String,
}

/// A key as the ground truth writes it: one value, or the parts of a composite key.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum TruthKey {
    One(String),
    Composite(Vec<String>),
}

impl TruthKey {
    /// As the report writes it: composite parts joined with `/`.
    pub fn joined(&self) -> String {
        match self {
            TruthKey::One(k) => k.clone(),
            TruthKey::Composite(parts) => parts.join("/"),
        }
    }
}

pub fn truth(path: &str) -> Truth {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn truth_keys(t: &Truth) -> BTreeSet<Key> {
    t.findings
        .iter()
        .map(|f| {
            let mut fids = f.fids.clone();
            fids.sort();
            (f.rule.clone(), f.layer.clone(), fids)
        })
        .collect()
}

/// A copy of a fixture package in a temporary directory, to damage in a test.
pub fn copy_package(src: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join(Path::new(src).file_name().unwrap());
    copy_dir(Path::new(src), &dst);
    (dir, dst)
}

/// Copies the directory `src` to `dst`, recursively.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Every rule ran (or had no optional layer to check), none found anything, the package passes.
pub fn assert_clean(path: &str) {
    let report = inspect(path, 2);
    let not_passed: Vec<_> = report
        .rules
        .iter()
        .filter(|r| r.status != Status::Passed && r.status != Status::NotApplicable)
        .map(|r| (&r.id, r.status, &r.reason))
        .collect();
    assert!(not_passed.is_empty(), "{path}: {not_passed:?}");
    assert!(report.findings.is_empty(), "{path}: {:#?}", report.findings);
    assert_eq!(report.outcome, Outcome::Pass, "{path}");
}

/// The package's findings are exactly its ground truth (`<path>.truth.yaml`), one for one, with
/// the keys the truth names; and the rules that did not run are exactly those it lists, for the
/// reasons it gives.
pub fn assert_truth(path: &str) -> Report {
    let report = inspect(path, 2);
    let truth = truth(&format!("{path}.truth.yaml"));
    assert_eq!(Some(truth.package.as_str()), path.rsplit('/').next());
    let found = finding_keys(&report);
    let expected = truth_keys(&truth);
    let missed: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "{path}\nmissed: {missed:#?}\nextra: {extra:#?}"
    );
    // One finding per listed defect: none is reported twice.
    assert_eq!(report.findings.len(), truth.findings.len(), "{path}");
    // Keys named by the ground truth are the keys the report gives.
    for t in &truth.findings {
        let f = report
            .findings
            .iter()
            .find(|f| {
                f.rule_id == t.rule
                    && f.feature_ids
                        .iter()
                        .map(|i| i.fid)
                        .eq(t.fids.iter().copied())
            })
            .unwrap();
        let keys: Vec<String> = f.feature_ids.iter().filter_map(|i| i.key.clone()).collect();
        let expected: Vec<String> = t.keys.iter().map(TruthKey::joined).collect();
        assert_eq!(keys, expected, "{path} {}: {}", t.rule, t.note);
    }
    let not_run: BTreeSet<(&str, &str)> = report
        .rules
        .iter()
        .filter(|r| r.status == Status::NotRun)
        .map(|r| (r.id.as_str(), r.reason.as_deref().unwrap_or("")))
        .collect();
    let expected: BTreeSet<(&str, &str)> = truth
        .not_run
        .iter()
        .map(|n| (n.rule.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(not_run, expected, "{path}: rules not run");
    assert_eq!(report.outcome, Outcome::Fail, "{path}");
    report
}

/// Runs the nrqc binary with `args`, at the fixed time scripts/regen_examples.sh uses, printing
/// in English unless `args` say `--lang` (tests/lang.rs tests the Chinese default).
pub fn nrqc(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764288000")
        .env("NRQC_LANG", "en")
        .output()
        .unwrap()
}

/// [`nrqc`], asserting its exit code; stderr is shown when the code differs.
pub fn nrqc_exits(code: i32, args: &[&str]) -> std::process::Output {
    let o = nrqc(args);
    assert_eq!(
        o.status.code(),
        Some(code),
        "nrqc {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The reason codes of nrqc's `geometry_valid` that a GEOS `is_valid_reason` text (with or
/// without its `[x y]` location) can stand for. GEOS names the first defect it meets, nrqc every
/// one; GEOS says "Self-intersection" where JTS's suite also names a ring touching itself, and
/// for a MultiPolygon whose parts share a segment.
pub fn geos_reason_codes(valid_reason: &str) -> &'static [&'static str] {
    match valid_reason.split('[').next().unwrap_or("").trim() {
        "Valid Geometry" => &[],
        "Self-intersection" => &["self_intersection", "ring_self_intersection"],
        "Ring Self-intersection" => &["ring_self_intersection"],
        "Hole lies outside shell" => &["hole_outside_shell"],
        "Holes are nested" => &["nested_holes"],
        "Interior is disconnected" => &["disconnected_interior"],
        "Nested shells" => &["nested_shells"],
        "Too few points" => &["too_few_points"],
        "Invalid Coordinate" => &["invalid_coordinate"],
        "Duplicate Rings" => &["duplicate_rings"],
        other => panic!("GEOS reason {other} has no nrqc counterpart in the tests"),
    }
}

/// What one run of a child process cost.
pub struct Measured {
    pub output: std::process::Output,
    pub wall: std::time::Duration,
    /// Peak resident set of the child, in MiB, as GNU time reports it.
    pub peak_mib: u64,
    /// The child was killed after the time limit.
    pub timed_out: bool,
}

/// GNU time, which measures the runs: see [`run_capped`].
const TIME: &str = "/usr/bin/time";

/// Runs `cmd` to completion, killing it after `limit`, and measures its wall time and its own
/// peak memory. Its program, arguments, environment and folder are run; hooks such as
/// `pre_exec` are not (a memory cap is [`run_capped`]'s).
pub fn run_measured(cmd: &std::process::Command, limit: std::time::Duration) -> Measured {
    run_capped(cmd, limit, None)
}

/// [`run_measured`], with the child's address space capped at `cap` bytes.
///
/// The peak is taken by GNU time, a small process that forks the command and reads its
/// rusage. Forked from the test process itself, the command would inherit that process's
/// resident set as its starting peak (Linux keeps the larger of the pre-exec and post-exec
/// peaks in ru_maxrss), so a run beside tests that hold large inputs in memory measured 153 MiB
/// where it took 84.
pub fn run_capped(
    cmd: &std::process::Command,
    limit: std::time::Duration,
    cap: Option<u64>,
) -> Measured {
    use std::io::Read;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    assert!(
        Path::new(TIME).exists(),
        "{TIME} (Debian package `time`) measures the runs; scripts/test installs it"
    );
    let peak_file = tempfile::NamedTempFile::new().unwrap();
    let mut wrapped = Command::new(TIME);
    wrapped
        .args(["-f", "%M", "-o"])
        .arg(peak_file.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        // A group of its own, so that a kill reaches the command, not only time.
        .process_group(0);
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(cap) = cap {
        // SAFETY: setrlimit is async-signal-safe and touches only the child; the limit is
        // inherited by the command time starts.
        unsafe {
            wrapped.pre_exec(move || {
                let cap = libc::rlimit {
                    rlim_cur: cap,
                    rlim_max: cap,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    let start = std::time::Instant::now();
    let mut child = wrapped
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (done, killed) = (done.clone(), killed.clone());
        std::thread::spawn(move || {
            while start.elapsed() < limit {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if !done.load(Ordering::SeqCst) {
                killed.store(true, Ordering::SeqCst);
                // SAFETY: the group of our child, not yet reaped (wait below reaps it).
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        })
    };
    let status = child.wait().expect("wait for the command");
    done.store(true, Ordering::SeqCst);
    let wall = start.elapsed();
    watchdog.join().unwrap();
    // GNU time writes the peak in KiB, after "Command terminated by signal N" when the command
    // was killed (it then exits 128 + N, as a shell shows it); the status given back is the
    // command's.
    let report = std::fs::read_to_string(peak_file.path()).unwrap_or_default();
    let peak_kib: u64 = report
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next_back()
        .unwrap_or(0);
    let signal = report
        .lines()
        .find_map(|l| l.strip_prefix("Command terminated by signal "))
        .and_then(|n| n.trim().parse::<i32>().ok());
    let status = match signal {
        Some(n) => std::process::ExitStatus::from_raw(n),
        None => status,
    };
    Measured {
        output: std::process::Output {
            status,
            stdout: out_reader.join().unwrap(),
            stderr: err_reader.join().unwrap(),
        },
        wall,
        peak_mib: peak_kib / 1024,
        timed_out: killed.load(Ordering::SeqCst),
    }
}

/// Runs `nrqc check` on `pkg` into `out` beside it, with `args` added, killed after `limit`,
/// its address space capped at `cap` bytes so that a run that allocates without end fails here
/// instead of exhausting the machine.
pub fn check_capped(
    pkg: &Path,
    limit: std::time::Duration,
    cap: u64,
    args: &[&std::ffi::OsStr],
) -> Measured {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nrqc"));
    cmd.arg("check")
        .arg(pkg)
        .arg("--quiet")
        .arg("--out")
        .arg(pkg.with_file_name("out"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("NRQC_LANG", "en");
    let m = run_capped(&cmd, limit, Some(cap));
    eprintln!("{}: {:?}, {} MiB", pkg.display(), m.wall, m.peak_mib);
    assert!(!m.timed_out, "killed after {limit:?}");
    m
}

/// A diagnostic as printed, with miette's wrapping and box drawing undone, so that a test can
/// look for a whole message.
pub fn flat(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| l.trim_start_matches([' ', '│', '×', '╰', '─', '▶']).trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A report.json (or any JSON file) read.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (rule, fingerprint) of every finding of `report`, sorted: what must not change between
/// copies of one package.
pub fn fingerprints(report: &Report) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.fingerprint.clone()))
        .collect();
    v.sort();
    v
}

/// A rule result as report.json has it, without its wall time, which differs from run to run.
pub fn timeless<T: serde::Serialize>(rules: &T) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("elapsed_ms");
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(rules).unwrap();
    strip(&mut v);
    v
}

/// Zips the folder `dir` into `zip`, its entries under the folder's own name (`cases.gdb/…`),
/// as a producer zips a File Geodatabase.
pub fn zip_dir(dir: &Path, zip: &Path) {
    use std::io::Write;
    let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
    let mut w = zip::ZipWriter::new(std::fs::File::create(zip).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let entry = format!("{name}/{}", path.file_name().unwrap().to_str().unwrap());
        w.start_file(entry, options).unwrap();
        w.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    w.finish().unwrap();
}
