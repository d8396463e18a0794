//! [`TileBuilder`]: a tile built layer by layer. Each layer's features go through the
//! per-geometry pipeline (`geometry.rs`; on large layers in two halves on two threads),
//! then the encoder (`pbf.rs`), and the layer is accepted only if it fits the byte
//! budget.

use std::collections::HashSet;
use std::fmt;

use super::geometry::{self, BadInput, Ctx, GeomBuf, Outcome, Scratch, Span};
use super::pbf::LayerWriter;
use super::{TileError, TileFeature, TileId, TileOptions, mercator};

/// Layers with at least this many features have their geometry processed in two halves,
/// one of them on rayon's thread pool (when [`TileBuilder::set_parallel`] allows it);
/// below it, handing work to another thread costs more than it saves.
const PARALLEL_MIN_FEATURES: usize = 1024;

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
    /// The tile so far: one single-layer Tile message per non-empty layer, in order (a
    /// Tile message is only `repeated Layer layers = 3`, so they concatenate into the
    /// multi-layer tile), written where they end up.
    out: Vec<u8>,
    /// How many layers `out` holds.
    layers: usize,
    /// The tile's encoded size so far (`out`'s length).
    size: usize,
    /// Whether a large layer may use a second thread.
    parallel: bool,
    /// Buffers of the geometry pipeline, reused from layer to layer: one per half.
    work: [Work; 2],
}

/// Buffers of one thread's share of a layer.
#[derive(Debug, Default)]
struct Work {
    scratch: Scratch,
    /// The kept geometries, feature after feature.
    buf: GeomBuf,
    /// What became of each feature, and where its geometry is in `buf`.
    placed: Vec<(Outcome, Span, Span)>,
}

impl Work {
    /// Runs the geometry pipeline on `features`, replacing what was there.
    fn process(&mut self, ctx: &Ctx, features: &[TileFeature<'_>]) -> Result<(), TileError> {
        self.buf.clear();
        self.placed.clear();
        self.placed.reserve(features.len());
        for f in features {
            let from = self.buf.mark();
            let outcome = geometry::process(&f.geometry, ctx, &mut self.scratch, &mut self.buf)
                .map_err(|e| match e {
                    BadInput::NonFinite => TileError::NonFiniteCoordinate { id: f.id },
                    BadInput::Unsupported(kind) => {
                        TileError::UnsupportedGeometry { id: f.id, kind }
                    }
                })?;
            self.placed.push((outcome, from, self.buf.mark()));
        }
        Ok(())
    }
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
            out: Vec::new(),
            layers: 0,
            size: 0,
            parallel: true,
            work: Default::default(),
        })
    }

    /// Whether a layer of 1024 features or more may have half of its geometry processed
    /// on another thread of rayon's pool (default: yes). A server rendering as many
    /// tiles at once as it has cores turns this off: the second thread would only take
    /// a core from another tile, and the hand-off costs time. The output is the same
    /// either way.
    pub fn set_parallel(&mut self, parallel: bool) {
        self.parallel = parallel;
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
        self.layers == 0
    }

    /// Number of layers written (empty layers are not).
    pub fn layer_count(&self) -> usize {
        self.layers
    }

    /// Projects, clips, simplifies, snaps, repairs and encodes `features` as layer `name`.
    ///
    /// All or nothing: on error the builder is unchanged. Errors: empty or already used
    /// name, duplicate feature id in the layer, duplicate property key in a feature,
    /// non-finite coordinate, geometry collection, and the byte budget. A layer with no
    /// feature left in this tile is not written, but its name counts as used.
    ///
    /// Layers of 1024 features or more use one more thread of rayon's pool unless
    /// [`TileBuilder::set_parallel`] turned that off: the second half of the features is
    /// processed there while this thread does the first. The output is the same as on
    /// one thread.
    pub fn add_layer<'a, I>(&mut self, name: &str, features: I) -> Result<LayerStats, TileError>
    where
        I: IntoIterator<Item = TileFeature<'a>>,
    {
        let features: Vec<TileFeature<'a>> = features.into_iter().collect();
        self.add_layer_from(name, &features)
    }

    /// [`TileBuilder::add_layer`] of borrowed features: the caller keeps them, for
    /// example to try again with fewer after [`TileError::BudgetExceeded`].
    pub fn add_layer_from(
        &mut self,
        name: &str,
        features: &[TileFeature<'_>],
    ) -> Result<LayerStats, TileError> {
        self.add(name, features, false)
    }

    /// [`TileBuilder::add_layer_from`] of features whose geometry is already in Web
    /// Mercator world units ([`to_world`](super::to_world)) instead of lon/lat degrees:
    /// for features that go into many tiles, projected once instead of in every tile.
    /// The tile is the same to the byte as from the lon/lat geometry.
    pub fn add_world_layer_from(
        &mut self,
        name: &str,
        features: &[TileFeature<'_>],
    ) -> Result<LayerStats, TileError> {
        self.add(name, features, true)
    }

    fn add(
        &mut self,
        name: &str,
        features: &[TileFeature<'_>],
        world_input: bool,
    ) -> Result<LayerStats, TileError> {
        if name.is_empty() {
            return Err(TileError::EmptyLayerName);
        }
        if self.names.iter().any(|n| n == name) {
            return Err(TileError::DuplicateLayer {
                name: name.to_owned(),
            });
        }
        check_ids_and_keys(name, features)?;

        let ctx = &Ctx {
            world_input,
            ..self.ctx
        };
        let [first, second] = &mut self.work;
        let split = if self.parallel && features.len() >= PARALLEL_MIN_FEATURES {
            features.len() / 2
        } else {
            features.len()
        };
        let (head, tail) = features.split_at(split);
        if tail.is_empty() {
            first.process(ctx, head)?;
            second.buf.clear();
            second.placed.clear();
        } else {
            let (a, b) = rayon::join(|| first.process(ctx, head), || second.process(ctx, tail));
            a?;
            b?;
        }

        let mut stats = LayerStats {
            input: features.len(),
            ..LayerStats::default()
        };
        let mut layer = LayerWriter::new(name, self.options.extent);
        encode(&mut layer, head, first, &mut stats);
        encode(&mut layer, tail, second, &mut stats);
        if stats.encoded > 0 {
            let before = self.out.len();
            layer.write_tile_bytes(&mut self.out);
            stats.bytes = self.out.len() - before;
            let size = self.size + stats.bytes;
            match self.options.max_tile_bytes {
                Some(limit) if size > limit => {
                    // All or nothing: the tile as it was.
                    self.out.truncate(before);
                    return Err(TileError::BudgetExceeded {
                        layer: name.to_owned(),
                        size,
                        limit,
                    });
                }
                _ => {}
            }
            self.size = size;
            self.layers += 1;
        }
        self.names.push(name.to_owned());
        Ok(stats)
    }

    /// The encoded tile, uncompressed (empty if no layer has features).
    pub fn into_bytes(self) -> Result<Vec<u8>, TileError> {
        Ok(self.out)
    }
}

/// Writes the kept features of `features`, processed into `work`, into `layer`,
/// counting outcomes in `stats`.
fn encode(
    layer: &mut LayerWriter,
    features: &[TileFeature<'_>],
    work: &Work,
    stats: &mut LayerStats,
) {
    for (f, &(outcome, from, to)) in features.iter().zip(&work.placed) {
        match outcome {
            Outcome::Outside => stats.outside += 1,
            Outcome::Collapsed => stats.collapsed += 1,
            Outcome::Kept {
                kind,
                clipped,
                repaired,
            } => {
                stats.encoded += 1;
                stats.clipped += usize::from(clipped);
                stats.repaired += usize::from(repaired);
                let shared = matches!(f.properties, std::borrow::Cow::Borrowed(_));
                layer.add(f.id, work.buf.get(kind, from, to), &f.properties, shared);
            }
        }
    }
}

/// Rejects duplicate feature ids within a layer and duplicate keys within a feature:
/// MVT requires unique keys, and ids must be unique for the map client's feature state.
/// Checked on the input, so the outcome does not depend on which tile is built.
fn check_ids_and_keys(layer: &str, features: &[TileFeature<'_>]) -> Result<(), TileError> {
    for f in features {
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
    // Ids in increasing order (as a tile set gives them) are unique without a hash set.
    if features.windows(2).all(|w| w[0].id < w[1].id) {
        return Ok(());
    }
    let mut ids: HashSet<u64, foldhash::fast::FixedState> =
        HashSet::with_capacity_and_hasher(features.len(), foldhash::fast::FixedState::default());
    for f in features {
        if !ids.insert(f.id) {
            return Err(TileError::DuplicateFeatureId {
                layer: layer.to_owned(),
                id: f.id,
            });
        }
    }
    Ok(())
}
