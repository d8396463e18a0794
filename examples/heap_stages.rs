//! The heap of `riskmap tiles` stage by stage: the bytes live after the load, after each
//! analysis step, after the tile set and after the archive, with the most live at any
//! moment of each stage, beside the resident size. Unlike a resident size, live bytes
//! leave out what the allocator holds free, so a stage's scratch and its results are
//! told apart; both run on mimalloc, as the program does.
//!
//! ```sh
//! MIMALLOC_PURGE_DELAY=0 MIMALLOC_ALLOW_THP=0 cargo run --release -p riskmap-core \
//!     --features archive --example heap_stages -- DATA_DIR [LAYERS]
//! ```
//!
//! The two variables set what every `riskmap` command but `serve` sets for itself: freed
//! memory given back at once, and no transparent huge pages.
//! LAYERS (comma-separated, `houses` by default) are those of the archive, written to a
//! temporary file with the zooms 0–14.

// A counting allocator: the only way to see live bytes without a profiler.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use riskmap_core::archive::{self, ArchiveOptions};
use riskmap_core::io::{LoadOptions, LoadProgress};
use riskmap_core::model::LayerKind;
use riskmap_core::project::{Project, load_source};
use riskmap_core::rules::Rules;
use riskmap_core::tileset::{TileSet, TileSetConfig, tile_layer};

/// mimalloc, counting the bytes asked of it.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

/// Counts `n` bytes more when `p` was given.
fn counted(p: *mut u8, n: usize) -> *mut u8 {
    if !p.is_null() {
        grew(n);
    }
    p
}

// SAFETY: every call is passed on to mimalloc with the caller's arguments; the counts
// are kept beside it and never touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: as the caller promised `GlobalAlloc::alloc`.
        counted(unsafe { INNER.alloc(l) }, l.size())
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // mimalloc's own: fresh pages come zeroed, and are not touched to zero them.
        // SAFETY: as the caller promised `GlobalAlloc::alloc_zeroed`.
        counted(unsafe { INNER.alloc_zeroed(l) }, l.size())
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        // SAFETY: as the caller promised `GlobalAlloc::dealloc`.
        unsafe { INNER.dealloc(p, l) }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        // SAFETY: as the caller promised `GlobalAlloc::realloc`.
        let q = unsafe { INNER.realloc(p, l, n) };
        // On failure the block stays as it was, and so does the count.
        if !q.is_null() {
            if n >= l.size() {
                grew(n - l.size());
            } else {
                LIVE.fetch_sub(l.size() - n, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mib(n: usize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

#[path = "proc_status.rs"]
mod proc_status;

/// Prints the live bytes now and the most since the last stage, and starts a new stage.
fn stage(name: &str) {
    let live = LIVE.load(Relaxed);
    println!(
        "{name:<28} {:8.1} {:8.1} {:9.1}",
        mib(live),
        mib(PEAK.load(Relaxed)),
        mib(proc_status::status("VmRSS:"))
    );
    PEAK.store(live, Relaxed);
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let Some(data) = args.next() else {
        return Err("usage: heap_stages DATA_DIR [LAYERS]".into());
    };
    let layers = args
        .next()
        .unwrap_or_else(|| "houses".into())
        .split(',')
        .map(|n| tile_layer(n.trim()).ok_or(format!("'{n}' is not a tile layer")))
        .collect::<Result<Vec<LayerKind>, _>>()?;
    println!(
        "{:<28} {:>8} {:>8} {:>9}",
        "stage (MiB)", "live", "most", "resident"
    );
    let opts = LoadOptions {
        progress: Some(std::sync::Arc::new(|p| {
            if let LoadProgress::Indexing = p {
                stage("  files read");
            }
        })),
        ..LoadOptions::default()
    };
    let loaded = load_source(std::path::Path::new(&data), &opts)?;
    stage("load");
    let mut project =
        Project::from_loaded(loaded, &LoadOptions::default(), &Rules::default(), &|s| {
            stage(&format!("  {s:?} starts"))
        });
    stage("analyses (to their end)");
    // As `riskmap tiles` makes it: footprints projected where they are drawn.
    let config = TileSetConfig {
        world_footprints: false,
        layers: Some(layers.clone()),
        ..TileSetConfig::default()
    };
    archive::release_undrawn(&mut project.dataset, &mut project.analysis, &layers);
    stage("what is not drawn let go");
    let set = TileSet::build(&project.dataset, &project.analysis, config)?;
    stage("tile set");
    let out = tempfile::Builder::new().suffix(".pmtiles").tempfile()?;
    let mut opts = ArchiveOptions::new(layers);
    opts.maxzoom = 14;
    archive::write_archive(
        &project.dataset,
        &project.analysis,
        &set,
        &opts,
        out.path(),
        &|_, _, _| {},
    )?;
    stage("archive");
    Ok(())
}
