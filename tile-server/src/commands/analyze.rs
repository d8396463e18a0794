//! `riskmap analyze`: every layer and result as GeoJSON, the summaries and the report.

use std::fs;
use std::path::Path;

use riskmap_core::export::Filter;
use riskmap_core::io::ValidationReport;
use riskmap_core::model::LayerKind;
use riskmap_core::project::SourceKind;
use riskmap_core::store::{pg, results};

use super::output::{Destination, RunRecord};
use super::{CliError, Source, db, prepare, source, write_err, write_layers};
use crate::args::AnalyzeArgs;
use crate::progress::Ui;

/// `riskmap analyze`: writes into a staging directory beside `out` and moves it into place
/// when every file is written (see `output.rs`); with `--write-results`, then writes the
/// results into the source store (a GeoPackage or a PostGIS database).
pub fn analyze(ui: &Ui, a: &AnalyzeArgs) -> Result<(), CliError> {
    let (args, out, summary_only) = (&a.load, a.out.as_path(), a.summary_only);
    let source = source(args)?;
    let is_store = match &source {
        Source::Path(p) => SourceKind::of(p)? == SourceKind::GeoPackage,
        Source::Db(_) => true,
    };
    if a.write_results && !is_store {
        let name = source.name();
        return Err(CliError::Usage(format!(
            "--write-results: {} is not a GeoPackage or a database; results are written \
             beside the ledgers they were computed from: import the folder first (riskmap \
             import {} --into FILE.gpkg, or --db URL), then analyse FILE.gpkg (or --db URL) \
             --write-results",
            name.display(),
            name.display()
        )));
    }
    let run = RunRecord::start("analyze");
    let dest = Destination::check(out)?;
    let p = prepare(ui, args)?;
    let staging = dest.stage()?;
    let dir = staging.dir();
    let summary = write_files(ui, dir, &p, summary_only)?;
    run.write(
        &staging,
        &source,
        args.rules.as_deref(),
        &p.rules,
        &p.report,
    )?;
    staging.commit()?;
    print_summary(ui, &summary);
    ui.say(&format!("results in {}", out.display()));
    if a.write_results {
        let step = ui.step(&format!("writing results into {}", source.name().display()));
        let tables = match &source {
            Source::Path(gpkg) => results::write_results(gpkg, &p.dataset, &p.analysis)?,
            Source::Db(url) => db::with_db(url, |mut client, db| async move {
                Ok(pg::write_results(&mut client, &db, &p.dataset, &p.analysis).await?)
            })?,
        };
        let list = tables
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        step.done(&list);
    }
    Ok(())
}

fn write_files(
    ui: &Ui,
    out: &Path,
    p: &riskmap_core::project::Project,
    summary_only: bool,
) -> Result<serde_json::Value, CliError> {
    if !summary_only {
        let layers: Vec<LayerKind> = LayerKind::all().collect();
        write_layers(ui, out, p, &layers, &Filter::default())?;
    }
    let summary = p.summary();
    let path = out.join("summary.json");
    fs::write(
        &path,
        serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )
    .map_err(write_err(&path))?;
    let path = out.join("area_summaries.json");
    fs::write(
        &path,
        serde_json::to_string_pretty(&p.analysis.area_summaries).unwrap_or_default(),
    )
    .map_err(write_err(&path))?;
    let hidden =
        riskmap_core::analysis::hidden_hazards::by_area(&p.dataset, &p.analysis.hidden_states);
    if !hidden.is_empty() {
        let path = out.join("hidden_hazards_by_area.json");
        let doc = serde_json::json!({
            "as_of": p.analysis.as_of.map(|d| d.to_string()),
            "areas": hidden,
        });
        fs::write(
            &path,
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        )
        .map_err(write_err(&path))?;
    }
    write_report(out, &p.report)?;
    Ok(summary)
}

fn print_summary(ui: &Ui, s: &serde_json::Value) {
    let lv = |v: &serde_json::Value| {
        format!(
            "red {} / orange {} / yellow {} / blue {}",
            v["major"], v["significant"], v["general"], v["low"]
        )
    };
    ui.say(&format!(
        "hazard sources: {} major (一级 {} 二级 {} 三级 {} 四级 {}), {} below threshold, {} declared grades differ",
        s["hazard_sources"]["major"],
        s["hazard_sources"]["by_grade"]["1"],
        s["hazard_sources"]["by_grade"]["2"],
        s["hazard_sources"]["by_grade"]["3"],
        s["hazard_sources"]["by_grade"]["4"],
        s["hazard_sources"]["below_threshold"],
        s["hazard_sources"]["declared_mismatch"],
    ));
    ui.say(&format!(
        "enterprises: {}",
        lv(&s["enterprises"]["by_level"])
    ));
    ui.say(&format!("houses: {}", lv(&s["houses"]["by_level"])));
    ui.say(&format!(
        "protection-distance conflicts: {} ({} with protection targets, {} with houses)",
        s["protection_conflicts"]["total"],
        s["protection_conflicts"]["with_protection_targets"],
        s["protection_conflicts"]["with_houses"]
    ));
    let unchecked = s["pipeline_conflicts"]["pipes_not_checked"]
        .as_u64()
        .unwrap_or(0);
    ui.say(&format!(
        "gas-pipeline conflicts: {} occupation (违章占压), {} too close{}",
        s["pipeline_conflicts"]["occupation"],
        s["pipeline_conflicts"]["too_close"],
        if unchecked > 0 {
            format!(
                "; {unchecked} pipes not checked (neither a pressure class nor a design \
                 pressure: see the validation report)"
            )
        } else {
            String::new()
        }
    ));
    ui.say(&format!("risk grid: {}", lv(&s["risk_grid"]["by_level"])));
}

fn write_report(out: &Path, report: &ValidationReport) -> Result<(), CliError> {
    let p = out.join("validation_report.json");
    let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
    fs::write(&p, json).map_err(write_err(&p))?;
    let p = out.join("validation_report.md");
    fs::write(&p, report.to_markdown()).map_err(write_err(&p))?;
    Ok(())
}
