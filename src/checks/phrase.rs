//! Words that several kinds' [`super::Check::describe`] share, so that the same parameter reads
//! the same in every rule of `docs/rules.md`.

use super::units::{AreaUnit, Tolerance};
use crate::diag::Name;

/// `A`, `A and B`, `A, B and C` (with `or` for alternatives).
pub fn list<S: AsRef<str>>(items: &[S], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {conjunction} {}", init.join(", "), last.as_ref())
        }
    }
}

/// `ZRZK.MJ`.
pub fn field(frame: &Name, field: &Name) -> String {
    format!("{}.{}", frame.value, field.value)
}

/// `ZRZK.MJ` for one field, `ZRZK fields BSM and MJ` for several; and the verb agreeing with it.
pub fn fields(frame: &Name, fields: &[Name]) -> (String, &'static str) {
    match fields {
        [one] => (field(frame, one), "is"),
        _ => {
            let names: Vec<&str> = fields.iter().map(|f| f.value.as_str()).collect();
            (
                format!("{} fields {}", frame.value, list(&names, "and")),
                "are",
            )
        }
    }
}

/// A key link between two frames: `ZRZK.ZRZYDJDYH = ZRZYDJDY.ZRZYDJDYH`.
pub fn join(frame: &Name, key: &Name, other: &Name, other_key: &Name) -> String {
    format!("{} = {}", field(frame, key), field(other, other_key))
}

/// Text written in a rule (a SQL condition, a pattern) as a code span, on one line.
pub fn code(text: &str) -> String {
    let text = text.trim().replace(['\r', '\n'], " ");
    // A backtick inside needs a longer fence, and a space so it cannot touch the fence.
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// `STBHHX features`, or `GGGZ rows where `…``: what a rule or parameter selects.
pub fn selected(frame: &Name, noun: &str, filter: Option<&Name>) -> String {
    match filter {
        Some(f) => format!("{} {noun} where {}", frame.value, code(&f.value)),
        None => format!("{} {noun}", frame.value),
    }
}

/// An area threshold: `0.01 m²`.
pub fn m2(value: f64) -> String {
    format!("{value} m²")
}

/// `within XZQ (up to 0.01 m² outside)`: containment with an area allowed to stick out.
pub fn inside(container: &str, tolerance_m2: f64) -> String {
    format!("within {container} (up to {} outside)", m2(tolerance_m2))
}

/// A declared area with its unit, or the computed one: `ZRZK.MJ`, `TJ_X.HJ (公顷)`, `the
/// ellipsoidal area of ZRZK`.
pub fn area(frame: &Name, declared: Option<&Name>, unit: AreaUnit) -> String {
    match declared {
        Some(f) if unit == AreaUnit::M2 => field(frame, f),
        Some(f) => format!("{} ({})", field(frame, f), unit.symbol()),
        None => format!("the ellipsoidal area of {}", frame.value),
    }
}

/// `±0.01 m²`, or a sum of parts: `±(0.005 m² per ZRZK term + 1e-9 of the area)`. `terms`
/// names what `per_term` counts.
pub fn tolerance(t: &Tolerance, terms: Option<&str>) -> String {
    let mut parts = Vec::new();
    if t.m2 > 0.0 {
        parts.push(m2(t.m2));
    }
    if t.per_term > 0.0 {
        parts.push(format!(
            "{} per {} term",
            m2(t.per_term),
            terms.unwrap_or("summed")
        ));
    }
    if t.relative > 0.0 {
        parts.push(format!("{:e} of the area", t.relative));
    }
    match parts.as_slice() {
        [] => format!("±{}", m2(0.0)),
        [one] => format!("±{one}"),
        _ => format!("±({})", parts.join(" + ")),
    }
}

/// `s` followed by Chinese text: with a space after a trailing code (`DJDYLX 为`), none after a
/// closing full-width parenthesis (`登记单元类型（DJDYLX）为`).
pub fn spaced(s: &str) -> String {
    if s.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        format!("{s} ")
    } else {
        s.to_owned()
    }
}

/// `s` inside Chinese text: spaced on each side where it begins or ends with a code
/// (`没有 KCBH 为`), not beside full-width punctuation (`没有矿产编号（KCBH）为`).
pub fn word(s: &str) -> String {
    let lead = if s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        " "
    } else {
        ""
    };
    format!("{lead}{}", spaced(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(list(&["A"], "and"), "A");
        assert_eq!(list(&["A", "B"], "or"), "A or B");
        assert_eq!(list(&["A", "B", "C"], "and"), "A, B and C");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("GYMJ > 0"), "`GYMJ > 0`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("A = 1\nAND B = 2\n"), "`A = 1 AND B = 2`");
    }

    /// A kind's parameters as a rule file writes them.
    fn kind<T: for<'de> serde::Deserialize<'de>>(yaml: &str) -> T {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn kinds_describe_what_they_check() {
        use crate::checks::Check;
        use crate::checks::{area_sum::AreaSum, no_overlap_with::NoOverlapWith, not_null::NotNull};
        let not_null: NotNull = kind("{ layer: ZRZYDJDY, fields: [DBXSZT] }");
        assert_eq!(not_null.describe(), "ZRZYDJDY.DBXSZT is not empty");
        let not_null: NotNull = kind("{ layer: ZRZK, fields: [BSM, QSDWDM, QSDWMC] }");
        assert_eq!(
            not_null.describe(),
            "ZRZK fields BSM, QSDWDM and QSDWMC are not empty"
        );
        let area_sum: AreaSum = kind(
            "{ layer: ZRZK, computed: true, key: ZRZYDJDYH, parent: ZRZYDJDY, \
             parent_key: ZRZYDJDYH, parent_field: SLMJ, unit: ha, tolerance: { m2: 0.05 } }",
        );
        assert_eq!(
            area_sum.describe(),
            "ZRZYDJDY.SLMJ (公顷) equals the sum of the ellipsoidal area of ZRZK over its ZRZK \
             features (ZRZK.ZRZYDJDYH = ZRZYDJDY.ZRZYDJDYH), within ±0.05 m²"
        );
        let overlap: NoOverlapWith =
            kind("{ layer: ZRZYDJDY, other: ZRZYDJDY, other_where: \"DJDYLX IN ('11', '12')\" }");
        assert_eq!(
            overlap.describe(),
            "no ZRZYDJDY feature overlaps ZRZYDJDY features where `DJDYLX IN ('11', '12')` by \
             more than 0.01 m²"
        );
    }

    #[test]
    fn tolerances() {
        let t = |m2, per_term, relative| {
            tolerance(
                &Tolerance {
                    m2,
                    per_term,
                    relative,
                },
                Some("ZRZK"),
            )
        };
        assert_eq!(t(0.01, 0.0, 0.0), "±0.01 m²");
        assert_eq!(t(0.0, 0.0, 1e-8), "±1e-8 of the area");
        assert_eq!(t(0.1, 0.0, 1e-8), "±(0.1 m² + 1e-8 of the area)");
        assert_eq!(t(0.005, 0.005, 0.0), "±(0.005 m² + 0.005 m² per ZRZK term)");
    }

    #[test]
    fn codes_are_spaced_from_chinese_and_titles_are_not() {
        assert_eq!(super::spaced("DJDYLX"), "DJDYLX ");
        assert_eq!(
            super::spaced("登记单元类型（DJDYLX）"),
            "登记单元类型（DJDYLX）"
        );
        assert_eq!(super::word("KCBH"), " KCBH ");
        assert_eq!(super::word("矿产编号（KCBH）"), "矿产编号（KCBH）");
    }
}
