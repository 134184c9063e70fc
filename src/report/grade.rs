//! Grading per GB/T 24356-2023 (6.2): defects counted per sub-element, scored by formula (4),
//! weighed up to quality elements and the unit, and graded 优/良/合格/不合格.
//!
//! The arithmetic is exact ([`Ratio`]): a score is never rounded before it is compared with 60,
//! 75 or 90, and every term is kept so that the report can show the whole computation.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::RuleResult;
use crate::finding::Status;
use crate::quality::{CountMode, DefectClass, Profile, ELEMENTS};
use crate::ratio::{Overflow, Ratio};

/// Formula (4) with the A term of 6.2.1.2: an A defect deducts 42, not divided by t.
pub const FORMULA: &str = "S₁ = 100 − 42·A − (12·B + 4·C + 1·D)/t";

/// The deduction of one defect of each class; A's is not divided by t.
fn deduction(class: DefectClass) -> i128 {
    match class {
        DefectClass::A => 42,
        DefectClass::B => 12,
        DefectClass::C => 4,
        DefectClass::D => 1,
    }
}

/// The grade of a unit (表3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 优: S ≥ 90.
    Excellent,
    /// 良: 75 ≤ S < 90.
    Good,
    /// 合格: 60 ≤ S < 75.
    Qualified,
    /// 不合格: an A defect, a score below 60, or a rule that did not run.
    Unqualified,
}

impl Grade {
    /// The grade in Chinese (`优`, `良`, `合格`, `不合格`), as report.md, batch.md, junit.xml's `grade`
    /// property and the stdout summary show it; report.json has `excellent`, `good`, `qualified` or
    /// `unqualified`.
    pub fn zh(self) -> &'static str {
        match self {
            Grade::Excellent => "优",
            Grade::Good => "良",
            Grade::Qualified => "合格",
            Grade::Unqualified => "不合格",
        }
    }

    /// The grade in English, as `nrqc --lang en` prints it.
    pub fn en(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Good => "good",
            Grade::Qualified => "qualified",
            Grade::Unqualified => "unqualified",
        }
    }

    /// The grade of a score when nothing else disqualifies it.
    pub fn of_score(s: Ratio) -> Grade {
        if s >= Ratio::int(90) {
            Grade::Excellent
        } else if s >= Ratio::int(75) {
            Grade::Good
        } else if s >= Ratio::int(60) {
            Grade::Qualified
        } else {
            Grade::Unqualified
        }
    }
}

/// Defects of each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct Defects {
    /// A defects (JSON key `A`): 42 each, not divided by t, and the unit is 不合格.
    pub a: usize,
    /// B defects (JSON key `B`): 12 each, divided by t.
    pub b: usize,
    /// C defects (JSON key `C`): 4 each, divided by t.
    pub c: usize,
    /// D defects (JSON key `D`): 1 each, divided by t.
    pub d: usize,
}

impl Defects {
    fn add(&mut self, class: DefectClass, n: usize) {
        match class {
            DefectClass::A => self.a += n,
            DefectClass::B => self.b += n,
            DefectClass::C => self.c += n,
            DefectClass::D => self.d += n,
        }
    }

    /// The count of `class`.
    pub fn get(&self, class: DefectClass) -> usize {
        match class {
            DefectClass::A => self.a,
            DefectClass::B => self.b,
            DefectClass::C => self.c,
            DefectClass::D => self.d,
        }
    }
}

/// One sub-element's rules, defects and score S₁ (formula (4)): an entry of
/// `grading.elements[].sub_elements` in report.json. Every `Ratio` here is exact text, e.g.
/// `"1076/11"`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SubElementScore {
    /// The sub-element's name as the rules give it, e.g. `遗漏`.
    pub sub_element: String,
    /// As configured (1 when the profile does not weigh this level).
    pub weight: Ratio,
    /// The weight renormalised over the inspected sub-elements of the element (pᵢ); absent when
    /// this sub-element was not inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Ratio>,
    /// Rules that ran (passed or failed).
    pub rules_run: Vec<String>,
    /// Rules that did not run or were not applicable: they inspected nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_not_inspected: Vec<String>,
    /// Defects of its failed rules by class, one per finding or one per failed rule as
    /// `Grading::count` says.
    pub defects: Defects,
    /// 42·A + (12·B + 4·C + 1·D)/t.
    pub deduction: Ratio,
    /// S₁ = 100 − deduction; absent when no rule of the sub-element ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Ratio>,
}

impl SubElementScore {
    /// Formula (4) with this sub-element's numbers, as the Markdown and HTML reports print it;
    /// `None` when it was not inspected.
    pub fn computation(&self, t: Ratio) -> Option<String> {
        let d = &self.defects;
        self.score.map(|v| {
            format!(
                "S₁ = 100 − 42×{} − (12×{} + 4×{} + 1×{})/{} = {}",
                d.a,
                d.b,
                d.c,
                d.d,
                t,
                super::markdown::exact(v)
            )
        })
    }
}

/// One quality element's weight and score S₂ with its sub-elements: an entry of `grading.elements`
/// in report.json.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ElementScore {
    /// The element's name in GB/T 24356-2023, e.g. `完整性`.
    pub element: String,
    /// As configured in the profile's `grading.weights` (1 when the profile does not weigh
    /// elements).
    pub weight: Ratio,
    /// Pⱼ, renormalised over the inspected elements; absent when the element was not inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Ratio>,
    /// S₂ = Σ S₁ᵢ·pᵢ; absent when none of its sub-elements was inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Ratio>,
    /// Its sub-elements that have rules, by name; empty when no rule is graded under the element.
    pub sub_elements: Vec<SubElementScore>,
}

/// The whole computation of a unit's grade.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Grading {
    /// Formula (4) as text (`FORMULA`), printed above the computation in report.md and report.html.
    #[serde(skip_deserializing, default = "formula")]
    pub formula: &'static str,
    /// The divisor t of formula (4), from the profile's `grading.t`: 1 unless the client agrees
    /// otherwise (6.2.4.2).
    pub t: Ratio,
    /// What one defect is: a finding (`findings`) or a failed rule (`rules`), from the profile's
    /// `grading.count`.
    pub count: CountMode,
    /// Every element of the standard, inspected or not, in the standard's order.
    pub elements: Vec<ElementScore>,
    /// S = Σ S₂ⱼ·Pⱼ; absent when nothing was inspected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Ratio>,
    /// The unit's grade: by `score` (表3) when `reasons` is empty, else 不合格.
    pub grade: Grade,
    /// Why the unit is 不合格, in Chinese; empty otherwise.
    pub reasons: Vec<String>,
}

/// `formula` of a report read back: the one formula this nrqc grades by, [`FORMULA`].
fn formula() -> &'static str {
    FORMULA
}

/// Grades the results of one inspection under `profile`.
pub fn grade(results: &[RuleResult], profile: &Profile) -> Grading {
    let settings = &profile.grading;
    let mut reasons = Vec::new();
    let mut elements = match score_elements(results, profile) {
        Ok(e) => e,
        Err(Overflow) => {
            reasons.push("得分计算超出精确运算范围（请检查方案的权重与 t）".into());
            vec![]
        }
    };
    let score = unit_score(&mut elements).unwrap_or_else(|Overflow| {
        reasons.push("单位成果得分计算超出精确运算范围".into());
        None
    });

    let a: Vec<String> = results
        .iter()
        .filter(|r| r.class == DefectClass::A && r.defects(profile) > 0)
        .map(|r| format!("{}（{} 处）", r.id, r.defects(profile)))
        .collect();
    if !a.is_empty() {
        reasons.push(format!("存在 A 类错漏：{}", a.join("、")));
    }
    let sixty = Ratio::int(60);
    for e in &elements {
        for s in &e.sub_elements {
            if s.score.is_some_and(|v| v < sixty) {
                reasons.push(format!(
                    "子元素 {}/{} 得分 {} < 60",
                    e.element,
                    s.sub_element,
                    approx(s.score)
                ));
            }
        }
        if e.score.is_some_and(|v| v < sixty) {
            reasons.push(format!(
                "质量元素 {} 得分 {} < 60",
                e.element,
                approx(e.score)
            ));
        }
    }
    if score.is_some_and(|v| v < sixty) {
        reasons.push(format!("单位成果得分 {} < 60", approx(score)));
    }
    let not_run: Vec<&str> = results
        .iter()
        .filter(|r| r.status == Status::NotRun)
        .map(|r| r.id.as_str())
        .collect();
    if !not_run.is_empty() {
        reasons.push(format!(
            "规则 {} 未运行，未检查的内容不能判定合格",
            not_run.join("、")
        ));
    }
    if score.is_none() && reasons.is_empty() {
        reasons.push("没有运行任何规则，无从评分".into());
    }
    let grade = match score {
        Some(s) if reasons.is_empty() => Grade::of_score(s),
        _ => Grade::Unqualified,
    };
    Grading {
        formula: FORMULA,
        t: settings.t,
        count: settings.count,
        elements,
        score,
        grade,
        reasons,
    }
}

fn approx(v: Option<Ratio>) -> String {
    v.map_or_else(|| "—".into(), |v| v.to_decimal(2))
}

/// Sub-element and element scores, with shares renormalised over what was inspected.
fn score_elements(
    results: &[RuleResult],
    profile: &Profile,
) -> Result<Vec<ElementScore>, Overflow> {
    let settings = &profile.grading;
    // element → sub-element → its rules
    let mut grouped: BTreeMap<&str, BTreeMap<&str, Vec<&RuleResult>>> = BTreeMap::new();
    for r in results {
        grouped
            .entry(r.element.as_str())
            .or_default()
            .entry(r.sub_element.as_str())
            .or_default()
            .push(r);
    }
    let mut elements = Vec::new();
    for &element in ELEMENTS {
        let mut subs = Vec::new();
        for (&sub, rules) in grouped.get(element).into_iter().flatten() {
            subs.push(score_sub_element(element, sub, rules, profile)?);
        }
        renormalise(
            subs.iter_mut()
                .map(|s| (s.weight, s.score.is_some(), &mut s.share)),
        )?;
        let mut score = None;
        for s in &subs {
            if let (Some(v), Some(p)) = (s.score, s.share) {
                score = Some(
                    score
                        .unwrap_or(Ratio::ZERO)
                        .checked_add(v.checked_mul(p)?)?,
                );
            }
        }
        elements.push(ElementScore {
            element: element.to_owned(),
            // Validation guarantees a configured level names every element with rules; an
            // element without rules is never inspected, so its weight only shows.
            weight: settings.weights.element(element).unwrap_or(Ratio::ONE),
            share: None,
            score,
            sub_elements: subs,
        });
    }
    Ok(elements)
}

fn score_sub_element(
    element: &str,
    sub: &str,
    rules: &[&RuleResult],
    profile: &Profile,
) -> Result<SubElementScore, Overflow> {
    let settings = &profile.grading;
    let mut defects = Defects::default();
    let mut rules_run = Vec::new();
    let mut rules_not_inspected = Vec::new();
    for r in rules {
        match r.status {
            Status::Passed => rules_run.push(r.id.clone()),
            Status::Failed => {
                rules_run.push(r.id.clone());
                let n = match settings.count {
                    CountMode::Findings => r.defects(profile),
                    CountMode::Rules => usize::from(r.defects(profile) > 0),
                };
                defects.add(r.class, n);
            }
            Status::NotRun | Status::NotApplicable => rules_not_inspected.push(r.id.clone()),
        }
    }
    let count = |c: DefectClass| Ratio::int(defects.get(c) as i128);
    let mut divided = Ratio::ZERO;
    for class in [DefectClass::B, DefectClass::C, DefectClass::D] {
        divided = divided.checked_add(count(class).checked_mul(Ratio::int(deduction(class)))?)?;
    }
    let deduction = count(DefectClass::A)
        .checked_mul(Ratio::int(deduction(DefectClass::A)))?
        .checked_add(divided.checked_div(settings.t)?)?;
    let score = if rules_run.is_empty() {
        None
    } else {
        Some(Ratio::int(100).checked_sub(deduction)?)
    };
    Ok(SubElementScore {
        sub_element: sub.to_owned(),
        weight: settings
            .weights
            .sub_element(element, sub)
            .unwrap_or(Ratio::ONE),
        share: None,
        rules_run,
        rules_not_inspected,
        defects,
        deduction,
        score,
    })
}

/// S = Σ S₂ⱼ·Pⱼ over the inspected elements.
fn unit_score(elements: &mut [ElementScore]) -> Result<Option<Ratio>, Overflow> {
    renormalise(
        elements
            .iter_mut()
            .map(|e| (e.weight, e.score.is_some(), &mut e.share)),
    )?;
    let mut score = None;
    for e in elements.iter() {
        if let (Some(v), Some(p)) = (e.score, e.share) {
            score = Some(
                score
                    .unwrap_or(Ratio::ZERO)
                    .checked_add(v.checked_mul(p)?)?,
            );
        }
    }
    Ok(score)
}

/// Sets each inspected part's share to its weight over the sum of the inspected parts' weights
/// (6.2.3: when only part is inspected, the weights are renormalised per level).
fn renormalise<'a>(
    parts: impl Iterator<Item = (Ratio, bool, &'a mut Option<Ratio>)>,
) -> Result<(), Overflow> {
    let parts: Vec<_> = parts.filter(|(_, inspected, _)| *inspected).collect();
    let mut total = Ratio::ZERO;
    for (w, _, _) in &parts {
        total = total.checked_add(*w)?;
    }
    for (w, _, share) in parts {
        *share = Some(w.checked_div(total)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::{Grading as Settings, Weights};

    fn rule(id: &str, element: &str, sub: &str, class: DefectClass, n: usize) -> RuleResult {
        rule_with(
            id,
            element,
            sub,
            class,
            n,
            if n == 0 {
                Status::Passed
            } else {
                Status::Failed
            },
        )
    }

    fn rule_with(
        id: &str,
        element: &str,
        sub: &str,
        class: DefectClass,
        findings: usize,
        status: Status,
    ) -> RuleResult {
        RuleResult {
            id: id.into(),
            title: String::new(),
            kind: "not_null".into(),
            class,
            element: element.into(),
            sub_element: sub.into(),
            basis: None,
            status,
            reason: None,
            notes: vec![],
            coverage: Default::default(),
            findings,
            excepted: 0,
            elapsed_ms: 0.0,
        }
    }

    fn profile(grading: Settings) -> Profile {
        Profile {
            name: "test".into(),
            title: String::new(),
            description: String::new(),
            fail_on: DefectClass::B,
            warn: vec![],
            cross_package: false,
            exceptions: Default::default(),
            grading,
        }
    }

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    use DefectClass::{A, B, C, D};

    #[test]
    fn formula_4_with_t() {
        let results = [
            rule("R1", "完整性", "遗漏", B, 2),
            rule("R2", "完整性", "遗漏", C, 1),
            rule("R3", "完整性", "遗漏", D, 3),
        ];
        let g = grade(&results, &profile(Settings::default()));
        let sub = &g.elements[4].sub_elements[0];
        assert_eq!(
            sub.defects,
            Defects {
                a: 0,
                b: 2,
                c: 1,
                d: 3
            }
        );
        assert_eq!(sub.deduction, Ratio::int(31));
        assert_eq!(g.score, Some(Ratio::int(69)));
        assert_eq!(g.grade, Grade::Qualified);

        let halved = Settings {
            t: Ratio::int(2),
            ..Settings::default()
        };
        let g = grade(&results, &profile(halved));
        assert_eq!(g.score, Some(r(169, 2)));
        assert_eq!(g.grade, Grade::Good);
    }

    #[test]
    fn an_a_defect_fails_the_unit_whatever_the_average() {
        // One A in one of five otherwise perfect elements: S = (58 + 4·100)/5 = 91.6, still 不合格.
        let results = [
            rule("R1", "完整性", "遗漏", A, 1),
            rule("R2", "空间参考系", "坐标系统", B, 0),
            rule("R3", "属性精度", "代码", B, 0),
            rule("R4", "面积精度", "面积", B, 0),
            rule("R5", "逻辑一致性", "拓扑", B, 0),
        ];
        let t2 = Settings {
            t: Ratio::int(2),
            ..Settings::default()
        };
        let g = grade(&results, &profile(t2));
        // 42 is not divided by t.
        assert_eq!(g.elements[4].sub_elements[0].score, Some(Ratio::int(58)));
        assert_eq!(g.score, Some(r(458, 5)));
        assert_eq!(g.grade, Grade::Unqualified);
        assert!(g.reasons[0].contains("A 类错漏：R1"), "{:?}", g.reasons);
    }

    #[test]
    fn weights_renormalise_over_what_was_inspected() {
        // 面积精度 has only a rule for an optional layer the package lacks: it is left out, and
        // the configured weights 1 : 3 of the other two become 1/4 and 3/4.
        let results = [
            rule("R1", "完整性", "遗漏", C, 1),
            rule("R2", "逻辑一致性", "拓扑", B, 1),
            rule("R3", "逻辑一致性", "标识码", B, 0),
            rule_with("R4", "面积精度", "面积", B, 0, Status::NotApplicable),
        ];
        let mut elements = BTreeMap::new();
        elements.insert("完整性".to_owned(), Ratio::int(1));
        elements.insert("逻辑一致性".to_owned(), Ratio::int(3));
        elements.insert("面积精度".to_owned(), Ratio::int(6));
        let mut subs = BTreeMap::new();
        subs.insert(
            "逻辑一致性".to_owned(),
            BTreeMap::from([
                ("拓扑".to_owned(), r(3, 10)),
                ("标识码".to_owned(), r(1, 10)),
            ]),
        );
        let settings = Settings {
            weights: Weights {
                elements,
                sub_elements: subs,
            },
            ..Settings::default()
        };
        let g = grade(&results, &profile(settings));
        let logic = g
            .elements
            .iter()
            .find(|e| e.element == "逻辑一致性")
            .unwrap();
        // p = 0.3/0.4 and 0.1/0.4; S₂ = 88·3/4 + 100·1/4 = 91.
        let shares: Vec<_> = logic.sub_elements.iter().map(|s| s.share).collect();
        assert_eq!(shares, vec![Some(r(3, 4)), Some(r(1, 4))]);
        assert_eq!(logic.score, Some(Ratio::int(91)));
        let area = g.elements.iter().find(|e| e.element == "面积精度").unwrap();
        assert_eq!((area.score, area.share), (None, None));
        assert_eq!(logic.share, Some(r(3, 4)));
        // S = 96·1/4 + 91·3/4 = 369/4 = 92.25.
        assert_eq!(g.score, Some(r(369, 4)));
        assert_eq!(g.grade, Grade::Excellent);
    }

    #[test]
    fn boundaries_are_exact() {
        // Two equal sub-elements, 100 and 80: S = 90 exactly is 优.
        let at = [
            rule("R1", "完整性", "甲", B, 0),
            rule("R2", "完整性", "乙", C, 5),
        ];
        assert_eq!(
            grade(&at, &profile(Settings::default())).grade,
            Grade::Excellent
        );
        // One D more: 100·1/2 + 79·1/2 = 89.5 is 良.
        let below = [
            rule("R1", "完整性", "甲", B, 0),
            rule("R2", "完整性", "乙", C, 5),
            rule("R3", "完整性", "乙", D, 1),
        ];
        let g = grade(&below, &profile(Settings::default()));
        assert_eq!((g.score, g.grade), (Some(r(179, 2)), Grade::Good));
        // A sub-element below 60 fails the unit even when the average is 80.
        let low = [
            rule("R1", "完整性", "甲", B, 0),
            rule("R2", "完整性", "乙", B, 4),
        ];
        let g = grade(&low, &profile(Settings::default()));
        assert_eq!(
            (g.score, g.grade),
            (Some(Ratio::int(76)), Grade::Unqualified)
        );
        // No floor at 0.
        let g = grade(
            &[rule("R1", "完整性", "甲", B, 10)],
            &profile(Settings::default()),
        );
        assert_eq!(g.score, Some(Ratio::int(-20)));
    }

    /// The case: 40 B defects in one sub-element. Formula (4) has no lower bound and no
    /// clause of GB/T 24356-2023 6.2 clamps a score, so S₁ = 100 − 12×40 = −380 is kept, carried
    /// into S₂ and S as it is, and the unit is 不合格 by 6.2.5 (a sub-element below 60); a floor at
    /// 0 would change the numbers shown and no grade.
    #[test]
    fn a_sub_element_below_zero_is_kept_as_formula_4_gives_it() {
        let results = [
            rule("R1", "完整性", "甲", B, 40),
            rule("R2", "完整性", "乙", B, 0),
            rule("R3", "属性精度", "丙", C, 0),
        ];
        let g = grade(&results, &profile(Settings::default()));
        let complete = g.elements.iter().find(|e| e.element == "完整性").unwrap();
        let low = complete
            .sub_elements
            .iter()
            .find(|s| s.sub_element == "甲")
            .unwrap();
        assert_eq!(low.deduction, Ratio::int(480));
        assert_eq!(low.score, Some(Ratio::int(-380)));
        // S₂ = (−380 + 100)/2, S = (−140 + 100)/2.
        assert_eq!(complete.score, Some(Ratio::int(-140)));
        assert_eq!(g.score, Some(Ratio::int(-20)));
        assert_eq!(g.grade, Grade::Unqualified);
        assert_eq!(
            g.reasons,
            [
                "子元素 完整性/甲 得分 -380.00 < 60",
                "质量元素 完整性 得分 -140.00 < 60",
                "单位成果得分 -20.00 < 60"
            ]
        );
    }

    #[test]
    fn a_rule_that_did_not_run_forbids_a_pass() {
        let results = [
            rule("R1", "完整性", "遗漏", B, 0),
            rule_with("R2", "完整性", "遗漏", B, 0, Status::NotRun),
        ];
        let g = grade(&results, &profile(Settings::default()));
        assert_eq!(g.score, Some(Ratio::int(100)));
        assert_eq!(g.grade, Grade::Unqualified);
        assert!(g.reasons[0].contains("R2 未运行"), "{:?}", g.reasons);
        // Nothing inspected at all: no score, and no pass.
        let g = grade(
            &[rule_with(
                "R1",
                "完整性",
                "遗漏",
                B,
                0,
                Status::NotApplicable,
            )],
            &profile(Settings::default()),
        );
        assert_eq!((g.score, g.grade), (None, Grade::Unqualified));
    }

    #[test]
    fn counting_by_rule_counts_a_failed_rule_once() {
        let results = [rule("R1", "完整性", "遗漏", C, 5)];
        let by_finding = grade(&results, &profile(Settings::default()));
        assert_eq!(by_finding.score, Some(Ratio::int(80)));
        let by_rule = grade(
            &results,
            &profile(Settings {
                count: CountMode::Rules,
                ..Settings::default()
            }),
        );
        assert_eq!(by_rule.score, Some(Ratio::int(96)));
    }
}
