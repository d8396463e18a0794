//! The HTTP handlers, a file per concern; [`super::routes::router`] maps paths to them.
//! What is not HTTP (reading a site, searching the layers) lives in plain functions
//! outside this module that the handlers call.

pub(super) mod admin;
#[cfg(feature = "bench-routes")]
pub(super) mod bench;
pub(super) mod catalog;
pub(super) mod changes;
pub(super) mod edit;
pub(super) mod edit_read;
pub(super) mod features;
pub(super) mod fonts;
pub(super) mod health;
pub(super) mod hidden;
pub(super) mod lists;
pub(super) mod measure;
pub(super) mod ogc;
pub(super) mod ogc_tiles;
pub(super) mod rings;
pub(super) mod search;
pub(super) mod site_check;
pub(super) mod styles;
pub(super) mod tiles;

use std::sync::Arc;

use super::state::AppState;

/// The state every handler extracts.
pub(super) type AppStateRef = Arc<AppState>;
