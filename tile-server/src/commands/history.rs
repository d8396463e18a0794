//! `riskmap history SOURCE.gpkg | --db URL`: who changed what, and when, from the
//! store's trail.

use std::io::Write;

use riskmap_core::model::LayerKind;
use riskmap_core::store::changes::{ChangeOp, ChangeQuery, ChangeRecord};
use riskmap_core::store::{gpkg, pg};
use serde_json::Value;

use super::CliError;
use super::db::with_db;
use crate::args::HistoryArgs;

/// How many records are read from the store at a time: an import of a million houses
/// leaves a million records, each with its features in full, which are listed a page at
/// a time rather than read whole first.
const PAGE: usize = 2_000;

/// Lists the change records of a GeoPackage or a PostGIS database (the same records,
/// `before` and `after` as GeoJSON Features), filtered by sequence, layer and id: a
/// table (sequence, time, actor, operation, layer, id, what changed) or, with `--json`,
/// the records in full. Read and written a page at a time; a reader that stops early
/// (`| head`) ends the listing without an error.
pub fn history(args: &HistoryArgs) -> Result<(), CliError> {
    let layer = match &args.layer {
        Some(l) => Some(
            LayerKind::parse(l)
                .ok_or_else(|| CliError::Usage(format!("unknown input layer {l:?}")))?
                .name(),
        ),
        None => None,
    };
    // Filtered by the store (its index on layer and id): one house's history is not a
    // read of the million records of an import.
    let mut q = ChangeQuery {
        since: args.since,
        layer: layer.map(str::to_string),
        id: args.id.clone(),
        limit: Some(PAGE),
    };
    let stdout = std::io::stdout();
    let mut out = Listing::new(stdout.lock(), args.json);
    match (&args.db, &args.source) {
        (Some(url), _) => with_db(url, |client, db| async move {
            loop {
                let page = pg::changes_page(&client, &db, &q).await?;
                if !out.page(&page)? || page.len() < PAGE {
                    return out.finish();
                }
                q.since = page.last().map_or(q.since, |r| r.seq);
            }
        }),
        (None, Some(path)) => loop {
            let page = gpkg::changes_page(path, &q)?;
            if !out.page(&page)? || page.len() < PAGE {
                return out.finish();
            }
            q.since = page.last().map_or(q.since, |r| r.seq);
        },
        (None, None) => Err(CliError::Usage(
            "history: give the GeoPackage, or --db URL".into(),
        )),
    }
}

/// The listing as it is written, a page at a time: a table whose columns grow with a later
/// page's longer values, or one JSON array.
struct Listing<W: Write> {
    out: W,
    json: bool,
    /// The table's column widths so far.
    widths: [usize; 7],
    written: usize,
    /// The reader has gone (a closed pipe): nothing more is written.
    closed: bool,
}

const HEAD: [&str; 7] = ["seq", "at", "actor", "op", "layer", "id", "changes"];

impl<W: Write> Listing<W> {
    fn new(out: W, json: bool) -> Self {
        Listing {
            out,
            json,
            widths: HEAD.map(|h| h.chars().count()),
            written: 0,
            closed: false,
        }
    }

    /// Writes a page; `false` once the reader has gone.
    fn page(&mut self, records: &[ChangeRecord]) -> Result<bool, CliError> {
        let r = if self.json {
            self.json_page(records)
        } else {
            self.table_page(records)
        };
        self.written += records.len();
        self.done(r)
    }

    /// The end: `no changes` (or `[]`) when there were none, else the array's close.
    fn finish(mut self) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        let r = match (self.json, self.written) {
            (true, 0) => writeln!(self.out, "[]"),
            (true, _) => writeln!(self.out, "\n]"),
            (false, 0) => writeln!(self.out, "no changes"),
            (false, _) => Ok(()),
        }
        .and_then(|()| self.out.flush());
        self.done(r).map(|_| ())
    }

    /// A closed pipe ends the listing quietly; any other failure to write is an error.
    fn done(&mut self, r: std::io::Result<()>) -> Result<bool, CliError> {
        match r {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(false)
            }
            Err(e) => Err(CliError::Usage(format!("cannot write the listing: {e}"))),
        }
    }

    /// The records as the elements of one pretty-printed array, written as they come.
    fn json_page(&mut self, records: &[ChangeRecord]) -> std::io::Result<()> {
        for (i, r) in records.iter().enumerate() {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("changed".into(), r.changed_fields().into());
            }
            let text = serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?;
            let sep = if self.written + i == 0 { "[\n" } else { ",\n" };
            self.out.write_all(sep.as_bytes())?;
            for (j, line) in text.lines().enumerate() {
                if j > 0 {
                    self.out.write_all(b"\n")?;
                }
                write!(self.out, "  {line}")?;
            }
        }
        Ok(())
    }

    fn table_page(&mut self, records: &[ChangeRecord]) -> std::io::Result<()> {
        let rows: Vec<[String; 7]> = records
            .iter()
            .map(|r| {
                [
                    r.seq.to_string(),
                    r.at.clone(),
                    r.actor.clone(),
                    r.op.as_str().to_string(),
                    r.layer.clone(),
                    r.id.clone(),
                    what_changed(r),
                ]
            })
            .collect();
        for row in &rows {
            for (w, c) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        // The head over the first page's rows (`written` counts the pages before).
        if self.written == 0 {
            writeln!(self.out, "{}", line(&HEAD, self.widths))?;
        }
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            writeln!(self.out, "{}", line(&cells, self.widths))?;
        }
        Ok(())
    }
}

/// One row of the table: every cell but the last padded to its column's width.
fn line(cells: &[&str], widths: [usize; 7]) -> String {
    let n = cells.len();
    cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (c, w))| {
            if i + 1 == n {
                c.to_string()
            } else {
                format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count())))
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// The fields that changed: `field: old → new` for an update (`geometry` alone, its
/// coordinates being too long to show), the fields given for an insert or a delete.
fn what_changed(r: &ChangeRecord) -> String {
    let fields = r.changed_fields();
    match r.op {
        ChangeOp::Insert | ChangeOp::Delete => fields.join(", "),
        ChangeOp::Update => fields
            .iter()
            .map(|f| {
                if f == "geometry" {
                    return "geometry".to_string();
                }
                let get = |side: &Option<Value>| {
                    side.as_ref()
                        .and_then(|v| v.get("properties"))
                        .and_then(|p| p.get(f))
                        .map_or_else(|| "null".to_string(), show)
                };
                format!("{f}: {} → {}", get(&r.before), get(&r.after))
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A value as a person reads it: text without quotes, shortened past 40 characters.
fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}
