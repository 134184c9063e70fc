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

/// How far a declared area may differ from the computed one: the larger of an absolute
/// allowance in m² and a fraction of the computed value.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    #[serde(default)]
    pub m2: f64,
    #[serde(default)]
    pub relative: f64,
}

impl Default for Tolerance {
    /// Two decimals of m², the precision areas are delivered in.
    fn default() -> Self {
        Tolerance {
            m2: 0.01,
            relative: 0.0,
        }
    }
}

impl Tolerance {
    /// The allowed difference in m² for a computed value in m².
    pub fn allowed(&self, computed_m2: f64) -> f64 {
        self.m2.max(self.relative * computed_m2.abs())
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
    fn tolerance_takes_the_larger_allowance() {
        let t = Tolerance {
            m2: 0.05,
            relative: 1e-7,
        };
        assert_eq!(t.allowed(1e4), 0.05);
        assert_eq!(t.allowed(1e8), 10.0);
    }
}
