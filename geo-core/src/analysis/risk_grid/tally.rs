//! Area summaries kept as sums of shares.
//!
//! Every feature, conflict and grid cell gives its area a share (a count in one level,
//! its occupants, a candidate among the worst risks). A summary is the sum of the shares
//! of its area, so a living map changes a summary by taking one share out and putting
//! another in, instead of summing again over every house. A full analysis builds the same
//! tally from nothing, so both ways give one result by construction.
//!
//! Counts are integers and the candidates for the worst risks are kept in a total order
//! (level, score, then layer and position), so the summaries do not depend on the order
//! in which shares came and went.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use geo::{Coord, Geometry, Point};

use super::areas::{AreaSummary, LevelCounts, OUTSIDE, TOP, empty_summary, top_risk};
use super::cells::GridCell;
use super::points::{anchor, grade_level, level_slot};
use crate::analysis::Analysis;
use crate::analysis::pipeline_clearance::{PipelineConflict, PipelineConflictKind};
use crate::analysis::protection_distance::ProtectionConflict;
use crate::dataset::Dataset;
use crate::model::{HazardGrade, LayerKind, RiskLevel};

/// Finds the area of a point: its position in the areas layer.
pub(crate) type Locate<'a> = dyn FnMut(Coord<f64>) -> Option<usize> + 'a;

/// What one thing adds to its area.
#[derive(Debug, Clone, Copy, PartialEq)]
enum What {
    Enterprise {
        level: RiskLevel,
        score: f64,
        tie: u64,
    },
    House {
        level: RiskLevel,
        occupants: u32,
        reasons: u32,
        tie: u64,
    },
    HazardSource {
        grade: HazardGrade,
        r: f64,
        tie: u64,
    },
    Population(u32),
    Protection,
    Occupation,
    TooClose,
    Cell(RiskLevel),
}

/// One thing's share: its area (the number of areas for none) and what it adds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Share {
    slot: u32,
    what: What,
}

/// A candidate among an area's worst risks, worst first: level, then score, then layer,
/// then a hash of the feature's id, then position (a total order, so the first ten are
/// the same however they came). Ties go by the id's hash, not by where the feature stands
/// in its layer: a ledger in another order, or an edit that moves the last feature into a
/// deleted one's place, leaves the list as it was.
#[derive(Debug, Clone, Copy)]
struct TopKey {
    level: RiskLevel,
    score: f64,
    layer: LayerKind,
    tie: u64,
    pos: usize,
}

/// FNV-1a of an id: the same on every machine and in every version.
fn tie(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Ord for TopKey {
    fn cmp(&self, o: &Self) -> Ordering {
        o.level
            .cmp(&self.level)
            .then(o.score.total_cmp(&self.score))
            .then((self.layer, self.tie, self.pos).cmp(&(o.layer, o.tie, o.pos)))
    }
}

impl PartialOrd for TopKey {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for TopKey {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for TopKey {}

/// The counts of one area.
#[derive(Debug, Clone, Default, PartialEq)]
struct Sums {
    enterprises: LevelCounts,
    houses: LevelCounts,
    grid_cells: LevelCounts,
    hazard_sources_by_grade: [u32; 4],
    protection_conflicts: u32,
    pipeline_occupations: u32,
    pipeline_too_close: u32,
    population: u64,
}

/// The per-feature layers whose shares are kept by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// Enterprises.
    Enterprises,
    /// Houses.
    Houses,
    /// Hazard sources.
    HazardSources,
    /// Protection targets.
    ProtectionTargets,
}

/// Area summaries as sums of shares, with the share of every feature kept by position
/// (copied with the room a living map keeps, [`crate::heap::with_headroom`]).
#[derive(Debug, Default)]
pub(crate) struct AreaTally {
    sums: Vec<Sums>,
    tops: Vec<BTreeMap<TopKey, u32>>,
    /// Area position by name (the last of a name), for grid cells.
    by_name: HashMap<String, usize>,
    /// Each area's land, m² (geodesic), measured once: an area's change re-analyses
    /// everything and builds the tally again.
    land_m2: Vec<f64>,
    kept: [Vec<Option<Share>>; 4],
    /// Made by [`AreaTally::sums_only`]: without the shares, it cannot follow a change
    /// (a feature's old share would read as none and be counted twice).
    sums_only: bool,
}

impl Clone for AreaTally {
    fn clone(&self) -> AreaTally {
        AreaTally {
            sums: self.sums.clone(),
            tops: self.tops.clone(),
            by_name: self.by_name.clone(),
            land_m2: self.land_m2.clone(),
            kept: self.kept.each_ref().map(|k| crate::heap::with_headroom(k)),
            sums_only: self.sums_only,
        }
    }
}

fn kept_slot(k: Kept) -> usize {
    match k {
        Kept::Enterprises => 0,
        Kept::Houses => 1,
        Kept::HazardSources => 2,
        Kept::ProtectionTargets => 3,
    }
}

fn layer_of(k: Kept) -> LayerKind {
    match k {
        Kept::Enterprises => LayerKind::Enterprises,
        Kept::Houses => LayerKind::Houses,
        Kept::HazardSources => LayerKind::HazardSources,
        Kept::ProtectionTargets => LayerKind::ProtectionTargets,
    }
}

fn slot_u32(slot: usize) -> u32 {
    u32::try_from(slot).unwrap_or(u32::MAX)
}

impl AreaTally {
    /// Heap bytes of the sums, the worst risks and every feature's share (the
    /// allocator's overhead and the B-trees' spare room left out).
    pub(crate) fn heap_bytes(&self) -> usize {
        let tops: usize = self.tops.iter().map(BTreeMap::len).sum();
        self.sums.capacity() * std::mem::size_of::<Sums>()
            + tops * std::mem::size_of::<(TopKey, u32)>()
            + self.kept.iter().map(|k| k.capacity()).sum::<usize>()
                * std::mem::size_of::<Option<Share>>()
    }

    /// Every share of the analysis, summed: `house_slots` are the houses' areas, `locate`
    /// finds the area of any other point. Each feature's share is kept, so that a living
    /// map can take it out again.
    pub(crate) fn build(
        ds: &Dataset,
        an: &Analysis,
        house_slots: &[usize],
        locate: &mut Locate,
    ) -> AreaTally {
        Self::build_keeping(ds, an, house_slots, locate, true)
    }

    /// The sums of [`AreaTally::build`] without each feature's share: what an analysis
    /// run once needs (a million houses' shares are about 40 MB it would hold only to
    /// drop). Such a tally gives summaries; it cannot follow changes.
    pub(crate) fn sums_only(
        ds: &Dataset,
        an: &Analysis,
        house_slots: &[usize],
        locate: &mut Locate,
    ) -> AreaTally {
        Self::build_keeping(ds, an, house_slots, locate, false)
    }

    fn build_keeping(
        ds: &Dataset,
        an: &Analysis,
        house_slots: &[usize],
        locate: &mut Locate,
        keep: bool,
    ) -> AreaTally {
        let n = ds.areas.len() + 1;
        let mut t = AreaTally {
            sums: vec![Sums::default(); n],
            tops: vec![BTreeMap::new(); n],
            by_name: ds
                .areas
                .features()
                .iter()
                .enumerate()
                .map(|(i, f)| (f.props.name.clone(), i))
                .collect(),
            land_m2: ds
                .areas
                .features()
                .iter()
                .map(|f| crate::geodesy::area_m2(&f.geometry))
                .collect(),
            kept: Default::default(),
            sums_only: !keep,
        };
        for k in [
            Kept::Enterprises,
            Kept::Houses,
            Kept::HazardSources,
            Kept::ProtectionTargets,
        ] {
            let len = match k {
                Kept::Enterprises => ds.enterprises.len(),
                Kept::Houses => ds.houses.len(),
                Kept::HazardSources => ds.hazard_sources.len(),
                Kept::ProtectionTargets => ds.protection_targets.len(),
            };
            if keep {
                t.kept[kept_slot(k)] = vec![None; len];
                for pos in 0..len {
                    t.refresh(k, pos, ds, an, house_slots, locate);
                }
            } else {
                // What `refresh` does from nothing, without the list.
                for pos in 0..len {
                    if let Some(s) = Self::share(k, pos, ds, an, house_slots, locate) {
                        t.apply(s, Some((layer_of(k), pos)), true);
                    }
                }
            }
        }
        for c in &an.protection_conflicts {
            t.add_protection(c, ds, locate);
        }
        for c in &an.pipeline_conflicts {
            t.add_pipeline(c, ds, locate);
        }
        for c in &an.grid.cells {
            t.cell(None, Some(c), ds);
        }
        t
    }

    fn none(&self, ds: &Dataset) -> usize {
        ds.areas.len()
    }

    fn slot_of(g: &Geometry<f64>, ds: &Dataset, locate: &mut Locate) -> u32 {
        slot_u32(anchor(g).and_then(locate).unwrap_or(ds.areas.len()))
    }

    /// The share of the feature at `pos` of a kept layer, as it stands.
    fn share(
        k: Kept,
        pos: usize,
        ds: &Dataset,
        an: &Analysis,
        house_slots: &[usize],
        locate: &mut Locate,
    ) -> Option<Share> {
        let (slot, what) = match k {
            Kept::Enterprises => {
                let (f, e) = (ds.enterprises.get(pos)?, an.enterprise_risks.get(pos)?);
                (
                    Self::slot_of(&f.geometry, ds, locate),
                    What::Enterprise {
                        level: e.level,
                        score: f64::from(e.likelihood * e.severity),
                        tie: tie(&f.id),
                    },
                )
            }
            Kept::Houses => {
                let (f, h) = (ds.houses.get(pos)?, an.house_risks.get(pos)?);
                let slot = house_slots.get(pos).copied().unwrap_or(ds.areas.len());
                (
                    slot_u32(slot),
                    What::House {
                        level: h.level,
                        occupants: f.props.occupants.unwrap_or(0),
                        reasons: u32::try_from(h.reasons.len()).unwrap_or(u32::MAX),
                        tie: tie(&f.id),
                    },
                )
            }
            Kept::HazardSources => {
                let (f, g) = (ds.hazard_sources.get(pos)?, an.hazard_grades.get(pos)?);
                let grade = g.grade?;
                (
                    Self::slot_of(&f.geometry, ds, locate),
                    What::HazardSource {
                        grade,
                        r: g.r,
                        tie: tie(&f.id),
                    },
                )
            }
            Kept::ProtectionTargets => {
                let f = ds.protection_targets.get(pos)?;
                (
                    Self::slot_of(&f.geometry, ds, locate),
                    What::Population(f.props.population.unwrap_or(0)),
                )
            }
        };
        Some(Share { slot, what })
    }

    /// Computes the share of the feature at `pos` again and, if it changed, takes the
    /// old one out and puts the new one in.
    pub(crate) fn refresh(
        &mut self,
        k: Kept,
        pos: usize,
        ds: &Dataset,
        an: &Analysis,
        house_slots: &[usize],
        locate: &mut Locate,
    ) {
        debug_assert!(!self.sums_only, "a tally of sums alone follows no change");
        let new = Self::share(k, pos, ds, an, house_slots, locate);
        let list = &mut self.kept[kept_slot(k)];
        if list.len() <= pos {
            list.resize(pos + 1, None);
        }
        let old = std::mem::replace(&mut list[pos], new);
        if old != new {
            if let Some(s) = old {
                self.apply(s, Some((layer_of(k), pos)), false);
            }
            if let Some(s) = new {
                self.apply(s, Some((layer_of(k), pos)), true);
            }
        }
    }

    /// Room for more features in each kept layer ([`crate::heap::keep_room`]).
    pub(crate) fn keep_room(&mut self) {
        for k in &mut self.kept {
            crate::heap::keep_room(k);
        }
    }

    /// A feature pushed at the end of a kept layer (its share comes with a refresh).
    pub(crate) fn push(&mut self, k: Kept) {
        debug_assert!(!self.sums_only, "a tally of sums alone follows no change");
        self.kept[kept_slot(k)].push(None);
    }

    /// The feature at `pos` removed and the last one moved into its place, as
    /// [`crate::layer::Layer::swap_remove`] does.
    pub(crate) fn swap_remove(&mut self, k: Kept, pos: usize) {
        debug_assert!(!self.sums_only, "a tally of sums alone follows no change");
        let list = &mut self.kept[kept_slot(k)];
        if pos >= list.len() {
            return;
        }
        let last = list.len() - 1;
        let gone = list.swap_remove(pos);
        let moved = (pos < last).then(|| list[pos]).flatten();
        let layer = layer_of(k);
        if let Some(s) = gone {
            self.apply(s, Some((layer, pos)), false);
        }
        if let Some(s) = moved {
            self.apply(s, Some((layer, last)), false);
            self.apply(s, Some((layer, pos)), true);
        }
    }

    /// A protection conflict's share: the area where its line starts (the source).
    fn protection_share(c: &ProtectionConflict, ds: &Dataset, locate: &mut Locate) -> Share {
        let slot = match &c.geometry {
            Geometry::LineString(ls) => match ls.0.first() {
                Some(p) => Self::slot_of(&Geometry::Point(Point::from(*p)), ds, locate),
                None => slot_u32(ds.areas.len()),
            },
            g => Self::slot_of(g, ds, locate),
        };
        Share {
            slot,
            what: What::Protection,
        }
    }

    fn pipeline_share(c: &PipelineConflict, ds: &Dataset, locate: &mut Locate) -> Share {
        Share {
            slot: Self::slot_of(&c.geometry, ds, locate),
            what: match c.kind {
                PipelineConflictKind::Occupation => What::Occupation,
                PipelineConflictKind::TooClose => What::TooClose,
            },
        }
    }

    /// A protection conflict that came.
    pub(crate) fn add_protection(&mut self, c: &ProtectionConflict, ds: &Dataset, l: &mut Locate) {
        let s = Self::protection_share(c, ds, l);
        self.apply(s, None, true);
    }

    /// A protection conflict that went.
    pub(crate) fn sub_protection(&mut self, c: &ProtectionConflict, ds: &Dataset, l: &mut Locate) {
        let s = Self::protection_share(c, ds, l);
        self.apply(s, None, false);
    }

    /// A pipeline conflict that came.
    pub(crate) fn add_pipeline(&mut self, c: &PipelineConflict, ds: &Dataset, l: &mut Locate) {
        let s = Self::pipeline_share(c, ds, l);
        self.apply(s, None, true);
    }

    /// A pipeline conflict that went.
    pub(crate) fn sub_pipeline(&mut self, c: &PipelineConflict, ds: &Dataset, l: &mut Locate) {
        let s = Self::pipeline_share(c, ds, l);
        self.apply(s, None, false);
    }

    /// A grid cell as it was (`before`) and as it is (`after`).
    pub(crate) fn cell(
        &mut self,
        before: Option<&GridCell>,
        after: Option<&GridCell>,
        ds: &Dataset,
    ) {
        let none = self.none(ds);
        let share = |t: &AreaTally, c: &GridCell| Share {
            slot: slot_u32(
                c.area
                    .as_deref()
                    .and_then(|n| t.by_name.get(n).copied())
                    .unwrap_or(none),
            ),
            what: What::Cell(c.level),
        };
        if let Some(c) = before {
            let s = share(self, c);
            self.apply(s, None, false);
        }
        if let Some(c) = after {
            let s = share(self, c);
            self.apply(s, None, true);
        }
    }

    /// Adds (or takes out) a share; `at` is the feature's layer and position, for the
    /// candidates among the worst risks.
    fn apply(&mut self, s: Share, at: Option<(LayerKind, usize)>, add: bool) {
        let Some(sums) = self.sums.get_mut(s.slot as usize) else {
            return;
        };
        let count = |c: &mut u32| {
            *c = if add {
                c.saturating_add(1)
            } else {
                c.saturating_sub(1)
            }
        };
        let mut top = None;
        match s.what {
            What::Enterprise { level, score, tie } => {
                count(&mut sums.enterprises[level_slot(level)]);
                top = Some((level, score, tie));
            }
            What::House {
                level,
                occupants,
                reasons,
                tie,
            } => {
                count(&mut sums.houses[level_slot(level)]);
                sums.population = if add {
                    sums.population.saturating_add(u64::from(occupants))
                } else {
                    sums.population.saturating_sub(u64::from(occupants))
                };
                if level >= RiskLevel::Significant {
                    top = Some((level, f64::from(reasons), tie));
                }
            }
            What::HazardSource { grade, r, tie } => {
                if let Some(c) = sums
                    .hazard_sources_by_grade
                    .get_mut(usize::from(grade.number().saturating_sub(1)))
                {
                    count(c);
                }
                top = Some((grade_level(grade), r, tie));
            }
            What::Population(p) => {
                sums.population = if add {
                    sums.population.saturating_add(u64::from(p))
                } else {
                    sums.population.saturating_sub(u64::from(p))
                };
            }
            What::Protection => count(&mut sums.protection_conflicts),
            What::Occupation => count(&mut sums.pipeline_occupations),
            What::TooClose => count(&mut sums.pipeline_too_close),
            What::Cell(level) => count(&mut sums.grid_cells[level_slot(level)]),
        }
        let (Some((level, score, tie)), Some((layer, pos))) = (top, at) else {
            return;
        };
        let key = TopKey {
            level,
            score,
            layer,
            tie,
            pos,
        };
        let Some(tops) = self.tops.get_mut(s.slot as usize) else {
            return;
        };
        if add {
            *tops.entry(key).or_insert(0) += 1;
        } else if let Some(n) = tops.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                tops.remove(&key);
            }
        }
    }

    /// The summaries, in area order, plus one named `(outside any area)` at the end if
    /// anything falls outside every area.
    pub(crate) fn summaries(
        &self,
        ds: &Dataset,
        an: &Analysis,
        rules: &crate::rules::GridRules,
    ) -> Vec<AreaSummary> {
        let n_areas = ds.areas.len();
        let cell_m2 = super::areas::cell_m2(rules);
        let mut out: Vec<AreaSummary> = Vec::with_capacity(n_areas + 1);
        for (i, (sums, tops)) in self.sums.iter().zip(&self.tops).enumerate() {
            let mut s = match ds.areas.get(i) {
                Some(f) => empty_summary(&f.id, &f.props.name),
                None => empty_summary("", OUTSIDE),
            };
            s.enterprises = sums.enterprises;
            s.houses = sums.houses;
            s.grid_cells = sums.grid_cells;
            s.level = match self.land_m2.get(i) {
                Some(&m2) => {
                    let (index, level) =
                        super::areas::area_risk(&sums.grid_cells, cell_m2, m2, rules);
                    s.index = index;
                    s.area_km2 = m2 / 1e6;
                    level
                }
                // What lies outside every area has no land of its own: its worst cell.
                None => [
                    RiskLevel::Major,
                    RiskLevel::Significant,
                    RiskLevel::General,
                    RiskLevel::Low,
                ]
                .into_iter()
                .find(|l| sums.grid_cells[level_slot(*l)] > 0)
                .unwrap_or(RiskLevel::Low),
            };
            s.hazard_sources_by_grade = sums.hazard_sources_by_grade;
            s.protection_conflicts = sums.protection_conflicts;
            s.pipeline_occupations = sums.pipeline_occupations;
            s.pipeline_too_close = sums.pipeline_too_close;
            s.population = sums.population;
            s.top_risks = tops
                .keys()
                .take(TOP)
                .filter_map(|k| {
                    top_risk(
                        ds,
                        &an.hazard_grades,
                        &an.enterprise_risks,
                        &an.house_risks,
                        k.layer,
                        k.pos,
                    )
                })
                .collect();
            out.push(s);
        }
        if let Some(outside) = out.get(n_areas)
            && outside
                .enterprises
                .iter()
                .chain(&outside.houses)
                .chain(&outside.grid_cells)
                .chain(&outside.hazard_sources_by_grade)
                .all(|&n| n == 0)
            && outside.protection_conflicts
                + outside.pipeline_occupations
                + outside.pipeline_too_close
                == 0
        {
            out.pop();
        }
        out
    }
}
