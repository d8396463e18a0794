//! `--as-of DAY` on a store (a GeoPackage or `--db`): the ledgers as the store held them
//! at the end of the day, not only the hidden hazards counted on it.
//!
//! The store keeps every change of its rows with the feature before and after
//! ([`riskmap_core::store::history`]). The analysed project of today is taken back over
//! the changes made after the day by the change path every edit takes, so that houses,
//! sources, pipes, enterprises, their conflicts and levels are those of the day, as a
//! server of the store shows them with `?as_of=`. A folder keeps no history: its
//! ledgers stay as they are.

use riskmap_core::io::LoadOptions;
use riskmap_core::live::Live;
use riskmap_core::model::Day;
use riskmap_core::project::{Project, SourceKind};
use riskmap_core::store::{changes, history, pg};

use super::{CliError, Source, db};
use crate::progress::Ui;

/// `p`, the project of `source` today, taken back to the end of `day` when the source is
/// a store with changes since; unchanged otherwise.
pub(super) fn taken_back(
    ui: &Ui,
    source: &Source,
    p: Project,
    opts: &LoadOptions,
    day: Day,
) -> Result<Project, CliError> {
    let cutoff = history::day_end_utc(day);
    let (first_at, records) = match source {
        Source::Path(path) => match SourceKind::of(path) {
            Ok(SourceKind::GeoPackage) => changes::changes_from(path, &cutoff)?,
            _ => return Ok(p),
        },
        Source::Db(url) => db::with_db(url, |client, db| async move {
            Ok(pg::changes_from(&client, &db, &cutoff).await?)
        })?,
    };
    // The store's first transaction (its first import) is never taken back.
    if records
        .iter()
        .all(|r| first_at.as_deref() == Some(r.at.as_str()))
    {
        return Ok(p);
    }
    let step = ui.step(&format!("taking the store back to the end of {day}"));
    let Project {
        dataset,
        report,
        analysis,
        rules,
    } = p;
    let mut live = Live::from_parts(dataset, analysis, opts.substances.clone(), rules.clone());
    let back = history::reverting(&records, first_at.as_deref(), &live, opts, day);
    live.apply(&back.edits).map_err(|e| {
        CliError::DataProblems(format!(
            "{}: the store's changes after {day} could not be taken back: {e}",
            source.name().display()
        ))
    })?;
    let (dataset, analysis) = live.into_parts();
    step.done(&format!(
        "{} change records after {day} taken back ({} features as they stood)",
        back.records,
        back.edits.len()
    ));
    for why in &back.skipped {
        ui.say(&format!("  not taken back: {why}"));
    }
    Ok(Project {
        dataset,
        report,
        analysis,
        rules,
    })
}
