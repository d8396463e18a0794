//! Where the memory of a loaded and analysed city goes: the resident size after each stage
//! (load, analysis, tile set) and the peak during it, and what holds the houses: the bytes
//! their records, ids, footprints, properties and source names ask of the allocator, the
//! bytes of their packed R-tree and the time it takes to pack, and the resident size a
//! copy of their levels adds. Then what a server keeps beside the analysis: the tile
//! set's parts (`TileSet::heap_parts`) and the state that applies changes
//! (`Live::from_parts`, its resident size and `Live::heap_parts`).
//!
//! ```sh
//! cargo run --release -p riskmap-core --example memory -- DATA_DIR
//! ```
//!
//! Resident sizes are Linux's (`/proc/self/status`); the parts' own bytes leave out the
//! allocator's overhead (8–16 bytes an allocation).

use std::error::Error;
use std::time::Instant;

use geo::{CoordsIter, Geometry};
use riskmap_core::index::SpatialIndex;
use riskmap_core::io::LoadOptions;
use riskmap_core::live::Live;
use riskmap_core::project::{Project, load_source};
use riskmap_core::rules::Rules;
use riskmap_core::substances::SubstanceTable;
use riskmap_core::tileset::{TileSet, TileSetConfig};

#[path = "proc_status.rs"]
mod proc_status;
use proc_status::status;

/// Starts a new peak (`VmHWM`) from the current resident size.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Resident bytes a value made by `f` adds (kept until measured).
fn held<T>(f: impl FnOnce() -> T) -> usize {
    let before = status("VmRSS:");
    let v = f();
    let n = status("VmRSS:").saturating_sub(before);
    std::mem::forget(v);
    n
}

/// Heap bytes of a geometry's coordinates and rings.
fn geometry_heap(g: &Geometry<f64>) -> usize {
    let rings = match g {
        Geometry::Polygon(p) => 1 + p.interiors().len(),
        Geometry::MultiPolygon(m) => m.0.iter().map(|p| 1 + p.interiors().len()).sum(),
        _ => 1,
    };
    g.coords_count() * std::mem::size_of::<geo::Coord<f64>>()
        + rings * std::mem::size_of::<geo::LineString<f64>>()
}

fn mib(n: usize) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(data) = std::env::args().nth(1) else {
        return Err("usage: memory DATA_DIR".into());
    };
    let t = Instant::now();
    let loaded = load_source(std::path::Path::new(&data), &LoadOptions::default())?;
    let after_load = status("VmRSS:");
    let load_peak = status("VmHWM:");
    let load_s = t.elapsed().as_secs_f64();
    let n = loaded.dataset.houses.len().max(1);
    let per = |b: usize| b as f64 / n as f64;

    // What holds the houses: the bytes asked of the allocator, part by part.
    let houses = loaded.dataset.houses.features();
    let records = std::mem::size_of_val(houses);
    let ids: usize = houses.iter().map(|f| f.id.capacity()).sum();
    let geometry: usize = houses.iter().map(|f| geometry_heap(&f.geometry)).sum();
    let props: usize = houses
        .iter()
        .map(|f| f.props.address.len() + f.props.phone.as_ref().map_or(0, |p| p.len()))
        .sum();
    // Held once for the process: each distinct name counted once, with the two counts
    // before its text and its entry in the names' table.
    let source: usize = houses
        .iter()
        .map(|f| f.source.source_file())
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .map(|s| s.name().len() + 16 + 24)
        .sum();

    reset_peak();
    let t = Instant::now();
    let project = Project::from_loaded(loaded, &LoadOptions::default(), &Rules::default(), &|_| {});
    let analysis_s = t.elapsed().as_secs_f64();
    let after_analysis = status("VmRSS:");
    let analysis_peak = status("VmHWM:");
    reset_peak();
    let t = Instant::now();
    let set = TileSet::build(
        &project.dataset,
        &project.analysis,
        TileSetConfig::default(),
    )?;
    let tiles_s = t.elapsed().as_secs_f64();
    let after_tiles = status("VmRSS:");
    let tiles_peak = status("VmHWM:");

    // What an R-tree and the results add, measured last so that the stages above are
    // not charged for them.
    let houses = project.dataset.houses.features();
    // The packed tree is one buffer: its length is what it holds (a resident-size
    // difference would also count the build's freed scratch). Its build time is what a
    // living map's repack of the houses' tree costs.
    let t = Instant::now();
    let index = SpatialIndex::build(houses.iter().map(|f| &f.geometry)).heap_bytes();
    let index_s = t.elapsed().as_secs_f64();
    let a = &project.analysis;
    let house_risks = held(|| a.house_risks.clone());
    let protection = held(|| a.protection_conflicts.clone());
    let pipelines = held(|| a.pipeline_conflicts.clone());
    let grid = held(|| a.grid.clone());

    println!("{data}: {n} houses");
    println!("stage            time  resident after   peak during   per house after");
    println!(
        "load + index  {load_s:7.2} s  {:9.0} MiB  {:9.0} MiB  {:7.0} B",
        mib(after_load),
        mib(load_peak),
        per(after_load)
    );
    println!(
        "analyses      {analysis_s:7.2} s  {:9.0} MiB  {:9.0} MiB  {:7.0} B",
        mib(after_analysis),
        mib(analysis_peak),
        per(after_analysis)
    );
    println!(
        "tile set      {tiles_s:7.2} s  {:9.0} MiB  {:9.0} MiB  {:7.0} B",
        mib(after_tiles),
        mib(tiles_peak),
        per(after_tiles)
    );
    println!("what the tile set holds, bytes per house:");
    for (part, bytes) in set.heap_parts() {
        if bytes >= n {
            println!("  {part:<48} {:6.0}", per(bytes));
        }
    }
    println!("what holds the houses, bytes per house:");
    println!(
        "  records (id, geometry, properties, source inline) {:6.0}",
        per(records)
    );
    println!(
        "  ids (text)                                        {:6.0}",
        per(ids)
    );
    println!(
        "  footprints (coordinates)                          {:6.0}",
        per(geometry)
    );
    println!(
        "  properties (address, phone text)                  {:6.0}",
        per(props)
    );
    println!(
        "  source file names                                 {:6.0}",
        per(source)
    );
    println!(
        "  R-tree (packed)                                   {:6.0}  (built in {index_s:.2} s)",
        per(index)
    );
    println!(
        "  levels and reasons (house_risks)                  {:6.0}",
        per(house_risks)
    );
    println!(
        "all protection conflicts {:.0} MiB, pipeline conflicts {:.0} MiB, grid {:.0} MiB",
        mib(protection),
        mib(pipelines),
        mib(grid)
    );

    // What a server keeps beside the analysis to apply changes (ids, points, cells,
    // areas and shares of every feature): measured last, as it takes the project.
    let before_live = status("VmRSS:");
    reset_peak();
    let t = Instant::now();
    let live = Live::from_parts(
        project.dataset,
        project.analysis,
        SubstanceTable::builtin(),
        project.rules,
    );
    let live_s = t.elapsed().as_secs_f64();
    let live_added = status("VmRSS:").saturating_sub(before_live);
    let live_peak = status("VmHWM:");
    println!(
        "state for changes {live_s:5.2} s  +{:.0} MiB resident ({:.0} B per house)",
        mib(live_added),
        per(live_added)
    );
    for (part, bytes) in live.heap_parts() {
        println!("  {part:<48} {:6.0} B per house", per(bytes));
    }
    println!(
        "peak resident size of the process: {:.0} MiB",
        mib(status("VmHWM:")
            .max(load_peak)
            .max(analysis_peak)
            .max(tiles_peak)
            .max(live_peak))
    );
    // Freeing millions of features takes seconds: leave it to the OS.
    std::mem::forget(set);
    std::mem::forget(live);
    Ok(())
}
