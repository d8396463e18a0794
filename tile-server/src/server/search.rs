//! Search without HTTP: one scan over the searchable layers (`searchable`)
//! for the query in a feature's name (a house's address), its id, its code (an
//! enterprise's unified social credit code) or its kind (学校, 医院, 危险化学品生产, a
//! unit's type, a pipe's pressure class), ignoring case. Every match is counted, so the
//! reader is told how many there are; a page of them is returned.

use serde_json::{Value, json};

use super::layers;
use super::state::Snapshot;

/// A page of what a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// Every match, in all.
    pub total: usize,
    /// The matches from `offset`, at most `limit`: `{"layer", "id", "name", "kind_zh",
    /// "matched" (what matched, in Chinese), "bbox", "tile_id" (the id the feature has in
    /// its tiles, for its popup)}`.
    pub results: Vec<Value>,
}

/// What of a feature matched `needle` (lower case), in Chinese; `None` if nothing did.
fn matched(f: &layers::Searched<'_>, needle: &str, is_house: bool) -> Option<&'static str> {
    if f.id.to_lowercase() == needle {
        return Some("编号");
    }
    if needle.len() >= 4 && f.code.is_some_and(|c| c.to_lowercase().contains(needle)) {
        return Some("统一社会信用代码");
    }
    if f.text.to_lowercase().contains(needle) {
        return Some(if is_house { "地址" } else { "名称" });
    }
    if f.kind_zh.is_some_and(|k| k.contains(needle)) {
        return Some("类型");
    }
    None
}

/// The matches of `needle` (already lower case), layer by layer in file order, from the
/// `offset`-th, at most `limit` of them, and how many there are in all.
pub fn search(s: &Snapshot, needle: &str, offset: usize, limit: usize) -> Found {
    let mut found = Found::default();
    for kind in layers::SEARCHED {
        let layer = kind.name();
        let Some(features) = layers::searchable(s.dataset(), kind) else {
            continue;
        };
        let is_house = kind == riskmap_core::model::LayerKind::Houses;
        for f in features {
            let Some(why) = matched(&f, needle, is_house) else {
                continue;
            };
            let n = found.total;
            found.total += 1;
            if n < offset || n - offset >= limit {
                continue;
            }
            let b = geo::BoundingRect::bounding_rect(f.geometry)
                .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
            found.results.push(json!({
                "layer": layer,
                "id": f.id,
                "name": f.text,
                "kind_zh": f.kind_zh,
                "matched": why,
                "bbox": b,
                "tile_id": s.dataset().uid(kind, f.pos),
            }));
        }
    }
    found
}
