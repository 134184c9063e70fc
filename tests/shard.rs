//! `nrqc batch --shard K/N` and `nrqc merge`: a batch inspected in shards, as separate
//! processes, and merged equals the batch run whole; the manifests merge refuses.

use std::path::Path;

use crate::common::*;
use nrqc::report;

/// Asserts `a == b`, showing the first line that differs rather than both texts.
fn same(a: &[u8], b: &[u8], what: &str) {
    if a == b {
        return;
    }
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(a.lines().count().min(b.lines().count()));
    let at = |t: &str| {
        t.lines()
            .nth(line)
            .unwrap_or("<end>")
            .chars()
            .take(400)
            .collect::<String>()
    };
    panic!(
        "{what} differs at line {}:\n  {}\n  {}",
        line + 1,
        at(&a),
        at(&b)
    );
}

/// What a shard keeps of a county (its report before the cross-package rules, and its map) reads
/// back into reports byte for byte equal to those rendered from the inspection itself: merge
/// re-renders every county from it.
#[test]
fn a_report_and_its_map_read_back_render_the_same_files() {
    let rules = builtin();
    let profile = rules.profile(Some("prefecture")).unwrap().clone();
    for package in [
        DEFECTIVE,
        MISSING_LAYERS,
        "fixtures/622925_和政县_defective",
    ] {
        let inspection = nrqc::Inspection::run(Path::new(package), &rules, &()).unwrap();
        let (original, map) = inspection.report_and_map(&profile);
        let json = serde_json::to_string(&original).unwrap();
        let read: report::Report = serde_json::from_str(&json).unwrap();
        let map_read: report::MapLayers =
            serde_json::from_str(&serde_json::to_string(&map).unwrap()).unwrap();
        let json = |r: &report::Report| report::render_json(r).into_bytes();
        same(&json(&read), &json(&original), package);
        let md = |r: &report::Report| report::render_markdown(r).into_bytes();
        same(&md(&read), &md(&original), package);
        let junit = |r: &report::Report| report::render_junit(r).into_bytes();
        same(&junit(&read), &junit(&original), package);
        let geojson = |r: &report::Report| report::render_geojson(r).unwrap().into_bytes();
        same(&geojson(&read), &geojson(&original), package);
        let fgb = |r: &report::Report| report::render_fgb(r).unwrap();
        same(&fgb(&read), &fgb(&original), package);
        for lang in [report::Lang::Zh, report::Lang::En] {
            same(
                report::render_html(&read, &map_read, lang).as_bytes(),
                report::render_html(&original, &map, lang).as_bytes(),
                package,
            );
        }
        assert!(!read.findings.is_empty(), "{package}");
    }
}

/// The packages of the test batches: the eight clean counties, the eight defective ones (each
/// county delivered twice, which the cross-package rules report), and a package that cannot be
/// read.
fn campaign(dir: &Path) -> Vec<String> {
    let broken = dir.join("622999_坏包");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("package.yaml"), "xzqdm: [").unwrap();
    let mut packages: Vec<String> = COUNTIES
        .iter()
        .flat_map(|c| [format!("fixtures/{c}"), format!("fixtures/{c}_defective")])
        .collect();
    packages.push(broken.to_str().unwrap().to_owned());
    packages
}

/// `nrqc batch --shard K/N` over `packages` into `out`, started, not waited for.
fn spawn_shard(
    shard: &str,
    packages: &[String],
    extra: &[&str],
    out: &Path,
) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(["batch", "-q", "-j", "1", "--shard", shard, "--out"])
        .arg(out)
        .args(packages)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1764288000")
        .env("NRQC_LANG", "en")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A report or summary with what differs from run to run taken out: times (`elapsed_ms`,
/// `timings`, junit.xml's `time`) and run ids (equal anyway under SOURCE_DATE_EPOCH, as are the
/// timestamps, which are kept).
fn timeless_text(name: &str, bytes: &[u8]) -> Vec<u8> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("elapsed_ms");
                m.remove("timings");
                m.remove("run_id");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    if name.ends_with(".json") {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        strip(&mut v);
        serde_json::to_vec_pretty(&v).unwrap()
    } else if name.ends_with(".xml") {
        let times = regex::Regex::new(r#" time="[0-9.]+""#).unwrap();
        times
            .replace_all(&String::from_utf8_lossy(bytes), "")
            .into_owned()
            .into_bytes()
    } else {
        bytes.to_vec()
    }
}

/// The files nrqc wrote under `dir` (not the shard manifests), by path relative to it.
fn written(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            for inner in std::fs::read_dir(entry.path()).unwrap() {
                let inner = inner.unwrap().file_name().to_string_lossy().into_owned();
                files.push(format!("{name}/{inner}"));
            }
        } else if !name.starts_with("shard-") {
            files.push(name);
        }
    }
    files.sort();
    files
}

#[test]
fn four_shards_merged_equal_the_whole_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let packages = campaign(tmp.path());
    let whole = tmp.path().join("whole");
    let mut args = vec!["batch", "-q", "--out", whole.to_str().unwrap()];
    args.extend(packages.iter().map(String::as_str));
    let batch = nrqc(&args);
    // An unreadable package: exit 2, after every report is written.
    assert_eq!(batch.status.code(), Some(2));

    // The four shards run at once, into one folder, as a job array on a shared file system.
    let shards = tmp.path().join("shards");
    let children: Vec<_> = (1..=4)
        .map(|k| spawn_shard(&format!("{k}/4"), &packages, &[], &shards))
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        // A shard's job is done once its reports are written, unreadable packages included.
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // No shard writes a batch verdict.
    assert!(!shards.join("batch.json").exists());
    let merge = nrqc(&["merge", "-q", shards.to_str().unwrap()]);
    assert_eq!(
        merge.status.code(),
        batch.status.code(),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&merge.stderr),
        String::from_utf8_lossy(&batch.stderr)
    );

    let files = written(&whole);
    assert_eq!(files, written(&shards));
    // Every county's six reports and the three of the batch, 16 readable counties.
    assert_eq!(files.len(), 16 * 6 + 3, "{files:?}");
    for file in &files {
        let (a, b) = (
            std::fs::read(whole.join(file)).unwrap(),
            std::fs::read(shards.join(file)).unwrap(),
        );
        same(&timeless_text(file, &a), &timeless_text(file, &b), file);
    }
    // The merge added the cross-package findings to the county reports the shards wrote: a unit
    // code of 康乐县's defective delivery is another county's too (ZR-X001).
    let county: serde_json::Value = serde_json::from_slice(
        &std::fs::read(shards.join("622922_康乐县_defective/report.json")).unwrap(),
    )
    .unwrap();
    assert!(county["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "ZR-X001" && r["status"] == "failed"));

    // Merging again gives the same: the shards' manifests, not the merged reports, are read.
    let again = nrqc(&["merge", "-q", shards.to_str().unwrap()]);
    assert_eq!(again.status.code(), batch.status.code());
    let summary = |dir: &Path| std::fs::read(dir.join("batch.md")).unwrap();
    same(
        &summary(&whole),
        &summary(&shards),
        "batch.md, merged twice",
    );
}

#[test]
fn shards_in_separate_folders_merge_into_out() {
    let tmp = tempfile::tempdir().unwrap();
    let packages: Vec<String> = COUNTIES[..3]
        .iter()
        .map(|c| format!("fixtures/{c}"))
        .collect();
    let (a, b, out) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("merged"),
    );
    for (shard, dir) in [("1/2", &a), ("2/2", &b)] {
        let o = spawn_shard(shard, &packages, &[], dir)
            .wait_with_output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
    }
    // Positions 0 and 2 are shard 1's, position 1 shard 2's.
    assert!(a.join("622901_临夏市/report.json").is_file());
    assert!(b.join("622921_临夏县/report.json").is_file());
    assert!(a.join("622922_康乐县/report.json").is_file());
    let o = nrqc_exits(
        0,
        &[
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("batch verdict (6.4.1)"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("batch.json")).unwrap()).unwrap();
    assert_eq!(summary["units"].as_array().unwrap().len(), 3);
    for c in &COUNTIES[..3] {
        assert!(out.join(c).join("report.html").is_file(), "{c}");
    }
}

/// `nrqc merge` over `dirs`: exit 2 with `message` on stderr, and no batch summary written.
fn refused(dirs: &[&Path], message: &str) {
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    let o = nrqc_exits(2, &args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(message), "{stderr}");
    for d in dirs {
        assert!(!d.join("batch.json").exists(), "{}", d.display());
    }
}

#[test]
fn merge_refuses_missing_duplicate_and_mismatched_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let packages: Vec<String> = COUNTIES[..3]
        .iter()
        .map(|c| format!("fixtures/{c}"))
        .collect();
    let run = |shard: &str, extra: &[&str], dir: &str| {
        let dir = tmp.path().join(dir);
        let o = spawn_shard(shard, &packages, extra, &dir)
            .wait_with_output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        dir
    };
    let first = run("1/2", &[], "first");
    refused(&[&first], "shards missing: shard-2-of-2.json (of 2)");
    let again = run("1/2", &[], "again");
    refused(
        &[&first, &again],
        &format!(
            "shard 1/2 is given twice: {} and {}",
            first.join("shard-1-of-2.json").display(),
            again.join("shard-1-of-2.json").display()
        ),
    );
    let other_profile = run("2/2", &["--profile", "county"], "other_profile");
    refused(&[&first, &other_profile], "were run with different options");
    let other_n = run("2/3", &[], "other_n");
    refused(&[&first, &other_n], "is shard 2/3 but");
    let other_packages = {
        let dir = tmp.path().join("other_packages");
        let o = spawn_shard("2/2", &packages[..2], &[], &dir)
            .wait_with_output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        dir
    };
    refused(
        &[&first, &other_packages],
        "are shards of different packages",
    );
    let corrupt = tmp.path().join("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(
        corrupt.join("shard-2-of-2.json"),
        "{\"schema\": \"nrqc-shard/1\"",
    )
    .unwrap();
    refused(
        &[&first, &corrupt],
        &format!(
            "{}: not a shard manifest",
            corrupt.join("shard-2-of-2.json").display()
        ),
    );
    refused(&[&corrupt.join("nothing")], "nothing");
    refused(&[tmp.path()], "no shard manifest (shard-K-of-N.json) in");
}

#[test]
fn a_share_out_of_range_or_a_sample_without_its_seed_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    for (shard, message) in [
        ("0/4", "error: shard 0/4: K must be between 1 and N (4)"),
        ("5/4", "error: shard 5/4: K must be between 1 and N (4)"),
        ("2", "error: `2` is not K/N, e.g. 3/8"),
    ] {
        let r = nrqc_exits(2, &["batch", "--shard", shard, "--out", o, CLEAN]);
        assert_eq!(String::from_utf8_lossy(&r.stderr), format!("{message}\n"));
    }
    let r = nrqc_exits(
        2,
        &[
            "batch", "--shard", "1/2", "--sample", "2", "--out", o, "fixtures",
        ],
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("--shard with --sample needs --seed"));
    // Nothing was inspected, nothing written.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    // In Chinese by default.
    let zh = std::process::Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(["batch", "--shard", "5/4", "--out", o, CLEAN])
        .env_remove("NRQC_LANG")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&zh.stderr),
        "错误：分片 5/4：K 必须在 1 与 N（4）之间\n"
    );
}

/// A sampled batch in shards draws one sample and splits it: merged, it is the sampled batch.
#[test]
fn a_sample_is_drawn_once_and_then_sharded() {
    let tmp = tempfile::tempdir().unwrap();
    let packages: Vec<String> = COUNTIES.iter().map(|c| format!("fixtures/{c}")).collect();
    let sample = ["--sample", "auto", "--seed", "20251128"];
    let whole = tmp.path().join("whole");
    let mut args = vec!["batch", "-q", "--out", whole.to_str().unwrap()];
    args.extend(packages.iter().map(String::as_str));
    args.extend(sample);
    let batch = nrqc(&args);
    let shards = tmp.path().join("shards");
    for k in 1..=2 {
        let o = spawn_shard(&format!("{k}/2"), &packages, &sample, &shards)
            .wait_with_output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
    }
    let merge = nrqc(&["merge", "-q", shards.to_str().unwrap()]);
    assert_eq!(merge.status.code(), batch.status.code());
    let text = |dir: &Path| {
        timeless_text(
            "batch.json",
            &std::fs::read(dir.join("batch.json")).unwrap(),
        )
    };
    same(&text(&whole), &text(&shards), "batch.json of a sample");
    assert_eq!(written(&whole), written(&shards));
}
