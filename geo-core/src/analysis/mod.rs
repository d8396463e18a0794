//! The analyses, one module each with its rule table in [`crate::rules`]:
//!
//! | module | what | rule table |
//! |---|---|---|
//! | [`hazard_grade`] | GB 18218-2018 S, R, α and grade per hazard source | [`crate::rules::HazardRules`] |
//! | [`protection_distance`] | protection targets and homes inside required distances (城围化工) | [`crate::rules::ProtectionRules`] |
//! | [`pipeline_clearance`] | footprints inside gas-pipe clearances and protection ranges (违章占压) | [`crate::rules::PipelineRules`] |
//! | [`house_risk`] | four-colour level of each self-built house | [`crate::rules::HouseRules`] |
//! | [`enterprise_risk`] | four-colour level of each enterprise from a risk matrix | [`crate::rules::EnterpriseRules`] |
//! | [`hidden_hazards`] | where each hidden hazard (隐患) stands on a day; open, overdue and major counts | [`crate::rules::HiddenHazardRules`] |
//! | [`hidden_trend`] | monthly trends of hidden hazards per area: found, closed, open and overdue at month end, enterprises per level | [`crate::rules::HiddenHazardRules`] |
//! | [`risk_grid`] | hex-grid risk distribution and per-area summaries | [`crate::rules::GridRules`] |
//!
//! [`analyze`] runs them in dependency order. Results are deterministic: every list is
//! sorted by stable keys, and every result carries reasons that cite a rule id.

pub mod enterprise_risk;
pub mod hazard_grade;
pub mod hidden_hazards;
pub mod hidden_trend;
pub mod house_risk;
mod num;
pub mod pipeline_clearance;
pub mod protection_distance;
pub mod protection_rings;
pub mod risk_grid;
pub mod site_check;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::model::TargetClass;
use crate::rules::Rules;
use crate::substances::SubstanceTable;

pub use enterprise_risk::EnterpriseRisk;
pub use hazard_grade::HazardGradeResult;
pub use house_risk::HouseRisk;
pub(crate) use num::Num;
pub use pipeline_clearance::{PipelineConflict, PipelineConflictKind};
pub use protection_distance::ProtectionConflict;
pub use risk_grid::{AreaSummary, GridCell, RiskGrid};

/// Why a result is what it is: the rule applied and a sentence a reviewer can read, in
/// English and in Chinese.
///
/// The texts are shared (`Arc<str>`): most of a city's millions of houses give one of a
/// few identical reasons (their appraisal's), which then cost a pointer each, not three
/// strings each (BENCHMARKS.md, "Ten million houses").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reason {
    /// Rule id (see `docs/rules.md`).
    pub rule: Arc<str>,
    /// The reason, in English.
    pub text: Arc<str>,
    /// The reason, in Chinese (判定依据).
    pub text_zh: Arc<str>,
}

impl Reason {
    /// A reason in English; the Chinese text is the same until [`Reason::zh`] sets it.
    pub fn new(rule: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Reason {
        let text = text.into();
        Reason {
            rule: rule.into(),
            text_zh: Arc::clone(&text),
            text,
        }
    }

    /// Sets the Chinese text.
    #[must_use]
    pub fn zh(mut self, text_zh: impl Into<Arc<str>>) -> Reason {
        self.text_zh = text_zh.into();
        self
    }
}

pub(crate) use crate::heap::Shared;

impl Reason {
    /// Points each of the three texts at the first equal text of `texts`.
    pub(crate) fn share_texts(&mut self, texts: &mut Shared<str>) {
        texts.share(&mut self.rule);
        texts.share(&mut self.text);
        texts.share(&mut self.text_zh);
    }
}

/// Every result of [`analyze`].
///
/// A copy keeps room in the lists a living map's batches grow
/// (`with_headroom`), as `Analysis::keep_room` gives the original: a
/// copy at exactly their length, topped up after, would hold every list twice for a
/// moment (hundreds of megabytes at ten million houses).
#[derive(Debug, Default, PartialEq)]
pub struct Analysis {
    /// Class of each protection target (given or derived), by position.
    pub target_classes: Vec<TargetClass>,
    /// One result per hazard source, in layer order.
    pub hazard_grades: Vec<HazardGradeResult>,
    /// Protection-distance conflicts, sorted by source then target.
    pub protection_conflicts: Vec<ProtectionConflict>,
    /// Pipeline clearance conflicts, sorted by pipeline then feature.
    pub pipeline_conflicts: Vec<PipelineConflict>,
    /// One result per house, in layer order.
    pub house_risks: Vec<HouseRisk>,
    /// One result per enterprise, in layer order.
    pub enterprise_risks: Vec<EnterpriseRisk>,
    /// The area risk grid.
    pub grid: RiskGrid,
    /// Per town/street summaries.
    pub area_summaries: Vec<AreaSummary>,
    /// The day the hidden hazards are counted on (the rules' `hidden_hazards.as_of`, or
    /// the day of the run).
    pub as_of: Option<crate::model::Day>,
    /// Where each hidden hazard stands on that day, in layer order.
    pub hidden_states: Vec<hidden_hazards::HiddenState>,
}

impl Clone for Analysis {
    fn clone(&self) -> Analysis {
        use crate::heap::with_headroom;
        Analysis {
            target_classes: with_headroom(&self.target_classes),
            hazard_grades: with_headroom(&self.hazard_grades),
            protection_conflicts: with_headroom(&self.protection_conflicts),
            pipeline_conflicts: with_headroom(&self.pipeline_conflicts),
            house_risks: with_headroom(&self.house_risks),
            enterprise_risks: with_headroom(&self.enterprise_risks),
            grid: RiskGrid {
                cell_size_m: self.grid.cell_size_m,
                h3_resolution: self.grid.h3_resolution,
                cells: with_headroom(&self.grid.cells),
            },
            area_summaries: self.area_summaries.clone(),
            as_of: self.as_of,
            hidden_states: with_headroom(&self.hidden_states),
        }
    }
}

impl Analysis {
    /// Gives the lists a living map's batches grow room for more, when they have too
    /// little ([`crate::heap::HEADROOM`]): once, where nobody waits, rather than in the
    /// first batch that adds an item. Those are the conflicts (found and lost as features
    /// move or change), the grid cells (a cell met for the first time) and the results
    /// kept per feature (a feature added). A batch that moved one house into a new
    /// conflict grew the list of 131,730 protection conflicts: 32-76 ms (BENCHMARKS.md,
    /// "One edit through the API").
    pub(crate) fn keep_room(&mut self) {
        use crate::heap::keep_room;
        keep_room(&mut self.protection_conflicts);
        keep_room(&mut self.pipeline_conflicts);
        keep_room(&mut self.grid.cells);
        keep_room(&mut self.target_classes);
        keep_room(&mut self.hazard_grades);
        keep_room(&mut self.house_risks);
        keep_room(&mut self.enterprise_risks);
        keep_room(&mut self.hidden_states);
    }
}

/// Which step [`analyze`] is in, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Protection-target classes.
    TargetClasses,
    /// GB 18218 grading.
    HazardGrades,
    /// Protection distances.
    ProtectionDistances,
    /// Pipeline clearances.
    PipelineClearances,
    /// House levels.
    HouseRisk,
    /// Enterprise levels.
    EnterpriseRisk,
    /// Hex grid and area summaries.
    RiskGrid,
}

/// Runs every analysis.
///
/// ```
/// use riskmap_core::analysis;
/// use riskmap_core::io::{self, LoadOptions};
/// use riskmap_core::rules::Rules;
/// use riskmap_core::substances::SubstanceTable;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
/// let loaded = io::load_dir(&dir, &LoadOptions::default())?;
/// let a = analysis::analyze(&loaded.dataset, &SubstanceTable::builtin(), &Rules::default())?;
/// // One result per feature, in layer order.
/// assert_eq!(a.hazard_grades.len(), loaded.dataset.hazard_sources.len());
/// assert_eq!(a.house_risks.len(), loaded.dataset.houses.len());
/// // No conflict is farther than what its rule requires.
/// assert!(a.protection_conflicts.iter().all(|c| c.distance_m <= c.required_m));
/// # Ok(())
/// # }
/// ```
pub fn analyze(
    ds: &Dataset,
    substances: &SubstanceTable,
    rules: &Rules,
) -> Result<Analysis, InputError> {
    analyze_with_progress(ds, substances, rules, &|_| {})
}

/// What an analysis refuses to start on: features not fit for it
/// ([`Dataset::check`]) or rules out of range ([`Rules::problems`]). The loaders'
/// datasets and the rules read by [`Rules::from_file`] never are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Features with problems, each named.
    #[error(transparent)]
    Features(#[from] crate::dataset::Problems),
    /// Rules out of range or out of order, each named by its dotted path.
    #[error("rules given: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rules(Vec<crate::rules::RuleProblem>),
}

/// The checks of [`InputError`].
pub fn check_input(ds: &Dataset, rules: &Rules) -> Result<(), InputError> {
    let problems = rules.problems();
    if !problems.is_empty() {
        return Err(InputError::Rules(problems));
    }
    ds.check()?;
    Ok(())
}

/// Runs every analysis, calling `progress` as each step starts, once the dataset and
/// rules pass [`check_input`].
pub fn analyze_with_progress(
    ds: &Dataset,
    substances: &SubstanceTable,
    rules: &Rules,
    progress: &(dyn Fn(Step) + Sync),
) -> Result<Analysis, InputError> {
    check_input(ds, rules)?;
    Ok(analyze_checked(ds, substances, rules, progress))
}

/// [`analyze_with_progress`] of a dataset and rules known to pass [`check_input`] (the
/// loaders', or checked before).
pub(crate) fn analyze_checked(
    ds: &Dataset,
    substances: &SubstanceTable,
    rules: &Rules,
    progress: &(dyn Fn(Step) + Sync),
) -> Analysis {
    progress(Step::TargetClasses);
    let day = rules.hidden_hazards.day();
    let hidden_states = hidden_hazards::states_on(ds, day);
    let target_classes = target_classes(ds, rules);
    progress(Step::HazardGrades);
    let hazard_grades = hazard_grade::grade_all(ds, substances, rules);
    progress(Step::ProtectionDistances);
    let protection_conflicts =
        protection_distance::find_conflicts(ds, &hazard_grades, &target_classes, rules);
    progress(Step::PipelineClearances);
    let pipeline_conflicts = pipeline_clearance::find_conflicts(ds, rules);
    progress(Step::HouseRisk);
    let house_risks = house_risk::assess_all(ds, &protection_conflicts, &pipeline_conflicts, rules);
    progress(Step::EnterpriseRisk);
    let enterprise_risks = enterprise_risk::assess_all(ds, &hazard_grades, &target_classes, rules);
    progress(Step::RiskGrid);
    // The houses' areas are found with their anchors, a block at a time.
    let (grid, slots) = risk_grid::build_grid_locating(
        ds,
        (
            &hazard_grades,
            &enterprise_risks,
            &house_risks,
            &pipeline_conflicts,
        ),
        rules,
    );
    let mut analysis = Analysis {
        target_classes,
        hazard_grades,
        protection_conflicts,
        pipeline_conflicts,
        house_risks,
        enterprise_risks,
        grid,
        area_summaries: Vec::new(),
        as_of: Some(day),
        hidden_states,
    };
    analysis.area_summaries = risk_grid::summarise_located(ds, &analysis, &rules.grid, &slots);
    analysis
}

/// Class of every protection target: the ledger's, else derived by the rules.
pub fn target_classes(ds: &Dataset, rules: &Rules) -> Vec<TargetClass> {
    ds.protection_targets
        .features()
        .iter()
        .map(|f| target_class(&f.props, rules))
        .collect()
}

/// Class of one protection target: the ledger's, else derived by the rules.
pub fn target_class(t: &crate::model::ProtectionTarget, rules: &Rules) -> TargetClass {
    t.class
        .unwrap_or_else(|| rules.targets.derive(t.kind, t.population, t.households))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Small hand-built datasets for the analyses' tests.
    use geo::{Geometry, LineString, Point, Polygon};

    use crate::geodesy::LocalPlane;
    use crate::model::{Feature, SourceRef};

    /// A plane at 121.2 E 31.9 N: tests place features in metres east/north of it.
    pub fn plane() -> LocalPlane {
        LocalPlane::new(geo::Coord { x: 121.2, y: 31.9 })
    }

    /// lon/lat point at (east, north) metres.
    pub fn pt(e: f64, n: f64) -> Geometry<f64> {
        Geometry::Point(Point::from(plane().unproject(geo::Coord { x: e, y: n })))
    }

    /// Axis-aligned rectangle from (e0, n0) to (e1, n1) metres, counter-clockwise.
    pub fn rect(e0: f64, n0: f64, e1: f64, n1: f64) -> Geometry<f64> {
        let p = plane();
        let c = |e: f64, n: f64| p.unproject(geo::Coord { x: e, y: n });
        Geometry::Polygon(Polygon::new(
            LineString::from(vec![c(e0, n0), c(e1, n0), c(e1, n1), c(e0, n1), c(e0, n0)]),
            vec![],
        ))
    }

    /// Line through points given in metres.
    pub fn line(pts: &[(f64, f64)]) -> Geometry<f64> {
        let p = plane();
        Geometry::LineString(LineString::from(
            pts.iter()
                .map(|&(e, n)| p.unproject(geo::Coord { x: e, y: n }))
                .collect::<Vec<_>>(),
        ))
    }

    /// A feature.
    pub fn feat<P>(id: &str, geometry: Geometry<f64>, props: P) -> Feature<P> {
        Feature {
            id: id.to_string(),
            geometry,
            props,
            source: SourceRef::default(),
        }
    }
}

#[cfg(test)]
mod tests_shared {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::{Analysis, Reason, analyze};
    use crate::io::{self, LoadOptions};
    use crate::rules::Rules;
    use crate::substances::SubstanceTable;

    fn haimen() -> Analysis {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
        let loaded = io::load_dir(&dir, &LoadOptions::default()).unwrap();
        analyze(
            &loaded.dataset,
            &SubstanceTable::builtin(),
            &Rules::default(),
        )
        .unwrap()
    }

    #[test]
    fn equal_lists_of_a_houses_reasons_are_one() {
        let a = haimen();
        // Every list equal to an earlier one is that one; some are (the demo's houses
        // short of one distance by the same metres, or commercial with the same floors).
        let mut first: HashMap<&[Reason], &Arc<Vec<Reason>>> = HashMap::new();
        let mut shared = 0;
        for r in a.house_risks.iter().filter(|r| r.reasons.len() > 1) {
            let f = *first.entry(&r.reasons[..]).or_insert(&r.reasons);
            assert!(Arc::ptr_eq(f, &r.reasons), "{:?} held twice", r.reasons);
            shared += usize::from(!std::ptr::eq(f, &r.reasons));
        }
        assert!(shared > 0, "no two houses with the same reasons");
    }

    #[test]
    fn equal_texts_of_an_enterprises_reasons_are_one() {
        let a = haimen();
        let mut first: HashMap<&str, &Arc<str>> = HashMap::new();
        let mut shared = 0;
        for r in a.enterprise_risks.iter().flat_map(|e| &e.reasons) {
            for t in [&r.rule, &r.text, &r.text_zh] {
                let f = *first.entry(&t[..]).or_insert(t);
                assert!(Arc::ptr_eq(f, t), "{t} held twice");
                shared += usize::from(!std::ptr::eq(f, t));
            }
        }
        assert!(shared > 0);
    }

    #[test]
    fn the_conflicts_of_a_source_share_its_id_and_rules() {
        let a = haimen();
        let mut first: HashMap<(usize, &str), &Arc<str>> = HashMap::new();
        let mut rules: HashMap<(usize, &str), &Arc<str>> = HashMap::new();
        let mut shared = 0;
        for c in &a.protection_conflicts {
            let f = *first
                .entry((c.source_pos, &*c.source_id))
                .or_insert(&c.source_id);
            assert!(Arc::ptr_eq(f, &c.source_id), "{} held twice", c.source_id);
            let r = *rules.entry((c.source_pos, &*c.rule)).or_insert(&c.rule);
            assert!(Arc::ptr_eq(r, &c.rule), "{} held twice", c.rule);
            shared += usize::from(!std::ptr::eq(f, &c.source_id));
        }
        assert!(shared > 100, "{shared} conflicts share their source's id");
    }
}
