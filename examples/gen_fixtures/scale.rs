//! `--scale N`: one large clean package of 永靖县 for benchmarks, about N parcels, written unit
//! by unit so that memory follows the units (a few thousand outlines), not the parcels.
//!
//! The parcels are the cells of a jittered lattice over the middle of the county (±0.55 of its
//! half-extents, inside its outline), each with a jittered vertex in the middle of every side:
//! irregular octagons whose shared sides are bit-identical because both neighbours compute
//! them from the same lattice indices. Units are blocks of up to 10 × 10 parcels (80 outline
//! vertices), forest, grassland and wasteland in turn, so that no rule about unit types
//! applies; every fifth parcel is collective. The county outline and red-line zones are those
//! of the committed 永靖县 package; GGGZ holds every unit–zone overlap above ZR-R001's 0.01 m².

use std::collections::BTreeMap;
use std::path::Path;

use crate::build::unit_values;
use crate::build::{build_clean, parcel_values, push_link, red_line_overlaps, statistics_of};
use crate::build::{Frame, Parcel, TypeAreas};
use crate::counties::{collective, state, Collective, ParcelSpec, UnitSpec, YONGJING};
use crate::model::{Package, Row};
use crate::shape::{crs_of, parcel_cents, to_mm, Mm, Ring, Rng};
use crate::write::{write_package, FgbLayer};

const OWNER: Collective = Collective {
    code: "6229232062010000000",
    name: "三条岘乡三条岘村农民集体",
};

/// Unit types in turn, with the parcels a unit of each holds: the first two state-owned, the
/// third collective (every fifth parcel).
const KINDS: [(&str, &str, [ParcelSpec; 3]); 3] = [
    (
        "40",
        "永靖县川城镇森林",
        [
            state("SL", "0301"),
            state("SL", "0305"),
            collective("SL", "0307", &OWNER),
        ],
    ),
    (
        "50",
        "永靖县三条岘乡草原",
        [
            state("CY", "0401"),
            state("CY", "0403"),
            collective("CY", "0404", &OWNER),
        ],
    ),
    (
        "60",
        "永靖县徐顶乡荒地",
        [
            state("HD", "1207"),
            state("HD", "1206"),
            collective("HD", "1206", &OWNER),
        ],
    ),
];

/// Parcels along each side of a unit block.
const BLOCK: usize = 10;

/// The jittered lattice: vertex (i, j) and the middles of the sides leaving it east (h) and
/// north (v), each a pure function of its indices.
struct Lattice {
    origin: (f64, f64),
    step: (f64, f64),
    seed: u64,
}

impl Lattice {
    fn jitter(&self, i: usize, j: usize, salt: u64) -> (f64, f64) {
        let mut rng = Rng(self.seed ^ ((i as u64) << 40) ^ ((j as u64) << 16) ^ salt);
        (rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0))
    }

    fn vertex(&self, i: usize, j: usize) -> (f64, f64) {
        let (a, b) = self.jitter(i, j, 1);
        (
            self.origin.0 + (i as f64 + 0.2 * a) * self.step.0,
            self.origin.1 + (j as f64 + 0.2 * b) * self.step.1,
        )
    }

    fn mm(&self, i: usize, j: usize) -> Mm {
        let (x, y) = self.vertex(i, j);
        to_mm(x, y)
    }

    /// The middle of the side from (i, j) east to (i + 1, j), pushed north or south.
    fn h(&self, i: usize, j: usize) -> Mm {
        let (p, q) = (self.vertex(i, j), self.vertex(i + 1, j));
        let (a, _) = self.jitter(i, j, 2);
        to_mm(
            (p.0 + q.0) / 2.0,
            (p.1 + q.1) / 2.0 + 0.12 * a * self.step.1,
        )
    }

    /// The middle of the side from (i, j) north to (i, j + 1), pushed east or west.
    fn v(&self, i: usize, j: usize) -> Mm {
        let (p, q) = (self.vertex(i, j), self.vertex(i, j + 1));
        let (a, _) = self.jitter(i, j, 3);
        to_mm(
            (p.0 + q.0) / 2.0 + 0.12 * a * self.step.0,
            (p.1 + q.1) / 2.0,
        )
    }

    /// Cell (i, j), counter-clockwise from its south-west corner.
    fn cell(&self, i: usize, j: usize) -> Ring {
        vec![
            self.mm(i, j),
            self.h(i, j),
            self.mm(i + 1, j),
            self.v(i + 1, j),
            self.mm(i + 1, j + 1),
            self.h(i, j + 1),
            self.mm(i, j + 1),
            self.v(i, j),
        ]
    }

    /// The outline of cells i0..i1 × j0..j1, counter-clockwise.
    fn block(&self, (i0, i1): (usize, usize), (j0, j1): (usize, usize)) -> Ring {
        let mut ring = Vec::new();
        for i in i0..i1 {
            ring.extend([self.mm(i, j0), self.h(i, j0)]);
        }
        for j in j0..j1 {
            ring.extend([self.mm(i1, j), self.v(i1, j)]);
        }
        for i in (i0..i1).rev() {
            ring.extend([self.mm(i + 1, j1), self.h(i, j1)]);
        }
        for j in (j0..j1).rev() {
            ring.extend([self.mm(i0, j + 1), self.v(i0, j)]);
        }
        ring
    }
}

/// Writes the package to `dir/622923_永靖县` and returns its number of parcels and units.
pub fn write_scaled(parcels: usize, dir: &Path) -> std::io::Result<(usize, usize)> {
    let county = &YONGJING;
    let crs = crs_of(county.epsg);
    let base = build_clean(county);
    let frame = Frame::new(county, &crs);
    let (w, h) = (1.1 * frame.half_width, 1.1 * frame.half_height);
    // Cells as square as the rectangle allows: nx / ny = w / h, nx × ny ≈ N.
    let nx = ((parcels as f64 * w / h).sqrt().round() as usize).max(1);
    let ny = parcels.div_ceil(nx).max(1);
    let lattice = Lattice {
        origin: (frame.centre.0 - w / 2.0, frame.centre.1 - h / 2.0),
        step: (w / nx as f64, h / ny as f64),
        seed: county.seed,
    };

    let mut package = Package::new(county);
    package.xzq = base.xzq;
    package.zones = base.zones;
    let mut zrzk = FgbLayer::create(&package.parcels)?;
    let mut areas: BTreeMap<String, TypeAreas> = BTreeMap::new();
    let mut seqs = [0u32; 3];
    let mut written = 0;
    for bj in (0..ny).step_by(BLOCK) {
        for bi in (0..nx).step_by(BLOCK) {
            let (is, js) = ((bi, (bi + BLOCK).min(nx)), (bj, (bj + BLOCK).min(ny)));
            let kind = (bi / BLOCK + bj / BLOCK) % KINDS.len();
            let (djdylx, name, specs) = &KINDS[kind];
            seqs[kind] += 1;
            let spec = UnitSpec {
                name,
                djdylx,
                seq: seqs[kind],
                area: None,
                zl: name,
                djjg: "永靖县自然资源局",
                at: (0.0, 0.0),
                radii: (0.0, 0.0),
                vertices: (0, 0),
                direct: false,
                parcels: &[],
            };
            let cells: Vec<(usize, usize)> = (js.0..js.1)
                .flat_map(|j| (is.0..is.1).map(move |i| (i, j)))
                .collect();
            let rings: Vec<Ring> = cells.iter().map(|&(i, j)| lattice.cell(i, j)).collect();
            let cents = parcel_cents(&rings, &crs);
            let unit_parcels: Vec<Parcel> = rings
                .into_iter()
                .zip(cents)
                .zip(&cells)
                .map(|((ring, cents), &(i, j))| Parcel {
                    spec: &specs[if (i + j) % 5 == 0 { 2 } else { (i + j) % 2 }],
                    ring,
                    cents,
                })
                .collect();
            let code = spec.code(county.code);
            for parcel in &unit_parcels {
                let sums = areas.entry(djdylx.to_string()).or_default();
                sums.add(parcel.spec.zylx, parcel.cents);
                written += 1;
                let bsm = format!("{}2021{written:06}", county.code);
                let row = package
                    .parcels
                    .row(Ring::new(), parcel_values(&bsm, &code, parcel));
                zrzk.add(
                    &package.parcels,
                    &Row {
                        ring: parcel.ring.clone(),
                        ..row
                    },
                )?;
            }
            let values = unit_values(&spec, &code, &unit_parcels);
            package.units.push(lattice.block(is, js), values);
        }
    }
    let mut links = package.links.clone();
    for (u, z, area) in red_line_overlaps(&package, &crs) {
        if area > 0.01 {
            push_link(&mut links, &package, u, z, area);
        }
    }
    package.links = links;
    package.stats = statistics_of(areas, county.epsg);
    let out = dir.join(county.dir_name());
    write_package(&out, &package)?;
    zrzk.finish(&out.join("vector/ZRZK.fgb"))?;
    Ok((written, package.units.rows.len()))
}
