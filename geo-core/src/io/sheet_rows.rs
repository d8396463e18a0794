//! An `.xlsx` sheet read a part at a time: calamine's cell reader runs on a thread of its
//! own and hands the rows over as it reads them, so that the sheet is never held whole,
//! only the workbook's shared strings (a million-row ledger's cells, read as one range,
//! take several times the file).

use std::io::{Read, Seek};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Data, Xlsx, XlsxError};

use super::LoadError;
use super::fields::Value;
use super::merged::down_blocks;
use super::report::Position;
use super::table::{HEAD, Row, RowSource, Table, cell_value};

/// Rows the reading thread hands over at a time (one such part waits in the channel).
const SHEET_PART: usize = 4096;

/// What the reading thread sends: rows, then the end or the error that stopped it (a
/// thread that stops without either has panicked).
enum Msg {
    Rows(Vec<Row>),
    End,
    Failed(XlsxError),
}

/// The rows of a sheet not taken yet.
pub(crate) struct SheetRows {
    rx: Receiver<Msg>,
    part: std::vec::IntoIter<Row>,
    file: String,
    /// About as many rows as the sheet holds (its dimension, if it has one), and those
    /// taken.
    rows: usize,
    taken: usize,
    ended: bool,
}

impl std::fmt::Debug for SheetRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheetRows")
            .field("file", &self.file)
            .field("rows", &self.rows)
            .field("taken", &self.taken)
            .finish_non_exhaustive()
    }
}

impl SheetRows {
    /// The next row with a cell that is not empty, with its sheet row.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row>, LoadError> {
        loop {
            if let Some(row) = self.part.next() {
                self.taken += 1;
                return Ok(Some(row));
            }
            if self.ended {
                return Ok(None);
            }
            let failed = |source| LoadError::Workbook {
                file: self.file.clone(),
                source: Box::new(source),
            };
            match self.rx.recv() {
                Ok(Msg::Rows(rows)) => self.part = rows.into_iter(),
                Ok(Msg::End) => self.ended = true,
                Ok(Msg::Failed(e)) => return Err(failed(calamine::Error::Xlsx(e))),
                Err(_) => {
                    return Err(failed(calamine::Error::Msg(
                        "the sheet's reader stopped before the sheet's end",
                    )));
                }
            }
        }
    }

    /// About as many rows as are left (from the sheet's dimension, when it has a true
    /// one).
    pub(crate) fn rows_left_hint(&self) -> usize {
        self.rows.saturating_sub(self.taken)
    }
}

/// Reads sheet `name` of `wb`: its merged blocks first when `merges`, the first rows (for
/// the header), the rest on a thread of its own as [`SheetRows::next_row`] takes them.
pub(super) fn read_xlsx<R: Read + Seek + Send + 'static>(
    mut wb: Xlsx<R>,
    name: String,
    file: &str,
    merges: bool,
) -> Result<Table, LoadError> {
    let (tx, rx) = sync_channel(1);
    let (dims_tx, dims_rx) = sync_channel(1);
    let sheet = name.clone();
    // (a pass over the sheet's XML of its own: the merged cells are listed after its rows)
    let blocks = if merges {
        down_blocks(&wb.merge_cells_by_sheet_name(&name).unwrap_or_default())
    } else {
        Vec::new()
    };
    std::thread::Builder::new()
        .name("riskmap-sheet".into())
        .spawn(move || read_cells(wb, &sheet, &tx, &dims_tx))
        .map_err(|e| LoadError::Io {
            file: file.to_string(),
            source: e,
        })?;
    let rows = dims_rx.recv().unwrap_or(0);
    let mut t = Table {
        rows: Vec::new(),
        rest: Some(RowSource::Sheet(SheetRows {
            rx,
            part: Vec::new().into_iter(),
            file: file.to_string(),
            rows,
            taken: 0,
            ended: false,
        })),
        encoding: None,
        decoding: None,
        sheet: Some(name),
        broken: None,
        passed_sheets: Vec::new(),
        tried_sheets: Vec::new(),
        unread_sheets: Vec::new(),
        merged: blocks,
    };
    t.read_ahead(HEAD)?;
    Ok(t)
}

/// The reading thread: sends the sheet's rows by its dimension, then its rows a part
/// at a time, each row's cells at their columns from column A up to its last cell that is
/// not empty (`table::features` pads a row to its header); stops when the sheet ends, it
/// fails, or nobody takes the rows any more.
fn read_cells<R: Read + Seek>(
    mut wb: Xlsx<R>,
    name: &str,
    tx: &SyncSender<Msg>,
    dims: &SyncSender<usize>,
) {
    let mut cells = match wb.worksheet_cells_reader(name) {
        Ok(c) => c,
        Err(e) => {
            let _ = dims.send(0);
            let _ = tx.send(Msg::Failed(e));
            return;
        }
    };
    let d = cells.dimensions();
    let _ = dims.send(d.end.0.saturating_sub(d.start.0) as usize + 1);
    let mut part = Vec::with_capacity(SHEET_PART);
    let mut row: Option<(u32, Vec<Value<'static>>)> = None;
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                if row.as_ref().is_none_or(|(at, _)| *at != r) {
                    if let Some(done) = row.take() {
                        keep(&mut part, done);
                    }
                    if part.len() >= SHEET_PART
                        && tx
                            .send(Msg::Rows(std::mem::replace(
                                &mut part,
                                Vec::with_capacity(SHEET_PART),
                            )))
                            .is_err()
                    {
                        return;
                    }
                    row = Some((r, Vec::new()));
                }
                let value = cell_value(Data::from(cell.get_value().clone()));
                if let Some((_, v)) = row.as_mut()
                    && value != Value::Null
                {
                    let c = c as usize;
                    if v.len() <= c {
                        v.resize(c + 1, Value::Null);
                    }
                    v[c] = value;
                }
            }
            Ok(None) => {
                if let Some(done) = row.take() {
                    keep(&mut part, done);
                }
                if tx.send(Msg::Rows(part)).is_ok() {
                    let _ = tx.send(Msg::End);
                }
                return;
            }
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        }
    }
}

/// A row kept when a cell is not empty.
fn keep(part: &mut Vec<Row>, (r, cells): (u32, Vec<Value<'static>>)) {
    if !cells.is_empty() {
        part.push((Position::Row(u64::from(r) + 1), cells));
    }
}
