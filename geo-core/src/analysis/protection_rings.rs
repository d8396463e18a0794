//! The protection distances one source requires, drawn as rings around it: for a graded
//! hazard source (or a hazardous-chemical enterprise the rules screen), one ring per
//! distinct required distance, naming the classes of protection target it holds for, the
//! rule and its basis — what a reviewer otherwise draws by hand around a site.
//!
//! A ring is the source's footprint buffered by the distance (round joins) in a local
//! plane around the footprint ([`crate::geodesy::LocalPlane`], relative error below 10⁻⁴
//! at these distances), so each point of its edge lies the required distance from the
//! footprint, as the protection-distance screening measures it.

use geo::{Buffer, Centroid, MapCoords, MultiPolygon};
use serde::Serialize;

use super::Analysis;
use super::protection_distance;
use super::site_check::basis_of;
use crate::dataset::Dataset;
use crate::geodesy::LocalPlane;
use crate::model::{LayerKind, TargetClass};
use crate::rules::Rules;

/// One ring: a required distance and the classes it holds for.
#[derive(Debug, Clone, Serialize)]
pub struct Ring {
    /// The distance, metres.
    pub required_m: f64,
    /// The classes of protection target that must stay outside it, strictest first.
    pub classes: Vec<TargetClass>,
    /// The rule of the first class (the QRA's or the table's, see docs/rules.md).
    pub rule: String,
    /// Its basis in Chinese: the standard and clause, or the screening default.
    pub basis_zh: String,
    /// Whether the distance is this project's screening default, not a standard's.
    pub screening_default: bool,
    /// The ring, lon/lat.
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

/// The rings of the feature at `pos` of `layer` (hazard sources and enterprises), widest
/// first; `None` where it requires no distance (an ungraded source, an enterprise the
/// rules do not screen) or has no footprint.
pub fn rings(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    layer: LayerKind,
    pos: usize,
) -> Option<Vec<Ring>> {
    let source = match layer {
        LayerKind::HazardSources => {
            protection_distance::hazard_source(ds, pos, a.hazard_grades.get(pos)?, rules)?
        }
        LayerKind::Enterprises => protection_distance::enterprise(ds, pos, rules)?,
        _ => return None,
    };
    let mut by_distance: Vec<(f64, Vec<TargetClass>)> = Vec::new();
    for c in TargetClass::ALL {
        let d = source.required_m(*c);
        // Zero or not a number: no ring.
        if d.is_nan() || d <= 0.0 {
            continue;
        }
        match by_distance.iter_mut().find(|(x, _)| *x == d) {
            Some((_, cs)) => cs.push(*c),
            None => by_distance.push((d, vec![*c])),
        }
    }
    by_distance.sort_by(|x, y| y.0.total_cmp(&x.0));
    let footprint = source.geometry;
    let origin = footprint.centroid()?.0;
    let plane = LocalPlane::new(origin);
    let local = plane.project_geometry(footprint);
    Some(
        by_distance
            .into_iter()
            .map(|(d, classes)| {
                let first = classes[0];
                let rule = source.rule_name(first);
                let (basis_zh, screening_default) = basis_of(&rule, d, first);
                Ring {
                    required_m: d,
                    classes,
                    rule,
                    basis_zh,
                    screening_default,
                    geometry: local.buffer(d).map_coords(|c| plane.unproject(c)),
                }
            })
            .collect(),
    )
}
