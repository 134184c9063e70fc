//! Exact rational numbers for grading: GB/T 24356 compares scores with 60, 75 and 90, and a
//! score of 89.999… rounded up by floating point would change a grade. Scores, weights and `t`
//! are small decimals, so an `i128` fraction kept in lowest terms is ample; every operation is
//! checked and overflow is an error, never a wrong value or a panic.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A fraction in lowest terms with a positive denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

/// An arithmetic result too large for [`Ratio`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("exact arithmetic overflowed")]
pub struct Overflow;

/// The greatest common divisor of `|a|` and `|b|`, computed unsigned: `i128::MIN % -1` and
/// `i128::MIN.abs()` overflow. [`Overflow`] only when it is 2¹²⁷ (both are 0 or `i128::MIN`).
fn gcd(a: i128, b: i128) -> Result<i128, Overflow> {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i128::try_from(a).map_err(|_| Overflow)
}

/// The most decimals a weight or `t` may have, so that sums of products stay far inside `i128`.
pub const MAX_DECIMALS: usize = 6;

impl Ratio {
    /// 0, as `0/1`.
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    /// 1, as `1/1`.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// The integer `n`; cannot fail.
    pub fn int(n: i128) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// `num / den` reduced to lowest terms with the sign on the numerator; a zero `den` is an
    /// error (reported as [`Overflow`]), as is a sign flip that `i128` cannot hold.
    pub fn new(num: i128, den: i128) -> Result<Ratio, Overflow> {
        if den == 0 {
            return Err(Overflow);
        }
        if num == 0 {
            return Ok(Ratio::ZERO);
        }
        let g = gcd(num, den)?;
        let (num, den) = (num / g, den / g);
        if den < 0 {
            Ok(Ratio {
                num: num.checked_neg().ok_or(Overflow)?,
                den: den.checked_neg().ok_or(Overflow)?,
            })
        } else {
            Ok(Ratio { num, den })
        }
    }

    /// A plain decimal such as `12`, `0.25` or `-3.5`, with at most [`MAX_DECIMALS`] decimals.
    pub fn parse_decimal(s: &str) -> Option<Ratio> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty()
            || frac.len() > MAX_DECIMALS
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
            || int.len() > 18
        {
            return None;
        }
        let num: i128 = format!("{int}{frac}").parse().ok()?;
        let den = 10i128.pow(frac.len() as u32);
        Ratio::new(if neg { -num } else { num }, den).ok()
    }

    /// The numerator in lowest terms; negative for a negative value.
    pub fn numer(self) -> i128 {
        self.num
    }

    /// The denominator in lowest terms, always positive.
    pub fn denom(self) -> i128 {
        self.den
    }

    /// `self + o`; [`Overflow`] when it or an intermediate product does not fit in `i128`.
    pub fn checked_add(self, o: Ratio) -> Result<Ratio, Overflow> {
        let g = gcd(self.den, o.den)?;
        let (a, b) = (self.den / g, o.den / g);
        let num = self
            .num
            .checked_mul(b)
            .and_then(|x| o.num.checked_mul(a).and_then(|y| x.checked_add(y)))
            .ok_or(Overflow)?;
        Ratio::new(num, self.den.checked_mul(b).ok_or(Overflow)?)
    }

    /// `self - o`; [`Overflow`] when it or an intermediate product does not fit in `i128`.
    pub fn checked_sub(self, o: Ratio) -> Result<Ratio, Overflow> {
        self.checked_add(Ratio {
            num: o.num.checked_neg().ok_or(Overflow)?,
            den: o.den,
        })
    }

    /// `self × o`, cross-reduced first; [`Overflow`] when the result does not fit in `i128`.
    pub fn checked_mul(self, o: Ratio) -> Result<Ratio, Overflow> {
        // Cross-reducing first keeps the intermediate products small.
        let g1 = gcd(self.num, o.den)?.max(1);
        let g2 = gcd(o.num, self.den)?.max(1);
        let num = (self.num / g1).checked_mul(o.num / g2).ok_or(Overflow)?;
        let den = (self.den / g2).checked_mul(o.den / g1).ok_or(Overflow)?;
        Ratio::new(num, den)
    }

    /// `self ÷ o`; [`Overflow`] also when `o` is zero.
    pub fn checked_div(self, o: Ratio) -> Result<Ratio, Overflow> {
        if o.num == 0 {
            return Err(Overflow);
        }
        self.checked_mul(Ratio::new(o.den, o.num)?)
    }

    /// Approximately, for people and charts; never for comparisons.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Rounded half away from zero to `places` decimals, for display.
    pub fn to_decimal(self, places: u32) -> String {
        let scale = 10i128.pow(places);
        let scaled = self
            .num
            .checked_mul(scale)
            .map(|n| {
                let q = n / self.den;
                let r = (n % self.den).abs();
                if r.checked_mul(2).is_none_or(|r2| r2 >= self.den) {
                    q + n.signum()
                } else {
                    q
                }
            })
            .unwrap_or_else(|| (self.to_f64() * scale as f64).round() as i128);
        let sign = if scaled < 0 { "-" } else { "" };
        let abs = scaled.unsigned_abs();
        if places == 0 {
            return format!("{sign}{abs}");
        }
        let scale = scale as u128;
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = places as usize
        )
    }

    /// Whether the value is an integer: `100` reads better than `100/1`.
    pub fn is_integer(self) -> bool {
        self.den == 1
    }
}

impl Ord for Ratio {
    fn cmp(&self, o: &Ratio) -> Ordering {
        // Compare integer parts first, then the remainders as fractions of one; each step only
        // multiplies numbers smaller than the denominators, and the recursion is Euclid's, so it
        // cannot overflow.
        let (qa, ra) = (self.num.div_euclid(self.den), self.num.rem_euclid(self.den));
        let (qb, rb) = (o.num.div_euclid(o.den), o.num.rem_euclid(o.den));
        match qa.cmp(&qb) {
            Ordering::Equal => match (ra, rb) {
                (0, 0) => Ordering::Equal,
                (0, _) => Ordering::Less,
                (_, 0) => Ordering::Greater,
                // ra/da < rb/db  ⇔  db/rb < da/ra
                _ => Ratio {
                    num: o.den,
                    den: rb,
                }
                .cmp(&Ratio {
                    num: self.den,
                    den: ra,
                }),
            },
            other => other,
        }
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, o: &Ratio) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// As its exact text, `"1076/11"` or `"100"`: JSON numbers would round it.
impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// From a YAML number or string written as a plain decimal (`1`, `0.25`, `"0.3"`); a float is
/// read back from its shortest decimal text, which is the text a person wrote. The exact text
/// `Serialize` writes, `"1076/11"`, reads back as the same value (a shard's reports, read by
/// `nrqc merge`).
impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ratio, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Int(i) => i.to_string(),
            Raw::Float(f) => f.to_string(),
            Raw::Text(s) => s,
        };
        let fraction = |t: &str| {
            let (num, den) = t.split_once('/')?;
            Ratio::new(num.parse().ok()?, den.parse().ok()?).ok()
        };
        let text = text.trim();
        Ratio::parse_decimal(text)
            .or_else(|| fraction(text))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a decimal number with at most {MAX_DECIMALS} decimals"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    /// Extreme operands are an overflow or a value, never a panic (`i128::MIN % -1` and
    /// `i128::MIN.abs()` both overflow).
    #[test]
    fn extreme_operands_do_not_panic() {
        assert_eq!(Ratio::new(0, i128::MIN), Ok(Ratio::ZERO));
        assert_eq!(Ratio::new(i128::MIN, -1), Err(Overflow));
        assert_eq!(Ratio::new(i128::MIN, i128::MIN), Err(Overflow));
        assert_eq!(Ratio::new(i128::MIN, 2).map(|r| r.denom()), Ok(1));
        let min = Ratio::new(i128::MIN, 1).unwrap();
        assert_eq!(min.checked_mul(Ratio::new(-1, 1).unwrap()), Err(Overflow));
    }

    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn arithmetic_is_exact_and_reduced() {
        assert_eq!(r(1, 3).checked_add(r(1, 6)).unwrap(), r(1, 2));
        assert_eq!(r(2, 4), r(1, 2));
        assert_eq!(r(1, -2), r(-1, 2));
        assert_eq!(r(1, 10).checked_add(r(2, 10)).unwrap(), r(3, 10));
        assert_eq!(r(3, 7).checked_mul(r(14, 9)).unwrap(), r(2, 3));
        assert_eq!(r(1, 3).checked_div(r(1, 6)).unwrap(), Ratio::int(2));
        assert_eq!(Ratio::int(100).checked_sub(r(1, 3)).unwrap(), r(299, 3));
        assert!(Ratio::ONE.checked_div(Ratio::ZERO).is_err());
        assert!(Ratio::new(1, 0).is_err());
    }

    #[test]
    fn overflow_is_an_error() {
        let big = Ratio::int(i128::MAX / 2);
        assert_eq!(big.checked_mul(Ratio::int(4)), Err(Overflow));
        assert_eq!(
            big.checked_add(big).and_then(|x| x.checked_add(big)),
            Err(Overflow)
        );
    }

    #[test]
    fn ordering_is_exact() {
        let just_below = Ratio::int(90).checked_sub(r(1, 1_000_000_000_000)).unwrap();
        assert!(just_below < Ratio::int(90));
        assert!(r(-1, 3) < Ratio::ZERO);
        assert!(r(-1, 3) > r(-1, 2));
        assert!(r(179, 2) < Ratio::int(90));
        assert_eq!(r(180, 2).cmp(&Ratio::int(90)), Ordering::Equal);
        // Large denominators compare without overflow.
        let a = r(i128::MAX - 1, i128::MAX);
        let b = r(i128::MAX - 2, i128::MAX - 1);
        assert!(b < a);
    }

    #[test]
    fn decimals_parse_and_print() {
        assert_eq!(Ratio::parse_decimal("0.25"), Some(r(1, 4)));
        assert_eq!(Ratio::parse_decimal("-3.5"), Some(r(-7, 2)));
        assert_eq!(Ratio::parse_decimal("12"), Some(Ratio::int(12)));
        for bad in ["", ".5", "1e3", "0.1234567", "x", "1.2.3", "NaN"] {
            assert_eq!(Ratio::parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(r(1076, 11).to_decimal(2), "97.82");
        assert_eq!(r(-1, 8).to_decimal(2), "-0.13");
        assert_eq!(r(1, 8).to_decimal(2), "0.13");
        assert_eq!(Ratio::int(100).to_decimal(0), "100");
        assert_eq!(r(1076, 11).to_string(), "1076/11");
    }
}
