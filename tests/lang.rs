//! What the terminal says is in the reader's language: Chinese by default, English with
//! `--lang en` or `NRQC_LANG=en`. The mistakes people make lead to their fix in both; a broken
//! file is named with its layer, feature and field in both. (tests/malformed.rs checks that no
//! English is left in the Chinese of every error of its corpus.)

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

const CLEAN: &str = "fixtures/622901_临夏市";

/// `nrqc args` with `NRQC_LANG` set to `lang`, or unset for `None`.
fn nrqc(lang: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nrqc"));
    cmd.args(args).env("NO_COLOR", "1");
    match lang {
        Some(l) => cmd.env("NRQC_LANG", l),
        None => cmd.env_remove("NRQC_LANG"),
    };
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    common::flat(&String::from_utf8_lossy(&o.stderr))
}

/// The message of each mistake, (Chinese, English): the default and `--lang en` on the command
/// line or in the environment say the same thing in their language.
#[test]
fn mistakes_lead_to_their_fix_in_the_readers_language() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("r");
    let out = out.to_str().unwrap();
    let inside = format!("{CLEAN}/reports");
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["check", "no/such/package"],
            "no/such/package：不存在；成果包应是含有 package.yaml 的目录，或一个 .zip 压缩包",
            "no/such/package: does not exist; a package is a directory holding package.yaml, or \
             a .zip file",
        ),
        (
            &["check", "fixtures", "--out", out],
            "请用 `nrqc batch fixtures` 一并检查，或用 `nrqc check fixtures/<package>` 检查其中一个",
            "inspect them together with `nrqc batch fixtures`",
        ),
        (
            &["check", CLEAN, "--rules", "tests/rules/c_finding", "--out", out],
            "`--rules +DIR` 则是把 DIR 添加到内置规则之上",
            "`--rules +DIR` adds DIR to them",
        ),
        (
            &["check", CLEAN, "--out", &inside],
            "错误：--out fixtures/622901_临夏市/reports 位于成果包 fixtures/622901_临夏市 之内：",
            "error: --out fixtures/622901_临夏市/reports is inside the package fixtures/622901_临夏市",
        ),
    ];
    for (args, zh, en) in cases {
        let o = nrqc(None, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(zh), "{args:?}:\n{}", stderr(&o));
        let o = nrqc(Some("en"), args);
        assert!(stderr(&o).contains(en), "{args:?}:\n{}", stderr(&o));
        let flag = nrqc(None, &[args, &["--lang", "en"]].concat());
        assert_eq!(stderr(&flag), stderr(&o), "--lang en and NRQC_LANG=en");
    }
    assert!(!Path::new(&inside).exists(), "the package was written to");
}

/// A file that cannot be read is named with its layer, feature and field, in Chinese by default.
#[test]
fn a_broken_file_is_placed_in_either_language() {
    let (_tmp, pkg) = common::copy_package(CLEAN);
    let xzq = pkg.join("vector/XZQ.fgb");
    let _ = std::fs::remove_file(&xzq);
    std::fs::copy("tests/malformed/fgb_invalid_utf8.fgb", &xzq).unwrap();
    let out = pkg.with_file_name("out");
    let args = [
        "check",
        pkg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let zh = stderr(&nrqc(None, &args));
    assert!(
        zh.contains("vector/XZQ.fgb：图层 XZQ，要素 0，字段 XZQMC：文本不是有效的 UTF-8"),
        "{zh}"
    );
    let en = stderr(&nrqc(Some("en"), &args));
    assert!(
        en.contains("vector/XZQ.fgb: XZQ, feature 0, field XZQMC: the text is not valid UTF-8"),
        "{en}"
    );
}

/// The summary after a run, and the path of report.html, in each language.
#[test]
fn the_summary_is_in_the_readers_language() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let o = nrqc(None, &["check", CLEAN, "--out", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let zh = String::from_utf8_lossy(&o.stdout);
    assert!(
        zh.starts_with("622901_临夏市 (临夏市)：优（GB/T 24356-2023 评定，S = "),
        "{zh}"
    );
    assert!(
        zh.contains("\n问题 0 处：A 类 0，B 类 0，C 类 0，D 类 0\n"),
        "{zh}"
    );
    assert!(zh.contains(&format!("网页报告：{dir}/report.html")), "{zh}");
    let o = nrqc(None, &["check", CLEAN, "--out", dir, "--lang", "en"]);
    let en = String::from_utf8_lossy(&o.stdout);
    assert!(
        en.starts_with("622901_临夏市 (临夏市): excellent (GB/T 24356-2023 grade, S = "),
        "{en}"
    );
    assert!(
        en.contains("\n0 findings: class A 0, class B 0, class C 0, class D 0\n"),
        "{en}"
    );
    assert!(
        en.contains(&format!("report page: {dir}/report.html")),
        "{en}"
    );
}

/// Every message of the catalogue is still in the source (scripts/i18n_check.py): a message
/// changed in the code would otherwise lose its Chinese without a test noticing.
#[test]
fn the_catalogue_matches_the_source() {
    let o = Command::new("python3")
        .arg("scripts/i18n_check.py")
        .output()
        .expect("python3 (scripts/test installs it)");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("OK: no problems"), "{text}");
}
