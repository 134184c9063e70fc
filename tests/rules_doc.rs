//! `nrqc rules doc` and the `docs/rules.md` it generated.

use std::process::Command;

fn rules_doc(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_nrqc"))
        .args(["rules", "doc"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn docs_rules_md_is_what_rules_doc_generates() {
    let generated = rules_doc(&[]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if generated != committed {
        // The whole document is too long for an assertion message; the first difference locates it.
        let (line, (new, old)) = generated
            .lines()
            .chain(std::iter::repeat(""))
            .zip(committed.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (new, old))| new != old)
            .expect("documents that differ differ in a line");
        panic!(
            "docs/rules.md is out of date with the rules or the check kinds; regenerate it:\n\n    \
             cargo run -- rules doc --out docs/rules.md\n\nfirst difference, line {}:\n  \
             docs/rules.md: {old}\n  generated:     {new}",
            line + 1
        );
    }
}

#[test]
fn out_writes_the_same_document_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.md");
    assert_eq!(rules_doc(&["--out", path.to_str().unwrap()]), "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rules_doc(&[]));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn added_rules_are_documented() {
    let doc = rules_doc(&["--rules", "+tests/rules/doc_extra"]);
    assert!(
        doc.contains("from the rule set `builtin+tests/rules/doc_extra`"),
        "{doc}"
    );
    let rule = doc
        .split("<a id=\"ZR-X901\"></a>")
        .nth(1)
        .expect("the added rule has its section");
    let rule = &rule[..rule.find("<a id=").unwrap()];
    for row in [
        "| 缺陷类别 class | D |",
        "| 理由 why | 第一行<br>第二行 \\| 含竖线 |",
        "| 条件 where | `DJDYMC IS NOT NULL` |",
        "| 检查 check | [`pattern`](#kind-pattern): ZRZYDJDY.DJDYMC matches `^[^\\|]+$`, for \
         ZRZYDJDY features where `DJDYMC IS NOT NULL` |",
        "| 示例 example finding | DJDYMC 的值 a\\|b 不符合格式 |",
    ] {
        assert!(rule.contains(row), "{row}\nnot in\n{rule}");
    }
    assert!(
        rule.starts_with("\n\n### ZR-X901 单元名称含竖线 | 或换行\n"),
        "{rule}"
    );
}
