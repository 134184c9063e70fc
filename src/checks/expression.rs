//! `expression`: a row-level SQL condition holds on every row (of those the rule's `where`
//! selects).
//!
//! ## Parameters
//! - `layer`: the layer or table.
//! - `condition`: a SQL boolean expression over its fields, compiled by polars' SQL support, e.g.
//!   `abs(DJDYZMJ - (GYMJ + JTMJ + ZYQMJ)) <= 0.01`.
//! - `message`: the finding as people read it, a sentence in which `{…}` holds a SQL value
//!   expression over the same fields, replaced by its value on the failing row: `{GYMJ}`, or
//!   with a format, `{GYMJ + JTMJ:.2}` (2 decimals) or `{DJDYZMJ - GYMJ:+.2}` (signed); a null
//!   value reads 空. Required: a condition's SQL is not a message for the people who fix the
//!   data.
//!
//! A row where the condition is unknown because a field it names is null also fails: an area
//! that cannot be checked is not a passed area.
//!
//! ## Example
//! ```yaml
//! - id: ZR-M001
//!   title: 单元总面积不等于国有、集体与争议区面积之和
//!   class: B
//!   element: 面积精度
//!   expression:
//!     layer: ZRZYDJDY
//!     condition: abs(DJDYZMJ - (GYMJ + JTMJ + ZYQMJ)) <= 0.01
//!     message: >-
//!       登记单元总面积 {DJDYZMJ:.2} m² ≠ 国有 {GYMJ:.2} + 集体 {JTMJ:.2} + 争议 {ZYQMJ:.2}
//!       = {GYMJ + JTMJ + ZYQMJ:.2} m²，差 {DJDYZMJ - (GYMJ + JTMJ + ZYQMJ):+.2} m²，允许 ±0.01 m²
//! ```
//!
//! ## Finding
//! The message with the row's values, `登记单元总面积 1200.00 m² ≠ 国有 1000.00 + 集体 300.00 +
//! 争议 0.00 = 1300.00 m²，差 -100.00 m²，允许 ±0.01 m²`; measured: the values of the fields the
//! condition names, e.g. `{"DJDYZMJ": 1200.0, "GYMJ": 1000.0, "JTMJ": 300.0, "ZYQMJ": 0.0}`;
//! expected: the condition.

use std::sync::OnceLock;

use polars::prelude::Expr;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{condition, phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::Finding;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expression {
    pub layer: Name,
    pub condition: Name,
    pub message: Name,
    #[serde(skip)]
    compiled: OnceLock<Result<Expr, String>>,
}

/// A piece of a `message`: text as written, or a value to put in.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Value(Slot),
}

/// `{expression:format}` of a message.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    expression: String,
    decimals: Option<usize>,
    signed: bool,
}

/// The pieces of a message template, or what is wrong with it.
fn pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if rest[..open].contains('}') {
            return Err("a `}` closes no `{`".into());
        }
        out.push(Piece::Text(rest[..open].to_owned()));
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("a `{` is not closed")?;
        let inner = &after[..close];
        if inner.contains('{') {
            return Err("a `{` inside `{…}`".into());
        }
        // The format follows the last `:` when it reads as one; SQL itself has no `:`.
        let (expression, format) = match inner.rsplit_once(':') {
            Some((e, f)) => (e, Some(f)),
            None => (inner, None),
        };
        let (signed, decimals) = match format {
            None => (false, None),
            Some(f) => {
                let (signed, f) = f.strip_prefix('+').map_or((false, f), |f| (true, f));
                let decimals = match f.strip_prefix('.') {
                    Some(d) => Some(d.parse::<usize>().ok().filter(|d| *d <= 12).ok_or_else(
                        || format!("`{inner}`: the format after `:` is `.N`, `+.N` or `+`"),
                    )?),
                    None if f.is_empty() => None,
                    None => {
                        return Err(format!(
                            "`{inner}`: the format after `:` is `.N`, `+.N` or `+`"
                        ))
                    }
                };
                (signed, decimals)
            }
        };
        if expression.trim().is_empty() {
            return Err("an empty `{}`".into());
        }
        out.push(Piece::Value(Slot {
            expression: expression.trim().to_owned(),
            decimals,
            signed,
        }));
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` closes no `{`".into());
    }
    out.push(Piece::Text(rest.to_owned()));
    Ok(out)
}

impl Expression {
    fn compiled(&self) -> &Result<Expr, String> {
        self.compiled
            .get_or_init(|| condition::compile(&self.condition.value))
    }
}

impl Check for Expression {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        format!(
            "{} satisfies {}",
            self.layer.value,
            phrase::code(&self.condition.value)
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer)]
    }

    fn lint(&self, cx: &LintContext) -> Vec<Problem> {
        let mut problems = cx.check_condition(&self.layer, &self.condition);
        match pieces(&self.message.value) {
            Err(e) => problems.push(
                Problem::new(self.message.referenced, format!("invalid message: {e}"))
                    .help("write `{FIELD}` or `{SQL expression:.2}` where a value goes"),
            ),
            Ok(pieces) => {
                for p in pieces {
                    if let Piece::Value(slot) = p {
                        problems.extend(cx.check_value(
                            &self.layer,
                            &self.message,
                            &slot.expression,
                        ));
                    }
                }
            }
        }
        problems
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let expr = self
            .compiled()
            .as_ref()
            .map_err(|e| NotRun(format!("条件无法编译：{e}")))?;
        let frame = cx.frame(&self.layer.value)?;
        let holds = condition::evaluate(expr, &frame.df)
            .map_err(|e| NotRun(format!("条件无法在 {} 上求值：{e}", frame.name)))?;
        let named = condition::named_columns(&self.condition.value, &frame.df);
        let pieces =
            pieces(&self.message.value).map_err(|e| NotRun(format!("message 无效：{e}")))?;
        let mut values: Vec<Option<Vec<Option<String>>>> = Vec::new();
        for p in &pieces {
            values.push(match p {
                Piece::Text(_) => None,
                Piece::Value(slot) => {
                    let expr = condition::compile(&slot.expression).map_err(|e| {
                        NotRun(format!(
                            "message 中的 {{{}}} 无法编译：{e}",
                            slot.expression
                        ))
                    })?;
                    Some(
                        condition::shown(&expr, &frame.df, slot.decimals, slot.signed).map_err(
                            |e| {
                                NotRun(format!(
                                    "message 中的 {{{}}} 无法求值：{e}",
                                    slot.expression
                                ))
                            },
                        )?,
                    )
                }
            });
        }
        let message = |row: usize| -> String {
            pieces
                .iter()
                .zip(&values)
                .map(|(p, v)| match (p, v) {
                    (Piece::Text(t), _) => t.clone(),
                    (Piece::Value(_), Some(v)) => v[row].clone().unwrap_or_else(|| "空".into()),
                    (Piece::Value(_), None) => String::new(),
                })
                .collect()
        };
        let mut findings = Vec::new();
        for row in cx.rows(frame)? {
            if holds[row] == Some(true) {
                continue;
            }
            let measured: Map<String, Value> = named
                .iter()
                .map(|c| (c.clone(), frame.json(c, row)))
                .collect();
            let f = cx
                .finding(frame, &[row], message(row))
                .with_measured(Value::Object(measured))
                .with_expected(Value::String(self.condition.value.clone()));
            findings.push(f);
        }
        Ok(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::{pieces, Piece, Slot};

    fn value(expression: &str, decimals: Option<usize>, signed: bool) -> Piece {
        Piece::Value(Slot {
            expression: expression.into(),
            decimals,
            signed,
        })
    }

    #[test]
    fn templates_split_into_text_and_formatted_values() {
        assert_eq!(
            pieces("总面积 {DJDYZMJ:.2} m²，差 {DJDYZMJ - GYMJ:+.2}，{DJDYLX}").unwrap(),
            [
                Piece::Text("总面积 ".into()),
                value("DJDYZMJ", Some(2), false),
                Piece::Text(" m²，差 ".into()),
                value("DJDYZMJ - GYMJ", Some(2), true),
                Piece::Text("，".into()),
                value("DJDYLX", None, false),
                Piece::Text(String::new()),
            ]
        );
        for bad in ["{A", "A}", "{}", "{A:.x}", "{A:2}", "{{A}}"] {
            assert!(pieces(bad).is_err(), "{bad}");
        }
    }
}
