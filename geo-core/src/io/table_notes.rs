//! What a table's header says about its columns, told once a file: two columns that
//! fill one field, and blocks of cells merged down a column (the records', filled as
//! they are read; a header cell's merged into the records, which fills nothing).

use crate::model::LayerKind;

use super::LoadError;
use super::merged::Merge;
use super::report::{Issue, IssueCode, Position, Severity, Sink};
use super::table::{Header, Table};

/// Says the header's columns that fill one field and the sheet's merged blocks below
/// it; gives the blocks of the records, to be filled as they are read.
pub(crate) fn duplicates_and_merges(
    t: &Table,
    header: &Header,
    rel: &str,
    layer: LayerKind,
    sink: &mut Sink,
) -> Result<Vec<Merge>, LoadError> {
    let warning = |code, field: Option<String>, position, message: String| {
        Issue::file_warning(rel, Some(layer), code, field, position, message)
    };
    let header_pos = t.rows[header.top].0;
    // Two columns for one field (a hidden column of last year's values under the same
    // name): the first with a value is read, which the user may not expect; said.
    for (i, slot) in header.slots.iter().enumerate() {
        let Some(slot) = slot else { continue };
        if header.slots[..i].contains(&Some(*slot)) {
            continue;
        }
        let cols: Vec<String> = header
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == Some(*slot))
            .map(|(k, _)| format!("{:?} (column {})", header.names[k], column_letters(k)))
            .collect();
        if cols.len() > 1 {
            sink.push(warning(
                IssueCode::DuplicateColumn,
                Some(header.names[i].clone()),
                Some(header_pos),
                format!(
                    "{} all fill one field: a row's first non-empty one is read. If one \
                     holds old values (a hidden column), rename it in riskmap.toml \
                     (columns = {{ \"its name\" = \"ignore\" }}) or delete it",
                    cols.join(", ")
                ),
            ))?;
        }
    }
    // Blocks merged down a column of the records, filled as read: said once a column. A
    // header cell merged down into the records fills nothing (its rows' cells are empty,
    // not the header's name): said as a warning.
    let header_last = t.rows[header.index].0.number();
    let (records, into): (Vec<Merge>, Vec<Merge>) = t
        .merged
        .iter()
        .filter(|m| m.bottom > header_last)
        .partition(|m| m.top > header_last);
    for (blocks, from_header) in [(&records, false), (&into, true)] {
        let mut down: Vec<(usize, u64, u64, u64)> = Vec::new(); // column, blocks, rows
        for m in blocks {
            match down.iter_mut().find(|d| d.0 == m.column) {
                Some(d) => {
                    d.1 += 1;
                    d.3 = d.3.max(m.bottom);
                }
                None => down.push((m.column, 1, m.top.max(header_last + 1), m.bottom)),
            }
        }
        for (column, n, first, last) in down {
            let name = header.names.get(column).cloned().unwrap_or_default();
            let shown = if name.is_empty() {
                column_letters(column)
            } else {
                format!("\"{name}\"")
            };
            let read = header.slots.get(column).is_some_and(Option::is_some);
            let message = if from_header {
                format!(
                    "the header cell of the column {shown} is merged down into the records, \
                     rows {first}–{last}: their cells in it were read as empty (unmerge it)"
                )
            } else {
                format!(
                    "{n} block(s) of cells merged down the column {shown}, rows {first}–{last}: \
                     each row of a block took the value its first cell holds{}",
                    if read { "" } else { " (a column not read)" }
                )
            };
            let issue = warning(
                IssueCode::MergedCells,
                (!name.is_empty()).then_some(name),
                Some(Position::Row(first)),
                message,
            );
            sink.push(if from_header {
                issue
            } else {
                Issue {
                    severity: Severity::Info,
                    ..issue
                }
            })?;
        }
    }
    Ok(records)
}

/// The index of a column named by its letters (`F` → 5, `AA` → 26; any case), at most
/// three letters.
pub(crate) fn column_index(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let mut n = 0usize;
    for b in letters.bytes() {
        n = n * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1;
    }
    Some(n - 1)
}

/// A column's letters as a spreadsheet shows them (0 → A, 26 → AA).
fn column_letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
