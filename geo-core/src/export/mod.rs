//! RFC 7946 GeoJSON export of every layer and result, with filters.
//!
//! Output is lon/lat WGS84 with seven decimals (about 1 cm), polygons with
//! counter-clockwise exteriors and clockwise holes (the right-hand rule, RFC 7946 §3.1.6),
//! no `crs` member, and a stable `id` on every feature. Fields that the field policy
//! denies (by default the personal `phone` fields) never reach an export.
//!
//! Features are written one by one to any `io::Write`, so a million houses stream out
//! without building a document in memory.

use std::io::{self, Write};

use geo::{
    BoundingRect, CoordsIter, Geometry, Intersects, LineString, Orient, Polygon, Rect,
    orient::Direction,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::analysis::{Analysis, Reason};
use crate::dataset::{Dataset, Layer};
use crate::model::{LayerKind, RiskLevel};

mod one;
mod page;
pub(crate) use one::{enterprise_risk_fields, feature_json, grid_cell_fields, hidden_state_fields};
pub use one::{feature, id_and_geometry, properties_of};
pub use page::{Days, FieldKind, FieldSpec, Page, fields_of, find, has_date, page};

/// Errors writing an export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing failed.
    #[error("writing {what}: {source}")]
    Io {
        /// What was being written.
        what: String,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// An unknown layer name was asked for.
    #[error("unknown layer '{0}' (known: {known})", known = known_layers())]
    UnknownLayer(String),
    /// More features matched than the caller allows in one document.
    #[error(
        "more than {limit} features match, more than one document may hold: narrow it with bbox, area or level"
    )]
    TooMany {
        /// The limit.
        limit: u64,
    },
    /// A feature's geometry has a coordinate that is not a finite number, which JSON
    /// cannot hold (a dataset built in code and not checked, [`crate::dataset::Dataset::check`]).
    #[error("{what}: feature {id:?} has a coordinate that is not a finite number")]
    NotFinite {
        /// What was being written.
        what: String,
        /// The feature's id.
        id: String,
    },
    /// A level filter was asked of a layer whose features have no level.
    #[error(
        "layer '{layer}' has no four-colour level to filter by; the layers with one: {with}",
        with = LayerKind::with_level().map(LayerKind::name).collect::<Vec<_>>().join(", ")
    )]
    NoLevel {
        /// The layer's name.
        layer: &'static str,
    },
    /// An unknown area name was asked for.
    #[error("unknown area '{name}' (known: {known})")]
    UnknownArea {
        /// The name given.
        name: String,
        /// The names the dataset has.
        known: String,
    },
}

/// Which fields may leave the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPolicy {
    /// Property names never exported from any layer.
    pub deny: Vec<String>,
    /// Property names never exported, per layer name ([`LayerKind::name`]).
    pub deny_by_layer: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for FieldPolicy {
    fn default() -> Self {
        FieldPolicy {
            deny: vec!["phone".into()],
            // The person answerable for a hidden hazard is named in the bureau's lists,
            // not in files and tiles that may travel further.
            deny_by_layer: [(
                LayerKind::HiddenHazards.name().to_string(),
                vec!["responsible_person".to_string()],
            )]
            .into_iter()
            .collect(),
        }
    }
}

impl FieldPolicy {
    /// A policy that lets every field through (for writing input files).
    pub fn allow_all() -> Self {
        FieldPolicy {
            deny: Vec::new(),
            deny_by_layer: std::collections::BTreeMap::new(),
        }
    }

    /// Whether `field` of `layer` must not leave.
    pub fn denies(&self, layer: LayerKind, field: &str) -> bool {
        self.denied(layer).any(|d| d == field)
    }

    /// The names of `layer` that must not leave: those denied everywhere, then its own.
    pub fn denied(&self, layer: LayerKind) -> impl Iterator<Item = &str> {
        self.deny
            .iter()
            .chain(self.deny_by_layer.get(layer.name()).into_iter().flatten())
            .map(String::as_str)
    }
}

fn known_layers() -> String {
    LayerKind::all()
        .map(LayerKind::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Number of features of a layer (input or result).
pub fn layer_len(kind: LayerKind, ds: &Dataset, a: &Analysis) -> usize {
    match kind {
        LayerKind::Areas => ds.areas.len(),
        LayerKind::Enterprises => ds.enterprises.len(),
        LayerKind::HazardSources => ds.hazard_sources.len(),
        LayerKind::GasPipelines => ds.gas_pipelines.len(),
        LayerKind::Houses => ds.houses.len(),
        LayerKind::ProtectionTargets => ds.protection_targets.len(),
        LayerKind::HiddenHazards => ds.hidden_hazards.len(),
        LayerKind::HazardGrades => a.hazard_grades.len(),
        LayerKind::ProtectionConflicts => a.protection_conflicts.len(),
        LayerKind::PipelineConflicts => a.pipeline_conflicts.len(),
        LayerKind::HouseRisk => a.house_risks.len(),
        LayerKind::EnterpriseRisk => a.enterprise_risks.len(),
        LayerKind::RiskGrid => a.grid.cells.len(),
    }
}

/// The layer called `name` ([`LayerKind::name`]), input or result.
pub fn layer_by_name(name: &str) -> Result<LayerKind, ExportError> {
    LayerKind::from_name(name).ok_or_else(|| ExportError::UnknownLayer(name.to_string()))
}

/// What to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep features whose geometry meets this lon/lat box.
    pub bbox: Option<Rect<f64>>,
    /// Keep features meeting this area (a town/street polygon).
    pub area: Option<Geometry<f64>>,
    /// Keep the features of these levels: only for the layers that have one
    /// ([`LayerKind::has_level`]; [`write_named`] refuses the others with
    /// [`ExportError::NoLevel`]). A feature without a level (a hazard source not graded)
    /// is not kept.
    pub levels: Option<Vec<RiskLevel>>,
    /// Stop with [`ExportError::TooMany`] once more features than this match, before
    /// writing them all (a server answering a request sets it).
    pub max_features: Option<u64>,
}

impl Filter {
    /// Resolves an area by name in the dataset.
    pub fn with_area_name(mut self, ds: &Dataset, name: &str) -> Result<Filter, ExportError> {
        match ds.area_position(name).and_then(|p| ds.areas.get(p)) {
            Some(a) => {
                self.area = Some(a.geometry.clone());
                Ok(self)
            }
            None => Err(ExportError::UnknownArea {
                name: name.to_string(),
                known: ds.area_names(),
            }),
        }
    }

    fn keeps(&self, g: &Geometry<f64>, level: Option<RiskLevel>) -> bool {
        if let Some(levels) = &self.levels
            && !level.is_some_and(|l| levels.contains(&l))
        {
            return false;
        }
        if let Some(b) = self.bbox
            && !g.intersects(&b.to_polygon())
        {
            return false;
        }
        if let Some(a) = &self.area {
            let quick = match (a.bounding_rect(), g.bounding_rect()) {
                (Some(ra), Some(rg)) => ra.intersects(&rg),
                _ => false,
            };
            if !quick || !a.intersects(g) {
                return false;
            }
        }
        true
    }
}

/// Streams a FeatureCollection.
pub struct FeatureWriter<W: Write> {
    w: W,
    first: bool,
    what: String,
    count: u64,
    limit: Option<u64>,
}

impl<W: Write> FeatureWriter<W> {
    /// Starts a collection; `name` goes into a top-level `name` member for readers.
    pub fn new(mut w: W, name: &str) -> Result<Self, ExportError> {
        let what = name.to_string();
        write!(
            w,
            "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[",
            json!(name)
        )
        .map_err(|source| ExportError::Io {
            what: what.clone(),
            source,
        })?;
        Ok(FeatureWriter {
            w,
            first: true,
            what,
            count: 0,
            limit: None,
        })
    }

    /// Refuses (with [`ExportError::TooMany`]) to write more than `limit` features.
    #[must_use]
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Writes one feature.
    pub fn feature(
        &mut self,
        id: &str,
        g: &Geometry<f64>,
        props: &Map<String, Value>,
    ) -> Result<(), ExportError> {
        if let Some(limit) = self.limit
            && self.count >= limit
        {
            return Err(ExportError::TooMany { limit });
        }
        if !g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
            return Err(ExportError::NotFinite {
                what: self.what.clone(),
                id: id.to_string(),
            });
        }
        let mut buf = String::with_capacity(256);
        if !self.first {
            buf.push(',');
        }
        self.first = false;
        buf.push_str("\n{\"type\":\"Feature\",\"id\":");
        buf.push_str(&json!(id).to_string());
        buf.push_str(",\"geometry\":");
        write_geometry(&mut buf, g);
        buf.push_str(",\"properties\":");
        buf.push_str(&Value::Object(props.clone()).to_string());
        buf.push('}');
        self.count += 1;
        self.w
            .write_all(buf.as_bytes())
            .map_err(|source| ExportError::Io {
                what: self.what.clone(),
                source,
            })
    }

    /// Closes the collection and returns the number of features written.
    pub fn finish(mut self) -> Result<u64, ExportError> {
        self.w
            .write_all(b"\n]}\n")
            .and_then(|()| self.w.flush())
            .map_err(|source| ExportError::Io {
                what: self.what.clone(),
                source,
            })?;
        Ok(self.count)
    }
}

fn push_num(buf: &mut String, v: f64) {
    // Seven decimals is about 1 cm; trailing zeros trimmed to keep files small.
    let s = format!("{v:.7}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    buf.push_str(if s == "-0" { "0" } else { s });
}

/// A number in the fewest digits that read back as the same double (Rust's `Display`,
/// which never writes an exponent, so the text is JSON).
fn push_exact(buf: &mut String, v: f64) {
    use std::fmt::Write;
    let _ = write!(buf, "{}", if v == 0.0 { 0.0 } else { v });
}

type PushNum = fn(&mut String, f64);

fn push_coords(buf: &mut String, ls: &LineString<f64>, num: PushNum) {
    buf.push('[');
    for (i, c) in ls.0.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        buf.push('[');
        num(buf, c.x);
        buf.push(',');
        num(buf, c.y);
        buf.push(']');
    }
    buf.push(']');
}

fn push_polygon(buf: &mut String, p: &Polygon<f64>, num: PushNum) {
    let p = p.orient(Direction::Default);
    buf.push('[');
    push_coords(buf, p.exterior(), num);
    for h in p.interiors() {
        buf.push(',');
        push_coords(buf, h, num);
    }
    buf.push(']');
}

/// Appends a geometry as RFC 7946 JSON (right-hand-rule polygons), coordinates to seven
/// decimals (about 1 cm), as the exports write them.
pub fn write_geometry(buf: &mut String, g: &Geometry<f64>) {
    write_geometry_with(buf, g, push_num);
}

/// Appends a geometry as [`write_geometry`] does, but every coordinate in full: the text
/// reads back as the same doubles. For records that must give back what was served (a
/// store's change records, a feature's version).
pub fn write_geometry_exact(buf: &mut String, g: &Geometry<f64>) {
    write_geometry_with(buf, g, push_exact);
}

fn write_geometry_with(buf: &mut String, g: &Geometry<f64>, num: PushNum) {
    match g {
        Geometry::Point(p) => {
            buf.push_str("{\"type\":\"Point\",\"coordinates\":[");
            num(buf, p.x());
            buf.push(',');
            num(buf, p.y());
            buf.push_str("]}");
        }
        Geometry::MultiPoint(mp) => {
            buf.push_str("{\"type\":\"MultiPoint\",\"coordinates\":");
            push_coords(
                buf,
                &LineString::from(mp.0.iter().map(|p| p.0).collect::<Vec<_>>()),
                num,
            );
            buf.push('}');
        }
        Geometry::Line(l) => write_geometry_with(
            buf,
            &Geometry::LineString(LineString::from(vec![l.start, l.end])),
            num,
        ),
        Geometry::LineString(ls) => {
            buf.push_str("{\"type\":\"LineString\",\"coordinates\":");
            push_coords(buf, ls, num);
            buf.push('}');
        }
        Geometry::MultiLineString(m) => {
            buf.push_str("{\"type\":\"MultiLineString\",\"coordinates\":[");
            for (i, ls) in m.0.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                push_coords(buf, ls, num);
            }
            buf.push_str("]}");
        }
        Geometry::Polygon(p) => {
            buf.push_str("{\"type\":\"Polygon\",\"coordinates\":");
            push_polygon(buf, p, num);
            buf.push('}');
        }
        Geometry::MultiPolygon(m) => {
            buf.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (i, p) in m.0.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                push_polygon(buf, p, num);
            }
            buf.push_str("]}");
        }
        Geometry::Rect(r) => write_geometry_with(buf, &Geometry::Polygon(r.to_polygon()), num),
        Geometry::Triangle(t) => {
            write_geometry_with(buf, &Geometry::Polygon(t.to_polygon()), num);
        }
        Geometry::GeometryCollection(gc) => {
            buf.push_str("{\"type\":\"GeometryCollection\",\"geometries\":[");
            for (i, g) in gc.0.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_geometry_with(buf, g, num);
            }
            buf.push_str("]}");
        }
    }
}

/// Properties of a typed feature of `layer`, without denied fields and without nulls.
pub fn properties<P: Serialize>(
    props: &P,
    policy: &FieldPolicy,
    layer: LayerKind,
) -> Map<String, Value> {
    let mut m = match serde_json::to_value(props) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.retain(|k, v| !v.is_null() && !policy.denies(layer, k));
    m
}

pub(crate) fn reasons_value(r: &[Reason]) -> Value {
    Value::Array(
        r.iter()
            .map(|r| json!({"rule": r.rule, "text": r.text, "text_zh": r.text_zh}))
            .collect(),
    )
}

/// Writes an input layer.
pub fn write_layer<P: Serialize, W: Write>(
    w: W,
    layer: &Layer<P>,
    filter: &Filter,
    policy: &FieldPolicy,
) -> Result<u64, ExportError> {
    let mut fw = FeatureWriter::new(w, layer.kind().name())?.with_limit(filter.max_features);
    for f in layer.features() {
        if filter.keeps(&f.geometry, None) {
            fw.feature(
                &f.id,
                &f.geometry,
                &properties(&f.props, policy, layer.kind()),
            )?;
        }
    }
    fw.finish()
}

pub(crate) fn level_props(m: &mut Map<String, Value>, l: RiskLevel) {
    m.insert("level".into(), json!(l.name()));
    m.insert("level_zh".into(), json!(l.name_zh()));
    m.insert("colour".into(), json!(l.colour()));
}

/// Writes one layer (input or result) to `w`.
///
/// ```
/// use riskmap_core::export::{self, FieldPolicy, Filter};
/// use riskmap_core::io::LoadOptions;
/// use riskmap_core::model::LayerKind;
/// use riskmap_core::project::Project;
/// use riskmap_core::rules::Rules;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
/// let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
/// let mut out = Vec::new();
/// let n = export::write_named(
///     &mut out,
///     LayerKind::PipelineConflicts,
///     &p.dataset,
///     &p.analysis,
///     &Filter::default(),
///     &FieldPolicy::default(),
/// )?;
/// assert_eq!(n as usize, p.analysis.pipeline_conflicts.len());
/// let doc: serde_json::Value = serde_json::from_slice(&out)?;
/// assert_eq!(doc["type"], "FeatureCollection");
/// # Ok(())
/// # }
/// ```
pub fn write_named<W: Write>(
    w: W,
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    filter: &Filter,
    policy: &FieldPolicy,
) -> Result<u64, ExportError> {
    let name = kind.name();
    if filter.levels.is_some() && !kind.has_level() {
        return Err(ExportError::NoLevel { layer: name });
    }
    match kind {
        LayerKind::Areas => write_layer(w, &ds.areas, filter, policy),
        LayerKind::Enterprises => write_layer(w, &ds.enterprises, filter, policy),
        LayerKind::HazardSources => write_layer(w, &ds.hazard_sources, filter, policy),
        LayerKind::GasPipelines => write_layer(w, &ds.gas_pipelines, filter, policy),
        LayerKind::Houses => write_layer(w, &ds.houses, filter, policy),
        LayerKind::ProtectionTargets
        | LayerKind::HiddenHazards
        | LayerKind::HazardGrades
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::RiskGrid => {
            let mut fw = FeatureWriter::new(w, name)?.with_limit(filter.max_features);
            for pos in 0..layer_len(kind, ds, a) {
                let Some(at) = one::locate(kind, ds, a, pos) else {
                    continue;
                };
                if !filter.keeps(&at.geometry, at.level) {
                    continue;
                }
                let m = one::properties_of(kind, ds, a, pos, policy).unwrap_or_default();
                fw.feature(&at.id, &at.geometry, &m)?;
            }
            fw.finish()
        }
    }
}

pub(crate) fn round(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

/// The summary document: counts per layer and level, and the area summaries.
pub fn summary(ds: &Dataset, a: &Analysis) -> Value {
    let count = |levels: &mut [u64; 4], l: RiskLevel| {
        let i = match l {
            RiskLevel::Low => 0,
            RiskLevel::General => 1,
            RiskLevel::Significant => 2,
            RiskLevel::Major => 3,
        };
        levels[i] += 1;
    };
    let by_level = |levels: [u64; 4]| json!({"major": levels[3], "significant": levels[2], "general": levels[1], "low": levels[0]});
    let mut houses = [0u64; 4];
    a.house_risks
        .iter()
        .for_each(|h| count(&mut houses, h.level));
    let mut ents = [0u64; 4];
    a.enterprise_risks
        .iter()
        .for_each(|e| count(&mut ents, e.level));
    let mut cells = [0u64; 4];
    a.grid.cells.iter().for_each(|c| count(&mut cells, c.level));
    let mut grades = [0u64; 4];
    for g in a.hazard_grades.iter().filter_map(|g| g.grade) {
        grades[usize::from(g.number() - 1)] += 1;
    }
    let occupations = a
        .pipeline_conflicts
        .iter()
        .filter(|c| c.kind == crate::analysis::PipelineConflictKind::Occupation)
        .count();
    json!({
        "layers": ds.counts().iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<Map<_, _>>(),
        "bounds": ds.bounds().map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
        "hazard_sources": {
            "major": a.hazard_grades.iter().filter(|g| g.is_major).count(),
            "below_threshold": a.hazard_grades.iter().filter(|g| !g.is_major).count(),
            "by_grade": {"1": grades[0], "2": grades[1], "3": grades[2], "4": grades[3]},
            "declared_mismatch": a.hazard_grades.iter().filter(|g| g.mismatch).count(),
        },
        "enterprises": {"by_level": by_level(ents), "declared_mismatch": a.enterprise_risks.iter().filter(|e| e.mismatch).count()},
        "houses": {"by_level": by_level(houses)},
        "protection_conflicts": {
            "total": a.protection_conflicts.len(),
            "with_protection_targets": a.protection_conflicts.iter().filter(|c| c.target_layer == LayerKind::ProtectionTargets).count(),
            "with_houses": a.protection_conflicts.iter().filter(|c| c.target_layer == LayerKind::Houses).count(),
        },
        "pipeline_conflicts": {
            "total": a.pipeline_conflicts.len(),
            "occupation": occupations,
            "too_close": a.pipeline_conflicts.len() - occupations,
            // Pipes with neither a pressure class nor a design pressure: no clearance
            // applies, so none of them was checked.
            "pipes_not_checked": ds.gas_pipelines.features().iter()
                .filter(|p| crate::analysis::pipeline_clearance::pipe_class(&p.props).is_none())
                .count(),
        },
        "risk_grid": {"cell_size_m": a.grid.cell_size_m, "h3_resolution": a.grid.h3_resolution, "cells": a.grid.cells.len(), "by_level": by_level(cells)},
        "areas": serde_json::to_value(&a.area_summaries).unwrap_or(Value::Null),
    })
}
