//! `riskmap import`: load a data directory and write its ledgers into a GeoPackage, or
//! update one by feature id.

use std::path::Path;
use std::time::Instant;

use riskmap_core::store::gpkg;

use super::{CliError, load};
use crate::args::LoadArgs;
use crate::progress::Ui;

/// `riskmap import DATA_DIR --into FILE.gpkg`: loads through the same loaders and
/// validation as `analyze` and `validate`, then writes or updates the file in one
/// transaction and prints what changed per layer.
pub fn import(ui: &Ui, args: &LoadArgs, into: &Path) -> Result<(), CliError> {
    let (ds, report) = load(ui, args)?;
    let step = ui.step(&format!("writing {}", into.display()));
    let started = Instant::now();
    let counts = gpkg::write(into, &ds)?;
    step.done(&format!(
        "written in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    // The result goes to stdout (progress goes to stderr), unless quiet.
    let print = |line: String| {
        if !ui.is_quiet() {
            println!("{line}");
        }
    };
    print(format!(
        "{:<20} {:>8} {:>8} {:>8} {:>10}",
        "layer", "new", "changed", "removed", "unchanged"
    ));
    for (kind, c) in &counts.layers {
        print(format!(
            "{:<20} {:>8} {:>8} {:>8} {:>10}",
            kind.name(),
            c.new,
            c.changed,
            c.removed,
            c.unchanged
        ));
    }
    print(format!(
        "validation: {} skipped, {} repaired, {} warnings (`riskmap validate` lists them)",
        report.skipped_count(),
        report.repaired_count(),
        report.warning_count()
    ));
    Ok(())
}
