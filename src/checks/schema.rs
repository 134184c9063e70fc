//! `schema`: a layer or table of the package schema is delivered, with its fields and types.
//!
//! ## Parameters
//! - `layer`: a layer or table of `rules/schema.yaml`.
//! - `scope`: `layer` (default) reports a required layer that is missing or empty (no feature,
//!   no row; unless the schema says `may_be_empty`, as for GGGZ); `fields` reports required fields that are missing, fields whose type is not the
//!   declared one, and table values that do not parse as their declared type.
//!
//! ## Example
//! ```yaml
//! - id: ZR-S101
//!   title: 登记单元图层字段缺失或类型错误
//!   class: B
//!   element: 完整性
//!   schema: { layer: ZRZYDJDY, scope: fields }
//! ```
//!
//! ## Finding
//! `ZRZYDJDY 缺少必填字段 DJDYMC`, measured `{"field": "DJDYMC", "type": null}`.

use polars::prelude::DataType;
use serde::Deserialize;
use serde_json::json;

use super::{Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::{Finding, Unit};
use crate::schema::{FieldType, FrameDef};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Layer,
    Fields,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub layer: Name,
    #[serde(default)]
    pub scope: Scope,
}

/// A column's type in the words of the schema, so a finding compares like with like.
fn type_name(actual: &DataType) -> String {
    if actual.is_string() {
        "string".into()
    } else if actual.is_integer() {
        "integer".into()
    } else if actual.is_float() {
        "number".into()
    } else if actual.is_bool() {
        "boolean".into()
    } else {
        actual.to_string()
    }
}

fn fits(declared: FieldType, actual: &DataType) -> bool {
    match declared {
        FieldType::String | FieldType::Date => actual.is_string(),
        FieldType::Number => actual.is_primitive_numeric(),
        FieldType::Integer => actual.is_integer(),
    }
}

fn all_null(df: &polars::prelude::DataFrame, name: &str) -> bool {
    df.column(name).is_ok_and(|c| c.null_count() == c.len())
}

impl Schema {
    fn check_fields(&self, cx: &Context, def: &FrameDef) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let schema = frame.df.schema();
        cx.checked(def.fields.len(), Unit::Fields);
        let mut findings = Vec::new();
        for (name, field) in &def.fields {
            match schema.get(name.as_str()) {
                None if field.required => {
                    let f = cx
                        .frame_finding(
                            &frame.name,
                            format!("{} 缺少必填字段 {name}（{}）", frame.name, field.title),
                        )
                        .with_measured(json!({ "field": name, "type": null }))
                        .with_expected(json!({ "field": name, "type": field.ty.name() }));
                    findings.push(f);
                }
                // A column with no value at all has no type to disagree with.
                Some(actual) if !fits(field.ty, actual) && !all_null(&frame.df, name) => {
                    let f = cx
                        .frame_finding(
                            &frame.name,
                            format!(
                                "{} 字段 {name} 的类型为 {}，应为 {}",
                                frame.name,
                                type_name(actual),
                                field.ty.name()
                            ),
                        )
                        .with_measured(json!({ "field": name, "type": type_name(actual) }))
                        .with_expected(json!({ "field": name, "type": field.ty.name() }));
                    findings.push(f);
                }
                _ => {}
            }
        }
        for cell in &frame.bad_cells {
            let ty = def.fields.get(&cell.field).map_or("?", |f| f.ty.name());
            let f = cx
                .finding(
                    frame,
                    &[cell.row],
                    format!(
                        "{} 字段 {} 的值 `{}` 不是 {ty}",
                        frame.name, cell.field, cell.raw
                    ),
                )
                .with_measured(json!({ cell.field.as_str(): cell.raw }))
                .with_expected(json!({ "type": ty }));
            findings.push(f);
        }
        Ok(findings)
    }
}

impl Check for Schema {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        match self.scope {
            Scope::Layer => format!(
                "{} is delivered if the schema requires it",
                self.layer.value
            ),
            Scope::Fields => format!(
                "{} has the fields the schema requires, of their declared types",
                self.layer.value
            ),
        }
    }

    fn reads(&self) -> Vec<Read<'_>> {
        match self.scope {
            // Presence is what this scope checks, so absence must not stop it from running.
            Scope::Layer => vec![],
            Scope::Fields => vec![Read::frame(&self.layer)],
        }
    }

    /// The fields scope inspects every field the schema declares (presence and type).
    fn inspects(&self, schema: &crate::schema::Schema) -> Vec<(String, Option<String>)> {
        let layer = &self.layer.value;
        let mut inspected = vec![(layer.clone(), None)];
        if self.scope == Scope::Fields {
            if let Some(def) = schema.frame(layer) {
                inspected.extend(def.fields.keys().map(|f| (layer.clone(), Some(f.clone()))));
            }
        }
        inspected
    }

    fn lint(&self, cx: &super::LintContext) -> Vec<crate::diag::Problem> {
        // `reads` is empty for the layer scope, so the name is checked here.
        match self.scope {
            Scope::Layer => cx.frame_def(&self.layer).err().into_iter().collect(),
            Scope::Fields => vec![],
        }
    }

    fn accepts_where(&self) -> bool {
        false
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let name = &self.layer.value;
        let def = cx
            .schema
            .frame(name)
            .ok_or_else(|| NotRun(format!("数据结构定义中没有 {name}")))?;
        match self.scope {
            Scope::Fields => self.check_fields(cx, def),
            Scope::Layer => {
                cx.checked(1, Unit::Frames);
                let what = if def.geometry.is_some() {
                    "图层"
                } else {
                    "表"
                };
                Ok(match cx.dataset.frame(name) {
                    None if def.required => {
                        vec![cx.frame_finding(name, format!("缺少{what} {name}（{}）", def.title))]
                    }
                    // An empty required layer is delivered in name only: as incomplete as a
                    // missing one.
                    Some(frame) if def.required && !def.may_be_empty && frame.is_empty() => {
                        vec![cx.frame_finding(
                            name,
                            format!(
                                "{what} {name}（{}）为空：{} 没有任何{}",
                                def.title,
                                frame.path.display(),
                                if def.geometry.is_some() {
                                    "要素"
                                } else {
                                    "记录"
                                }
                            ),
                        )]
                    }
                    Some(frame) if def.geometry.is_some() && frame.geometry.is_none() => {
                        vec![cx.frame_finding(
                            name,
                            format!(
                                "{name} 应为空间图层，但交付的是无几何的表 {}",
                                frame.path.display()
                            ),
                        )]
                    }
                    _ => vec![],
                })
            }
        }
    }
}
