//! SQL conditions (`where`, the `expression` kind) compiled to polars expressions with polars'
//! own SQL support, and evaluated over a frame.

use polars::prelude::*;

use crate::schema::{FieldType, FrameDef};

/// polars errors end with a dump of the query plan, which says nothing to a rule author.
fn short(e: PolarsError) -> String {
    let text = e.to_string();
    let mut text = text
        .split("\n\nResolved plan")
        .next()
        .unwrap_or(&text)
        .to_owned();
    // The field list follows in our own help, once.
    if let Some(start) = text.find("; valid columns: [") {
        if let Some(len) = text[start..].find(']') {
            text.replace_range(start..=start + len, "");
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compiles a SQL boolean expression such as `GYMJ > 0 AND QLXSFS = '2'`.
pub fn compile(text: &str) -> Result<Expr, String> {
    polars::sql::sql_expr(text).map_err(short)
}

/// An empty frame with the schema's columns and types, to type-check a condition without data.
pub fn empty_frame(def: &FrameDef) -> DataFrame {
    let columns = def
        .fields
        .iter()
        .map(|(name, f)| {
            let dtype = match f.ty {
                FieldType::Number => DataType::Float64,
                FieldType::Integer => DataType::Int64,
                FieldType::String | FieldType::Date => DataType::String,
            };
            Column::new_empty(name.as_str().into(), &dtype)
        })
        .collect();
    DataFrame::new(0, columns).expect("columns of an empty frame have equal length")
}

/// Evaluates `expr` on every row of `df`: `Some(true)`, `Some(false)`, or `None` where SQL's
/// three-valued logic gives unknown (a null operand).
pub fn evaluate(expr: &Expr, df: &DataFrame) -> Result<Vec<Option<bool>>, String> {
    let out = df
        .clone()
        .lazy()
        .select([expr.clone().alias("__nrqc_condition")])
        .collect()
        .map_err(short)?;
    let column = out.column("__nrqc_condition").map_err(|e| e.to_string())?;
    let values = column.cast(&DataType::Boolean).map_err(|_| {
        format!(
            "the condition gives {} values, not true/false",
            column.dtype()
        )
    })?;
    let values = values.bool().map_err(|e| e.to_string())?;
    let n = df.height();
    // A condition on literals alone yields one value: it applies to every row.
    if values.len() == 1 && n != 1 {
        return Ok(vec![values.get(0); n]);
    }
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// The rows of `df` where `expr` holds; unknown (null) counts as not holding, as in SQL.
pub fn rows_holding(expr: &Expr, df: &DataFrame) -> Result<Vec<usize>, String> {
    Ok(evaluate(expr, df)?
        .iter()
        .enumerate()
        .filter(|(_, m)| **m == Some(true))
        .map(|(i, _)| i)
        .collect())
}

/// The values of a SQL value expression over `df`, one per row, as a message shows them: numbers
/// with `decimals` when given (and a sign with `signed`), anything else as its text; `None` for
/// null.
pub fn shown(
    expr: &Expr,
    df: &DataFrame,
    decimals: Option<usize>,
    signed: bool,
) -> Result<Vec<Option<String>>, String> {
    let out = df
        .clone()
        .lazy()
        .select([expr.clone().alias("__nrqc_value")])
        .collect()
        .map_err(short)?;
    let column = out.column("__nrqc_value").map_err(|e| e.to_string())?;
    let numeric = column.dtype().is_primitive_numeric();
    if numeric && (decimals.is_some() || signed) {
        let values = column.cast(&DataType::Float64).map_err(short)?;
        let values = values.f64().map_err(short)?;
        return Ok(values
            .iter()
            .map(|v| {
                v.map(|v| match (decimals, signed) {
                    (Some(d), true) => format!("{v:+.d$}"),
                    (Some(d), false) => format!("{v:.d$}"),
                    (None, _) => format!("{v:+}"),
                })
            })
            .collect());
    }
    let text = column.cast(&DataType::String).map_err(short)?;
    let text = text.str().map_err(short)?;
    Ok(text.iter().map(|v| v.map(str::to_owned)).collect())
}

/// The frame's columns that a condition's text names, in frame order: what a finding reports as
/// measured values.
pub fn named_columns(text: &str, df: &DataFrame) -> Vec<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    df.get_column_names()
        .into_iter()
        .filter(|c| words.contains(&c.as_str()))
        .map(|c| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_valued_logic() {
        let df = df!("A" => [Some(1.0), Some(-1.0), None]).unwrap();
        let e = compile("A > 0").unwrap();
        assert_eq!(
            evaluate(&e, &df).unwrap(),
            vec![Some(true), Some(false), None]
        );
    }

    #[test]
    fn syntax_error_is_reported() {
        assert!(compile("A > > 0").is_err());
    }

    #[test]
    fn unknown_column_fails_on_empty_frame() {
        let df = df!("A" => [1.0]).unwrap();
        let e = compile("B > 0").unwrap();
        assert!(evaluate(&e, &df.head(Some(0))).is_err());
    }
}
