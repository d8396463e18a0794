//! Where and how bad a risk is, as the grid and the summaries see it: a representative
//! point per feature, the colour of a hazard grade, and a level's counter slot.

use geo::{Centroid, Coord, Geometry, InteriorPoint, Intersects};
use rayon::prelude::*;

use crate::dataset::Dataset;
use crate::model::{HazardGrade, RiskLevel};

pub(crate) fn level_slot(l: RiskLevel) -> usize {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::General => 1,
        RiskLevel::Significant => 2,
        RiskLevel::Major => 3,
    }
}

/// The colour a hazard grade is mapped to on the grid.
pub fn grade_level(g: HazardGrade) -> RiskLevel {
    match g {
        HazardGrade::One => RiskLevel::Major,
        HazardGrade::Two => RiskLevel::Significant,
        HazardGrade::Three => RiskLevel::General,
        HazardGrade::Four => RiskLevel::Low,
    }
}

/// A representative point of a geometry (inside polygons): the centroid when it lies
/// inside, which it does for the small convex footprints that make up most layers, else
/// an interior point.
pub fn anchor(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let c = g.centroid()?;
            if g.intersects(&c) {
                Some(c.0)
            } else {
                g.interior_point().map(|p| p.0)
            }
        }
        _ => g.centroid().map(|p| p.0),
    }
}

/// Builds the grid.
/// Representative points of every house (inside its footprint), computed once and shared
/// by the grid and the area summaries.
pub fn house_anchors(ds: &Dataset) -> Vec<Option<Coord<f64>>> {
    ds.houses
        .features()
        .par_iter()
        .map(|f| anchor(&f.geometry))
        .collect()
}
