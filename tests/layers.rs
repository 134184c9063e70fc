//! The library's modules import one way, down the layers the crate doc draws. A module may use
//! its own submodules and any lower layer, never its own layer or a higher one. Test code
//! (`#[cfg(test)] mod tests` at a file's end) and comments are not counted.

use std::collections::BTreeSet;
use std::path::Path;

/// Layer of each top-level module (and item of the crate root); higher imports lower.
const LAYERS: &[(&str, u8)] = &[
    ("batch", 9),
    ("fuzz", 9),
    ("inspection", 8),
    ("Inspection", 8),
    ("inspect", 8),
    ("inspect_as", 8),
    ("report", 7),
    ("engine", 6),
    ("rules", 5),
    ("checks", 4),
    ("package", 3),
    ("finding", 2),
    ("quality", 1),
    ("diag", 0),
    ("geom", 0),
    ("i18n", 0),
    ("schema", 0),
    ("ratio", 0),
    ("progress", 0),
    ("hex", 0),
];

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|&(_, l)| l)
}

/// The first identifier of `s`.
fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level names `code` reaches through `crate::`, `crate::{a::x, b}` groups included.
fn imported(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Items of the group at depth 0, each named by its first segment.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(ident(group[start..i].trim()).to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(group[start..i].trim()).to_owned());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest).to_owned());
        }
    }
    names.remove("");
    names
}

/// `text` without its comments and its trailing test module.
fn library_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(own) = layer(&top) else {
            continue; // lib.rs, main.rs and the command line sit above every layer
        };
        for name in imported(&library_code(&std::fs::read_to_string(&file).unwrap())) {
            if name == top {
                continue;
            }
            match layer(&name) {
                None => {
                    unknown.insert(format!("{rel} → crate::{name}"));
                }
                Some(l) if l >= own => {
                    found.insert((rel.clone(), name));
                }
                Some(_) => {}
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules not placed in LAYERS: {unknown:#?}"
    );
    assert!(
        found.is_empty(),
        "imports sideways or up the layers (file under src/, module): {found:#?}"
    );
}

#[test]
fn groups_and_paths_are_both_read() {
    let code =
        "use crate::{rules::{Name, Problem}, report::Finding};\nlet x = crate::geom::area(p);";
    assert_eq!(
        imported(code),
        ["geom", "report", "rules"].map(String::from).into()
    );
}
