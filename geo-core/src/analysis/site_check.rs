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
    /// How serious the conflict itself is ([`severity`]): not the feature's own level
    /// (a 四级 source 500 m short of a school is a grave conflict).
    pub severity: RiskLevel,
    /// The sentence for the review, in Chinese.
    pub reason_zh: String,
    /// What the required distance rests on, in Chinese: the standard and its clause, or
    /// this project's screening default said to be one.
    pub basis_zh: String,
    /// Whether the required distance is a screening default of this project (no
    /// standard sets it) rather than a standard's or a QRA report's.
    pub screening_default: bool,
    /// From the site to the feature (closest pair), or the touching point.
    #[serde(skip)]
    pub geometry: Geometry<f64>,
}

/// The result of a site check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteReport {
    /// Class the site was checked as.
    pub class: TargetClass,
    /// Conflicts, the gravest first, then the largest shortfall.
    pub conflicts: Vec<SiteConflict>,
}

/// How serious a conflict is, from how much of the required distance is missing and the
/// class of the site (docs/rules.md, "Site checks"): a site inside a pipe's protection
/// range is 重大 (building there is occupation, 违章占压); otherwise more than half the
/// distance missing is 重大, more than a quarter 较大, less 一般, one step worse for a
/// high-sensitivity or important site (schools, hospitals, …); a dangerous house is as
/// serious as its own level.
pub fn severity(
    kind: &str,
    shortfall_m: f64,
    required_m: f64,
    class: TargetClass,
    level: Option<RiskLevel>,
) -> RiskLevel {
    match kind {
        "pipeline_occupation" => return RiskLevel::Major,
        "dangerous_house" => return level.unwrap_or(RiskLevel::General),
        _ => {}
    }
    let share = if required_m > 0.0 {
        shortfall_m / required_m
    } else {
        0.0
    };
    let base = if share > 0.5 {
        RiskLevel::Major
    } else if share > 0.25 {
        RiskLevel::Significant
    } else {
        RiskLevel::General
    };
    let sensitive = matches!(class, TargetClass::HighSensitivity | TargetClass::Important);
    match (base, sensitive) {
        (RiskLevel::General, true) => RiskLevel::Significant,
        (RiskLevel::Significant, true) => RiskLevel::Major,
        (l, _) => l,
    }
}

/// What a rule's required distance rests on, in Chinese, and whether it is a screening
/// default of this project (docs/rules.md tags \[RM\]).
pub(crate) fn basis_of(rule: &str, required_m: f64, class: TargetClass) -> (String, bool) {
    let d = Num(required_m);
    let cz = class.name_zh();
    let part = |i: usize| rule.split('/').nth(i).unwrap_or("");
    if rule.starts_with("QRA/") {
        return (
            format!(
                "该危险源定量风险评价（QRA）报告给出的{cz}防护距离 {d} m（风险基准：GB 36894-2018）"
            ),
            false,
        );
    }
    if let Some(rest) = rule.strip_prefix("RM-PD/grade_") {
        let grade = rest.split('/').next().unwrap_or("");
        let g = match grade {
            "1" => "一级",
            "2" => "二级",
            "3" => "三级",
            _ => "四级",
        };
        return (
            format!(
                "本项目规划筛查默认值：{g}重大危险源对{cz}的防护距离 {d} m。GB 36894-2018 规定个人和社会风险基准而非距离，正式审查应以定量风险评价确定"
            ),
            true,
        );
    }
    if rule.starts_with("RM-PD/hazchem_enterprise/") {
        return (
            format!(
                "本项目规划筛查默认值：危险化学品企业对{cz}的防护距离 {d} m（无标准规定，正式审查应以安全评价确定）"
            ),
            true,
        );
    }
    if rule.starts_with("CJJ51-2016/") {
        let pc = crate::model::PressureClass::parse(part(2)).map_or("", |c| c.name_zh());
        return (
            format!(
                "CJJ 51-2016《城镇燃气设施运行、维护和抢修安全技术规程》燃气管道安全保护范围：{pc}管道两侧 {d} m（常引数值，须以标准原文核对）"
            ),
            false,
        );
    }
    if rule.starts_with("GB50028-2006/") {
        let key = part(2);
        let pc = crate::model::PressureClass::parse(key).map_or("", |c| c.name_zh());
        if matches!(key, "high_a" | "high_b") {
            return (
                format!(
                    "本项目规划筛查默认值：{pc}燃气管道与建筑物的水平净距 {d} m（GB 50028-2006 §6.4 按地区等级确定，须按实际地区等级复核）"
                ),
                true,
            );
        }
        return (
            format!(
                "GB 50028-2006《城镇燃气设计规范》表 6.3.3-1 地下燃气管道与建（构）筑物的水平净距：{pc} {d} m（常引数值，须以标准原文核对）"
            ),
            false,
        );
    }
    if rule.starts_with("RM-SC/dangerous_house/") {
        return (
            format!("本项目规划筛查默认值：拟选址 {d} m 范围内的较大及以上风险自建房"),
            true,
        );
    }
    (rule.to_string(), true)
}

/// A site that cannot be checked: not a lon/lat polygon, or one no check can trust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the site: {0}")]
pub struct SiteError(pub String);

/// The problem of a site's geometry, if any: a Polygon or MultiPolygon is needed, with
/// finite WGS84 longitudes and latitudes (swapped ones said so) and rings of at least
/// four points ([`crate::dataset::geometry_problem`]). A self-intersecting ring is not
/// looked for here (the server's reading of a site refuses it).
pub fn site_problem(site: &Geometry<f64>) -> Option<SiteError> {
    if !matches!(site, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
        return Some(SiteError(
            "a Polygon or MultiPolygon of lon/lat degrees is needed".into(),
        ));
    }
    crate::dataset::geometry_problem(LayerKind::Areas, site).map(SiteError)
}

/// Checks a site (lon/lat polygon) against the analysed data; a site with a problem
/// ([`site_problem`]) is refused.
pub fn check_site(
    ds: &Dataset,
    a: &Analysis,
    site: &Geometry<f64>,
    site_use: &SiteUse,
    rules: &Rules,
) -> Result<SiteReport, SiteError> {
    if let Some(e) = site_problem(site) {
        return Err(e);
    }
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
                    what: &str,
                    what_zh: &str| {
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
        let shortfall = required - pair.distance_m;
        let (basis_zh, screening_default) = basis_of(&rule, required, class);
        let reason_zh = if kind == "pipeline_occupation" {
            format!(
                "拟选址位于{what_zh}{name}（{id}）的安全保护范围内（距管道 {:.1} m，保护范围 {} m），属违章占压",
                pair.distance_m,
                Num(required)
            )
        } else {
            format!(
                "{what_zh}{name}（{id}）距拟选址 {:.1} m，{}要求不小于 {} m，不足 {:.1} m",
                pair.distance_m,
                class.name_zh(),
                Num(required),
                shortfall
            )
        };
        out.push(SiteConflict {
            severity: severity(kind, shortfall, required, class, level),
            reason_zh,
            basis_zh,
            screening_default,
            kind: kind.to_string(),
            layer,
            id: id.to_string(),
            name: name.to_string(),
            distance_m: pair.distance_m,
            required_m: required,
            shortfall_m: shortfall,
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
        let what_zh = format!("{}重大危险源", grade.name_zh());
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
            &what_zh,
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
                "危险化学品企业",
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
                &format!("{}燃气管道", pc.name_zh()),
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
                &format!("{}燃气管道", pc.name_zh()),
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
            &format!("{}自建房", h.level.name_zh()),
        );
    }
    // The gravest first, then the largest shortfall.
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.shortfall_m.total_cmp(&a.shortfall_m))
            .then(a.id.cmp(&b.id))
    });
    Ok(SiteReport {
        class,
        conflicts: out,
    })
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
        let a = analyze(&ds, &SubstanceTable::builtin(), &rules).unwrap();
        // Site: 600–800 m east, 0–100 m north ⇒ 550 m from the source (short 250 m).
        let site = rect(600.0, 0.0, 800.0, 100.0);
        let use_ = SiteUse {
            kind: TargetKind::School,
            population: Some(800),
            households: None,
        };
        let r = check_site(&ds, &a, &site, &use_, &rules).unwrap();
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
        // 250 m of 800 missing (31 %) is 较大, a step worse for a school: 重大; the red
        // house is as grave as its level; 3.5 m of 13.5 (26 %) is 较大, for a school 重大.
        let sev: Vec<RiskLevel> = r.conflicts.iter().map(|c| c.severity).collect();
        assert_eq!(sev, [RiskLevel::Major; 3]);
        let c = &r.conflicts[0];
        assert!(c.screening_default);
        assert!(
            c.basis_zh.starts_with(
                "本项目规划筛查默认值：二级重大危险源对高敏感防护目标的防护距离 800 m"
            ),
            "{}",
            c.basis_zh
        );
        assert_eq!(
            c.reason_zh,
            "二级重大危险源液氯储罐区（hs）距拟选址 550.0 m，高敏感防护目标要求不小于 800 m，不足 250.0 m"
        );
        let pipe = &r.conflicts[2];
        assert!(!pipe.screening_default);
        assert!(
            pipe.basis_zh.contains("表 6.3.3-1") && pipe.basis_zh.contains("次高压A 13.5 m"),
            "{}",
            pipe.basis_zh
        );
    }

    #[test]
    fn severity_by_hand() {
        use RiskLevel::*;
        use TargetClass::*;
        let s = |kind, short, req, class, level| severity(kind, short, req, class, level);
        // A general site: 20 % missing is 一般, 40 % 较大, 60 % 重大; 50 % exactly is 较大.
        assert_eq!(s("hazard_source", 100.0, 500.0, General1, None), General);
        assert_eq!(
            s("hazard_source", 200.0, 500.0, General1, None),
            Significant
        );
        assert_eq!(
            s("hazard_source", 250.0, 500.0, General3, None),
            Significant
        );
        assert_eq!(s("hazard_source", 300.0, 500.0, General2, None), Major);
        // A sensitive one, a step worse; 重大 stays 重大.
        assert_eq!(
            s("hazchem_enterprise", 60.0, 300.0, HighSensitivity, None),
            Significant
        );
        assert_eq!(
            s("hazchem_enterprise", 100.0, 300.0, Important, None),
            Major
        );
        assert_eq!(s("hazard_source", 500.0, 500.0, Important, None), Major);
        // On a pipe's protection range: 重大 whatever the shortfall; a house: its level.
        assert_eq!(s("pipeline_occupation", 0.1, 0.5, General3, None), Major);
        assert_eq!(
            s(
                "dangerous_house",
                40.0,
                50.0,
                HighSensitivity,
                Some(Significant)
            ),
            Significant
        );
    }

    #[test]
    fn a_site_not_a_lon_lat_polygon_is_refused_not_checked() {
        let ds = Dataset::default();
        let rules = Rules::default();
        let a = analyze(&ds, &SubstanceTable::builtin(), &rules).unwrap();
        let use_ = SiteUse {
            kind: TargetKind::School,
            population: None,
            households: None,
        };
        // Latitude first: swapped, said so (it used to give an empty report, no conflict).
        use geo::polygon;
        let swapped = Geometry::Polygon(polygon![
            (x: 31.8, y: 121.1), (x: 31.81, y: 121.1), (x: 31.81, y: 121.11)
        ]);
        let e = check_site(&ds, &a, &swapped, &use_, &rules).unwrap_err();
        assert!(e.0.contains("look swapped"), "{e}");
        let point = Geometry::Point(geo::Point::new(121.1, 31.8));
        assert_eq!(
            check_site(&ds, &a, &point, &use_, &rules)
                .unwrap_err()
                .to_string(),
            "the site: a Polygon or MultiPolygon of lon/lat degrees is needed"
        );
    }
}
