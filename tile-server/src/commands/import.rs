//! `riskmap import`: load a data directory and write its ledgers into a GeoPackage or a
//! PostGIS database, or update one by feature id.

use std::time::Instant;

use riskmap_core::store::{gpkg, pg};

use super::db::{print_init, with_db};
use super::{CliError, Source, load_from};
use crate::args::ImportArgs;
use crate::progress::Ui;

/// `riskmap import DATA_DIR --into FILE.gpkg | --db URL`: loads through the same loaders
/// and validation as `analyze` and `validate`, then writes or updates the store in one
/// transaction and prints what changed per layer.
pub fn import(ui: &Ui, args: &ImportArgs) -> Result<(), CliError> {
    // Here `--db` names where to write: the ledgers come from DATA_DIR.
    let Some(dir) = &args.load.data_dir else {
        return Err(CliError::Usage(
            "import: give the DATA_DIR to import".into(),
        ));
    };
    let loaded = load_from(ui, &args.load, &Source::Path(dir.clone()))?;
    let (ds, report) = (&loaded.dataset, &loaded.report);
    // The folder's words for the hidden hazards' stages go with its ledgers (a store
    // already holding some gets the folder's instead).
    let words = Some(loaded.statuses.as_slice());
    // A line the checks refused, or a layer whose ledger is missing or unreadable, is not
    // taken for rows the office removed.
    let kept = &riskmap_core::store::Kept::of_report(report);
    let started = Instant::now();
    let counts = match (&args.into, &args.load.db) {
        (Some(into), _) => {
            let step = ui.step(&format!("writing {}", into.display()));
            let counts = gpkg::write_with_words(into, ds, words, kept)?;
            step.done(&format!(
                "written in {:.2} s",
                started.elapsed().as_secs_f64()
            ));
            counts
        }
        (None, Some(url)) => {
            with_db(url, |mut client, db| async move {
                // Say so when this import is what creates the schema.
                let schema = pg::init(&mut client, &db, None).await?;
                if !schema.changed.is_empty() {
                    // (Output whose reader has gone does not stop the import.)
                    match print_init(ui, &db, &schema) {
                        Ok(()) | Err(CliError::StdoutClosed) => {}
                        Err(e) => return Err(e),
                    }
                }
                let step = ui.step(&format!("writing {}", db.shown()));
                let counts = pg::write_with_words(&mut client, &db, ds, words, kept).await?;
                step.done(&format!(
                    "written in {:.2} s",
                    started.elapsed().as_secs_f64()
                ));
                Ok(counts)
            })?
        }
        (None, None) => return Err(CliError::Usage("give --into FILE.gpkg or --db URL".into())),
    };
    // The result goes to stdout (progress goes to stderr), unless quiet.
    let print = |line: String| -> Result<(), CliError> {
        if ui.is_quiet() {
            return Ok(());
        }
        super::out(format_args!("{line}\n"))
    };
    print(format!(
        "{:<20} {:>8} {:>8} {:>8} {:>10} {:>8}",
        "layer", "new", "changed", "removed", "unchanged", "kept"
    ))?;
    for (kind, c) in &counts.layers {
        print(format!(
            "{:<20} {:>8} {:>8} {:>8} {:>10} {:>8}",
            kind.name(),
            c.new,
            c.changed,
            c.removed,
            c.unchanged,
            c.kept
        ))?;
    }
    // Said, so that nobody takes a missing ledger for an emptied layer.
    for kind in &kept.not_read_whole {
        let c = counts.get(*kind);
        if c.kept > 0 {
            ui.say(&format!(
                "warning: {}: the folder's ledgers of this layer were not all read (missing, or a file \
                 skipped): its {} rows in the store were kept, none removed (to empty the layer, \
                 deliver its ledger with a header and no rows)",
                kind.name(),
                c.kept
            ));
        }
    }
    // A folder's day (its export's) is not a store's: a store is the living ledgers.
    if let Some(day) = loaded.as_of {
        ui.say(&format!(
            "note: the folder's riskmap.toml says its ledgers end on {day} (as_of); a store \
             keeps no such day: its hidden hazards are counted on the day a map or list is \
             made (give --as-of {day} to analyze, lists or report for the folder's day)"
        ));
    }
    super::warn_of_files_mostly_lost(report);
    print(format!(
        "validation: {} skipped, {} repaired, {} warnings (`riskmap validate` lists them)",
        report.skipped_count(),
        report.repaired_count(),
        report.warning_count()
    ))
}
