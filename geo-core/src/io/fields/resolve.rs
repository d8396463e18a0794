//! Matching column names to fields: normalising a name, looking it up in the layer's
//! alias table (with a bracketed unit split off), the renames of `riskmap.toml`, and a
//! per-thread memo of resolved keys.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::LayerKind;

use super::specs::{FieldSpec, ID, LAT, LON, Unit, WKT, layer_fields};

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The feature id.
    Id,
    /// Longitude / easting.
    Lon,
    /// Latitude / northing.
    Lat,
    /// WKT geometry.
    Wkt,
    /// A field of the layer, by index in its field list.
    Field(usize),
}

/// A column resolved to a slot, with the factor that brings a unit in the header (such
/// as `数量(kg)`) to the field's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resolved {
    pub slot: Slot,
    pub scale: f64,
}

/// Normalises a column name for matching: full-width forms to ASCII, lower case, and
/// no spaces, underscores, hyphens or invisible characters.
pub(crate) fn norm_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = half_width(c);
        if c.is_whitespace() || matches!(c, '_' | '-' | '\u{feff}' | '\u{200b}') {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Full-width ASCII forms (Ａ, （, ：, ０) and the ideographic space to their ASCII forms.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A string with full-width forms replaced.
pub(crate) fn half_width_str(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| half_width(c) != c) {
        Cow::Owned(s.chars().map(half_width).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Splits a trailing unit in brackets off a normalised name: `设计压力(mpa)` →
/// (`设计压力`, `mpa`).
fn split_unit(k: &str) -> Option<(&str, &str)> {
    let (open, close) = if k.ends_with(')') {
        ('(', ')')
    } else if k.ends_with('】') {
        ('【', '】')
    } else if k.ends_with(']') {
        ('[', ']')
    } else {
        return None;
    };
    let start = k.rfind(open)?;
    let base = &k[..start];
    let unit = &k[start + open.len_utf8()..k.len() - close.len_utf8()];
    (!base.is_empty()).then_some((base, unit))
}

pub(super) type AliasMap = HashMap<String, Slot>;

fn build_alias_map(fields: &[FieldSpec]) -> AliasMap {
    let mut m = AliasMap::new();
    // Layer fields first so that a layer's own meaning of a shared alias wins over the
    // generic columns (none clash today; the order makes that a rule).
    for (i, spec) in fields.iter().enumerate() {
        for name in std::iter::once(&spec.key).chain(spec.aliases) {
            m.entry(norm_key(name)).or_insert(Slot::Field(i));
        }
    }
    for (spec, slot) in [
        (ID, Slot::Id),
        (LON, Slot::Lon),
        (LAT, Slot::Lat),
        (WKT, Slot::Wkt),
    ] {
        for name in std::iter::once(&spec.key).chain(spec.aliases) {
            m.entry(norm_key(name)).or_insert(slot);
        }
    }
    m
}

fn alias_map(kind: LayerKind) -> &'static AliasMap {
    static MAPS: [OnceLock<AliasMap>; 7] = [const { OnceLock::new() }; 7];
    let i = kind as usize;
    MAPS[i].get_or_init(|| build_alias_map(layer_fields(kind)))
}

/// Looks a normalised name up, trying it without a bracketed unit when it is not found.
pub(super) fn lookup(
    map: &AliasMap,
    fields: &[FieldSpec],
    k: &str,
) -> Option<(Resolved, Option<String>)> {
    if let Some(&slot) = map.get(k) {
        return Some((Resolved { slot, scale: 1.0 }, None));
    }
    let (base, unit) = split_unit(k)?;
    let &slot = map.get(base)?;
    let field_unit = match slot {
        Slot::Field(i) => fields.get(i).map(|s| s.unit).unwrap_or(Unit::Plain),
        _ => Unit::Plain,
    };
    match field_unit.scale(unit) {
        Some(scale) => Some((Resolved { slot, scale }, None)),
        // A count or text field with a unit we do not know (`人数(人次)`) still means the
        // field; for a measured field an unknown unit would change the numbers, so say so.
        None if field_unit == Unit::Plain => Some((Resolved { slot, scale: 1.0 }, None)),
        None => Some((
            Resolved { slot, scale: 1.0 },
            Some(format!(
                "unit {unit:?} not recognised; values read in the field's own unit"
            )),
        )),
    }
}

/// Maps a file's column names to a layer's fields, with the renames of `riskmap.toml`.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    kind: LayerKind,
    /// normalised source name → target name, from the manifest
    renames: HashMap<String, String>,
}

/// Rename targets that keep a column from being read (`columns = { "编号" = "ignore" }`: a
/// 序号 headed 编号, an old column under a field's name).
pub(crate) const IGNORE_TARGETS: &[&str] = &["ignore", "不读", "忽略"];

impl Resolver {
    /// A resolver for a layer with `columns = { "source" = "target" }` renames.
    pub(crate) fn new(kind: LayerKind, renames: &[(String, String)]) -> Self {
        Resolver {
            kind,
            renames: renames
                .iter()
                .map(|(from, to)| (norm_key(from), to.clone()))
                .collect(),
        }
    }

    /// Whether a rename target names a field of the layer (or id, lon, lat, wkt), or
    /// says the column is not to be read ([`IGNORE_TARGETS`]).
    pub(crate) fn knows_target(kind: LayerKind, target: &str) -> bool {
        IGNORE_TARGETS.contains(&target.trim())
            || lookup(alias_map(kind), layer_fields(kind), &norm_key(target)).is_some()
    }

    /// The renames as given (their keys normalised) with what each renames to.
    pub(crate) fn renames(&self) -> impl Iterator<Item = (&str, &str)> {
        self.renames.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The slot a rename target names (none for [`IGNORE_TARGETS`] or a name of no
    /// field), with its unit's scale.
    pub(crate) fn target(&self, target: &str) -> Option<Resolved> {
        if IGNORE_TARGETS.contains(&target.trim()) {
            return None;
        }
        lookup(
            alias_map(self.kind),
            layer_fields(self.kind),
            &norm_key(target),
        )
        .map(|(r, _)| r)
    }

    /// The slot of a column, and a warning about its header when there is one.
    pub(crate) fn resolve(&self, column: &str) -> Option<(Resolved, Option<String>)> {
        let k = norm_key(column);
        let map = alias_map(self.kind);
        let fields = layer_fields(self.kind);
        if let Some(target) = self.renames.get(&k) {
            return lookup(map, fields, &norm_key(target));
        }
        lookup(map, fields, &k)
    }

    /// The field a column name cut short stands for (a shapefile keeps 10 bytes of a
    /// name: GDAL writes `design_pressure_mpa` as `design_pre`): the one field of the
    /// layer, or id, lon, lat or wkt, one of whose names begins with it, as its key.
    /// `None` for a name of fewer than three characters, one that begins names of two
    /// fields, and one a rename of `riskmap.toml` names.
    pub(crate) fn resolve_cut(&self, column: &str) -> Option<&'static str> {
        let k = norm_key(column.trim_end_matches('\u{FFFD}'));
        if k.chars().count() < 3 || self.renames.contains_key(&k) {
            return None;
        }
        let mut found: Option<&'static str> = None;
        let specs = layer_fields(self.kind)
            .iter()
            .chain([&ID, &LON, &LAT, &WKT]);
        for spec in specs {
            let begins = std::iter::once(&spec.key).chain(spec.aliases).any(|name| {
                let name = norm_key(name);
                name.len() > k.len() && name.starts_with(&k)
            });
            if begins {
                if found.is_some_and(|key| key != spec.key) {
                    return None;
                }
                found = Some(spec.key);
            }
        }
        found
    }
}

/// A small per-thread memo of resolved keys: GeoJSON properties repeat the same keys in
/// the same order feature after feature, so the same index usually holds the answer.
#[derive(Debug, Default)]
pub(crate) struct KeyMemo {
    entries: Vec<(String, Option<Resolved>)>,
}

impl KeyMemo {
    pub(crate) fn get(&mut self, r: &Resolver, idx: usize, key: &str) -> Option<Resolved> {
        if let Some((k, v)) = self.entries.get(idx)
            && k == key
        {
            return *v;
        }
        if let Some((_, v)) = self.entries.iter().find(|(k, _)| k == key) {
            return *v;
        }
        let v = r.resolve(key).map(|(res, _)| res);
        // Bounded, so a file with unique keys per feature cannot grow it without end.
        if self.entries.len() < 256 {
            self.entries.push((key.to_string(), v));
        }
        v
    }
}
