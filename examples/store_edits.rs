//! One-edit batches written into a GeoPackage store, as a server's edit queue writes
//! them: each through a connection opened for it (`gpkg::apply_changes_by`) or through
//! one kept open (`gpkg::Editor`), taking turns on the same file, so that both meet the
//! same machine and the same file. The store half of an edit's latency.
//!
//! ```sh
//! cargo run --release -p riskmap-core --example store_edits -- STORE.gpkg [EDITS]
//! ```
//!
//! STORE.gpkg is edited (houses moved by about 50 m): give it a copy. Prints one JSON
//! object with the p50, p99 and max of each way, milliseconds.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use geo::Translate;
use riskmap_core::io::LoadOptions;
use riskmap_core::live::{AnyFeature, Change};
use riskmap_core::model::LayerKind;
use riskmap_core::store::gpkg;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(store) = args.first() else {
        return Err("usage: store_edits STORE.gpkg [EDITS]".into());
    };
    let edits: usize = args.get(1).map_or(Ok(400), |n| n.parse())?;
    let path = Path::new(store);
    let loaded = gpkg::load(path, &LoadOptions::default())?;
    let houses = &loaded.dataset.houses;
    if houses.is_empty() {
        return Err("the store has no houses".into());
    }
    let stride = (houses.len() / edits.max(1)).max(1);
    let mut editor = gpkg::Editor::new(path);
    let (mut opened, mut kept) = (Vec::new(), Vec::new());
    for (i, pos) in (0..houses.len()).step_by(stride).take(edits).enumerate() {
        let Some(before) = houses.features().get(pos) else {
            break;
        };
        let mut after = before.clone();
        // About 50 m east.
        after.geometry.translate_mut(0.0005, 0.0);
        let change = Change {
            layer: LayerKind::Houses,
            id: before.id.clone(),
            before: Some(AnyFeature::House(before.clone())),
            after: Some(AnyFeature::House(after)),
        };
        let t = Instant::now();
        if i % 2 == 0 {
            gpkg::apply_changes_by(path, std::slice::from_ref(&change), &["bench"])?;
            opened.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            editor.apply_by(std::slice::from_ref(&change), &["bench"])?;
            kept.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let row = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
        serde_json::json!({
            "edits": v.len(),
            "p50": at(0.5),
            "p99": at(0.99),
            "max": at(1.0),
        })
    };
    println!(
        "{}",
        serde_json::json!({
            "houses": houses.len(),
            "opened_per_batch_ms": row(opened),
            "kept_open_ms": row(kept),
        })
    );
    Ok(())
}
