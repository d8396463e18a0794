//! The rows of a table that are not as its header: a CSV record of another number of
//! fields ([`fit_record`]: refused when wider, padded when shorter, a file cut short when
//! its unended last line is short), and a row that is no record at all (totals,
//! subtotals, notes under the table: [`not_a_record`]).

use super::fields::Value;
use super::report::{Issue, IssueCode, Position, Severity};
use crate::model::LayerKind;

/// Short lines named one by one before the rest are counted in one issue.
pub(super) const PADDED_SAID: u64 = 10;

/// Whether a CSV record is one field wider than the header and that field is empty.
pub(super) fn ends_in_empty_extra(cells: &[Value<'_>], width: usize) -> bool {
    cells.len() == width + 1
        && cells.last().is_some_and(|c| match c {
            Value::Null => true,
            Value::Str(t) => t.trim().is_empty(),
            _ => false,
        })
}

/// What becomes of a CSV record whose number of fields is not the header's.
#[derive(Debug, PartialEq)]
pub(super) enum Fit {
    /// More fields than the header: a delimiter inside a value that is not quoted has
    /// shifted the values after it, so none of the line is read.
    Wider {
        position: Position,
        fields: usize,
        width: usize,
        id: Option<String>,
    },
    /// Fewer fields on the last line, and no line break after it: the file was cut
    /// short while it was written (a copy in progress). The line is not read, and the
    /// file is not read whole.
    CutShort {
        position: Position,
        fields: usize,
        width: usize,
    },
    /// Fewer fields elsewhere: the fields a hand-made file drops at the end of a line
    /// (trailing empty values) read as empty.
    Padded {
        position: Position,
        fields: usize,
        width: usize,
    },
}

impl Fit {
    pub(super) fn refused(&self) -> bool {
        !matches!(self, Fit::Padded { .. })
    }

    pub(super) fn issue(&self, file: &str, layer: LayerKind) -> Issue {
        let issue = |severity, code, position, feature_id, message| Issue {
            severity,
            code,
            file: file.to_string(),
            layer: Some(layer),
            position: Some(position),
            feature_id,
            field: None,
            message,
        };
        match self {
            Fit::Wider {
                position,
                fields,
                width,
                id,
            } => issue(
                Severity::Skipped,
                IssueCode::ColumnCountMismatch,
                *position,
                id.clone(),
                format!(
                    "has {fields} fields, the header has {width}: a comma or delimiter inside \
                     a value that is not quoted? The values after it would be shifted, so the \
                     line was not read (quote the value, or remove the delimiter)"
                ),
            ),
            Fit::CutShort {
                position,
                fields,
                width,
            } => issue(
                Severity::Skipped,
                IssueCode::BrokenTail,
                *position,
                None,
                format!(
                    "has {fields} fields, the header has {width}, and no line break ends it: \
                     the file was cut short here (copied or read while it was being \
                     written?), or its last line lacks its last fields and the file its \
                     final line break (give them); the lines before it were read, this one \
                     was not, and the file counts as not read whole"
                ),
            ),
            Fit::Padded {
                position,
                fields,
                width,
            } => issue(
                Severity::Warning,
                IssueCode::ColumnCountMismatch,
                *position,
                None,
                format!(
                    "has {fields} fields, the header has {width}: the last {} were read as \
                     empty",
                    width - fields
                ),
            ),
        }
    }
}

/// A row that is no record: a sum under the records or a town's subtotal (its first
/// non-empty cell begins or ends with 合计, 总计 or 小计: `合计`, `小计（临江镇）`,
/// `海门街道小计`, `总计 3000 条`), or a note under the table (it begins with 填表说明,
/// 填报说明, 制表人, 填表人, 审核人, 备注： or 注：), and it holds no coordinate or geometry
/// (`geo_cols`): a row that places something is a record whatever its first cell says.
pub(super) fn not_a_record(cells: &[Value<'_>], geo_cols: &[usize]) -> Option<IssueCode> {
    // A row that places something is a record (a 总计量站 is a gas station, not a sum).
    let given = |c: &Value<'_>| match c {
        Value::Null => false,
        Value::Str(t) => !t.trim().is_empty(),
        _ => true,
    };
    if geo_cols.iter().any(|&i| cells.get(i).is_some_and(given)) {
        return None;
    }
    let first = cells.iter().find(|c| match c {
        Value::Null => false,
        Value::Str(t) => !t.trim().is_empty(),
        _ => true,
    });
    let Some(Value::Str(t)) = first else {
        return None;
    };
    let t = t.trim();
    // The text without spaces and colons (`小 计：` is 小计), read from either end.
    let kept = |c: &char| !c.is_whitespace() && !matches!(c, ':' | '：');
    let starts = |w: &str| t.chars().filter(kept).take(2).eq(w.chars());
    let ends = |w: &str| t.chars().rev().filter(kept).take(2).eq(w.chars().rev());
    const SUMS: [&str; 3] = ["合计", "总计", "小计"];
    if SUMS.iter().any(|w| starts(w) || ends(w)) {
        return Some(IssueCode::TotalsRow);
    }
    const NOTES: [&str; 9] = [
        "填表说明",
        "填报说明",
        "制表人",
        "填表人",
        "审核人",
        "备注：",
        "备注:",
        "注：",
        "注:",
    ];
    // Spaces aside (`制 表 人：`), as for the sums.
    let bare = |w: &str| {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .take(w.chars().count())
            .eq(w.chars())
    };
    NOTES.iter().any(|w| bare(w)).then_some(IssueCode::NoteRow)
}

/// Fits a CSV record of other than `width` fields to the header (see [`Fit`]): a shorter
/// one is padded with empty cells unless it is the file's `unended` last line (a row of
/// totals or notes, read before this, is passed over wherever it is).
pub(super) fn fit_record(
    cells: &mut Vec<Value<'static>>,
    width: usize,
    position: Position,
    unended: Option<u64>,
    id_col: Option<usize>,
) -> Fit {
    let fields = cells.len();
    if fields > width {
        let id = id_col
            .and_then(|i| cells.get(i))
            .and_then(Value::text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        return Fit::Wider {
            position,
            fields,
            width,
            id,
        };
    }
    if unended == Some(position.number()) {
        return Fit::CutShort {
            position,
            fields,
            width,
        };
    }
    cells.resize(width, Value::Null);
    Fit::Padded {
        position,
        fields,
        width,
    }
}
