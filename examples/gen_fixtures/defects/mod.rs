//! The defect injector: per county, a list of defects applied in order to a copy of the clean
//! package. Each defect edits the package and returns every finding the edit causes: the rule
//! it targets, and the area, statistics and topology rules that see its consequences.

pub mod incomplete;
mod others;
mod yongjing;

use geo::{BooleanOps, Geometry, Intersects, MultiPolygon, Polygon, Validation};
use nrqc::geom::area::geometry_area;
use nrqc::geom::crs::Crs;

use crate::build::{parcels, push_unit, statistics};
use crate::counties::UnitSpec;
use crate::model::Package;
use crate::shape::{crs_of, polygon, reproject, tile, to_mm, Mm, Ring, Rng};

/// An expected finding: the rule and the 0-based fids (CSV: data-row indices) it must report,
/// none for a finding on the layer as a whole. Or, with `not_run`, a rule the defect stops from
/// running: it reports nothing, and the report gives `not_run` as its reason.
#[derive(Clone)]
pub struct Finding {
    pub rule: String,
    pub layer: &'static str,
    pub fids: Vec<usize>,
    pub note: String,
    pub not_run: Option<String>,
}

/// Edits the package and returns every finding the edit causes.
pub type Defect = Box<dyn Fn(&mut Package) -> Vec<Finding>>;

/// Applies the county's defects in order and returns the findings they cause.
pub fn inject(package: &mut Package) -> Vec<Finding> {
    let plan = match package.county.code {
        "622923" => yongjing::defects(),
        code => others::defects(code),
    };
    plan.iter().flat_map(|defect| defect(package)).collect()
}

pub fn unit_code(package: &Package, unit: usize) -> String {
    package.units.text_at(unit, "ZRZYDJDYH").to_owned()
}

/// The fids of the parcels of `unit` whose `field` is `value`.
pub fn parcels_of(package: &Package, unit: usize, field: &str, value: &str) -> Vec<usize> {
    let code = unit_code(package, unit);
    let in_unit = package.parcels.find("ZRZYDJDYH", &code);
    let matching = package.parcels.find(field, value);
    in_unit
        .into_iter()
        .filter(|f| matching.contains(f))
        .collect()
}

pub fn finding(
    rule: impl Into<String>,
    layer: &'static str,
    fids: Vec<usize>,
    note: impl Into<String>,
) -> Finding {
    Finding {
        rule: rule.into(),
        layer,
        fids,
        note: note.into(),
        not_run: None,
    }
}

/// `rule` cannot run on `layer`, which the defect took away from it, for `reason`.
pub fn not_run(
    rule: impl Into<String>,
    layer: &'static str,
    reason: impl Into<String>,
    note: impl Into<String>,
) -> Finding {
    Finding {
        not_run: Some(reason.into()),
        ..finding(rule, layer, vec![], note)
    }
}

/// The report's reason for a rule that had to skip every feature of `layers` (joined with 、 in
/// the order the check measured them).
pub fn unmeasurable(layers: &str) -> String {
    format!("{layers} 的要素全部无法量算，未能检查")
}

/// The report's reason for a rule that reads a field its layer lacks.
pub fn missing_field(layer: &str, field: &str) -> String {
    format!("{layer} 缺少字段 {field}，无法检查")
}

pub fn unit_finding(rule: &'static str, unit: usize, note: impl Into<String>) -> Finding {
    finding(rule, "ZRZYDJDY", vec![unit], note)
}

pub fn parcel_finding(rule: &'static str, fid: usize, note: impl Into<String>) -> Finding {
    finding(rule, "ZRZK", vec![fid], note)
}

pub fn stats_finding(rule: &'static str, row: usize, note: impl Into<String>) -> Finding {
    finding(rule, "TJ_ZRZYMJ", vec![row], note)
}

pub fn stats_row(package: &Package, key: &str) -> usize {
    package.stats.find("DJDYLX", key)[0]
}

/// TJ_ZRZYMJ summarised again from the parcels as the defects before left them, as a producer
/// does: ZR-T002, which sums the same parcels, agrees with every figure.
pub fn summarise_parcels(package: &mut Package) {
    package.stats = statistics(&package.parcels, package.county.epsg);
}

pub fn package_crs(package: &Package) -> Crs {
    crs_of(package.county.epsg)
}

/// The ring with the first pair of consecutive vertices after the start whose swap makes it
/// self-intersect: a bowtie.
pub fn bowtie(ring: &[Mm]) -> Ring {
    (1..ring.len() - 1)
        .map(|i| {
            let mut swapped = ring.to_vec();
            swapped.swap(i, i + 1);
            swapped
        })
        .find(|swapped| !polygon(swapped).is_valid())
        .expect("some swap makes the ring self-intersect")
}

/// ZR-M005 allows n × 0.005 m² for the rounding of a unit's n parcels plus 1e-9 of its area,
/// so an error meant to show must clear that with a margin.
pub fn assert_m005_fires(package: &Package, unit: usize) {
    let ring = polygon(&package.units.rows[unit].ring);
    let area = geometry_area(&ring.into(), &package_crs(package));
    let declared = package.units.area_at(unit, "DJDYZMJ") as f64 / 100.0;
    assert!(
        (declared - area).abs() > 0.5,
        "unit {unit}: DJDYZMJ only {} m² off its area",
        declared - area
    );
}

/// A separate stream for the shapes of the topology defects, so that the clean package and the
/// earlier defects keep their bytes.
pub fn topology_rng(package: &Package, salt: u64) -> Rng {
    Rng(package.county.seed ^ (0x7070_0000 + salt))
}

/// The ellipsoidal area of an overlay result. geo's overlay snaps to a grid: on a part of a
/// few km² it can be 0.01 m² off the exact area (1e-7 relative), so the notes give such areas
/// to 0.1 m² only; nothing here depends on them more finely.
pub fn ellipsoidal(g: &MultiPolygon<f64>, crs: &Crs) -> f64 {
    geometry_area(&Geometry::MultiPolygon(g.clone()), crs)
}

/// The red-line zones in the package's CRS (a defect may deliver them in another) and the
/// farmland with its axes restored (a defect may swap them), to keep new shapes clear of both.
pub fn obstacles(package: &Package) -> Vec<Polygon<f64>> {
    let package_crs = package_crs(package);
    let zones_crs = crs_of(package.zones.epsg);
    let zones = package.zones.rows.iter().map(|row| {
        let ring = if package.zones.epsg == package.county.epsg {
            row.ring.clone()
        } else {
            reproject(&row.ring, &zones_crs, &package_crs)
        };
        polygon(&ring)
    });
    let farmland = package.farmland.rows.iter().map(|row| {
        let ring: Ring = row
            .ring
            .iter()
            .map(|&(a, b)| if a < b { (b, a) } else { (a, b) })
            .collect();
        polygon(&ring)
    });
    zones.chain(farmland).collect()
}

/// The first placement of `shape` (a ring around the origin) on `centres` that overlaps unit
/// `target` and no other unit, touches no red-line zone or farmland, and which `accept` takes
/// given its overlap with `target`, its area outside the county, and its own area.
pub fn place(
    package: &Package,
    shape: &[Mm],
    centres: impl Iterator<Item = (f64, f64)>,
    target: usize,
    accept: impl Fn(f64, f64, f64) -> bool,
) -> Ring {
    let crs = package_crs(package);
    let county = polygon(&package.xzq.rows[0].ring);
    let others = obstacles(package);
    for centre in centres {
        let offset = to_mm(centre.0, centre.1);
        let ring: Ring = shape
            .iter()
            .map(|&(x, y)| (x + offset.0, y + offset.1))
            .collect();
        let candidate = polygon(&ring);
        let own = geometry_area(&candidate.clone().into(), &crs);
        let hit = (0..package.units.rows.len())
            .filter(|&u| candidate.intersects(&polygon(&package.units.rows[u].ring)))
            .collect::<Vec<_>>();
        if hit != [target] || others.iter().any(|o| candidate.intersects(o)) {
            continue;
        }
        let target_polygon = polygon(&package.units.rows[target].ring);
        let shared = ellipsoidal(&candidate.intersection(&target_polygon), &crs);
        let out = ellipsoidal(&candidate.difference(&county), &crs);
        if accept(shared, out, own) {
            return ring;
        }
    }
    panic!("no placement of a new unit over unit {target}");
}

/// The ellipsoidal area of the overlap of two units.
pub fn unit_overlap(package: &Package, a: usize, b: usize) -> f64 {
    let (a, b) = (&package.units.rows[a].ring, &package.units.rows[b].ring);
    ellipsoidal(&polygon(a).intersection(&polygon(b)), &package_crs(package))
}

/// Candidate centres on rays from `from` (metres), every `step` metres out to `reach`, ray by
/// ray in the order of `angles` (degrees).
pub fn rays(from: (f64, f64), angles: &[f64], step: f64, reach: f64) -> Vec<(f64, f64)> {
    let mut centres = Vec::new();
    for &angle in angles {
        let (s, c) = angle.to_radians().sin_cos();
        let mut d = step;
        while d <= reach {
            centres.push((from.0 + d * c, from.1 + d * s));
            d += step;
        }
    }
    centres
}

/// Appends unit `spec` with outline `ring`, tiled by its own parcels (appended to ZRZK) with
/// every area field their sum, as the clean units are made. Returns the parcels' fids.
pub fn append_unit(
    package: &mut Package,
    spec: &'static UnitSpec,
    ring: &[Mm],
    rng: &mut Rng,
) -> Vec<usize> {
    let crs = package_crs(package);
    let (ring, slices) = tile(ring, spec.parcels.len(), rng);
    assert!(
        polygon(&ring).is_valid(),
        "new unit {} is invalid",
        spec.name
    );
    let code = spec.code(package.county.code);
    assert!(
        package.units.find("ZRZYDJDYH", &code).is_empty(),
        "unit code {code} taken"
    );
    let first = package.parcels.rows.len();
    let new = parcels(spec.parcels, slices, &crs);
    assert!(new.iter().all(|p| polygon(&p.ring).is_valid()));
    push_unit(package, spec, ring, new);
    (first..package.parcels.rows.len()).collect()
}

/// ZR-T105 findings for every earlier parcel that a new parcel of `name` overlaps by more than
/// 0.01 m²: the finding lies on the earlier (lower) fid, the new parcel is its `related`
/// feature. Overlaps must be clearly above or clearly below the threshold, never slivers near it.
pub fn parcel_overlaps(package: &Package, new: &[usize], name: &str, cause: &str) -> Vec<Finding> {
    let crs = package_crs(package);
    let mut findings = Vec::new();
    for &fid in new {
        let p = polygon(&package.parcels.rows[fid].ring);
        for earlier in 0..fid {
            let q = polygon(&package.parcels.rows[earlier].ring);
            if !p.intersects(&q) {
                continue;
            }
            assert!(
                q.is_valid(),
                "a new parcel meets the invalid parcel {earlier}"
            );
            let area = ellipsoidal(&p.intersection(&q), &crs);
            assert!(
                !(1e-6..=100.0).contains(&area),
                "overlap of {area} m² with parcel {earlier}"
            );
            if area > 0.01 {
                let note = format!(
                    "parcel {} ({} {}) overlaps {name}'s {} {} parcel {} (fid {fid}), its related \
                     feature, by about {:.1} m² ({cause})",
                    package.parcels.text_at(earlier, "BSM"),
                    package.parcels.text_at(earlier, "ZYLX"),
                    package.parcels.text_at(earlier, "DLBM"),
                    package.parcels.text_at(fid, "ZYLX"),
                    package.parcels.text_at(fid, "DLBM"),
                    package.parcels.text_at(fid, "BSM"),
                    area,
                );
                findings.push(parcel_finding("ZR-T105", earlier, note));
            }
        }
    }
    findings
}
