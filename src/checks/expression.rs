//! `expression`: a row-level SQL condition holds on every row (of those the rule's `where`
//! selects).
//!
//! ## Parameters
//! - `layer`: the layer or table.
//! - `condition`: a SQL boolean expression over its fields, compiled by polars' SQL support, e.g.
//!   `abs(DJDYZMJ - (GYMJ + JTMJ + ZYQMJ)) <= 0.01`.
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
//! ```
//!
//! ## Finding
//! `不满足条件 abs(DJDYZMJ - (GYMJ + JTMJ + ZYQMJ)) <= 0.01`, measured: the values of the fields
//! the condition names, e.g. `{"DJDYZMJ": 1200.0, "GYMJ": 1000.0, "JTMJ": 300.0, "ZYQMJ": 0.0}`.

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
    #[serde(skip)]
    compiled: OnceLock<Result<Expr, String>>,
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
        cx.check_condition(&self.layer, &self.condition)
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
                .finding(
                    frame,
                    &[row],
                    format!("不满足条件 {}", self.condition.value),
                )
                .with_measured(Value::Object(measured))
                .with_expected(Value::String(self.condition.value.clone()));
            findings.push(f);
        }
        Ok(findings)
    }
}
