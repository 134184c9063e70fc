//! Writes the test fixtures: a synthetic but realistic survey package (成果包) for each of the
//! eight counties of 临夏回族自治州, a copy of each with injected defects, and the ground truth
//! of what the built-in rules must find in it.
//!
//! ```text
//! cargo run --example gen_fixtures [OUT_DIR]        # OUT_DIR defaults to fixtures/
//! cargo run --example gen_fixtures -- --scale N DIR # one large clean package, see [`scale`]
//! ```
//!
//! For each county of [`counties::COUNTIES`] (622901 临夏市 … 622927 积石山县) it writes, per
//! `shared/docs/package-format.md`:
//!
//! - `<code>_<name>/`: `package.yaml`; `vector/XZQ.fgb` (the county, an irregular outline at
//!   its real position), `vector/ZRZYDJDY.fgb` (registration units of the region's kinds:
//!   rivers, the 刘家峡 reservoir, the 黄河三峡 wetland reserve, forest parks, a geopark, forest,
//!   grassland, wetland and wasteland units, mineral units), `vector/ZRZK.fgb` (parcels tiling
//!   each unit exactly), `vector/STBHHX.geojson` (red-line zones), `vector/YJJBNT.fgb`
//!   (farmland clear of the units), `vector/KCZY.fgb`, `vector/CKQ.fgb` and `tables/KYQ.csv`
//!   (deposits, mining rights and licence links, where the county has minerals),
//!   `tables/GGGZ.csv` (one row per unit and red-line overlap, with the overlap's area as
//!   nrqc's overlay measures it) and `tables/TJ_ZRZYMJ.csv` (the parcels' areas per unit type
//!   in 公顷, balanced by 强制调平). Tables are GBK. 广河县 also delivers `docs/`: a register
//!   book (`<unit code>_登记簿.pdf`) and a map (`<unit code>_附图.jpg`) for each unit but the
//!   mineral ones, placeholder files that nrqc matches by name. A forest, grassland or wasteland
//!   unit holds state or collective land, not both. No built-in rule fires on it.
//! - `<code>_<name>_defective/`: the same package with the defects of [`defects`] applied
//!   (永靖县's in `defects/yongjing.rs`, the others' in `defects/others.rs`).
//!   Each defect names every finding it causes: the rule it targets, and the area, statistics
//!   and topology rules that see its consequences. New features are appended after every
//!   existing one, so no earlier fid moves.
//! - `<code>_<name>_defective.truth.yaml`: one entry per expected finding (rule, layer, 0-based
//!   fids, keys, and a note naming the defect), and under `not_run` every rule the defects stop
//!   from running (a field or layer it reads is gone, or it can measure no feature of a layer)
//!   with the reason the report gives; read by `tests/common`.
//! - `622923_永靖县_missing_layers/` and its truth: 永靖县 delivered without its five required
//!   layers and tables (ZR-S001–S005), see [`defects::incomplete`]. A missing required layer
//!   stops every rule reading it, and the eight packages' other defects are about those layers,
//!   so these defects have a package of their own.
//!
//! Together the defective packages reach every built-in rule with at least one finding.
//!
//! Counties west of 103.5°E are in CGCS2000 / 3-degree Gauss-Krüger zone 34 (EPSG:4522), 康乐
//! and 广河 in zone 35 (EPSG:4523), coordinates zone-prefixed. 太子山国家级自然保护区 crosses
//! counties: 和政县 delivers it once, with the prefecture's code 622900, and its outline runs
//! past 和政's boundary. A deposit inside a protected area is no unit of its own: KCZY records
//! it with that unit's code.
//!
//! Clean by construction: vertices are whole millimetres, so the parcels of a unit share
//! bit-identical edges; every area is the official ellipsoidal area of `nrqc::geom::area`,
//! rounded to the nearest 0.01 m² ([`shape::parcel_cents`]) and summed in integer hundredths
//! so that every unit total adds up exactly; DLBM agrees with ZYLX (package format 4.3); unit codes are the registering
//! area's code, the DJDYLX and a sequence. The shapes come from a per-county fixed-seed PRNG
//! (splitmix64): every run writes the same bytes.

mod build;
mod counties;
mod defects;
mod model;
mod scale;
mod shape;
mod write;

use std::path::Path;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n, dir] = &args[..] {
        if flag == "--scale" {
            let n: usize = n.parse().expect("--scale takes a number of parcels");
            let start = std::time::Instant::now();
            let (parcels, units) = scale::write_scaled(n, Path::new(dir))?;
            eprintln!(
                "{parcels} parcels in {units} units written to {dir} in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
    }
    let out = match &args[..] {
        [] => "fixtures",
        [dir] if !dir.starts_with('-') => dir,
        _ => {
            eprintln!("usage: gen_fixtures [OUT_DIR] | gen_fixtures --scale N OUT_DIR");
            std::process::exit(2);
        }
    };
    let out = Path::new(out);
    for county in counties::COUNTIES {
        let clean = build::build_clean(county);
        let mut defective = clean.clone();
        let findings = defects::inject(&mut defective);
        let name = county.dir_name();
        write::write_package(&out.join(&name), &clean)?;
        write_defective(out, &format!("{name}_defective"), &defective, &findings)?;
    }
    let mut incomplete = build::build_clean(&counties::YONGJING);
    let findings = defects::incomplete::without_required_layers(&mut incomplete);
    let name = format!("{}_missing_layers", counties::YONGJING.dir_name());
    write_defective(out, &name, &incomplete, &findings)
}

/// Writes a defective package and its ground truth beside it.
fn write_defective(
    out: &Path,
    name: &str,
    package: &model::Package,
    findings: &[defects::Finding],
) -> std::io::Result<()> {
    write::write_package(&out.join(name), package)?;
    let truth = write::truth_yaml(name, package, findings);
    std::fs::write(out.join(format!("{name}.truth.yaml")), truth)
}
