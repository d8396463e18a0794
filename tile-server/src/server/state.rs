//! The server's state: the current snapshot of analysed data, swapped whole on reload.
//!
//! A request takes an `Arc` of the snapshot at its start and works on it to the end, so a
//! reload never changes data under a request; the new snapshot is built completely
//! (load, analyse, index, cluster) off the async runtime and swapped in with one pointer
//! write. A load that fails leaves the old snapshot serving and records why.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use riskmap_core::analysis::Analysis;
use riskmap_core::dataset::Dataset;
use riskmap_core::export::FieldPolicy;
use riskmap_core::io::{self, LoadOptions, ValidationReport};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::tileset::{TileSet, TileSetConfig};

use super::cache::TileCache;
use super::config::ServerConfig;
use super::metrics::Metrics;

/// One loaded and analysed version of the data.
pub struct Snapshot {
    /// Increases by one with every successful load.
    pub generation: u64,
    /// When it was loaded (seconds since the Unix epoch).
    pub loaded_at: u64,
    /// Seconds the load and analysis took.
    pub load_seconds: f64,
    /// The data.
    pub dataset: Dataset,
    /// The results.
    pub analysis: Analysis,
    /// What the loader skipped or repaired.
    pub report: ValidationReport,
    /// Clusters and indexes for tiles.
    pub tiles: TileSet,
    /// `summary.json` of the analysis.
    pub summary: serde_json::Value,
    /// Rules used.
    pub rules: Rules,
}

/// The outcome of the last reload.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReloadStatus {
    /// Unix time of the attempt.
    pub at: u64,
    /// Whether it succeeded.
    pub ok: bool,
    /// Why it failed.
    pub error: Option<String>,
}

/// Where the served data comes from, and how to read it (the command line's load options,
/// used again at every reload).
#[derive(Debug, Clone)]
pub struct DataSource {
    /// The data directory.
    pub dir: PathBuf,
    /// How to load it.
    pub load: LoadOptions,
}

impl DataSource {
    /// A directory read with the default options.
    pub fn dir(dir: impl Into<PathBuf>) -> DataSource {
        DataSource {
            dir: dir.into(),
            load: LoadOptions::default(),
        }
    }
}

/// Shared state of all handlers.
pub struct AppState {
    /// Configuration.
    pub config: ServerConfig,
    /// Where the data is.
    pub source: DataSource,
    snapshot: RwLock<Arc<Snapshot>>,
    next_generation: AtomicU64,
    /// Tile cache.
    pub cache: Mutex<TileCache>,
    /// Metrics.
    pub metrics: Metrics,
    /// Last reload outcome.
    pub last_reload: Mutex<Option<ReloadStatus>>,
    /// One reload at a time.
    pub reload_lock: tokio::sync::Mutex<()>,
    /// Admin token for `POST /admin/reload`.
    pub admin_token: Option<String>,
}

/// Why data could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    /// The rules file.
    #[error(transparent)]
    Rules(#[from] riskmap_core::rules::RulesError),
    /// The data.
    #[error(transparent)]
    Load(#[from] io::LoadError),
    /// Tiles.
    #[error(transparent)]
    Tiles(#[from] riskmap_core::tileset::TileSetError),
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Loads, analyses and prepares tiles (blocking; run it off the async runtime).
pub fn build_snapshot(
    config: &ServerConfig,
    source: &DataSource,
    generation: u64,
) -> Result<Snapshot, LoadFailure> {
    let t0 = Instant::now();
    let rules = match &config.rules {
        Some(p) => Rules::from_file(p)?,
        None => Rules::default(),
    };
    let p = Project::open(&source.dir, &source.load, &rules)?;
    let tcfg = TileSetConfig {
        fields: field_policy(config),
        ..TileSetConfig::default()
    };
    let tiles = TileSet::build(&p.dataset, &p.analysis, tcfg)?;
    let summary = p.summary();
    Ok(Snapshot {
        generation,
        loaded_at: now(),
        load_seconds: t0.elapsed().as_secs_f64(),
        dataset: p.dataset,
        analysis: p.analysis,
        report: p.report,
        tiles,
        summary,
        rules: p.rules,
    })
}

/// The fields the configuration keeps from tiles and GeoJSON.
pub fn field_policy(config: &ServerConfig) -> FieldPolicy {
    FieldPolicy {
        deny: config.deny_fields.clone(),
        deny_by_layer: config
            .layers
            .iter()
            .map(|(k, v)| (k.clone(), v.deny_fields.clone()))
            .collect(),
    }
}

impl AppState {
    /// State around a first snapshot.
    pub fn new(
        config: ServerConfig,
        source: DataSource,
        first: Snapshot,
        admin_token: Option<String>,
    ) -> AppState {
        let cache = TileCache::new(config.tile_cache_bytes);
        AppState {
            next_generation: AtomicU64::new(first.generation + 1),
            snapshot: RwLock::new(Arc::new(first)),
            config,
            source,
            cache: Mutex::new(cache),
            metrics: Metrics::default(),
            last_reload: Mutex::new(None),
            reload_lock: tokio::sync::Mutex::new(()),
            admin_token,
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the data afresh and swaps it in; on failure keeps serving the old data.
    pub async fn reload(self: &Arc<Self>) -> Result<u64, String> {
        let _one = self.reload_lock.lock().await;
        let generation = self.next_generation.fetch_add(1, Ordering::SeqCst);
        let me = Arc::clone(self);
        let built =
            tokio::task::spawn_blocking(move || build_snapshot(&me.config, &me.source, generation))
                .await;
        let result = match built {
            Ok(Ok(s)) => {
                let g = s.generation;
                match self.snapshot.write() {
                    Ok(mut w) => *w = Arc::new(s),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(s),
                }
                Ok(g)
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("reload task failed: {e}")),
        };
        let status = ReloadStatus {
            at: now(),
            ok: result.is_ok(),
            error: result.as_ref().err().cloned(),
        };
        match &result {
            Ok(g) => {
                self.metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
                tracing::info!(generation = g, "reloaded");
            }
            Err(e) => {
                self.metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "reload failed; still serving the previous data");
            }
        }
        if let Ok(mut l) = self.last_reload.lock() {
            *l = Some(status);
        }
        result
    }
}
