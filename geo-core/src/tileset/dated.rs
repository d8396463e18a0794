//! The map as of another day than the analysis's (the viewer's date control): where each
//! hidden hazard stood on that day, and the enterprise levels that follow from them (an
//! enterprise's likelihood counts its open and overdue hazards), with their clusters.
//! What does not depend on the day — houses, hazard sources, conflicts — is the served
//! analysis's. Made from a living map ([`TileSet::view_as_of_live`]) the view also
//! recomputes the grid cells the enterprises whose level differs that day reach, and the
//! areas' levels from them, with the living map's own one-cell function; made from a
//! dataset alone ([`TileSet::view_as_of`]) those stay the analysis day's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::clusters::{self, Clusters};
use super::drawn::Drawn;
use super::update::{CellDrawn, cell_drawn};
use super::{TileSet, TileSetError, grid_tile_id};
use crate::analysis::hidden_hazards::{self, HiddenState};
use crate::analysis::risk_grid::live::{point_weight, recompute, touched};
use crate::analysis::risk_grid::{self, H3Grid, points::level_slot};
use crate::analysis::{Analysis, EnterpriseRisk, GridCell, enterprise_risk};
use crate::dataset::Dataset;
use crate::export::{self, FieldPolicy};
use crate::live::Live;
use crate::model::{Day, LayerKind, RiskLevel};
use crate::rules::Rules;

/// What the map shows differently on another day: the states of the hidden hazards and
/// the levels of the enterprises, in layer order, and their clusters. Made by
/// [`TileSet::view_as_of`] for one generation of the data; tiles of it come from
/// [`TileSet::render_as_of`]. With a living map ([`TileSet::view_as_of_live`]) it also
/// holds the grid and the areas' levels of the day.
#[derive(Debug, Clone)]
pub struct DatedView {
    day: Day,
    /// The rules of the analysis with the day as theirs (for one enterprise's assessment).
    rules: Rules,
    pub(super) hidden_states: Vec<HiddenState>,
    /// Each enterprise's level on the day, in layer order. Its whole assessment (the
    /// reasons, written out) is made only for the one a popup asks for.
    pub(super) enterprise_levels: Vec<RiskLevel>,
    pub(super) clusters: BTreeMap<LayerKind, Clusters>,
    /// The grid cells of the day, when recomputed.
    pub(super) grid: Option<Drawn<CellDrawn>>,
    /// The areas' levels of the day, by position, when recomputed.
    pub(super) area_levels: Option<Vec<RiskLevel>>,
    /// The grid cells recomputed for the day, by tile id (`None`: no cell that day).
    pub(super) cells: HashMap<u64, Option<GridCell>>,
}

impl DatedView {
    /// The day.
    pub fn day(&self) -> Day {
        self.day
    }

    /// Where each hidden hazard stood on the day, in layer order.
    pub fn hidden_states(&self) -> &[HiddenState] {
        &self.hidden_states
    }

    /// Each enterprise's level on the day, in layer order.
    pub fn enterprise_levels(&self) -> &[RiskLevel] {
        &self.enterprise_levels
    }

    /// The whole assessment of the enterprise at `pos` on the day, as the analysis of that
    /// day makes it; `ds` and `a` are the data and analysis the view was made from.
    pub fn enterprise_risk(
        &self,
        ds: &Dataset,
        a: &Analysis,
        pos: usize,
    ) -> Option<EnterpriseRisk> {
        let f = ds.enterprises.get(pos)?;
        let worst = enterprise_risk::worst_grades(ds, &a.hazard_grades)
            .get(f.id.as_str())
            .copied();
        let hidden = hidden_hazards::counts_for_enterprise(ds, &f.id, self.day);
        Some(enterprise_risk::assess_one(
            ds,
            f,
            worst,
            hidden,
            &a.target_classes,
            &self.rules,
        ))
    }

    /// Whether the grid and the areas' levels are the day's (else the analysis day's).
    pub fn has_grid(&self) -> bool {
        self.grid.is_some()
    }

    /// The feature a tile of the day gives the id `tile_id` in the GeoJSON layer `kind`
    /// ([`crate::tileset::geojson_layer`]), as its export would give it on the day: `ds`
    /// and `a` are the data and analysis the view was made from; a hidden hazard has its
    /// state of the day, an enterprise its assessment of the day, a grid cell recomputed
    /// for the day its figures of the day. `None` when no such feature is drawn that day.
    pub fn feature(
        &self,
        kind: LayerKind,
        ds: &Dataset,
        a: &Analysis,
        tile_id: u64,
        policy: &FieldPolicy,
    ) -> Option<serde_json::Value> {
        if kind == LayerKind::RiskGrid
            && let Some(cell) = self.cells.get(&tile_id)
        {
            let c = cell.as_ref()?;
            let g = geo::Geometry::Polygon(c.geometry.clone());
            return Some(export::feature_json(
                &c.id,
                &g,
                export::grid_cell_fields(c, ds, policy),
            ));
        }
        let pos = super::position_of_tile_id(ds, a, kind, tile_id)?;
        let mut f = export::feature(kind, ds, a, pos, policy)?;
        let props = f.get_mut("properties")?.as_object_mut()?;
        match kind {
            LayerKind::HiddenHazards => {
                export::hidden_state_fields(props, self.hidden_states.get(pos)?, Some(self.day));
            }
            LayerKind::EnterpriseRisk => {
                export::enterprise_risk_fields(props, &self.enterprise_risk(ds, a, pos)?);
            }
            _ => {}
        }
        Some(f)
    }
}

impl TileSet {
    /// The map of `ds` and its analysis `a` (made with `rules`) as of `day`: the hidden
    /// hazards' states that day, the enterprises' levels with them (the analysis's
    /// severity at the day's likelihood, `enterprise_risk::levels_on`, so that on the
    /// analysis day it is the analysis), and the clusters of both layers. `a` is the
    /// analysis of `ds`, or of a dataset that differs from it only in the hidden hazards'
    /// records, which the severity does not count.
    pub fn view_as_of(
        &self,
        ds: &Dataset,
        a: &Analysis,
        rules: &Rules,
        day: Day,
    ) -> Result<DatedView, TileSetError> {
        let mut rules = rules.clone();
        rules.hidden_hazards.as_of = Some(day);
        let (hidden_states, enterprise_levels) = rayon::join(
            || hidden_hazards::states_on(ds, day),
            || enterprise_risk::levels_on(ds, &rules, &a.enterprise_risks),
        );
        let opts = &self.config.cluster;
        let detail = |k: LayerKind| self.detail_zoom(k).unwrap_or(0);
        let (hidden, enterprises) = rayon::join(
            || {
                let pts = clusters::hidden_points(ds, &hidden_states);
                clusters::build_one(pts, detail(LayerKind::HiddenHazards), opts)
            },
            || {
                let pts = clusters::layer_points(&ds.enterprises, |i| {
                    enterprise_levels
                        .get(i)
                        .copied()
                        .unwrap_or(crate::model::RiskLevel::Low)
                });
                clusters::build_one(pts, detail(LayerKind::Enterprises), opts)
            },
        );
        let mut clusters = BTreeMap::new();
        clusters.insert(LayerKind::HiddenHazards, hidden?);
        clusters.insert(LayerKind::Enterprises, enterprises?);
        Ok(DatedView {
            day,
            rules,
            hidden_states,
            enterprise_levels,
            clusters,
            grid: None,
            area_levels: None,
            cells: HashMap::new(),
        })
    }

    /// [`TileSet::view_as_of`] of a living map's data, with the grid of the day: the
    /// cells reached by an enterprise whose level differs from the analysis day's (at
    /// its old and its new weight) are recomputed with the day's levels, as the living
    /// map recomputes cells after an edit; the areas' levels are the worst of their
    /// cells.
    pub fn view_as_of_live(
        &self,
        live: &Live,
        rules: &Rules,
        day: Day,
    ) -> Result<DatedView, TileSetError> {
        self.view_as_of_live_with(live, live.dataset(), rules, day)
    }

    /// [`TileSet::view_as_of_live`] with `ds` for the living map's data: the same
    /// features at the same places and positions, but for the records of the hidden
    /// hazards (as they stood on the day, from a store's history).
    pub fn view_as_of_live_with(
        &self,
        live: &Live,
        ds: &Dataset,
        rules: &Rules,
        day: Day,
    ) -> Result<DatedView, TileSetError> {
        let a = live.analysis();
        let mut v = self.view_as_of(ds, a, rules, day)?;
        let h3 = H3Grid::for_cell_size(rules.grid.cell_size_m);
        let mut cells: BTreeSet<u64> = BTreeSet::new();
        for (pos, (then, &now)) in a
            .enterprise_risks
            .iter()
            .zip(&v.enterprise_levels)
            .enumerate()
        {
            if then.level == now {
                continue;
            }
            let at = live.points().enterprises.anchor(pos);
            for level in [then.level, now] {
                let (w, r) = point_weight(rules, LayerKind::Enterprises, level);
                cells.extend(touched(&h3, at, w, r).into_iter().map(u64::from));
            }
        }
        let cells: Vec<h3o::CellIndex> = cells
            .into_iter()
            .filter_map(|c| h3o::CellIndex::try_from(c).ok())
            .collect();
        let mut grid = self.grid.clone();
        if !cells.is_empty() {
            let levels = &v.enterprise_levels;
            let level_of = |pos: usize| levels.get(pos).copied();
            let fresh = recompute(ds, a, &level_of, live.points(), rules, &cells);
            for (h, cell) in fresh {
                let id = grid_tile_id(&h.to_string());
                match &cell {
                    Some(c) => {
                        let (id, g, d) = cell_drawn(c);
                        grid.put(id, g, d);
                    }
                    None => {
                        grid.remove(id);
                    }
                }
                v.cells.insert(id, cell);
            }
        }
        // An area's level is the band of its index, from its cells of the day.
        let mut cells: HashMap<&str, risk_grid::LevelCounts> = HashMap::new();
        for (_, _, c) in grid.iter() {
            if let Some(name) = c.area.as_deref() {
                cells.entry(name).or_default()[level_slot(c.level)] += 1;
            }
        }
        let cell_m2 = risk_grid::cell_m2(&rules.grid);
        v.area_levels = Some(
            ds.areas
                .features()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let n = cells
                        .get(f.props.name.as_str())
                        .copied()
                        .unwrap_or_default();
                    // The land the analysis measured (areas do not change with the day).
                    let m2 = a
                        .area_summaries
                        .get(i)
                        .filter(|s| s.id == f.id)
                        .map_or_else(
                            || crate::geodesy::area_m2(&f.geometry),
                            |s| s.area_km2 * 1e6,
                        );
                    risk_grid::area_risk(&n, cell_m2, m2, &rules.grid).1
                })
                .collect(),
        );
        v.grid = Some(grid);
        Ok(v)
    }
}
