//! Search by name without HTTP: one scan over the searchable layers
//! ([`super::layers::searchable`]) for names or addresses containing the query, or ids
//! equal to it.

use serde_json::{Value, json};

use super::layers;
use super::state::Snapshot;

/// The first `limit` features, layer by layer in file order, whose name (or a house's
/// address) contains `needle` or whose id equals it, ignoring case; `needle` is already
/// lower case. Each hit is `{"layer", "id", "name", "bbox"}`.
pub fn search_names(s: &Snapshot, needle: &str, limit: usize) -> Vec<Value> {
    let mut hits: Vec<Value> = Vec::new();
    for kind in layers::SEARCHED {
        let layer = kind.name();
        let Some(features) = layers::searchable(s.dataset(), kind) else {
            continue;
        };
        for (id, name, g) in features {
            if hits.len() >= limit {
                return hits;
            }
            if name.to_lowercase().contains(needle) || id.to_lowercase() == needle {
                let b = geo::BoundingRect::bounding_rect(g)
                    .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
                hits.push(json!({"layer": layer, "id": id, "name": name, "bbox": b}));
            }
        }
    }
    hits
}
