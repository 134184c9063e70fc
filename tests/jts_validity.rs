//! Conformance with JTS's validity test suite (`shared/data/jts-validity`, see its README):
//! every case's verdict must match JTS's, except the cases listed in `KNOWN_DISAGREEMENTS`,
//! and that list must be exact.

use std::fs;
use std::str::FromStr;

use geo::{Geometry, MapCoords};
use nrqc::geom::validity::{is_valid, validate, validate_ring, Reason};

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/jts-validity");

/// The suite's files and how many cases each holds, so a parsing slip cannot shrink the run.
const FILES: [(&str, usize); 3] = [
    ("TestValid.xml", 87),
    ("TestValid2.xml", 752),
    ("TestInvalidA.xml", 75),
];

/// Cases whose verdict knowingly differs from JTS: (file, description, why).
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[];

/// The `wkt` crate cannot read `NaN`, which the suite uses for invalid coordinates; it is read
/// as this value instead and turned back into NaN.
const NAN_STAND_IN: &str = "-7.7e307";

struct Case {
    file: &'static str,
    desc: String,
    wkt: String,
    valid: bool,
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let from = text.find(open)? + open.len();
    let to = from + text[from..].find(close)?;
    Some(&text[from..to])
}

fn load() -> Vec<Case> {
    let mut cases = Vec::new();
    for (file, count) in FILES {
        let path = format!("{SUITE}/{file}");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {path}: {e}. The JTS validity suite lives in shared/data/jts-validity \
                 beside the checkout; this test needs it there."
            )
        });
        // Coordinates are taken as written, which is right only for floating precision.
        for model in text.split("<precisionModel").skip(1) {
            let model = &model[..model.find('>').unwrap_or(model.len())];
            assert!(
                model.contains("FLOATING"),
                "{file}: precision model {model}"
            );
        }
        let before = cases.len();
        for block in text.split("<case>").skip(1) {
            let field = |open, close| {
                between(block, open, close)
                    .unwrap_or_else(|| panic!("{file}: a case without {open}: {block}"))
            };
            let verdict = field("<op", "</op>");
            let verdict = verdict[verdict.find('>').expect("op tag closes") + 1..].trim();
            cases.push(Case {
                file,
                desc: field("<desc>", "</desc>").trim().to_string(),
                wkt: field("<a>", "</a>").trim().to_string(),
                valid: match verdict {
                    "true" => true,
                    "false" => false,
                    other => panic!("{file}: unexpected isValid expectation {other:?}"),
                },
            });
        }
        assert_eq!(cases.len() - before, count, "{file}: case count");
    }
    cases
}

fn parse(wkt: &str) -> Geometry<f64> {
    assert!(
        !wkt.contains(NAN_STAND_IN),
        "the NaN stand-in occurs in {wkt}"
    );
    let text = wkt.replace("NaN", NAN_STAND_IN);
    let parsed = wkt::Wkt::<f64>::from_str(&text).unwrap_or_else(|e| panic!("{wkt}: {e}"));
    let g: Geometry<f64> = parsed.try_into().unwrap_or_else(|e| panic!("{wkt}: {e:?}"));
    let nan = f64::from_str(NAN_STAND_IN).expect("a number");
    let restore = |v: f64| if v == nan { f64::NAN } else { v };
    g.map_coords(|c| geo::coord! { x: restore(c.x), y: restore(c.y) })
}

/// Our verdict and first reason. `LINEARRING` has no geo-types counterpart: `wkt` reads it as a
/// line string, which is checked as a bare ring.
fn judge(case: &Case) -> (bool, Option<Reason>) {
    let g = parse(&case.wkt);
    if case.wkt.to_ascii_uppercase().starts_with("LINEARRING") {
        let Geometry::LineString(ring) = g else {
            panic!("{}: LINEARRING read as {g:?}", case.desc)
        };
        let found = validate_ring(&ring);
        return (found.is_empty(), found.first().map(|x| x.reason));
    }
    let found = validate(&g);
    assert_eq!(
        is_valid(&g),
        found.is_empty(),
        "{}: is_valid disagrees with validate",
        case.desc
    );
    (found.is_empty(), found.first().map(|x| x.reason))
}

/// TestValid.xml names the error JTS reports in parentheses at the end of each invalid case's
/// description.
fn named_reasons(desc: &str) -> Option<&'static [Reason]> {
    let named = desc.trim_end_matches(')').rsplit('(').next()?;
    Some(match named.trim() {
        "too few distinct points" => &[Reason::TooFewPoints],
        // JTS names a ring touching itself "Ring Self-intersection".
        "self-intersection" => &[Reason::SelfIntersection, Reason::RingSelfIntersection],
        "hole outside shell" => &[Reason::HoleOutsideShell],
        "nested holes" => &[Reason::NestedHoles],
        "interior disconnected" => &[Reason::DisconnectedInterior],
        "nested shells" => &[Reason::NestedShells],
        _ => return None,
    })
}

#[test]
fn agrees_with_jts_validity_suite() {
    let cases = load();
    let mut disagreements = Vec::new();
    let mut wrong_reasons = Vec::new();
    for case in &cases {
        let (valid, reason) = judge(case);
        if valid != case.valid {
            disagreements.push((case.file, case.desc.as_str(), case.valid, reason));
        }
        if let (Some(reason), Some(named)) = (reason, named_reasons(&case.desc)) {
            if case.file == "TestValid.xml" && !named.contains(&reason) {
                wrong_reasons.push((case.desc.as_str(), reason));
            }
        }
    }
    let agree = cases.len() - disagreements.len();
    println!("{agree}/{} agree with JTS", cases.len());

    let listed = |file: &str, desc: &str| {
        KNOWN_DISAGREEMENTS
            .iter()
            .any(|&(f, d, _)| f == file && d == desc)
    };
    let unlisted: Vec<_> = disagreements
        .iter()
        .filter(|(file, desc, ..)| !listed(file, desc))
        .collect();
    let healed: Vec<_> = KNOWN_DISAGREEMENTS
        .iter()
        .filter(|(file, desc, _)| {
            !disagreements
                .iter()
                .any(|(f, d, ..)| f == file && d == desc)
        })
        .collect();
    assert!(
        unlisted.is_empty() && healed.is_empty(),
        "disagreements not in KNOWN_DISAGREEMENTS (file, case, JTS valid, our first reason): \
         {unlisted:#?}\nlisted but now agreeing, remove them: {healed:#?}"
    );
    assert!(
        wrong_reasons.is_empty(),
        "first reason differs from the one the case names: {wrong_reasons:#?}"
    );
}
