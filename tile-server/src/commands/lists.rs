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
    let t0 = std::time::Instant::now();
    // The two lists, then the four files, side by side: a city's lists are hundreds of
    // thousands of rows and each file is written by one thread.
    let (risk, hidden) = std::thread::scope(|s| {
        let risk = s.spawn(|| lists::risk_list(&p.dataset, &p.analysis, area));
        let hidden = lists::hidden_list(&p.dataset, &p.analysis, area);
        (risk.join(), hidden)
    });
    // A panic on a thread is a bug: it goes on as one.
    let risk = risk.unwrap_or_else(|e| std::panic::resume_unwind(e))?;
    let mut made = [risk, hidden?];
    let left_out = p.report.left_out_zh();
    // What the day leaves out of the hidden hazards: said even when quiet, as a ledger
    // not read is.
    for n in &made[1].notes {
        eprintln!("warning: {}: {n}", made[1].title);
    }
    for l in &mut made {
        l.note_first(&left_out);
    }
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "lists: rows made");
    let staging = dest.stage()?;
    let t1 = std::time::Instant::now();
    let dir = staging.dir();
    // Each list's characters its GBK CSV could not hold (written `?`).
    type Written = Result<Vec<lists::Replaced>, lists::ListError>;
    let written: Vec<(&lists::List, Written)> = std::thread::scope(|s| {
        let jobs: Vec<_> = made
            .iter()
            .flat_map(|l| {
                let xlsx = dir.join(format!("{}.xlsx", l.title));
                let csv = dir.join(format!("{}.csv", l.title));
                [
                    (
                        l,
                        s.spawn(move || lists::write_xlsx(l, &xlsx).map(|()| Vec::new())),
                    ),
                    (l, s.spawn(move || lists::write_csv(l, &csv, encoding))),
                ]
            })
            .collect();
        jobs.into_iter()
            .map(|(l, j)| (l, j.join().unwrap_or_else(|e| std::panic::resume_unwind(e))))
            .collect()
    });
    // A character written `?`: the CSV differs from the data. Said even when quiet.
    for (l, w) in written {
        for r in w? {
            eprintln!("{}", not_gbk(l, &r));
        }
    }
    tracing::debug!(ms = t1.elapsed().as_millis() as u64, "lists: files written");
    let counts: Vec<String> = made
        .iter()
        .map(|l| format!("{} {} rows", l.title, l.rows.len()))
        .collect();
    step.done(&format!(
        "{} (hidden hazards as of {}{})",
        counts.join(", "),
        p.rules.hidden_hazards.day(),
        area.map(|a| format!(", {a} only")).unwrap_or_default()
    ));
    // The run's record hashes every input file (hundreds of MB for a city): a step of its
    // own after the lists.
    let record = ui.step("recording the run (run.json)");
    run.write_loaded(&staging, &args.load, &p)?;
    staging.commit()?;
    record.done("inputs hashed");
    ui.say(&format!("written to {}", args.out.display()));
    Ok(())
}

/// The warning for a character a GBK list could not hold: the list, the row with its
/// id, the character.
fn not_gbk(l: &lists::List, r: &lists::Replaced) -> String {
    let id = l
        .columns
        .iter()
        .find(|c| matches!(c.header, "隐患编号" | "编号"))
        .map(|c| format!(" ({} {})", c.header, r.id))
        .unwrap_or_default();
    format!(
        "warning: {t}.csv, row {row}{id}: {ch} (U+{code:04X}) is not in GBK, written as ?; \
         {t}.xlsx keeps it",
        t = l.title,
        row = r.row,
        ch = r.ch,
        code = u32::from(r.ch)
    )
}
