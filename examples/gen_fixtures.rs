//! Writes the test fixtures: a small survey package (成果包) for 永靖县 (XZQDM 622923), a copy of
//! it with sixteen injected defects, and the ground truth of what the built-in rules must find.
//!
//! ```text
//! cargo run --example gen_fixtures [OUT_DIR]        # OUT_DIR defaults to fixtures/
//! ```
//!
//! writes, per `shared/docs/package-format.md`:
//!
//! - `622923_永靖县/`: `package.yaml`; `vector/XZQ.fgb` (the county), `vector/ZRZYDJDY.fgb`
//!   (9 registration units), `vector/ZRZK.fgb` (24 parcels tiling the units exactly),
//!   `vector/STBHHX.geojson` (2 red-line zones) and `tables/GGGZ.csv` (GBK, one row per unit and
//!   red-line overlap). No rule of `rules/*.yaml` fires on it.
//! - `622923_永靖县_defective/`: the same package with the defects of [`DEFECTS`], each made so
//!   that exactly one rule fires, on exactly the features it names.
//! - `622923_永靖县_defective.truth.yaml`: one entry per expected finding (rule, layer, 0-based
//!   fids, keys).
//!
//! Everything is in CGCS2000 / 3-degree Gauss-Krüger zone 34 (EPSG:4522, zone-prefixed easting).
//! Vertices are whole millimetres, so the parcels of a unit share bit-identical edges, and every
//! area is the official ellipsoidal area of `nrqc::geom::area`, rounded to 0.01 m² and summed in
//! integer hundredths so that the unit totals add up exactly. The shapes come from a fixed-seed
//! PRNG: every run writes the same bytes.

use std::f64::consts::{PI, TAU};
use std::fs;
use std::path::Path;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{BooleanOps, Contains, Coord, Geometry, Intersects, LineString, Polygon, Validation};
use geozero::{ColumnValue, PropertyProcessor};
use nrqc::geom::area::geometry_area;
use nrqc::geom::crs::Crs;

const EPSG: u32 = 4522;
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
    /// m², stored as a double with two decimals.
    Area,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Text(String),
    /// Hundredths of m².
    Area(i64),
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

#[derive(Clone)]
struct Row {
    /// Empty for rows of a table without geometry (GGGZ).
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

    /// The fids of the rows whose `field` is the text `value`, in file order.
    fn find(&self, field: &str, value: &str) -> Vec<usize> {
        let column = self.column(field);
        let wanted = text(value);
        (0..self.rows.len())
            .filter(|&fid| self.rows[fid].values[column] == wanted)
            .collect()
    }

    fn key_of(&self, fid: usize) -> Vec<String> {
        self.key
            .iter()
            .map(|field| match self.get(fid, field) {
                Value::Text(s) => s.clone(),
                other => panic!("key {field} is {other:?}"),
            })
            .collect()
    }
}

const XZQ_COLUMNS: &[(&str, Kind)] = &[
    ("XZQDM", Kind::Text),
    ("XZQMC", Kind::Text),
    ("DCMJ", Kind::Area),
];

const UNIT_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("DJDYMC", Kind::Text),
    ("DJDYLX", Kind::Text),
    ("ZL", Kind::Text),
    ("DJDYZMJ", Kind::Area),
    ("GYMJ", Kind::Area),
    ("JTMJ", Kind::Area),
    ("ZYQMJ", Kind::Area),
    ("DYNZRZYZMJ", Kind::Area),
    ("SZYMJ", Kind::Area),
    ("SDMJ", Kind::Area),
    ("SLMJ", Kind::Area),
    ("CYMJ", Kind::Area),
    ("HDMJ", Kind::Area),
    ("QTMJ", Kind::Area),
    ("FZRZYZMJ", Kind::Area),
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
    ("MJ", Kind::Area),
];

const ZONE_COLUMNS: &[(&str, Kind)] = &[
    ("HXBM", Kind::Text),
    ("HXMC", Kind::Text),
    ("HXLX", Kind::Text),
    ("MJ", Kind::Area),
];

const LINK_COLUMNS: &[(&str, Kind)] = &[
    ("ZRZYDJDYH", Kind::Text),
    ("GGGZYSLX", Kind::Text),
    ("GGGZFQBSM", Kind::Text),
    ("MJ", Kind::Area),
    ("GGGZNR", Kind::Text),
];

#[derive(Clone)]
struct Package {
    xzq: Layer,
    units: Layer,
    parcels: Layer,
    zones: Layer,
    links: Layer,
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

/// The layout promises of the module doc: valid polygons, units disjoint and inside the
/// county, zones inside the county and overlapping exactly the units they were placed on.
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
}

// ---------------------------------------------------------------------------------------------
// Defects

/// An expected finding: the rule and the 0-based fids (CSV: data-row indices) it must report.
struct Finding {
    rule: &'static str,
    layer: &'static str,
    fids: Vec<usize>,
    note: &'static str,
}

type Defect = fn(&mut Package) -> Finding;

/// Each defect edits the package and returns the finding it must cause. They run in this order:
/// ZR-F002 first, because deleting parcels shifts the fids of every later parcel; after it, fids
/// only ever grow by appending.
const DEFECTS: [Defect; 16] = [
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
];

fn unit_code(package: &Package, unit: usize) -> String {
    match package.units.get(unit, "ZRZYDJDYH") {
        Value::Text(code) => code.clone(),
        other => panic!("unit code is {other:?}"),
    }
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

fn unit_finding(rule: &'static str, unit: usize, note: &'static str) -> Finding {
    Finding {
        rule,
        layer: "ZRZYDJDY",
        fids: vec![unit],
        note,
    }
}

fn parcel_finding(rule: &'static str, fid: usize, note: &'static str) -> Finding {
    Finding {
        rule,
        layer: "ZRZK",
        fids: vec![fid],
        note,
    }
}

fn f002_unit_without_parcels(package: &mut Package) -> Finding {
    let code = Value::Text(unit_code(package, U6));
    let column = package.parcels.column("ZRZYDJDYH");
    package
        .parcels
        .rows
        .retain(|row| row.values[column] != code);
    unit_finding(
        "ZR-F002",
        U6,
        "u6 has no ZRZK parcels (deleted); its own fields unchanged",
    )
}

fn n001_blank_name(package: &mut Package) -> Finding {
    package.units.set(U7, "DJDYMC", text(""));
    unit_finding("ZR-N001", U7, "DJDYMC blank")
}

fn d001_unit_type(package: &mut Package) -> Finding {
    package.units.set(U9, "DJDYLX", text("99"));
    unit_finding("ZR-D001", U9, "DJDYLX 99 not in the code list")
}

fn d002_resource_type(package: &mut Package) -> Finding {
    let fid = parcels_of(package, U5, "ZYLX", "SL")[0];
    package.parcels.set(fid, "ZYLX", text("LD"));
    parcel_finding("ZR-D002", fid, "u5 SL parcel with ZYLX LD")
}

fn d003_land_class(package: &mut Package) -> Finding {
    let fid = parcels_of(package, U8, "DLBM", "0401")[0];
    package.parcels.set(fid, "DLBM", text("0399"));
    parcel_finding("ZR-D003", fid, "u8 CY parcel with DLBM 0399")
}

/// The unit keeps a consistent code everywhere, so only the format rule fires.
fn u001_unit_code(package: &mut Package) -> Finding {
    let old = unit_code(package, U4);
    let new = "622923300001";
    package.units.set(U4, "ZRZYDJDYH", text(new));
    for layer in [&mut package.parcels, &mut package.links] {
        for fid in layer.find("ZRZYDJDYH", &old) {
            layer.set(fid, "ZRZYDJDYH", text(new));
        }
    }
    unit_finding(
        "ZR-U001",
        U4,
        "u4 code has 12 digits; its parcels and GGGZ rows follow",
    )
}

fn u003_duplicate_bsm(package: &mut Package) -> Finding {
    let original = parcels_of(package, U2, "ZYLX", "SZY")[0];
    let copy = parcels_of(package, U3, "ZYLX", "SD")[0];
    let bsm = package.parcels.get(original, "BSM").clone();
    package.parcels.set(copy, "BSM", bsm);
    Finding {
        rule: "ZR-U003",
        layer: "ZRZK",
        fids: vec![original, copy],
        note: "a u3 parcel carries the BSM of a u2 parcel",
    }
}

/// u1 has four parcels, so it keeps three and ZR-F002 stays quiet.
fn f001_unknown_unit(package: &mut Package) -> Finding {
    let fid = parcels_of(package, U1, "DLBM", "1108")[0];
    package.parcels.set(fid, "ZRZYDJDYH", text("6229234000099"));
    parcel_finding(
        "ZR-F001",
        fid,
        "u1 parcel points at unit 6229234000099, which does not exist",
    )
}

fn m001_area_sum(package: &mut Package) -> Finding {
    let Value::Area(jtmj) = *package.units.get(U5, "JTMJ") else {
        panic!("JTMJ is not an area")
    };
    package.units.set(U5, "JTMJ", Value::Area(jtmj + 10_000));
    unit_finding("ZR-M001", U5, "u5 JTMJ raised by 100.00")
}

fn o001_no_representative(package: &mut Package) -> Finding {
    package.units.set(U2, "DBXSZT", Value::Null);
    unit_finding("ZR-O001", U2, "u2 has state-owned area but DBXSZT is null")
}

fn o003_no_agent(package: &mut Package) -> Finding {
    package.units.set(U8, "QLXSFS", text("2"));
    package.units.set(U8, "DLXSZT", text(""));
    unit_finding("ZR-O003", U8, "u8 QLXSFS 2 with DLXSZT blank")
}

fn o004_agent_when_direct(package: &mut Package) -> Finding {
    package.units.set(U1, "DLXSZT", text("甘肃省人民政府"));
    unit_finding("ZR-O004", U1, "u1 QLXSFS 1 with DLXSZT filled")
}

fn o005_no_owner_name(package: &mut Package) -> Finding {
    let fid = parcels_of(package, U8, "QSXZ", "30")[0];
    package.parcels.set(fid, "QSDWMC", text(""));
    parcel_finding("ZR-O005", fid, "u8 collective parcel with QSDWMC blank")
}

fn d005_exercise_mode(package: &mut Package) -> Finding {
    package.units.set(U3, "QLXSFS", text("3"));
    unit_finding("ZR-D005", U3, "u3 QLXSFS 3 not in the code list")
}

fn g002_bowtie(package: &mut Package) -> Finding {
    let fid = parcels_of(package, U7, "DLBM", "0401")[0];
    let ring = &mut package.parcels.rows[fid].ring;
    *ring = bowtie(ring);
    parcel_finding(
        "ZR-G002",
        fid,
        "u7 parcel ring self-intersects (two vertices swapped)",
    )
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

fn f004_unknown_zone(package: &mut Package) -> Finding {
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
    Finding {
        rule: "ZR-F004",
        layer: "GGGZ",
        fids: vec![package.links.rows.len() - 1],
        note: "GGGZ row for u5 names red-line zone 62292319999, which does not exist",
    }
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
    for layer in [&package.xzq, &package.units, &package.parcels] {
        write_fgb(&dir.join(format!("vector/{}.fgb", layer.name)), layer)?;
    }
    fs::write(dir.join("vector/STBHHX.geojson"), geojson(&package.zones))?;
    fs::write(dir.join("tables/GGGZ.csv"), gbk_csv(&package.links))
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
            code: EPSG as i32,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut fgb = FgbWriter::create_with_options(layer.name, GeometryType::Polygon, options)
        .map_err(std::io::Error::other)?;
    for (name, kind) in layer.columns {
        let column_type = match kind {
            Kind::Text => ColumnType::String,
            Kind::Area => ColumnType::Double,
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
                    Value::Area(cents) => ColumnValue::Double(*cents as f64 / 100.0),
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
                        Value::Area(cents) => decimal(*cents, 2),
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
         \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::{EPSG}\"}}}},\n\
         \"features\": [\n{}\n]\n}}\n",
        layer.name,
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
                Value::Area(cents) => decimal(*cents, 2),
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(!unmappable, "GGGZ holds a character GBK cannot encode");
    bytes.into_owned()
}

fn truth_yaml(package: &Package, findings: &[Finding]) -> String {
    let mut yaml = format!(
        "# Ground truth for {DEFECTIVE}: the findings the rules of rules/*.yaml must report, one\n\
         # entry per finding. fids are 0-based feature indices (CSV: data-row indices); keys are\n\
         # the schema key of each fid ([ZRZYDJDYH, GGGZFQBSM] for GGGZ).\n\
         # Written by examples/gen_fixtures.rs; regenerate instead of editing.\n\
         package: {DEFECTIVE}\nfindings:\n"
    );
    for finding in findings {
        let layer = [&package.units, &package.parcels, &package.links]
            .into_iter()
            .find(|l| l.name == finding.layer)
            .expect("findings are on ZRZYDJDY, ZRZK or GGGZ");
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
            json_string(finding.note)
        );
    }
    yaml
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures".to_owned());
    let out = Path::new(&out);
    let crs = Crs::from_epsg(EPSG).expect("EPSG:4522 is a package CRS");

    let clean = build_clean(&crs);
    let mut defective = clean.clone();
    let findings: Vec<Finding> = DEFECTS
        .iter()
        .map(|defect| defect(&mut defective))
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
