//! The results the tile set draws from world units (`drawn.rs`: conflict lines and grid
//! cells) against the same results given to the builder in lon/lat degrees, as the
//! analysis holds them, with the layer's properties written out here: the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use geo::{BoundingRect, Geometry, Intersects, Rect};

use super::{TileSet, TileSetConfig, conflict_level, grid_tile_id, protection_tile_id};
use crate::analysis::{Analysis, analyze};
use crate::dataset::Dataset;
use crate::generate::{GenerateOptions, generate, haimen};
use crate::model::{LayerKind, RiskLevel};
use crate::rules::Rules;
use crate::substances::SubstanceTable;
use crate::tiles::{TileBuilder, TileFeature, TileId, TileOptions};

fn city() -> (Dataset, Analysis) {
    let opts = GenerateOptions {
        seed: 11,
        houses: 3000,
        enterprises: 40,
        hazard_sources: 80,
        pipeline_km: 25.0,
        protection_targets: 400,
        hidden_hazards: 0,
    };
    let ds = generate(&opts, &haimen().expect("boundary")).expect("city");
    let a = analyze(&ds, &SubstanceTable::builtin(), &Rules::default()).unwrap();
    (ds, a)
}

fn n_of(l: RiskLevel) -> u64 {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::General => 1,
        RiskLevel::Significant => 2,
        RiskLevel::Major => 3,
    }
}

/// The tile of `z` over the middle of each box, once each.
fn tiles_over(boxes: impl Iterator<Item = Rect<f64>>, z: u8) -> BTreeSet<(u32, u32)> {
    boxes
        .map(|b| {
            let c = b.center();
            let n = f64::from(1u32 << z);
            let x = ((c.x + 180.0) / 360.0 * n) as u32;
            let lat = c.y.to_radians();
            let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
                as u32;
            (x, y)
        })
        .collect()
}

/// Every tile of `zooms` over `items` (lon/lat features of layer `kind`, with the
/// layer's properties), drawn by the tile set, against the items whose box meets the
/// tile's buffered box given to the builder, in id order: the same bytes. Returns the
/// number of tiles that are not empty.
fn same_tiles(
    (ts, ds, a): (&TileSet, &Dataset, &Analysis),
    kind: LayerKind,
    zooms: &[u8],
    items: &[TileFeature<'_>],
) -> usize {
    let opts = TileOptions::default();
    let mut drawn = 0;
    for &z in zooms {
        let boxes = items.iter().filter_map(|f| f.geometry.bounding_rect());
        for (x, y) in tiles_over(boxes, z) {
            let tile = TileId::new(z, x, y).unwrap();
            let bbox = tile.buffered_bounds_lonlat(&opts);
            let mut feats: Vec<TileFeature<'_>> = items
                .iter()
                .filter(|f| {
                    f.geometry
                        .bounding_rect()
                        .is_some_and(|b| b.intersects(&bbox))
                })
                .cloned()
                .collect();
            feats.sort_by_key(|f| f.id);
            let mut b = TileBuilder::new(tile, &opts).unwrap();
            b.set_parallel(false);
            b.add_layer_from(kind.name(), &feats).unwrap();
            let want = b.into_bytes().unwrap();
            let got = ts.render_on_one_thread(ds, a, &[kind], z, x, y).unwrap();
            assert_eq!(got, want, "{} of {z}/{x}/{y}", kind.name());
            drawn += usize::from(!got.is_empty());
        }
    }
    drawn
}

#[test]
fn conflict_lines_and_cells_drawn_from_world_units_are_the_lon_lat_tiles() {
    let (ds, a) = city();
    let ts = TileSet::build(&ds, &a, TileSetConfig::default()).unwrap();
    assert!(a.protection_conflicts.len() >= 10, "the city has conflicts");
    let lines = a
        .protection_conflicts
        .iter()
        .filter(|c| matches!(c.geometry, Geometry::LineString(_)))
        .count();
    assert!(lines >= 10, "two-point lines ({lines}) among the conflicts");

    let conflicts: Vec<TileFeature<'_>> = a
        .protection_conflicts
        .iter()
        .map(|c| {
            let l = conflict_level(c.shortfall_m, c.required_m);
            TileFeature::borrowed(protection_tile_id(c), &c.geometry)
                .with("level", l.name())
                .with("level_n", n_of(l))
        })
        .collect();
    let kind = LayerKind::ProtectionConflicts;
    let drawn = same_tiles((&ts, &ds, &a), kind, &[14, 15], &conflicts);
    assert!(drawn >= 5, "tiles with conflict lines: {drawn}");

    let polys: Vec<Geometry<f64>> = a
        .grid
        .cells
        .iter()
        .map(|c| Geometry::Polygon(c.geometry.clone()))
        .collect();
    let cells: Vec<TileFeature<'_>> = a
        .grid
        .cells
        .iter()
        .zip(&polys)
        .map(|(c, g)| {
            let mut f = TileFeature::borrowed(grid_tile_id(&c.id), g).with("id", c.id.as_str());
            if let Some(ar) = &c.area {
                f = f.with("area", ar.as_str());
            }
            f.with("level", c.level.name())
                .with("level_n", n_of(c.level))
        })
        .collect();
    let drawn = same_tiles((&ts, &ds, &a), LayerKind::RiskGrid, &[9, 12], &cells);
    assert!(drawn > 3, "tiles with grid cells: {drawn}");
}
