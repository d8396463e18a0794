//! Checks of features a program builds in code, before they are analysed: what the
//! loaders make sure of for a file's features (a feature the loaders made passes them).
//!
//! An id must be given and unique in its layer; a geometry must be of a type the layer
//! takes, not empty, every coordinate a finite longitude in [-180, 180] and latitude in
//! [-90, 90] (swapped ones are said to look swapped), every polygon ring at least four
//! points, every line at least two; every quantity a finite number, not negative. The
//! analyses rely on each of these (a ring of NaN panics inside geometry algorithms, a
//! negative tonnage grades a source wrongly); [`crate::project::Project::from_dataset`],
//! [`crate::analysis::analyze`] and [`crate::live::Live`] refuse a dataset that fails
//! them, with every problem named by layer, feature and field. A layer built with
//! another layer's kind ([`crate::layer::Layer::new`]) is a problem too.
//!
//! Not checked here: self-intersecting rings (the loaders repair them, see
//! [`crate::io::feature_from_geojson`] for the loaders' checks and repairs of one
//! feature) and references between layers (an enterprise id a hazard source names).

use std::collections::HashSet;
use std::fmt;

use geo::{Coord, Geometry, LineString, Polygon};

use super::Dataset;
use crate::layer::Layer;
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, HiddenHazard, House, LayerKind,
    ProtectionTarget,
};

/// One thing wrong with one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its layer.
    pub layer: LayerKind,
    /// Its id (empty when that is the problem).
    pub id: String,
    /// The property at fault, e.g. `inventory[0].tonnes`; `None` for the geometry or id.
    pub field: Option<String>,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.layer.name(), self.id)?;
        if let Some(field) = &self.field {
            write!(f, ", {field}")?;
        }
        write!(f, ": {}", self.what)
    }
}

/// Features not fit for analysis, each problem named ([`Dataset::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.problems))]
pub struct Problems {
    /// Every problem found, layer by layer in [`LayerKind::INPUTS`] order.
    pub problems: Vec<Problem>,
}

fn summary(p: &[Problem]) -> String {
    const SHOWN: usize = 5;
    let mut s = format!(
        "{} problem{} in the features: ",
        p.len(),
        if p.len() == 1 { "" } else { "s" }
    );
    let shown: Vec<String> = p.iter().take(SHOWN).map(Problem::to_string).collect();
    s.push_str(&shown.join("; "));
    if p.len() > SHOWN {
        s.push_str(&format!("; and {} more", p.len() - SHOWN));
    }
    s
}

/// The properties' own checks: `(field, what)` for each value not fit for analysis.
pub trait CheckProps {
    /// Appends the problems of these properties.
    fn problems(&self, out: &mut Vec<(String, String)>);
}

/// A number given that is not finite or is negative.
fn quantity(out: &mut Vec<(String, String)>, field: impl Into<String>, v: Option<f64>) {
    if let Some(v) = v
        && !(v.is_finite() && v >= 0.0)
    {
        out.push((
            field.into(),
            format!("{v} is not a finite number of zero or more"),
        ));
    }
}

impl CheckProps for HazardSource {
    fn problems(&self, out: &mut Vec<(String, String)>) {
        for (i, item) in self.inventory.iter().enumerate() {
            quantity(out, format!("inventory[{i}].tonnes"), Some(item.tonnes));
        }
        if let Some(q) = &self.qra_distances {
            for (name, v) in [
                ("high_sensitivity", q.high_sensitivity),
                ("important", q.important),
                ("general_1", q.general_1),
                ("general_2", q.general_2),
                ("general_3", q.general_3),
            ] {
                quantity(out, format!("qra_distances.{name}"), v);
            }
        }
    }
}

impl CheckProps for GasPipeline {
    fn problems(&self, out: &mut Vec<(String, String)>) {
        quantity(out, "design_pressure_mpa", self.design_pressure_mpa);
        quantity(out, "diameter_mm", self.diameter_mm);
    }
}

impl CheckProps for HiddenHazard {
    fn problems(&self, out: &mut Vec<(String, String)>) {
        quantity(out, "funds_wan_yuan", self.funds_wan_yuan);
    }
}

// Their numbers are integers: nothing to check beyond the types.
impl CheckProps for Area {
    fn problems(&self, _: &mut Vec<(String, String)>) {}
}
impl CheckProps for Enterprise {
    fn problems(&self, _: &mut Vec<(String, String)>) {}
}
impl CheckProps for House {
    fn problems(&self, _: &mut Vec<(String, String)>) {}
}
impl CheckProps for ProtectionTarget {
    fn problems(&self, _: &mut Vec<(String, String)>) {}
}

/// The problems of one feature of layer `kind` (its id's uniqueness aside).
pub fn feature_problems<P: CheckProps>(kind: LayerKind, f: &Feature<P>) -> Vec<Problem> {
    let mut out = Vec::new();
    let problem = |field: Option<String>, what: String| Problem {
        layer: kind,
        id: f.id.clone(),
        field,
        what,
    };
    if f.id.trim().is_empty() {
        out.push(problem(None, "a feature needs a non-empty id".into()));
    }
    if let Some(what) = geometry_problem(kind, &f.geometry) {
        out.push(problem(None, what));
    }
    let mut props = Vec::new();
    f.props.problems(&mut props);
    out.extend(
        props
            .into_iter()
            .map(|(field, what)| problem(Some(field), what)),
    );
    out
}

fn layer_problems<P: CheckProps + crate::io::LayerProps>(layer: &Layer<P>, out: &mut Vec<Problem>) {
    let kind = P::KIND;
    if layer.kind() != kind {
        out.push(Problem {
            layer: kind,
            id: String::new(),
            field: None,
            what: format!(
                "the layer of {} is built as {} (Layer::of takes the kind from the features)",
                kind.name(),
                layer.kind().name()
            ),
        });
    }
    let mut seen = HashSet::with_capacity(layer.len());
    for f in layer.features() {
        out.extend(feature_problems(kind, f));
        if !f.id.is_empty() && !seen.insert(f.id.as_str()) {
            out.push(Problem {
                layer: kind,
                id: f.id.clone(),
                field: None,
                what: "the id is given to more than one feature of the layer".into(),
            });
        }
    }
}

impl Dataset {
    /// Every problem of every feature (what is checked: [`check`](crate::dataset::check)), layer by layer.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        layer_problems(&self.areas, &mut out);
        layer_problems(&self.enterprises, &mut out);
        layer_problems(&self.hazard_sources, &mut out);
        layer_problems(&self.gas_pipelines, &mut out);
        layer_problems(&self.houses, &mut out);
        layer_problems(&self.protection_targets, &mut out);
        layer_problems(&self.hidden_hazards, &mut out);
        out
    }

    /// `Ok` when every feature is fit for analysis, else every problem.
    pub fn check(&self) -> Result<(), Problems> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems { problems })
        }
    }
}

/// What is wrong with a geometry of layer `kind`, if anything.
pub fn geometry_problem(kind: LayerKind, g: &Geometry<f64>) -> Option<String> {
    let fits = match kind {
        LayerKind::GasPipelines => {
            matches!(g, Geometry::LineString(_) | Geometry::MultiLineString(_))
        }
        LayerKind::Areas => matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_)),
        // A hidden hazard without a place of its own: an empty collection, drawn at its
        // feature's.
        LayerKind::HiddenHazards => match g {
            Geometry::Point(_) => true,
            Geometry::GeometryCollection(c) => c.0.is_empty(),
            _ => false,
        },
        LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::Houses
        | LayerKind::ProtectionTargets => matches!(
            g,
            Geometry::Point(_) | Geometry::Polygon(_) | Geometry::MultiPolygon(_)
        ),
        _ => false,
    };
    if !fits {
        return Some(format!(
            "a {} in layer {}, which takes {}",
            type_name(g),
            kind.name(),
            crate::io::allowed_types(kind)
        ));
    }
    let mut bad = None;
    let mut coord = |c: Coord<f64>| {
        if bad.is_some() {
            return;
        }
        if !(c.x.is_finite() && c.y.is_finite()) {
            bad = Some(format!(
                "coordinate ({}, {}) is not a finite number",
                c.x, c.y
            ));
        } else if !((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)) {
            let swapped = if c.x.abs() <= 90.0 && c.y.abs() <= 180.0 {
                ": longitude and latitude look swapped (x is the longitude)"
            } else {
                ": not WGS84 longitude/latitude (convert projected coordinates first)"
            };
            bad = Some(format!(
                "coordinate ({}, {}) is outside longitude [-180, 180] / latitude [-90, 90]{swapped}",
                short(c.x),
                short(c.y)
            ));
        }
    };
    let mut shape = None;
    match g {
        Geometry::Point(p) => coord(p.0),
        Geometry::LineString(l) => shape = line(l, &mut coord),
        Geometry::MultiLineString(m) => {
            if m.0.is_empty() {
                shape = Some("an empty MultiLineString".into());
            }
            for l in &m.0 {
                shape = shape.or(line(l, &mut coord));
            }
        }
        Geometry::Polygon(p) => shape = polygon(p, &mut coord),
        Geometry::MultiPolygon(m) => {
            if m.0.is_empty() {
                shape = Some("an empty MultiPolygon".into());
            }
            for p in &m.0 {
                shape = shape.or(polygon(p, &mut coord));
            }
        }
        _ => {}
    }
    bad.or(shape)
}

fn line(l: &LineString<f64>, coord: &mut impl FnMut(Coord<f64>)) -> Option<String> {
    l.0.iter().for_each(|c| coord(*c));
    (l.0.len() < 2).then(|| format!("a line of {} point(s): it needs two or more", l.0.len()))
}

fn polygon(p: &Polygon<f64>, coord: &mut impl FnMut(Coord<f64>)) -> Option<String> {
    let mut out = None;
    for (i, ring) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        ring.0.iter().for_each(|c| coord(*c));
        let n = ring.0.len();
        if out.is_none() && (n < 4 || ring.0.first() != ring.0.last()) {
            let which = if i == 0 {
                "the outer ring".to_string()
            } else {
                format!("hole {i}")
            };
            out = Some(if n == 0 {
                format!("{which} is empty")
            } else if n < 4 {
                format!(
                    "{which} has {n} point(s): a ring needs four or more (three corners and \
                     the first repeated last)"
                )
            } else {
                format!("{which} is not closed (its last point is not its first)")
            });
        }
    }
    out
}

/// A coordinate for a message: a huge one in exponent form, not 300 digits.
fn short(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

#[cfg(test)]
mod tests;
