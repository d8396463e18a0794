//! A feature drawn as it was (`deps::drawn_alike`): a house edited within its footprint
//! boxes no tile of its own unless its level moves, and every tile over it that changes
//! is still named by the update.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use geo::{Centroid, Geometry, Translate};

use super::tests::city;
use super::{AnyFeature, Edit, Live};
use crate::model::{Appraisal, Feature, House, LayerKind, RiskLevel};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

/// A house's tiles draw its footprint and level: an address or occupants edited that
/// leave its level as it was outdate none of its houses tiles; a new appraisal that
/// moves its level, or a move, does.
#[test]
fn a_house_drawn_as_it_was_outdates_no_tile_of_its_own() {
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let own = |a: &super::Applied| {
        a.dirty
            .iter()
            .filter(|(l, _)| matches!(l, LayerKind::Houses | LayerKind::HouseRisk))
            .count()
    };
    // A house whose level the appraisal D moves.
    let p = (0..live.dataset().houses.len())
        .find(|&p| {
            live.dataset().houses.get(p).unwrap().props.appraisal != Some(Appraisal::D)
                && live.analysis().house_risks[p].level == RiskLevel::Low
        })
        .expect("a house of low risk");
    let h = live.dataset().houses.get(p).unwrap().clone();
    let mut f = h.clone();
    f.props.address = "海门街道新址 1 号".into();
    f.props.occupants = Some(h.props.occupants.unwrap_or(0) + 1);
    let a = live
        .apply(&[Edit::Put(Box::new(AnyFeature::House(f.clone())))])
        .unwrap();
    assert_eq!(live.analysis().house_risks[p].level, RiskLevel::Low);
    assert_eq!(own(&a), 0, "{:?}", a.dirty);
    f.props.appraisal = Some(Appraisal::D);
    let a = live
        .apply(&[Edit::Put(Box::new(AnyFeature::House(f.clone())))])
        .unwrap();
    assert_ne!(live.analysis().house_risks[p].level, RiskLevel::Low);
    assert!(own(&a) > 0, "{:?}", a.dirty);
    f.geometry = f.geometry.translate(0.0001, 0.0);
    let a = live
        .apply(&[Edit::Put(Box::new(AnyFeature::House(f)))])
        .unwrap();
    assert!(own(&a) > 0, "{:?}", a.dirty);
}

/// A house edited within its footprint, in the batches where its position or level moves
/// for other reasons: the last house edited while another is deleted (it takes the
/// deleted one's place), deleted and put back under its id, and edited while a graded
/// hazard source is moved onto it. Every layer of every tile over it at zooms 12–16 that
/// changed is named by the update, and drawn as a fresh tile set draws it.
#[test]
fn a_house_edited_in_its_footprint_is_named_wherever_its_tiles_change() {
    use crate::tiles::tiles_covering;
    use crate::tileset::{TileSet, TileSetConfig};
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let build = |l: &Live| {
        TileSet::build(l.dataset(), l.analysis(), TileSetConfig::default()).expect("tile set")
    };
    let mut ts = build(&live);
    let more = |h: &Feature<House>, n: u32| {
        let mut f = h.clone();
        f.props.occupants = Some(h.props.occupants.unwrap_or(0) + n);
        Edit::Put(Box::new(AnyFeature::House(f)))
    };
    let mut level_moved = false;
    for batch in 0..3 {
        let ds = live.dataset();
        let last = ds.houses.get(ds.houses.len() - 1).expect("a house").clone();
        let (house, edits) = match batch {
            0 => {
                let gone = ds.houses.get(5).expect("a house").id.clone();
                let edits = vec![
                    more(&last, 7),
                    Edit::Delete {
                        layer: LayerKind::Houses,
                        id: gone,
                    },
                ];
                (last, edits)
            }
            1 => {
                let edits = vec![
                    Edit::Delete {
                        layer: LayerKind::Houses,
                        id: last.id.clone(),
                    },
                    more(&last, 3),
                ];
                (last, edits)
            }
            _ => {
                // The most severe source put where a house of low risk stands.
                let p = (0..ds.houses.len())
                    .find(|&p| live.analysis().house_risks[p].level == RiskLevel::Low)
                    .expect("a house of low risk");
                let h = ds.houses.get(p).expect("a house").clone();
                let (s, _) = ds
                    .hazard_sources
                    .features()
                    .iter()
                    .zip(&live.analysis().hazard_grades)
                    .filter(|(_, g)| g.grade.is_some())
                    .min_by_key(|(_, g)| g.grade)
                    .expect("a graded source");
                let mut s = s.clone();
                s.geometry = Geometry::Point(h.geometry.centroid().expect("a centroid"));
                let edits = vec![
                    more(&h, 5),
                    Edit::Put(Box::new(AnyFeature::HazardSource(s))),
                ];
                (h, edits)
            }
        };
        let level_of = |l: &Live| {
            let p = (0..l.dataset().houses.len())
                .find(|&p| l.dataset().houses.get(p).is_some_and(|f| f.id == house.id))
                .expect("the house");
            l.analysis().house_risks[p].level
        };
        let old = live.clone();
        let old_ts = build(&old);
        let applied = live.apply(&edits).expect("applied");
        let changes = ts
            .update(live.dataset(), live.analysis(), &applied)
            .expect("updated");
        level_moved |= level_of(&old) != level_of(&live);
        let fresh = build(&live);
        let rect = geo::BoundingRect::bounding_rect(&house.geometry).expect("a box");
        for z in 12..=16 {
            for t in tiles_covering(rect, z).into_iter().flatten() {
                tile_follows(
                    &ts,
                    &changes,
                    (&old_ts, &old),
                    (&fresh, &live),
                    (t.z, t.x, t.y),
                )
                .unwrap_or_else(|e| panic!("batch {batch}: {e}"));
            }
        }
    }
    assert!(level_moved, "no batch moved the house's level");
}

/// Tile `(z, x, y)` after a batch: `ts`, updated by it (`changes`, its answer), draws it
/// as `fresh`, built from nothing on `live`, does; and every layer whose drawing differs
/// from `old_ts` on `old` (the map before the batch) is one the update named. The error
/// says which check failed.
pub(super) fn tile_follows(
    ts: &crate::tileset::TileSet,
    changes: &crate::tileset::TileChanges,
    (old_ts, old): (&crate::tileset::TileSet, &Live),
    (fresh, live): (&crate::tileset::TileSet, &Live),
    (z, x, y): (u8, u32, u32),
) -> Result<(), String> {
    use crate::tileset::{TILE_LAYERS, TileSet};
    let render = |t: &TileSet, l: &Live, layers: &[LayerKind]| {
        t.render(l.dataset(), l.analysis(), layers, z, x, y)
            .map_err(|e| format!("tile {z}/{x}/{y}: {e}"))
    };
    let want = render(fresh, live, &TILE_LAYERS)?;
    if render(ts, live, &TILE_LAYERS)? != want {
        return Err(format!("tile {z}/{x}/{y} differs from a fresh tile set"));
    }
    for layer in TILE_LAYERS {
        if render(old_ts, old, &[layer])? != render(fresh, live, &[layer])?
            && !ts.tile_changed(changes, &[layer], z, x, y)
        {
            return Err(format!(
                "{} changed in tile {z}/{x}/{y} but was not named",
                layer.name()
            ));
        }
    }
    Ok(())
}

/// A batch of sixty moves across the city, its changes indexed: every tile at zooms 10–16
/// over them is named by the index exactly when the list of boxes names it, for each
/// layer and for the viewer's nine together; and a box that only touches a tile's
/// buffered edge, or covers its zoom alone, names it, where one of another zoom or layer
/// does not.
#[test]
fn indexed_changes_name_the_tiles_their_boxes_name() {
    use crate::tiles::{TileId, TileOptions, tiles_covering};
    use crate::tileset::{TILE_LAYERS, TileBox, TileChanges, TileSet, TileSetConfig};
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let mut ts = TileSet::build(live.dataset(), live.analysis(), TileSetConfig::default())
        .expect("tile set");
    let ds = live.dataset();
    let edits: Vec<Edit> = ds
        .houses
        .features()
        .iter()
        .step_by(41)
        .take(60)
        .map(|h| {
            let mut f = h.clone();
            f.geometry = f.geometry.translate(0.0005, 0.0003);
            Edit::Put(Box::new(AnyFeature::House(f)))
        })
        .collect();
    let applied = live.apply(&edits).expect("applied");
    let changes = ts
        .update(live.dataset(), live.analysis(), &applied)
        .expect("updated");
    assert!(changes.boxes.len() >= 64, "{} boxes", changes.boxes.len());
    let ix = changes.indexed();
    // The tiles at zooms 10–16 over and around every third box (at most 25 per box and
    // zoom: the boxes of low zooms' cluster bins are large).
    let mut tiles: Vec<TileId> = Vec::new();
    for b in changes.boxes.iter().step_by(3) {
        let around = geo::Rect::new(
            (b.rect.min().x - 0.003, b.rect.min().y - 0.003),
            (b.rect.max().x + 0.003, b.rect.max().y + 0.003),
        );
        for z in 10..=16 {
            tiles.extend(tiles_covering(around, z).into_iter().flatten().take(25));
        }
    }
    tiles.sort_by_key(|t| (t.z, t.x, t.y));
    tiles.dedup();
    let (mut named, mut not) = (0, 0);
    for z in 10..=16 {
        for t in tiles.iter().filter(|t| t.z == z) {
            let asks = TILE_LAYERS
                .iter()
                .map(std::slice::from_ref)
                .chain([&TILE_LAYERS[..]]);
            for layers in asks {
                let want = ts.tile_changed(&changes, layers, t.z, t.x, t.y);
                assert_eq!(
                    ts.tile_changed_in(&ix, layers, t.z, t.x, t.y),
                    want,
                    "{}/{}/{} {layers:?}",
                    t.z,
                    t.x,
                    t.y
                );
                if want { named += 1 } else { not += 1 }
            }
        }
    }
    assert!(named > 0 && not > 0, "named {named}, not {not}");

    // Boxes made by hand around tile 14/13700/6650: the changes of a batch far away,
    // and one box that starts where the tile's buffered box ends.
    let (z, x, y) = (14, 13700, 6650);
    let edge = TileId::new(z, x, y)
        .expect("a tile")
        .buffered_bounds_lonlat(&TileOptions::default());
    let far = |i: usize| TileBox {
        layer: LayerKind::Houses,
        zooms: 0..=16,
        rect: geo::Rect::new(
            (10.0 + i as f64 * 0.01, 10.0),
            (10.005 + i as f64 * 0.01, 10.005),
        ),
    };
    let touching = |layer, zooms| TileBox {
        layer,
        zooms,
        rect: geo::Rect::new(
            (edge.max().x, edge.min().y),
            (edge.max().x + 0.01, edge.max().y),
        ),
    };
    let ask = |b: TileBox| {
        let changes = TileChanges {
            everything: false,
            boxes: (0..80).map(far).chain([b]).collect(),
        };
        let ix = changes.indexed();
        let by_list = ts.tile_changed(&changes, &[LayerKind::Houses], z, x, y);
        assert_eq!(
            ts.tile_changed_in(&ix, &[LayerKind::Houses], z, x, y),
            by_list
        );
        by_list
    };
    assert!(ask(touching(LayerKind::Houses, 0..=16)));
    assert!(ask(touching(LayerKind::Houses, 14..=14)));
    assert!(!ask(touching(LayerKind::Houses, 15..=16)));
    assert!(!ask(touching(LayerKind::ProtectionConflicts, 0..=16)));
    let mut beyond = touching(LayerKind::Houses, 0..=16);
    beyond.rect = geo::Rect::new(
        (edge.max().x + 1e-9, edge.min().y),
        (edge.max().x + 0.01, edge.max().y),
    );
    assert!(!ask(beyond));
}
