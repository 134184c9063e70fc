//! The language people read nrqc in, and the catalogue that puts its English messages into
//! Chinese.
//!
//! Messages are written once, in English, where the fault is found, and stay English in
//! report.json (machines read them, and tests match them). Whatever shows them to a person (the
//! terminal, report.md, report.html) passes them through [`tr`], which looks them up in
//! `zh.tsv`: one line per message, its English with `{}` for every part that varies (a path, a
//! name, a count, a nested message) and its Chinese with `{0}`, `{1}`… in the order of the
//! English, so that a sentence may be reordered. A catalogue rather than a Chinese string at every
//! call site keeps the readers' code about reading, and lets a message built from parts (the
//! path, the layer and feature, the system's error) be put into Chinese part by part.

use std::borrow::Cow;
use std::sync::OnceLock;

mod localized;

pub use localized::Localized;

/// The language of what nrqc shows people; values from the data stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese, the default (`--lang zh`).
    #[default]
    Zh,
    /// English (`--lang en`).
    En,
}

impl Lang {
    /// What a line of the terminal starts with when it is an error.
    pub fn error_prefix(self) -> &'static str {
        match self {
            Lang::Zh => "错误：",
            Lang::En => "error: ",
        }
    }

    /// What a line of the terminal starts with when it is a warning.
    pub fn warning_prefix(self) -> &'static str {
        match self {
            Lang::Zh => "警告：",
            Lang::En => "warning: ",
        }
    }
}

/// The catalogue's text: `english<TAB>chinese` lines, `#` comments.
const ZH: &str = include_str!("zh.tsv");

/// One message of the catalogue.
#[derive(Debug)]
struct Entry {
    /// The English around the varying parts: one more piece than there are parts.
    pieces: Vec<&'static str>,
    /// The Chinese: literal text and the index of the part that goes between.
    zh: Vec<Piece>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Text(&'static str),
    Part(usize),
}

/// A line of `zh.tsv` that is not a message: its 1-based number and why.
#[derive(Debug, PartialEq)]
struct CatalogueError {
    line: usize,
    message: String,
}

fn parse_entry(line: &'static str) -> Result<Entry, String> {
    let (en, zh) = line
        .split_once('\t')
        .ok_or("no TAB between the English and the Chinese")?;
    if zh.contains('\t') {
        return Err("more than one TAB".into());
    }
    let pieces: Vec<&str> = en.split("{}").collect();
    if pieces.iter().any(|p| p.contains(['{', '}'])) {
        return Err("the English has a brace that is not `{}`".into());
    }
    if pieces
        .windows(2)
        .any(|w| w[0].is_empty() && w[1].is_empty())
        || en == "{}"
    {
        return Err("two `{}` with nothing between them cannot be told apart".into());
    }
    let parts = pieces.len() - 1;
    let mut out = Vec::new();
    let mut used = vec![false; parts];
    let mut rest = zh;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..]
            .find('}')
            .ok_or("a `{` without `}` in the Chinese")?
            + open;
        let index: usize = rest[open + 1..close]
            .parse()
            .map_err(|_| format!("`{}` in the Chinese is not `{{n}}`", &rest[open..=close]))?;
        match used.get_mut(index) {
            Some(u) if !*u => *u = true,
            Some(_) => return Err(format!("`{{{index}}}` is used twice in the Chinese")),
            None => {
                return Err(format!(
                    "`{{{index}}}` in the Chinese, but the English has {parts} parts"
                ))
            }
        }
        out.push(Piece::Part(index));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` without `{` in the Chinese".into());
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!("the Chinese leaves out part {{{i}}}"));
    }
    Ok(Entry { pieces, zh: out })
}

fn parse(text: &'static str) -> Result<Vec<Entry>, Vec<CatalogueError>> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let en = line.split('\t').next().unwrap_or_default();
        if let Some(first) = seen.insert(en, i + 1) {
            errors.push(CatalogueError {
                line: i + 1,
                message: format!("the English of line {first} again"),
            });
            continue;
        }
        match parse_entry(line) {
            Ok(e) => entries.push(e),
            Err(message) => errors.push(CatalogueError {
                line: i + 1,
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // The most specific message first: more literal text, then fewer parts. "{} does not exist"
    // must not take "the folder {} does not exist".
    entries.sort_by_key(|e| {
        let literal: usize = e.pieces.iter().map(|p| p.len()).sum();
        (std::cmp::Reverse(literal), e.pieces.len())
    });
    Ok(entries)
}

fn catalogue() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    // tests/lang.rs and the unit test below keep the catalogue valid; were it not, messages
    // would stay English rather than the program stop.
    ENTRIES.get_or_init(|| parse(ZH).unwrap_or_default())
}

/// The parts of `text` the entry's English leaves to vary, when it is that message. Each part is
/// the shortest that lets the rest match, except the last, which takes what remains.
fn captures<'t>(entry: &Entry, text: &'t str) -> Option<Vec<&'t str>> {
    let (first, rest) = entry.pieces.split_first()?;
    let mut at = text.strip_prefix(first)?;
    let mut parts = Vec::with_capacity(rest.len());
    for (i, piece) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let part = if last {
            at.strip_suffix(piece)?
        } else {
            // A part is not empty: search after its first character.
            let skip = at.chars().next()?.len_utf8();
            let end = at[skip..].find(piece)? + skip;
            let part = &at[..end];
            at = &at[end + piece.len()..];
            part
        };
        // A message is built as "place: what is wrong", so ": " in a part means the part runs
        // across places, unless it is the last part after some text of the message ("cannot
        // read {}: {}"), which holds the nested message.
        let leading = i == 0 && first.is_empty();
        if part.is_empty() || ((!last || leading) && part.contains(": ")) {
            return None;
        }
        parts.push(part);
    }
    Some(parts)
}

/// `text` in `lang`. A message of the catalogue is put into Chinese with its parts put into
/// Chinese in turn (a nested message, the system's error); one that is not is split at its first
/// `": "` and its two sides translated apart, as messages are built as "place: what is wrong".
/// Text the catalogue does not know (a path, a name, a value) stays as it is.
pub fn tr(lang: Lang, text: &str) -> Cow<'_, str> {
    match lang {
        Lang::En => Cow::Borrowed(text),
        Lang::Zh => translate(catalogue(), text, 0),
    }
}

/// A message is at most this many parts deep; deeper text stays English. It bounds the work on
/// a value that happens to look like nested messages.
const MAX_DEPTH: usize = 8;

fn translate<'t>(entries: &[Entry], text: &'t str, depth: usize) -> Cow<'t, str> {
    if depth > MAX_DEPTH || text.is_empty() {
        return Cow::Borrowed(text);
    }
    // Lines are translated one by one: a message may quote a list, one item a line, and no
    // message of the catalogue spans lines.
    if let Some((first, rest)) = text.split_once('\n') {
        return Cow::Owned(format!(
            "{}\n{}",
            translate(entries, first, depth + 1),
            translate(entries, rest, depth)
        ));
    }
    for entry in entries {
        if let Some(parts) = captures(entry, text) {
            let mut out = String::with_capacity(text.len() * 2);
            for piece in &entry.zh {
                match *piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Part(i) => out.push_str(&translate(entries, parts[i], depth + 1)),
                }
            }
            return Cow::Owned(out);
        }
    }
    match text.split_once(": ") {
        Some((place, what)) => {
            let place = translate(entries, place, depth + 1);
            let what = translate(entries, what, depth + 1);
            Cow::Owned(format!("{place}：{what}"))
        }
        None => Cow::Borrowed(text),
    }
}

/// What a term of `terms.tsv` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// A key of a finding's `measured` or `expected` (`computed`, `tolerance`).
    Key,
    /// A value of its `reason`, `reasons` or `unit` (`self_intersection`, `m2`).
    Code,
}

/// The Chinese word for a key or code of a finding's values, when `terms.tsv` has one.
pub fn term(kind: Term, english: &str) -> Option<&'static str> {
    static TERMS: OnceLock<std::collections::HashMap<(Term, &'static str), &'static str>> =
        OnceLock::new();
    TERMS
        .get_or_init(|| {
            include_str!("terms.tsv")
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .filter_map(|l| {
                    let mut cols = l.split('\t');
                    let kind = match cols.next()? {
                        "key" => Term::Key,
                        "code" => Term::Code,
                        _ => return None,
                    };
                    Some(((kind, cols.next()?), cols.next()?))
                })
                .collect()
        })
        .get(&(kind, english))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_valid() {
        assert!(parse(ZH).is_ok(), "{:?}", parse(ZH).err());
    }

    #[test]
    fn every_line_of_the_terms_is_a_term() {
        let lines = include_str!("terms.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        for l in lines {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() == 3 && ["key", "code"].contains(&cols[0]), "{l}");
        }
        assert_eq!(term(Term::Key, "m2"), Some("取整误差(m²)"));
        assert_eq!(term(Term::Code, "m2"), Some("m²"));
        assert_eq!(term(Term::Key, "GYMJ"), None);
    }

    #[test]
    fn an_entry_must_use_every_part_once() {
        let e = |line: &'static str| parse_entry(line).map(|_| ()).unwrap_err();
        assert_eq!(e("{} is {}\t{0} 是"), "the Chinese leaves out part {1}");
        assert_eq!(e("{} is\t{0}{0}"), "`{0}` is used twice in the Chinese");
        assert_eq!(
            e("{} is\t{1}"),
            "`{1}` in the Chinese, but the English has 1 parts"
        );
        assert_eq!(
            e("{}{} is\t{0}{1}"),
            "two `{}` with nothing between them cannot be told apart"
        );
        assert_eq!(e("no tab"), "no TAB between the English and the Chinese");
    }

    #[test]
    fn parts_are_put_into_chinese_in_turn_and_may_be_reordered() {
        let entries = parse(
            "cannot read {}: {}\t无法读取 {0}：{1}\n\
             {} does not exist\t{0} 不存在\n\
             the folder {} does not exist\t文件夹 {0} 不存在\n\
             {} before {}\t{1} 在 {0} 之后\n",
        )
        .unwrap();
        let tr = |text: &str| translate(&entries, text, 0).into_owned();
        assert_eq!(tr("the folder a b does not exist"), "文件夹 a b 不存在");
        assert_eq!(tr("x does not exist"), "x 不存在");
        assert_eq!(tr("a before b"), "b 在 a 之后");
        assert_eq!(tr("cannot read a.csv: x: y"), "无法读取 a.csv：x：y");
        assert_eq!(
            tr("p: q does not exist\nthe folder r does not exist"),
            "p：q 不存在\n文件夹 r 不存在"
        );
        assert_eq!(tr("unknown"), "unknown");
    }

    #[test]
    fn unknown_text_is_kept_and_places_are_split_off() {
        assert_eq!(tr(Lang::Zh, "vector/甲.fgb"), "vector/甲.fgb");
        assert_eq!(
            tr(Lang::En, "No such file or directory (os error 2)"),
            "No such file or directory (os error 2)"
        );
        assert_eq!(
            tr(
                Lang::Zh,
                "vector/甲.fgb: No such file or directory (os error 2)"
            ),
            "vector/甲.fgb：没有那个文件或目录（os error 2）"
        );
    }
}
