//! The field policy in the tiles: the names it denies, looked up once per layer when the
//! tile set is built, leave the same tiles as asking the policy for every property.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{TILE_LAYERS, TileSet, TileSetConfig};
use crate::analysis::analyze;
use crate::export::FieldPolicy;
use crate::generate::{GenerateOptions, generate, haimen};
use crate::rules::Rules;
use crate::substances::SubstanceTable;
use crate::tiles::tiles_covering;

/// A policy that denies `name` everywhere, `industry` of the enterprises and `status`
/// of the hidden hazards: every tile of every layer over a generated city, z8–z14, is
/// the same with the names looked up once as with the policy asked each time, and no
/// tile holds a denied key where it is denied.
#[test]
fn denied_names_looked_up_once_leave_the_same_tiles() {
    let opts = GenerateOptions {
        seed: 3,
        houses: 2000,
        enterprises: 60,
        hazard_sources: 40,
        pipeline_km: 10.0,
        protection_targets: 200,
        hidden_hazards: 300,
    };
    let ds = generate(&opts, &haimen().expect("boundary")).expect("city");
    let a = analyze(&ds, &SubstanceTable::builtin(), &Rules::default()).unwrap();
    let mut fields = FieldPolicy::default();
    fields.deny.push("name".into());
    fields
        .deny_by_layer
        .entry("enterprises".into())
        .or_default()
        .push("industry".into());
    fields
        .deny_by_layer
        .entry("hidden_hazards".into())
        .or_default()
        .push("status".into());
    let config = TileSetConfig {
        fields,
        ..TileSetConfig::default()
    };
    let once = TileSet::build(&ds, &a, config).expect("tile set");
    let mut asking = once.clone();
    asking.denied.clear();
    let bounds = ds.bounds().expect("bounds");
    let has = |t: &[u8], key: &[u8]| t.windows(key.len()).any(|w| w == key);
    let (mut drawn, mut with_level) = (0, 0);
    // To z14: the first zoom of the houses' footprints and the conflicts' lines.
    for z in 8..=14u8 {
        for t in tiles_covering(bounds, z).expect("range") {
            for kind in TILE_LAYERS {
                let got = once.render(&ds, &a, &[kind], t.z, t.x, t.y).expect("tile");
                let want = asking
                    .render(&ds, &a, &[kind], t.z, t.x, t.y)
                    .expect("tile");
                assert_eq!(got, want, "{} {}/{}/{}", kind.name(), t.z, t.x, t.y);
                assert!(!has(&got, b"\x04name"), "{} holds name", kind.name());
                if kind.name() == "enterprises" {
                    assert!(!has(&got, b"\x08industry"), "industry in {t:?}");
                }
                if kind.name() == "hidden_hazards" {
                    assert!(!has(&got, b"\x06status"), "status in {t:?}");
                }
                drawn += usize::from(!got.is_empty());
                with_level += usize::from(has(&got, b"\x05level"));
            }
        }
    }
    assert!(
        drawn > 100 && with_level > 50,
        "{drawn} tiles, {with_level} with a level"
    );
}
