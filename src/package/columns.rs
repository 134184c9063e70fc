//! Attribute columns built value by value while a layer or table is decoded.
//!
//! Values are held sparsely, as (row, value) pairs, and made dense (one cell per row) only when
//! the frame is built: a file can name many columns that each hold a value in few rows, and
//! memory must follow the values the file holds, not columns × rows. Columns are found by name
//! through a hash map, so a wide table costs n log n, not n² (10,000 CSV columns took 0.9 s and
//! 100,000 took 87 s with a search of the names for every value).

use std::borrow::Cow;
use std::collections::HashMap;

use polars::prelude::{Column, DataFrame, IntoColumn, NewChunkedArray, PlSmallStr, StringChunked};

/// The most attribute columns of one layer or table: far above any survey schema (a few hundred
/// fields at most), and low enough that a file cannot make nrqc hold millions of columns.
pub(crate) const MAX_COLUMNS: usize = 10_000;

/// Above this many cells (columns × rows), a frame must hold a value in at least one cell of
/// [`MAX_EMPTY_PER_VALUE`]: the dense frame costs memory per cell, and a file of few values
/// spread over many columns and rows would otherwise cost far more than its size.
const MAX_SPARSE_CELLS: usize = 10_000_000;
/// See [`MAX_SPARSE_CELLS`].
const MAX_EMPTY_PER_VALUE: usize = 16;

/// The values of one attribute, as (row, value) in row order; its type is fixed by the first
/// value (or by the file's header) and integers widen to floats, the one promotion every format
/// needs.
#[derive(Debug)]
pub(crate) enum Values {
    /// No value so far.
    Null,
    Int(Vec<(usize, i64)>),
    Float(Vec<(usize, f64)>),
    Bool(Vec<(usize, bool)>),
    Str(Texts),
}

/// Text values in one buffer: a layer of a million features holds millions of short texts, and
/// one allocation each cost more than decoding them.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    /// Row of each value, increasing.
    rows: Vec<usize>,
    /// End of each value in `text`; a value starts where the one before it ends.
    ends: Vec<usize>,
    text: String,
}

impl Texts {
    fn push(&mut self, row: usize, value: &str) {
        self.text.push_str(value);
        self.rows.push(row);
        self.ends.push(self.text.len());
    }

    fn get(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    fn last_row(&self) -> Option<usize> {
        self.rows.last().copied()
    }

    /// The values of `other`, their rows moved on by `by`.
    fn append(&mut self, other: Texts, by: usize) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.rows.extend(other.rows.into_iter().map(|r| r + by));
        self.ends.extend(other.ends.into_iter().map(|e| e + base));
    }
}

/// One decoded value; a text borrowed from the decoder's buffer is copied once, into its column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Cow<'a, str>),
}

impl Value<'_> {
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
    /// The row of the last value set.
    fn last_row(&self) -> Option<usize> {
        match self {
            Values::Null => None,
            Values::Int(v) => v.last().map(|(r, _)| *r),
            Values::Float(v) => v.last().map(|(r, _)| *r),
            Values::Bool(v) => v.last().map(|(r, _)| *r),
            Values::Str(v) => v.last_row(),
        }
    }

    /// An empty text column.
    pub(crate) fn text() -> Values {
        Values::Str(Texts::default())
    }

    fn type_name(&self) -> &'static str {
        match self {
            Values::Null => "null",
            Values::Int(_) => "integer",
            Values::Float(_) => "number",
            Values::Bool(_) => "boolean",
            Values::Str(_) => "string",
        }
    }

    /// Sets the value of row `row`; rows are set in increasing order. Returns an error text when
    /// the row already has a value or the value's type conflicts with the column's.
    pub(crate) fn set(&mut self, row: usize, value: Value) -> Result<(), String> {
        if self.last_row().is_some_and(|last| last >= row) {
            return Err("the field appears twice in one feature".into());
        }
        match (&mut *self, value) {
            (Values::Null, value) => {
                *self = match value {
                    Value::Int(i) => Values::Int(vec![(row, i)]),
                    Value::Float(f) => Values::Float(vec![(row, f)]),
                    Value::Bool(b) => Values::Bool(vec![(row, b)]),
                    Value::Str(s) => {
                        let mut texts = Texts::default();
                        texts.push(row, &s);
                        Values::Str(texts)
                    }
                };
            }
            (Values::Int(v), Value::Int(i)) => v.push((row, i)),
            (Values::Int(v), Value::Float(f)) => {
                let mut floats: Vec<(usize, f64)> = v.iter().map(|&(r, i)| (r, i as f64)).collect();
                floats.push((row, f));
                *self = Values::Float(floats);
            }
            (Values::Float(v), Value::Float(f)) => v.push((row, f)),
            (Values::Float(v), Value::Int(i)) => v.push((row, i as f64)),
            (Values::Bool(v), Value::Bool(b)) => v.push((row, b)),
            (Values::Str(v), Value::Str(s)) => v.push(row, &s),
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

    /// No value, of the same type.
    fn empty_like(&self) -> Values {
        match self {
            Values::Null => Values::Null,
            Values::Int(_) => Values::Int(vec![]),
            Values::Float(_) => Values::Float(vec![]),
            Values::Bool(_) => Values::Bool(vec![]),
            Values::Str(_) => Values::text(),
        }
    }

    /// Adds the values of `other`, which come after these, their rows moved on by `by`.
    fn append(&mut self, other: Values, by: usize) -> Result<(), String> {
        fn moved<T>(v: Vec<(usize, T)>, by: usize) -> impl Iterator<Item = (usize, T)> {
            v.into_iter().map(move |(r, x)| (r + by, x))
        }
        match (&mut *self, other) {
            (_, Values::Null) => {}
            (Values::Null, other) => {
                let mut fresh = other.empty_like();
                fresh.append(other, by)?;
                *self = fresh;
            }
            (Values::Int(v), Values::Int(w)) => v.extend(moved(w, by)),
            (Values::Float(v), Values::Float(w)) => v.extend(moved(w, by)),
            (Values::Float(v), Values::Int(w)) => {
                v.extend(moved(w, by).map(|(r, i)| (r, i as f64)))
            }
            (Values::Int(v), Values::Float(w)) => {
                let mut floats: Vec<(usize, f64)> = v.iter().map(|&(r, i)| (r, i as f64)).collect();
                floats.extend(moved(w, by));
                *self = Values::Float(floats);
            }
            (Values::Bool(v), Values::Bool(w)) => v.extend(moved(w, by)),
            (Values::Str(v), Values::Str(w)) => v.append(w, by),
            (values, other) => {
                return Err(format!(
                    "{} values where earlier features have {} values",
                    other.type_name(),
                    values.type_name()
                ))
            }
        }
        Ok(())
    }

    /// The column of `rows` rows, null where no value was set.
    fn into_column(self, name: &str, rows: usize) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            // A column with no value at all carries no type; string is the least surprising.
            Values::Null => Column::new(name, vec![None::<String>; rows]),
            Values::Int(v) => Column::new(name, dense(rows, v)),
            Values::Float(v) => Column::new(name, dense(rows, v)),
            Values::Bool(v) => Column::new(name, dense(rows, v)),
            Values::Str(v) => {
                let mut next = 0;
                let cells = (0..rows).map(|row| {
                    (v.rows.get(next) == Some(&row)).then(|| {
                        next += 1;
                        v.get(next - 1)
                    })
                });
                StringChunked::from_iter_options(name, cells).into_column()
            }
        }
    }
}

/// Refuses `columns` × `rows` cells holding only `held` values, beyond [`MAX_SPARSE_CELLS`].
fn check_density(columns: usize, rows: usize, held: usize) -> Result<(), String> {
    let cells = columns.saturating_mul(rows);
    if cells > MAX_SPARSE_CELLS && cells / MAX_EMPTY_PER_VALUE > held {
        return Err(format!(
            "{columns} attribute columns × {rows} rows = {cells} cells, of which only {held} \
             hold a value; nrqc reads at most {MAX_SPARSE_CELLS} cells unless at least one in \
             {MAX_EMPTY_PER_VALUE} holds a value (the file names columns that are almost never \
             filled)"
        ));
    }
    Ok(())
}

fn dense<T>(rows: usize, values: Vec<(usize, T)>) -> Vec<Option<T>> {
    let mut cells: Vec<Option<T>> = std::iter::repeat_with(|| None).take(rows).collect();
    for (row, value) in values {
        cells[row] = Some(value);
    }
    cells
}

/// Columns in the order their names first appear.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    index: HashMap<String, usize>,
    names: Vec<String>,
    values: Vec<Values>,
    /// Values set, over all columns.
    held: usize,
}

impl Columns {
    /// Declares a column from a file's header, so that its type and place do not depend on the
    /// first value. Columns are numbered from 1 in the order they are declared.
    pub(crate) fn declare(&mut self, name: &str, values: Values) -> Result<(), String> {
        let position = self.names.len() + 1;
        if name.is_empty() {
            return Err(format!("column {position} has no name"));
        }
        if let Some(&first) = self.index.get(name) {
            return Err(format!(
                "two columns are named `{name}` (columns {} and {position}: {}, then {})",
                first + 1,
                self.values[first].type_name(),
                values.type_name()
            ));
        }
        self.add(name, values).map(|_| ())
    }

    fn add(&mut self, name: &str, values: Values) -> Result<usize, String> {
        if self.names.len() >= MAX_COLUMNS {
            return Err(format!(
                "more than {MAX_COLUMNS} attribute columns; nrqc reads at most {MAX_COLUMNS} \
                 columns per layer or table, far more than any survey schema has"
            ));
        }
        self.index.insert(name.to_owned(), self.names.len());
        self.names.push(name.to_owned());
        self.values.push(values);
        Ok(self.names.len() - 1)
    }

    pub(crate) fn set(&mut self, row: usize, name: &str, value: Value) -> Result<(), String> {
        // NaN and infinity are not measurements: every comparison with them fails silently and
        // they print as `NaN` or `null` in findings.
        if let Value::Float(f) = value {
            if !f.is_finite() {
                return Err(format!("the value {f} is not a finite number"));
            }
        }
        let i = match self.index.get(name) {
            Some(&i) => i,
            None if name.is_empty() => return Err("an attribute with an empty name".into()),
            None => self.add(name, Values::Null)?,
        };
        self.values[i].set(row, value)?;
        self.held += 1;
        Ok(())
    }

    /// The same columns, without values.
    pub(crate) fn empty_like(&self) -> Columns {
        Columns {
            index: self.index.clone(),
            names: self.names.clone(),
            values: self.values.iter().map(Values::empty_like).collect(),
            held: 0,
        }
    }

    /// Adds the columns and values of `other`, decoded after these, its rows moved on by `by`.
    pub(crate) fn append(&mut self, other: Columns, by: usize) -> Result<(), String> {
        for (name, values) in other.names.iter().zip(other.values) {
            let i = match self.index.get(name) {
                Some(&i) => i,
                None => self.add(name, Values::Null)?,
            };
            self.values[i]
                .append(values, by)
                .map_err(|m| format!("field {name}: {m}"))?;
        }
        self.held += other.held;
        Ok(())
    }

    /// The frame of `rows` rows. An error text when it would be mostly empty cells beyond
    /// [`MAX_SPARSE_CELLS`].
    pub(crate) fn into_frame(self, rows: usize) -> Result<DataFrame, String> {
        check_density(self.names.len(), rows, self.held)?;
        let columns = self
            .names
            .iter()
            .zip(self.values)
            .map(|(name, values)| values.into_column(name, rows))
            .collect();
        DataFrame::new(rows, columns).map_err(|e| e.to_string())
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

    /// Columns decoded in runs and appended are the columns decoded in one pass, integers that
    /// widen to floats in a later run included.
    #[test]
    fn appended_runs_are_one_pass() {
        let values = |row: usize| match row % 4 {
            0 => ("MJ", Value::Int(row as i64)),
            1 => ("BSM", Value::Str(format!("b{row}").into())),
            2 if row > 5 => ("MJ", Value::Float(row as f64 + 0.5)),
            _ => ("LATE", Value::Bool(row.is_multiple_of(3))),
        };
        let mut one = Columns::default();
        for row in 0..12 {
            let (name, value) = values(row);
            one.set(row, name, value).unwrap();
        }
        let mut runs = Columns::default();
        for (first, end) in [(0, 3), (3, 7), (7, 12)] {
            let mut run = runs.empty_like();
            for row in first..end {
                let (name, value) = values(row);
                run.set(row - first, name, value).unwrap();
            }
            runs.append(run, first).unwrap();
        }
        assert!(one
            .into_frame(12)
            .unwrap()
            .equals_missing(&runs.into_frame(12).unwrap()));
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

    #[test]
    fn a_column_declared_twice_or_without_a_name_is_an_error() {
        let mut c = Columns::default();
        c.declare("BSM", Values::text()).unwrap();
        c.declare("MJ", Values::Float(vec![])).unwrap();
        assert_eq!(
            c.declare("MJ", Values::text()).unwrap_err(),
            "two columns are named `MJ` (columns 2 and 3: number, then string)"
        );
        assert_eq!(
            c.declare("", Values::text()).unwrap_err(),
            "column 3 has no name"
        );
        assert_eq!(
            c.set(0, "", Value::Int(1)).unwrap_err(),
            "an attribute with an empty name"
        );
    }

    #[test]
    fn nan_and_infinity_are_an_error() {
        let mut c = Columns::default();
        for (f, text) in [(f64::NAN, "NaN"), (f64::NEG_INFINITY, "-inf")] {
            assert_eq!(
                c.set(0, "MJ", Value::Float(f)).unwrap_err(),
                format!("the value {text} is not a finite number")
            );
        }
    }

    #[test]
    fn columns_are_bounded() {
        let mut c = Columns::default();
        for i in 0..MAX_COLUMNS {
            c.set(0, &format!("C{i}"), Value::Int(1)).unwrap();
        }
        let err = c.set(0, "one more", Value::Int(1)).unwrap_err();
        assert!(
            err.starts_with("more than 10000 attribute columns"),
            "{err}"
        );
    }

    #[test]
    fn mostly_empty_cells_beyond_the_bound_are_an_error() {
        // 2,000 columns × 10,000 rows (2 × 10^7 cells) holding one value per row.
        let mut c = Columns::default();
        for row in 0..10_000 {
            c.set(row, &format!("C{}", row % 2_000), Value::Int(1))
                .unwrap();
        }
        let err = c.into_frame(10_000).unwrap_err();
        assert!(
            err.starts_with("2000 attribute columns × 10000 rows = 20000000 cells, of which only 10000 hold a value"),
            "{err}"
        );
        // As many cells, one in 16 filled, are read; so are fewer cells, however empty.
        assert!(check_density(2_000, 10_000, 20_000_000 / 16).is_ok());
        assert!(check_density(1_000, 10_000, 0).is_ok());
    }
}
