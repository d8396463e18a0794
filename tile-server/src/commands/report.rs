//! `riskmap report`: the report of a town or the district, one HTML page set for A4.

use riskmap_core::model::Day;
use riskmap_core::report::area_report_with_levels;

use super::{CliError, prepare};
use crate::args::ReportArgs;
use crate::progress::Ui;

/// `riskmap report`.
pub fn report(ui: &Ui, args: &ReportArgs) -> Result<(), CliError> {
    super::out_file(&args.out, "the report", &["html", "htm"])?;
    let p = prepare(ui, &args.load)?;
    let step = ui.step("writing the report");
    // From a store, last month's levels as its ledgers stood then.
    let levels = super::past_day::report_levels(
        &super::source(&args.load)?,
        &p,
        &super::load_options(&args.load)?,
        args.area.as_deref(),
    )?;
    let html = area_report_with_levels(
        &p.dataset,
        &p.analysis,
        &p.rules,
        args.area.as_deref(),
        Day::today(),
        levels,
        &p.report.left_out_zh(),
    )?;
    // Whole or not at all: written beside the target, then renamed over it.
    let out = &args.out;
    let tmp = out.with_extension("html.part");
    std::fs::write(&tmp, html.as_bytes()).map_err(|source| CliError::Write {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, out).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Write {
            path: out.clone(),
            source,
        }
    })?;
    step.done(&format!(
        "{} (as of {})",
        args.area.as_deref().unwrap_or("the district"),
        p.rules.hidden_hazards.day()
    ));
    ui.say(&format!("written to {}", out.display()));
    Ok(())
}
