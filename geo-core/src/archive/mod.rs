//! Tile archives: the whole pyramid of the risk map in one file, for static and offline
//! serving — [PMTiles v3] (one file any static web server or file share serves with
//! range requests) and [MBTiles 1.3] (SQLite; GDAL, QGIS and most tile servers read it).
//!
//! The tiles are the server's own: the same [`TileSet`], generalization, byte budget and
//! layers, rendered with [`TileSet::render_on_one_thread`] on all cores and gzipped as
//! the server sends them. Every tile of the chosen zooms that meets the data (its box
//! grown by one tile, so that the buffers of the tiles around it are there too) is
//! rendered; empty ones are left out, as the server answers them with 204.
//!
//! Tiles go into the archive in the order of their PMTiles tile id (zoom by zoom, each
//! zoom along its Hilbert curve), so a PMTiles archive is *clustered* and tiles near each
//! other on the map lie near each other in the file. A chunk of tiles is rendered in
//! parallel while nothing else is held: memory stays that of the tile set plus one chunk,
//! whatever the size of the archive. Identical tiles are stored once (both formats).
//!
//! The archive is written to a temporary file beside `out` and renamed over it at the
//! end: a failed run leaves the previous archive as it was.
//!
//! | file | what |
//! |---|---|
//! | `pmtiles` | the PMTiles sink (the `pmtiles` crate's writer) |
//! | `mbtiles` | the MBTiles sink (SQLite, with the deduplicating map/images schema) |
//! | this file | options, the ordered parallel pipeline, the metadata, the summary |
//!
//! [PMTiles v3]: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md
//! [MBTiles 1.3]: https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md

mod mbtiles;
mod pmtiles;

use std::path::{Path, PathBuf};

use geo::Rect;
use rayon::prelude::*;

use crate::analysis::Analysis;
use crate::dataset::{Dataset, union_rect};
use crate::model::LayerKind;
use crate::tiles::{TileId, gzip, tiles_covering};
use crate::tileset::{MAX_ZOOM, TileSet, TileSetError, vector_layers};

/// Tiles rendered side by side before they are written in order.
const CHUNK: usize = 512;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The file name says neither `.pmtiles` nor `.mbtiles`.
    #[error("{0}: a tile archive ends in .pmtiles or .mbtiles")]
    UnknownFormat(PathBuf),
    /// The zoom range is empty or past the deepest zoom.
    #[error("zooms {min}–{max}: the range must be ascending and end at {MAX_ZOOM} at most")]
    Zooms {
        /// Lowest zoom asked for.
        min: u8,
        /// Highest zoom asked for.
        max: u8,
    },
    /// No layer was asked for.
    #[error("no layer to write")]
    NoLayers,
    /// The data has no features, so no place to cut tiles of.
    #[error("the data holds no features: there is nothing to cut into tiles")]
    NoData,
    /// A tile could not be rendered.
    #[error("tile {z}/{x}/{y}: {source}")]
    Tile {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// Cause.
        #[source]
        source: TileSetError,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The PMTiles writer failed.
    #[error("{path}: {source}")]
    PmTiles {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: ::pmtiles::PmtError,
    },
    /// SQLite failed writing the MBTiles file.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
}

/// The two archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// PMTiles v3, clustered, gzipped tiles.
    PmTiles,
    /// MBTiles 1.3, gzipped `pbf` tiles.
    MbTiles,
}

impl ArchiveFormat {
    /// The format a file name asks for (`.pmtiles`, `.mbtiles`; any case).
    pub fn of_path(path: &Path) -> Result<ArchiveFormat, ArchiveError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pmtiles") => Ok(ArchiveFormat::PmTiles),
            Some("mbtiles") => Ok(ArchiveFormat::MbTiles),
            _ => Err(ArchiveError::UnknownFormat(path.to_path_buf())),
        }
    }
}

/// What goes into an archive.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// Lowest zoom written.
    pub minzoom: u8,
    /// Highest zoom written; a viewer zooms past it by overzooming the last tiles.
    pub maxzoom: u8,
    /// The layers of every tile (one archive of several layers is a composite, as the
    /// server's `/tiles/a,b/{z}/{x}/{y}.mvt`).
    pub layers: Vec<LayerKind>,
    /// The archive's name in its metadata.
    pub name: String,
    /// More metadata, kept beside the standard keys (for example the day the map is
    /// drawn as of and the data's version).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ArchiveOptions {
    /// Zooms `0..=16` of `layers`.
    pub fn new(layers: Vec<LayerKind>) -> ArchiveOptions {
        ArchiveOptions {
            minzoom: 0,
            maxzoom: 16,
            layers,
            name: "RiskMap 安全风险分布图".to_string(),
            extra: serde_json::Map::new(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ArchiveSummary {
    /// Tiles rendered (every tile meeting the data at each zoom).
    pub rendered: u64,
    /// Tiles with something in them: the tiles the archive addresses.
    pub tiles: u64,
    /// Distinct tile contents stored.
    pub distinct: u64,
    /// Bytes of the gzipped tiles addressed (duplicates counted each time).
    pub tile_bytes: u64,
    /// The largest tile, gzipped: `(z, x, y, bytes)`.
    pub largest: Option<(u8, u32, u32, usize)>,
    /// Tiles addressed per zoom, from `minzoom`.
    pub per_zoom: Vec<(u8, u64)>,
    /// Size of the archive file.
    pub file_bytes: u64,
}

/// Where a sink puts tiles: called in increasing PMTiles tile id, with gzipped bytes.
trait Sink {
    /// `key` is the bytes' [`content_key`]: equal keys, equal tiles.
    fn add(&mut self, tile: TileId, gz: &[u8], key: u128) -> Result<(), ArchiveError>;
    /// Writes the metadata and closes the file.
    fn finish(self: Box<Self>, meta: &Metadata) -> Result<(), ArchiveError>;
}

/// The metadata both formats carry.
#[derive(Debug, Clone)]
struct Metadata {
    name: String,
    minzoom: u8,
    maxzoom: u8,
    /// The data's box, lon/lat.
    bounds: [f64; 4],
    center: (f64, f64, u8),
    /// The metadata JSON: TileJSON's keys (vector_layers among them) and the extras.
    json: serde_json::Map<String, serde_json::Value>,
}

/// Which tiles of zoom `z` are rendered: those meeting `bounds`, one tile more on every
/// side (clamped to the world), in increasing PMTiles tile id.
fn tiles_of_zoom(bounds: Rect<f64>, z: u8) -> Result<Vec<TileId>, TileSetError> {
    let covering = tiles_covering(bounds, z).map_err(TileSetError::Tile)?;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for t in covering {
        x0 = x0.min(t.x);
        y0 = y0.min(t.y);
        x1 = x1.max(t.x);
        y1 = y1.max(t.y);
    }
    let last = (1u32 << z) - 1;
    let (x0, y0) = (x0.saturating_sub(1), y0.saturating_sub(1));
    let (x1, y1) = ((x1 + 1).min(last), (y1 + 1).min(last));
    let mut out = Vec::with_capacity(((x1 - x0 + 1) as usize) * ((y1 - y0 + 1) as usize));
    for y in y0..=y1 {
        for x in x0..=x1 {
            out.push(TileId { z, x, y });
        }
    }
    out.sort_unstable_by_key(pmtiles_id);
    Ok(out)
}

/// The PMTiles id of a tile: the tiles of the zooms above, then its place on its zoom's
/// Hilbert curve.
fn pmtiles_id(t: &TileId) -> u64 {
    // Every tile of this crate's zooms (0–18) is a valid PMTiles coordinate (0–31).
    ::pmtiles::TileCoord::new(t.z, t.x, t.y)
        .map(|c| ::pmtiles::TileId::from(c).value())
        .unwrap_or(u64::MAX)
}

/// The box every tile layer's features lie in: the input layers, the grid's cells and
/// the conflicts' lines (which end at input features, but those may have been let go of:
/// [`release_undrawn`]).
fn data_bounds(ds: &Dataset, a: &Analysis) -> Option<Rect<f64>> {
    use geo::BoundingRect;
    let cells = a
        .grid
        .cells
        .iter()
        .filter_map(|c| c.geometry.bounding_rect());
    let protection = a.protection_conflicts.iter().map(|c| &c.geometry);
    let pipeline = a.pipeline_conflicts.iter().map(|c| &c.geometry);
    let lines = protection.chain(pipeline).filter_map(|g| g.bounding_rect());
    ds.bounds()
        .into_iter()
        .chain(cells)
        .chain(lines)
        .reduce(|x, y| union_rect(&x, &y))
}

/// Lets go of what neither the tile set of `layers` nor their tiles read: the input
/// layers not drawn and the results only they and the undrawn result layers are drawn
/// from. For a command that writes archives and exits, before it builds their tile set:
/// the analyses needed every layer, the tiles need only theirs (for a houses-only
/// archive of the million-house city, the hidden hazards' ledger and the conflicts, about
/// 60 MB). The tiles are the same; the archive's bounds are then those of what it draws.
pub fn release_undrawn(ds: &mut Dataset, a: &mut Analysis, layers: &[LayerKind]) {
    use crate::dataset::Layer;
    fn empty<P>(l: &mut Layer<P>, kind: LayerKind, layers: &[LayerKind]) {
        if !layers.contains(&kind) {
            *l = Layer::new(kind, Vec::new());
        }
    }
    empty(&mut ds.areas, LayerKind::Areas, layers);
    empty(&mut ds.enterprises, LayerKind::Enterprises, layers);
    empty(&mut ds.hazard_sources, LayerKind::HazardSources, layers);
    empty(&mut ds.gas_pipelines, LayerKind::GasPipelines, layers);
    empty(&mut ds.houses, LayerKind::Houses, layers);
    empty(
        &mut ds.protection_targets,
        LayerKind::ProtectionTargets,
        layers,
    );
    empty(&mut ds.hidden_hazards, LayerKind::HiddenHazards, layers);
    // A result goes with the layer drawn from it.
    fn clear<T>(v: &mut Vec<T>, kind: LayerKind, layers: &[LayerKind]) {
        if !layers.contains(&kind) {
            *v = Vec::new();
        }
    }
    clear(
        &mut a.protection_conflicts,
        LayerKind::ProtectionConflicts,
        layers,
    );
    clear(
        &mut a.pipeline_conflicts,
        LayerKind::PipelineConflicts,
        layers,
    );
    clear(&mut a.area_summaries, LayerKind::Areas, layers);
    clear(&mut a.house_risks, LayerKind::Houses, layers);
    clear(&mut a.enterprise_risks, LayerKind::Enterprises, layers);
    clear(&mut a.hazard_grades, LayerKind::HazardSources, layers);
    clear(&mut a.hidden_states, LayerKind::HiddenHazards, layers);
    clear(&mut a.target_classes, LayerKind::ProtectionTargets, layers);
    clear(&mut a.grid.cells, LayerKind::RiskGrid, layers);
}

/// Writes the tiles of `opts` of the analysed `ds` into the archive `out` (its format by
/// its extension), through a temporary file renamed over `out` at the end. `progress`
/// hears `(zoom, tiles of the zoom done, tiles of the zoom)` after every chunk.
pub fn write_archive(
    ds: &Dataset,
    a: &Analysis,
    tileset: &TileSet,
    opts: &ArchiveOptions,
    out: &Path,
    progress: &(dyn Fn(u8, usize, usize) + Sync),
) -> Result<ArchiveSummary, ArchiveError> {
    let format = ArchiveFormat::of_path(out)?;
    if opts.minzoom > opts.maxzoom || opts.maxzoom > MAX_ZOOM {
        return Err(ArchiveError::Zooms {
            min: opts.minzoom,
            max: opts.maxzoom,
        });
    }
    if opts.layers.is_empty() {
        return Err(ArchiveError::NoLayers);
    }
    let bounds = data_bounds(ds, a).ok_or(ArchiveError::NoData)?;
    let meta = metadata(ds, bounds, opts);
    let tmp = temp_path(out);
    let result = (|| {
        let sink: Box<dyn Sink> = match format {
            ArchiveFormat::PmTiles => Box::new(pmtiles::PmTilesSink::create(&tmp, &meta)?),
            ArchiveFormat::MbTiles => Box::new(mbtiles::MbTilesSink::create(&tmp)?),
        };
        fill(ds, a, tileset, opts, bounds, sink, &meta, progress)
    })();
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    // On disk before it takes the name: a crash never leaves a half-written archive
    // under the name of a whole one.
    let synced = std::fs::File::open(&tmp).and_then(|f| f.sync_all());
    synced
        .and_then(|()| std::fs::rename(&tmp, out))
        .map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            ArchiveError::Io {
                path: out.to_path_buf(),
                source,
            }
        })?;
    summary.file_bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(summary)
}

/// A rendered tile: gzipped, with its content key.
struct Made {
    tile: TileId,
    gz: Vec<u8>,
    key: u128,
}

/// Renders every tile in order into `sink` and closes it.
#[allow(clippy::too_many_arguments)]
fn fill(
    ds: &Dataset,
    a: &Analysis,
    tileset: &TileSet,
    opts: &ArchiveOptions,
    bounds: Rect<f64>,
    mut sink: Box<dyn Sink>,
    meta: &Metadata,
    progress: &(dyn Fn(u8, usize, usize) + Sync),
) -> Result<ArchiveSummary, ArchiveError> {
    let mut summary = ArchiveSummary::default();
    let mut seen = std::collections::HashSet::new();
    for z in opts.minzoom..=opts.maxzoom {
        let tiles = tiles_of_zoom(bounds, z).map_err(|source| ArchiveError::Tile {
            z,
            x: 0,
            y: 0,
            source,
        })?;
        let mut in_zoom = 0u64;
        for (i, chunk) in tiles.chunks(CHUNK).enumerate() {
            let made: Vec<Result<Option<Made>, ArchiveError>> = chunk
                .par_iter()
                .map(|t| {
                    let err = |source| ArchiveError::Tile {
                        z: t.z,
                        x: t.x,
                        y: t.y,
                        source,
                    };
                    let raw = tileset
                        .render_on_one_thread(ds, a, &opts.layers, t.z, t.x, t.y)
                        .map_err(err)?;
                    if raw.is_empty() {
                        return Ok(None);
                    }
                    let gz = gzip(&raw).map_err(|e| err(TileSetError::Tile(e)))?;
                    let key = content_key(&gz);
                    Ok(Some(Made { tile: *t, gz, key }))
                })
                .collect();
            summary.rendered += chunk.len() as u64;
            for m in made {
                let Some(Made { tile: t, gz, key }) = m? else {
                    continue;
                };
                sink.add(t, &gz, key)?;
                summary.tiles += 1;
                in_zoom += 1;
                summary.tile_bytes += gz.len() as u64;
                if summary.largest.is_none_or(|(.., n)| gz.len() > n) {
                    summary.largest = Some((t.z, t.x, t.y, gz.len()));
                }
                seen.insert(key);
            }
            progress(z, ((i + 1) * CHUNK).min(tiles.len()), tiles.len());
        }
        summary.per_zoom.push((z, in_zoom));
    }
    summary.distinct = seen.len() as u64;
    sink.finish(meta)?;
    Ok(summary)
}

/// A 128-bit key of a tile's bytes (SHA-256, truncated): equal keys, equal tiles.
pub fn content_key(bytes: &[u8]) -> u128 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    u128::from_be_bytes(k)
}

fn metadata(ds: &Dataset, bounds: Rect<f64>, opts: &ArchiveOptions) -> Metadata {
    let data = ds.bounds().unwrap_or(bounds);
    let b = [data.min().x, data.min().y, data.max().x, data.max().y];
    let center_zoom = opts.maxzoom.clamp(opts.minzoom, 10.max(opts.minzoom));
    let center = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, center_zoom);
    let mut json = serde_json::Map::new();
    json.insert("name".into(), opts.name.clone().into());
    json.insert("description".into(), "RiskMap 安全风险分布图".into());
    json.insert("attribution".into(), "RiskMap".into());
    json.insert("type".into(), "overlay".into());
    json.insert(
        "generator".into(),
        format!("riskmap {}", env!("CARGO_PKG_VERSION")).into(),
    );
    json.insert(
        "vector_layers".into(),
        vector_layers(&opts.layers, opts.maxzoom).into(),
    );
    for (k, v) in &opts.extra {
        json.insert(k.clone(), v.clone());
    }
    Metadata {
        name: opts.name.clone(),
        minzoom: opts.minzoom,
        maxzoom: opts.maxzoom,
        bounds: b,
        center,
        json,
    }
}

/// `out` with `.partial` added, in the same directory (so the rename is atomic).
fn temp_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

#[cfg(test)]
mod tests;
