//! `riskmap backup STORE.gpkg --to COPY.gpkg`: a whole copy of a GeoPackage store while
//! the server and QGIS go on editing it.

use riskmap_core::store::backup::backup as copy_store;

use super::CliError;
use crate::args::BackupArgs;
use crate::progress::Ui;

/// Copies the store (see [`riskmap_core::store::backup`]) and says what the copy holds:
/// its size, the rows of each ledger, the trail's last record (the copy is the store
/// as of that change).
pub fn backup(ui: &Ui, args: &BackupArgs) -> Result<(), CliError> {
    let r = copy_store(&args.store, &args.to)?;
    let rows: Vec<String> = r
        .ledgers
        .iter()
        .map(|(_, table, n)| format!("{table} {n}"))
        .collect();
    ui.say(&format!(
        "{} → {}: {:.1} MB in {:.1} s; {}; the trail to change {}{}",
        args.store.display(),
        r.path.display(),
        r.bytes as f64 / 1e6,
        r.elapsed.as_secs_f64(),
        if rows.is_empty() {
            "no ledger tables".to_string()
        } else {
            rows.join(", ")
        },
        r.trail_last,
        match (r.restarts, r.in_one_step) {
            (0, _) => String::new(),
            (n, false) => format!(" (started again {n}× as the store was written)"),
            (n, true) => format!(
                " (started again {n}× as the store was written; the rest copied in one step)"
            ),
        }
    ));
    Ok(())
}
