//! What does not depend on the order features come in, and the room kept in the lists
//! batches grow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::Live;
use super::tests::city;
use crate::analysis::{Analysis, analyze};
use crate::dataset::Layer;
use crate::generate::{GenerateOptions, generate, haimen};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

/// An area's ten worst risks are the same whatever order the features come in (ties go
/// by the id's hash): the generated city against the same city with every point layer
/// and the houses reversed.
#[test]
fn area_summaries_do_not_depend_on_the_order_of_the_features() {
    fn reversed<P: Clone>(l: &Layer<P>) -> Layer<P> {
        Layer::new(l.kind(), l.features().iter().rev().cloned().collect())
    }
    let ds = city();
    let mut other = ds.clone();
    other.enterprises = reversed(&ds.enterprises);
    other.hazard_sources = reversed(&ds.hazard_sources);
    other.houses = reversed(&ds.houses);
    other.protection_targets = reversed(&ds.protection_targets);
    let (rules, substances) = (Rules::default(), SubstanceTable::builtin());
    let a = analyze(&ds, &substances, &rules).unwrap().area_summaries;
    let b = analyze(&other, &substances, &rules).unwrap().area_summaries;
    assert!(
        a.iter().any(|s| s.top_risks.len() == 10),
        "lists to compare"
    );
    assert_eq!(a, b);
}

/// The lists batches grow have room, in the map and in a copy made its own: the first
/// batch that finds a new conflict, or adds a house, does not copy the whole list.
#[test]
fn the_lists_batches_grow_keep_room_in_the_map_and_in_its_copy() {
    let opts = GenerateOptions {
        seed: 11,
        houses: 6000,
        enterprises: 40,
        hazard_sources: 12,
        pipeline_km: 120.0,
        protection_targets: 30,
        hidden_hazards: 0,
    };
    let ds = generate(&opts, &haimen().expect("boundary")).expect("city");
    let mut live = Live::new(ds, SubstanceTable::builtin(), Rules::default()).unwrap();
    live.keep_room();
    let lens = |a: &Analysis| {
        [
            (
                a.protection_conflicts.len(),
                a.protection_conflicts.capacity(),
            ),
            (a.pipeline_conflicts.len(), a.pipeline_conflicts.capacity()),
            (a.grid.cells.len(), a.grid.cells.capacity()),
            (a.house_risks.len(), a.house_risks.capacity()),
        ]
    };
    for (len, cap) in lens(live.analysis()) {
        // Long enough for 1/16 to be a room of some items.
        assert!(len >= 32, "{len} items");
        assert!(cap - len >= len / 32, "{len} items, capacity {cap}");
    }
    // A copy has the room as it is made, before `unshare` tops anything up: its lists
    // are not copied at their length and then again into room.
    let mut copy = live.clone();
    let kept = |l: &Live| {
        [
            (l.house_slots.len(), l.house_slots.capacity()),
            (l.houses_at.anchors.len(), l.houses_at.anchors.capacity()),
            (l.houses_at.cells.len(), l.houses_at.cells.capacity()),
        ]
    };
    for (len, cap) in lens(copy.analysis()).into_iter().chain(kept(&copy)) {
        assert!(len >= 32, "{len} items");
        assert!(cap - len >= len / 16, "copy: {len} items, capacity {cap}");
    }
    copy.unshare();
    for (len, cap) in lens(copy.analysis()).into_iter().chain(kept(&copy)) {
        assert!(cap - len >= len / 32, "copy: {len} items, capacity {cap}");
    }
    // The map's own points and cells were made with their room.
    for (len, cap) in kept(&live) {
        assert!(cap - len >= len / 32, "map: {len} items, capacity {cap}");
    }
}
