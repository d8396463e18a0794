//! [`TileBuilder`]: a tile built layer by layer. Each layer's features go through the
//! per-geometry pipeline (`geometry.rs`), on large layers pipelined with their encoding
//! (`encode.rs`), and the layer is accepted only if it fits the byte budget.

use std::collections::HashSet;
use std::fmt;

use super::geometry::{self, BadInput, Ctx, Outcome, Scratch};
use super::pbf::LayerWriter;
use super::{TileError, TileFeature, TileId, TileOptions, mercator};

/// Layers with at least this many features are processed on rayon's thread pool, in
/// chunks of [`PIPELINE_CHUNK`]; below it, handing work to another thread costs more than
/// it saves.
const PARALLEL_MIN_FEATURES: usize = 1024;

/// Features per chunk of the processing / encoding pipeline.
const PIPELINE_CHUNK: usize = 256;

/// What [`TileBuilder::add_layer`] did with a layer's features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Features given.
    pub input: usize,
    /// Features written to the tile.
    pub encoded: usize,
    /// Features with nothing inside the tile plus buffer.
    pub outside: usize,
    /// Features that reached the tile but vanished in simplification and snapping (too
    /// small at this zoom).
    pub collapsed: usize,
    /// Written features that were cut at the clip box.
    pub clipped: usize,
    /// Written polygon features inside the clip box that needed the exact overlay
    /// (invalid after snapping, holes, many vertices, or touching parts).
    pub repaired: usize,
    /// Encoded size of the layer in bytes, uncompressed (0 when it had no feature left
    /// and was not added).
    pub bytes: usize,
}

/// Builds one vector tile, layer by layer.
pub struct TileBuilder {
    tile: TileId,
    options: TileOptions,
    ctx: Ctx,
    /// Names of the layers accepted so far, including empty ones left out of the tile.
    names: Vec<String>,
    /// The encoding of one single-layer Tile message per non-empty layer, in order.
    layers: Vec<Vec<u8>>,
    /// Sum of the layers' encoded sizes.
    size: usize,
}

impl fmt::Debug for TileBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileBuilder")
            .field("tile", &self.tile)
            .field("options", &self.options)
            .field("layers", &self.names)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl TileBuilder {
    /// Starts a tile. Fails if the tile id or the options are out of range.
    pub fn new(tile: TileId, options: &TileOptions) -> Result<Self, TileError> {
        tile.validate()?;
        options.validate()?;
        let transform = mercator::TileTransform::new(tile.z, tile.x, tile.y, options.extent);
        Ok(Self {
            tile,
            options: options.clone(),
            ctx: Ctx::new(transform, options),
            names: Vec::new(),
            layers: Vec::new(),
            size: 0,
        })
    }

    /// The tile being built.
    pub fn tile(&self) -> TileId {
        self.tile
    }

    /// The options in use.
    pub fn options(&self) -> &TileOptions {
        &self.options
    }

    /// Encoded size of the tile so far, in bytes, uncompressed.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether no feature has been written yet (every layer so far was empty or none was
    /// added). A server can answer 204 for such a tile.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Number of layers written (empty layers are not).
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Projects, clips, simplifies, snaps, repairs and encodes `features` as layer `name`.
    ///
    /// All or nothing: on error the builder is unchanged. Errors: empty or already used
    /// name, duplicate feature id in the layer, duplicate property key in a feature,
    /// non-finite coordinate, geometry collection, and the byte budget. A layer with no
    /// feature left in this tile is not written, but its name counts as used.
    ///
    /// Layers of 1024 features or more use one more thread of rayon's pool: geometry
    /// work on the next chunk of features runs while the previous one is encoded. The
    /// output is the same as on one thread.
    pub fn add_layer<'a, I>(&mut self, name: &str, features: I) -> Result<LayerStats, TileError>
    where
        I: IntoIterator<Item = TileFeature<'a>>,
    {
        if name.is_empty() {
            return Err(TileError::EmptyLayerName);
        }
        if self.names.iter().any(|n| n == name) {
            return Err(TileError::DuplicateLayer {
                name: name.to_owned(),
            });
        }
        let features: Vec<TileFeature<'a>> = features.into_iter().collect();
        check_ids_and_keys(name, &features)?;

        let ctx = &self.ctx;
        let process =
            |s: &mut Scratch, chunk: &[TileFeature<'a>]| -> Result<Vec<Outcome>, TileError> {
                chunk
                    .iter()
                    .map(|f| {
                        geometry::process(&f.geometry, ctx, s).map_err(|e| match e {
                            BadInput::NonFinite => TileError::NonFiniteCoordinate { id: f.id },
                            BadInput::Unsupported(kind) => {
                                TileError::UnsupportedGeometry { id: f.id, kind }
                            }
                        })
                    })
                    .collect()
            };
        let mut stats = LayerStats {
            input: features.len(),
            ..LayerStats::default()
        };
        let mut layer = LayerWriter::new(name, self.options.extent);
        let mut scratch = Scratch::default();
        if features.len() < PARALLEL_MIN_FEATURES {
            let outcomes = process(&mut scratch, &features)?;
            encode_chunk(&mut layer, &features, &outcomes, &mut stats);
        } else {
            // A layer is written on one thread; the geometry work on the next chunk runs
            // on another meanwhile.
            let mut chunks = features.chunks(PIPELINE_CHUNK);
            let mut ready = match chunks.next() {
                Some(c) => Some((c, process(&mut scratch, c)?)),
                None => None,
            };
            while let Some((chunk, outcomes)) = ready.take() {
                let next = chunks.next();
                let (processed, ()) = rayon::join(
                    || {
                        next.map(|c| process(&mut scratch, c).map(|o| (c, o)))
                            .transpose()
                    },
                    || encode_chunk(&mut layer, chunk, &outcomes, &mut stats),
                );
                ready = processed?;
            }
        }
        if stats.encoded > 0 {
            let bytes = layer.into_tile_bytes();
            stats.bytes = bytes.len();
            let size = self.size + stats.bytes;
            match self.options.max_tile_bytes {
                Some(limit) if size > limit => {
                    return Err(TileError::BudgetExceeded {
                        layer: name.to_owned(),
                        size,
                        limit,
                    });
                }
                _ => {}
            }
            self.size = size;
            self.layers.push(bytes);
        }
        self.names.push(name.to_owned());
        Ok(stats)
    }

    /// The encoded tile, uncompressed (empty if no layer has features).
    pub fn into_bytes(self) -> Result<Vec<u8>, TileError> {
        // A Tile message is only `repeated Layer layers = 3`: the encodings of one-layer
        // tiles concatenate into the multi-layer tile.
        Ok(self.layers.concat())
    }
}

/// Writes the kept features of `chunk` into `layer`, counting outcomes in `stats`.
fn encode_chunk(
    layer: &mut LayerWriter,
    chunk: &[TileFeature<'_>],
    outcomes: &[Outcome],
    stats: &mut LayerStats,
) {
    for (f, outcome) in chunk.iter().zip(outcomes) {
        match outcome {
            Outcome::Outside => stats.outside += 1,
            Outcome::Collapsed => stats.collapsed += 1,
            Outcome::Kept {
                geom,
                clipped,
                repaired,
            } => {
                stats.encoded += 1;
                stats.clipped += usize::from(*clipped);
                stats.repaired += usize::from(*repaired);
                layer.add(f.id, geom, &f.properties);
            }
        }
    }
}

/// Rejects duplicate feature ids within a layer and duplicate keys within a feature:
/// MVT requires unique keys, and ids must be unique for the map client's feature state.
/// Checked on the input, so the outcome does not depend on which tile is built.
fn check_ids_and_keys(layer: &str, features: &[TileFeature<'_>]) -> Result<(), TileError> {
    let mut ids: HashSet<u64, foldhash::fast::FixedState> =
        HashSet::with_capacity_and_hasher(features.len(), foldhash::fast::FixedState::default());
    for f in features {
        if !ids.insert(f.id) {
            return Err(TileError::DuplicateFeatureId {
                layer: layer.to_owned(),
                id: f.id,
            });
        }
        let props = &f.properties;
        for (i, (key, _)) in props.iter().enumerate() {
            if props[..i].iter().any(|(k, _)| k == key) {
                return Err(TileError::DuplicatePropertyKey {
                    id: f.id,
                    key: key.to_string(),
                });
            }
        }
    }
    Ok(())
}
