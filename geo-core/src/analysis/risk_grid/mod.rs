//! 安全风险分布图 — the area risk distribution: a hex grid and per-area summaries.
//!
//! No national formula exists for an area's risk index, so this is the project's own
//! documented method ([`crate::rules::GridRules`], `docs/rules.md`):
//!
//! 1. The cells are H3 hexagons at the resolution whose average area is closest to a
//!    hexagon of circumradius `cell_size_m` (resolution 8 for the default 500 m). Only the
//!    cells that a risk or an exposed person reaches exist, so the cost follows the
//!    features, not the extent; where areas are loaded, only those meeting an area are kept.
//! 2. Every risk point — graded hazard sources (一级 red … 四级 blue) and enterprises by
//!    their computed level — adds `weight · (1 − d / radius)` to each cell whose centre
//!    lies within its influence radius of the risk's representative point.
//! 3. The many small risks — houses by their level, pipeline conflicts — are summed the
//!    same way and enter as `many_weight · ln(1 + sum)`: a village of a thousand houses
//!    must not outweigh a chemical plant, and a dense town must not turn red for its
//!    density alone.
//! 4. Exposed population (house occupants, protection targets) in a cell adds
//!    `population_weight · ln(1 + population)`.
//! 5. The index is banded into the four colours; a cell is then raised to at least the
//!    worst level of the risk points inside it (an area is at least its highest point).
//!
//! The H3 cells and the ring walk are in `h3.rs`, the representative points and levels of risks in
//! `points.rs`, the cells and their index in `cells.rs`, the area summaries in `areas.rs`.

mod areas;
mod cells;
mod h3;
pub(crate) mod live;
pub(crate) mod points;
pub(crate) mod tally;
#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests;

pub(crate) use areas::empty_summary;
pub use areas::{
    AreaSummary, LevelCounts, TopRisk, area_holding, area_index, area_risk, cell_m2,
    summarise_areas,
};
pub(crate) use areas::{house_slot, house_slots, summarise_located};
pub(crate) use cells::build_grid_locating;
pub use cells::{GridCell, RiskGrid, build_grid};
pub use h3::{H3Grid, resolution_for};
pub use points::{anchor, grade_level, house_anchors};
