//! The package schema: which layers and tables a package format has, their fields and types,
//! and the code lists (`rules/codes/`) their coded fields take values from.
//!
//! It is data (`rules/schema.yaml`), shared by the loader (to type CSV columns), the rule linter
//! (to reject names the format does not have) and the `schema` check.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    /// Integer or floating point.
    Number,
    Integer,
    /// ISO 8601 text such as `2021-10-31`.
    Date,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Date => "date",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryKind {
    Point,
    Line,
    Polygon,
}

impl GeometryKind {
    pub fn name(self) -> &'static str {
        match self {
            GeometryKind::Point => "point",
            GeometryKind::Line => "line",
            GeometryKind::Polygon => "polygon",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    #[serde(rename = "type")]
    pub ty: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub title: String,
    /// The code list (`rules/codes/`) its values come from, so that rules naming a value can be
    /// checked before they run.
    #[serde(default)]
    pub codes: Option<String>,
}

/// One key field or a composite key.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Key {
    One(String),
    Many(Vec<String>),
}

impl Key {
    pub fn fields(&self) -> &[String] {
        match self {
            Key::One(f) => std::slice::from_ref(f),
            Key::Many(fs) => fs,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameDef {
    #[serde(default)]
    pub title: String,
    /// Present for layers, absent for tables.
    #[serde(default)]
    pub geometry: Option<GeometryKind>,
    #[serde(default)]
    pub required: bool,
    /// A required frame that may hold no rows: delivered, and correct when empty (GGGZ when no
    /// unit overlaps a control zone). Otherwise an empty required frame is as incomplete as a
    /// missing one.
    #[serde(default)]
    pub may_be_empty: bool,
    pub key: Option<Key>,
    /// For a statistics table, the key of its total row (合计).
    #[serde(default)]
    pub total_row: Option<String>,
    pub fields: BTreeMap<String, FieldDef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub version: u32,
    #[serde(default)]
    pub layers: BTreeMap<String, FrameDef>,
    #[serde(default)]
    pub tables: BTreeMap<String, FrameDef>,
}

impl Schema {
    /// A layer or a table by name.
    pub fn frame(&self, name: &str) -> Option<&FrameDef> {
        self.layers.get(name).or_else(|| self.tables.get(name))
    }

    pub fn is_layer(&self, name: &str) -> bool {
        self.layers.contains_key(name)
    }

    pub fn frame_names(&self) -> impl Iterator<Item = &str> {
        self.layers
            .keys()
            .chain(self.tables.keys())
            .map(String::as_str)
    }
}

/// A code list from `rules/codes/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    pub code_list: String,
    #[serde(default)]
    pub title: String,
    pub codes: BTreeMap<String, String>,
}
