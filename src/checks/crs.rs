//! `crs`: a layer is in an accepted CGCS2000 CRS, agrees with the manifest, and its coordinates
//! fit that CRS.
//!
//! ## Parameters
//! - `layer`: the layer.
//! - `accept`: accepted EPSG codes and ranges, e.g. `[4490, "4513-4554"]`; default the package
//!   format's (1.1 section 5): `4490` (geographic) and `4513-4554` (3° Gauss-Krüger zones, with
//!   and without the zone prefix). 6° zones (`4491-4512`) are CGCS2000 and nrqc measures in them,
//!   but the format does not accept them.
//! - `band_margin`: degrees a feature may reach beyond its zone's band (default 1: a county
//!   straddling a zone line is delivered in one zone, e.g. 永靖县 reaches 103.65°E in zone 34).
//! - `lon`, `lat`: China's extent, default `[73, 136]` and `[3, 54]`.
//!
//! ## Findings
//! - `not_cgcs2000`: the layer's CRS (its own, or the manifest's when it declares none) is not
//!   accepted; `six_degree_zone` when it is a CGCS2000 6° zone.
//! - `declared_mismatch`: the layer file declares another CRS than `package.yaml`.
//! - Against the manifest CRS, one finding per reason naming every feature concerned:
//!   `swapped_axes` (northing stored as x), `zone_prefix` (a zone-prefixed easting of another
//!   zone), `outside_band` (beyond the zone's band by more than the margin), `outside_china`.
//!
//! Features without geometry have no coordinates to fit and are counted as skipped. The
//! measuring rules skip the misfit features (an area from the wrong zone, or with swapped axes,
//! is wrong) and count them with the reason, so a misfit is never a quiet skip.
//!
//! ## Example
//! ```yaml
//! - id: ZR-P002
//!   title: 登记单元图层坐标系错误或坐标与投影带不符
//!   class: A
//!   element: 空间参考系
//!   crs: { layer: ZRZYDJDY }
//! ```
//!
//! Finding: `2 个要素的东坐标带号为 35，与 EPSG:4522（第 34 带）不符`, measured
//! `{"reason": "zone_prefix", "found": 35, "expected": 34}`.

use std::collections::BTreeMap;

use geo::{BoundingRect, Geometry, Rect};
use serde::Deserialize;
use serde_json::json;

use super::derived::Skip;
use super::{phrase, Check, Context, LintContext, NotRun, Read};
use crate::diag::{Name, Problem};
use crate::finding::{Finding, Unit};
use crate::geom;
use crate::geom::fit::{misfit, Limits, Misfit};
use rayon::prelude::*;

/// An EPSG code or an inclusive range written `"4513-4554"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Accept {
    Code(u32),
    Range(String),
}

impl Accept {
    fn bounds(&self) -> Option<(u32, u32)> {
        match self {
            Accept::Code(c) => Some((*c, *c)),
            Accept::Range(r) => {
                let (a, b) = r.split_once('-')?;
                Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
            }
        }
    }
}

/// CGCS2000 / Gauss-Kruger zones 13–23 (6°), with and without the zone prefix.
const SIX_DEGREE_ZONES: std::ops::RangeInclusive<u32> = 4491..=4512;

fn default_accept() -> Vec<Accept> {
    vec![Accept::Code(4490), Accept::Range("4513-4554".into())]
}

fn default_margin() -> f64 {
    Limits::default().band_margin
}

fn default_lon() -> [f64; 2] {
    let (a, b) = Limits::default().lon;
    [a, b]
}

fn default_lat() -> [f64; 2] {
    let (a, b) = Limits::default().lat;
    [a, b]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crs {
    pub layer: Name,
    #[serde(default = "default_accept")]
    pub accept: Vec<Accept>,
    #[serde(default = "default_margin")]
    pub band_margin: f64,
    #[serde(default = "default_lon")]
    pub lon: [f64; 2],
    #[serde(default = "default_lat")]
    pub lat: [f64; 2],
}

impl Crs {
    fn accepts(&self, epsg: u32) -> bool {
        self.accept
            .iter()
            .filter_map(Accept::bounds)
            .any(|(lo, hi)| (lo..=hi).contains(&epsg))
    }

    fn accepted_text(&self) -> String {
        self.accept
            .iter()
            .map(|a| match a {
                Accept::Code(c) => c.to_string(),
                Accept::Range(r) => r.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn message(misfit: &Misfit, n: usize, crs: &geom::crs::Crs) -> String {
        match misfit {
            Misfit::SwappedAxes => format!("{n} 个要素的坐标轴顺序颠倒（x 存的是北坐标）"),
            Misfit::ZonePrefix { found, expected } => format!(
                "{n} 个要素的东坐标带号为 {found}，与 EPSG:{}（第 {expected} 带）不符",
                crs.epsg()
            ),
            Misfit::OutsideBand { lon, west, east } => {
                format!("{n} 个要素超出投影带经度范围 {west}°–{east}°E 的容许外延（如 {lon:.3}°E）")
            }
            Misfit::OutsideChina { lon, lat } => {
                format!("{n} 个要素位于中国范围之外（如 {lon:.3}°E, {lat:.3}°N）")
            }
        }
    }
}

fn envelope(geoms: &[&Geometry<f64>]) -> Option<Geometry<f64>> {
    let rects: Vec<Rect<f64>> = geoms.iter().filter_map(|g| g.bounding_rect()).collect();
    let first = *rects.first()?;
    let r = rects.iter().fold(first, |acc, r| {
        Rect::new(
            geo::coord! { x: acc.min().x.min(r.min().x), y: acc.min().y.min(r.min().y) },
            geo::coord! { x: acc.max().x.max(r.max().x), y: acc.max().y.max(r.max().y) },
        )
    });
    Some(Geometry::Polygon(r.to_polygon()))
}

impl Check for Crs {
    fn frame(&self) -> &Name {
        &self.layer
    }

    fn describe(&self) -> String {
        let accept: Vec<String> = self
            .accept
            .iter()
            .map(|a| match a {
                Accept::Code(code) => code.to_string(),
                Accept::Range(range) => range.clone(),
            })
            .collect();
        format!(
            "{} is in EPSG {}, the CRS of package.yaml, and its coordinates fit that CRS: within \
             its zone's band ± {}°, longitude {}–{}°, latitude {}–{}°",
            self.layer.value,
            phrase::list(&accept, "or"),
            self.band_margin,
            self.lon[0],
            self.lon[1],
            self.lat[0],
            self.lat[1]
        )
    }

    fn reads(&self) -> Vec<Read<'_>> {
        vec![Read::frame(&self.layer)]
    }

    fn lint(&self, _cx: &LintContext) -> Vec<Problem> {
        match self.accept.iter().find(|a| a.bounds().is_none()) {
            Some(bad) => vec![Problem::new(
                self.layer.referenced,
                format!("`accept` holds {bad:?}; write EPSG codes or ranges like \"4513-4554\""),
            )],
            None => vec![],
        }
    }

    fn run(&self, cx: &Context) -> Result<Vec<Finding>, NotRun> {
        let (frame, column) = cx.layer(&self.layer.value)?;
        let manifest = cx
            .dataset
            .manifest
            .epsg
            .ok_or_else(|| NotRun("package.yaml 未声明坐标系（crs），无法核对".into()))?;
        let mut findings = Vec::new();
        let declared = column.crs.epsg;
        let effective = declared.unwrap_or(manifest);
        if !self.accepts(effective) {
            let six = SIX_DEGREE_ZONES.contains(&effective);
            let what = if six {
                "是 CGCS2000 6° 带坐标系，成果包只接受 3° 带或经纬度"
            } else {
                "不是允许的 CGCS2000 坐标系"
            };
            let reason = if six {
                "six_degree_zone"
            } else {
                "not_cgcs2000"
            };
            let f = cx
                .frame_finding(
                    &frame.name,
                    format!("{} 的坐标系 EPSG:{effective} {what}", frame.name),
                )
                .with_measured(json!({ "reason": reason, "epsg": effective }))
                .with_subject(reason)
                .with_expected(json!({ "accept": self.accepted_text() }));
            findings.push(f);
        }
        // A file that names a CRS nrqc cannot identify (a .prj of another datum or projection)
        // must not fall back to the manifest's CRS unnoticed.
        if let (None, Some(text)) = (declared, &column.crs.text) {
            let shown: String = text.chars().take(120).collect();
            let f = cx
                .frame_finding(
                    &frame.name,
                    format!(
                        "{} 文件声明的坐标系无法识别为 EPSG 坐标系：{shown}",
                        frame.name
                    ),
                )
                .with_measured(json!({ "reason": "unrecognised", "text": text }))
                .with_subject("unrecognised")
                .with_expected(json!({ "epsg": manifest }));
            findings.push(f);
        }
        if let Some(declared) = declared.filter(|&d| d != manifest) {
            let f = cx
                .frame_finding(
                    &frame.name,
                    format!(
                    "{} 文件声明坐标系 EPSG:{declared}，与 package.yaml 的 EPSG:{manifest} 不一致",
                    frame.name
                ),
                )
                .with_measured(json!({ "reason": "declared_mismatch", "epsg": declared }))
                .with_subject("declared_mismatch")
                .with_expected(json!({ "epsg": manifest }));
            findings.push(f);
        }
        let Some(crs) = geom::crs::Crs::from_epsg(manifest).filter(|_| self.accepts(manifest))
        else {
            cx.checked(1, Unit::Frames);
            cx.skipped(
                frame.len(),
                Unit::Features,
                format!("成果包坐标系 EPSG:{manifest} 无法核对坐标"),
            );
            return Ok(findings);
        };
        let limits = Limits {
            band_margin: self.band_margin,
            lon: (self.lon[0], self.lon[1]),
            lat: (self.lat[0], self.lat[1]),
        };
        // The engine fitted the layer's features already when a rule measures it: with the same
        // CRS and limits, a feature it measured fits, and one it skipped as a misfit is that
        // misfit. Only the rest (invalid, no geometry) are fitted here.
        let measured = cx
            .derived
            .layers
            .get(&frame.name)
            .filter(|_| cx.derived.crs == Some(crs) && limits == Limits::default())
            .map(|facts| &facts.skip[..]);
        let rows = cx.rows(frame)?;
        let selected = rows.len();
        let fits: Vec<Option<Option<Misfit>>> = rows
            .par_iter()
            .map(|&row| {
                match measured.and_then(|skip| skip.get(row)) {
                    Some(None) => return Some(None),
                    Some(Some(Skip::Misfit(m))) => return Some(Some(*m)),
                    _ => {}
                }
                let bbox = column
                    .geoms
                    .get(row)
                    .and_then(Option::as_ref)
                    .and_then(|g| g.bounding_rect())?;
                Some(misfit(bbox, &crs, &limits))
            })
            .collect();
        // Rows by reason code, each with the first misfit seen, in feature order.
        let mut by_reason: BTreeMap<&'static str, (Misfit, Vec<usize>)> = BTreeMap::new();
        let mut shapeless = 0;
        for (row, fit) in rows.into_iter().zip(fits) {
            match fit {
                // No coordinates to fit; `geometry_valid` reports the missing geometry.
                None => shapeless += 1,
                Some(Some(m)) => by_reason.entry(m.code()).or_insert((m, vec![])).1.push(row),
                Some(None) => {}
            }
        }
        cx.checked(selected - shapeless, Unit::Features);
        cx.skipped(
            shapeless,
            Unit::Features,
            format!("{} 没有几何", frame.name),
        );
        let mut misfits: Vec<(Misfit, Vec<usize>)> = by_reason.into_values().collect();
        misfits.sort_by_key(|(_, rows)| rows[0]);
        for (m, rows) in misfits {
            let measured = match m {
                Misfit::ZonePrefix { found, expected } => {
                    json!({ "reason": m.code(), "found": found, "expected": expected })
                }
                Misfit::OutsideBand { lon, .. } => json!({ "reason": m.code(), "lon": lon }),
                Misfit::OutsideChina { lon, lat } => {
                    json!({ "reason": m.code(), "lon": lon, "lat": lat })
                }
                Misfit::SwappedAxes => json!({ "reason": m.code() }),
            };
            let mut f = cx
                .finding(frame, &rows, Self::message(&m, rows.len(), &crs))
                .with_measured(measured)
                .with_expected(json!({ "epsg": manifest }))
                .with_subject(m.code());
            let geoms: Vec<&Geometry<f64>> = rows
                .iter()
                .filter_map(|&r| column.geoms.get(r)?.as_ref())
                .collect();
            f.geometry = envelope(&geoms);
            findings.push(f);
        }
        Ok(findings)
    }
}
