//! The map: package coordinates projected to the page's grid, the layers and the listed findings
//! drawn as SVG.

use std::collections::BTreeMap;
use std::fmt::Write;

use geo::{BoundingRect, Coord, Rect};

use super::labels::Labels;
use super::{class_index, esc};
use crate::quality::DefectClass;
use crate::report::map::{self, MapLayers, Omitted, Part};
use crate::report::model::{clip, Report};

/// How a listed finding is on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drawn {
    Own,
    Located,
    Outside,
    Nothing,
}

/// The map's projection: package coordinates to integer grid units, y down.
pub(super) struct Drawing {
    extent: Option<Rect<f64>>,
    scale: f64,
    pub(super) state: BTreeMap<usize, Drawn>,
}

/// Findings smaller than this many grid units get a ring around them, to be seen at all.
pub(super) const MARKER_BELOW: i64 = 60;
pub(super) const MARKER_RADIUS: i64 = 80;

impl Drawing {
    pub(super) fn new(report: &Report, map: &MapLayers, listed: &[usize]) -> Drawing {
        let scale = map.extent.map_or(1.0, |e| {
            map::GRID / e.width().max(e.height()).max(f64::MIN_POSITIVE)
        });
        let mut state = BTreeMap::new();
        for &i in listed {
            let f = &report.findings[i];
            let (g, how) = match (&f.geometry, map.located.get(&i)) {
                // A NaN or infinite coordinate cannot be placed on the map.
                (Some(g), _) if map::is_finite(g) => (Some(g), Drawn::Own),
                (_, Some(g)) if map::is_finite(g) => (Some(g), Drawn::Located),
                _ => (None, Drawn::Nothing),
            };
            let drawn = match (g, map.extent) {
                (Some(g), Some(extent)) => {
                    if g.bounding_rect()
                        .is_some_and(|b| map::intersects(&b, &extent))
                    {
                        how
                    } else {
                        Drawn::Outside
                    }
                }
                (Some(_), None) => Drawn::Outside,
                (None, _) => Drawn::Nothing,
            };
            state.insert(i, drawn);
        }
        Drawing {
            extent: map.extent,
            scale,
            state,
        }
    }

    pub(super) fn pt(&self, extent: &Rect<f64>, c: Coord<f64>) -> (i64, i64) {
        (
            ((c.x - extent.min().x) * self.scale).round() as i64,
            ((extent.max().y - c.y) * self.scale).round() as i64,
        )
    }

    /// SVG path data of `parts`, relative moves, repeated grid points dropped.
    pub(super) fn path(&self, extent: &Rect<f64>, parts: &[Part], d: &mut String) {
        for part in parts {
            let (coords, close) = match part {
                Part::Ring(c) => (c.as_slice(), true),
                Part::Line(c) => (c.as_slice(), false),
                Part::Point(c) => {
                    let (x, y) = self.pt(extent, *c);
                    let r = MARKER_RADIUS / 2;
                    let _ = write!(
                        d,
                        "M{} {y}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0",
                        x - r,
                        2 * r,
                        -2 * r
                    );
                    continue;
                }
            };
            let mut last: Option<(i64, i64)> = None;
            for &c in coords {
                let p = self.pt(extent, c);
                match last {
                    None => {
                        let _ = write!(d, "M{} {}l", p.0, p.1);
                    }
                    Some(q) if q == p => continue,
                    Some(q) => {
                        let _ = write!(d, "{} {} ", p.0 - q.0, p.1 - q.1);
                    }
                }
                last = Some(p);
            }
            if d.ends_with('l') {
                d.push_str("0 0");
            }
            if close {
                d.push('z');
            }
        }
    }

    pub(super) fn render(&self, s: &mut String, report: &Report, map: &MapLayers, l: &Labels) {
        let _ = writeln!(
            s,
            "<aside class=\"mapbox\"><div class=\"tools\"><b>{}</b><span id=\"map-caption\"></span>\
             <button type=\"button\" id=\"map-reset\">{}</button></div>",
            l.map, l.whole_map
        );
        let Some(extent) = self.extent else {
            let _ = writeln!(s, "<p>{}</p></aside>", l.no_map);
            return;
        };
        let w = (extent.width() * self.scale).round() as i64;
        let h = (extent.height() * self.scale).round() as i64;
        let _ = writeln!(
            s,
            "<svg id=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
             preserveAspectRatio=\"xMidYMid meet\">"
        );
        let mut notes = Vec::new();
        let mut legend = Vec::new();
        for layer in &map.layers {
            let style = layer_style(&layer.name);
            match layer.omitted {
                Some(Omitted::TooManyFeatures) => notes.push(
                    l.too_many_features
                        .replace("{n}", &layer.features.to_string())
                        .replace("{max}", &map::MAX_FEATURES_PER_LAYER.to_string())
                        .replace("{layer}", &layer.name),
                ),
                Some(Omitted::TooManyVertices) => notes.push(
                    l.too_many_vertices
                        .replace("{n}", &layer.features.to_string())
                        .replace("{layer}", &layer.name),
                ),
                None => {}
            }
            if layer.outside > 0 {
                notes.push(
                    l.layer_outside
                        .replace("{n}", &layer.outside.to_string())
                        .replace("{layer}", &layer.name),
                );
            }
            if layer.shapes.is_empty() {
                continue;
            }
            let mut d = String::new();
            for shape in &layer.shapes {
                self.path(&extent, shape, &mut d);
            }
            let _ = writeln!(
                s,
                "<g class=\"layer\" data-layer=\"{}\"><path {style} d=\"{d}\"/></g>",
                esc(&layer.name)
            );
            legend.push(format!(
                "<li><svg width=\"16\" height=\"14\"><rect x=\"1\" y=\"1\" width=\"14\" height=\"12\" {style}/></svg> {} ({})</li>",
                esc(&layer.name),
                layer.shapes.len()
            ));
        }
        let mut on_map = [0usize; 4];
        let mut not_drawn = 0;
        let _ = writeln!(s, "<g id=\"findings\">");
        let epsilon = 0.5 / self.scale;
        for (&i, &drawn) in &self.state {
            let f = &report.findings[i];
            let g = match drawn {
                Drawn::Own => f.geometry.as_ref(),
                Drawn::Located => map.located.get(&i),
                Drawn::Outside | Drawn::Nothing => None,
            };
            let Some(g) = g else {
                not_drawn += 1;
                continue;
            };
            on_map[class_index(f.class)] += 1;
            let parts = map::parts(g, epsilon, true);
            let mut d = String::new();
            self.path(&extent, &parts, &mut d);
            let title = format!("{} [{}] {}", f.rule_id, f.class, clip(&f.message));
            let _ = writeln!(
                s,
                "<path class=\"f c{}\" data-i=\"{i}\" d=\"{d}\"><title>{}</title></path>",
                f.class,
                esc(&title)
            );
            if let Some(b) = g.bounding_rect() {
                let (x0, y1) = self.pt(&extent, b.min());
                let (x1, y0) = self.pt(&extent, b.max());
                if (x1 - x0).max(y1 - y0) < MARKER_BELOW {
                    let _ = writeln!(
                        s,
                        "<circle class=\"m c{}\" data-i=\"{i}\" cx=\"{}\" cy=\"{}\" r=\"{MARKER_RADIUS}\"><title>{}</title></circle>",
                        f.class,
                        (x0 + x1) / 2,
                        (y0 + y1) / 2,
                        esc(&title)
                    );
                }
            }
        }
        let _ = writeln!(s, "</g></svg>");
        if not_drawn > 0 {
            notes.push(l.findings_not_drawn.replace("{n}", &not_drawn.to_string()));
        }
        let _ = write!(s, "<ul class=\"legend\">");
        for c in DefectClass::ALL {
            let _ = write!(
                s,
                "<li><span class=\"swatch c{c}\"></span>{c} {} ({})</li>",
                l.legend_class,
                on_map[class_index(c)]
            );
        }
        for item in legend {
            s.push_str(&item);
        }
        let _ = writeln!(s, "</ul>");
        if !notes.is_empty() {
            let _ = write!(s, "<ul class=\"notes\">");
            for n in notes {
                let _ = write!(s, "<li>{}</li>", esc(&n));
            }
            let _ = writeln!(s, "</ul>");
        }
        let _ = writeln!(s, "</aside>");
    }
}

/// The SVG presentation attributes of a layer: fixed per known layer, never from the data.
pub(super) fn layer_style(name: &str) -> &'static str {
    match name {
        "XZQ" => "fill=\"none\" stroke=\"#222\" stroke-width=\"2\"",
        "ZRZYDJDY" => "fill=\"#e8efe0\" stroke=\"#6b7f5a\" stroke-width=\"1\"",
        "ZRZK" => "fill=\"none\" stroke=\"#b5bfa8\" stroke-width=\"0.5\"",
        "STBHHX" => "fill=\"#2e8b57\" fill-opacity=\"0.15\" stroke=\"#2e8b57\" stroke-width=\"1\" stroke-dasharray=\"4 2\"",
        "YJJBNT" => "fill=\"#f4d03f\" fill-opacity=\"0.2\" stroke=\"#b7950b\" stroke-width=\"1\"",
        "KCZY" | "CKQ" => "fill=\"#8e44ad\" fill-opacity=\"0.12\" stroke=\"#8e44ad\" stroke-width=\"1\"",
        _ => "fill=\"none\" stroke=\"#888\" stroke-width=\"1\"",
    }
}
