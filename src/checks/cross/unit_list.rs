//! Data lists of a rule set (`rules/data/*.yaml`): facts about the place being inspected that a
//! rule compares the delivery with, kept out of the rules so that another prefecture replaces
//! them as it replaces a code list (a later `--rules` directory's list of the same name wins).
//!
//! The one kind so far is a list of the registration units a plan expects (`unit_list:`), read
//! by the batch kind `expected_units`:
//!
//! ```yaml
//! unit_list: 临夏州重点区域
//! title: 临夏州州级分年度登记单元
//! source: 临州府发〔2020〕69号 五(二)
//! area: "622900"          # the prefecture (or province) whose counties deliver them
//! ignore: [甘肃省, 甘肃, 省级, 国家级]
//! units:
//!   - { name: 广通河, type: "21", year: 2020, basis: 五(二)1 }
//! ```
//!
//! A delivered unit is the expected one when its name, normalised, equals the unit's `name` or
//! one of its `aliases`, normalised: whitespace removed, full-width letters, digits and
//! punctuation read as their ASCII forms, and every word of `ignore` removed (the province's
//! name and the level words that registers and plans write or leave out at will).

use serde::Deserialize;

use crate::diag::Name;

/// A list of the units a plan registers (`unit_list:` in `rules/data/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitList {
    /// Its name, by which `expected_units` names it.
    pub unit_list: String,
    /// Its title for people; empty when not given.
    #[serde(default)]
    pub title: String,
    /// The document the list is taken from.
    pub source: String,
    /// The area code whose county packages together deliver every unit of the list.
    pub area: Name,
    /// Words removed from names before they are compared (the province's name, level words).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The units, in the order of the source.
    pub units: Vec<ExpectedUnit>,
    /// Index of the file in the rule set's sources (set when assembled).
    #[serde(skip)]
    pub source_file: usize,
}

/// A unit a plan registers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedUnit {
    /// Its name as the source writes it.
    pub name: String,
    /// Other spellings of the same unit in the source.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Its type, a code of the rule's `type_codes` list (DJDYLX).
    #[serde(rename = "type")]
    pub unit_type: Name,
    /// The year the plan registers it in.
    pub year: Option<i32>,
    /// Where in the source the unit is named.
    pub basis: String,
}

impl UnitList {
    /// `name` as it is compared: without whitespace, full-width forms folded to ASCII, the
    /// list's `ignore` words removed (longest first, so that 甘肃省 goes before 甘肃).
    pub fn normalise(&self, name: &str) -> String {
        let mut text: String = name
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
                _ => c,
            })
            .collect();
        let mut words: Vec<&str> = self.ignore.iter().map(String::as_str).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        for w in words.into_iter().filter(|w| !w.is_empty()) {
            text = text.replace(w, "");
        }
        text
    }

    /// The normalised names a delivered unit may carry to be `unit`.
    pub fn names_of(&self, unit: &ExpectedUnit) -> Vec<String> {
        let mut names: Vec<String> = std::iter::once(&unit.name)
            .chain(&unit.aliases)
            .map(|n| self.normalise(n))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;

    fn list(ignore: &[&str]) -> UnitList {
        UnitList {
            unit_list: "t".into(),
            title: String::new(),
            source: String::new(),
            area: Name::new("622900".into(), Location::UNKNOWN, Location::UNKNOWN),
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            units: vec![],
            source_file: 0,
        }
    }

    #[test]
    fn names_compare_without_spaces_widths_and_ignored_words() {
        let l = list(&["甘肃", "甘肃省", "省级", "国家级"]);
        assert_eq!(
            l.normalise("甘肃省 黄河三峡湿地省级自然保护区"),
            "黄河三峡湿地自然保护区"
        );
        assert_eq!(
            l.normalise("甘肃刘家峡恐龙\n国家地质公园"),
            "刘家峡恐龙国家地质公园"
        );
        assert_eq!(l.normalise("Ｇ３１２　段"), "G312段");
        // 国家 alone is part of a name (国家地质公园), not a level word.
        assert_eq!(
            l.normalise("甘肃炳灵丹霞国家地质公园"),
            "炳灵丹霞国家地质公园"
        );
        assert_eq!(list(&[]).normalise("省级 公园"), "省级公园");
    }
}
