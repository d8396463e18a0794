//! Edits applied to a loaded city one batch at a time, in process: how long until the
//! changed tile can be served (the batch applied to the analysis and the tile set, then
//! the tile over the edit drawn and gzipped at the server's default level), beside a
//! full re-analysis of the same data measured in the same run. The in-process half of
//! the living map's latency; the HTTP half adds the request.
//!
//! ```sh
//! cargo run --release -p riskmap-core --example live_edits -- DATA_DIR [EDITS [SEED [BATCH [MIX]]]]
//! ```
//!
//! With BATCH > 1 the edits are applied BATCH at a time (as a server groups concurrent
//! edits): the times are then per batch, the tile the one over the batch's first edit.
//!
//! Edits alternate: a house moved by 10–300 m (across thresholds near hazard sources and
//! pipes as it happens), a house's occupants changed, a hazard source's inventory scaled
//! by 0.5–3 (re-graded, its conflicts and its enterprise's level follow). MIX `houses`
//! leaves the hazard sources out: moves and occupants only, as the load test sends; MIX
//! `sources` sends inventories only. Prints one JSON object; with `LIVE_EDITS_BY_LAYER`
//! set, also each layer of the edit's tile drawn and gzipped alone. With
//! `LIVE_EDITS_STRIDE=997` the houses edited are every 997th of the city in order (those
//! `scripts/bench/edit-tile.sh` moves, the houses file read in its order) rather than
//! drawn at random; with MIX `houses` each is moved, then its occupants changed.

use std::error::Error;
use std::time::Instant;

use geo::{BoundingRect, Translate};
use riskmap_core::analysis::analyze;
use riskmap_core::io::LoadOptions;
use riskmap_core::live::{AnyFeature, Edit, Live};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::substances::SubstanceTable;
use riskmap_core::tiles::{SERVED_GZIP_LEVEL, gzip_with_level, tiles_covering};
use riskmap_core::tileset::{TILE_LAYERS, TileSet, TileSetConfig};

/// A small deterministic stream (SplitMix64), so the example needs no random crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(data) = args.first() else {
        return Err("usage: live_edits DATA_DIR [EDITS [SEED [BATCH [MIX]]]]".into());
    };
    let n: usize = args.get(1).map_or(Ok(300), |s| s.parse())?;
    let mut rng = Rng(args.get(2).map_or(Ok(7), |s| s.parse())?);
    let batch: usize = args.get(3).map_or(Ok(1), |s| s.parse())?.max(1);
    let (mix, mix_kinds): (&str, &[usize]) = match args.get(4).map(String::as_str) {
        None | Some("all") => ("all", &[0, 1, 2]),
        Some("houses") => ("houses", &[0, 1]),
        Some("sources") => ("sources", &[2]),
        Some(other) => {
            return Err(format!("MIX is `all`, `houses` or `sources`, not `{other}`").into());
        }
    };

    let t0 = Instant::now();
    let p = Project::open(
        std::path::Path::new(data),
        &LoadOptions::default(),
        &Rules::default(),
    )?;
    let load_s = t0.elapsed().as_secs_f64();
    let t = Instant::now();
    let full = analyze(&p.dataset, &SubstanceTable::builtin(), &Rules::default())?;
    let full_ms = t.elapsed().as_secs_f64() * 1000.0;
    drop(full);
    let mut tiles = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default())?;
    let mut live = Live::from_parts(p.dataset, p.analysis, SubstanceTable::builtin(), p.rules);
    // Room for what the batches add, as the server keeps it: without it the first
    // batch that adds a conflict copies the list of 10⁵ into a larger place.
    live.keep_room();
    eprintln!("loaded in {load_s:.1} s; a full analysis takes {full_ms:.0} ms");

    let (mut apply_ms, mut update_ms, mut tile_ms, mut total_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut kinds = [0usize; 3];
    // Each layer of the edit's tile alone, drawn and gzipped again after the composite.
    let mut tile_kib: Vec<(f64, f64)> = Vec::new();
    let by_layer = std::env::var_os("LIVE_EDITS_BY_LAYER").is_some();
    let stride: Option<usize> = std::env::var("LIVE_EDITS_STRIDE")
        .ok()
        .map(|v| v.parse())
        .transpose()?;
    let mut layer_ms: Vec<Vec<f64>> = vec![Vec::new(); TILE_LAYERS.len()];
    let mut per_kind: [Vec<f64>; 3] = Default::default();
    let mut pending: Vec<(usize, AnyFeature)> = Vec::new();
    // What the batches recomputed, summed.
    let mut recomputed = std::collections::BTreeMap::<String, u64>::new();
    for i in 0..n {
        let ds = live.dataset();
        let kind = mix_kinds[i % mix_kinds.len()];
        let edit = match kind {
            0 | 1 => {
                let pos = match stride {
                    // The houses `edit-tile.sh` edits: every STRIDE-th, in order.
                    Some(k) => (i / mix_kinds.len()).wrapping_mul(k) % ds.houses.len().max(1),
                    None => (rng.next() % ds.houses.len() as u64) as usize,
                };
                let mut f = ds.houses.get(pos).ok_or("no house")?.clone();
                if kind == 0 {
                    let d = 10.0 + rng.unit() * 290.0;
                    let a = rng.unit() * std::f64::consts::TAU;
                    f.geometry = f
                        .geometry
                        .translate(d * a.sin() / 94_500.0, d * a.cos() / 110_900.0);
                } else {
                    f.props.occupants = Some((rng.unit() * 60.0) as u32);
                }
                AnyFeature::House(f)
            }
            _ => {
                let pos = (rng.next() % ds.hazard_sources.len().max(1) as u64) as usize;
                let mut f = ds
                    .hazard_sources
                    .get(pos)
                    .ok_or("no hazard source")?
                    .clone();
                let k = 0.5 + rng.unit() * 2.5;
                for it in &mut f.props.inventory {
                    it.tonnes *= k;
                }
                AnyFeature::HazardSource(f)
            }
        };
        kinds[kind] += 1;
        pending.push((kind, edit));
        if pending.len() < batch && i + 1 < n {
            continue;
        }
        let (kind, first) = &pending[0];
        let kind = *kind;
        let at = first.geometry().bounding_rect().ok_or("empty geometry")?;
        let edits: Vec<Edit> = pending
            .drain(..)
            .map(|(_, f)| Edit::Put(Box::new(f)))
            .collect();
        let t = Instant::now();
        let applied = live.apply(&edits)?;
        let a = t.elapsed().as_secs_f64() * 1000.0;
        if let serde_json::Value::Object(m) = serde_json::to_value(applied.recomputed)? {
            for (k, v) in m {
                *recomputed.entry(k).or_default() += v.as_u64().unwrap_or(0);
            }
        }
        let t = Instant::now();
        tiles.update(live.dataset(), live.analysis(), &applied)?;
        let u = t.elapsed().as_secs_f64() * 1000.0;
        let z = if matches!(kind, 0 | 1) { 16 } else { 13 };
        let tile = tiles_covering(at, z)?.next().ok_or("no tile")?;
        let t = Instant::now();
        let raw = tiles.render(
            live.dataset(),
            live.analysis(),
            &TILE_LAYERS,
            tile.z,
            tile.x,
            tile.y,
        )?;
        let gz = gzip_with_level(&raw, SERVED_GZIP_LEVEL)?;
        let r = t.elapsed().as_secs_f64() * 1000.0;
        tile_kib.push((raw.len() as f64 / 1024.0, gz.len() as f64 / 1024.0));
        if by_layer {
            for (i, k) in TILE_LAYERS.iter().enumerate() {
                let t = Instant::now();
                let raw = tiles.render(
                    live.dataset(),
                    live.analysis(),
                    std::slice::from_ref(k),
                    tile.z,
                    tile.x,
                    tile.y,
                )?;
                let _gz = gzip_with_level(&raw, SERVED_GZIP_LEVEL)?;
                layer_ms[i].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        apply_ms.push(a);
        update_ms.push(u);
        tile_ms.push(r);
        total_ms.push(a + u + r);
        per_kind[kind].push(a + u + r);
    }
    let [mut k0, mut k1, mut k2] = per_kind;
    for v in [
        &mut apply_ms,
        &mut update_ms,
        &mut tile_ms,
        &mut total_ms,
        &mut k0,
        &mut k1,
        &mut k2,
    ] {
        v.sort_by(f64::total_cmp);
    }
    for v in &mut layer_ms {
        v.sort_by(f64::total_cmp);
    }
    let row = |v: &[f64]| serde_json::json!({"p50": pct(v, 0.5), "p99": pct(v, 0.99), "max": pct(v, 1.0)});
    let out = serde_json::json!({
        "data": data,
        "houses": live.dataset().houses.len(),
        "edits": n,
        "batch": batch,
        "mix": mix,
        "by_kind": {"house_moved": kinds[0], "house_occupants": kinds[1], "inventory_scaled": kinds[2]},
        "edit_to_tile_ms_by_kind": {"house_moved": row(&k0), "house_occupants": row(&k1), "inventory_scaled": row(&k2)},
        "protection_conflicts": live.analysis().protection_conflicts.len(),
        "pipeline_conflicts": live.analysis().pipeline_conflicts.len(),
        "grid_cells": live.analysis().grid.cells.len(),
        "full_analysis_ms": full_ms,
        "apply_ms": row(&apply_ms),
        "recomputed_per_batch": recomputed
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(*v as f64 / apply_ms.len().max(1) as f64)))
            .collect::<serde_json::Map<_, _>>(),
        "tileset_update_ms": row(&update_ms),
        "tile_render_gzip_ms": row(&tile_ms),
        "tile_kib_mean": {
            "raw": tile_kib.iter().map(|t| t.0).sum::<f64>() / tile_kib.len().max(1) as f64,
            "gzip": tile_kib.iter().map(|t| t.1).sum::<f64>() / tile_kib.len().max(1) as f64,
        },
        "edit_to_tile_ms": row(&total_ms),
        "full_over_p99": full_ms / pct(&total_ms, 0.99),
        "layers": TILE_LAYERS.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "tile_by_layer_ms": TILE_LAYERS
            .iter()
            .zip(&layer_ms)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.name().to_string(), row(v)))
            .collect::<serde_json::Map<_, _>>(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    // The process ends here: freeing a million features one by one would only delay it.
    std::mem::forget(live);
    std::mem::forget(tiles);
    Ok(())
}
