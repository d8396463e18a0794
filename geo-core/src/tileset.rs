//! The risk map as vector tiles: which features of which layer go into a tile at each
//! zoom, with what properties — the generalization policy on top of [`crate::tiles`].
//!
//! Low zooms must still show where the risks are (as tippecanoe does), without sending a
//! million houses to a browser:
//!
//! | layer | below the detail zoom | from the detail zoom |
//! |---|---|---|
//! | `houses` | clusters (count, worst level), precomputed per zoom | footprints, z ≥ 14 |
//! | `enterprises` | clusters | points and site polygons, z ≥ 12 |
//! | `hazard_sources` | clusters | unit polygons, z ≥ 10 |
//! | `protection_targets` | clusters | points and polygons, z ≥ 11 |
//! | `protection_conflicts` | clusters of the conflict lines' midpoints | lines, z ≥ 13 |
//! | `pipeline_conflicts` | clusters | lines and points, z ≥ 14 |
//! | `gas_pipelines` | 高压/次高压 from z 0, 中压 from z 11, 低压 from z 13 | all, simplified |
//! | `risk_grid`, `areas` | all cells / areas, simplified | same |
//!
//! Clusters are computed once per zoom when the tile set is built (the whole world at that
//! zoom, so a cluster is identical in every tile that shows it) and indexed in R-trees;
//! a tile then only looks up what it meets. A layer that would overflow the tile's byte
//! budget is retried with its lowest levels dropped, worst risks kept — never cut off by
//! a bare limit.

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Geometry, Point, Rect};
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::analysis::pipeline_clearance::pipe_class;
use crate::analysis::risk_grid::{anchor, grade_level};
use crate::dataset::Dataset;
use crate::index::SpatialIndex;
use crate::model::{PressureClass, RiskLevel};
use crate::tiles::{
    Cluster, ClusterOptions, ClusterPoint, PropValue, TileBuilder, TileError, TileFeature, TileId,
    TileOptions, cluster_points,
};

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 18;

/// Why a tile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileSetError {
    /// No such layer.
    #[error("unknown layer '{0}'")]
    UnknownLayer(String),
    /// z/x/y out of range.
    #[error("tile {z}/{x}/{y} is out of range (z 0–{MAX_ZOOM}, x and y below 2^z)")]
    OutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
    /// Encoding failed.
    #[error(transparent)]
    Tile(#[from] TileError),
}

/// A field a layer's features carry.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInfo {
    /// Property name.
    pub name: &'static str,
    /// `String`, `Number` or `Boolean` (TileJSON's words).
    pub kind: &'static str,
    /// Chinese label for popups.
    pub label_zh: &'static str,
}

/// What a layer is.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// Name in URLs and in the tile.
    pub name: &'static str,
    /// Chinese title.
    pub title_zh: &'static str,
    /// `point`, `line`, `polygon` or a mix like `point/polygon`.
    pub geometry: &'static str,
    /// Lowest zoom with data.
    pub minzoom: u8,
    /// Highest zoom served.
    pub maxzoom: u8,
    /// Zoom from which single features replace clusters (None: never clustered).
    pub detail_zoom: Option<u8>,
    /// Fields of single features (clusters carry `count`, `level`, `level_n`, `cluster`).
    pub fields: Vec<FieldInfo>,
}

const fn f(name: &'static str, kind: &'static str, label_zh: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        kind,
        label_zh,
    }
}

/// The layers, in drawing order (bottom first).
pub fn layer_infos() -> Vec<LayerInfo> {
    let level = [
        f("level", "String", "风险等级"),
        f("level_n", "Number", "风险等级值"),
    ];
    let mut v = vec![
        LayerInfo {
            name: "areas",
            title_zh: "镇街",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: None,
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("code", "String", "区划代码"),
                f("level", "String", "区域风险等级"),
                f("level_n", "Number", "风险等级值"),
            ],
        },
        LayerInfo {
            name: "risk_grid",
            title_zh: "风险分布网格",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: None,
            fields: vec![
                f("id", "String", "网格编号"),
                f("index", "Number", "风险指数"),
                f("population", "Number", "人口"),
                f("area", "String", "所在镇街"),
            ],
        },
        LayerInfo {
            name: "gas_pipelines",
            title_zh: "燃气管道",
            geometry: "line",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(13),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("pressure_class", "String", "压力级制"),
                f("design_pressure_mpa", "Number", "设计压力(MPa)"),
                f("diameter_mm", "Number", "管径(mm)"),
                f("material", "String", "管材"),
                f("year_laid", "Number", "敷设年份"),
            ],
        },
        LayerInfo {
            name: "houses",
            title_zh: "自建房",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(14),
            fields: vec![
                f("id", "String", "编号"),
                f("address", "String", "地址"),
                f("floors", "Number", "层数"),
                f("house_use", "String", "用途"),
                f("occupants", "Number", "人数"),
                f("appraisal", "String", "鉴定等级"),
                f("rectification", "String", "整治状态"),
                f("reasons", "String", "判定依据"),
            ],
        },
        LayerInfo {
            name: "protection_targets",
            title_zh: "防护目标",
            geometry: "point/polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(11),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("kind", "String", "类型"),
                f("class", "String", "防护目标类别"),
                f("population", "Number", "人数"),
            ],
        },
        LayerInfo {
            name: "enterprises",
            title_zh: "企业",
            geometry: "point/polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(12),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "企业名称"),
                f("industry", "String", "行业类别"),
                f("employees", "Number", "从业人数"),
                f("declared_level", "String", "申报风险等级"),
                f("mismatch", "Boolean", "申报与计算不符"),
                f("likelihood", "Number", "可能性L"),
                f("severity", "Number", "严重性S"),
                f("open_hidden_hazards", "Number", "未整改隐患"),
                f("open_major_hidden_hazards", "Number", "未整改重大隐患"),
                f("park", "String", "所在园区"),
                f("reasons", "String", "判定依据"),
            ],
        },
        LayerInfo {
            name: "hazard_sources",
            title_zh: "重大危险源",
            geometry: "polygon",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(10),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("enterprise_id", "String", "所属企业"),
                f("grade", "Number", "等级"),
                f("r", "Number", "R值"),
                f("s", "Number", "S值"),
                f("alpha", "Number", "α"),
                f("is_major", "Boolean", "构成重大危险源"),
                f("declared_grade", "Number", "申报等级"),
                f("mismatch", "Boolean", "申报与计算不符"),
            ],
        },
        LayerInfo {
            name: "protection_conflicts",
            title_zh: "防护距离不足",
            geometry: "line",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(13),
            fields: vec![
                f("source_id", "String", "危险源/企业"),
                f("target_id", "String", "防护目标/房屋"),
                f("target_layer", "String", "目标图层"),
                f("target_class", "String", "防护目标类别"),
                f("distance_m", "Number", "实际距离(m)"),
                f("required_m", "Number", "要求距离(m)"),
                f("shortfall_m", "Number", "不足(m)"),
                f("rule", "String", "规则"),
            ],
        },
        LayerInfo {
            name: "pipeline_conflicts",
            title_zh: "管道占压/间距不足",
            geometry: "line/point",
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            detail_zoom: Some(14),
            fields: vec![
                f("pipeline_id", "String", "管道"),
                f("feature_id", "String", "建筑"),
                f("layer", "String", "图层"),
                f("kind", "String", "类型"),
                f("pressure_class", "String", "压力级制"),
                f("distance_m", "Number", "距离(m)"),
                f("clearance_m", "Number", "要求间距(m)"),
                f("rule", "String", "规则"),
            ],
        },
    ];
    for l in &mut v {
        if l.name != "gas_pipelines" {
            l.fields.extend(level.iter().cloned());
        }
    }
    v
}

fn level_n(l: RiskLevel) -> u8 {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::General => 1,
        RiskLevel::Significant => 2,
        RiskLevel::Major => 3,
    }
}

fn level_of_n(n: u8) -> RiskLevel {
    match n {
        3 => RiskLevel::Major,
        2 => RiskLevel::Significant,
        1 => RiskLevel::General,
        _ => RiskLevel::Low,
    }
}

/// Clusters of one layer at zooms `0..detail_zoom`.
#[derive(Debug, Default)]
struct Clusters {
    by_zoom: Vec<(Vec<Cluster>, SpatialIndex)>,
}

impl Clusters {
    fn build(
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

/// Settings of a tile set.
#[derive(Debug, Clone)]
pub struct TileSetConfig {
    /// Encoding options (extent, buffer, simplification, byte budget).
    pub tile: TileOptions,
    /// Clustering options (radius in tile units).
    pub cluster: ClusterOptions,
    /// Fields never put in tiles, per layer name (`*` for every layer).
    pub deny_fields: BTreeMap<String, Vec<String>>,
}

impl Default for TileSetConfig {
    fn default() -> Self {
        let mut deny = BTreeMap::new();
        deny.insert("*".to_string(), vec!["phone".to_string()]);
        TileSetConfig {
            tile: TileOptions::default(),
            cluster: ClusterOptions {
                radius: 128.0,
                ..ClusterOptions::default()
            },
            deny_fields: deny,
        }
    }
}

/// Everything needed to cut tiles of one analysed dataset, beyond the dataset itself.
#[derive(Debug)]
pub struct TileSet {
    config: TileSetConfig,
    infos: Vec<LayerInfo>,
    clusters: BTreeMap<&'static str, Clusters>,
    grid_geoms: Vec<Geometry<f64>>,
    grid_index: SpatialIndex,
    pc_index: SpatialIndex,
    gc_index: SpatialIndex,
    area_levels: Vec<RiskLevel>,
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

impl TileSet {
    /// Precomputes clusters and indexes for `ds` and its analysis.
    pub fn build(
        ds: &Dataset,
        a: &Analysis,
        config: TileSetConfig,
    ) -> Result<TileSet, TileSetError> {
        let infos = layer_infos();
        let detail = |name: &str| {
            infos
                .iter()
                .find(|i| i.name == name)
                .and_then(|i| i.detail_zoom)
                .unwrap_or(0)
        };
        let opts = config.cluster.clone();
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
        let jobs: Vec<(&'static str, &Vec<ClusterPoint>)> = vec![
            ("houses", &house_pts),
            ("enterprises", &ent_pts),
            ("hazard_sources", &hs_pts),
            ("protection_targets", &pt_pts),
            ("protection_conflicts", &pc_pts),
            ("pipeline_conflicts", &gc_pts),
        ];
        let built: Vec<(&'static str, Clusters)> = jobs
            .into_par_iter()
            .map(|(name, pts)| Ok((name, Clusters::build(pts, detail(name), &opts)?)))
            .collect::<Result<Vec<_>, TileError>>()?;
        let grid_geoms: Vec<Geometry<f64>> = a
            .grid
            .cells
            .iter()
            .map(|c| Geometry::Polygon(c.geometry.clone()))
            .collect();
        let grid_index = SpatialIndex::build(grid_geoms.iter());
        let pc_index = SpatialIndex::build(a.protection_conflicts.iter().map(|c| &c.geometry));
        let gc_index = SpatialIndex::build(a.pipeline_conflicts.iter().map(|c| &c.geometry));
        let area_levels = ds
            .areas
            .features()
            .iter()
            .map(|f| {
                a.area_summaries
                    .iter()
                    .find(|s| s.id == f.id)
                    .map_or(RiskLevel::Low, |s| s.level)
            })
            .collect();
        Ok(TileSet {
            config,
            infos,
            clusters: built.into_iter().collect(),
            grid_geoms,
            grid_index,
            pc_index,
            gc_index,
            area_levels,
        })
    }

    /// The layers served.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.infos
    }

    /// Whether a layer exists.
    pub fn has_layer(&self, name: &str) -> bool {
        self.infos.iter().any(|i| i.name == name)
    }

    fn denied(&self, layer: &str, field: &str) -> bool {
        let hit = |k: &str| {
            self.config
                .deny_fields
                .get(k)
                .is_some_and(|v| v.iter().any(|d| d == field))
        };
        hit("*") || hit(layer)
    }

    /// Renders layers `names` of tile `z/x/y` as an uncompressed MVT; an empty vector
    /// when nothing falls in the tile.
    pub fn render(
        &self,
        ds: &Dataset,
        a: &Analysis,
        names: &[&str],
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Vec<u8>, TileSetError> {
        if z > MAX_ZOOM {
            return Err(TileSetError::OutOfRange { z, x, y });
        }
        let tile = TileId::new(z, x, y).map_err(|_| TileSetError::OutOfRange { z, x, y })?;
        for n in names {
            if !self.has_layer(n) {
                return Err(TileSetError::UnknownLayer((*n).to_string()));
            }
        }
        let mut b = TileBuilder::new(tile, &self.config.tile)?;
        let bbox = tile.buffered_bounds_lonlat(&self.config.tile);
        for name in names {
            let feats = self.features(ds, a, name, tile, bbox);
            self.add_with_budget(&mut b, name, feats)?;
        }
        if b.is_empty() {
            return Ok(Vec::new());
        }
        Ok(b.into_bytes()?)
    }

    /// Adds a layer; if it would overflow the tile budget, drops its lowest levels first.
    fn add_with_budget(
        &self,
        b: &mut TileBuilder,
        name: &str,
        feats: Vec<(u8, TileFeature<'_>)>,
    ) -> Result<(), TileSetError> {
        let mut min_level = 0u8;
        let mut feats = feats;
        loop {
            let batch: Vec<TileFeature<'_>> = feats
                .iter()
                .filter(|(l, _)| *l >= min_level)
                .map(|(_, f)| f.clone())
                .collect();
            match b.add_layer(name, batch) {
                Ok(_) => return Ok(()),
                Err(TileError::BudgetExceeded { .. }) if min_level < 3 => {
                    min_level += 1;
                    feats.retain(|(l, _)| *l >= min_level);
                }
                Err(TileError::BudgetExceeded { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn props<'a>(
        &self,
        layer: &str,
        mut p: Vec<(&'static str, PropValue<'a>)>,
    ) -> Vec<(Cow<'a, str>, PropValue<'a>)> {
        p.retain(|(k, _)| !self.denied(layer, k));
        p.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect()
    }

    fn cluster_features(
        &self,
        name: &str,
        z: u8,
        bbox: Rect<f64>,
    ) -> Option<Vec<(u8, TileFeature<'static>)>> {
        let (cl, idx) = self.clusters.get(name)?.by_zoom.get(usize::from(z))?;
        let mut out: Vec<(u8, TileFeature<'static>)> = idx
            .envelopes_in(bbox)
            .filter_map(|i| cl.get(i))
            .map(|c| {
                let l = level_of_n(c.max_level);
                let props: Vec<(Cow<'static, str>, PropValue<'static>)> = vec![
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
                        properties: props,
                    },
                )
            })
            .collect();
        out.sort_by_key(|(_, f)| f.id);
        Some(out)
    }

    fn features<'a>(
        &'a self,
        ds: &'a Dataset,
        a: &'a Analysis,
        name: &str,
        tile: TileId,
        bbox: Rect<f64>,
    ) -> Vec<(u8, TileFeature<'a>)> {
        let z = tile.z;
        if let Some(c) = self.cluster_features(name, z, bbox) {
            return c;
        }
        let s = |v: &'a str| PropValue::String(Cow::Borrowed(v));
        let lv = |l: RiskLevel| {
            [
                ("level", PropValue::String(Cow::Borrowed(l.name()))),
                ("level_n", PropValue::UInt(u64::from(level_n(l)))),
            ]
        };
        let mut out: Vec<(u8, TileFeature<'a>)> = Vec::new();
        let mut push = |id: usize,
                        level: u8,
                        g: &'a Geometry<f64>,
                        props: Vec<(Cow<'a, str>, PropValue<'a>)>| {
            out.push((
                level,
                TileFeature {
                    id: id as u64,
                    geometry: Cow::Borrowed(g),
                    properties: props,
                },
            ));
        };
        match name {
            "areas" => {
                for i in ds.areas.index().envelopes_in(bbox) {
                    let Some(f) = ds.areas.get(i) else { continue };
                    let l = self.area_levels.get(i).copied().unwrap_or(RiskLevel::Low);
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(c) = &f.props.code {
                        p.push(("code", s(c)));
                    }
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(name, p));
                }
            }
            "risk_grid" => {
                for i in self.grid_index.envelopes_in(bbox) {
                    let (Some(c), Some(g)) = (a.grid.cells.get(i), self.grid_geoms.get(i)) else {
                        continue;
                    };
                    let mut p = vec![
                        ("id", s(&c.id)),
                        (
                            "index",
                            PropValue::Double((c.index * 100.0).round() / 100.0),
                        ),
                        ("population", PropValue::UInt(c.population)),
                    ];
                    if let Some(ar) = &c.area {
                        p.push(("area", s(ar)));
                    }
                    p.extend(lv(c.level));
                    push(i, level_n(c.level), g, self.props(name, p));
                }
            }
            "gas_pipelines" => {
                for i in ds.gas_pipelines.index().envelopes_in(bbox) {
                    let Some(f) = ds.gas_pipelines.get(i) else {
                        continue;
                    };
                    let class = pipe_class(&f.props);
                    let min_z = match class {
                        Some(
                            PressureClass::HighA
                            | PressureClass::HighB
                            | PressureClass::SubHighA
                            | PressureClass::SubHighB,
                        ) => 0,
                        Some(PressureClass::MediumA | PressureClass::MediumB) => 11,
                        Some(PressureClass::Low) | None => 13,
                    };
                    if z < min_z {
                        continue;
                    }
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(c) = class {
                        p.push(("pressure_class", s(c.key())));
                    }
                    if let Some(v) = f.props.design_pressure_mpa {
                        p.push(("design_pressure_mpa", PropValue::Double(v)));
                    }
                    if let Some(v) = f.props.diameter_mm {
                        p.push(("diameter_mm", PropValue::Double(v)));
                    }
                    if let Some(v) = &f.props.material {
                        p.push(("material", s(v)));
                    }
                    if let Some(v) = f.props.year_laid {
                        p.push(("year_laid", PropValue::UInt(u64::from(v))));
                    }
                    let rank = match min_z {
                        0 => 3,
                        11 => 1,
                        _ => 0,
                    };
                    push(i, rank, &f.geometry, self.props(name, p));
                }
            }
            "houses" => {
                for i in ds.houses.index().envelopes_in(bbox) {
                    let (Some(f), Some(h)) = (ds.houses.get(i), a.house_risks.get(i)) else {
                        continue;
                    };
                    let hp = &f.props;
                    let mut p = vec![("id", s(&f.id)), ("address", s(&hp.address))];
                    if let Some(v) = hp.floors {
                        p.push(("floors", PropValue::UInt(u64::from(v))));
                    }
                    if let Some(v) = hp.house_use {
                        p.push(("house_use", s(v.key())));
                    }
                    if let Some(v) = hp.occupants {
                        p.push(("occupants", PropValue::UInt(u64::from(v))));
                    }
                    if let Some(v) = hp.appraisal {
                        p.push(("appraisal", s(v.key())));
                    }
                    if let Some(v) = hp.rectification {
                        p.push(("rectification", s(v.key())));
                    }
                    if h.level > RiskLevel::Low {
                        p.push((
                            "reasons",
                            PropValue::String(Cow::Owned(
                                h.reasons
                                    .iter()
                                    .map(|r| r.text_zh.as_str())
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            )),
                        ));
                    }
                    p.extend(lv(h.level));
                    push(i, level_n(h.level), &f.geometry, self.props(name, p));
                }
            }
            "protection_targets" => {
                for i in ds.protection_targets.index().envelopes_in(bbox) {
                    let Some(f) = ds.protection_targets.get(i) else {
                        continue;
                    };
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(k) = f.props.kind {
                        p.push(("kind", s(k.key())));
                    }
                    if let Some(c) = a.target_classes.get(i) {
                        p.push(("class", s(c.key())));
                    }
                    if let Some(v) = f.props.population {
                        p.push(("population", PropValue::UInt(u64::from(v))));
                    }
                    push(i, 0, &f.geometry, self.props(name, p));
                }
            }
            "enterprises" => {
                for i in ds.enterprises.index().envelopes_in(bbox) {
                    let (Some(f), Some(e)) = (ds.enterprises.get(i), a.enterprise_risks.get(i))
                    else {
                        continue;
                    };
                    let ep = &f.props;
                    let mut p = vec![("id", s(&f.id)), ("name", s(&ep.name))];
                    if let Some(v) = ep.industry {
                        p.push(("industry", s(v.key())));
                    }
                    if let Some(v) = ep.employees {
                        p.push(("employees", PropValue::UInt(u64::from(v))));
                    }
                    if let Some(v) = ep.declared_level {
                        p.push(("declared_level", s(v.name())));
                    }
                    if let Some(v) = &ep.park {
                        p.push(("park", s(v)));
                    }
                    p.push(("mismatch", PropValue::Bool(e.mismatch)));
                    p.push(("likelihood", PropValue::UInt(u64::from(e.likelihood))));
                    p.push(("severity", PropValue::UInt(u64::from(e.severity))));
                    p.push((
                        "open_hidden_hazards",
                        PropValue::UInt(u64::from(ep.open_hidden_hazards)),
                    ));
                    p.push((
                        "open_major_hidden_hazards",
                        PropValue::UInt(u64::from(ep.open_major_hidden_hazards)),
                    ));
                    p.push((
                        "reasons",
                        PropValue::String(Cow::Owned(
                            e.reasons
                                .iter()
                                .map(|r| r.text_zh.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                        )),
                    ));
                    p.extend(lv(e.level));
                    push(i, level_n(e.level), &f.geometry, self.props(name, p));
                }
            }
            "hazard_sources" => {
                for i in ds.hazard_sources.index().envelopes_in(bbox) {
                    let (Some(f), Some(g)) = (ds.hazard_sources.get(i), a.hazard_grades.get(i))
                    else {
                        continue;
                    };
                    let l = g.grade.map_or(RiskLevel::Low, grade_level);
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(e) = &f.props.enterprise_id {
                        p.push(("enterprise_id", s(e)));
                    }
                    if let Some(gr) = g.grade {
                        p.push(("grade", PropValue::UInt(u64::from(gr.number()))));
                    }
                    if let Some(d) = g.declared_grade {
                        p.push(("declared_grade", PropValue::UInt(u64::from(d.number()))));
                    }
                    p.push(("r", PropValue::Double((g.r * 100.0).round() / 100.0)));
                    p.push(("s", PropValue::Double((g.s * 1000.0).round() / 1000.0)));
                    p.push(("alpha", PropValue::Double(g.alpha)));
                    p.push(("is_major", PropValue::Bool(g.is_major)));
                    p.push(("mismatch", PropValue::Bool(g.mismatch)));
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(name, p));
                }
            }
            "protection_conflicts" => {
                for i in self.pc_index.envelopes_in(bbox) {
                    let Some(c) = a.protection_conflicts.get(i) else {
                        continue;
                    };
                    let l = conflict_level(c.shortfall_m, c.required_m);
                    let mut p = vec![
                        ("source_id", s(&c.source_id)),
                        ("target_id", s(&c.target_id)),
                        ("target_layer", s(c.target_layer.name())),
                        ("target_class", s(c.target_class.key())),
                        (
                            "distance_m",
                            PropValue::Double((c.distance_m * 10.0).round() / 10.0),
                        ),
                        ("required_m", PropValue::Double(c.required_m)),
                        (
                            "shortfall_m",
                            PropValue::Double((c.shortfall_m * 10.0).round() / 10.0),
                        ),
                        ("rule", s(&c.rule)),
                    ];
                    p.extend(lv(l));
                    push(i, level_n(l), &c.geometry, self.props(name, p));
                }
            }
            "pipeline_conflicts" => {
                for i in self.gc_index.envelopes_in(bbox) {
                    let Some(c) = a.pipeline_conflicts.get(i) else {
                        continue;
                    };
                    let l = c.kind.level();
                    let kind = c.kind.key();
                    let mut p = vec![
                        ("pipeline_id", s(&c.pipeline_id)),
                        ("feature_id", s(&c.feature_id)),
                        ("layer", s(c.layer.name())),
                        ("kind", s(kind)),
                        ("pressure_class", s(c.pressure_class.key())),
                        (
                            "distance_m",
                            PropValue::Double((c.distance_m * 100.0).round() / 100.0),
                        ),
                        ("clearance_m", PropValue::Double(c.clearance_m)),
                        ("rule", s(&c.rule)),
                    ];
                    p.extend(lv(l));
                    push(i, level_n(l), &c.geometry, self.props(name, p));
                }
            }
            _ => {}
        }
        out.sort_by_key(|(_, f)| f.id);
        out
    }
}

/// Colour of a protection conflict by how much of the required distance is missing:
/// more than half ⇒ red, a quarter ⇒ orange, else yellow. A display choice of this
/// project.
pub fn conflict_level(shortfall_m: f64, required_m: f64) -> RiskLevel {
    if required_m <= 0.0 {
        return RiskLevel::General;
    }
    let r = shortfall_m / required_m;
    if r > 0.5 {
        RiskLevel::Major
    } else if r > 0.25 {
        RiskLevel::Significant
    } else {
        RiskLevel::General
    }
}
