//! Building a county's clean package from its [`County`] description.

use std::collections::BTreeMap;

use geo::{Contains, Geometry, Intersects, Polygon, Validation};
use nrqc::geom::area::geometry_area;
use nrqc::geom::crs::Crs;
use nrqc::geom::topology::overlaps_between;

use crate::counties::{County, DepositSpec, Host, ParcelSpec, UnitSpec, SPECIAL};
use crate::model::{text, Layer, Package, Value, RED_LINE, RED_LINE_RULE, RESOURCE_TYPES};
use crate::model::{Row, STATS_COLUMNS};
use crate::shape::{crs_of, parcel_cents, polygon, ring_cents, star_ring, tile, Mm, Ring, Rng};

/// Where the county lies, in metres of its CRS.
pub struct Frame {
    pub centre: (f64, f64),
    pub half_width: f64,
    pub half_height: f64,
}

impl Frame {
    pub fn new(county: &County, crs: &Crs) -> Frame {
        let (lon, lat) = county.centre;
        let (west, _) = crs.from_lonlat(lon - county.half.0, lat);
        let (east, _) = crs.from_lonlat(lon + county.half.0, lat);
        let (_, south) = crs.from_lonlat(lon, lat - county.half.1);
        let (_, north) = crs.from_lonlat(lon, lat + county.half.1);
        Frame {
            centre: crs.from_lonlat(lon, lat),
            half_width: (east - west) / 2.0,
            half_height: (north - south) / 2.0,
        }
    }

    /// Size of a cell; 0.45 keeps the outer cells of a 3 × 3 grid well inside the outline.
    pub fn cell_size(&self) -> (f64, f64) {
        (0.45 * self.half_width, 0.45 * self.half_height)
    }

    /// A point given in cell units from the county centre.
    pub fn at(&self, (col, row): (f64, f64)) -> (f64, f64) {
        let (dx, dy) = self.cell_size();
        (self.centre.0 + col * dx, self.centre.1 + row * dy)
    }

    /// The county outline: 0.88–1 of the half-extents from the centre.
    pub fn outline(&self, rng: &mut Rng, vertices: u64) -> Ring {
        star_ring(
            rng,
            self.centre,
            self.half_width,
            self.half_height,
            vertices,
            0.88,
        )
    }
}

/// A parcel of a unit being built: what it is, its slice of the unit, its rounded area.
pub struct Parcel {
    pub spec: &'static ParcelSpec,
    pub ring: Ring,
    pub cents: i64,
}

/// `spec`'s parcels on the slices of a unit, with their areas rounded to add up.
pub fn parcels(specs: &'static [ParcelSpec], slices: Vec<Ring>, crs: &Crs) -> Vec<Parcel> {
    let cents = parcel_cents(&slices, crs);
    specs
        .iter()
        .zip(slices)
        .zip(cents)
        .map(|((spec, ring), cents)| Parcel { spec, ring, cents })
        .collect()
}

pub fn build_clean(county: &'static County) -> Package {
    let crs = crs_of(county.epsg);
    let frame = Frame::new(county, &crs);
    let mut rng = Rng(county.seed);
    let mut package = Package::new(county);

    let outline = frame.outline(&mut rng, county.outline_vertices);
    let dcmj = ring_cents(&outline, &crs);
    package.xzq.push(
        outline,
        vec![
            ("XZQDM", text(county.code)),
            ("XZQMC", text(county.name)),
            ("DCMJ", Value::Area(dcmj)),
        ],
    );

    if county.documents {
        package.documents = Some(Vec::new());
    }
    let (dx, dy) = frame.cell_size();
    for spec in county.units {
        let vertices = rng.int(spec.vertices.0, spec.vertices.1);
        let (rx, ry) = (spec.radii.0 * dx, spec.radii.1 * dy);
        let base = star_ring(&mut rng, frame.at(spec.at), rx, ry, vertices, 0.55);
        let (ring, slices) = tile(&base, spec.parcels.len(), &mut rng);
        push_unit(
            &mut package,
            spec,
            ring,
            parcels(spec.parcels, slices, &crs),
        );
    }

    for (n, spec) in county.zones.iter().enumerate() {
        let (rx, ry) = (spec.radii.0 * dx, spec.radii.1 * dy);
        let ring = star_ring(&mut rng, frame.at(spec.at), rx, ry, 12, 0.8);
        let cents = ring_cents(&ring, &crs);
        package.zones.push(
            ring,
            vec![
                ("HXBM", Value::Text(format!("{}1{:04}", county.code, n + 1))),
                ("HXMC", text(spec.hxmc)),
                ("HXLX", text(spec.hxlx)),
                ("MJ", Value::Area(cents)),
            ],
        );
    }
    package.links = red_line_links(&package, &crs);
    for special in SPECIAL.iter().filter(|s| s.county == county.code) {
        let unit_area = match package.units.get(special.unit, "DJDYZMJ") {
            Value::Area(cents) => *cents,
            other => panic!("unit {} has DJDYZMJ {other:?}", special.unit),
        };
        package.links.push(
            Ring::new(),
            vec![
                (
                    "ZRZYDJDYH",
                    package.units.get(special.unit, "ZRZYDJDYH").clone(),
                ),
                ("GGGZYSLX", text("特殊保护")),
                ("GGGZFQBSM", text(special.id)),
                (
                    "MJ",
                    Value::Area((unit_area as f64 * special.share).round() as i64),
                ),
                (
                    "GGGZNR",
                    Value::Text(format!("{}，禁止破坏水产种质资源", special.name)),
                ),
            ],
        );
    }
    for (n, &centre) in county.farmland.iter().enumerate() {
        let ring = star_ring(&mut rng, frame.at(centre), 0.1 * dx, 0.1 * dy, 8, 0.7);
        let cents = ring_cents(&ring, &crs);
        package.farmland.push(
            ring,
            vec![
                (
                    "YJJBNTTBBH",
                    Value::Text(format!("{}YJ{:04}", county.code, n + 1)),
                ),
                ("MJ", Value::Area(cents)),
            ],
        );
    }
    for (n, spec) in county.deposits.iter().enumerate() {
        add_deposit(&mut package, n, spec, &frame, &mut rng, &crs);
    }
    package.stats = statistics(&package.parcels, county.epsg);

    check_layout(&package);
    package
}

/// Appends a unit and its parcels, with every area field the sum of its parcels' areas.
pub fn push_unit(package: &mut Package, spec: &UnitSpec, ring: Ring, parcels: Vec<Parcel>) {
    let code = spec.code(package.county.code);
    package.units.push(ring, unit_values(spec, &code, &parcels));
    // Minerals are surveyed, not registered (plan 三（七）): no register book, no map.
    if let Some(documents) = package.documents.as_mut().filter(|_| spec.djdylx != "70") {
        documents.push(format!("{code}_登记簿.pdf"));
        documents.push(format!("{code}_附图.jpg"));
    }
    for parcel in parcels {
        let bsm = next_bsm(package);
        let values = parcel_values(&bsm, &code, &parcel);
        package.parcels.push(parcel.ring, values);
    }
}

/// The BSM of a new parcel: 16 digits, county, survey year and a sequence continuing after the
/// highest one in use, whatever defects removed or copied.
pub fn next_bsm(package: &Package) -> String {
    let last = (0..package.parcels.rows.len())
        .filter_map(|fid| {
            package.parcels.text_at(fid, "BSM")[10..]
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("{}2021{:06}", package.county.code, last + 1)
}

/// The summed area of the parcels that `keep` selects. Sums of rounded parcel areas, never
/// rounded sums, so that every identity between the area fields holds to the cent.
fn area_of(parcels: &[Parcel], keep: impl Fn(&ParcelSpec) -> bool) -> Value {
    Value::Area(
        parcels
            .iter()
            .filter(|p| keep(p.spec))
            .map(|p| p.cents)
            .sum(),
    )
}

pub fn unit_values(spec: &UnitSpec, code: &str, parcels: &[Parcel]) -> Vec<(&'static str, Value)> {
    let of_type = |zylx: &str| area_of(parcels, |p| p.zylx == zylx);
    // 全民 and the subjects exercising it only where the unit holds state land: a unit of one
    // 农民集体's land (a grassland delimited by its ownership boundary) has neither.
    let state_land = parcels.iter().any(|p| p.spec.owner.is_none());
    let mut owners = if state_land { vec!["全民"] } else { vec![] };
    for p in parcels {
        if let Some(owner) = p.spec.owner {
            if !owners.contains(&owner.name) {
                owners.push(owner.name);
            }
        }
    }
    let (dbxszt, qlxsfs, dlxszt, xsnr) = if !state_land {
        (Value::Null, Value::Null, Value::Null, Value::Null)
    } else if spec.direct {
        (
            text("自然资源部"),
            text("1"),
            Value::Null,
            text("自然资源部直接行使全民所有自然资源资产所有权"),
        )
    } else {
        (
            text("自然资源部"),
            text("2"),
            text("甘肃省人民政府"),
            text("甘肃省人民政府代理行使全民所有自然资源资产所有权"),
        )
    };
    vec![
        ("ZRZYDJDYH", text(code)),
        ("DJDYMC", text(spec.name)),
        ("DJDYLX", text(spec.djdylx)),
        ("ZL", text(spec.zl)),
        ("DJDYZMJ", area_of(parcels, |_| true)),
        ("GYMJ", area_of(parcels, |p| p.owner.is_none())),
        ("JTMJ", area_of(parcels, |p| p.owner.is_some())),
        ("ZYQMJ", Value::Area(0)),
        ("DYNZRZYZMJ", area_of(parcels, |p| p.zylx != "FZR")),
        ("SZYMJ", of_type("SZY")),
        ("SDMJ", of_type("SD")),
        ("SLMJ", of_type("SL")),
        ("CYMJ", of_type("CY")),
        ("HDMJ", of_type("HD")),
        ("QTMJ", of_type("QT")),
        ("FZRZYZMJ", of_type("FZR")),
        ("SYQZT", Value::Text(owners.join("、"))),
        // State land's representative is always the ministry.
        ("DBXSZT", dbxszt),
        ("DLXSZT", dlxszt),
        ("QLXSFS", qlxsfs),
        ("XSNR", xsnr),
        ("DJJG", text(spec.djjg)),
        ("BZ", text("首次登记")),
    ]
}

pub fn parcel_values(bsm: &str, unit: &str, parcel: &Parcel) -> Vec<(&'static str, Value)> {
    let spec = parcel.spec;
    let mut values = vec![
        ("BSM", text(bsm)),
        ("ZRZYDJDYH", text(unit)),
        ("ZYLX", text(spec.zylx)),
        ("DLBM", text(spec.dlbm)),
        ("QSXZ", text(if spec.owner.is_some() { "30" } else { "10" })),
        ("MJ", Value::Area(parcel.cents)),
    ];
    if let Some(owner) = spec.owner {
        values.push(("QSDWDM", text(owner.code)));
        values.push(("QSDWMC", text(owner.name)));
    }
    values
}

/// The ellipsoidal area of every unit–zone overlap, as ZR-R001 measures it (nrqc's overlay),
/// by (unit fid, zone fid).
pub fn red_line_overlaps(package: &Package, crs: &Crs) -> Vec<(usize, usize, f64)> {
    let polys = |layer: &Layer| -> Vec<Polygon<f64>> {
        layer.rows.iter().map(|r| polygon(&r.ring)).collect()
    };
    let (units, zones) = (polys(&package.units), polys(&package.zones));
    let found = overlaps_between(
        &units.iter().collect::<Vec<_>>(),
        &zones.iter().collect::<Vec<_>>(),
        0.0,
    );
    // The generator's shapes are simple; an overlap left out would be a wrong fixture.
    assert!(
        found.too_complex.is_empty(),
        "a red-line overlap too complex to overlay"
    );
    found
        .found
        .into_iter()
        .map(|o| {
            let area = geometry_area(&Geometry::MultiPolygon(o.geometry), crs);
            (o.a, o.b, area)
        })
        .collect()
}

/// One GGGZ row per unit and red-line zone that overlap, with the overlap's ellipsoidal area.
fn red_line_links(package: &Package, crs: &Crs) -> Layer {
    let mut links = package.links.clone();
    for (u, z, area) in red_line_overlaps(package, crs) {
        // A sliver near ZR-R001's 0.01 m² would make the clean package depend on rounding.
        assert!(area > 1.0, "unit {u} touches zone {z} by only {area} m²");
        push_link(&mut links, package, u, z, area);
    }
    links
}

pub fn push_link(links: &mut Layer, package: &Package, unit: usize, zone: usize, area: f64) {
    links.push(
        Ring::new(),
        vec![
            ("ZRZYDJDYH", package.units.get(unit, "ZRZYDJDYH").clone()),
            ("GGGZYSLX", text(RED_LINE)),
            ("GGGZFQBSM", package.zones.get(zone, "HXBM").clone()),
            ("MJ", Value::Area((area * 100.0).round() as i64)),
            ("GGGZNR", text(RED_LINE_RULE)),
        ],
    );
}

/// KCZY, KYQ and CKQ rows of one deposit. A deposit registered as a unit has that unit's
/// extent; one inside a protected area is a small extent around the protected unit's centre
/// and carries that unit's code.
fn add_deposit(
    package: &mut Package,
    n: usize,
    spec: &DepositSpec,
    frame: &Frame,
    rng: &mut Rng,
    crs: &Crs,
) {
    let county = package.county;
    let (unit, ring) = match spec.host {
        Host::Unit(u) => {
            assert_eq!(
                county.units[u].djdylx, "70",
                "{} is no mineral unit",
                spec.kqmc
            );
            (u, package.units.rows[u].ring.clone())
        }
        Host::Within(u, radius) => {
            assert!(county.units[u].is_protected(), "{} host", spec.kqmc);
            let (dx, dy) = frame.cell_size();
            let centre = frame.at(county.units[u].at);
            let ring = star_ring(rng, centre, radius * dx, radius * dy, 8, 0.7);
            (u, ring)
        }
    };
    let kcbh = format!("{}KC{:03}", county.code, n + 1);
    let xkzh: Vec<&str> = spec.licences.iter().map(|l| l.xkzh).collect();
    let cents = ring_cents(&ring, crs);
    package.deposits.push(
        ring.clone(),
        vec![
            ("KCBH", text(&kcbh)),
            ("KQMC", text(spec.kqmc)),
            ("KZ", text(spec.kz)),
            ("ZRZYDJDYH", package.units.get(unit, "ZRZYDJDYH").clone()),
            ("CLGSFWMJ", Value::Area(cents)),
            (
                "XKZH",
                if xkzh.is_empty() {
                    Value::Null
                } else {
                    Value::Text(xkzh.join(","))
                },
            ),
        ],
    );
    for licence in spec.licences {
        package.right_links.push(
            Ring::new(),
            vec![
                ("KCBH", text(&kcbh)),
                ("XKZH", text(licence.xkzh)),
                ("QLLX", text(licence.qllx)),
            ],
        );
        if let Some((ksmc, fzjgjb, yxqz)) = licence.mine {
            package.rights.push(
                ring.clone(),
                vec![
                    ("XKZH", text(licence.xkzh)),
                    ("KSMC", text(ksmc)),
                    ("FZJGJB", text(fzjgjb)),
                    ("YXQZ", text(yxqz)),
                ],
            );
        }
    }
}

/// Exact areas of the parcels of one unit type, in hundredths of m².
#[derive(Default)]
pub struct TypeAreas {
    /// Per natural-resource type, in [`RESOURCE_TYPES`] order.
    parts: [i64; 6],
    /// Every parcel but FZR, as ZR-T002 sums HJ (`ZYLX <> 'FZR'`).
    hj: i64,
}

impl TypeAreas {
    pub fn add(&mut self, zylx: &str, mj: i64) {
        if zylx != "FZR" {
            self.hj += mj;
        }
        if let Some(i) = RESOURCE_TYPES.iter().position(|t| t.0 == zylx) {
            self.parts[i] += mj;
        }
    }
}

/// Σ MJ per unit type. The type is read off the parcel's own unit code, as ZR-T002 reads it
/// (`substr(ZRZYDJDYH, 7, 2)`), so a parcel naming a missing unit still counts.
fn type_areas(parcels: &Layer) -> BTreeMap<String, TypeAreas> {
    let mut areas: BTreeMap<String, TypeAreas> = BTreeMap::new();
    for fid in 0..parcels.rows.len() {
        let code = parcels.text_at(fid, "ZRZYDJDYH");
        let zylx = parcels.text_at(fid, "ZYLX");
        let mj = parcels.area_at(fid, "MJ");
        areas
            .entry(code[6..8].to_owned())
            .or_default()
            .add(zylx, mj);
    }
    areas
}

/// DJDYLX names (package format 4.1) for TJ_ZRZYMJ.DJDYLXMC.
const UNIT_TYPE_NAMES: [(&str, &str); 11] = [
    ("11", "国家公园"),
    ("12", "自然保护区"),
    ("13", "自然公园"),
    ("21", "水流—河流"),
    ("22", "水流—湖泊"),
    ("23", "水流—水库"),
    ("30", "湿地"),
    ("40", "森林"),
    ("50", "草原"),
    ("60", "荒地"),
    ("70", "探明储量矿产"),
];

/// The key of TJ_ZRZYMJ's total row.
pub const TOTAL_ROW: &str = "合计";

/// Hundredths of m² in one figure of TJ_ZRZYMJ: a hundredth of a hectare (100 m²).
const CENTS_PER_FIGURE: i64 = 10_000;

/// Hundredths of m² to the table's hundredths of a hectare, rounded half up (areas are never
/// negative).
fn round_figure(cents: i64) -> i64 {
    (cents + CENTS_PER_FIGURE / 2) / CENTS_PER_FIGURE
}

/// 强制调平 by largest remainder: every part rounded down, then the hundredths still missing
/// from the rounded sum go to the parts with the largest remainders (ties to the earlier
/// column), so the rounded parts add up exactly to the rounded sum. The price is that a part
/// may lie up to (almost) a whole hundredth from its exact value, not just half of one.
fn balance(parts: &[i64; 6]) -> [i64; 6] {
    let mut figures = parts.map(|cents| cents / CENTS_PER_FIGURE);
    let missing = round_figure(parts.iter().sum()) - figures.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // Stable, so equal remainders keep column order.
    order.sort_by_key(|&i| std::cmp::Reverse(parts[i] % CENTS_PER_FIGURE));
    for &i in &order[..missing as usize] {
        figures[i] += 1;
    }
    figures
}

/// 100 × part / whole in hundredths of a percent (10 000 × part / whole), rounded half up.
fn percent(part: i64, whole: i64) -> i64 {
    (2 * 10_000 * part + whole) / (2 * whole)
}

fn unit_type_name(code: &str) -> &'static str {
    UNIT_TYPE_NAMES
        .iter()
        .find(|t| t.0 == code)
        .unwrap_or_else(|| panic!("no unit type {code}"))
        .1
}

/// TJ_ZRZYMJ as a producer writes it from the parcels: one row per unit type in code order, in
/// 公顷 with two decimals, balanced (强制调平); then the 合计 row, the sums of the rounded rows.
/// HJ is rounded on its own: it equals the balanced parts' sum unless a non-FZR parcel has a
/// type outside the six, which HJ counts and no part does.
pub fn statistics(parcels: &Layer, epsg: u32) -> Layer {
    statistics_of(type_areas(parcels), epsg)
}

/// TJ_ZRZYMJ from the parcel areas summed per unit type (the key).
pub fn statistics_of(areas: BTreeMap<String, TypeAreas>, epsg: u32) -> Layer {
    let mut table = Layer::new("TJ_ZRZYMJ", STATS_COLUMNS, &["DJDYLX"], epsg);
    let rows: Vec<(String, [i64; 6], i64)> = areas
        .into_iter()
        .map(|(code, areas)| (code, balance(&areas.parts), round_figure(areas.hj)))
        .collect();
    let mut total_parts = [0; 6];
    for (_, parts, _) in &rows {
        for (total, part) in total_parts.iter_mut().zip(parts) {
            *total += part;
        }
    }
    let total_hj: i64 = rows.iter().map(|row| row.2).sum();
    for (code, parts, hj) in &rows {
        let name = Some(unit_type_name(code));
        push_stats_row(&mut table, code, name, parts, *hj, percent(*hj, total_hj));
    }
    let whole = percent(total_hj, total_hj);
    push_stats_row(&mut table, TOTAL_ROW, None, &total_parts, total_hj, whole);
    table
}

fn push_stats_row(
    table: &mut Layer,
    key: &str,
    name: Option<&str>,
    parts: &[i64; 6],
    hj: i64,
    zb: i64,
) {
    let mut values = vec![("DJDYLX", text(key))];
    if let Some(name) = name {
        values.push(("DJDYLXMC", text(name)));
    }
    for (&(_, column), &part) in RESOURCE_TYPES.iter().zip(parts) {
        values.push((column, Value::Figure(part)));
    }
    values.push(("HJ", Value::Figure(hj)));
    values.push(("ZB", Value::Figure(zb)));
    table.push(Ring::new(), values);
}

fn polygons(rows: &[Row]) -> Vec<Polygon<f64>> {
    rows.iter().map(|r| polygon(&r.ring)).collect()
}

/// The layout promises of the module doc: valid polygons; units disjoint and inside the
/// county, but for those registered by the prefecture, which run past it; zones inside the county, each overlapping some unit; farmland inside the county and
/// clear of units and zones; mining rights clear of the red line; deposits inside their unit.
fn check_layout(package: &Package) {
    let name = package.county.name;
    let county = polygon(&package.xzq.rows[0].ring);
    let units = polygons(&package.units.rows);
    let zones = polygons(&package.zones.rows);
    for layer in [
        &package.xzq,
        &package.units,
        &package.parcels,
        &package.zones,
        &package.farmland,
        &package.deposits,
    ] {
        for (fid, row) in layer.rows.iter().enumerate() {
            let ring: &[Mm] = &row.ring;
            assert!(
                polygon(ring).is_valid(),
                "{name}: invalid polygon {fid} in {}",
                layer.name
            );
        }
    }
    for (i, unit) in units.iter().enumerate() {
        let crosses = package.county.units[i].area.is_some();
        assert!(
            county.contains(unit) != crosses,
            "{name}: unit {i} leaves the county or crosses none"
        );
        for (j, other) in units.iter().enumerate().skip(i + 1) {
            assert!(!unit.intersects(other), "{name}: units {i} and {j} touch");
        }
    }
    for (z, zone) in zones.iter().enumerate() {
        assert!(county.contains(zone), "{name}: zone {z} leaves the county");
        assert!(
            units.iter().any(|u| u.intersects(zone)),
            "{name}: zone {z} overlaps no unit"
        );
    }
    for (fid, farmland) in polygons(&package.farmland.rows).iter().enumerate() {
        assert!(
            county.contains(farmland),
            "{name}: farmland {fid} leaves the county"
        );
        assert!(
            units.iter().chain(&zones).all(|o| !farmland.intersects(o)),
            "{name}: farmland {fid} touches a unit or a red-line zone"
        );
    }
    for (fid, right) in polygons(&package.rights.rows).iter().enumerate() {
        assert!(
            zones.iter().all(|z| !right.intersects(z)),
            "{name}: mining right {fid} touches the red line"
        );
    }
    for (fid, deposit) in polygons(&package.deposits.rows).iter().enumerate() {
        let code = package.deposits.text_at(fid, "ZRZYDJDYH");
        let unit = package.units.find("ZRZYDJDYH", code)[0];
        assert!(
            units[unit].contains(deposit)
                || package.deposits.rows[fid].ring == package.units.rows[unit].ring,
            "{name}: deposit {fid} is not inside its unit"
        );
    }
}
