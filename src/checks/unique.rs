//! `unique`: a single or composite key occurs once within a layer or table.
//!
//! ## Parameters
//! - `layer`: the layer or table.
//! - `fields`: the key's fields. Rows with a null key field are left to `not_null`.
//!
//! ## Example
//! ```yaml
//! - id: ZR-U002
//!   title: 登记单元号重复
//!   class: B
//!   element: 逻辑一致性
//!   unique: { layer: ZRZYDJDY, fields: [ZRZYDJDYH] }
//! ```
//!
//! ## Finding
//! One per repeated key, naming every feature that carries it:
//! `ZRZYDJDYH = 6229231200001 出现 2 次`, measured `2`, expected `1`.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;

use polars::prelude::PlRandomState;
use serde::Deserialize;

use super::{phrase, Check, Context, NotRun, Read};
use crate::diag::Name;
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    pub layer: Name,
    pub fields: Vec<Name>,
}

impl Check for Unique {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let (fields, verb) = phrase::fields(&self.layer, &self.fields);
        let together = if self.fields.len() > 1 {
            " together"
        } else {
            ""
        };
        format!("{fields} {verb} unique{together}")
    }

    fn reads(&self) -> Vec<Read<'_>> {
        Read::fields(&self.layer, &self.fields)
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let frame = cx.frame(&self.layer.value)?;
        let columns: Vec<Vec<Option<Cow<str>>>> =
            self.fields.iter().map(|f| frame.texts(&f.value)).collect();
        // Keys borrow their text and rows are listed for repeated keys only: a layer of a million
        // identifiers holds a million distinct keys, and a string and a list each cost more than
        // the look-up.
        let mut first: HashMap<Vec<&str>, usize, PlRandomState> = HashMap::default();
        let mut repeated: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for row in cx.rows(frame)? {
            let key: Option<Vec<&str>> = columns.iter().map(|c| c[row].as_deref()).collect();
            let Some(key) = key else { continue };
            match first.entry(key) {
                Entry::Occupied(at) => repeated
                    .entry(*at.get())
                    .or_insert_with(|| vec![*at.get()])
                    .push(row),
                Entry::Vacant(at) => {
                    at.insert(row);
                }
            }
        }
        // In the order the repetition first occurs in the file.
        let repeated: Vec<(Vec<&str>, Vec<usize>)> = repeated
            .into_values()
            .map(|rows| {
                let key = columns
                    .iter()
                    .filter_map(|c| c[rows[0]].as_deref())
                    .collect();
                (key, rows)
            })
            .collect();
        Ok(repeated
            .into_iter()
            .map(|(key, rows)| {
                let names: Vec<String> = self
                    .fields
                    .iter()
                    .map(|f| cx.schema.field_label(&frame.name, &f.value))
                    .collect();
                let f = cx
                    .finding(
                        frame,
                        &rows,
                        format!(
                            "{}为 {} 的记录有 {} 条，应唯一",
                            phrase::spaced(&names.join(" + ")),
                            key.join(" + "),
                            rows.len()
                        ),
                    )
                    .with_measured(rows.len().into())
                    .with_expected(1.into());
                f
            })
            .collect())
    }
}
