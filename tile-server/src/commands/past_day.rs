//! `--as-of DAY` on a store (a GeoPackage or `--db`): the ledgers as the store held them
//! at the end of the day, not only the hidden hazards counted on it.
//!
//! The store keeps every change of its rows with the feature before and after
//! ([`riskmap_core::store::history`]). The analysed project of today is taken back over
//! the changes made after the day by the change path every edit takes, so that houses,
//! sources, pipes, enterprises, their conflicts and levels are those of the day, as a
//! server of the store shows them with `?as_of=`. A folder keeps no history: its
//! ledgers stay as they are.

use riskmap_core::analysis::hidden_trend::{self, Levels};
use riskmap_core::io::LoadOptions;
use riskmap_core::live::Live;
use riskmap_core::model::Day;
use riskmap_core::project::{Project, SourceKind};
use riskmap_core::store::changes::ChangeRecord;
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
    let Some((first_at, records)) = trail_after(source, day)? else {
        return Ok(p);
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

/// The store's change records after the end of `day`, with the time of its first; `None`
/// for a folder.
type Trail = (Option<String>, Vec<ChangeRecord>);

fn trail_after(source: &Source, day: Day) -> Result<Option<Trail>, CliError> {
    let cutoff = history::day_end_utc(day);
    Ok(Some(match source {
        Source::Path(path) => match SourceKind::of(path) {
            Ok(SourceKind::GeoPackage) => changes::changes_from(path, &cutoff)?,
            _ => return Ok(None),
        },
        Source::Db(url) => db::with_db(url, |client, db| async move {
            Ok(pg::changes_from(&client, &db, &cutoff).await?)
        })?,
    }))
}

/// The enterprises and houses per level of the area `area` (by name or id; `None`: the
/// district) at the end of last month and on the day of `p`, for the report's change since
/// last month: `p` (a store's project of its day) taken back over the store's changes in
/// between. `None` for a folder, which keeps no history.
pub(super) fn report_levels(
    source: &Source,
    p: &Project,
    opts: &LoadOptions,
    area: Option<&str>,
) -> Result<Option<[Levels; 2]>, CliError> {
    let day = p.analysis.as_of.unwrap_or_else(Day::today);
    let spans = hidden_trend::month_spans(2, day);
    let Some(&(_, last_month)) = spans.first() else {
        return Ok(None);
    };
    let Some((first_at, records)) = trail_after(source, last_month)? else {
        return Ok(None);
    };
    let mut windows = history::by_month(records, first_at.as_deref(), &spans);
    // The project is the day's: what came after it is not taken back again.
    if let Some(last) = windows.last_mut() {
        last.clear();
    }
    let levels = if windows.iter().all(Vec::is_empty) {
        // Nothing changed in between: the day's ledgers were last month's too.
        hidden_trend::levels_at_ends(&p.dataset, &p.analysis, &p.rules, &spans)
    } else {
        let live = Live::from_parts(
            p.dataset.clone(),
            p.analysis.clone(),
            opts.substances.clone(),
            p.rules.clone(),
        );
        history::month_by_month(live, &windows, first_at.as_deref(), opts, &spans).levels
    };
    let id = area_id(p, area);
    Ok(match levels.as_slice() {
        [before, now] => Some([before.of_id(id), now.of_id(id)]),
        _ => None,
    })
}

/// The id of the area named `area` (or with that id) of `p`.
fn area_id<'a>(p: &'a Project, area: Option<&str>) -> Option<&'a str> {
    area.and_then(|a| p.dataset.area_position(a))
        .and_then(|k| p.dataset.areas.get(k))
        .map(|f| f.id.as_str())
}
