//! `not_null`: fields are filled: not null, and for text not blank.
//!
//! ## Parameters
//! - `layer`: the layer or table.
//! - `fields`: the fields that must be filled.
//!
//! With the rule's `where`, only the rows where it holds must be filled, e.g. `DBXSZT` where
//! `GYMJ > 0`.
//!
//! ## Example
//! ```yaml
//! - id: ZR-N001
//!   title: 登记单元必填属性为空
//!   class: C
//!   element: 完整性
//!   not_null: { layer: ZRZYDJDY, fields: [ZRZYDJDYH, DJDYMC] }
//! ```
//!
//! ## Finding
//! One per feature: `DJDYMC 为空`, measured `{"DJDYMC": ""}`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{is_blank, phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotNull {
    pub layer: Name,
    pub fields: Vec<Name>,
}

impl Check for NotNull {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let (fields, verb) = phrase::fields(&self.layer, &self.fields);
        format!("{fields} {verb} not empty")
    }

    fn reads(&self) -> Vec<Read<'_>> {
        Read::fields(&self.layer, &self.fields)
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let mut findings = Vec::new();
        // A flag per cell, the texts of one field at a time: all fields' texts of a million
        // features at once held 24 bytes per cell.
        let blanks: Vec<(&str, Vec<bool>)> = self
            .fields
            .iter()
            .map(|f| {
                let blank = frame
                    .texts(&f.value)
                    .iter()
                    .map(|v| is_blank(v.as_deref()))
                    .collect();
                (f.value.as_str(), blank)
            })
            .collect();
        for row in cx.rows(frame)? {
            let empty: Vec<&str> = blanks
                .iter()
                .filter(|(_, blank)| blank[row])
                .map(|&(name, _)| name)
                .collect();
            if empty.is_empty() {
                continue;
            }
            let measured: Map<String, Value> = empty
                .iter()
                .map(|&name| (name.to_owned(), frame.json(name, row)))
                .collect();
            let labels: Vec<String> = empty
                .iter()
                .map(|f| cx.schema.field_label(&frame.name, f))
                .collect();
            let f = cx
                .finding(
                    frame,
                    &[row],
                    format!("{}为空", phrase::spaced(&labels.join("、"))),
                )
                .with_measured(Value::Object(measured))
                .with_expected(Value::String("非空".into()));
            findings.push(f);
        }
        Ok(findings)
    }
}
