//! A tile set following a living map's batch ([`crate::live::Applied`]): the parts that
//! changed are updated in place, and the tiles that may show something else are named
//! ([`TileChanges`]) — those over the old and the new place of every changed feature and
//! result at the zooms where it is drawn, and over every cluster bin a changed point left
//! or joined.

use std::ops::RangeInclusive;

use geo::{Geometry, Rect};
use geo_index::rtree::sort::HilbertSort;
use geo_index::rtree::{RTree as Packed, RTreeBuilder, RTreeIndex};

use super::clusters::{BinKey, point_at};
use super::{
    MAX_ZOOM, TileSet, TileSetError, conflict_level, grid_tile_id, pipeline_tile_id,
    position_of_tile_id, protection_tile_id,
};
use crate::analysis::{Analysis, GridCell, PipelineConflict, ProtectionConflict};
use crate::dataset::Dataset;
use crate::layer::rects_meet;
use crate::live::Applied;
use crate::model::{LayerKind, RiskLevel};
use crate::tiles::TileId;

/// Where tiles may have changed: boxes per tile layer and zooms.
#[derive(Debug, Clone, Default)]
pub struct TileChanges {
    /// Everything may have changed (a full re-analysis).
    pub everything: bool,
    /// The boxes.
    pub boxes: Vec<TileBox>,
}

/// One box of changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TileBox {
    /// The tile layer.
    pub layer: LayerKind,
    /// The zooms at which it changed.
    pub zooms: RangeInclusive<u8>,
    /// The lon/lat box.
    pub rect: Rect<f64>,
}

impl TileChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.boxes.is_empty()
    }

    /// The bounding box of every change (none for nothing, the world for everything).
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.everything {
            return Some(Rect::new((-180.0, -85.06), (180.0, 85.06)));
        }
        self.boxes
            .iter()
            .map(|b| b.rect)
            .reduce(|a, b| crate::dataset::union_rect(&a, &b))
    }
}

/// Fewest boxes worth a tree ([`TileChanges::indexed`]): below, a question reads them all.
const INDEX_MIN: usize = 64;

/// A batch's [`TileChanges`] with its boxes in a packed R-tree, for asking about many
/// tiles at once (a server's cache after a batch): each question reads the boxes near
/// its tile, not every box of the batch (thousands for a batch of edits all over a
/// city, against hundreds or thousands of cached tiles).
pub struct IndexedChanges<'a> {
    changes: &'a TileChanges,
    tree: Option<Packed<f64>>,
}

impl IndexedChanges<'_> {
    /// Whether the boxes are in a tree (from 64 of them; fewer are read one by one).
    pub fn is_indexed(&self) -> bool {
        self.tree.is_some()
    }
}

impl TileChanges {
    /// The changes made ready for many questions ([`TileSet::tile_changed_in`]).
    pub fn indexed(&self) -> IndexedChanges<'_> {
        let tree = (!self.everything && self.boxes.len() >= INDEX_MIN).then(|| {
            let mut b = RTreeBuilder::<f64>::new(self.boxes.len() as u32);
            for x in &self.boxes {
                b.add(
                    x.rect.min().x,
                    x.rect.min().y,
                    x.rect.max().x,
                    x.rect.max().y,
                );
            }
            b.finish::<HilbertSort>()
        });
        IndexedChanges {
            changes: self,
            tree,
        }
    }
}

/// Each area's level from its summary.
pub(super) fn area_levels(ds: &Dataset, a: &Analysis) -> Vec<RiskLevel> {
    ds.areas
        .features()
        .iter()
        .map(|f| {
            a.area_summaries
                .iter()
                .find(|s| s.id == f.id)
                .map_or(RiskLevel::Low, |s| s.level)
        })
        .collect()
}

/// Where each area's name goes: a point inside it (geo's interior point, the one nearest
/// the centroid on a horizontal bisector), so that the name is written once per town, in
/// the tile that holds the point, instead of once per tile piece of its polygon.
pub(super) fn area_labels(ds: &Dataset) -> Vec<Option<Geometry<f64>>> {
    ds.areas
        .features()
        .iter()
        .map(|f| label_point(&f.geometry))
        .collect()
}

/// The point a polygon's name is written at: inside it even where its centroid is not.
fn label_point(g: &Geometry<f64>) -> Option<Geometry<f64>> {
    use geo::InteriorPoint;
    g.interior_point().map(Geometry::Point)
}

/// What a grid cell's tiles show of it, besides its hexagon.
#[derive(Debug, Clone)]
pub(super) struct CellDrawn {
    pub(super) id: String,
    pub(super) area: Option<String>,
    pub(super) level: RiskLevel,
}

/// A grid cell as the tile set holds it.
pub(super) fn cell_drawn(c: &GridCell) -> (u64, Geometry<f64>, CellDrawn) {
    (
        grid_tile_id(&c.id),
        Geometry::Polygon(c.geometry.clone()),
        CellDrawn {
            id: c.id.clone(),
            area: c.area.clone(),
            level: c.level,
        },
    )
}

/// A protection conflict as the tile set holds it.
pub(super) fn protection_drawn(c: &ProtectionConflict) -> (u64, Geometry<f64>, RiskLevel) {
    (
        protection_tile_id(c),
        c.geometry.clone(),
        conflict_level(c.shortfall_m, c.required_m),
    )
}

/// A pipeline conflict as the tile set holds it.
pub(super) fn pipeline_drawn(c: &PipelineConflict) -> (u64, Geometry<f64>, RiskLevel) {
    (pipeline_tile_id(c), c.geometry.clone(), c.kind.level())
}

/// The tile layer a layer of results is drawn in.
fn drawn_in(kind: LayerKind) -> LayerKind {
    match kind {
        LayerKind::HazardGrades => LayerKind::HazardSources,
        LayerKind::HouseRisk => LayerKind::Houses,
        LayerKind::EnterpriseRisk => LayerKind::Enterprises,
        LayerKind::Areas
        | LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::GasPipelines
        | LayerKind::Houses
        | LayerKind::ProtectionTargets
        | LayerKind::HiddenHazards
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::RiskGrid => kind,
    }
}

impl TileSet {
    pub(super) fn detail_zoom(&self, kind: LayerKind) -> Option<u8> {
        self.infos
            .iter()
            .find(|i| i.name == kind.name())
            .and_then(|i| i.detail_zoom)
    }

    /// Follows a batch applied to `ds` and `a` (which are now the batch's result) and
    /// names the tiles that may have changed. After a full re-analysis the tile set is
    /// built again.
    pub fn update(
        &mut self,
        ds: &Dataset,
        a: &Analysis,
        applied: &Applied,
    ) -> Result<TileChanges, TileSetError> {
        if applied.full {
            *self = TileSet::build(ds, a, self.config.clone())?;
            return Ok(TileChanges {
                everything: true,
                boxes: Vec::new(),
            });
        }
        let mut out = TileChanges::default();
        let mut touched: Vec<(LayerKind, BinKey)> = Vec::new();
        for &(layer, uid) in &applied.features {
            let pos = position_of_tile_id(ds, a, layer, uid);
            if layer == LayerKind::Houses && self.config.world_footprints {
                self.house_world
                    .set(uid, pos.and_then(|p| ds.houses.get(p)).map(|f| &f.geometry));
            }
            if let Some(cl) = self.clusters.get_mut(&layer) {
                let now = pos.and_then(|p| point_at(ds, a, layer, p));
                let mut t = Vec::new();
                cl.set(uid, now, &mut t);
                touched.extend(t.into_iter().map(|k| (layer, k)));
            }
        }
        let dirty = |k: LayerKind| applied.dirty.iter().any(|(l, _)| *l == k);
        // Conflicts and cells: those that went, then those that came (a changed one is
        // both).
        let r = &applied.results;
        let mut t = Vec::new();
        if let Some(cl) = self.clusters.get_mut(&LayerKind::ProtectionConflicts) {
            cl.change_conflicts(
                r.protection_gone.iter().map(protection_tile_id),
                r.protection_new.iter().map(protection_drawn),
                &mut t,
            );
            touched.extend(t.drain(..).map(|k| (LayerKind::ProtectionConflicts, k)));
        }
        if let Some(cl) = self.clusters.get_mut(&LayerKind::PipelineConflicts) {
            cl.change_conflicts(
                r.pipeline_gone.iter().map(pipeline_tile_id),
                r.pipeline_new.iter().map(pipeline_drawn),
                &mut t,
            );
            touched.extend(t.drain(..).map(|k| (LayerKind::PipelineConflicts, k)));
        }
        for c in &r.protection_gone {
            self.pc.remove(protection_tile_id(c));
        }
        for c in &r.protection_new {
            let (id, g, l) = protection_drawn(c);
            self.pc.put(id, g, l);
        }
        for c in &r.pipeline_gone {
            self.gc.remove(pipeline_tile_id(c));
        }
        for c in &r.pipeline_new {
            let (id, g, l) = pipeline_drawn(c);
            self.gc.put(id, g, l);
        }
        for (id, cell) in &r.cells {
            match cell {
                Some(c) => {
                    let (id, g, d) = cell_drawn(c);
                    self.grid.put(id, g, d);
                }
                None => {
                    self.grid.remove(grid_tile_id(id));
                }
            }
        }
        if dirty(LayerKind::Areas) {
            self.area_levels = area_levels(ds, a);
            self.area_labels = area_labels(ds);
        }
        // Features and results where they are drawn as themselves.
        for (kind, rect) in &applied.dirty {
            let layer = drawn_in(*kind);
            if !self.has_layer(layer) {
                continue;
            }
            // A clustered layer is drawn as itself from its detail zoom; below, its
            // clusters' bins say where it changed.
            let from = if self.clusters.contains_key(&layer) {
                self.detail_zoom(layer).unwrap_or(0)
            } else {
                0
            };
            out.boxes.push(TileBox {
                layer,
                zooms: from..=MAX_ZOOM,
                rect: *rect,
            });
        }
        // Clusters where they stand for them.
        touched.sort_by_key(|(l, k)| (*l, *k));
        touched.dedup();
        for (layer, key) in touched {
            if let Some(cl) = self.clusters.get(&layer) {
                out.boxes.push(TileBox {
                    layer,
                    zooms: key.0..=key.0,
                    rect: cl.bin_rect(key),
                });
            }
        }
        Ok(out)
    }

    /// Whether tile `z/x/y` of `layers` may show something else after `changes`: its
    /// buffered box meets a changed box of one of its layers at its zoom.
    pub fn tile_changed(
        &self,
        changes: &TileChanges,
        layers: &[LayerKind],
        z: u8,
        x: u32,
        y: u32,
    ) -> bool {
        if changes.everything {
            return true;
        }
        let Some(bbox) = self.buffered_bounds(z, x, y) else {
            return false;
        };
        changes.boxes.iter().any(|b| box_meets(b, layers, z, &bbox))
    }

    /// [`TileSet::tile_changed`] with the changes indexed: the same answer, from the
    /// boxes near the tile.
    pub fn tile_changed_in(
        &self,
        changes: &IndexedChanges<'_>,
        layers: &[LayerKind],
        z: u8,
        x: u32,
        y: u32,
    ) -> bool {
        let Some(tree) = &changes.tree else {
            return self.tile_changed(changes.changes, layers, z, x, y);
        };
        let Some(bbox) = self.buffered_bounds(z, x, y) else {
            return false;
        };
        let (min, max) = (bbox.min(), bbox.max());
        tree.search(min.x, min.y, max.x, max.y)
            .into_iter()
            .filter_map(|i| changes.changes.boxes.get(i as usize))
            .any(|b| box_meets(b, layers, z, &bbox))
    }

    /// The lon/lat box of tile `z/x/y` with the tiles' buffer (none for a tile out of
    /// range).
    fn buffered_bounds(&self, z: u8, x: u32, y: u32) -> Option<Rect<f64>> {
        let tile = TileId::new(z, x, y).ok()?;
        Some(tile.buffered_bounds_lonlat(&self.config.tile))
    }
}

/// Whether a changed box counts for a tile of `layers` at zoom `z` whose buffered box is
/// `bbox`.
fn box_meets(b: &TileBox, layers: &[LayerKind], z: u8, bbox: &Rect<f64>) -> bool {
    b.zooms.contains(&z) && layers.contains(&b.layer) && rects_meet(&b.rect, bbox)
}

#[cfg(test)]
mod tests {
    use geo::{Geometry, Point, polygon};

    use super::label_point;

    fn at(g: &Geometry<f64>) -> (f64, f64) {
        match label_point(g) {
            Some(Geometry::Point(Point(c))) => (c.x, c.y),
            other => panic!("no label point: {other:?}"),
        }
    }

    #[test]
    fn a_towns_name_goes_inside_it() {
        // A unit square: its middle.
        let square = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
        );
        assert_eq!(at(&square), (0.5, 0.5));
        // An L (a 3×1 bar and a 1×2 bar above its left end): the centroid, by hand
        // ((3·(1.5, 0.5) + 2·(0.5, 2)) / 5 = (1.1, 1.1)), lies outside it; the label
        // point must not.
        let l = Geometry::Polygon(polygon![
            (x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 1.0),
            (x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0)
        ]);
        let (x, y) = at(&l);
        let inside_bar = (0.0..=3.0).contains(&x) && (0.0..=1.0).contains(&y);
        let inside_post = (0.0..=1.0).contains(&x) && (1.0..=3.0).contains(&y);
        assert!(inside_bar || inside_post, "({x}, {y}) is outside the L");
    }
}
