//! Attribute columns built value by value while a layer or table is decoded.

use polars::prelude::{Column, DataFrame, PlSmallStr};

/// The values of one attribute; its type is fixed by the first non-null value (or by the file's
/// header) and integers widen to floats, the one promotion every format needs.
#[derive(Debug)]
pub(crate) enum Values {
    /// Only nulls so far.
    Null(usize),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Str(Vec<Option<String>>),
}

/// One decoded value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Str(_) => "string",
        }
    }
}

impl Values {
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Null(n) => *n,
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Values::Null(_) => "null",
            Values::Int(_) => "integer",
            Values::Float(_) => "number",
            Values::Bool(_) => "boolean",
            Values::Str(_) => "string",
        }
    }

    /// Pads with nulls up to `len` rows.
    pub(crate) fn pad(&mut self, len: usize) {
        let missing = len.saturating_sub(self.len());
        match self {
            Values::Null(n) => *n += missing,
            Values::Int(v) => v.extend(std::iter::repeat_n(None, missing)),
            Values::Float(v) => v.extend(std::iter::repeat_n(None, missing)),
            Values::Bool(v) => v.extend(std::iter::repeat_n(None, missing)),
            Values::Str(v) => v.extend(std::iter::repeat_n(None, missing)),
        }
    }

    /// Sets the value of row `row` (rows before it that were not set become null). Returns an
    /// error text when the value's type conflicts with the column's.
    pub(crate) fn set(&mut self, row: usize, value: Value) -> Result<(), String> {
        self.pad(row);
        if self.len() > row {
            return Err("the field appears twice in one feature".into());
        }
        match (&mut *self, value) {
            (Values::Null(n), value) => {
                let n = *n;
                *self = match value {
                    Value::Int(i) => Values::Int(nulls_then(n, i)),
                    Value::Float(f) => Values::Float(nulls_then(n, f)),
                    Value::Bool(b) => Values::Bool(nulls_then(n, b)),
                    Value::Str(s) => Values::Str(nulls_then(n, s)),
                };
            }
            (Values::Int(v), Value::Int(i)) => v.push(Some(i)),
            (Values::Int(v), Value::Float(f)) => {
                let mut floats: Vec<Option<f64>> = v.iter().map(|i| i.map(|i| i as f64)).collect();
                floats.push(Some(f));
                *self = Values::Float(floats);
            }
            (Values::Float(v), Value::Float(f)) => v.push(Some(f)),
            (Values::Float(v), Value::Int(i)) => v.push(Some(i as f64)),
            (Values::Bool(v), Value::Bool(b)) => v.push(Some(b)),
            (Values::Str(v), Value::Str(s)) => v.push(Some(s)),
            (values, value) => {
                return Err(format!(
                    "a {} value where earlier features have {} values",
                    value.type_name(),
                    values.type_name()
                ))
            }
        }
        Ok(())
    }

    pub(crate) fn into_column(self, name: &str) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            // A column with no value at all carries no type; string is the least surprising.
            Values::Null(n) => Column::new(name, vec![None::<String>; n]),
            Values::Int(v) => Column::new(name, v),
            Values::Float(v) => Column::new(name, v),
            Values::Bool(v) => Column::new(name, v),
            Values::Str(v) => Column::new(name, v),
        }
    }
}

fn nulls_then<T>(n: usize, value: T) -> Vec<Option<T>> {
    let mut v: Vec<Option<T>> = std::iter::repeat_with(|| None).take(n).collect();
    v.push(Some(value));
    v
}

/// Columns in the order their names first appear.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    names: Vec<String>,
    values: Vec<Values>,
}

impl Columns {
    pub(crate) fn declare(&mut self, name: &str, values: Values) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_owned());
            self.values.push(values);
        }
    }

    pub(crate) fn set(&mut self, row: usize, name: &str, value: Value) -> Result<(), String> {
        let i = match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_owned());
                self.values.push(Values::Null(0));
                self.names.len() - 1
            }
        };
        self.values[i].set(row, value)
    }

    pub(crate) fn into_frame(self, rows: usize) -> polars::prelude::PolarsResult<DataFrame> {
        let columns = self
            .names
            .iter()
            .zip(self.values)
            .map(|(name, mut values)| {
                values.pad(rows);
                values.into_column(name)
            })
            .collect();
        DataFrame::new(rows, columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_widen_to_floats_and_gaps_are_null() {
        let mut c = Columns::default();
        c.set(0, "MJ", Value::Int(1)).unwrap();
        c.set(2, "MJ", Value::Float(2.5)).unwrap();
        let df = c.into_frame(4).unwrap();
        let mj = df.column("MJ").unwrap().f64().unwrap().clone();
        let mj: Vec<Option<f64>> = (0..mj.len()).map(|i| mj.get(i)).collect();
        assert_eq!(mj, vec![Some(1.0), None, Some(2.5), None]);
    }

    #[test]
    fn conflicting_types_are_an_error() {
        let mut c = Columns::default();
        c.set(0, "MJ", Value::Float(1.0)).unwrap();
        let err = c.set(1, "MJ", Value::Str("x".into())).unwrap_err();
        assert_eq!(
            err,
            "a string value where earlier features have number values"
        );
    }
}
