//! `riskmap validate`: load and report; exit 3 if anything was skipped.

use std::fs;
use std::path::Path;

use super::{CliError, load, write_err};
use crate::args::LoadArgs;
use crate::progress::Ui;

/// `riskmap validate`.
pub fn validate(ui: &Ui, args: &LoadArgs, report_path: Option<&Path>) -> Result<(), CliError> {
    let (_, report) = load(ui, args)?;
    if let Some(p) = report_path {
        let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
        fs::write(p, json).map_err(write_err(p))?;
    }
    if !ui_is_quiet(ui) {
        // Told before the skipped lines are judged: a reader gone (`| head`) does not
        // make a failing validation pass.
        match super::out(format_args!("{}\n", report.to_markdown())) {
            Ok(()) | Err(CliError::StdoutClosed) => {}
            Err(e) => return Err(e),
        }
    }
    if report.skipped_count() > 0 {
        return Err(CliError::DataProblems(format!(
            "{} features or files were skipped (see the report)",
            report.skipped_count()
        )));
    }
    Ok(())
}

fn ui_is_quiet(ui: &Ui) -> bool {
    ui.is_quiet()
}
