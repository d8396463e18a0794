//! A table's header: the row that names its columns, found among its first rows, and a
//! header of two rows as offices draw them (`坐标` merged over `经度 | 纬度`, `房屋基本情况`
//! over `层数 | 建筑面积 | 结构类型`), read as one.

use std::borrow::Cow;

use crate::model::LayerKind;

use super::fields::{self, Resolver, Slot, Value};
use super::table::{HEAD, Table};

/// The header row and what each column means.
#[derive(Debug)]
pub(crate) struct Header {
    /// Index in `Table::rows` of the header's last row: the records begin after it.
    pub index: usize,
    /// Index of its first row: `index`, or the row above it for a header of two rows.
    pub top: usize,
    pub names: Vec<String>,
    pub slots: Vec<Option<Slot>>,
    /// Warnings about header units, by column name.
    pub unit_warnings: Vec<(String, String)>,
}

impl Header {
    /// Whether the header takes two rows.
    pub(crate) fn two_rows(&self) -> bool {
        self.top < self.index
    }
}

fn names_of(cells: &[Value<'_>]) -> Vec<String> {
    cells
        .iter()
        .map(|c| c.text().map(Cow::into_owned).unwrap_or_default())
        .collect()
}

fn slot(resolver: &Resolver, name: &str) -> Option<Slot> {
    if name.trim().is_empty() {
        return None;
    }
    resolver.resolve(name).map(|(r, _)| r.slot)
}

/// The fields a row of names gives, once each.
fn known(resolver: &Resolver, names: &[String]) -> usize {
    let mut seen: Vec<Slot> = Vec::new();
    for s in names.iter().filter_map(|n| slot(resolver, n)) {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.len()
}

/// Finds the header: `header_row` if given (a line or sheet row number), else the first
/// of the first ten rows with at least two known columns, else the first row. A row
/// under it (or, for a row given, above it) that names the columns a group name stands
/// over makes a header of two rows, read as one ([`two_rows`]).
pub(crate) fn find_header(
    t: &Table,
    resolver: &Resolver,
    header_row: Option<u32>,
) -> Option<Header> {
    let index = match header_row {
        Some(n) => t
            .rows
            .iter()
            .position(|(p, _)| p.number() == u64::from(n))?,
        None => t
            .rows
            .iter()
            .take(HEAD)
            .position(|(_, cells)| known(resolver, &names_of(cells)) >= 2)
            .unwrap_or(0),
    };
    let row = |i: usize| t.rows.get(i).map(|(_, cells)| cells.as_slice());
    let one = names_of(row(index)?);
    let below = row(index + 1).and_then(|sub| two_rows(resolver, &one, sub, Chosen::Top));
    let above = || {
        let top = row(index.checked_sub(1)?)?;
        two_rows(resolver, &names_of(top), row(index)?, Chosen::Sub)
    };
    let (top, index, names) = match below {
        Some(names) => (index, index + 1, names),
        None => match above() {
            Some(names) => (index - 1, index, names),
            None => (index, index, one),
        },
    };
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
        top,
        names,
        slots,
        unit_warnings,
    })
}

/// The names of a header of two rows, `top` over `sub`, when `sub` is the second row of
/// such a header: it holds no number, and it names (alone, or after the group name above
/// it: `关联对象` + `编号`) a field in at least one of the columns where it says something
/// `top` does not, and in at least half of them, or half of them lie under a group name
/// (`房屋基本情况` over `层数 | 建筑面积 | 结构类型`, of which only 层数 is a field); and the
/// two rows together name more fields than the row `chosen` as the header and no fewer
/// than the other (a title above a header adds none, nor does a record under it). A row of
/// units under the names (`（层）`, `（㎡）`) is such a row too: each name is read with its
/// unit. Each column takes, of its group name and its own joined, its own, and the group
/// name, the first that names a field; else its own (with a unit, the two joined). A group
/// name stands over the empty cells to its right that have names under them (a merged
/// cell keeps its text in its first cell).
fn two_rows(
    resolver: &Resolver,
    top: &[String],
    sub: &[Value<'_>],
    chosen: Chosen,
) -> Option<Vec<String>> {
    if sub.iter().any(|v| match v {
        Value::Num(_) => true,
        other => other
            .text()
            .is_some_and(|t| t.trim().parse::<f64>().is_ok()),
    }) {
        return None;
    }
    let sub = names_of(sub);
    let width = top.len().max(sub.len());
    let cell = |r: &[String], i: usize| r.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
    let bracketed = |s: &str| {
        (s.starts_with('（') && s.ends_with('）') || s.starts_with('(') && s.ends_with(')'))
            && s.chars().count() <= 8
    };
    let units = sub.iter().any(|s| !s.trim().is_empty())
        && sub
            .iter()
            .all(|s| s.trim().is_empty() || bracketed(s.trim()));
    let mut names = Vec::with_capacity(width);
    let (mut differ, mut named, mut grouped) = (0, 0, 0);
    let mut group = String::new();
    for i in 0..width {
        let (t, s) = (cell(top, i), cell(&sub, i));
        if !t.is_empty() {
            group = t.clone();
        } else if s.is_empty() {
            group.clear();
        }
        // (the group name of a cell left empty under a merge)
        let g = if t.is_empty() {
            group.clone()
        } else {
            t.clone()
        };
        if s.is_empty() || s == g {
            names.push(if t.is_empty() { String::new() } else { t });
            continue;
        }
        differ += 1;
        if t.is_empty() && !g.is_empty() {
            grouped += 1;
        }
        let joined = format!("{g}{s}");
        let own = [&joined, &s]
            .into_iter()
            .find(|n| slot(resolver, n).is_some())
            .cloned();
        if own.is_some() {
            named += 1;
        }
        let fallback = if units { joined } else { s };
        names.push(
            own.or_else(|| slot(resolver, &g).map(|_| g))
                .unwrap_or(fallback),
        );
    }
    if units {
        // The same fields, each with its unit.
        return (named >= 1 && named * 2 >= differ).then_some(names);
    }
    let both = known(resolver, &names);
    let (top, sub) = (known(resolver, top), known(resolver, &sub));
    let more = match chosen {
        Chosen::Top => both > top && both >= sub,
        Chosen::Sub => both > sub && both >= top,
    };
    (named >= 1 && (named * 2 >= differ || grouped * 2 >= differ) && more).then_some(names)
}

/// Which of two rows was found (or given) as the header: the pair must name more
/// fields than it.
#[derive(Debug, Clone, Copy)]
enum Chosen {
    Top,
    Sub,
}

/// The layer fields a header has no column for.
pub(crate) fn absent_fields(h: &Header, layer: LayerKind) -> Vec<bool> {
    let n = fields::layer_fields(layer).len();
    (0..n)
        .map(|i| !h.slots.contains(&Some(Slot::Field(i))))
        .collect()
}
