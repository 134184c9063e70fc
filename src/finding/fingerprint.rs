//! A finding's identity across runs, so that an exception or an earlier report can name it.
//!
//! The fingerprint hashes what a producer's fix leaves unchanged when it does not fix the
//! defect, and nothing that depends on how a package was written or read:
//!
//! - the rule id, the layer or table, and the finding's `subject` (a table's column, a CRS
//!   finding's reason);
//! - the key of each feature or row (BSM, ZRZYDJDYH, HXBM, a statistics table's row name), in
//!   sorted order, never its FID: FIDs follow file order, which a conversion or a re-export
//!   changes;
//! - the same for the other side of a pair finding (`related`).
//!
//! A feature without a key (its layer has no key in the schema, or the key is empty) is named by
//! its geometry instead: the multiset of its vertices rounded to the millimetre, which neither
//! ring orientation nor the starting vertex changes. Only a feature with neither falls back to
//! its FID. Measured values are not hashed: a total that is still wrong after a re-delivery,
//! by another amount, is the same open defect.
//!
//! Findings of one rule that share all of this (two findings about one feature that name no
//! subject) are told apart by a suffix, `-2`, `-3`…, in the order of their messages.

use std::collections::BTreeMap;

use geo::{CoordsIter, Geometry};
use sha2::{Digest, Sha256};

use super::{FeatureId, Finding};

/// Hex digits of the SHA-256 a fingerprint keeps: 64 bits, so that two defects of one package
/// share one with a chance below 10⁻⁹ even at a million findings.
const DIGITS: usize = 16;

/// Gives every finding of `findings` its fingerprint, unique among them.
pub fn assign(findings: &mut [Finding]) {
    let bases: Vec<String> = findings.iter().map(base).collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, b) in bases.iter().enumerate() {
        groups.entry(b).or_default().push(i);
    }
    let mut named = vec![String::new(); findings.len()];
    for (b, mut members) in groups {
        // By what the findings say, not the order the check met them, which follows the file.
        members.sort_by(|&x, &y| {
            let key = |i: usize| {
                (
                    &findings[i].message,
                    findings[i].measured.as_ref().map(|v| v.to_string()),
                )
            };
            key(x).cmp(&key(y))
        });
        for (n, i) in members.into_iter().enumerate() {
            named[i] = if n == 0 {
                b.to_owned()
            } else {
                format!("{b}-{}", n + 1)
            };
        }
    }
    for (f, name) in findings.iter_mut().zip(named) {
        f.fingerprint = name;
    }
}

/// The fingerprint of `f` before any suffix.
fn base(f: &Finding) -> String {
    let mut text = String::new();
    let mut field = |s: &str| {
        text.push_str(s);
        text.push('\u{1f}');
    };
    field(&f.rule_id);
    field(&f.layer);
    field(f.subject.as_deref().unwrap_or(""));
    let own_geometry = (f.feature_ids.len() == 1)
        .then_some(f.geometry.as_ref())
        .flatten();
    for id in names(&f.feature_ids, own_geometry) {
        field(&id);
    }
    if let Some(r) = &f.related {
        field("\u{1e}");
        field(&r.layer);
        for id in names(&r.feature_ids, None) {
            field(&id);
        }
    }
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = crate::hex(&digest);
    hex.truncate(DIGITS);
    hex
}

/// The stable names of `ids`, sorted: their keys; for one without a key, the geometry it was
/// found with (`geometry`, when the finding is about that one feature) or else its FID.
fn names(ids: &[FeatureId], geometry: Option<&Geometry<f64>>) -> Vec<String> {
    let mut names: Vec<String> = ids
        .iter()
        .map(|id| match (&id.key, geometry) {
            (Some(k), _) if !k.trim().is_empty() => format!("k:{k}"),
            (_, Some(g)) => format!("g:{}", vertices(g)),
            _ => format!("f:{}", id.fid),
        })
        .collect();
    names.sort();
    names
}

/// The vertices of `g` rounded to the millimetre, sorted: the same for a ring written clockwise
/// or counter-clockwise, from any starting vertex, by any format.
fn vertices(g: &Geometry<f64>) -> String {
    let mut coords: Vec<(i64, i64)> = g
        .coords_iter()
        // Rounded in the CRS's unit; in degrees (a geographic package) 1e-3 would merge
        // vertices 100 m apart, so degrees keep 1e-8 (about a millimetre).
        .map(|c| {
            let scale = if c.x.abs() <= 360.0 && c.y.abs() <= 360.0 {
                1e8
            } else {
                1e3
            };
            ((c.x * scale).round() as i64, (c.y * scale).round() as i64)
        })
        .collect();
    coords.sort_unstable();
    // A closed ring repeats its first vertex; where it starts must not matter.
    coords.dedup();
    let digest = Sha256::digest(format!("{coords:?}").as_bytes());
    crate::hex(&digest[..8])
}

#[cfg(test)]
mod tests {
    use geo::{polygon, Geometry};

    use super::{assign, base};
    use crate::finding::{FeatureId, Finding, Related};
    use crate::quality::DefectClass;

    fn finding(keys: &[(usize, Option<&str>)]) -> Finding {
        let ids = keys
            .iter()
            .map(|&(fid, key)| FeatureId {
                fid,
                key: key.map(str::to_owned),
            })
            .collect();
        Finding::new(
            "ZR-T105",
            DefectClass::B,
            "逻辑一致性",
            "ZRZK",
            ids,
            "m".into(),
        )
    }

    #[test]
    fn keys_not_fids_nor_order_name_a_finding() {
        let a = finding(&[(0, Some("K1")), (7, Some("K2"))]);
        let b = finding(&[(9, Some("K2")), (3, Some("K1"))]);
        assert_eq!(base(&a), base(&b));
        assert_ne!(
            base(&a),
            base(&finding(&[(0, Some("K1")), (7, Some("K3"))]))
        );
        let mut c = a.clone();
        c.rule_id = "ZR-T108".into();
        assert_ne!(base(&a), base(&c));
        let mut d = a.clone();
        d.subject = Some("HJ".into());
        assert_ne!(base(&a), base(&d));
        let mut e = a.clone();
        e.related = Some(Related {
            layer: "ZRZK".into(),
            feature_ids: vec![FeatureId {
                fid: 2,
                key: Some("K9".into()),
            }],
        });
        assert_ne!(base(&a), base(&e));
        // Measured values and messages are not identity.
        let mut m = a.clone();
        m.message = "other".into();
        m.measured = Some(serde_json::json!(1.5));
        assert_eq!(base(&a), base(&m));
    }

    #[test]
    fn a_feature_without_a_key_is_named_by_its_vertices_in_any_ring_order() {
        let cw: Geometry<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 0.0)]
                .into();
        let ccw: Geometry<f64> =
            polygon![(x: 10.0, y: 10.0), (x: 0.0, y: 10.0), (x: 0.0, y: 0.0), (x: 10.0, y: 0.0)]
                .into();
        let a = finding(&[(0, None)]).with_geometry(Some(cw));
        let b = finding(&[(5, None)]).with_geometry(Some(ccw));
        assert_eq!(base(&a), base(&b));
        let moved: Geometry<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 0.01)]
                .into();
        assert_ne!(
            base(&a),
            base(&finding(&[(0, None)]).with_geometry(Some(moved)))
        );
    }

    #[test]
    fn findings_sharing_everything_hashed_get_suffixes_by_message() {
        let mut x = finding(&[(0, Some("K1"))]);
        x.message = "b".into();
        let mut y = finding(&[(1, Some("K1"))]);
        y.message = "a".into();
        let mut fs = vec![x, y];
        assign(&mut fs);
        let b = base(&fs[0]);
        assert_eq!(fs[1].fingerprint, b);
        assert_eq!(fs[0].fingerprint, format!("{b}-2"));
        assert_eq!(b.len(), 16);
    }
}
