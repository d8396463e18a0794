//! Inventory lines of hazard sources: the cell syntax (`液氨=35;氯(7782-50-5)=2吨`),
//! substances written as `name(CAS,category)`, and lines given as JSON objects.

use std::sync::OnceLock;

use super::Value;
use super::codes::{looks_like_cas, looks_like_category};
use super::numbers::{NumError, parse_number, parse_number_str};
use super::resolve::{AliasMap, Slot, half_width_str, lookup, norm_key};
use super::specs::{INVENTORY_ITEM_FIELDS, Unit};

/// One inventory line before it is checked against the substance table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemDraft {
    pub cas: Option<String>,
    pub name: Option<String>,
    /// Other names found in brackets, tried when `name` is not in the table.
    pub alt_names: Vec<String>,
    pub category: Option<String>,
    /// `None` when missing; `Err` with the text when not a number.
    pub tonnes: Result<Option<f64>, NumError>,
}

impl ItemDraft {
    fn empty() -> Self {
        ItemDraft {
            cas: None,
            name: None,
            alt_names: Vec::new(),
            category: None,
            tonnes: Ok(None),
        }
    }
}

/// Splits an inventory cell into its lines. Lines are separated by `;`, `；`, `、`, `|`
/// or line breaks; each line is `substance=tonnes` (also `:`, `：`, `＝`) where the
/// substance is a CAS number, a name, `name(CAS)`, `name(category)`,
/// `name(CAS,category)`, or a bare category code; tonnes may carry a unit (`35吨`,
/// `500kg`).
pub(crate) fn parse_inventory_cell(cell: &str) -> Vec<Result<ItemDraft, String>> {
    let cell = half_width_str(cell);
    cell.split([';', '、', '|', '\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_inventory_piece)
        .collect()
}

fn parse_inventory_piece(piece: &str) -> Result<ItemDraft, String> {
    let (subst, qty) = match piece.rfind(['=', ':']) {
        Some(i) => (piece[..i].trim(), piece[i + 1..].trim()),
        None => match piece.rfind(char::is_whitespace) {
            // `液氨 35`: a quantity after a space.
            Some(i) if parse_number_str(&piece[i..], Unit::Tonnes).is_ok() => {
                (piece[..i].trim(), piece[i..].trim())
            }
            _ => {
                return Err(format!(
                    "{piece:?} has no quantity: write substance=tonnes, e.g. 液氨=35"
                ));
            }
        },
    };
    let mut d = parse_substance(subst);
    if d.cas.is_none() && d.name.is_none() && d.category.is_none() {
        return Err(format!("{piece:?} names no substance"));
    }
    d.tonnes = parse_number_str(qty, Unit::Tonnes);
    Ok(d)
}

/// Reads `name(CAS,category)` and its simpler forms; every bracketed group is read (a
/// name with another name in brackets before its CAS number: `天然气（甲烷）(74-82-8)`),
/// and the name is what lies outside them.
pub(crate) fn parse_substance(s: &str) -> ItemDraft {
    let s = half_width_str(s);
    let s = s.trim();
    let mut d = ItemDraft::empty();
    let mut outer = String::new();
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['(', '[', '【']) {
        outer.push_str(&rest[..i]);
        let open_len = rest[i..].chars().next().map_or(1, char::len_utf8);
        let inner = &rest[i + open_len..];
        match inner.find([')', ']', '】']) {
            Some(j) => {
                groups.push(&inner[..j]);
                let close_len = inner[j..].chars().next().map_or(1, char::len_utf8);
                rest = &inner[j + close_len..];
            }
            None => {
                groups.push(inner);
                rest = "";
            }
        }
    }
    outer.push_str(rest);
    let outer = outer.trim().to_string();
    let classify = |token: &str, d: &mut ItemDraft, is_outer: bool| {
        let t = token.trim();
        if t.is_empty() {
            return;
        }
        if looks_like_cas(t) && d.cas.is_none() {
            d.cas = Some(t.to_string());
        } else if looks_like_category(t) && d.category.is_none() {
            d.category = Some(t.to_ascii_uppercase());
        } else if is_outer && d.name.is_none() {
            d.name = Some(t.to_string());
        } else {
            d.alt_names.push(t.to_string());
        }
    };
    classify(&outer, &mut d, true);
    for inner in groups {
        for t in inner.split([',', '/', ';']) {
            classify(t, &mut d, false);
        }
    }
    d
}

/// Reads an inventory line given as a JSON object with English or Chinese keys.
pub(crate) fn inventory_item_from_json(
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Result<ItemDraft, String> {
    let mut d = ItemDraft::empty();
    let map = {
        static MAP: OnceLock<AliasMap> = OnceLock::new();
        MAP.get_or_init(|| {
            let mut m = AliasMap::new();
            for (i, spec) in INVENTORY_ITEM_FIELDS.iter().enumerate() {
                for name in std::iter::once(&spec.key).chain(spec.aliases) {
                    m.insert(norm_key(name), Slot::Field(i));
                }
            }
            m
        })
    };
    for (k, v) in obj {
        let Some((r, _)) = lookup(map, INVENTORY_ITEM_FIELDS, &norm_key(k)) else {
            continue;
        };
        let text = || match v {
            serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match r.slot {
            Slot::Field(0) => d.cas = text(),
            Slot::Field(1) => d.name = text(),
            Slot::Field(2) => d.category = text().map(|c| c.to_ascii_uppercase()),
            Slot::Field(3) => {
                d.tonnes = parse_number(&Value::Json(v.clone()), Unit::Tonnes)
                    .map(|t| t.map(|t| super::specs::scaled(t, r.scale)));
            }
            _ => {}
        }
    }
    if d.cas.is_none() && d.name.is_none() && d.category.is_none() {
        return Err(format!(
            "{} names no substance (expected cas/CAS号, name/物质名称 or category/类别)",
            serde_json::Value::Object(obj.clone())
        ));
    }
    // A name written as `氯(7782-50-5)` in the name key still gives its CAS number.
    if let Some(n) = d.name.clone()
        && (n.contains(['(', '（', '[', '【']) || looks_like_cas(&n))
    {
        let p = parse_substance(&n);
        d.name = p.name;
        d.cas = d.cas.or(p.cas);
        d.category = d.category.or(p.category);
        d.alt_names = p.alt_names;
    }
    Ok(d)
}
