//! `riskmap bundle`: a folder that shows the risk map from any static web server or file
//! share, with nothing behind it — the viewer, the style, the map as one PMTiles archive,
//! MapLibre and the PMTiles reader. A town's office copies one folder.

use std::path::Path;

use riskmap_core::archive::ArchiveOptions;
use riskmap_core::tileset::TILE_LAYERS;

use super::output::{Destination, RunRecord};
use super::tiles::{archive_extras, check_zooms, published_tile_set, server_config, write_one};
use super::{CliError, prepare, write_err};
use crate::args::BundleArgs;
use crate::glyphs;
use crate::progress::Ui;
use crate::server::offline::{self, Glyphs, ViewerFacts};

/// The archive's name in the folder.
pub const ARCHIVE: &str = "map.pmtiles";

/// `riskmap bundle`.
pub fn bundle(ui: &Ui, args: &BundleArgs) -> Result<(), CliError> {
    check_zooms(args.minzoom, args.maxzoom)?;
    if let Some(a) = args
        .load
        .data_dir
        .as_deref()
        .filter(|p| riskmap_core::archive::ArchiveFormat::of_path(p).is_ok())
    {
        return bundle_archive(ui, args, a);
    }
    let config = server_config(ui, args.config.as_deref())?;
    let run = RunRecord::start("bundle");
    let dest = Destination::check(&args.out)?;
    let p = prepare(ui, &args.load)?;
    let tileset = published_tile_set(ui, &config, &p, &TILE_LAYERS)?;
    let staging = dest.stage()?;
    let dir = staging.dir();
    let mut opts = ArchiveOptions::new(TILE_LAYERS.to_vec());
    opts.minzoom = args.minzoom;
    opts.maxzoom = args.maxzoom;
    opts.extra = archive_extras(&p);
    write_one(ui, &p, &tileset, &opts, &dir.join(ARCHIVE))?;
    for (name, bytes) in offline::FILES {
        write_file(&dir.join(name), bytes)?;
    }
    let facts = ViewerFacts {
        title: args.title.clone(),
        layers: opts.layers.clone(),
        bounds: p
            .dataset
            .bounds()
            .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
        as_of: opts
            .extra
            .get("riskmap:as_of")
            .and_then(|v| v.as_str())
            .map(String::from),
        generated: opts
            .extra
            .get("riskmap:generated")
            .and_then(|v| v.as_str())
            .map(String::from),
        zooms: (opts.minzoom, opts.maxzoom),
        tilejson: None,
        glyphs: label_glyphs(ui, &config, &glyphs::label_chars(&p.dataset))?,
    };
    let js = offline::viewer_data_js(&facts);
    write_file(&dir.join("map-data.js"), js.as_bytes())?;
    run.write_loaded(&staging, &args.load, &p)?;
    staging.commit()?;
    ui.say(&format!(
        "written to {} (open index.html from a web server, or from the folder and pick {ARCHIVE})",
        args.out.display()
    ));
    Ok(())
}

/// The glyphs of every character the map's labels can show (see
/// [`glyphs::label_chars`]), or none with a warning on a machine without a CJK font.
fn label_glyphs(
    ui: &Ui,
    config: &crate::server::config::ServerConfig,
    chars: &str,
) -> Result<Glyphs, CliError> {
    let font = match glyphs::shared(config.font.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            ui.say(&format!("warning: the bundle's map has no labels: {e}"));
            return Ok(Glyphs::None);
        }
    };
    let ranges = font
        .subset(glyphs::STYLE_FONTSTACK, chars.chars())
        .map_err(|e| {
            CliError::Usage(format!("label glyphs from {}: {e}", font.path().display()))
        })?;
    Ok(Glyphs::Embedded(ranges))
}

/// `riskmap bundle map.pmtiles`: the folder around an archive `riskmap tiles` wrote,
/// nothing loaded or rendered again; its facts and the characters of its labels come from
/// the archive's metadata.
fn bundle_archive(ui: &Ui, args: &BundleArgs, archive: &Path) -> Result<(), CliError> {
    if riskmap_core::archive::ArchiveFormat::of_path(archive).ok()
        != Some(riskmap_core::archive::ArchiveFormat::PmTiles)
    {
        return Err(CliError::Usage(format!(
            "{}: a bundle's viewer reads PMTiles; make one with `riskmap tiles DATA --out map.pmtiles`, or bundle the data",
            archive.display()
        )));
    }
    if args.minzoom != 0 || args.maxzoom != 16 {
        ui.say("warning: --minzoom and --maxzoom apply to bundles made from data; an archive is bundled with its own zooms");
    }
    let config = server_config(ui, args.config.as_deref())?;
    let dest = Destination::check(&args.out)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(write_err(archive))?;
    let opened = runtime
        .block_on(crate::server::archive::Archive::open(
            archive,
            config.clone(),
        ))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let staging = dest.stage()?;
    let dir = staging.dir();
    std::fs::copy(archive, dir.join(ARCHIVE)).map_err(write_err(archive))?;
    for (name, bytes) in offline::FILES {
        write_file(&dir.join(name), bytes)?;
    }
    let chars = opened.label_chars();
    let glyphs = match chars {
        Some(c) => label_glyphs(ui, &config, &c)?,
        None => {
            ui.say("warning: the archive does not say which characters its labels use (written by an older riskmap): the bundle's map has no labels");
            Glyphs::None
        }
    };
    let mut facts = opened.facts();
    facts.title = args.title.clone();
    facts.tilejson = None;
    facts.glyphs = glyphs;
    write_file(
        &dir.join("map-data.js"),
        offline::viewer_data_js(&facts).as_bytes(),
    )?;
    staging.commit()?;
    ui.say(&format!(
        "written to {} (open index.html from a web server, or from the folder and pick {ARCHIVE})",
        args.out.display()
    ));
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    std::fs::write(path, bytes).map_err(write_err(path))
}
