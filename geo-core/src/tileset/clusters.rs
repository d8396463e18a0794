//! Clusters: below a layer's detail zoom its features are replaced by clusters computed
//! once per zoom for the whole world (so a cluster is identical in every tile that shows
//! it) and indexed in R-trees; a tile only looks up what it meets.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Geometry, Point, Rect};
use rayon::prelude::*;

use super::{TileSet, conflict_level, level_n, level_of_n};
use crate::analysis::Analysis;
use crate::analysis::risk_grid::{anchor, grade_level};
use crate::dataset::Dataset;
use crate::index::SpatialIndex;
use crate::model::{LayerKind, RiskLevel};
use crate::tiles::{
    Cluster, ClusterOptions, ClusterPoint, PropValue, TileError, TileFeature, cluster_points,
};

/// Clusters of one layer at zooms `0..detail_zoom`.
#[derive(Debug, Default)]
pub(super) struct Clusters {
    by_zoom: Vec<(Vec<Cluster>, SpatialIndex)>,
}

impl Clusters {
    pub(super) fn build(
        points: &[ClusterPoint],
        detail_zoom: u8,
        opts: &ClusterOptions,
    ) -> Result<Clusters, TileError> {
        let by_zoom = (0..detail_zoom)
            .into_par_iter()
            .map(|z| {
                let cl = cluster_points(points, z, opts)?;
                let geoms: Vec<Geometry<f64>> =
                    cl.iter().map(|c| Geometry::Point(c.position)).collect();
                let idx = SpatialIndex::build(geoms.iter());
                Ok((cl, idx))
            })
            .collect::<Result<Vec<_>, TileError>>()?;
        Ok(Clusters { by_zoom })
    }
}

fn points_of<'a>(
    geoms: impl Iterator<Item = (&'a Geometry<f64>, RiskLevel, f64)>,
) -> Vec<ClusterPoint> {
    geoms
        .enumerate()
        .filter_map(|(i, (g, l, w))| {
            anchor(g).map(|c| ClusterPoint {
                id: i as u64,
                position: Point::from(c),
                level: level_n(l),
                weight: w,
            })
        })
        .collect()
}

/// The clusters of every clustered layer, each up to its detail zoom.
pub(super) fn build_all(
    ds: &Dataset,
    a: &Analysis,
    detail: impl Fn(LayerKind) -> u8 + Sync,
    opts: &ClusterOptions,
) -> Result<BTreeMap<LayerKind, Clusters>, TileError> {
    let house_pts = points_of(
        ds.houses
            .features()
            .iter()
            .zip(&a.house_risks)
            .map(|(f, h)| (&f.geometry, h.level, 1.0)),
    );
    let ent_pts = points_of(
        ds.enterprises
            .features()
            .iter()
            .zip(&a.enterprise_risks)
            .map(|(f, e)| (&f.geometry, e.level, 1.0)),
    );
    let hs_pts = points_of(
        ds.hazard_sources
            .features()
            .iter()
            .zip(&a.hazard_grades)
            .map(|(f, g)| {
                (
                    &f.geometry,
                    g.grade.map_or(RiskLevel::Low, grade_level),
                    1.0,
                )
            }),
    );
    let pt_pts = points_of(ds.protection_targets.features().iter().map(|f| {
        (
            &f.geometry,
            RiskLevel::Low,
            f64::from(f.props.population.unwrap_or(0)),
        )
    }));
    let pc_pts = points_of(a.protection_conflicts.iter().map(|c| {
        (
            &c.geometry,
            conflict_level(c.shortfall_m, c.required_m),
            1.0,
        )
    }));
    let gc_pts = points_of(a.pipeline_conflicts.iter().map(|c| {
        let l = c.kind.level();
        (&c.geometry, l, 1.0)
    }));
    let jobs: Vec<(LayerKind, &Vec<ClusterPoint>)> = vec![
        (LayerKind::Houses, &house_pts),
        (LayerKind::Enterprises, &ent_pts),
        (LayerKind::HazardSources, &hs_pts),
        (LayerKind::ProtectionTargets, &pt_pts),
        (LayerKind::ProtectionConflicts, &pc_pts),
        (LayerKind::PipelineConflicts, &gc_pts),
    ];
    jobs.into_par_iter()
        .map(|(kind, pts)| Ok((kind, Clusters::build(pts, detail(kind), opts)?)))
        .collect::<Result<BTreeMap<_, _>, TileError>>()
}

impl TileSet {
    pub(super) fn cluster_features<'a>(
        &self,
        kind: LayerKind,
        z: u8,
        bbox: Rect<f64>,
    ) -> Option<Vec<(u8, TileFeature<'a>)>> {
        let (cl, idx) = self.clusters.get(&kind)?.by_zoom.get(usize::from(z))?;
        let mut out: Vec<(u8, TileFeature<'a>)> = idx
            .envelopes_in(bbox)
            .filter_map(|i| cl.get(i))
            .map(|c| {
                let l = level_of_n(c.max_level);
                let props: Vec<(Cow<'a, str>, PropValue<'a>)> = vec![
                    (Cow::Borrowed("count"), PropValue::UInt(c.count)),
                    (
                        Cow::Borrowed("level"),
                        PropValue::String(Cow::Borrowed(l.name())),
                    ),
                    (
                        Cow::Borrowed("level_n"),
                        PropValue::UInt(u64::from(c.max_level)),
                    ),
                    (Cow::Borrowed("cluster"), PropValue::Bool(c.is_cluster())),
                ];
                (
                    c.max_level,
                    TileFeature {
                        id: c.id,
                        geometry: Cow::Owned(Geometry::Point(c.position)),
                        properties: Cow::Owned(props),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(_, f)| f.id);
        Some(out)
    }
}
