//! The events of `/api/changes/stream`: one per generation served (a batch of edits, a
//! reload, a new day) and the notices that change no feature (tiles drawn anew, a
//! reading of the source refused or taken in).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// One generation's change, as `/api/changes/stream` sends it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeEvent {
    /// The generation now served.
    pub generation: u64,
    /// Unix time, milliseconds.
    pub at_ms: u64,
    /// `edit` (a batch of changes), `day` (the map moved to a new day), `reload`
    /// (everything read again), `drawn` (tiles answered from their last drawing while
    /// the server was busy are drawn anew: ask for them again) or `source` (a reading of
    /// the source was refused, `actor` `refused`, or one was taken in after a refusal,
    /// `taken`: `/health` says what stands).
    pub kind: &'static str,
    /// Who made it (a token's name, `database`, `file`).
    pub actor: String,
    /// Features changed.
    pub features: usize,
    /// Tile layers whose tiles may have changed.
    pub layers: Vec<&'static str>,
    /// `[west, south, east, north]` of everything that may look different; absent when
    /// nothing does, the world for a reload.
    pub bbox: Option<[f64; 4]>,
    /// Milliseconds from the batch's start until it was served.
    pub apply_ms: f64,
    /// Of those, the milliseconds the batch waited for its copy of the map (the copy the
    /// previous batch replaced, being brought up to date); not sent.
    #[serde(skip)]
    pub spare_wait_ms: f64,
}

impl ChangeEvent {
    /// An event that changed no feature (a reload, tiles drawn anew, a reading of the
    /// source): its generation, kind and actor, the tile layers and box it names.
    pub(super) fn notice(
        generation: u64,
        kind: &'static str,
        actor: &str,
        layers: Vec<&'static str>,
        bbox: Option<[f64; 4]>,
    ) -> ChangeEvent {
        ChangeEvent {
            generation,
            at_ms: now_ms(),
            kind,
            actor: actor.into(),
            features: 0,
            layers,
            bbox,
            apply_ms: 0.0,
            spare_wait_ms: 0.0,
        }
    }
}

/// Unix time, milliseconds.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
