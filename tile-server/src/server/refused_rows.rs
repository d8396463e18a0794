//! Rows of a store that the checks refuse when the store is read whole (at a start, a
//! reload): each is served as the store last recorded it in a state the checks pass, as
//! a running server keeps serving a refused row's feature as it was, rather than
//! dropping off the map with a reload (a major hazard source whose geometry another
//! department emptied vanishing from the risk map). The refusal stays in the
//! validation report; a row with no such state stays out.
//!
//! A GeoPackage's trail records what the map served (a refused row is not recorded), so
//! its last record is the state; a PostGIS change table records every change, the
//! refused one too, so its records are tried newest first, each one's `after` then its
//! `before`, back to the last insertion of the row (a state before a deletion is never
//! brought back).

use std::collections::BTreeMap;

use riskmap_core::io::{LoadOptions, Loaded};
use riskmap_core::model::LayerKind;
use serde_json::Value;

/// Refused rows of one layer looked up at most: a layer refused as a whole (its
/// coordinates in another system) is not read back row by row.
pub(super) const MOST: usize = 1_000;

/// The refused rows of `loaded`, by layer, sorted; a layer with more than [`MOST`] of
/// them is left out (and said).
pub(super) fn refused_ids(loaded: &Loaded) -> Vec<(LayerKind, Vec<String>)> {
    let refused = riskmap_core::store::Kept::of_report(&loaded.report).refused;
    let mut out = Vec::new();
    // Layer by layer in the loaders' order: a hidden hazard's house is back before it.
    for kind in LayerKind::INPUTS {
        let Some(ids) = refused.get(&kind) else {
            continue;
        };
        if ids.len() > MOST {
            tracing::warn!(
                layer = kind.name(),
                rows = ids.len(),
                "more rows of this layer are refused than are served as last recorded: \
                 they are left out"
            );
            continue;
        }
        let mut ids: Vec<String> = ids.iter().cloned().collect();
        ids.sort_unstable();
        out.push((kind, ids));
    }
    out
}

/// Puts each refused row of `loaded` (`refused`, from [`refused_ids`]) back as the
/// first of its recorded states (newest first, as `states` gives them for a layer's
/// ids, back to the last time the row came to be) that the checks pass; gives how many
/// were put back.
pub(super) fn put_back(
    loaded: &mut Loaded,
    opts: &LoadOptions,
    refused: Vec<(LayerKind, Vec<String>)>,
    mut states: impl FnMut(LayerKind, &[&str]) -> Result<BTreeMap<String, Vec<Value>>, String>,
) -> usize {
    let mut put = 0;
    for (kind, ids) in refused {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found = match states(kind, &ids) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "the recorded states of refused rows could not be read: those rows are not served");
                return put;
            }
        };
        for (id, candidates) in found {
            let ds = &mut loaded.dataset;
            // (A line refused as a duplicate of a served id.)
            if ds.position_of(kind, &id).is_some() {
                continue;
            }
            let back = candidates.iter().find_map(|json| {
                riskmap_core::io::recorded_feature_from_geojson(kind, json, Some(&id), ds, opts)
                    .ok()
            });
            if let Some(c) = back {
                c.feature.push_into(ds);
                put += 1;
            }
        }
    }
    if put > 0 {
        tracing::warn!(
            rows = put,
            "rows of the store the checks refuse are served as it last recorded them (the \
             validation report names them): fix them where they were changed"
        );
    }
    put
}
