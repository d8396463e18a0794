//! Cells merged down a column of a worksheet (the same town, the same appraisal for
//! several rows): a spreadsheet keeps the value in the block's first cell only and shows
//! it over the whole block, so each row of the block is given that value as it is read.
//! Only down a column: text merged across columns (a remark over three columns) is not
//! copied into the columns it covers.

use calamine::Dimensions;

use super::fields::Value;

/// A block of merged cells, by the sheet rows it spans (numbered from 1, as the
/// spreadsheet shows them) and its first column (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Merge {
    pub top: u64,
    pub bottom: u64,
    pub column: usize,
}

/// The blocks of a sheet that span more than one row, in the order of their first rows.
pub(crate) fn down_blocks(dims: &[Dimensions]) -> Vec<Merge> {
    let mut out: Vec<Merge> = dims
        .iter()
        .filter(|d| d.end.0 > d.start.0)
        .map(|d| Merge {
            top: u64::from(d.start.0) + 1,
            bottom: u64::from(d.end.0) + 1,
            column: d.start.1 as usize,
        })
        .collect();
    out.sort_unstable_by_key(|m| (m.top, m.column));
    out
}

/// Fills the rows of a sheet, taken in order, from the blocks they lie in.
#[derive(Debug, Default)]
pub(crate) struct FillDown {
    blocks: Vec<Merge>,
    next: usize,
    active: Vec<(Merge, Value<'static>)>,
}

impl FillDown {
    pub(crate) fn new(blocks: Vec<Merge>) -> Self {
        FillDown {
            blocks,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Row `number` of the sheet (rows come in order; empty ones may be left out): its
    /// cells under a block begun above it take the block's value where they are empty.
    pub(crate) fn row(&mut self, number: u64, cells: &mut Vec<Value<'static>>) {
        if self.blocks.is_empty() {
            return;
        }
        self.active.retain(|(m, _)| m.bottom >= number);
        while let Some(m) = self.blocks.get(self.next).copied() {
            if m.top > number {
                break;
            }
            self.next += 1;
            if m.bottom < number {
                continue;
            }
            let v = if m.top == number {
                cells.get(m.column).cloned().unwrap_or(Value::Null)
            } else {
                Value::Null
            };
            self.active.push((m, v));
        }
        for (m, v) in &self.active {
            if m.top < number && *v != Value::Null {
                if cells.len() <= m.column {
                    cells.resize(m.column + 1, Value::Null);
                }
                if cells[m.column] == Value::Null {
                    cells[m.column] = v.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn s(t: &'static str) -> Value<'static> {
        Value::Str(Cow::Borrowed(t))
    }

    #[test]
    fn a_block_fills_its_rows_below_its_first_and_no_other() {
        // B2:B4 merged (a town over three rows), C5:D6 merged (across and down).
        let dims = [
            Dimensions::new((1, 1), (3, 1)),
            Dimensions::new((4, 2), (5, 3)),
            Dimensions::new((0, 0), (0, 5)), // a title across, one row: not a block down
        ];
        let blocks = down_blocks(&dims);
        assert_eq!(blocks.len(), 2);
        let mut fill = FillDown::new(blocks);
        let mut rows = vec![
            (2, vec![s("h1"), s("临江镇"), s("A")]),
            (3, vec![s("h2"), Value::Null, s("B")]),
            // row 4 empty, not read; row 5 the first of the second block
            (5, vec![s("h5"), Value::Null, s("C级")]),
            (6, vec![s("h6")]),
            (7, vec![s("h7")]),
        ];
        for (n, cells) in &mut rows {
            fill.row(*n, cells);
        }
        assert_eq!(rows[1].1[1], s("临江镇"));
        // row 5 lies below the first block's end (row 4)
        assert_eq!(rows[2].1[1], Value::Null);
        assert_eq!(rows[3].1, vec![s("h6"), Value::Null, s("C级")]);
        // a block's right-hand columns are not filled; row 7 is past both
        assert_eq!(rows[4].1, vec![s("h7")]);
    }
}
