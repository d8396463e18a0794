//! The CSV reader: the encoding decoded (GBK ledgers are common), the delimiter sniffed,
//! a quoted value that never closes found before parsing, then the records parsed as the
//! table asks for them.

use std::borrow::Cow;

use super::LoadError;
use super::fields::Value;
use super::report::Position;
use super::table::{HEAD, Row, RowSource, Table};
use super::text;

/// Reads a CSV file, decoding it first (see [`text::decode`]): the first rows (for the
/// header), the rest as they are asked for ([`CsvRows::next_row`]).
pub(crate) fn read_csv(
    bytes: Vec<u8>,
    forced: Option<(&'static encoding_rs::Encoding, &'static str)>,
    file: &str,
) -> Result<Table, LoadError> {
    let decoded = text::decode(&bytes, forced);
    let encoding = Some(decoded.describe());
    let decoding = Some((decoded.encoding.name(), decoded.lines.clone()));
    let delimiter = sniff_delimiter(&decoded.text);
    let mut broken = None;
    let mut end = decoded.text.len();
    if let Some(open) = unterminated_quote(&decoded.text, delimiter) {
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
        end = open.record_start;
    }
    // The text, owned: the file's own bytes when they were UTF-8 already (after a BOM),
    // else the decoded copy, the file's bytes let go.
    let (mut data, start) = match decoded.text {
        Cow::Owned(s) => (s.into_bytes(), 0),
        Cow::Borrowed(s) => {
            let start = bytes.len() - s.len();
            (bytes, start)
        }
    };
    data.truncate(start + end);
    let unended = !matches!(data[start..].last(), None | Some(b'\n' | b'\r'));
    let lines = memchr::memchr_iter(b'\n', &data[start..]).count() + 1;
    let mut cursor = std::io::Cursor::new(data);
    cursor.set_position(start as u64);
    let rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(cursor);
    let mut t = Table {
        rows: Vec::new(),
        rest: Some(RowSource::Csv(CsvRows {
            rdr,
            record: csv::StringRecord::new(),
            file: file.to_string(),
            lines,
            start,
            counted: (0, 1),
            unended: unended.then_some(None),
        })),
        encoding,
        decoding,
        sheet: None,
        broken,
        passed_sheets: Vec::new(),
        tried_sheets: Vec::new(),
        unread_sheets: Vec::new(),
        merged: Vec::new(),
    };
    t.read_ahead(HEAD)?;
    Ok(t)
}

/// The rows of a CSV file not read yet, parsed as they are asked for: a ledger's cells
/// are never all held at once (a million houses' cells take several times the file's
/// text).
#[derive(Debug)]
pub(crate) struct CsvRows {
    rdr: csv::Reader<std::io::Cursor<Vec<u8>>>,
    record: csv::StringRecord,
    file: String,
    /// The file's lines: at least as many as its records.
    lines: usize,
    /// Where the text starts in the reader's bytes (after a byte-order mark).
    start: usize,
    /// The line breaks counted so far: up to a byte of the text, the line it is on.
    counted: (usize, u64),
    /// When no line break ends the text: the line of its last record, once read.
    unended: Option<Option<u64>>,
}

impl CsvRows {
    /// The next row with a cell that is not empty, with its line.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row>, LoadError> {
        loop {
            match self.rdr.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let at = self.record.position().cloned();
                    let line = self.line_at(at.as_ref());
                    let cells: Vec<Value<'static>> = self
                        .record
                        .iter()
                        .map(|c| {
                            if c.trim().is_empty() {
                                Value::Null
                            } else {
                                Value::Str(Cow::Owned(c.to_string()))
                            }
                        })
                        .collect();
                    let at_end = self.rdr.position().byte() >= self.text_len() as u64;
                    if let Some(last) = self.unended.as_mut()
                        && at_end
                    {
                        *last = Some(line);
                    }
                    if cells.iter().any(|c| *c != Value::Null) {
                        return Ok(Some((Position::Line(line), cells)));
                    }
                }
                Err(e) => {
                    let at = e.position().cloned();
                    let line = self.line_at(at.as_ref());
                    return Err(LoadError::Csv {
                        file: self.file.clone(),
                        line,
                        source: e,
                    });
                }
            }
        }
    }

    /// The one-based line of the text a record starts on, by the line breaks before its
    /// byte (the parser's own count is one short after each `\r\n` of a file Excel or
    /// WPS saved). Records come in order, so the breaks are counted once.
    fn line_at(&mut self, p: Option<&csv::Position>) -> u64 {
        let Some(p) = p else { return 0 };
        let text = &self.rdr.get_ref().get_ref()[self.start..];
        let mut to = usize::try_from(p.byte())
            .unwrap_or(usize::MAX)
            .min(text.len());
        // The parser's record starts at the blank lines it passed over.
        while to < text.len() && matches!(text[to], b'\r' | b'\n') {
            to += 1;
        }
        let (from, line) = self.counted;
        let line = if to >= from {
            line + memchr::memchr_iter(b'\n', &text[from..to]).count() as u64
        } else {
            1 + memchr::memchr_iter(b'\n', &text[..to]).count() as u64
        };
        self.counted = (to, line);
        line
    }

    /// The line of the file's last record when no line break ends it (a file cut short
    /// while it was written, or one saved without a last line break), once that record
    /// has been read.
    pub(crate) fn unended_line(&self) -> Option<u64> {
        self.unended.flatten()
    }

    fn text_len(&self) -> usize {
        self.rdr.get_ref().get_ref().len() - self.start
    }

    /// At least as many as the rows left (the lines not read yet).
    pub(crate) fn rows_left_hint(&self) -> usize {
        let read = self.rdr.position().line() as usize;
        self.lines.saturating_sub(read.saturating_sub(1))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A row's line is the file's line it starts on, whatever the line breaks: Excel and
    /// WPS save CSV with `\r\n`, where the parser's own count was one short; a blank line
    /// and a quoted value over two lines count as lines; after a byte-order mark too.
    #[test]
    fn rows_are_on_the_lines_they_start_on() {
        for eol in ["\n", "\r\n"] {
            for bom in ["", "\u{feff}"] {
                let text = format!("{bom}a,b{eol}1,2{eol}{eol}3,4{eol}\"x{eol}y\",5{eol}6,7{eol}");
                let t = read_csv(text.into_bytes(), None, "x.csv").unwrap();
                let lines: Vec<Position> = t.rows.iter().map(|r| r.0).collect();
                assert_eq!(
                    lines,
                    [1, 2, 4, 5, 7].map(Position::Line),
                    "{eol:?} {bom:?}"
                );
            }
        }
    }
}
