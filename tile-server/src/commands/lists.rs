//! `riskmap lists`: the risk list and the hidden-hazard list (一图两单), as workbooks and
//! CSV, for the district or one town.

use riskmap_core::lists::{self, CsvEncoding};

use super::output::{Destination, RunRecord};
use super::{CliError, prepare};
use crate::args::ListsArgs;
use crate::progress::Ui;

/// `riskmap lists`.
pub fn lists(ui: &Ui, args: &ListsArgs) -> Result<(), CliError> {
    let encoding = match args.csv_encoding.as_str() {
        "gbk" => CsvEncoding::Gbk,
        _ => CsvEncoding::Utf8Bom,
    };
    let run = RunRecord::start("lists");
    let dest = Destination::check(&args.out)?;
    let p = prepare(ui, &args.load)?;
    let area = args.area.as_deref();
    let step = ui.step("writing the lists");
    let made = [
        lists::risk_list(&p.dataset, &p.analysis, area)?,
        lists::hidden_list(&p.dataset, &p.analysis, area)?,
    ];
    let staging = dest.stage()?;
    let mut counts = Vec::new();
    for l in &made {
        lists::write_xlsx(l, &staging.dir().join(format!("{}.xlsx", l.title)))?;
        lists::write_csv(l, &staging.dir().join(format!("{}.csv", l.title)), encoding)?;
        counts.push(format!("{} {} rows", l.title, l.rows.len()));
    }
    let load = &args.load;
    run.write(
        &staging,
        &super::source(load)?,
        load.rules.as_deref(),
        &p.rules,
        &p.report,
    )?;
    staging.commit()?;
    step.done(&format!(
        "{} (hidden hazards as of {}{})",
        counts.join(", "),
        p.rules.hidden_hazards.day(),
        area.map(|a| format!(", {a} only")).unwrap_or_default()
    ));
    ui.say(&format!("written to {}", args.out.display()));
    Ok(())
}
