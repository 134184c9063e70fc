//! Per-feature facts that several checks need: the ellipsoidal area, and whether a feature can
//! be measured at all. Computed once per layer, in parallel, before any rule runs, and shared.
//!
//! A feature is skipped by measuring checks when it has no geometry, when its geometry is
//! invalid (an area of a self-intersecting ring is meaningless), or when its coordinates do not
//! fit the package CRS (an area from the wrong zone is wrong). `geometry_valid` and `crs` report
//! those features; the measuring checks say how many they skipped.

use std::collections::{BTreeMap, BTreeSet};

use geo::BoundingRect;
use rayon::prelude::*;

use super::geometry_valid::feature_causes;
use super::spatial::LayerOverlaps;
use crate::geom::area::geometry_area;
use crate::geom::crs::Crs;
use crate::geom::fit::{misfit, Limits, Misfit};
use crate::package::{Dataset, Frame};
use crate::schema::Schema;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Skip {
    NoGeometry,
    Invalid,
    Misfit(Misfit),
}

impl Skip {
    pub fn zh(&self) -> &'static str {
        match self {
            Skip::NoGeometry => "没有几何",
            Skip::Invalid => "几何无效",
            Skip::Misfit(_) => "坐标与坐标系不符",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LayerFacts {
    /// Ellipsoidal area in m², 0 for skipped features.
    pub areas: Vec<f64>,
    pub skip: Vec<Option<Skip>>,
}

#[derive(Default)]
pub struct Derived {
    /// The package CRS when it is a CGCS2000 CRS nrqc can compute areas in.
    pub crs: Option<Crs>,
    pub layers: BTreeMap<String, LayerFacts>,
    /// The overlapping pairs of the layers whose pairs several checks look at.
    pub overlaps: BTreeMap<String, LayerOverlaps>,
}

fn facts(frame: &Frame, crs: &Crs, schema: &Schema) -> Option<LayerFacts> {
    let column = frame.geometry.as_ref()?;
    let kind = schema.layers.get(&frame.name).and_then(|d| d.geometry);
    let limits = Limits::default();
    let (areas, skip) = (0..frame.len())
        .into_par_iter()
        .map(|row| {
            let Some(g) = column.geoms.get(row).and_then(Option::as_ref) else {
                return (0.0, Some(Skip::NoGeometry));
            };
            if !feature_causes(column, row, kind).is_empty() {
                return (0.0, Some(Skip::Invalid));
            }
            let fit = g.bounding_rect().and_then(|b| misfit(b, crs, &limits));
            match fit {
                Some(m) => (0.0, Some(Skip::Misfit(m))),
                None => (geometry_area(g, crs), None),
            }
        })
        .unzip();
    Some(LayerFacts { areas, skip })
}

impl Derived {
    /// Facts for the named layers (those the rules ask for), each layer's features in parallel.
    pub fn compute(dataset: &Dataset, layers: &BTreeSet<&str>, schema: &Schema) -> Derived {
        let crs = dataset.manifest.epsg.and_then(Crs::from_epsg);
        let layers = match &crs {
            None => BTreeMap::new(),
            Some(crs) => layers
                .iter()
                .filter_map(|name| {
                    let frame = dataset.frame(name)?;
                    Some((name.to_string(), facts(frame, crs, schema)?))
                })
                .collect(),
        };
        Derived {
            crs,
            layers,
            overlaps: BTreeMap::new(),
        }
    }

    /// Finds the overlapping pairs among the measurable features of each of `layers` once, for
    /// the checks that share them.
    pub fn share_overlaps(&mut self, dataset: &Dataset, layers: &BTreeSet<&str>) {
        for &name in layers {
            let (Some(frame), Some(facts)) = (dataset.frame(name), self.layers.get(name)) else {
                continue;
            };
            let rows: Vec<usize> = (0..frame.len())
                .filter(|&r| facts.skip.get(r).is_some_and(Option::is_none))
                .collect();
            self.overlaps
                .insert(name.to_owned(), LayerOverlaps::find(frame, &rows));
        }
    }
}
