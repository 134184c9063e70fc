//! Area units of declared values and statistics tables, and the tolerance area checks share.

use serde::Deserialize;

use crate::package::Frame;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaUnit {
    #[default]
    M2,
    /// 公顷, 10⁴ m².
    Ha,
    /// 亩, 2000/3 m².
    Mu,
    /// 万亩.
    Wanmu,
}

impl AreaUnit {
    pub fn square_metres(self) -> f64 {
        match self {
            AreaUnit::M2 => 1.0,
            AreaUnit::Ha => 10_000.0,
            AreaUnit::Mu => 2000.0 / 3.0,
            AreaUnit::Wanmu => 2000.0 / 3.0 * 10_000.0,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            AreaUnit::M2 => "m²",
            AreaUnit::Ha => "公顷",
            AreaUnit::Mu => "亩",
            AreaUnit::Wanmu => "万亩",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            AreaUnit::M2 => "m2",
            AreaUnit::Ha => "ha",
            AreaUnit::Mu => "mu",
            AreaUnit::Wanmu => "wanmu",
        }
    }
}

/// How far a declared area may differ from the one it is compared with, built from what made
/// the declared value. Each part is an error that can occur together with the others, so the
/// allowance is their sum:
/// - `m2`: rounding of the declared value itself (half a hundredth, 0.005 m², for two decimals);
/// - `per_term`: rounding of each term summed into the compared value (n two-decimal parcel
///   areas carry up to n × 0.005 m²);
/// - `relative`: computing the area again, a fraction of it (the official formula reproduced on
///   the delivered vertices agrees to 1e-9).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(default)]
    pub m2: f64,
    #[serde(default)]
    pub per_term: f64,
    #[serde(default)]
    pub relative: f64,
}

impl Default for Tolerance {
    /// Two decimals of m², the precision areas are delivered in.
    fn default() -> Self {
        Tolerance {
            m2: 0.01,
            per_term: 0.0,
            relative: 0.0,
        }
    }
}

impl Tolerance {
    /// The allowance for an area of `area_m2` compared with a sum of `terms` rounded terms.
    pub fn allowed(&self, area_m2: f64, terms: usize) -> Allowance {
        Allowance {
            tolerance: *self,
            terms,
            area_m2,
        }
    }

    /// What is wrong with the parameters, if anything: parts are never negative, and
    /// `per_term` needs terms to count.
    pub fn problem(&self, counts_terms: bool) -> Option<&'static str> {
        if [self.m2, self.per_term, self.relative]
            .iter()
            .any(|v| !v.is_finite() || *v < 0.0)
        {
            Some("tolerance parts `m2`, `per_term` and `relative` must be finite and not negative")
        } else if self.per_term > 0.0 && !counts_terms {
            Some("`tolerance.per_term` needs terms to count, and this check compares single values")
        } else {
            None
        }
    }
}

/// A [`Tolerance`] applied to one comparison: its parts, how many terms and the area.
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    pub tolerance: Tolerance,
    pub terms: usize,
    pub area_m2: f64,
}

impl Allowance {
    /// The allowed difference in m².
    pub fn m2(&self) -> f64 {
        let t = &self.tolerance;
        t.m2 + t.per_term * self.terms as f64 + t.relative * self.area_m2.abs()
    }

    /// The parts as a finding's `measured.tolerance_parts` gives them (parts that are zero
    /// left out; `terms` with `per_term`).
    pub fn parts(&self) -> serde_json::Value {
        let t = &self.tolerance;
        let mut parts = serde_json::Map::new();
        if t.m2 > 0.0 {
            parts.insert("m2".into(), t.m2.into());
        }
        if t.per_term > 0.0 {
            parts.insert("per_term".into(), t.per_term.into());
            parts.insert("terms".into(), self.terms.into());
        }
        if t.relative > 0.0 {
            parts.insert("relative".into(), t.relative.into());
        }
        parts.into()
    }

    /// How the allowance was made, for a finding's message: `0.005 m² + 3 × 0.005 m² + 1e-9 ×
    /// 面积`; `None` when it is one absolute amount, which the allowance itself says.
    pub fn explain(&self) -> Option<String> {
        let t = &self.tolerance;
        if t.per_term == 0.0 && t.relative == 0.0 {
            return None;
        }
        let mut parts = Vec::new();
        if t.m2 > 0.0 {
            parts.push(format!("{} m²", t.m2));
        }
        if t.per_term > 0.0 {
            parts.push(format!("{} × {} m²", self.terms, t.per_term));
        }
        if t.relative > 0.0 {
            parts.push(format!("{:e} × 面积", t.relative));
        }
        Some(parts.join(" + "))
    }
}

/// Numbers as reports print them: rounded to `decimals`, without float noise.
pub fn round(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f
}

/// The decimals a column of a table was written with: as the file wrote them where the loader
/// saw the text (CSV), else the shortest representation of its values.
pub fn column_decimals(frame: &Frame, column: &str, values: &[Option<f64>]) -> u32 {
    frame.decimals.get(column).copied().unwrap_or_else(|| {
        values
            .iter()
            .flatten()
            .map(|v| {
                let s = format!("{v}");
                s.split_once('.').map_or(0, |(_, frac)| frac.len() as u32)
            })
            .max()
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(AreaUnit::Mu.square_metres() * 15.0, 10_000.0);
        assert_eq!(AreaUnit::Wanmu.square_metres(), 2000.0 / 3.0 * 1e4);
    }

    #[test]
    fn tolerance_parts_add_up() {
        let t = Tolerance {
            m2: 0.005,
            per_term: 0.005,
            relative: 1e-9,
        };
        let a = t.allowed(1e8, 4);
        assert!((a.m2() - (0.005 + 0.02 + 0.1)).abs() < 1e-12);
        assert_eq!(
            a.explain().as_deref(),
            Some("0.005 m² + 4 × 0.005 m² + 1e-9 × 面积")
        );
        assert_eq!(
            a.parts(),
            serde_json::json!({ "m2": 0.005, "per_term": 0.005, "terms": 4, "relative": 1e-9 })
        );
        assert_eq!(Tolerance::default().allowed(1e8, 4).m2(), 0.01);
        assert_eq!(Tolerance::default().allowed(1e8, 4).explain(), None);
    }

    #[test]
    fn tolerance_problems() {
        let per_term = Tolerance {
            m2: 0.0,
            per_term: 0.005,
            relative: 0.0,
        };
        assert_eq!(per_term.problem(true), None);
        assert!(per_term.problem(false).is_some());
        let negative = Tolerance {
            m2: -0.01,
            ..Tolerance::default()
        };
        assert!(negative.problem(true).is_some());
    }
}
