//! Grouped sums with polars' group-by, shared by the checks that compare totals.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{Context, NotRun};
use crate::diag::{Name, Problem};
use crate::package::Frame;

/// Sum and count of `value` per text value of `key`, over the given rows of `df`.
/// Rows whose key is null are left out.
pub fn group_sums(
    df: &DataFrame,
    key: Expr,
    value: Expr,
    rows: &[usize],
) -> Result<BTreeMap<String, (f64, usize)>, NotRun> {
    let mut mask = vec![false; df.height()];
    for &r in rows {
        mask[r] = true;
    }
    let mask = BooleanChunked::from_slice("mask".into(), &mask);
    let err = |e: PolarsError| NotRun(format!("分组求和失败：{e}"));
    // The two columns first, then the rows: filtering the frame copied every column of it.
    let out = df
        .clone()
        .lazy()
        .select([
            key.cast(DataType::String).alias("__key"),
            value.cast(DataType::Float64).alias("__value"),
        ])
        .collect()
        .map_err(err)?
        .filter(&mask)
        .map_err(err)?
        .lazy()
        .filter(col("__key").is_not_null())
        .group_by([col("__key")])
        .agg([col("__value").sum().alias("__sum"), len().alias("__n")])
        .collect()
        .map_err(err)?;
    let keys = out
        .column("__key")
        .and_then(|c| c.str().cloned())
        .map_err(err)?;
    let sums = out
        .column("__sum")
        .and_then(|c| c.f64().cloned())
        .map_err(err)?;
    let counts = out
        .column("__n")
        .and_then(|c| c.cast(&DataType::UInt64))
        .and_then(|c| c.u64().cloned())
        .map_err(err)?;
    Ok((0..out.height())
        .filter_map(|i| {
            Some((
                keys.get(i)?.to_owned(),
                (
                    sums.get(i).unwrap_or(0.0),
                    counts.get(i).unwrap_or(0) as usize,
                ),
            ))
        })
        .collect())
}

/// A float column as plain values (null → None), for comparing row by row.
pub fn floats(df: &DataFrame, field: &str) -> Result<Vec<Option<f64>>, NotRun> {
    let column = df
        .column(field)
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(|e| NotRun(format!("{field} 不是数值：{e}")))?;
    let values = column
        .f64()
        .map_err(|e| NotRun(format!("{field} 不是数值：{e}")))?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// What a sum adds up: a declared field (`Some`), or the features' ellipsoidal areas (`None`,
/// `computed: true`). Returns the frame to sum over (with an `__area` column for computed areas),
/// the rows that can be summed (unmeasurable features drop out), and the value expression.
pub fn summand(
    cx: &Context,
    frame: &Frame,
    field: Option<&Name>,
    rows: Vec<usize>,
) -> Result<(DataFrame, Vec<usize>, Expr), NotRun> {
    let mut df = frame.df.clone();
    match field {
        Some(f) => Ok((df, rows, col(f.value.as_str()))),
        None => {
            let areas = Column::new("__area".into(), cx.facts(frame)?.areas.clone());
            df.with_column(areas)
                .map_err(|e| NotRun(format!("无法为 {} 关联面积：{e}", frame.name)))?;
            Ok((df, cx.measurable(frame, rows)?, col("__area")))
        }
    }
}

/// A sum needs exactly one of a declared `field` and `computed: true`.
pub fn field_or_computed(at: &Name, field: Option<&Name>, computed: bool) -> Option<Problem> {
    (field.is_some() == computed).then(|| {
        Problem::new(
            at.referenced,
            "give exactly one of `field` and `computed: true`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_by_key_over_selected_rows() {
        let df = df!("K" => ["a", "b", "a", "a"], "V" => [1.0, 2.0, 3.0, 4.0]).unwrap();
        let sums = group_sums(&df, col("K"), col("V"), &[0, 1, 2]).unwrap();
        assert_eq!(sums["a"], (4.0, 2));
        assert_eq!(sums["b"], (2.0, 1));
    }
}
