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
    let config = server_config(ui, args.config.as_deref())?;
    let run = RunRecord::start("bundle");
    let dest = Destination::check(&args.out)?;
    let p = prepare(ui, &args.load)?;
    let tileset = published_tile_set(ui, &config, &p)?;
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
        glyphs: label_glyphs(ui, &config, &p.dataset)?,
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

/// The glyphs of every character the map's labels can show (the names of towns,
/// enterprises, hazard sources, protection targets and pipes, and the digits of cluster
/// counts), or none with a warning on a machine without a CJK font.
fn label_glyphs(
    ui: &Ui,
    config: &crate::server::config::ServerConfig,
    ds: &riskmap_core::dataset::Dataset,
) -> Result<Glyphs, CliError> {
    let font = match glyphs::shared(config.font.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            ui.say(&format!("warning: the bundle's map has no labels: {e}"));
            return Ok(Glyphs::None);
        }
    };
    let mut text = String::from("0123456789 ");
    let names = ds.areas.features().iter().map(|f| f.props.name.as_str());
    let names = names
        .chain(
            ds.enterprises
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.hazard_sources
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.protection_targets
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.gas_pipelines
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        );
    for n in names {
        text.push_str(n);
    }
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    let ranges = font.subset(glyphs::STYLE_FONTSTACK, chars).map_err(|e| {
        CliError::Usage(format!("label glyphs from {}: {e}", font.path().display()))
    })?;
    Ok(Glyphs::Embedded(ranges))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    std::fs::write(path, bytes).map_err(write_err(path))
}
