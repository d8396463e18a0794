//! Field names and their Chinese aliases, and the parsing of cell values.
//!
//! Every reader turns a row or a feature's properties into `(column name, Value)` pairs;
//! a [`Resolver`] maps each column name to a field of the layer (by English key or any
//! alias, ignoring case, spaces, `_`, `-`, full-width forms and a unit in brackets), and
//! the helpers here turn values into numbers, text and vocabulary entries. The tables
//! are the source of the field lists in `docs/data-model.md` (a test checks that every
//! alias is documented).
//!
//! The steps live apart: `specs` holds the alias tables of every layer, `resolve`
//! the matching of column names against them, `numbers` the parsing of numbers and
//! coordinates, `codes` the checks of identifiers and vocabularies, and `inventory`
//! the reading of hazard-source inventory lines.

mod codes;
mod dates;
mod inventory;
mod numbers;
mod resolve;
mod specs;

use std::borrow::Cow;

pub(crate) use codes::{allowed_list, cas_checksum_ok, credit_code_problem};
pub(crate) use dates::{DateError, date_from_number, parse_date};
pub(crate) use inventory::{
    ItemDraft, inventory_item_from_json, parse_inventory_cell, parse_substance,
};
pub(crate) use numbers::{
    NumError, is_placeholder, parse_coordinate, parse_number, parse_number_str,
};
pub(crate) use resolve::{KeyMemo, Resolver, Slot, half_width, half_width_str, norm_key};
pub(crate) use specs::{
    ENTERPRISE_FIELDS, Unit, area, ent, gas, haz, hid, house, layer_fields, scaled, target,
};

/// A value as a reader found it, before it is typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// JSON null, an empty cell.
    Null,
    /// A boolean cell.
    Bool(bool),
    /// A number cell (JSON number, numeric cell, DBF numeric).
    Num(f64),
    /// Text.
    Str(Cow<'a, str>),
    /// A JSON array or object (inventory, QRA distances).
    Json(serde_json::Value),
}

impl Value<'static> {
    /// A wide integer of a binary format (FlatGeobuf, Parquet): a number when a double
    /// holds it exactly, else its digits, so that no id or code is rounded.
    #[cfg(any(feature = "flatgeobuf", feature = "geoparquet"))]
    pub(crate) fn wide(n: i128) -> Self {
        const EXACT: i128 = 1 << 53;
        if (-EXACT..=EXACT).contains(&n) {
            Value::Num(n as f64)
        } else {
            Value::Str(Cow::Owned(n.to_string()))
        }
    }
}

impl Value<'_> {
    /// Whether the value is text with spaces around it (which [`Value::text`] trims).
    pub(crate) fn spaced(&self) -> bool {
        match self {
            Value::Str(s) => s.trim().len() != s.len(),
            Value::Json(serde_json::Value::String(s)) => s.trim().len() != s.len(),
            _ => false,
        }
    }

    /// The value as trimmed text; `None` when empty.
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Num(n) => Some(Cow::Owned(format_number(*n))),
            Value::Str(s) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Json(serde_json::Value::Null) => None,
            Value::Json(serde_json::Value::String(s)) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Json(j) => Some(Cow::Owned(j.to_string())),
        }
    }
}

/// A number as text, without a fractional part when it has none, so that codes and
/// phone numbers stored as numbers (Excel, DBF) read back as written.
pub(crate) fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests;
