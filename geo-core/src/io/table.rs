//! CSV and spreadsheet (xlsx, xls, ods) readers.
//!
//! Both produce rows of cells with the row's position (CSV line, sheet row); the header
//! row is the first of the first ten rows in which at least two cells name a field of
//! the layer (ledgers often put a title such as "XX区企业台账" above the header), unless
//! `header_row` says which.
//!
//! [`features`] then turns the rows below the header into features, a block at a time.

use std::borrow::Cow;
use std::path::Path;

use calamine::{Data, Reader, SheetType, SheetVisible, Sheets, open_workbook_auto};

use crate::model::LayerKind;

use super::LoadError;
use super::csv_rows::CsvRows;
use super::features::{Found, PART, Pass, RawFeature};
use super::fields::{self, Slot, Value};
use super::geom::GeomInput;
pub(crate) use super::header::{Header, absent_fields, find_header};
use super::merged::{FillDown, Merge, down_blocks};
use super::plan::FileCtx;
use super::props::LayerProps;
use super::report::{FileSummary, Issue, IssueCode, Position, Severity, Sink};
use super::row_fit::{PADDED_SAID, ends_in_empty_extra, fit_record, not_a_record};
use super::sheet_rows::{self, SheetRows};

/// Rows a table reads before it looks for its header.
pub(crate) const HEAD: usize = 10;

/// A row of cells with its position.
pub(crate) type Row = (Position, Vec<Value<'static>>);

/// A table as read: the non-empty rows with their positions; those of an `.xls` or `.ods`
/// workbook all at once, a CSV file's or an `.xlsx` sheet's first ones, the rest as the
/// parts of [`features`] ask for them.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// The rows read so far and not taken.
    pub rows: Vec<Row>,
    /// The rows not read yet.
    pub(super) rest: Option<RowSource>,
    /// The encoding used (CSV), for the summary.
    pub encoding: Option<String>,
    /// The encoding's name and what decoding found line by line (CSV).
    pub decoding: Option<(&'static str, super::text::LineNotes)>,
    /// The sheet read (workbooks).
    pub sheet: Option<String>,
    /// Where a CSV file cut short breaks off (the line of the record it cuts), with what
    /// happened: the records before it were read.
    pub broken: Option<(Position, String)>,
    /// The sheets passed over before the one read, for want of a header of the layer (a
    /// cover sheet, a note).
    pub passed_sheets: Vec<String>,
    /// When no sheet has a header and the first is read: the others, tried.
    pub tried_sheets: Vec<String>,
    /// The sheets after the one read that hold a header of the layer too: not read.
    pub unread_sheets: Vec<String>,
    /// The sheet's blocks of cells merged down a column (`features` fills those of the
    /// records as it reads them).
    pub merged: Vec<Merge>,
}

impl Table {
    /// Reads rows until `n` are held or there are no more.
    pub(super) fn read_ahead(&mut self, n: usize) -> Result<(), LoadError> {
        self.read_ahead_while(|rows| rows.len() < n)
    }

    /// Reads rows until one at or past line or row `number` is held.
    fn read_ahead_to(&mut self, number: u64) -> Result<(), LoadError> {
        self.read_ahead_while(|rows| rows.last().is_none_or(|(p, _)| p.number() < number))
    }

    /// Reads rows while `more` says so of those held, or until there are no more.
    fn read_ahead_while(&mut self, more: impl Fn(&[Row]) -> bool) -> Result<(), LoadError> {
        while more(&self.rows) {
            match self.rest.as_mut().map_or(Ok(None), RowSource::next_row)? {
                Some(row) => self.rows.push(row),
                None => break,
            }
        }
        Ok(())
    }

    /// About how many rows are left, to make room for their features.
    fn rows_hint(&self) -> usize {
        self.rows.len() + self.rest.as_ref().map_or(0, RowSource::rows_left_hint)
    }
}

/// Where the rows of a table not read yet come from.
#[derive(Debug)]
pub(super) enum RowSource {
    /// A CSV file's records, parsed as they are asked for.
    Csv(CsvRows),
    /// An `.xlsx` sheet's rows, read on a thread of their own.
    Sheet(SheetRows),
}

impl RowSource {
    fn next_row(&mut self) -> Result<Option<Row>, LoadError> {
        match self {
            RowSource::Csv(c) => c.next_row(),
            RowSource::Sheet(s) => s.next_row(),
        }
    }

    fn rows_left_hint(&self) -> usize {
        match self {
            RowSource::Csv(c) => c.rows_left_hint(),
            RowSource::Sheet(s) => s.rows_left_hint(),
        }
    }

    /// A CSV file's last line when no line break ends it, once read.
    fn unended_line(&self) -> Option<u64> {
        match self {
            RowSource::Csv(c) => c.unended_line(),
            RowSource::Sheet(_) => None,
        }
    }
}

/// The rows of a table after its header, in order: those read ahead, then the rest.
struct Rows {
    ahead: std::vec::IntoIter<Row>,
    rest: Option<RowSource>,
}

impl Rows {
    fn next_row(&mut self) -> Result<Option<Row>, LoadError> {
        match self.ahead.next() {
            Some(row) => Ok(Some(row)),
            None => self.rest.as_mut().map_or(Ok(None), RowSource::next_row),
        }
    }
}

/// Reads one sheet of a workbook: the one named, else the first visible worksheet whose
/// first rows hold a header of the layer (`fits`: a cover sheet or a note before the
/// ledger is passed over), else the first. The workbook is opened once unless sheets
/// must be tried (each try opens it again, and an `.xlsx` parses its shared strings
/// again). An `.xlsx` sheet is read a part at a time ([`sheet_rows`]); an `.xls`,
/// `.xlsb` or `.ods` one whole.
pub(crate) fn read_workbook(
    path: &Path,
    sheet: Option<&str>,
    file: &str,
    fits: &dyn Fn(&Table) -> bool,
) -> Result<Table, LoadError> {
    let wb = open_book(path, file)?;
    if sheet.is_some() {
        let name = sheet_name(&wb.sheet_names(), sheet, file)?;
        return read_named(wb, name, file, true);
    }
    // The worksheets a user sees, in order (not charts, not hidden templates).
    let meta = wb.sheets_metadata();
    let mut names: Vec<String> = meta
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    if names.is_empty() {
        names = meta
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .collect();
    }
    let Some(first) = names.first().cloned() else {
        let name = sheet_name(&wb.sheet_names(), None, file)?;
        return read_named(wb, name, file, true);
    };
    if names.len() == 1 {
        return read_named(wb, first, file, true);
    }
    let mut book = Some(wb);
    let mut passed = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let wb = match book.take() {
            Some(wb) => wb,
            None => open_book(path, file)?,
        };
        let t = read_named(wb, name.clone(), file, true)?;
        if fits(&t) {
            // The sheets after it that hold a header of the layer too (a sheet per town)
            // are not read: named, for the report to say their rows are not on the map.
            let mut unread = Vec::new();
            for other in &names[k + 1..] {
                if fits(&read_named(
                    open_book(path, file)?,
                    other.clone(),
                    file,
                    false,
                )?) {
                    unread.push(other.clone());
                }
            }
            return Ok(Table {
                passed_sheets: passed,
                unread_sheets: unread,
                ..t
            });
        }
        passed.push(name.clone());
    }
    // No sheet has a header: the first, as a workbook of one sheet is read, with the
    // others named as tried.
    let mut t = read_named(open_book(path, file)?, first, file, true)?;
    t.tried_sheets = names.into_iter().skip(1).collect();
    Ok(t)
}

fn open_book(
    path: &Path,
    file: &str,
) -> Result<Sheets<std::io::BufReader<std::fs::File>>, LoadError> {
    open_workbook_auto(path).map_err(|e| LoadError::Workbook {
        file: file.to_string(),
        source: Box::new(e),
    })
}

/// Sheet `name`, with its merged blocks when `merges` (a sheet only looked at for its
/// header, a later sheet of a sheet per town, needs none: an `.xlsx` sheet's take a pass
/// over its XML of their own).
fn read_named(
    mut wb: Sheets<std::io::BufReader<std::fs::File>>,
    name: String,
    file: &str,
    merges: bool,
) -> Result<Table, LoadError> {
    let wb_err = |e: calamine::Error| LoadError::Workbook {
        file: file.to_string(),
        source: Box::new(e),
    };
    let worksheet = wb
        .sheets_metadata()
        .iter()
        .any(|s| s.name == name && s.typ == SheetType::WorkSheet);
    wb = match wb {
        Sheets::Xlsx(x) if worksheet => return sheet_rows::read_xlsx(x, name, file, merges),
        other => other,
    };
    let blocks = match &wb {
        Sheets::Xls(x) if merges => {
            down_blocks(&x.merge_cells_by_sheet_name(&name).unwrap_or_default())
        }
        _ => Vec::new(),
    };
    let range = wb.worksheet_range(&name).map_err(wb_err)?;
    let first_row = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // Keep cells at their sheet columns so that a table not starting in column A
        // still lines its header up with its values.
        let mut cells: Vec<Value<'static>> = vec![Value::Null; first_col];
        cells.extend(row.iter().map(|d| cell_value(d.clone())));
        if cells.iter().any(|c| *c != Value::Null) {
            rows.push((Position::Row(first_row + i as u64 + 1), cells));
        }
    }
    Ok(Table {
        rows,
        rest: None,
        encoding: None,
        decoding: None,
        sheet: Some(name),
        broken: None,
        passed_sheets: Vec::new(),
        tried_sheets: Vec::new(),
        unread_sheets: Vec::new(),
        merged: blocks,
    })
}

/// The sheet to read: the one named (its name trimmed if need be), else the first.
fn sheet_name(names: &[String], sheet: Option<&str>, file: &str) -> Result<String, LoadError> {
    match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s || n.trim() == s.trim())
            .cloned()
            .ok_or_else(|| LoadError::SheetNotFound {
                file: file.to_string(),
                sheet: s.to_string(),
                available: names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| LoadError::SheetNotFound {
                file: file.to_string(),
                sheet: "(the first sheet)".into(),
                available: "no sheets".into(),
            }),
    }
}

/// A cell's value (a whole range's, or one the `.xlsx` reader hands over).
pub(super) fn cell_value(d: Data) -> Value<'static> {
    match d {
        Data::Empty => Value::Null,
        Data::String(s) if s.trim().is_empty() => Value::Null,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Str(Cow::Owned(s)),
        Data::Int(i) => Value::Num(i as f64),
        Data::Float(f) => Value::Num(f),
        Data::Bool(b) => Value::Bool(b),
        Data::DateTime(dt) => Value::Str(Cow::Owned(excel_date(dt.as_f64()))),
        // An error cell (#N/A, #REF!) is kept as its text so that the field that reads it
        // reports it, rather than it silently becoming empty.
        Data::Error(e) => Value::Str(Cow::Owned(format!("{e}"))),
    }
}

/// The serial date of 9999-12-31, the last day Excel has.
const EXCEL_LAST_DAY: f64 = 2_958_465.0;

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`; a number past Excel's
/// last day (9999-12-31) or before its first as the number it is.
pub(super) fn excel_date(serial: f64) -> String {
    if !serial.is_finite() {
        return String::new();
    }
    if !(0.0..=EXCEL_LAST_DAY).contains(&serial) {
        return format!("{serial}");
    }
    let days = serial.floor() as i64 - 25_569; // serial 25569 is 1970-01-01
    // Civil-from-days for the proleptic Gregorian calendar (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Cells a part of a table's rows holds at most (a part's raw features take about 64
/// bytes a cell: 17 MB), and the fewest rows a part has.
const PART_CELLS: usize = 1 << 18;
const MIN_PART: usize = 1024;

/// Turns table rows into features: finds the header, checks the geometry and required
/// columns, and reports rows with more cells than the header.
pub(crate) fn features<P: LayerProps>(
    mut t: Table,
    header_row: Option<u32>,
    cx: &FileCtx<'_>,
    summary: &mut FileSummary,
    sink: &mut Sink,
) -> Result<Found<P>, LoadError> {
    let rel = cx.rel;
    let layer = P::KIND;
    if t.rows.is_empty() {
        return Ok(Found::with_capacity(0));
    }
    let warning = |code, field: Option<String>, position, message: String| {
        Issue::file_warning(rel, Some(layer), code, field, position, message)
    };
    if let Some(n) = header_row {
        t.read_ahead_to(u64::from(n))?;
    }
    let Some(mut header) = find_header(&t, cx.resolver, header_row) else {
        return Err(LoadError::MissingGeometryColumns {
            file: rel.into(),
            layer,
            columns: format!(
                "(no row {} to take the header from)",
                header_row.unwrap_or(1)
            ),
        });
    };
    // Renames of a column by its letter (`columns = { "F" = "ignore" }`: two columns of
    // one name, one of them hidden), where no column has that name; a rename that names
    // no column is said rather than doing nothing unseen.
    let named = |k: &str| header.names.iter().any(|n| fields::norm_key(n) == k);
    let mut by_letter = Vec::new();
    let mut unmatched = Vec::new();
    for (from, to) in cx.resolver.renames() {
        if named(from) {
            continue;
        }
        match super::table_notes::column_index(from) {
            Some(i) if t.sheet.is_some() && i < header.names.len() => {
                by_letter.push((i, to.to_string()));
            }
            _ => unmatched.push(from.to_string()),
        }
    }
    unmatched.sort();
    // (the cells are read by their column's name: an ignored column gets none, so it
    // is not read; another, the target's own name)
    for (i, to) in &by_letter {
        header.slots[*i] = cx.resolver.target(to).map(|r| r.slot);
        header.names[*i] = if header.slots[*i].is_some() {
            to.clone()
        } else {
            String::new()
        };
    }
    if header.slots.iter().all(Option::is_none) {
        return Err(unknown_header(&t, &header, cx));
    }
    let has = |s: Slot| header.slots.contains(&Some(s));
    // A hidden hazard without coordinates is drawn at its feature's place.
    if layer != LayerKind::HiddenHazards && !(has(Slot::Wkt) || (has(Slot::Lon) && has(Slot::Lat)))
    {
        return Err(LoadError::MissingGeometryColumns {
            file: rel.into(),
            layer,
            columns: header
                .names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if layer == LayerKind::Enterprises && !has(Slot::Field(fields::ent::NAME)) {
        return Err(LoadError::MissingRequiredColumn {
            file: rel.into(),
            layer,
            field: "name".into(),
            aliases: fields::ENTERPRISE_FIELDS[fields::ent::NAME]
                .aliases
                .join(", "),
        });
    }
    let header_pos = t.rows[header.top].0;
    for from in unmatched {
        sink.push(warning(
            IssueCode::ManifestInvalidValue,
            Some(from.clone()),
            Some(header_pos),
            format!(
                "columns: the file has no column {from:?}, so its rename does nothing (a \
                 workbook's column may be named by its letter, \"F\")"
            ),
        ))?;
    }
    if header.top > 0 {
        let first = t.rows[0].0;
        sink.push(warning(
            IssueCode::HeaderNotFirstRow,
            None,
            Some(header_pos),
            format!(
                "the header is on {header_pos}; the {} row(s) above it, from {first}, were taken as a title and not read",
                header.top
            ),
        ))?;
    }
    if header.two_rows() {
        let sub = t.rows[header.index].0;
        let named: Vec<&str> = header
            .names
            .iter()
            .zip(&header.slots)
            .filter(|(_, s)| s.is_some())
            .map(|(n, _)| n.as_str())
            .collect();
        sink.push(Issue {
            severity: Severity::Info,
            ..warning(
                IssueCode::TwoRowHeader,
                None,
                Some(header_pos),
                format!(
                    "the header takes two rows, {header_pos} and {sub} (group names over the names, or \
                     names over their units): read as one, the columns {}",
                    named.join(", ")
                ),
            )
        })?;
    }
    let records = super::table_notes::duplicates_and_merges(&t, &header, rel, layer, sink)?;
    let mut fill = FillDown::new(records);
    for (col, w) in &header.unit_warnings {
        sink.push(warning(
            IssueCode::InvalidValue,
            Some(col.clone()),
            Some(header_pos),
            format!("{col}: {w}"),
        ))?;
    }
    let absent = absent_fields(&header, layer);
    let name_field = match layer {
        LayerKind::HazardSources => Some(fields::haz::NAME),
        LayerKind::ProtectionTargets => Some(fields::target::NAME),
        LayerKind::Areas => Some(fields::area::NAME),
        _ => None,
    };
    if let Some(i) = name_field
        && absent.get(i).copied().unwrap_or(false)
    {
        let spec = fields::layer_fields(layer)[i];
        sink.push(warning(
            IssueCode::MissingField,
            Some(spec.key.into()),
            None,
            format!(
                "no name column ({}); every feature's id is used as its name",
                spec.aliases.join(", ")
            ),
        ))?;
    }
    if layer == LayerKind::GasPipelines
        && [fields::gas::PRESSURE_CLASS, fields::gas::DESIGN_PRESSURE]
            .iter()
            .all(|&i| absent.get(i).copied().unwrap_or(false))
    {
        sink.push(warning(
            IssueCode::MissingField,
            Some("pressure_class".into()),
            None,
            "no column for the pressure class (压力级制) or the design pressure (设计压力): \
             no pipe's clearance (GB 50028) is known, and nothing near them was checked"
                .into(),
        ))?;
    }
    // The columns that place a feature: a row with a value in one is a record, whatever
    // its first cell says.
    let geo_cols: Vec<usize> = header
        .slots
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Some(Slot::Lon | Slot::Lat | Slot::Wkt)))
        .map(|(i, _)| i)
        .collect();
    let names = header.names;
    let width = names.len();
    // The columns at the end of a header that name nothing (`a,b,c,`): a line that lacks
    // only them lacks nothing.
    let named_width = names
        .iter()
        .rposition(|n| !n.trim().is_empty())
        .map_or(0, |i| i + 1);
    let cx = FileCtx {
        absent: &absent,
        ..*cx
    };
    // Rows become features a part at a time, so that a million-row ledger never holds
    // its table cells and its features whole at once: a CSV file's rows are parsed as a
    // part asks for them, and each part's cells are freed as its features are made. A
    // part holds about `PART_CELLS` cells, however wide the table.
    // A sheet's row ends at its last cell that is not empty; a CSV record at its last
    // delimiter, and one with more cells than the header has its values shifted by a
    // stray delimiter, which a sheet's cannot ([`fit_record`]).
    let sheet = t.sheet.is_some();
    let id_col = header.slots.iter().position(|s| *s == Some(Slot::Id));
    // CSV lines refused for their number of fields: found, not read.
    let mut refused = 0u64;
    let total = t.rows_hint().saturating_sub(header.index + 1);
    let part = (PART_CELLS / width.max(1)).clamp(MIN_PART, PART);
    let mut ahead = t.rows;
    ahead.drain(..=header.index);
    // A file whose lines all end in a delimiter the header lacks (`a,b,c` over `1,2,3,`):
    // told by its first data line, one field wider with that field empty. Such a line
    // is read without it; a wider one, or one whose extra field holds a value, is not.
    let trailing_delimiter = !sheet
        && ahead
            .first()
            .is_some_and(|(_, cells)| ends_in_empty_extra(cells, width));
    // Lines padded to the header's width: the first few said each, the rest counted.
    let mut padded = 0u64;
    let mut rows = Rows {
        ahead: ahead.into_iter(),
        rest: t.rest,
    };
    // One pass over every part, so that projected coordinates are judged over the whole
    // file and the features' issues come after the rows' own, as for a file of one part.
    let mut pass = Pass::new(total);
    loop {
        let mut raws = Vec::with_capacity(part.min(total));
        while raws.len() < part {
            let Some((position, mut cells)) = rows.next_row()? else {
                break;
            };
            fill.row(position.number(), &mut cells);
            if let Some(code) = not_a_record(&cells, &geo_cols) {
                let what = if code == IssueCode::TotalsRow {
                    "a row of totals (its first cell begins or ends with 合计, 总计 or 小计)"
                } else {
                    "a note row (填表说明, 制表人, 备注…)"
                };
                sink.push(Issue {
                    severity: Severity::Info,
                    code,
                    file: rel.to_string(),
                    layer: Some(layer),
                    position: Some(position),
                    feature_id: None,
                    field: None,
                    message: format!("{what}, not a record: passed over"),
                })?;
                continue;
            }
            if sheet && cells.len() < width {
                cells.resize(width, Value::Null);
            }
            if trailing_delimiter && ends_in_empty_extra(&cells, width) {
                cells.truncate(width);
            }
            if !sheet && (named_width..width).contains(&cells.len()) {
                cells.resize(width, Value::Null);
            }
            if !sheet && cells.len() != width {
                let unended = rows.rest.as_ref().and_then(RowSource::unended_line);
                let fit = fit_record(&mut cells, width, position, unended, id_col);
                if fit.refused() {
                    sink.push(fit.issue(rel, layer))?;
                    refused += 1;
                    continue;
                }
                padded += 1;
                if padded <= PADDED_SAID {
                    sink.push(fit.issue(rel, layer))?;
                }
            }
            let mut props = Vec::with_capacity(width.min(cells.len()));
            props.extend(
                names
                    .iter()
                    .zip(cells)
                    .filter(|(n, _)| !n.is_empty())
                    .map(|(n, v)| (Cow::Borrowed(n.as_str()), v)),
            );
            raws.push(RawFeature {
                position,
                id: None,
                geom: GeomInput::Missing,
                props,
            });
        }
        let last = raws.len() < part;
        pass.feed(raws, &cx)?;
        if last {
            break;
        }
    }
    if padded > PADDED_SAID {
        sink.push(Issue {
            severity: Severity::Warning,
            code: IssueCode::ColumnCountMismatch,
            file: rel.to_string(),
            layer: Some(layer),
            position: None,
            feature_id: None,
            field: None,
            message: format!(
                "{} more lines have fewer fields than the header (the first {PADDED_SAID} \
                 are named above): their missing last fields were read as empty",
                padded - PADDED_SAID
            ),
        })?;
    }
    let found = pass.finish(&cx, summary, sink)?;
    summary.features_read += refused;
    Ok(found)
}

/// Header names shown when none is known.
const SHOWN_NAMES: usize = 5;

/// A header of which no column is known: one error for the file rather than one for each
/// row, with the first names, and for a text file the encoding it was read in, as a
/// header read in the wrong encoding (GBK read as Latin-1 and saved again as UTF-8) is
/// the most common cause.
fn unknown_header(t: &Table, header: &Header, cx: &FileCtx<'_>) -> LoadError {
    let named: Vec<&String> = header.names.iter().filter(|n| !n.is_empty()).collect();
    let mut columns = named
        .iter()
        .take(SHOWN_NAMES)
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if named.len() > SHOWN_NAMES {
        columns += &format!(", … ({} names)", named.len());
    }
    let hint = match &t.encoding {
        Some(encoding) => format!(
            "The file was read as {encoding}: if these names are garbled, that encoding is \
             wrong; give the right one in riskmap.toml (encoding = \"gbk\"). Else map the \
             columns there (columns = {{ \"列名\" = \"id\" }})"
        ),
        None if !t.tried_sheets.is_empty() => format!(
            "No sheet of the workbook holds a header of this layer: sheet \"{}\" was read, \
             and \"{}\" tried. Map the columns in riskmap.toml (columns = {{ \"列名\" = \
             \"id\" }}), or give sheet and header_row",
            t.sheet.as_deref().unwrap_or_default(),
            t.tried_sheets.join("\", \"")
        ),
        None => "Map the columns in riskmap.toml (columns = { \"列名\" = \"id\" }), or \
                 give header_row if the header is on another row"
            .to_string(),
    };
    LoadError::UnknownHeader {
        file: cx.rel.to_string(),
        position: t.rows[header.top].0,
        layer: cx.layer,
        columns,
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::super::csv_rows::read_csv;
    use super::super::fields::Resolver;
    use super::*;

    #[test]
    fn excel_dates() {
        assert_eq!(excel_date(25_569.0), "1970-01-01");
        assert_eq!(excel_date(38_504.5), "2005-06-01");
        assert_eq!(excel_date(61.0), "1900-03-01");
        // Past Excel's last day: the number, not a date.
        assert_eq!(excel_date(2_958_465.0), "9999-12-31");
        assert_eq!(excel_date(1e19), "10000000000000000000");
    }

    #[test]
    fn csv_positions_are_lines_and_a_title_row_is_passed_over() {
        let text = "某区企业台账,,\n名称,经度,纬度\n\"甲\n公司\",121.1,31.9\n,,\n乙,121.2,31.8\n";
        let t = read_csv(text.as_bytes().to_vec(), None, "t.csv").expect("reads");
        let lines: Vec<u64> = t.rows.iter().map(|(p, _)| p.number()).collect();
        assert_eq!(lines, vec![1, 2, 3, 6]);
        let r = Resolver::new(LayerKind::Enterprises, &[]);
        let h = find_header(&t, &r, None).expect("header");
        assert_eq!(h.index, 1);
        assert_eq!(
            h.slots,
            vec![Some(Slot::Field(0)), Some(Slot::Lon), Some(Slot::Lat)]
        );
        let h = find_header(&t, &r, Some(2)).expect("header");
        assert_eq!(h.index, 1);
        assert!(matches!(
            read_csv(
                b"a,b\n1,2\n\"unterminated,1\n3,4\n".to_vec(),
                None,
                "bad.csv"
            ),
            Err(LoadError::CsvQuote { line: 3, .. })
        ));
    }
}
