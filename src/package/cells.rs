//! Reading attribute values out of a [`Frame`] as checks compare and report them: as text (codes
//! and keys) or as JSON (`measured`). Polars' dynamic cell values stay in this file.

use std::borrow::Cow;

use polars::prelude::AnyValue;
use serde_json::Value;

use super::Frame;

impl Frame {
    /// The values of `field`, column-wise, as text the way codes and keys are compared:
    /// integers without a decimal point, strings as they are; `None` for null, and for every
    /// row when the frame has no such field.
    pub fn texts(&self, field: &str) -> Vec<Option<Cow<'_, str>>> {
        let Ok(column) = self.df.column(field) else {
            return vec![None; self.len()];
        };
        // Strings are borrowed, not copied: a layer of a million features costs a pointer per
        // cell, not a string.
        if let Ok(ca) = column.str() {
            ca.iter().map(|v| v.map(Cow::Borrowed)).collect()
        } else if let Ok(ca) = column.f64() {
            ca.iter()
                .map(|v| v.map(|f| Cow::Owned(f.to_string())))
                .collect()
        } else if let Ok(ca) = column.i64() {
            ca.iter()
                .map(|v| v.map(|i| Cow::Owned(i.to_string())))
                .collect()
        } else {
            (0..column.len())
                .map(|row| {
                    column
                        .get(row)
                        .ok()
                        .and_then(|v| as_text(&v))
                        .map(Cow::Owned)
                })
                .collect()
        }
    }

    /// The value of `field` in `row` as [`Frame::texts`] gives it; `None` also for a field or row
    /// the frame lacks.
    pub fn text(&self, field: &str, row: usize) -> Option<String> {
        let value = self.df.column(field).ok()?.get(row).ok()?;
        as_text(&value)
    }

    /// The value of `field` in `row` as JSON, for a finding's `measured` and `expected`: numbers
    /// as numbers, null (or a missing field or row) as null, anything else as its text.
    pub fn json(&self, field: &str, row: usize) -> Value {
        let Ok(value) = self.df.column(field).and_then(|c| c.get(row)) else {
            return Value::Null;
        };
        match value {
            AnyValue::Null => Value::Null,
            AnyValue::Boolean(b) => Value::Bool(b),
            AnyValue::Float64(f) => {
                serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
            AnyValue::Float32(f) => {
                serde_json::Number::from_f64(f.into()).map_or(Value::Null, Value::Number)
            }
            AnyValue::Int64(i) => i.into(),
            AnyValue::Int32(i) => i.into(),
            AnyValue::Int16(i) => i.into(),
            AnyValue::Int8(i) => i.into(),
            AnyValue::UInt64(i) => i.into(),
            AnyValue::UInt32(i) => i.into(),
            AnyValue::UInt16(i) => i.into(),
            AnyValue::UInt8(i) => i.into(),
            other => as_text(&other).map_or(Value::Null, Value::String),
        }
    }
}

fn as_text(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::Null => None,
        AnyValue::String(s) => Some((*s).to_owned()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        AnyValue::Float64(f) => Some(f.to_string()),
        AnyValue::Float32(f) => Some(f.to_string()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    fn frame(df: DataFrame) -> Frame {
        Frame {
            name: "T".into(),
            path: "tables/T.csv".into(),
            df,
            geometry: None,
            bad_cells: vec![],
            decimals: Default::default(),
            aliases: Default::default(),
        }
    }

    /// The column-wise reading gives, cell for cell, what reading one cell gives.
    #[test]
    fn texts_are_the_cells_read_one_by_one() {
        let f = frame(
            df!(
                "s" => [Some("6229"), None, Some(" a ")],
                "f" => [Some(1.0), Some(2.5), None],
                "i" => [Some(5i64), None, Some(-7)],
                "i32" => [Some(3i32), Some(4), None],
                "b" => [Some(true), None, Some(false)],
            )
            .unwrap(),
        );
        for field in ["s", "f", "i", "i32", "b"] {
            let one_by_one: Vec<Option<String>> = (0..3).map(|r| f.text(field, r)).collect();
            let texts: Vec<Option<String>> = f
                .texts(field)
                .into_iter()
                .map(|v| v.map(Cow::into_owned))
                .collect();
            assert_eq!(texts, one_by_one, "{field}");
        }
        assert_eq!(f.texts("f"), [Some("1".into()), Some("2.5".into()), None]);
        assert_eq!(f.texts("i"), [Some("5".into()), None, Some("-7".into())]);
        assert!(matches!(f.texts("s")[0], Some(Cow::Borrowed("6229"))));
        assert_eq!(f.texts("absent"), [None, None, None]);
        assert_eq!(f.text("s", 9), None);
        assert_eq!(f.json("f", 1), serde_json::json!(2.5));
        assert_eq!(f.json("s", 1), Value::Null);
        assert_eq!(f.json("b", 0), Value::Bool(true));
    }
}
