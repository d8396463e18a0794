//! 选址审查 — check a proposed site against the risk map.
//!
//! "Is this proposed site (a polygon, with its intended use) within the required distance
//! of any hazard source, inside any gas pipeline's clearance or protection zone, or next
//! to dangerous houses?" Every conflict comes back with the distance, the distance the
//! rule requires, the shortfall and the rule id, ready to attach to a planning review.
//!
//! The site takes the protection-target class its use and planned population give it
//! ([`crate::rules::TargetRules`]); the required distances are the same tables the
//! protection-distance analysis uses, so a site check and the map never disagree.

use geo::{Geometry, LineString};
use serde::{Deserialize, Serialize};

use super::pipeline_clearance::pipe_class;
use super::risk_grid::grade_level;
use super::{Analysis, Num};
use crate::dataset::Dataset;
use crate::geodesy::closest_points;
use crate::model::{LayerKind, RiskLevel, TargetClass, TargetKind};
use crate::rules::Rules;

/// What the site is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteUse {
    /// Intended use as a protection-target kind (`school`, `residential_community`,
    /// `hospital`, … or the Chinese name).
    pub kind: TargetKind,
    /// Planned persons, if known (decides the general class of other uses).
    pub population: Option<u32>,
    /// Planned households, if known.
    pub households: Option<u32>,
}

/// One conflict of a proposed site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteConflict {
    /// `hazard_source`, `hazchem_enterprise`, `pipeline_occupation`,
    /// `pipeline_clearance` or `dangerous_house`.
    pub kind: String,
    /// Layer of the feature in conflict.
    pub layer: LayerKind,
    /// Its id.
    pub id: String,
    /// Its name (or address).
    pub name: String,
    /// Minimum geodesic distance from the site, metres.
    pub distance_m: f64,
    /// Distance the rule requires, metres.
    pub required_m: f64,
    /// required − distance.
    pub shortfall_m: f64,
    /// Rule id.
    pub rule: String,
    /// A sentence for the review.
    pub reason: String,
    /// Level of the feature in conflict, where it has one.
    pub level: Option<RiskLevel>,
    /// From the site to the feature (closest pair), or the touching point.
    #[serde(skip)]
    pub geometry: Geometry<f64>,
}

/// The result of a site check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteReport {
    /// Class the site was checked as.
    pub class: TargetClass,
    /// Conflicts, worst shortfall first.
    pub conflicts: Vec<SiteConflict>,
}

/// Checks a site (lon/lat polygon) against the analysed data.
pub fn check_site(
    ds: &Dataset,
    a: &Analysis,
    site: &Geometry<f64>,
    site_use: &SiteUse,
    rules: &Rules,
) -> SiteReport {
    let class = rules.targets.derive(
        Some(site_use.kind),
        site_use.population,
        site_use.households,
    );
    let mut out = Vec::new();
    let mut push = |kind: &str,
                    layer: LayerKind,
                    id: &str,
                    name: &str,
                    g: &Geometry<f64>,
                    required: f64,
                    rule: String,
                    level: Option<RiskLevel>,
                    what: &str| {
        let Some(pair) = closest_points(site, g) else {
            return;
        };
        if pair.distance_m > required || (pair.distance_m == required && required > 0.0) {
            return;
        }
        let geometry = if pair.distance_m > 0.0 {
            Geometry::LineString(LineString::from(vec![pair.on_a.0, pair.on_b.0]))
        } else {
            Geometry::Point(pair.on_a)
        };
        out.push(SiteConflict {
            kind: kind.to_string(),
            layer,
            id: id.to_string(),
            name: name.to_string(),
            distance_m: pair.distance_m,
            required_m: required,
            shortfall_m: required - pair.distance_m,
            reason: format!(
                "{what} {name} ({id}) is {:.1} m from the site; {rule} requires {} m for a {} site",
                pair.distance_m,
                Num(required),
                class.key()
            ),
            rule,
            level,
            geometry,
        });
    };

    // Hazard sources by grade (or QRA distance), hazchem enterprises by their table.
    let pr = &rules.protection;
    let reach = pr.grade_1.max().max(pr.hazchem_enterprise.max()).max(
        ds.hazard_sources
            .features()
            .iter()
            .filter_map(|f| f.props.qra_distances.as_ref())
            .filter_map(|q| q.for_class(class))
            .fold(0.0, f64::max),
    );
    for hit in ds.hazard_sources.within_distance(site, reach) {
        let (Some(f), Some(g)) = (ds.hazard_sources.get(hit.pos), a.hazard_grades.get(hit.pos))
        else {
            continue;
        };
        let Some(grade) = g.grade else { continue };
        let (req, rule) = match f
            .props
            .qra_distances
            .as_ref()
            .and_then(|q| q.for_class(class))
        {
            Some(d) => (d, format!("QRA/{}", class.key())),
            None => (
                pr.for_grade(grade).get(class),
                format!("RM-PD/grade_{}/{}", grade.number(), class.key()),
            ),
        };
        let what = format!("{} major hazard source", grade.name_zh());
        push(
            "hazard_source",
            LayerKind::HazardSources,
            &f.id,
            &f.props.name,
            &f.geometry,
            req,
            rule,
            Some(grade_level(grade)),
            &what,
        );
    }
    if pr.screen_enterprises {
        for hit in ds
            .enterprises
            .within_distance(site, pr.hazchem_enterprise.max())
        {
            let Some(f) = ds.enterprises.get(hit.pos) else {
                continue;
            };
            if !f.props.industry.is_some_and(|i| i.is_hazchem()) {
                continue;
            }
            let req = pr.hazchem_enterprise.get(class);
            let level = a.enterprise_risks.get(hit.pos).map(|e| e.level);
            push(
                "hazchem_enterprise",
                LayerKind::Enterprises,
                &f.id,
                &f.props.name,
                &f.geometry,
                req,
                format!("RM-PD/hazchem_enterprise/{}", class.key()),
                level,
                "hazardous-chemical enterprise",
            );
        }
    }
    // Gas pipes: the site's footprint against each pipe's protection range and clearance.
    let pl = &rules.pipeline;
    let pipe_reach = pl.clearance_m.max().max(pl.protection_range_m.max());
    for hit in ds.gas_pipelines.within_distance(site, pipe_reach) {
        let Some(f) = ds.gas_pipelines.get(hit.pos) else {
            continue;
        };
        let Some(pc) = pipe_class(&f.props) else {
            continue;
        };
        let range = pl.protection_range_m.get(pc);
        let clearance = pl.clearance_m.get(pc);
        if hit.distance_m <= range {
            push(
                "pipeline_occupation",
                LayerKind::GasPipelines,
                &f.id,
                &f.props.name,
                &f.geometry,
                range,
                format!("CJJ51-2016/protection_range/{}", pc.key()),
                None,
                &format!("{} gas pipe (occupation)", pc.name_zh()),
            );
        } else {
            push(
                "pipeline_clearance",
                LayerKind::GasPipelines,
                &f.id,
                &f.props.name,
                &f.geometry,
                clearance,
                format!("GB50028-2006/T6.3.3-1/{}", pc.key()),
                None,
                &format!("{} gas pipe", pc.name_zh()),
            );
        }
    }
    // Dangerous houses (orange or red) next to or inside the site.
    let radius = rules.site.dangerous_house_radius_m;
    for hit in ds.houses.within_distance(site, radius) {
        let (Some(f), Some(h)) = (ds.houses.get(hit.pos), a.house_risks.get(hit.pos)) else {
            continue;
        };
        if h.level < rules.site.dangerous_house_min_level {
            continue;
        }
        push(
            "dangerous_house",
            LayerKind::Houses,
            &f.id,
            &f.props.address,
            &f.geometry,
            radius,
            format!("RM-SC/dangerous_house/{}", h.level.name()),
            Some(h.level),
            &format!("{} self-built house", h.level.name_zh()),
        );
    }
    out.sort_by(|a, b| {
        b.shortfall_m
            .total_cmp(&a.shortfall_m)
            .then(a.id.cmp(&b.id))
    });
    SiteReport {
        class,
        conflicts: out,
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::analysis::testutil::{feat, line, rect};
    use crate::dataset::Layer;
    use crate::model::{Appraisal, GasPipeline, HazardSource, House, InventoryItem, PressureClass};
    use crate::substances::SubstanceTable;

    #[test]
    fn school_site_by_hand() {
        let mut ds = Dataset::default();
        // Chlorine 200 t, nobody around ⇒ 二级 (R = 0.5·160 = 80): 800 m for schools.
        ds.hazard_sources = Layer::new(
            LayerKind::HazardSources,
            vec![feat(
                "hs",
                rect(0.0, 0.0, 50.0, 50.0),
                HazardSource {
                    name: "液氯储罐区".into(),
                    inventory: vec![InventoryItem {
                        cas: Some("7782-50-5".into()),
                        name: None,
                        category: None,
                        tonnes: 200.0,
                    }],
                    ..Default::default()
                },
            )],
        );
        // 次高压A pipe 10 m south of the site (clearance 13.5 m).
        ds.gas_pipelines = Layer::new(
            LayerKind::GasPipelines,
            vec![feat(
                "pipe",
                line(&[(500.0, -10.0), (900.0, -10.0)]),
                GasPipeline {
                    pressure_class: Some(PressureClass::SubHighA),
                    ..Default::default()
                },
            )],
        );
        // A D-grade house 20 m east of the site (red; radius 50 m).
        ds.houses = Layer::new(
            LayerKind::Houses,
            vec![feat(
                "h",
                rect(820.0, 10.0, 830.0, 20.0),
                House {
                    appraisal: Some(Appraisal::D),
                    ..Default::default()
                },
            )],
        );
        let rules = Rules::default();
        let a = analyze(&ds, &SubstanceTable::builtin(), &rules);
        // Site: 600–800 m east, 0–100 m north ⇒ 550 m from the source (short 250 m).
        let site = rect(600.0, 0.0, 800.0, 100.0);
        let use_ = SiteUse {
            kind: TargetKind::School,
            population: Some(800),
            households: None,
        };
        let r = check_site(&ds, &a, &site, &use_, &rules);
        assert_eq!(r.class, TargetClass::HighSensitivity);
        let got: Vec<(&str, &str, f64, f64)> = r
            .conflicts
            .iter()
            .map(|c| {
                (
                    c.kind.as_str(),
                    c.id.as_str(),
                    (c.distance_m * 10.0).round() / 10.0,
                    c.required_m,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("hazard_source", "hs", 550.0, 800.0),
                ("dangerous_house", "h", 20.0, 50.0),
                ("pipeline_clearance", "pipe", 10.0, 13.5),
            ]
        );
        assert_eq!(r.conflicts[0].rule, "RM-PD/grade_2/high_sensitivity");
    }
}
