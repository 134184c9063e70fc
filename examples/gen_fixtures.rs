//! Writes the test fixtures: a small survey package (成果包) for 永靖县 (XZQDM 622923), a copy of
//! it with twenty-four injected defects, and the ground truth of what the built-in rules must find.
//!
//! ```text
//! cargo run --example gen_fixtures [OUT_DIR]        # OUT_DIR defaults to fixtures/
//! ```
//!
//! writes, per `shared/docs/package-format.md`:
//!
//! - `622923_永靖县/`: `package.yaml`; `vector/XZQ.fgb` (the county), `vector/ZRZYDJDY.fgb`
//!   (9 registration units), `vector/ZRZK.fgb` (24 parcels tiling the units exactly),
//!   `vector/STBHHX.geojson` (2 red-line zones), `vector/YJJBNT.fgb` (2 permanent-basic-farmland
//!   parcels clear of the units), `tables/GGGZ.csv` (GBK, one row per unit and red-line overlap)
//!   and `tables/TJ_ZRZYMJ.csv` (GBK, the parcels' areas per unit type in 公顷, balanced by
//!   强制调平). No rule of `rules/*.yaml` fires on it.
//! - `622923_永靖县_defective/`: the same package with the defects of [`DEFECTS`]. Each defect
//!   names every finding it causes: the rule it targets, and the area, statistics and topology
//!   rules that see its consequences (a deleted parcel also leaves its unit's area sums short;
//!   two overlapping units bring overlapping parcels). Two units (u10, u11) and their parcels
//!   are appended, after every existing feature, so no earlier fid moves.
//! - `622923_永靖县_defective.truth.yaml`: one entry per expected finding (rule, layer, 0-based
//!   fids, keys, and a note naming the defect).
//!
//! Everything is in CGCS2000 / 3-degree Gauss-Krüger zone 34 (EPSG:4522, zone-prefixed easting),
//! but for the defective package's red line (zone 35) and farmland (axes swapped).
//! Vertices are whole millimetres, so the parcels of a unit share bit-identical edges, and every
//! area is the official ellipsoidal area of `nrqc::geom::area`, rounded to 0.01 m² and summed in
//! integer hundredths so that the unit totals add up exactly. The shapes come from a fixed-seed
//! PRNG: every run writes the same bytes.

use std::collections::BTreeMap;
use std::f64::consts::{PI, TAU};
use std::fs;
use std::path::Path;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{BooleanOps, Contains, Coord, Geometry, Intersects, LineString, Polygon, Validation};
use geozero::{ColumnValue, PropertyProcessor};
use nrqc::geom::area::geometry_area;
use nrqc::geom::crs::Crs;

const EPSG: u32 = 4522;
/// The neighbouring zone 35 (CM 105°E), in which the defective package's red line arrives.
const EPSG_EAST: u32 = 4523;
const XZQDM: &str = "622923";
const CLEAN: &str = "622923_永靖县";
const DEFECTIVE: &str = "622923_永靖县_defective";
/// Any fixed value works; this one spells the XZQDM and the survey date.
const SEED: u64 = 0x0062_2923_2021_1031;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/// splitmix64: tiny, well mixed, and fully determined by its seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Uniform integer in `lo..=hi`.
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry in whole millimetres

/// A vertex as (easting, northing) in millimetres. Integers make shared edges bit-identical and
/// let vertices be compared for equality.
type Mm = (i64, i64);

/// A polygon ring without the closing vertex, counter-clockwise.
type Ring = Vec<Mm>;

fn to_mm(x: f64, y: f64) -> Mm {
    ((x * 1000.0).round() as i64, (y * 1000.0).round() as i64)
}

fn polygon(ring: &[Mm]) -> Polygon<f64> {
    let coords = ring.iter().map(|&(x, y)| Coord {
        x: x as f64 / 1000.0,
        y: y as f64 / 1000.0,
    });
    Polygon::new(LineString::from_iter(coords), vec![])
}

/// Official ellipsoidal area in hundredths of m², the unit every area field is summed in.
fn area_cents(geometry: Geometry<f64>, crs: &Crs) -> i64 {
    (geometry_area(&geometry, crs) * 100.0).round() as i64
}

fn ring_cents(ring: &[Mm], crs: &Crs) -> i64 {
    area_cents(polygon(ring).into(), crs)
}

/// An irregular star-shaped ring around `centre`, inside the ellipse of semi-axes `rx`, `ry`.
/// Angles only increase, so the ring is simple and counter-clockwise whatever the radii.
fn star_ring(rng: &mut Rng, centre: (f64, f64), rx: f64, ry: f64, n: u64, rmin: f64) -> Ring {
    (0..n)
        .map(|i| {
            let angle = TAU * (i as f64 + rng.uniform(-0.3, 0.3)) / n as f64;
            let r = rng.uniform(rmin, 1.0);
            to_mm(
                centre.0 + rx * r * angle.cos(),
                centre.1 + ry * r * angle.sin(),
            )
        })
        .collect()
}

/// Cuts `ring` into `k` slices with `k - 1` parallel lines, each crossing the boundary exactly
/// twice (so each cut is a chord inside the polygon). Returns the ring with the chord endpoints
/// inserted, and the slices, whose vertices are all vertices of that ring.
fn tile(ring: &[Mm], k: usize, rng: &mut Rng) -> (Ring, Vec<Ring>) {
    for _ in 0..100 {
        if let Some(tiling) = try_tile(ring, k, rng) {
            return tiling;
        }
    }
    panic!("no tiling of a {}-vertex ring into {k} slices", ring.len());
}

fn try_tile(ring: &[Mm], k: usize, rng: &mut Rng) -> Option<(Ring, Vec<Ring>)> {
    let angle = rng.uniform(0.0, PI);
    let normal = (angle.cos(), angle.sin());
    // Offsets along the normal, relative to the first vertex to keep the numbers small.
    let offset = |p: Mm| {
        ((p.0 - ring[0].0) as f64 * normal.0 + (p.1 - ring[0].1) as f64 * normal.1) / 1000.0
    };
    let s: Vec<f64> = ring.iter().map(|&p| offset(p)).collect();
    let (lo, hi) = s
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));

    // (edge index, position along the edge, point) of every chord endpoint.
    let mut cuts: Vec<(usize, f64, Mm)> = Vec::new();
    let mut chords: Vec<(Mm, Mm)> = Vec::new();
    for i in 1..k {
        let level = lo + (hi - lo) * (i as f64 + rng.uniform(-0.2, 0.2)) / k as f64;
        let mut ends = Vec::new();
        for e in 0..ring.len() {
            let (a, b) = (ring[e], ring[(e + 1) % ring.len()]);
            let (sa, sb) = (s[e], s[(e + 1) % ring.len()]);
            if (sa - level) * (sb - level) < 0.0 {
                let t = (level - sa) / (sb - sa);
                let x = a.0 as f64 + (b.0 - a.0) as f64 * t;
                let y = a.1 as f64 + (b.1 - a.1) as f64 * t;
                ends.push((e, t, (x.round() as i64, y.round() as i64)));
            }
        }
        // A line crossing more than twice would leave the polygon between crossings.
        let [p, q] = ends[..] else { return None };
        chords.push((p.2, q.2));
        cuts.extend([p, q]);
    }
    cuts.sort_by(|a, b| (a.0, a.1).partial_cmp(&(b.0, b.1)).expect("finite"));

    let mut refined = Vec::with_capacity(ring.len() + cuts.len());
    for (e, &vertex) in ring.iter().enumerate() {
        refined.push(vertex);
        refined.extend(cuts.iter().filter(|c| c.0 == e).map(|c| c.2));
    }
    // A chord end rounded onto an existing vertex would make a degenerate edge.
    let mut distinct = refined.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != refined.len() {
        return None;
    }

    let mut slices = vec![refined.clone()];
    for (p, q) in chords {
        // Chords never cross, so each lies in exactly one slice made so far.
        let (index, i, j) = slices.iter().enumerate().find_map(|(n, slice)| {
            let i = slice.iter().position(|&v| v == p)?;
            let j = slice.iter().position(|&v| v == q)?;
            Some((n, i.min(j), i.max(j)))
        })?;
        let slice = slices.swap_remove(index);
        slices.push(slice[i..=j].to_vec());
        slices.push(slice[j..].iter().chain(&slice[..=i]).copied().collect());
    }
    Some((refined, slices))
}

// ---------------------------------------------------------------------------------------------
// Attribute tables

#[derive(Clone, Copy)]
enum Kind {
    Text,
    /// Two decimals: m² in layers (a double in FlatGeobuf), 公顷 or % in TJ_ZRZYMJ.
    Decimal,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Text(String),
    /// Hundredths of m².
    Area(i64),
    /// A statistics-table figure in hundredths of its column's unit (公顷 or %).
    Figure(i64),
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

#[derive(Clone)]
struct Row {
    /// Empty for rows of a table without geometry (GGGZ, TJ_ZRZYMJ).
    ring: Ring,
    values: Vec<Value>,
}

/// A layer or table: named, typed columns in schema order and rows in file order.
#[derive(Clone)]
struct Layer {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    /// The columns whose values identify a row in a finding (schema.yaml `key`).
    key: &'static [&'static str],
    /// The CRS its file declares: the package's, unless a defect delivers it in another.
    epsg: u32,
    rows: Vec<Row>,
}

impl Layer {
    fn new(
        name: &'static str,
        columns: &'static [(&'static str, Kind)],
        key: &'static [&'static str],
    ) -> Layer {
        Layer {
            name,
            columns,
            key,
            epsg: EPSG,
            rows: Vec::new(),
        }
    }

    fn column(&self, field: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.0 == field)
            .unwrap_or_else(|| panic!("{} has no column {field}", self.name))
    }

    /// Appends a row; columns not given are null.
    fn push(&mut self, ring: Ring, values: Vec<(&str, Value)>) {
        let mut row = vec![Value::Null; self.columns.len()];
        for (field, value) in values {
            row[self.column(field)] = value;
        }
        self.rows.push(Row { ring, values: row });
    }

    fn get(&self, fid: usize, field: &str) -> &Value {
        &self.rows[fid].values[self.column(field)]
    }

    fn set(&mut self, fid: usize, field: &str, value: Value) {
        let column = self.column(field);
        self.rows[fid].values[column] = value;
    }

    /// Adds `delta` hundredths to an area or a table figure.
    fn shift(&mut self, fid: usize, field: &str, delta: i64) {
        let shifted = match *self.get(fid, field) {
            Value::Area(v) => Value::Area(v + delta),
            Value::Figure(v) => Value::Figure(v + delta),
            ref other => panic!("{} {field} is {other:?}", self.name),
        };
        self.set(fid, field, shifted);
    }

    /// The fids of the rows whose `field` is the text `value`, in file order.
    fn find(&self, field: &str, value: &str) -> Vec<usize> {
        let column = self.column(field);
        let wanted = text(value);
        (0..self.rows.len())
            .filter(|&fid| self.rows[fid].values[column] == wanted)
            .collect()
    }

    fn text_at(&self, fid: usize, field: &str) -> &str {
        match self.get(fid, field) {
            Value::Text(s) => s,
            other => panic!("{} {field} is {other:?}", self.name),
        }
    }

    fn area_at(&self, fid: usize, field: &str) -> i64 {
        match self.get(fid, field) {
            Value::Area(cents) => *cents,
            other => panic!("{} {field} is {other:?}", self.name),
        }
    }

    fn key_of(&self, fid: usize) -> Vec<String> {
        self.key
            .iter()
            .map(|field| self.text_at(fid, field).to_owned())
            .collect()
    }
}

const XZQ_COLUMNS: &[(&str, Kind)] = &[
    ("XZQDM", Kind::Text),
    ("XZQMC", Kind::Text),
    ("DCMJ", Kind::Decimal),
];

const UNIT_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("DJDYMC", Kind::Text),
    ("DJDYLX", Kind::Text),
    ("ZL", Kind::Text),
    ("DJDYZMJ", Kind::Decimal),
    ("GYMJ", Kind::Decimal),
    ("JTMJ", Kind::Decimal),
    ("ZYQMJ", Kind::Decimal),
    ("DYNZRZYZMJ", Kind::Decimal),
    ("SZYMJ", Kind::Decimal),
    ("SDMJ", Kind::Decimal),
    ("SLMJ", Kind::Decimal),
    ("CYMJ", Kind::Decimal),
    ("HDMJ", Kind::Decimal),
    ("QTMJ", Kind::Decimal),
    ("FZRZYZMJ", Kind::Decimal),
    ("SYQZT", Kind::Text),
    ("DBXSZT", Kind::Text),
    ("DLXSZT", Kind::Text),
    ("QLXSFS", Kind::Text),
    ("XSNR", Kind::Text),
    ("DJJG", Kind::Text),
    ("BZ", Kind::Text),
];

const PARCEL_COLUMNS: &[(&str, Kind)] = &[
    ("BSM", Kind::Text),
    ("ZRZYDJDYH", Kind::Text),
    ("ZYLX", Kind::Text),
    ("DLBM", Kind::Text),
    ("QSXZ", Kind::Text),
    ("QSDWDM", Kind::Text),
    ("QSDWMC", Kind::Text),
    ("MJ", Kind::Decimal),
];

const ZONE_COLUMNS: &[(&str, Kind)] = &[
    ("HXBM", Kind::Text),
    ("HXMC", Kind::Text),
    ("HXLX", Kind::Text),
    ("MJ", Kind::Decimal),
];

const LINK_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("GGGZYSLX", Kind::Text),
    ("GGGZFQBSM", Kind::Text),
    ("MJ", Kind::Decimal),
    ("GGGZNR", Kind::Text),
];

const FARMLAND_COLUMNS: &[(&str, Kind)] = &[("YJJBNTTBBH", Kind::Text), ("MJ", Kind::Decimal)];

/// TJ_ZRZYMJ: the key, the six part columns in [`RESOURCE_TYPES`] order, the total, the share.
const STATS_COLUMNS: &[(&str, Kind)] = &[
    ("DJDYLX", Kind::Text),
    ("DJDYLXMC", Kind::Text),
    ("SZYMJ", Kind::Decimal),
    ("SDMJ", Kind::Decimal),
    ("SLMJ", Kind::Decimal),
    ("CYMJ", Kind::Decimal),
    ("HDMJ", Kind::Decimal),
    ("QTMJ", Kind::Decimal),
    ("HJ", Kind::Decimal),
    ("ZB", Kind::Decimal),
];

#[derive(Clone)]
struct Package {
    xzq: Layer,
    units: Layer,
    parcels: Layer,
    zones: Layer,
    links: Layer,
    farmland: Layer,
    stats: Layer,
}

impl Package {
    fn layers(&self) -> [&Layer; 7] {
        [
            &self.xzq,
            &self.units,
            &self.parcels,
            &self.zones,
            &self.links,
            &self.farmland,
            &self.stats,
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// What the clean package holds

/// A collective owner (农民集体): 19-character QSDWDM and name.
struct Collective {
    code: &'static str,
    name: &'static str,
}

struct ParcelSpec {
    zylx: &'static str,
    dlbm: &'static str,
    /// `None` for state land (QSXZ 10).
    owner: Option<&'static Collective>,
}

struct UnitSpec {
    name: &'static str,
    djdylx: &'static str,
    seq: u32,
    zl: &'static str,
    djjg: &'static str,
    /// Column and row of the unit's cell in a 3 × 3 grid over the county, west to east and
    /// south to north; one unit per cell keeps the units disjoint.
    cell: (i32, i32),
    /// 直接行使 (QLXSFS 1) by 自然资源部 instead of 代理行使 by the province.
    direct: bool,
    parcels: &'static [ParcelSpec],
}

impl UnitSpec {
    fn code(&self) -> String {
        format!("{XZQDM}{}{:05}", self.djdylx, self.seq)
    }
}

const DAZHUANG: Collective = Collective {
    code: "6229231022010000000",
    name: "刘家峡镇大庄村农民集体",
};
const QIJIADU: Collective = Collective {
    code: "6229231052030000000",
    name: "岘塬镇祁家渡村农民集体",
};
const SANTIAOXIAN: Collective = Collective {
    code: "6229232062010000000",
    name: "三条岘乡三条岘村农民集体",
};
const GUANSHAN: Collective = Collective {
    code: "6229232032020000000",
    name: "关山乡关山村农民集体",
};

const fn state(zylx: &'static str, dlbm: &'static str) -> ParcelSpec {
    ParcelSpec {
        zylx,
        dlbm,
        owner: None,
    }
}

const fn collective(
    zylx: &'static str,
    dlbm: &'static str,
    owner: &'static Collective,
) -> ParcelSpec {
    ParcelSpec {
        zylx,
        dlbm,
        owner: Some(owner),
    }
}

const PROVINCE: &str = "甘肃省自然资源厅";
const PREFECTURE: &str = "临夏回族自治州自然资源局";
const COUNTY: &str = "永靖县自然资源局";

/// u1 … u9 in file order.
const UNITS: [UnitSpec; 9] = [
    UnitSpec {
        name: "黄河三峡湿地省级自然保护区",
        djdylx: "12",
        seq: 1,
        zl: "永靖县刘家峡镇、太极镇",
        djjg: PROVINCE,
        cell: (0, 0),
        direct: true,
        parcels: &[
            state("SD", "1106"),
            state("SZY", "1101"),
            state("SD", "1108"),
            collective("QT", "0103", &DAZHUANG),
        ],
    },
    UnitSpec {
        name: "刘家峡水库",
        djdylx: "23",
        seq: 1,
        zl: "永靖县刘家峡镇",
        djjg: PREFECTURE,
        cell: (1, 1),
        direct: false,
        parcels: &[
            state("SZY", "1103"),
            state("FZR", "1109"),
            state("SD", "1106"),
        ],
    },
    UnitSpec {
        name: "黄河永靖段",
        djdylx: "21",
        seq: 1,
        zl: "永靖县盐锅峡镇、太极镇",
        djjg: PREFECTURE,
        cell: (2, 0),
        direct: false,
        parcels: &[state("SZY", "1101"), state("SD", "1106")],
    },
    UnitSpec {
        name: "祁家渡湿地",
        djdylx: "30",
        seq: 1,
        zl: "永靖县岘塬镇祁家渡村",
        djjg: COUNTY,
        cell: (1, 0),
        direct: false,
        parcels: &[
            state("SD", "1108"),
            collective("SD", "1106", &QIJIADU),
            state("SZY", "1104"),
        ],
    },
    UnitSpec {
        name: "罗家洞森林",
        djdylx: "40",
        seq: 1,
        zl: "永靖县川城镇罗家洞村",
        djjg: COUNTY,
        cell: (0, 1),
        direct: false,
        parcels: &[
            state("SL", "0301"),
            state("SL", "0305"),
            state("SL", "0307"),
        ],
    },
    UnitSpec {
        name: "杏花林场森林",
        djdylx: "40",
        seq: 2,
        zl: "永靖县三塬镇杏花村",
        djjg: COUNTY,
        cell: (2, 1),
        direct: false,
        parcels: &[state("SL", "0301"), state("SL", "0305")],
    },
    UnitSpec {
        name: "三条岘草原",
        djdylx: "50",
        seq: 1,
        zl: "永靖县三条岘乡",
        djjg: COUNTY,
        cell: (0, 2),
        direct: false,
        parcels: &[
            state("CY", "0401"),
            collective("CY", "0404", &SANTIAOXIAN),
            state("CY", "0403"),
        ],
    },
    UnitSpec {
        name: "关山草原",
        djdylx: "50",
        seq: 2,
        zl: "永靖县关山乡",
        djjg: COUNTY,
        cell: (1, 2),
        direct: false,
        parcels: &[state("CY", "0401"), collective("CY", "0404", &GUANSHAN)],
    },
    UnitSpec {
        name: "徐顶荒地",
        djdylx: "60",
        seq: 1,
        zl: "永靖县徐顶乡",
        djjg: COUNTY,
        cell: (2, 2),
        direct: false,
        parcels: &[state("HD", "1207"), state("HD", "1206")],
    },
];

// Indices into UNITS, which are also the units' fids: units are written in that order and the
// defects never remove one.
const U1: usize = 0;
const U2: usize = 1;
const U3: usize = 2;
const U4: usize = 3;
const U5: usize = 4;
const U6: usize = 5;
const U7: usize = 6;
const U8: usize = 7;
const U9: usize = 8;

struct ZoneSpec {
    hxbm: &'static str,
    hxmc: &'static str,
    hxlx: &'static str,
    /// Centre in cell units from the county centre, and semi-axes in cell units.
    centre: (f64, f64),
    radii: (f64, f64),
    /// The units the zone is laid out to overlap.
    overlaps: &'static [usize],
}

const ZONES: [ZoneSpec; 2] = [
    // Straddles the cells of u1 and u4, staying in the southern row.
    ZoneSpec {
        hxbm: "62292310001",
        hxmc: "黄河三峡湿地生物多样性维护生态保护红线",
        hxlx: "生物多样性维护",
        centre: (-0.5, -1.0),
        radii: (0.75, 0.3),
        overlaps: &[U1, U4],
    },
    // Over the west edge of u5's cell, short of its neighbours.
    ZoneSpec {
        hxbm: "62292310002",
        hxmc: "罗家洞水源涵养生态保护红线",
        hxlx: "水源涵养",
        centre: (-1.3, 0.0),
        radii: (0.35, 0.35),
        overlaps: &[U5],
    },
];

const RED_LINE: &str = "生态保护红线";
const RED_LINE_RULE: &str = "生态保护红线内禁止开发性、生产性建设活动";

/// Centres of the permanent-basic-farmland parcels (YJJBNT), in cell units from the county
/// centre: in the diagonal gaps between unit cells, clear of every unit and red-line zone, so
/// that no GGGZ row is owed for them whatever future rules relate farmland to units.
const FARMLAND: [(f64, f64); 2] = [(0.5, -0.5), (-0.5, 0.5)];

/// The six natural-resource types (ZYLX) and their area column, named alike in ZRZYDJDY and
/// TJ_ZRZYMJ.
const RESOURCE_TYPES: [(&str, &str); 6] = [
    ("SZY", "SZYMJ"),
    ("SD", "SDMJ"),
    ("SL", "SLMJ"),
    ("CY", "CYMJ"),
    ("HD", "HDMJ"),
    ("QT", "QTMJ"),
];

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
const TOTAL_ROW: &str = "合计";

/// Hundredths of m² in one figure of TJ_ZRZYMJ: a hundredth of a hectare (100 m²).
const CENTS_PER_FIGURE: i64 = 10_000;

/// Where the county lies, in metres of EPSG:4522.
struct Frame {
    centre: (f64, f64),
    half_width: f64,
    half_height: f64,
}

impl Frame {
    /// 永靖县 spans roughly 102.9–103.65°E, 35.8–36.2°N.
    fn new(crs: &Crs) -> Frame {
        let (west, _) = crs.from_lonlat(102.9, 36.0);
        let (east, _) = crs.from_lonlat(103.65, 36.0);
        let (_, south) = crs.from_lonlat(103.275, 35.8);
        let (_, north) = crs.from_lonlat(103.275, 36.2);
        Frame {
            centre: crs.from_lonlat(103.275, 36.0),
            half_width: (east - west) / 2.0,
            half_height: (north - south) / 2.0,
        }
    }

    /// Size of a grid cell; 0.45 keeps the outer cells well inside the county outline.
    fn cell_size(&self) -> (f64, f64) {
        (0.45 * self.half_width, 0.45 * self.half_height)
    }

    /// A point given in cell units from the county centre.
    fn at(&self, (col, row): (f64, f64)) -> (f64, f64) {
        let (dx, dy) = self.cell_size();
        (self.centre.0 + col * dx, self.centre.1 + row * dy)
    }
}

// ---------------------------------------------------------------------------------------------
// Building the clean package

fn build_clean(crs: &Crs) -> Package {
    let frame = Frame::new(crs);
    let mut rng = Rng(SEED);
    let mut package = Package {
        xzq: Layer::new("XZQ", XZQ_COLUMNS, &["XZQDM"]),
        units: Layer::new("ZRZYDJDY", UNIT_COLUMNS, &["ZRZYDJDYH"]),
        parcels: Layer::new("ZRZK", PARCEL_COLUMNS, &["BSM"]),
        zones: Layer::new("STBHHX", ZONE_COLUMNS, &["HXBM"]),
        links: Layer::new("GGGZ", LINK_COLUMNS, &["ZRZYDJDYH", "GGGZFQBSM"]),
        farmland: Layer::new("YJJBNT", FARMLAND_COLUMNS, &["YJJBNTTBBH"]),
        stats: Layer::new("TJ_ZRZYMJ", STATS_COLUMNS, &["DJDYLX"]),
    };

    let county = star_ring(
        &mut rng,
        frame.centre,
        frame.half_width,
        frame.half_height,
        20,
        0.88,
    );
    let dcmj = ring_cents(&county, crs);
    package.xzq.push(
        county,
        vec![
            ("XZQDM", text(XZQDM)),
            ("XZQMC", text("永靖县")),
            ("DCMJ", Value::Area(dcmj)),
        ],
    );

    let (dx, dy) = frame.cell_size();
    for spec in &UNITS {
        let centre = frame.at(((spec.cell.0 - 1) as f64, (spec.cell.1 - 1) as f64));
        // 6–8 vertices plus two chord ends per cut stays within 6–14.
        let vertices = rng.int(6, 8);
        let base = star_ring(&mut rng, centre, 0.4 * dx, 0.4 * dy, vertices, 0.55);
        let (ring, slices) = tile(&base, spec.parcels.len(), &mut rng);
        let parcels: Vec<Parcel> = spec
            .parcels
            .iter()
            .zip(slices)
            .map(|(spec, ring)| Parcel {
                spec,
                cents: ring_cents(&ring, crs),
                ring,
            })
            .collect();
        package.units.push(ring, unit_values(spec, &parcels));
        for parcel in parcels {
            // 16 digits: county, survey year, sequence.
            let bsm = format!("{XZQDM}2021{:06}", package.parcels.rows.len() + 1);
            let values = parcel_values(&bsm, &spec.code(), &parcel);
            package.parcels.push(parcel.ring, values);
        }
    }

    for spec in &ZONES {
        let (rx, ry) = (spec.radii.0 * dx, spec.radii.1 * dy);
        let ring = star_ring(&mut rng, frame.at(spec.centre), rx, ry, 12, 0.8);
        let cents = ring_cents(&ring, crs);
        package.zones.push(
            ring,
            vec![
                ("HXBM", text(spec.hxbm)),
                ("HXMC", text(spec.hxmc)),
                ("HXLX", text(spec.hxlx)),
                ("MJ", Value::Area(cents)),
            ],
        );
    }
    link_red_lines(&mut package, crs);
    // Drawn last, so the shapes above stay those of earlier fixture versions.
    add_farmland(&mut package, &frame, &mut rng, crs);
    package.stats = statistics(&package.parcels);

    check_layout(&package);
    package
}

/// A parcel of a unit being built: what it is, its slice of the unit, its rounded area.
struct Parcel {
    spec: &'static ParcelSpec,
    ring: Ring,
    cents: i64,
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

fn unit_values(spec: &UnitSpec, parcels: &[Parcel]) -> Vec<(&'static str, Value)> {
    let of_type = |zylx: &str| area_of(parcels, |p| p.zylx == zylx);
    let mut owners = vec!["全民"];
    for p in parcels {
        if let Some(owner) = p.spec.owner {
            if !owners.contains(&owner.name) {
                owners.push(owner.name);
            }
        }
    }
    let (qlxsfs, dlxszt, xsnr) = if spec.direct {
        (
            "1",
            Value::Null,
            "自然资源部直接行使全民所有自然资源资产所有权",
        )
    } else {
        (
            "2",
            text("甘肃省人民政府"),
            "甘肃省人民政府代理行使全民所有自然资源资产所有权",
        )
    };
    vec![
        ("ZRZYDJDYH", Value::Text(spec.code())),
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
        // Every unit has state land, whose representative is always the ministry.
        ("DBXSZT", text("自然资源部")),
        ("DLXSZT", dlxszt),
        ("QLXSFS", text(qlxsfs)),
        ("XSNR", text(xsnr)),
        ("DJJG", text(spec.djjg)),
        ("BZ", text("首次登记")),
    ]
}

fn parcel_values(bsm: &str, unit: &str, parcel: &Parcel) -> Vec<(&'static str, Value)> {
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

/// One GGGZ row per unit and red-line zone that overlap, with the overlap's ellipsoidal area.
fn link_red_lines(package: &mut Package, crs: &Crs) {
    for (u, unit) in package.units.rows.iter().enumerate() {
        for (z, zone) in package.zones.rows.iter().enumerate() {
            let overlap = polygon(&unit.ring).intersection(&polygon(&zone.ring));
            let cents = area_cents(overlap.into(), crs);
            if cents > 0 {
                package.links.push(
                    Ring::new(),
                    vec![
                        ("ZRZYDJDYH", package.units.get(u, "ZRZYDJDYH").clone()),
                        ("GGGZYSLX", text(RED_LINE)),
                        ("GGGZFQBSM", package.zones.get(z, "HXBM").clone()),
                        ("MJ", Value::Area(cents)),
                        ("GGGZNR", text(RED_LINE_RULE)),
                    ],
                );
            }
        }
    }
}

fn add_farmland(package: &mut Package, frame: &Frame, rng: &mut Rng, crs: &Crs) {
    let (dx, dy) = frame.cell_size();
    for (n, &centre) in FARMLAND.iter().enumerate() {
        let ring = star_ring(rng, frame.at(centre), 0.1 * dx, 0.1 * dy, 8, 0.7);
        let cents = ring_cents(&ring, crs);
        package.farmland.push(
            ring,
            vec![
                ("YJJBNTTBBH", Value::Text(format!("{XZQDM}YJ{:04}", n + 1))),
                ("MJ", Value::Area(cents)),
            ],
        );
    }
}

/// Exact areas of the parcels of one unit type, in hundredths of m².
#[derive(Default)]
struct TypeAreas {
    /// Per natural-resource type, in [`RESOURCE_TYPES`] order.
    parts: [i64; 6],
    /// Every parcel but FZR, as ZR-T002 sums HJ (`ZYLX <> 'FZR'`).
    hj: i64,
}

/// Σ MJ per unit type. The type is read off the parcel's own unit code, as ZR-T002 reads it
/// (`substr(ZRZYDJDYH, 7, 2)`), so a parcel naming a missing unit still counts.
fn type_areas(parcels: &Layer) -> BTreeMap<String, TypeAreas> {
    let mut areas: BTreeMap<String, TypeAreas> = BTreeMap::new();
    for fid in 0..parcels.rows.len() {
        let code = parcels.text_at(fid, "ZRZYDJDYH");
        let zylx = parcels.text_at(fid, "ZYLX");
        let mj = parcels.area_at(fid, "MJ");
        let sums = areas.entry(code[6..8].to_owned()).or_default();
        if zylx != "FZR" {
            sums.hj += mj;
        }
        if let Some(i) = RESOURCE_TYPES.iter().position(|t| t.0 == zylx) {
            sums.parts[i] += mj;
        }
    }
    areas
}

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
fn statistics(parcels: &Layer) -> Layer {
    let mut table = Layer::new("TJ_ZRZYMJ", STATS_COLUMNS, &["DJDYLX"]);
    let rows: Vec<(String, [i64; 6], i64)> = type_areas(parcels)
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

/// The layout promises of the module doc: valid polygons, units disjoint and inside the
/// county, zones inside the county and overlapping exactly the units they were placed on,
/// farmland inside the county and clear of units and zones.
fn check_layout(package: &Package) {
    let county = polygon(&package.xzq.rows[0].ring);
    let units: Vec<Polygon<f64>> = package
        .units
        .rows
        .iter()
        .map(|r| polygon(&r.ring))
        .collect();
    for layer in [
        &package.xzq,
        &package.units,
        &package.parcels,
        &package.zones,
        &package.farmland,
    ] {
        for row in &layer.rows {
            assert!(
                polygon(&row.ring).is_valid(),
                "invalid polygon in {}",
                layer.name
            );
        }
    }
    for (i, unit) in units.iter().enumerate() {
        assert!(county.contains(unit), "unit {i} leaves the county");
        assert!(
            units[i + 1..].iter().all(|other| !unit.intersects(other)),
            "unit {i} touches another unit"
        );
    }
    for (spec, row) in ZONES.iter().zip(&package.zones.rows) {
        let zone = polygon(&row.ring);
        assert!(
            county.contains(&zone),
            "zone {} leaves the county",
            spec.hxbm
        );
        let hit: Vec<usize> = (0..units.len())
            .filter(|&u| zone.intersects(&units[u]))
            .collect();
        assert_eq!(
            hit, spec.overlaps,
            "zone {} overlaps other units",
            spec.hxbm
        );
    }
    check_farmland(package, &county, &units);
}

fn check_farmland(package: &Package, county: &Polygon<f64>, units: &[Polygon<f64>]) {
    let zones: Vec<Polygon<f64>> = package
        .zones
        .rows
        .iter()
        .map(|r| polygon(&r.ring))
        .collect();
    for (fid, row) in package.farmland.rows.iter().enumerate() {
        let farmland = polygon(&row.ring);
        assert!(
            county.contains(&farmland),
            "farmland {fid} leaves the county"
        );
        assert!(
            units
                .iter()
                .chain(&zones)
                .all(|other| !farmland.intersects(other)),
            "farmland {fid} touches a unit or a red-line zone"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Defects

/// An expected finding: the rule and the 0-based fids (CSV: data-row indices) it must report,
/// none for a finding on the layer as a whole.
struct Finding {
    rule: &'static str,
    layer: &'static str,
    fids: Vec<usize>,
    note: String,
}

/// Edits the package and returns every finding the edit causes, including those of the rules
/// that compare areas and totals derived from what it changed.
type Defect = fn(&mut Package) -> Vec<Finding>;

/// The defects, in this order: ZR-F002 first, because deleting parcels shifts the fids of every
/// later parcel; after it, fids only ever grow by appending. The statistics table comes last:
/// it is summarised from the parcels as the other defects left them.
const DEFECTS: [Defect; 24] = [
    f002_unit_without_parcels,
    n001_blank_name,
    d001_unit_type,
    d002_resource_type,
    d003_land_class,
    u001_unit_code,
    u003_duplicate_bsm,
    f001_unknown_unit,
    m001_area_sum,
    o001_no_representative,
    o003_no_agent,
    o004_agent_when_direct,
    o005_no_owner_name,
    d005_exercise_mode,
    g002_bowtie,
    f004_unknown_zone,
    p004_wrong_zone,
    p006_swapped_axes,
    m004_parcel_area,
    m003_type_areas,
    t101_forest_overlap,
    t102_grassland_overlap,
    t103_overhang,
    t001_wrong_totals,
];

/// The TJ_ZRZYMJ row whose HJ is damaged: not 40, whose HJ already disagrees with its parts
/// through the LD parcel of ZR-D002, and one whose ZB keeps within ZR-T001's tolerance of the
/// damaged HJ (row 50's would not: see [`assert_zb_holds`]).
const WRONG_HJ_ROW: &str = "21";

fn unit_code(package: &Package, unit: usize) -> String {
    package.units.text_at(unit, "ZRZYDJDYH").to_owned()
}

/// The fids of the parcels of `unit` whose `field` is `value`.
fn parcels_of(package: &Package, unit: usize, field: &str, value: &str) -> Vec<usize> {
    let code = unit_code(package, unit);
    let in_unit = package.parcels.find("ZRZYDJDYH", &code);
    let matching = package.parcels.find(field, value);
    in_unit
        .into_iter()
        .filter(|f| matching.contains(f))
        .collect()
}

fn unit_finding(rule: &'static str, unit: usize, note: impl Into<String>) -> Finding {
    Finding {
        rule,
        layer: "ZRZYDJDY",
        fids: vec![unit],
        note: note.into(),
    }
}

fn parcel_finding(rule: &'static str, fid: usize, note: impl Into<String>) -> Finding {
    Finding {
        rule,
        layer: "ZRZK",
        fids: vec![fid],
        note: note.into(),
    }
}

fn stats_finding(rule: &'static str, row: usize, note: impl Into<String>) -> Finding {
    Finding {
        rule,
        layer: "TJ_ZRZYMJ",
        fids: vec![row],
        note: note.into(),
    }
}

fn stats_row(package: &Package, key: &str) -> usize {
    package.stats.find("DJDYLX", key)[0]
}

fn f002_unit_without_parcels(package: &mut Package) -> Vec<Finding> {
    let code = Value::Text(unit_code(package, U6));
    let column = package.parcels.column("ZRZYDJDYH");
    package
        .parcels
        .rows
        .retain(|row| row.values[column] != code);
    // u6's parcels were all state forest, so its total, forest and state areas now face sums of
    // no parcels; its other areas are 0 and still match.
    vec![
        unit_finding(
            "ZR-F002",
            U6,
            "u6 has no ZRZK parcels (deleted); its own fields unchanged",
        ),
        unit_finding("ZR-M010", U6, "u6 DJDYZMJ against no parcels (ZR-F002)"),
        unit_finding("ZR-M013", U6, "u6 SLMJ against no SL parcels (ZR-F002)"),
        unit_finding("ZR-M018", U6, "u6 GYMJ against no state parcels (ZR-F002)"),
        unit_finding(
            "ZR-T103",
            U6,
            "u6 is one gap: no parcel covers it (ZR-F002)",
        ),
    ]
}

fn n001_blank_name(package: &mut Package) -> Vec<Finding> {
    package.units.set(U7, "DJDYMC", text(""));
    vec![unit_finding("ZR-N001", U7, "DJDYMC blank")]
}

fn d001_unit_type(package: &mut Package) -> Vec<Finding> {
    package.units.set(U9, "DJDYLX", text("99"));
    vec![
        unit_finding("ZR-D001", U9, "DJDYLX 99 not in the code list"),
        unit_finding(
            "ZR-U005",
            U9,
            "u9's unit code keeps type segment 60 against DJDYLX 99 (ZR-D001)",
        ),
    ]
}

/// TJ_ZRZYMJ feels this too: see [`summarise_parcels`].
fn d002_resource_type(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U5, "ZYLX", "SL")[0];
    package.parcels.set(fid, "ZYLX", text("LD"));
    vec![
        parcel_finding("ZR-D002", fid, "u5 SL parcel with ZYLX LD"),
        unit_finding(
            "ZR-M013",
            U5,
            "u5 SLMJ still counts its parcel relabelled LD (ZR-D002)",
        ),
    ]
}

fn d003_land_class(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U8, "DLBM", "0401")[0];
    package.parcels.set(fid, "DLBM", text("0399"));
    vec![parcel_finding(
        "ZR-D003",
        fid,
        "u8 CY parcel with DLBM 0399",
    )]
}

/// The unit keeps a consistent code everywhere, so only the format rule fires; the code's type
/// digits stay 30, so TJ_ZRZYMJ keeps the unit in its row.
fn u001_unit_code(package: &mut Package) -> Vec<Finding> {
    let old = unit_code(package, U4);
    let new = "622923300001";
    package.units.set(U4, "ZRZYDJDYH", text(new));
    for layer in [&mut package.parcels, &mut package.links] {
        for fid in layer.find("ZRZYDJDYH", &old) {
            layer.set(fid, "ZRZYDJDYH", text(new));
        }
    }
    vec![unit_finding(
        "ZR-U001",
        U4,
        "u4 code has 12 digits; its parcels and GGGZ rows follow",
    )]
}

fn u003_duplicate_bsm(package: &mut Package) -> Vec<Finding> {
    let original = parcels_of(package, U2, "ZYLX", "SZY")[0];
    let copy = parcels_of(package, U3, "ZYLX", "SD")[0];
    let bsm = package.parcels.get(original, "BSM").clone();
    package.parcels.set(copy, "BSM", bsm);
    vec![Finding {
        rule: "ZR-U003",
        layer: "ZRZK",
        fids: vec![original, copy],
        note: "a u3 parcel carries the BSM of a u2 parcel".into(),
    }]
}

/// u1 has four parcels, so it keeps three and ZR-F002 stays quiet; the moved parcel (state
/// wetland) is missing from u1's total, wetland and state sums. TJ_ZRZYMJ counts it under
/// type 40, the type digits of the code it names.
fn f001_unknown_unit(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U1, "DLBM", "1108")[0];
    package.parcels.set(fid, "ZRZYDJDYH", text("6229234000099"));
    vec![
        parcel_finding(
            "ZR-F001",
            fid,
            "u1 parcel points at unit 6229234000099, which does not exist",
        ),
        unit_finding(
            "ZR-M010",
            U1,
            "u1 DJDYZMJ lacks its parcel moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-M012",
            U1,
            "u1 SDMJ lacks its SD parcel moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-T103",
            U1,
            "u1 has a gap where its parcel was moved away (ZR-F001)",
        ),
        unit_finding(
            "ZR-M018",
            U1,
            "u1 GYMJ lacks its state parcel moved away (ZR-F001)",
        ),
    ]
}

fn m001_area_sum(package: &mut Package) -> Vec<Finding> {
    package.units.shift(U5, "JTMJ", 10_000);
    vec![
        unit_finding("ZR-M001", U5, "u5 JTMJ raised by 100.00"),
        unit_finding(
            "ZR-M019",
            U5,
            "u5 JTMJ 100.00 (ZR-M001) against no collective parcels",
        ),
        unit_finding(
            "ZR-O008",
            U5,
            "u5 JTMJ 100.00 (ZR-M001) but SYQZT names no collective",
        ),
    ]
}

fn o001_no_representative(package: &mut Package) -> Vec<Finding> {
    package.units.set(U2, "DBXSZT", Value::Null);
    vec![unit_finding(
        "ZR-O001",
        U2,
        "u2 has state-owned area but DBXSZT is null",
    )]
}

fn o003_no_agent(package: &mut Package) -> Vec<Finding> {
    package.units.set(U8, "QLXSFS", text("2"));
    package.units.set(U8, "DLXSZT", text(""));
    vec![unit_finding("ZR-O003", U8, "u8 QLXSFS 2 with DLXSZT blank")]
}

fn o004_agent_when_direct(package: &mut Package) -> Vec<Finding> {
    package.units.set(U1, "DLXSZT", text("甘肃省人民政府"));
    vec![unit_finding(
        "ZR-O004",
        U1,
        "u1 QLXSFS 1 with DLXSZT filled",
    )]
}

fn o005_no_owner_name(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U8, "QSXZ", "30")[0];
    package.parcels.set(fid, "QSDWMC", text(""));
    vec![parcel_finding(
        "ZR-O005",
        fid,
        "u8 collective parcel with QSDWMC blank",
    )]
}

fn d005_exercise_mode(package: &mut Package) -> Vec<Finding> {
    package.units.set(U3, "QLXSFS", text("3"));
    vec![unit_finding(
        "ZR-D005",
        U3,
        "u3 QLXSFS 3 not in the code list",
    )]
}

/// ZR-M004 skips the parcel (an invalid ring has no meaningful area) and says so in its notes;
/// its MJ is unchanged, so the sums of declared areas still hold.
fn g002_bowtie(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U7, "DLBM", "0401")[0];
    let ring = &mut package.parcels.rows[fid].ring;
    *ring = bowtie(ring);
    vec![parcel_finding(
        "ZR-G002",
        fid,
        "u7 parcel ring self-intersects (two vertices swapped)",
    )]
}

/// The ring with the first pair of consecutive vertices after the start whose swap makes it
/// self-intersect: a bowtie.
fn bowtie(ring: &[Mm]) -> Ring {
    (1..ring.len() - 1)
        .map(|i| {
            let mut swapped = ring.to_vec();
            swapped.swap(i, i + 1);
            swapped
        })
        .find(|swapped| !polygon(swapped).is_valid())
        .expect("some swap makes the ring self-intersect")
}

fn f004_unknown_zone(package: &mut Package) -> Vec<Finding> {
    let unit = package.units.get(U5, "ZRZYDJDYH").clone();
    package.links.push(
        Ring::new(),
        vec![
            ("ZRZYDJDYH", unit),
            ("GGGZYSLX", text(RED_LINE)),
            ("GGGZFQBSM", text("62292319999")),
            // A plausible overlap of 25 000 m²; there is no zone to measure it against.
            ("MJ", Value::Area(2_500_000)),
            ("GGGZNR", text(RED_LINE_RULE)),
        ],
    );
    vec![Finding {
        rule: "ZR-F004",
        layer: "GGGZ",
        fids: vec![package.links.rows.len() - 1],
        note: "GGGZ row for u5 names red-line zone 62292319999, which does not exist".into(),
    }]
}

fn crs_of(epsg: u32) -> Crs {
    Crs::from_epsg(epsg).unwrap_or_else(|| panic!("EPSG:{epsg} is a CGCS2000 CRS"))
}

/// Each vertex through longitude and latitude into another CRS, back in whole millimetres.
fn reproject(ring: &[Mm], from: &Crs, to: &Crs) -> Ring {
    ring.iter()
        .map(|&(x, y)| {
            let (lon, lat) = from.to_lonlat(x as f64 / 1000.0, y as f64 / 1000.0);
            let (x, y) = to.from_lonlat(lon, lat);
            to_mm(x, y)
        })
        .collect()
}

/// The red line as the ecology department keeps it, in zone 35, never converted to the
/// package's zone 34. Its MJ stays the true area, which ZR-M007 cannot check: it skips features
/// whose coordinates do not fit the package CRS and says so in its notes.
fn p004_wrong_zone(package: &mut Package) -> Vec<Finding> {
    let (package_crs, east) = (crs_of(EPSG), crs_of(EPSG_EAST));
    for row in &mut package.zones.rows {
        row.ring = reproject(&row.ring, &package_crs, &east);
        assert!(
            polygon(&row.ring).is_valid(),
            "a reprojected zone is invalid"
        );
    }
    package.zones.epsg = EPSG_EAST;
    vec![
        Finding {
            rule: "ZR-P004",
            layer: "STBHHX",
            fids: vec![],
            note: "STBHHX.geojson declares EPSG:4523, package.yaml EPSG:4522 (declared_mismatch)"
                .into(),
        },
        Finding {
            rule: "ZR-P004",
            layer: "STBHHX",
            fids: (0..package.zones.rows.len()).collect(),
            note: "both zones have zone-35 eastings (35xxxxxx) in a zone-34 package (zone_prefix)"
                .into(),
        },
    ]
}

/// The farmland with x and y exchanged, as a careless export writes it; its header still says
/// EPSG:4522 and its MJ the true area. No rule compares YJJBNT areas, so only ZR-P006 fires.
fn p006_swapped_axes(package: &mut Package) -> Vec<Finding> {
    for row in &mut package.farmland.rows {
        row.ring = row.ring.iter().map(|&(x, y)| (y, x)).collect();
    }
    vec![Finding {
        rule: "ZR-P006",
        layer: "YJJBNT",
        fids: (0..package.farmland.rows.len()).collect(),
        note: "both farmland parcels store the northing as x (swapped_axes)".into(),
    }]
}

/// A parcel's MJ 5.00 m² too large, carried into its unit's totals as a producer summing
/// parcel MJ would: every sum of declared areas still holds, and only the comparisons with
/// ellipsoidal areas see it. Every unit already carries some defect; u2's (DBXSZT null) touches
/// no area, its SD parcel is state-owned and otherwise untouched, and u2 is small enough for
/// ZR-M005 to see 5 m² with a clear margin (u9, with DJDYLX 99, would leave 0.08 m²).
fn m004_parcel_area(package: &mut Package) -> Vec<Finding> {
    let fid = parcels_of(package, U2, "ZYLX", "SD")[0];
    assert_eq!(
        package.parcels.text_at(fid, "QSXZ"),
        "10",
        "u2's SD parcel is state"
    );
    package.parcels.shift(fid, "MJ", 500);
    let zylx = package.parcels.text_at(fid, "ZYLX");
    let (_, type_area) = RESOURCE_TYPES
        .iter()
        .find(|t| t.0 == zylx)
        .expect("a natural-resource parcel");
    for field in ["DJDYZMJ", "GYMJ", "DYNZRZYZMJ", type_area] {
        package.units.shift(U2, field, 500);
    }
    assert_m005_fires(package, U2);
    vec![
        parcel_finding("ZR-M004", fid, "u2 state SD parcel MJ +5.00 m²"),
        unit_finding(
            "ZR-M005",
            U2,
            "u2 DJDYZMJ carries its parcel's +5.00 m² (ZR-M004)",
        ),
    ]
}

/// ZR-M005 allows the larger of 0.05 m² and 1e-7 of the unit's area (the accumulated rounding
/// of its parcels), so 5 m² shows only on a unit smaller than about 50 km².
fn assert_m005_fires(package: &Package, unit: usize) {
    let ring = polygon(&package.units.rows[unit].ring);
    let area = geometry_area(&ring.into(), &crs_of(EPSG));
    let declared = package.units.area_at(unit, "DJDYZMJ") as f64 / 100.0;
    let allowed = (1e-7 * area).max(0.05);
    assert!(
        (declared - area).abs() > allowed,
        "ZR-M005 allows {allowed} m² on unit {unit}, more than its error"
    );
}

/// Only unit fields change, so TJ_ZRZYMJ, summed from the parcels, does not see it.
fn m003_type_areas(package: &mut Package) -> Vec<Finding> {
    package.units.shift(U3, "SDMJ", 3_000);
    vec![
        unit_finding(
            "ZR-M003",
            U3,
            "u3 SDMJ +30.00 with DYNZRZYZMJ unchanged: the six type areas exceed it",
        ),
        unit_finding(
            "ZR-M012",
            U3,
            "u3 SDMJ +30.00 (ZR-M003) is no longer the sum of its SD parcels",
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Topology defects: units that overlap, a unit leaving the county, a parcel leaving its unit

/// A forest unit drawn from the forestry department's 林地 map, which overlaps 罗家洞森林 (u5).
/// Its land is what the third national land survey classed as 其他草地 and 裸土地 (宜林地 not
/// yet afforested), not SL: a unit of SL parcels would change TJ_ZRZYMJ's 合计 SLMJ, which
/// `tests/fixtures.rs` pins at 2410.44.
const NEW_FOREST: UnitSpec = UnitSpec {
    name: "罗家洞林场森林",
    djdylx: "40",
    seq: 3,
    zl: "永靖县川城镇罗家洞村",
    djjg: COUNTY,
    cell: (0, 1),
    direct: false,
    parcels: &[state("CY", "0404"), state("HD", "1206")],
};

/// A grassland unit drawn over the west side of the protected area u1, and past the county
/// line into the neighbouring county.
const NEW_GRASSLAND: UnitSpec = UnitSpec {
    name: "太极草原",
    djdylx: "50",
    seq: 3,
    zl: "永靖县太极镇",
    djjg: COUNTY,
    cell: (0, 0),
    direct: false,
    parcels: &[state("CY", "0401"), state("CY", "0404")],
};

/// The fids the new units take: appended after u1 … u9.
const U10: usize = 9;
const U11: usize = 10;

/// How far the overhanging parcel's new vertex lies outside its unit, in millimetres.
const OVERHANG_MM: i64 = 1_000;

/// A separate stream for the shapes of the topology defects, so that the clean package and the
/// earlier defects keep their bytes.
fn topology_rng(salt: u64) -> Rng {
    Rng(SEED ^ (0x7070_0000 + salt))
}

fn ring_polygon_area(ring: &[Mm]) -> f64 {
    geometry_area(&polygon(ring).into(), &crs_of(EPSG))
}

/// The ellipsoidal area of an overlay result. geo's overlay snaps to a grid: on u11's part
/// outside the county it is 0.012 m² off the exact area (1e-7 relative), so the notes give such
/// areas to 0.1 m² only; nothing here depends on them more finely.
fn ellipsoidal(g: &geo::MultiPolygon<f64>) -> f64 {
    geometry_area(&Geometry::MultiPolygon(g.clone()), &crs_of(EPSG))
}

/// The red-line zones back in the package's zone (ZR-P004 delivered them in zone 35) and the
/// farmland with its axes restored (ZR-P006), to keep new units clear of both.
fn obstacles(package: &Package) -> Vec<Polygon<f64>> {
    let (package_crs, east) = (crs_of(EPSG), crs_of(EPSG_EAST));
    let zones = package.zones.rows.iter().map(|row| {
        let ring = if package.zones.epsg == EPSG_EAST {
            reproject(&row.ring, &east, &package_crs)
        } else {
            row.ring.clone()
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
/// `target` by `overlap` of its own area, touches no other unit, red-line zone or farmland,
/// and has `outside` of its area outside the county.
fn place(
    package: &Package,
    shape: &[Mm],
    centres: impl Iterator<Item = (f64, f64)>,
    target: usize,
    accept: impl Fn(f64, f64, f64) -> bool,
) -> Ring {
    let county = polygon(&package.xzq.rows[0].ring);
    let others = obstacles(package);
    for centre in centres {
        let offset = to_mm(centre.0, centre.1);
        let ring: Ring = shape
            .iter()
            .map(|&(x, y)| (x + offset.0, y + offset.1))
            .collect();
        let candidate = polygon(&ring);
        let own = ring_polygon_area(&ring);
        let hit = (0..package.units.rows.len())
            .filter(|&u| candidate.intersects(&polygon(&package.units.rows[u].ring)))
            .collect::<Vec<_>>();
        if hit != [target] || others.iter().any(|o| candidate.intersects(o)) {
            continue;
        }
        let shared =
            ellipsoidal(&candidate.intersection(&polygon(&package.units.rows[target].ring)));
        let out = ellipsoidal(&candidate.difference(&county));
        if accept(shared, out, own) {
            return ring;
        }
    }
    panic!("no placement of a new unit over unit {target}");
}

/// The planar area of a ring, in m².
fn planar_area(ring: &[Mm]) -> f64 {
    use geo::Area;
    polygon(ring).unsigned_area()
}

/// The ellipsoidal area of the overlap of two units.
fn unit_overlap(package: &Package, a: usize, b: usize) -> f64 {
    let (a, b) = (&package.units.rows[a].ring, &package.units.rows[b].ring);
    ellipsoidal(&polygon(a).intersection(&polygon(b)))
}

/// Candidate centres on rays from `from` (metres), every `step` metres out to `reach`, ray by
/// ray in the order of `angles` (degrees).
fn rays(from: (f64, f64), angles: &[f64], step: f64, reach: f64) -> Vec<(f64, f64)> {
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

fn ring_centre(ring: &[Mm]) -> (f64, f64) {
    let n = ring.len() as f64;
    let (sx, sy) = ring
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x as f64, b + y as f64));
    (sx / n / 1000.0, sy / n / 1000.0)
}

/// Appends unit `spec` with outline `ring`, tiled by its own parcels (appended to ZRZK) with
/// every area field their sum, as [`build_clean`] makes the units. Returns the parcels' fids.
fn append_unit(
    package: &mut Package,
    spec: &'static UnitSpec,
    ring: &[Mm],
    rng: &mut Rng,
) -> Vec<usize> {
    let crs = crs_of(EPSG);
    let (ring, slices) = tile(ring, spec.parcels.len(), rng);
    let parcels: Vec<Parcel> = spec
        .parcels
        .iter()
        .zip(slices)
        .map(|(spec, ring)| Parcel {
            spec,
            cents: ring_cents(&ring, &crs),
            ring,
        })
        .collect();
    assert!(
        polygon(&ring).is_valid(),
        "new unit {} is invalid",
        spec.code()
    );
    assert!(
        package.units.find("ZRZYDJDYH", &spec.code()).is_empty(),
        "unit code taken"
    );
    package.units.push(ring, unit_values(spec, &parcels));
    // BSMs continue after the highest one in use (F002 deleted parcels, U003 copied one).
    let mut next = (0..package.parcels.rows.len())
        .filter_map(|fid| {
            package.parcels.text_at(fid, "BSM")[10..]
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    let mut fids = Vec::new();
    for parcel in parcels {
        assert!(polygon(&parcel.ring).is_valid(), "new parcel is invalid");
        next += 1;
        let bsm = format!("{XZQDM}2021{next:06}");
        let values = parcel_values(&bsm, &spec.code(), &parcel);
        package.parcels.push(parcel.ring, values);
        fids.push(package.parcels.rows.len() - 1);
    }
    fids
}

/// ZR-T105 findings for every earlier parcel that a new parcel of `unit` (named `name` in the
/// notes) overlaps by more than 0.01 m²: the finding lies on the earlier (lower) fid, the new
/// parcel is its `related` feature. Overlaps must be clearly above or clearly below the
/// threshold, never slivers near it.
fn parcel_overlaps(package: &Package, new: &[usize], name: &str, cause: &str) -> Vec<Finding> {
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
            let area = ellipsoidal(&p.intersection(&q));
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

/// ZR-T101: a third forest unit overlapping u5 by 20–40 % of its own area, inside the county,
/// clear of every other unit. Its parcels overlap u5's, which ZR-T105 reports pair by pair;
/// every area field of it is the sum of its parcels', so no area rule fires, and TJ_ZRZYMJ,
/// summarised afterwards, counts its parcels in row 40.
fn t101_forest_overlap(package: &mut Package) -> Vec<Finding> {
    let frame = Frame::new(&crs_of(EPSG));
    let (dx, dy) = frame.cell_size();
    let mut rng = topology_rng(101);
    let shape = star_ring(&mut rng, (0.0, 0.0), 0.18 * dx, 0.22 * dy, 8, 0.7);
    let from = ring_centre(&package.units.rows[U5].ring);
    // East first: the red line 62292310002 lies over u5's west edge.
    let centres = rays(from, &[0.0, -20.0, 20.0, -40.0, 40.0], 0.02 * dx, 1.0 * dx);
    let ring = place(
        package,
        &shape,
        centres.into_iter(),
        U5,
        |shared, out, own| (0.2..=0.4).contains(&(shared / own)) && out == 0.0,
    );
    let parcels = append_unit(package, &NEW_FOREST, &ring, &mut rng);
    assert_eq!(package.units.rows.len() - 1, U10);
    let shared = unit_overlap(package, U5, U10);
    let mut findings = vec![unit_finding(
        "ZR-T101",
        U5,
        format!(
            "u5 and the new forest unit u10 ({}, fid {U10}), both DJDYLX 40, overlap by about {shared:.1} \
             m²; the finding lies on the lower fid, u10 is its related feature",
            unit_code(package, U10)
        ),
    )];
    findings.extend(parcel_overlaps(
        package,
        &parcels,
        "u10",
        "ZR-T101: u10 overlaps u5",
    ));
    findings
}

/// ZR-T102 and ZR-T104: a grassland unit over the west side of the protected area u1 that also
/// runs past the county line. Its parcels overlap u1's (ZR-T105, pair by pair); nothing else
/// checks ZRZK against XZQ.
fn t102_grassland_overlap(package: &mut Package) -> Vec<Finding> {
    let frame = Frame::new(&crs_of(EPSG));
    let (dx, dy) = frame.cell_size();
    let mut rng = topology_rng(102);
    let shape = star_ring(&mut rng, (0.0, 0.0), 0.4 * dx, 0.12 * dy, 8, 0.7);
    let from = ring_centre(&package.units.rows[U1].ring);
    let mut centres = Vec::new();
    for j in 0..30 {
        for i in 0..40 {
            centres.push((
                from.0 - 0.05 * dx * i as f64,
                from.1 - 0.8 * dy + 0.05 * dy * j as f64,
            ));
        }
    }
    let ring = place(
        package,
        &shape,
        centres.into_iter(),
        U1,
        |shared, out, own| shared > 100_000.0 && out > 100_000.0 && out < 0.5 * own,
    );
    let parcels = append_unit(package, &NEW_GRASSLAND, &ring, &mut rng);
    assert_eq!(package.units.rows.len() - 1, U11);
    let shared = unit_overlap(package, U11, U1);
    let county = polygon(&package.xzq.rows[0].ring);
    let outside = ellipsoidal(&polygon(&package.units.rows[U11].ring).difference(&county));
    let mut findings = vec![
        unit_finding(
            "ZR-T102",
            U11,
            format!(
                "the new grassland unit u11 ({}, fid {U11}, DJDYLX 50) overlaps the protected-area \
                 unit u1 (12), its related feature, by about {shared:.1} m²",
                unit_code(package, U11)
            ),
        ),
        unit_finding(
            "ZR-T104",
            U11,
            format!("u11 has about {outside:.1} m² outside the county (XZQ)"),
        ),
    ];
    findings.extend(parcel_overlaps(
        package,
        &parcels,
        "u11",
        "ZR-T102: u11 overlaps u1",
    ));
    findings
}

/// ZR-T103 overhang: a vertex added to u9's 1207 parcel, 1 m outside the middle of its longest
/// edge on u9's outline, so a long thin triangle of the parcel lies outside u9. The producer
/// measures the parcel as drawn and sums it into u9 (MJ, DJDYZMJ, GYMJ, DYNZRZYZMJ, HDMJ all
/// carry the triangle), so every declared sum holds and ZR-M004 agrees with the parcel; only u9's
/// outline, unchanged, no longer has the area its DJDYZMJ declares (ZR-M005). u9's one defect so
/// far (DJDYLX 99) touches no area or geometry.
///
/// The triangle's official area is well below its planar area (about 1433 against 2437 m²):
/// the official method takes each edge as straight in (B, L), and over a 4.9 km edge that line
/// bows some 0.4 m away from the straight grid edge, which the 1 m apex barely clears. Both
/// rules measure the overlay's grid triangle by the official method, so they agree.
fn t103_overhang(package: &mut Package) -> Vec<Finding> {
    let crs = crs_of(EPSG);
    let fid = parcels_of(package, U9, "DLBM", "1207")[0];
    let unit_ring = package.units.rows[U9].ring.clone();
    let ring = package.parcels.rows[fid].ring.clone();
    let n = ring.len();
    let on_outline = |p: Mm, q: Mm| {
        let i = unit_ring.iter().position(|&v| v == p);
        i.is_some_and(|i| unit_ring[(i + 1) % unit_ring.len()] == q)
    };
    let length = |p: Mm, q: Mm| ((q.0 - p.0) as f64).hypot((q.1 - p.1) as f64);
    let edge = (0..n)
        .filter(|&i| on_outline(ring[i], ring[(i + 1) % n]))
        .max_by(|&a, &b| {
            let la = length(ring[a], ring[(a + 1) % n]);
            let lb = length(ring[b], ring[(b + 1) % n]);
            la.partial_cmp(&lb).expect("finite")
        })
        .expect("the parcel has an edge on its unit's outline");
    let (p, q) = (ring[edge], ring[(edge + 1) % n]);
    let len = length(p, q);
    // Counter-clockwise ring: the outside is to the right of p → q.
    let (ox, oy) = ((q.1 - p.1) as f64 / len, -(q.0 - p.0) as f64 / len);
    let apex = (
        (p.0 + q.0) / 2 + (ox * OVERHANG_MM as f64).round() as i64,
        (p.1 + q.1) / 2 + (oy * OVERHANG_MM as f64).round() as i64,
    );
    let mut pushed = ring.clone();
    pushed.insert(edge + 1, apex);
    let unit = polygon(&unit_ring);
    let outside = ellipsoidal(&polygon(&pushed).difference(&unit));
    let planar = {
        use geo::Area;
        polygon(&pushed).unsigned_area() - planar_area(&ring)
    };
    assert!(polygon(&pushed).is_valid(), "the pushed parcel is invalid");
    assert!(!unit.contains(&geo::Point::new(
        apex.0 as f64 / 1000.0,
        apex.1 as f64 / 1000.0
    )));
    assert!(outside > 100.0, "overhang of only {outside} m²");
    for u in (0..package.units.rows.len()).filter(|&u| u != U9) {
        assert!(!polygon(&pushed).intersects(&polygon(&package.units.rows[u].ring)));
    }
    let old = package.parcels.area_at(fid, "MJ");
    let new = ring_cents(&pushed, &crs);
    package.parcels.rows[fid].ring = pushed;
    package.parcels.set(fid, "MJ", Value::Area(new));
    assert_eq!(
        package.parcels.text_at(fid, "QSXZ"),
        "10",
        "u9's 1207 parcel is state"
    );
    for field in ["DJDYZMJ", "GYMJ", "DYNZRZYZMJ", "HDMJ"] {
        package.units.shift(U9, field, new - old);
    }
    assert_m005_fires(package, U9);
    vec![
        parcel_finding(
            "ZR-T103",
            fid,
            format!(
                "u9's 1207 parcel has a vertex 1 m outside the middle of a {:.0} m edge of u9's \
                 outline: a triangle of {planar:.1} m² in the plane, about {outside:.1} m² by the \
                 official ellipsoidal method, overhangs u9",
                len / 1000.0
            ),
        ),
        unit_finding(
            "ZR-M005",
            U9,
            format!(
                "u9 DJDYZMJ +{} m² carries its parcel's overhang (ZR-T103), which u9's outline \
                 lacks",
                decimal(new - old, 2)
            ),
        ),
    ]
}

/// TJ_ZRZYMJ summarised from the defective parcels, then given a wrong total row and a wrong
/// total column.
fn t001_wrong_totals(package: &mut Package) -> Vec<Finding> {
    let mut findings = summarise_parcels(package);
    findings.extend(wrong_total_row(package));
    findings.extend(wrong_total_column(package));
    findings
}

/// The producer summarises the parcels as delivered, defects and all, so ZR-T002, which sums
/// the same parcels, agrees with every figure. ZR-T001 does not: u5's LD parcel (ZR-D002) is
/// in HJ (`ZYLX <> 'FZR'`) but in none of the six parts of its row.
fn summarise_parcels(package: &mut Package) -> Vec<Finding> {
    package.stats = statistics(&package.parcels);
    let row = stats_row(package, UNITS[U5].djdylx);
    vec![stats_finding(
        "ZR-T001",
        row,
        "row 40 HJ counts u5's LD parcel (ZR-D002), which no part column holds",
    )]
}

/// The 合计 row's SLMJ 1.00 公顷 too large: the column no longer sums, and neither does the row
/// (whose HJ already differed from its parts by the LD parcel).
fn wrong_total_row(package: &mut Package) -> Vec<Finding> {
    let total = stats_row(package, TOTAL_ROW);
    package.stats.shift(total, "SLMJ", 100);
    vec![
        stats_finding(
            "ZR-T001",
            total,
            "合计 SLMJ +1.00 is not the sum of the rows' SLMJ",
        ),
        stats_finding(
            "ZR-T001",
            total,
            "合计 HJ is not the sum of its parts: SLMJ +1.00, and the LD parcel (ZR-D002) in HJ only",
        ),
    ]
}

/// A data row's HJ 0.50 公顷 too large, its ZB left as it was.
fn wrong_total_column(package: &mut Package) -> Vec<Finding> {
    let row = stats_row(package, WRONG_HJ_ROW);
    let total = stats_row(package, TOTAL_ROW);
    package.stats.shift(row, "HJ", 50);
    assert_zb_holds(package, row, total);
    vec![
        stats_finding("ZR-T001", row, "HJ +0.50 is not the sum of the row's parts"),
        stats_finding(
            "ZR-T002",
            row,
            "HJ +0.50 is not the sum of the row's parcels",
        ),
        stats_finding(
            "ZR-T001",
            total,
            "合计 HJ is not the sum of the rows' HJ (one row's HJ +0.50)",
        ),
    ]
}

/// ZR-T001 checks ZB against 100 × HJ / 合计 HJ within half its last decimal (±0.005). The
/// damaged HJ moves that ratio by 100 × 0.50 / 合计 HJ (about 0.0015 here) on top of ZB's own
/// rounding, so whether ZB raises a finding of its own depends on the row: this row's must not.
fn assert_zb_holds(package: &Package, row: usize, total: usize) {
    let figure = |fid, field| match package.stats.get(fid, field) {
        Value::Figure(v) => *v as f64 / 100.0,
        other => panic!("TJ_ZRZYMJ {field} is {other:?}"),
    };
    let ratio = 100.0 * figure(row, "HJ") / figure(total, "HJ");
    assert!(
        (figure(row, "ZB") - ratio).abs() < 0.005,
        "row {row}: ZB no longer matches HJ"
    );
}

// ---------------------------------------------------------------------------------------------
// Writing

/// `value` / 10^places with exactly `places` decimals, without going through a float.
/// Coordinates and areas here are never negative.
fn decimal(value: i64, places: u32) -> String {
    let scale = 10i64.pow(places);
    format!(
        "{}.{:0width$}",
        value / scale,
        value % scale,
        width = places as usize
    )
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

fn write_package(dir: &Path, package: &Package) -> std::io::Result<()> {
    fs::create_dir_all(dir.join("vector"))?;
    fs::create_dir_all(dir.join("tables"))?;
    fs::write(dir.join("package.yaml"), MANIFEST)?;
    for layer in [
        &package.xzq,
        &package.units,
        &package.parcels,
        &package.farmland,
    ] {
        write_fgb(&dir.join(format!("vector/{}.fgb", layer.name)), layer)?;
    }
    fs::write(dir.join("vector/STBHHX.geojson"), geojson(&package.zones))?;
    for table in [&package.links, &package.stats] {
        fs::write(
            dir.join(format!("tables/{}.csv", table.name)),
            gbk_csv(table),
        )?;
    }
    Ok(())
}

const MANIFEST: &str = "\
# Test fixture written by examples/gen_fixtures.rs; regenerate instead of editing.
xzqdm: \"622923\"
xzqmc: 永靖县
level: county
crs: EPSG:4522
producer: 永靖县自然资源局
survey_date: 2021-10-31
encoding: GBK
";

fn write_fgb(path: &Path, layer: &Layer) -> std::io::Result<()> {
    let options = FgbWriterOptions {
        // The spatial index would reorder features by Hilbert curve; fids must stay file order.
        write_index: false,
        crs: FgbCrs {
            code: layer.epsg as i32,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut fgb = FgbWriter::create_with_options(layer.name, GeometryType::Polygon, options)
        .map_err(std::io::Error::other)?;
    for (name, kind) in layer.columns {
        let column_type = match kind {
            Kind::Text => ColumnType::String,
            Kind::Decimal => ColumnType::Double,
        };
        fgb.add_column(name, column_type, |_, _| {});
    }
    for row in &layer.rows {
        fgb.add_feature_geom(Geometry::Polygon(polygon(&row.ring)), |feature| {
            for (i, ((name, _), value)) in layer.columns.iter().zip(&row.values).enumerate() {
                // A null is an absent property.
                let column_value = match value {
                    Value::Null => continue,
                    Value::Text(s) => ColumnValue::String(s),
                    Value::Area(cents) | Value::Figure(cents) => {
                        ColumnValue::Double(*cents as f64 / 100.0)
                    }
                };
                feature
                    .property(i, name, &column_value)
                    .expect("property fits its column");
            }
        })
        .map_err(std::io::Error::other)?;
    }
    let mut bytes = Vec::new();
    fgb.write(&mut bytes).map_err(std::io::Error::other)?;
    fs::write(path, bytes)
}

/// GeoJSON with the legacy named-CRS member, as exported by desktop GIS for projected data.
fn geojson(layer: &Layer) -> String {
    let features: Vec<String> = layer
        .rows
        .iter()
        .map(|row| {
            let properties: Vec<String> = layer
                .columns
                .iter()
                .zip(&row.values)
                .map(|((name, _), value)| {
                    let json = match value {
                        Value::Null => "null".to_owned(),
                        Value::Text(s) => json_string(s),
                        Value::Area(cents) | Value::Figure(cents) => decimal(*cents, 2),
                    };
                    format!("\"{name}\": {json}")
                })
                .collect();
            let ring = row.ring.iter().chain(&row.ring[..1]);
            let coords: Vec<String> = ring
                .map(|&(x, y)| format!("[{}, {}]", decimal(x, 3), decimal(y, 3)))
                .collect();
            format!(
                "{{\"type\": \"Feature\", \"properties\": {{{}}}, \
                 \"geometry\": {{\"type\": \"Polygon\", \"coordinates\": [[{}]]}}}}",
                properties.join(", "),
                coords.join(", ")
            )
        })
        .collect();
    format!(
        "{{\n\"type\": \"FeatureCollection\",\n\"name\": \"{}\",\n\
         \"crs\": {{\"type\": \"name\", \
         \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::{}\"}}}},\n\
         \"features\": [\n{}\n]\n}}\n",
        layer.name,
        layer.epsg,
        features.join(",\n")
    )
}

/// The table as CSV with a header row, encoded in GBK as the manifest declares.
fn gbk_csv(layer: &Layer) -> Vec<u8> {
    let mut csv = layer
        .columns
        .iter()
        .map(|c| c.0)
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for row in &layer.rows {
        let cells: Vec<String> = row
            .values
            .iter()
            .map(|value| match value {
                Value::Null => String::new(),
                Value::Text(s) if s.contains([',', '"', '\n']) => {
                    format!("\"{}\"", s.replace('"', "\"\""))
                }
                Value::Text(s) => s.clone(),
                Value::Area(cents) | Value::Figure(cents) => decimal(*cents, 2),
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(
        !unmappable,
        "{} holds a character GBK cannot encode",
        layer.name
    );
    bytes.into_owned()
}

fn truth_yaml(package: &Package, findings: &[Finding]) -> String {
    let mut yaml = format!(
        "# Ground truth for {DEFECTIVE}: the findings the rules of rules/*.yaml must report, one\n\
         # entry per finding. fids are 0-based feature indices (CSV: data-row indices), none for a\n\
         # finding on a layer as a whole; keys are the schema key of each fid ([ZRZYDJDYH,\n\
         # GGGZFQBSM] for GGGZ). A note says which injected defect causes the finding.\n\
         # Written by examples/gen_fixtures.rs; regenerate instead of editing.\n\
         package: {DEFECTIVE}\nfindings:\n"
    );
    for finding in findings {
        let layer = package
            .layers()
            .into_iter()
            .find(|l| l.name == finding.layer)
            .expect("findings are on layers of the package");
        let fids: Vec<String> = finding.fids.iter().map(usize::to_string).collect();
        let keys: Vec<String> = finding
            .fids
            .iter()
            .map(|&fid| {
                let key: Vec<String> = layer.key_of(fid).iter().map(|k| json_string(k)).collect();
                match key.len() {
                    1 => key[0].clone(),
                    _ => format!("[{}]", key.join(", ")),
                }
            })
            .collect();
        yaml += &format!(
            "  - rule: {}\n    layer: {}\n    fids: [{}]\n    keys: [{}]\n    note: {}\n",
            finding.rule,
            finding.layer,
            fids.join(", "),
            keys.join(", "),
            json_string(&finding.note)
        );
    }
    yaml
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures".to_owned());
    let out = Path::new(&out);
    let crs = crs_of(EPSG);

    let clean = build_clean(&crs);
    let mut defective = clean.clone();
    let findings: Vec<Finding> = DEFECTS
        .iter()
        .flat_map(|defect| defect(&mut defective))
        .collect();

    for (name, package) in [(CLEAN, &clean), (DEFECTIVE, &defective)] {
        let dir = out.join(name);
        // Start from an empty directory so no file of an older generator survives.
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        write_package(&dir, package)?;
    }
    let truth = out.join(format!("{DEFECTIVE}.truth.yaml"));
    fs::write(truth, truth_yaml(&defective, &findings))
}
