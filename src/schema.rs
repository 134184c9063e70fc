//! The package schema: which layers and tables a package format has, their fields and types,
//! and the code lists (`rules/codes/`) their coded fields take values from.
//!
//! It is data (`rules/schema.yaml`), shared by the loader (to type CSV columns), the rule linter
//! (to reject names the format does not have) and the `schema` check.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The declared type of a field (`type:` in `schema.yaml`). Layer files carry their own column
/// types, which the `schema` check compares with this; CSV columns are typed by it when loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text, also for codes with leading zeros such as `0303` or `622923`.
    String,
    /// Integer or floating point.
    Number,
    /// Whole numbers only; a CSV value with a decimal point is a bad cell.
    Integer,
    /// ISO 8601 text such as `2021-10-31`.
    Date,
}

impl FieldType {
    /// The type as `schema.yaml` writes it (`string`, `number`, …), for findings.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Date => "date",
        }
    }
}

/// The geometry a layer's features must have (`geometry:` in `schema.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryKind {
    /// Point or MultiPoint.
    Point,
    /// LineString or MultiLineString.
    Line,
    /// Polygon or MultiPolygon; every layer of package format 1.1 is one.
    Polygon,
}

impl GeometryKind {
    /// The kind as `schema.yaml` writes it (`point`, `line`, `polygon`), for findings.
    pub fn name(self) -> &'static str {
        match self {
            GeometryKind::Point => "point",
            GeometryKind::Line => "line",
            GeometryKind::Polygon => "polygon",
        }
    }
}

/// One field of a layer or table, from `schema.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// `type:` in `schema.yaml`: how CSV values of the field are parsed, and the column type the
    /// `schema` check expects in a layer file.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// A missing column is a finding of the `schema` check (`scope: fields`); empty values in a
    /// present column are left to other rules.
    #[serde(default)]
    pub required: bool,
    /// The Chinese field name, e.g. `登记单元号`, shown beside the code in findings; empty when
    /// not given.
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
    /// `key: BSM`.
    One(String),
    /// `key: [ZRZYDJDYH, GGGZFQBSM]`: the values are joined with `/` in findings.
    Many(Vec<String>),
}

impl Key {
    /// The key's field names, in the order written.
    pub fn fields(&self) -> &[String] {
        match self {
            Key::One(f) => std::slice::from_ref(f),
            Key::Many(fs) => fs,
        }
    }
}

/// A layer or table of the schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameDef {
    /// The Chinese name, e.g. `自然资源登记单元`, used in findings; empty when not given.
    #[serde(default)]
    pub title: String,
    /// Present for layers, absent for tables.
    #[serde(default)]
    pub geometry: Option<GeometryKind>,
    /// A package without it (or, unless `may_be_empty`, with it empty) is incomplete: a finding
    /// of the `schema` check (`scope: layer`).
    #[serde(default)]
    pub required: bool,
    /// A required frame that may hold no rows: delivered, and correct when empty (GGGZ when no
    /// unit overlaps a control zone). Otherwise an empty required frame is as incomplete as a
    /// missing one.
    #[serde(default)]
    pub may_be_empty: bool,
    /// The field(s) whose values name a feature in findings, beside its FID; `None`: findings
    /// name its features by FID alone.
    pub key: Option<Key>,
    /// For a statistics table, the key of its total row (合计).
    #[serde(default)]
    pub total_row: Option<String>,
    /// Field name (as in the file, e.g. `ZRZYDJDYH`) to its definition. A file may hold
    /// fields not listed here.
    pub fields: BTreeMap<String, FieldDef>,
}

/// The package schema as `schema.yaml` declares it. With several rule directories, a later
/// directory's layers and tables replace the earlier one's of the same name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// `schema.version` (1 for the built-in schema); kept as read, nothing checks it.
    pub version: u32,
    /// Spatial layers by name (`ZRZYDJDY`, `ZRZK`, …), delivered in `vector/`.
    #[serde(default)]
    pub layers: BTreeMap<String, FrameDef>,
    /// Attribute tables by name (`GGGZ`, `KYQ`, `TJ_ZRZYMJ`, …), delivered as CSV in `tables/`
    /// (or as attribute tables of a GeoPackage).
    #[serde(default)]
    pub tables: BTreeMap<String, FrameDef>,
}

impl Schema {
    /// A field as findings name it: `登记单元类型（DJDYLX）`, or the bare code when the schema
    /// gives no title.
    pub fn field_label(&self, frame: &str, field: &str) -> String {
        match self
            .frame(frame)
            .and_then(|f| f.fields.get(field))
            .filter(|f| !f.title.is_empty())
        {
            Some(f) => format!("{}（{field}）", f.title),
            None => field.to_owned(),
        }
    }

    /// A layer or table as findings name it: `自然资源登记单元（ZRZYDJDY）`, or the bare name.
    pub fn frame_label(&self, frame: &str) -> String {
        match self.frame(frame).filter(|f| !f.title.is_empty()) {
            Some(f) => format!("{}（{frame}）", f.title),
            None => frame.to_owned(),
        }
    }

    /// A layer or a table by name.
    pub fn frame(&self, name: &str) -> Option<&FrameDef> {
        self.layers.get(name).or_else(|| self.tables.get(name))
    }

    /// Whether `name` is a layer of the schema (not a table, and not unknown).
    pub fn is_layer(&self, name: &str) -> bool {
        self.layers.contains_key(name)
    }

    /// Every layer name, then every table name, each group sorted.
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
    /// The list's name, which rules and `codes:` in `schema.yaml` refer to, e.g. `DJDYLX`; a
    /// later rule directory's list of the same name replaces the earlier one.
    pub code_list: String,
    /// The Chinese name, e.g. `登记单元类型`, shown in findings; empty when not given.
    #[serde(default)]
    pub title: String,
    /// Code to its meaning, e.g. `"12": 自然保护区`; in a mapping list such as `DLBM_ZYLX`,
    /// code to the code it implies (`"0303": SD`).
    pub codes: BTreeMap<String, String>,
}
