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

use rayon::prelude::*;
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
        // Rows sorted by their key (borrowed, never copied) and read off in runs: a layer of a
        // million identifiers sorts in a fraction of what a map of a million keys costs, and
        // a file written in key order is sorted already.
        let key = |r: usize| columns.iter().map(move |c| c[r].as_deref());
        let mut order: Vec<usize> = cx
            .rows(frame)?
            .into_iter()
            .filter(|&r| key(r).all(|v| v.is_some()))
            .collect();
        // Stable: within a key, rows stay in file order.
        order.par_sort_by(|&a, &b| key(a).cmp(key(b)));
        let mut repeated: Vec<&[usize]> = order
            .chunk_by(|&a, &b| key(a).eq(key(b)))
            .filter(|rows| rows.len() > 1)
            .collect();
        // In the order the repetition first occurs in the file.
        repeated.sort_by_key(|rows| rows[0]);
        let repeated: Vec<(Vec<&str>, &[usize])> = repeated
            .into_iter()
            .map(|rows| (key(rows[0]).flatten().collect(), rows))
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
                        rows,
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
