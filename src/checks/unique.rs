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
use std::collections::BTreeMap;

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
        let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        let mut columns: Vec<Vec<Option<Cow<str>>>> =
            self.fields.iter().map(|f| frame.texts(&f.value)).collect();
        for row in cx.rows(frame)? {
            let key: Option<Vec<String>> = columns
                .iter_mut()
                .map(|c| c[row].take().map(Cow::into_owned))
                .collect();
            if let Some(key) = key {
                groups.entry(key).or_default().push(row);
            }
        }
        let mut repeated: Vec<(Vec<String>, Vec<usize>)> = groups
            .into_iter()
            .filter(|(_, rows)| rows.len() > 1)
            .collect();
        // Report in the order the repetition first occurs in the file.
        repeated.sort_by_key(|(_, rows)| rows[0]);
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
