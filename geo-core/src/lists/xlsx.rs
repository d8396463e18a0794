//! A list as an Excel workbook (rust_xlsxwriter): one sheet named after the list, a bold
//! header row frozen above the rows and filters on it, column widths for Chinese text,
//! numbers and days written as such (Excel sums 整改资金, sorts 逾期天数, filters by
//! date; a cell that does not read as one stays text), and the level column in the four colours of the map (白字 on red and blue, black on
//! orange and yellow, for contrast).

use std::path::Path;

use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

use super::{CellKind, List, ListError};
use crate::model::RiskLevel;

/// The fill and text colour of a level, as the map draws it.
pub(crate) fn level_colours(l: RiskLevel) -> (u32, u32) {
    match l {
        RiskLevel::Major => (0xE6_0012, 0xFF_FFFF),
        RiskLevel::Significant => (0xF3_9800, 0x00_0000),
        RiskLevel::General => (0xFF_E100, 0x00_0000),
        RiskLevel::Low => (0x00_68B7, 0xFF_FFFF),
    }
}

/// The most decimals a number is shown with.
const MAX_DECIMALS: usize = 9;

/// How many decimals the text of a number has (at most [`MAX_DECIMALS`]).
fn decimals_of(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, d)| d.len())
        .min(MAX_DECIMALS)
}

/// Writes `list` to `path` as a workbook.
pub fn write_xlsx(list: &List, path: &Path) -> Result<(), ListError> {
    let bytes = xlsx_bytes(list, path)?;
    std::fs::write(path, bytes).map_err(|source| ListError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `list` as the bytes of a workbook; `path` names it in errors.
pub fn xlsx_bytes(list: &List, path: &Path) -> Result<Vec<u8>, ListError> {
    let err = |e: rust_xlsxwriter::XlsxError| ListError::Workbook {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut wb = Workbook::new();
    // Rows stream to a temporary file as they are written, strings inline: a city's
    // lists hold millions of cells, which the shared-strings table would hash one by one.
    let sheet = wb.add_worksheet_with_constant_memory().map_err(err)?;
    sheet.set_name(list.title).map_err(err)?;
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE9_ECEF))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let level_formats: Vec<(RiskLevel, Format)> = RiskLevel::DESCENDING
        .iter()
        .map(|l| {
            let (fill, text) = level_colours(*l);
            (
                *l,
                Format::new()
                    .set_background_color(Color::RGB(fill))
                    .set_font_color(Color::RGB(text))
                    .set_bold()
                    .set_align(FormatAlign::Center),
            )
        })
        .collect();
    // A number shown with the decimals its text has (a longitude's six, a count's none).
    let decimals: Vec<Format> = (0..=MAX_DECIMALS)
        .map(|d| {
            let f = if d == 0 {
                "0".to_string()
            } else {
                format!("0.{}", "0".repeat(d))
            };
            Format::new().set_num_format(f)
        })
        .collect();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, col) in list.columns.iter().enumerate() {
        let c = c as u16;
        sheet
            .write_string_with_format(0, c, col.header, &header)
            .map_err(err)?;
        sheet.set_column_width(c, col.width).map_err(err)?;
    }
    for (r, row) in list.rows.iter().enumerate() {
        let rr = (r + 1) as u32;
        let level = list.levels.get(r).copied().flatten();
        for (c, cell) in row.iter().enumerate() {
            let cc = c as u16;
            let fmt = (Some(c) == list.level_column)
                .then(|| level.and_then(|l| level_formats.iter().find(|(x, _)| *x == l)))
                .flatten();
            if cell.is_empty() {
                continue;
            }
            let kind = list.columns.get(c).map_or(CellKind::Text, |k| k.kind);
            match (fmt, kind) {
                (Some((_, f)), _) => sheet.write_string_with_format(rr, cc, cell, f),
                (None, CellKind::Number) => match cell.parse::<f64>() {
                    Ok(n) if n.is_finite() => {
                        sheet.write_number_with_format(rr, cc, n, &decimals[decimals_of(cell)])
                    }
                    _ => sheet.write_string(rr, cc, cell),
                },
                (None, CellKind::Date) => match ExcelDateTime::parse_from_str(cell) {
                    Ok(d) => sheet.write_datetime_with_format(rr, cc, d, &date),
                    Err(_) => sheet.write_string(rr, cc, cell),
                },
                (None, CellKind::Text) => sheet.write_string(rr, cc, cell),
            }
            .map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    let last_col = list.columns.len().saturating_sub(1) as u16;
    sheet
        .autofilter(0, 0, list.rows.len() as u32, last_col)
        .map_err(err)?;
    if !list.notes.is_empty() {
        // What the data lacks, on a sheet after the list's (a reader sees its tab).
        let notes = wb.add_worksheet();
        notes.set_name("数据说明").map_err(err)?;
        notes.set_column_width(0, 100).map_err(err)?;
        let bold = Format::new()
            .set_bold()
            .set_font_color(Color::RGB(0xC6_2828));
        notes
            .write_string_with_format(0, 0, "请注意本清单所依据的数据：", &bold)
            .map_err(err)?;
        for (i, n) in list.notes.iter().enumerate() {
            notes.write_string(i as u32 + 1, 0, n).map_err(err)?;
        }
        notes
            .write_string(
                list.notes.len() as u32 + 2,
                0,
                "详见数据验证报告（riskmap validate 或 validation.html）。",
            )
            .map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
