//! CSV and spreadsheet (xlsx, xls, ods) readers.
//!
//! Both produce rows of cells with the row's position (CSV line, sheet row); the header
//! row is the first of the first ten rows in which at least two cells name a field of
//! the layer (ledgers often put a title such as "XX区企业台账" above the header), unless
//! `header_row` says which.
//!
//! [`features`] then turns the rows below the header into features, a block at a time.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::model::LayerKind;

use super::LoadError;
use super::features::{Found, PART, RawFeature, process};
use super::fields::{self, Resolver, Slot, Value};
use super::geom::GeomInput;
use super::plan::FileCtx;
use super::props::LayerProps;
use super::report::{FileStatus, FileSummary, Issue, IssueCode, Position, Sink};
use super::text;

/// A table as read: every non-empty row with its position.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub rows: Vec<(Position, Vec<Value<'static>>)>,
    /// The encoding used (CSV), for the summary.
    pub encoding: Option<String>,
    pub decoding_errors: bool,
    /// The sheet read (workbooks).
    pub sheet: Option<String>,
    /// Where a CSV file cut short breaks off (the line of the record it cuts), with what
    /// happened: the records before it were read.
    pub broken: Option<(Position, String)>,
}

/// Reads a CSV file, decoding it first (see [`text::decode`]).
pub(crate) fn read_csv(
    bytes: &[u8],
    forced: Option<(&'static encoding_rs::Encoding, &'static str)>,
    file: &str,
) -> Result<Table, LoadError> {
    let decoded = text::decode(bytes, forced);
    let encoding = Some(decoded.describe());
    let decoding_errors = decoded.had_errors;
    let text = decoded.text;
    let delimiter = sniff_delimiter(&text);
    let mut broken = None;
    let mut text: &str = &text;
    if let Some(open) = unterminated_quote(text, delimiter) {
        if !open.cut_short {
            return Err(LoadError::CsvQuote {
                file: file.to_string(),
                line: open.line,
            });
        }
        // A quoted value that breaks off on the file's last line: the file was cut short
        // there. The records before that one are whole; keep them.
        broken = Some((
            Position::Line(open.record_line),
            format!(
                "the file breaks off inside a quoted value opened on line {}: the records \
                 before line {} were read, the rest of the file is missing",
                open.line, open.record_line
            ),
        ));
        text = &text[..open.record_start];
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let cells: Vec<Value<'static>> = record
                    .iter()
                    .map(|c| {
                        if c.trim().is_empty() {
                            Value::Null
                        } else {
                            Value::Str(Cow::Owned(c.to_string()))
                        }
                    })
                    .collect();
                if cells.iter().any(|c| *c != Value::Null) {
                    rows.push((Position::Line(line), cells));
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(LoadError::Csv {
                    file: file.to_string(),
                    line,
                    source: e,
                });
            }
        }
    }
    Ok(Table {
        rows,
        encoding,
        decoding_errors,
        sheet: None,
        broken,
    })
}

/// A quoted field that never closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unclosed {
    /// The line the quote opens on.
    line: u64,
    /// The line and the byte where the record holding it starts.
    record_line: u64,
    record_start: usize,
    /// No line break follows the opening quote: the file was cut on that line.
    cut_short: bool,
}

/// The quoted field that opens and never closes, if any. The `csv` parser would read
/// such a field to the end of the file, swallowing every later row. Quotes are read as
/// the parser reads them (RFC 4180): a quote opens a quoted field only as the first
/// character of a field; inside one, `""` is an escaped quote and a lone `"` closes it;
/// elsewhere a quote is text, such as the seconds mark of `121°10'12"`.
fn unterminated_quote(text: &str, delimiter: u8) -> Option<Unclosed> {
    let b = text.as_bytes();
    let (mut i, mut line, mut field_start) = (0usize, 1u64, true);
    let (mut record_start, mut record_line) = (0usize, 1u64);
    while let Some(&c) = b.get(i) {
        if field_start && c == b'"' {
            let open = line;
            i += 1;
            loop {
                match b.get(i) {
                    None => {
                        return Some(Unclosed {
                            line: open,
                            record_line,
                            record_start,
                            cut_short: line == open,
                        });
                    }
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            field_start = false;
            continue;
        }
        if c == delimiter || c == b'\n' {
            field_start = true;
            if c == b'\n' {
                line += 1;
                record_start = i + 1;
                record_line = line;
            }
        } else if c != b'\r' {
            field_start = false;
        }
        i += 1;
    }
    None
}

/// The delimiter: comma, tab, semicolon or `|`, whichever occurs (outside quotes) on the
/// most of the first ten non-empty lines, then the most often. A title row above the
/// header ("XX区自建房台账") has no delimiter and does not decide.
fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];
    let mut lines_with = [0usize; 4];
    let mut total = [0usize; 4];
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(10) {
        let mut quoted = false;
        let mut here = [0usize; 4];
        for b in line.bytes() {
            if b == b'"' {
                quoted = !quoted;
            } else if !quoted && let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
                here[k] += 1;
            }
        }
        for k in 0..4 {
            lines_with[k] += usize::from(here[k] > 0);
            total[k] += here[k];
        }
    }
    (0..4)
        .filter(|&k| total[k] > 0)
        .max_by_key(|&k| (lines_with[k], total[k], std::cmp::Reverse(k)))
        .map_or(b',', |k| CANDIDATES[k])
}

/// Reads one sheet of a workbook: the one named, else the first.
pub(crate) fn read_workbook(
    path: &Path,
    sheet: Option<&str>,
    file: &str,
) -> Result<Table, LoadError> {
    let mut wb = open_workbook_auto(path).map_err(|e| LoadError::Workbook {
        file: file.to_string(),
        source: Box::new(e),
    })?;
    let names = wb.sheet_names();
    let name = match sheet {
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
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| LoadError::SheetNotFound {
                file: file.to_string(),
                sheet: "(the first sheet)".into(),
                available: "no sheets".into(),
            })?,
    };
    let range = wb.worksheet_range(&name).map_err(|e| LoadError::Workbook {
        file: file.to_string(),
        source: Box::new(e),
    })?;
    let first_row = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // Keep cells at their sheet columns so that a table not starting in column A
        // still lines its header up with its values.
        let mut cells: Vec<Value<'static>> = vec![Value::Null; first_col];
        cells.extend(row.iter().map(cell_value));
        if cells.iter().any(|c| *c != Value::Null) {
            rows.push((Position::Row(first_row + i as u64 + 1), cells));
        }
    }
    Ok(Table {
        rows,
        encoding: None,
        decoding_errors: false,
        sheet: Some(name),
        broken: None,
    })
}

fn cell_value(d: &Data) -> Value<'static> {
    match d {
        Data::Empty => Value::Null,
        Data::String(s) if s.trim().is_empty() => Value::Null,
        Data::String(s) => Value::Str(Cow::Owned(s.clone())),
        Data::Int(i) => Value::Num(*i as f64),
        Data::Float(f) => Value::Num(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => Value::Str(Cow::Owned(excel_date(dt.as_f64()))),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Str(Cow::Owned(s.clone())),
        // An error cell (#N/A, #REF!) is kept as its text so that the field that reads it
        // reports it, rather than it silently becoming empty.
        Data::Error(e) => Value::Str(Cow::Owned(format!("{e}"))),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    if !serial.is_finite() {
        return String::new();
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

/// The header row and what each column means.
#[derive(Debug)]
pub(crate) struct Header {
    /// Index of the header in `Table::rows`.
    pub index: usize,
    pub names: Vec<String>,
    pub slots: Vec<Option<Slot>>,
    /// Warnings about header units, by column name.
    pub unit_warnings: Vec<(String, String)>,
}

/// Finds the header: `header_row` if given (a line or sheet row number), else the first
/// of the first ten rows with at least two known columns, else the first row.
pub(crate) fn find_header(
    t: &Table,
    resolver: &Resolver,
    header_row: Option<u32>,
) -> Option<Header> {
    let names_of = |cells: &[Value<'_>]| -> Vec<String> {
        cells
            .iter()
            .map(|c| c.text().map(Cow::into_owned).unwrap_or_default())
            .collect()
    };
    let index = match header_row {
        Some(n) => t
            .rows
            .iter()
            .position(|(p, _)| p.number() == u64::from(n))?,
        None => t
            .rows
            .iter()
            .take(10)
            .position(|(_, cells)| {
                names_of(cells)
                    .iter()
                    .filter(|n| !n.is_empty() && resolver.resolve(n).is_some())
                    .count()
                    >= 2
            })
            .unwrap_or(0),
    };
    let names = names_of(&t.rows.get(index)?.1);
    let mut unit_warnings = Vec::new();
    let slots = names
        .iter()
        .map(|n| {
            if n.is_empty() {
                return None;
            }
            let (r, w) = resolver.resolve(n)?;
            if let Some(w) = w {
                unit_warnings.push((n.clone(), w));
            }
            Some(r.slot)
        })
        .collect();
    Some(Header {
        index,
        names,
        slots,
        unit_warnings,
    })
}

/// The layer fields a header has no column for.
pub(crate) fn absent_fields(h: &Header, layer: LayerKind) -> Vec<bool> {
    let n = fields::layer_fields(layer).len();
    (0..n)
        .map(|i| !h.slots.contains(&Some(Slot::Field(i))))
        .collect()
}

/// Turns table rows into features: finds the header, checks the geometry and required
/// columns, and reports rows with more cells than the header.
pub(crate) fn features<P: LayerProps>(
    t: Table,
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
    let Some(header) = find_header(&t, cx.resolver, header_row) else {
        return Err(LoadError::MissingGeometryColumns {
            file: rel.into(),
            layer,
            columns: format!(
                "(no row {} to take the header from)",
                header_row.unwrap_or(1)
            ),
        });
    };
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
    let header_pos = t.rows[header.index].0;
    if header.index > 0 {
        let first = t.rows[0].0;
        sink.push(warning(
            IssueCode::HeaderNotFirstRow,
            None,
            Some(header_pos),
            format!(
                "the header is on {header_pos}; the {} row(s) above it, from {first}, were taken as a title and not read",
                header.index
            ),
        ))?;
    }
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
    let names = header.names;
    let width = names.len();
    let cx = FileCtx {
        absent: &absent,
        ..*cx
    };
    // Rows become features a part at a time, so that a million-row ledger never holds
    // its table cells and its features whole at once: each part's cells are freed as
    // its features are made.
    let total = t.rows.len().saturating_sub(header.index + 1);
    let mut rows = t.rows.into_iter().skip(header.index + 1);
    let mut all: Found<P> = Found::for_layer(total);
    let mut read = 0u64;
    let mut unused: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut raws = Vec::with_capacity(PART.min(total));
        for (position, cells) in rows.by_ref().take(PART) {
            if cells.len() > width && cells[width..].iter().any(|c| *c != Value::Null) {
                sink.push(warning(
                    IssueCode::ColumnCountMismatch,
                    None,
                    Some(position),
                    format!(
                        "{} cells but the header has {width}; values may be shifted (an unquoted comma in a value?) and the extra cells were not read",
                        cells.len()
                    ),
                ))?;
            }
            raws.push(RawFeature {
                position,
                id: None,
                geom: GeomInput::Missing,
                props: names
                    .iter()
                    .zip(cells)
                    .filter(|(n, _)| !n.is_empty())
                    .map(|(n, v)| (Cow::Borrowed(n.as_str()), v))
                    .collect(),
            });
        }
        if raws.is_empty() && read > 0 {
            break;
        }
        let last = raws.len() < PART;
        let mut found = process::<P>(raws, &cx, summary, sink)?;
        read += summary.features_read;
        unused.append(
            &mut std::mem::take(&mut summary.unused_columns)
                .into_iter()
                .collect(),
        );
        if summary.status == FileStatus::Skipped {
            // Projected coordinates in a lon/lat file: the whole file is skipped.
            summary.features_read = read + rows.len() as u64;
            return Ok(Found::with_capacity(0));
        }
        all.append(&mut found);
        if last {
            break;
        }
    }
    summary.features_read = read;
    summary.unused_columns = unused.into_iter().collect();
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_dates() {
        assert_eq!(excel_date(25_569.0), "1970-01-01");
        assert_eq!(excel_date(38_504.5), "2005-06-01");
        assert_eq!(excel_date(61.0), "1900-03-01");
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c"), b',');
        assert_eq!(sniff_delimiter("名称;经度;纬度"), b';');
        // A title row without delimiters does not decide; nor does a stray one in a cell.
        assert_eq!(sniff_delimiter("某区台账\n编号\t地址\n1\t甲\n"), b'\t');
        assert_eq!(sniff_delimiter("台账,,\n编号,地址;备注\n1,甲\n"), b',');
    }

    #[test]
    fn quotes_open_a_field_only_at_its_start() {
        // A seconds mark inside an unquoted cell is text, in either delimiter.
        assert_eq!(unterminated_quote("a,b\nH1,121°10'12\",31\n", b','), None);
        assert_eq!(
            unterminated_quote("a\tb\nH1\t121°10'12\"\t31\n", b'\t'),
            None
        );
        // Escaped quotes and a line break inside a quoted field close properly.
        assert_eq!(
            unterminated_quote("a,b\n\"x \"\"y\"\" \nz\",1\n2,3\n", b','),
            None
        );
        // A quote opening a field (after the delimiter, at a line start, after CR LF)
        // that never closes: the line it opens on.
        let line = |t: &str| unterminated_quote(t, b',').map(|u| (u.line, u.cut_short));
        assert_eq!(line("a,b\r\n1,2\r\n3,\"x\r\n4,5\r\n"), Some((3, false)));
        assert_eq!(line("a,b\n\"x\"\"\n"), Some((2, false)));
        // Cut on the line the quote opens on: the record starts at byte 8, line 3.
        assert_eq!(
            unterminated_quote("a,b\n1,2\n3,\"POLYGON ((1 2, 3", b','),
            Some(Unclosed {
                line: 3,
                record_line: 3,
                record_start: 8,
                cut_short: true
            })
        );
        // A quoted field followed by text before the delimiter is the parser's business.
        assert_eq!(unterminated_quote("\"a\"b,c\n", b','), None);
    }

    #[test]
    fn csv_positions_are_lines_and_a_title_row_is_passed_over() {
        let text = "某区企业台账,,\n名称,经度,纬度\n\"甲\n公司\",121.1,31.9\n,,\n乙,121.2,31.8\n";
        let t = read_csv(text.as_bytes(), None, "t.csv").expect("reads");
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
            read_csv(b"a,b\n1,2\n\"unterminated,1\n3,4\n", None, "bad.csv"),
            Err(LoadError::CsvQuote { line: 3, .. })
        ));
    }
}
