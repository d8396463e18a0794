//! A layer's features a page at a time, in the order of the layer, as the OGC API –
//! Features `items` of a collection answer them: the filter applied to every feature (so
//! the number matched is exact), the page cut from the features kept.

use serde_json::Value;

use super::one::{self, feature_json};
use super::{FieldPolicy, Filter, layer_len};
use crate::analysis::Analysis;
use crate::dataset::Dataset;
use crate::model::{Day, LayerKind};

/// One page of a layer.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Features the filter keeps, in all.
    pub matched: u64,
    /// The GeoJSON Features of the page, as the export writes them.
    pub features: Vec<Value>,
}

/// Days a feature's date must fall on (both ends included; an open end is `None`): the
/// day a hidden hazard was found. Layers without a date are not filtered by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Days {
    /// First day kept.
    pub from: Option<Day>,
    /// Last day kept.
    pub to: Option<Day>,
}

impl Days {
    fn keeps(&self, d: Option<Day>) -> bool {
        match d {
            Some(d) => self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t),
            // A record without the date cannot be placed in time: not in a range.
            None => self.from.is_none() && self.to.is_none(),
        }
    }
}

/// Whether layer `kind` has a date that [`Days`] filters on.
pub fn has_date(kind: LayerKind) -> bool {
    kind == LayerKind::HiddenHazards
}

/// The features of layer `kind` that `filter` (and `days`, where the layer has a date)
/// keeps, from the `offset`-th kept one, at most `limit` of them. A level filter keeps
/// nothing of a layer without levels ([`LayerKind::has_level`]).
#[allow(clippy::too_many_arguments)]
pub fn page(
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    filter: &Filter,
    days: Option<Days>,
    offset: u64,
    limit: u64,
    policy: &FieldPolicy,
) -> Page {
    let mut out = Page::default();
    let n = layer_len(kind, ds, a);
    let unfiltered = filter.bbox.is_none()
        && filter.area.is_none()
        && filter.levels.is_none()
        && (days.is_none() || !has_date(kind));
    if unfiltered {
        // Every feature is kept: the page is a slice of the layer (paging through a
        // million houses costs each page its own features only).
        out.matched = n as u64;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(n);
        let end = start
            .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
            .min(n);
        out.features = (start..end)
            .filter_map(|pos| one::feature(kind, ds, a, pos, policy))
            .collect();
        return out;
    }
    for pos in 0..n {
        let Some(at) = one::locate(kind, ds, a, pos) else {
            continue;
        };
        if let Some(days) = days
            && has_date(kind)
            && !days.keeps(ds.hidden_hazards.get(pos).and_then(|h| h.props.discovered))
        {
            continue;
        }
        if !filter.keeps(&at.geometry, at.level) {
            continue;
        }
        let n = out.matched;
        out.matched += 1;
        if n < offset || n - offset >= limit {
            continue;
        }
        if let Some(m) = one::properties_of(kind, ds, a, pos, policy) {
            out.features.push(feature_json(&at.id, &at.geometry, m));
        }
    }
    out
}

/// The feature of layer `kind` whose export id is `id`, as the export writes it.
pub fn find(
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    id: &str,
    policy: &FieldPolicy,
) -> Option<Value> {
    (0..layer_len(kind, ds, a))
        .find(|&pos| one::locate(kind, ds, a, pos).is_some_and(|at| at.id == id))
        .and_then(|pos| one::feature(kind, ds, a, pos, policy))
}

/// What the values of a field are, over every feature of a layer that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole numbers.
    Integer,
    /// Numbers, some with a fraction.
    Number,
    /// true or false.
    Boolean,
    /// Days written YYYY-MM-DD.
    Date,
    /// Text (and fields whose values are of mixed kinds).
    Text,
    /// Lists of text.
    TextList,
    /// Lists or objects of other things (inventories, reasons), JSON.
    Json,
}

impl FieldKind {
    fn of(v: &Value) -> Option<FieldKind> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(_) => FieldKind::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => FieldKind::Integer,
            Value::Number(_) => FieldKind::Number,
            Value::String(s) if Day::parse_iso(s).is_some() && s.len() == 10 => FieldKind::Date,
            Value::String(_) => FieldKind::Text,
            Value::Array(a) if a.iter().all(Value::is_string) => FieldKind::TextList,
            Value::Array(_) | Value::Object(_) => FieldKind::Json,
        })
    }

    /// The kind of a field with values of kinds `self` and `other`.
    fn join(self, other: FieldKind) -> FieldKind {
        use FieldKind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Integer, Number) | (Number, Integer) => Number,
            (Date, Text) | (Text, Date) => Text,
            (TextList, Json) | (Json, TextList) => Json,
            _ => Text,
        }
    }
}

/// A field of a layer: its name and what its values are (`None`: empty in every feature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The property name.
    pub name: String,
    /// What its values are.
    pub kind: Option<FieldKind>,
}

/// Every property the export gives some feature of layer `kind`, in the order each first
/// appears, with what its values are: the layer's table as a client reading it page by
/// page must set it up (the export leaves a feature's empty fields out).
pub fn fields_of(
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    policy: &FieldPolicy,
) -> Vec<FieldSpec> {
    let mut at = std::collections::HashMap::new();
    let mut out: Vec<FieldSpec> = Vec::new();
    for pos in 0..layer_len(kind, ds, a) {
        let Some(m) = one::properties_of(kind, ds, a, pos, policy) else {
            continue;
        };
        for (k, v) in m {
            let i = *at.entry(k.clone()).or_insert_with(|| {
                out.push(FieldSpec {
                    name: k,
                    kind: None,
                });
                out.len() - 1
            });
            if let Some(seen) = FieldKind::of(&v) {
                let f = &mut out[i];
                f.kind = Some(f.kind.map_or(seen, |k| k.join(seen)));
            }
        }
    }
    out
}
