//! `riskmap tiles`: the whole pyramid of the risk map in one archive (PMTiles or MBTiles),
//! for static, offline and published serving — the server's own tiles, every zoom.

use std::path::{Path, PathBuf};

use riskmap_core::archive::{self, ArchiveFormat, ArchiveOptions};
use riskmap_core::model::LayerKind;
use riskmap_core::project::Project;
use riskmap_core::tileset::{TILE_LAYERS, TileSet, TileSetConfig, tile_layer};

use super::{CliError, prepare};
use crate::args::TilesArgs;
use crate::progress::Ui;
use crate::server::config::ServerConfig;
use crate::server::state::field_policy;

/// `riskmap tiles`.
pub fn tiles(ui: &Ui, args: &TilesArgs) -> Result<(), CliError> {
    ArchiveFormat::of_path(&args.out).map_err(|e| CliError::Usage(e.to_string()))?;
    super::out_file(&args.out, "a tile archive", &["pmtiles", "mbtiles"])?;
    let layers = layers_of(&args.layers)?;
    check_zooms(args.minzoom, args.maxzoom)?;
    let config = server_config(ui, args.config.as_deref())?;
    let mut p = prepare(ui, &args.load)?;
    let extra = archive_extras(&p);
    // The analyses needed every layer; the archives need only what they draw.
    archive::release_undrawn(&mut p.dataset, &mut p.analysis, &layers);
    let tileset = published_tile_set(ui, &config, &p, &layers)?;
    let jobs: Vec<(PathBuf, Vec<LayerKind>)> = if args.per_layer {
        layers
            .iter()
            .map(|k| (per_layer_path(&args.out, *k), vec![*k]))
            .collect()
    } else {
        vec![(args.out.clone(), layers)]
    };
    for (out, layers) in jobs {
        let mut opts = ArchiveOptions::new(layers);
        opts.minzoom = args.minzoom;
        opts.maxzoom = args.maxzoom;
        opts.extra = extra.clone();
        write_one(ui, &p, &tileset, &opts, &out)?;
    }
    Ok(())
}

/// The server configuration of `--config` (its defaults without one), read before any
/// loading so that a bad file costs nothing.
pub(super) fn server_config(ui: &Ui, path: Option<&Path>) -> Result<ServerConfig, CliError> {
    Ok(match path {
        Some(path) => {
            let (c, warnings) = ServerConfig::from_file(path)?;
            for w in warnings {
                ui.say(&format!("warning: {w}"));
            }
            c
        }
        None => ServerConfig::default(),
    })
}

/// Writes one archive with a step line saying what it holds.
pub(super) fn write_one(
    ui: &Ui,
    p: &Project,
    tileset: &TileSet,
    opts: &ArchiveOptions,
    out: &Path,
) -> Result<archive::ArchiveSummary, CliError> {
    let step = ui.step(&format!("writing {}", out.display()));
    let handle = step.handle();
    let s = archive::write_archive(
        &p.dataset,
        &p.analysis,
        tileset,
        opts,
        out,
        &|z, done, of| handle.set(format!("writing {}: z{z} {done}/{of}", out.display())),
    )?;
    let largest = s
        .largest
        .map(|(z, x, y, n)| format!(", largest {z}/{x}/{y} {} KB", n.div_ceil(1024)))
        .unwrap_or_default();
    step.done(&format!(
        "{} tiles ({} distinct) of z{}–z{}, {:.1} MB{largest}",
        s.tiles,
        s.distinct,
        opts.minzoom,
        opts.maxzoom,
        s.file_bytes as f64 / 1e6
    ));
    Ok(s)
}

/// The tile set of a published map: the fields that may leave the office are the
/// server's (its configuration's field policy), as its tiles would carry them. Each
/// house is drawn in one tile per zoom, so its footprint is projected where it is drawn
/// rather than kept projected (the same tiles, about 70 bytes a house less at the peak).
/// Only the `layers` the archives draw are prepared.
pub(super) fn published_tile_set(
    ui: &Ui,
    config: &ServerConfig,
    p: &Project,
    layers: &[LayerKind],
) -> Result<TileSet, CliError> {
    let step = ui.step("preparing the tile set");
    let tcfg = TileSetConfig {
        fields: field_policy(config),
        world_footprints: false,
        layers: Some(layers.to_vec()),
        ..TileSetConfig::default()
    };
    let tileset = TileSet::build(&p.dataset, &p.analysis, tcfg)?;
    step.done("clusters and indexes");
    Ok(tileset)
}

/// The metadata an archive carries beyond TileJSON's: the day its map is drawn as of and
/// when it was made.
pub(super) fn archive_extras(p: &Project) -> serde_json::Map<String, serde_json::Value> {
    let mut extra = serde_json::Map::new();
    if let Some(d) = p.analysis.as_of {
        // The day the hidden hazards and the enterprises' levels are drawn as of.
        extra.insert("riskmap:as_of".into(), d.to_string().into());
    }
    extra.insert(
        "riskmap:generated".into(),
        super::output::now_rfc3339().into(),
    );
    // What the labels can show, so that a bundle made from the archive alone carries the
    // glyphs its names need.
    extra.insert(
        "riskmap:label_chars".into(),
        crate::glyphs::label_chars(&p.dataset).into(),
    );
    extra
}

/// Checks a zoom range of the command line.
pub(super) fn check_zooms(minzoom: u8, maxzoom: u8) -> Result<(), CliError> {
    if minzoom > maxzoom || maxzoom > riskmap_core::tileset::MAX_ZOOM {
        return Err(CliError::Usage(format!(
            "--minzoom {minzoom} --maxzoom {maxzoom}: the range must be ascending and end at {} at most",
            riskmap_core::tileset::MAX_ZOOM
        )));
    }
    Ok(())
}

/// The layers asked for (every tile layer by default), in drawing order.
fn layers_of(names: &[String]) -> Result<Vec<LayerKind>, CliError> {
    if names.is_empty() {
        return Ok(TILE_LAYERS.to_vec());
    }
    let mut out = Vec::new();
    for n in names {
        let k = tile_layer(n.trim()).ok_or_else(|| {
            CliError::Usage(format!(
                "--layers: '{n}' is not a tile layer (tile layers: {})",
                TILE_LAYERS.map(LayerKind::name).join(", ")
            ))
        })?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out.sort_by_key(|k| TILE_LAYERS.iter().position(|t| t == k));
    Ok(out)
}

/// `map.pmtiles` → `map-houses.pmtiles`.
fn per_layer_path(out: &Path, k: LayerKind) -> PathBuf {
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let ext = out.extension().unwrap_or_default().to_string_lossy();
    out.with_file_name(format!("{stem}-{}.{ext}", k.name()))
}
