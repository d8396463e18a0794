//! `GET /tiles/{layers}/{z}/{x}/{y}.mvt`: vector tiles of one or more layers, rendered off
//! the async workers (once per tile however many ask at once, under the tile gate), cached gzipped per data generation, served gzipped or plain with an
//! ETag per representation.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::tileset::{MAX_ZOOM, TileSetError};

use super::AppStateRef;
use crate::server::cache::{CachedTile, TileKey};
use crate::server::changes::SinceDrawn;
use crate::server::dated::parse_as_of;
use crate::server::error::AppError;
use crate::server::layers::parse_layers;
use crate::server::limits::{Flight, Limits};
use crate::server::state::Snapshot;
use riskmap_core::model::Day;
use riskmap_core::model::LayerKind;

/// The ETag of a tile: a hash of its bytes alone, so that a tile a change did not touch
/// keeps its ETag in the next generation (a browser's copy stays valid).
fn etag_of(bytes: &[u8]) -> Arc<str> {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Arc::from(format!("\"{:016x}-{}\"", h.finish(), bytes.len()).as_str())
}

pub(in crate::server) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';');
                let name = parts.next().unwrap_or("").trim();
                let q_zero =
                    parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                (name == "gzip" || name == "*") && !q_zero
            })
        })
}

/// What a cached tile is of: its layers, comma-separated, and `@day` for a tile of
/// another day than the analysis's.
fn spec_of(names: &[LayerKind], day: Option<Day>) -> String {
    let layers = names.iter().map(|k| k.name()).collect::<Vec<_>>().join(",");
    match day {
        Some(d) => format!("{layers}@{d}"),
        None => layers,
    }
}

/// The layers of a cached tile's spec ([`spec_of`]), and whether it is of another day.
pub(in crate::server) fn spec_layers(spec: &str) -> (Vec<LayerKind>, bool) {
    let (layers, day) = match spec.split_once('@') {
        Some((l, _)) => (l, true),
        None => (spec, false),
    };
    (
        layers.split(',').filter_map(LayerKind::from_name).collect(),
        day,
    )
}

/// Whether a cached tile's spec ([`spec_of`]) is of `day`.
pub(in crate::server) fn spec_is_of(spec: &str, day: Day) -> bool {
    spec.split_once('@')
        .is_some_and(|(_, d)| Day::parse_iso(d) == Some(day))
}

/// The query of a tile: the day the map is drawn as of (default: the analysis's).
#[derive(Debug, serde::Deserialize)]
pub(in crate::server) struct TileQuery {
    pub(in crate::server) as_of: Option<String>,
}

fn bad_tile(z: &str, x: &str, yfile: &str, max_zoom: u8) -> AppError {
    AppError::bad_request(format!(
        "bad tile {z}/{x}/{yfile}: z must be 0–{max_zoom} and x, y whole numbers below 2^z"
    ))
}

/// The zoom, column and row of a tile URL's `{z}/{x}/{y}.mvt` (or `.pbf`): 404 for
/// another extension, 400 for numbers out of range (`z` up to `max_zoom`).
pub(in crate::server) fn parse_tile_path(
    z: &str,
    x: &str,
    yfile: &str,
    max_zoom: u8,
) -> Result<(u8, u32, u32), AppError> {
    let y = yfile
        .strip_suffix(".mvt")
        .or_else(|| yfile.strip_suffix(".pbf"))
        .ok_or_else(|| AppError::not_found(format!("tiles end in .mvt, not '{yfile}'")))?;
    let bad = || bad_tile(z, x, yfile, max_zoom);
    let z: u8 = z.parse().map_err(|_| bad())?;
    let x: u32 = x.parse().map_err(|_| bad())?;
    let y: u32 = y.parse().map_err(|_| bad())?;
    if z > max_zoom || u64::from(x) >= (1u64 << z) || u64::from(y) >= (1u64 << z) {
        return Err(bad());
    }
    Ok((z, x, y))
}

/// One tile of the comma-separated `layers`: 204 when empty, 304 when the client has it.
pub(in crate::server) async fn tile(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Path((layers, z, x, yfile)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (z, x, y) = parse_tile_path(&z, &x, &yfile, MAX_ZOOM)?;
    let bad = || bad_tile(&z.to_string(), &x.to_string(), &yfile, MAX_ZOOM);
    let snap = state.snapshot();
    let names = parse_layers(&snap, &layers)?;
    // Another day than the analysis's is a dated view; the analysis's day is the map.
    let day = parse_as_of(q.as_of.as_deref())?.filter(|d| Some(*d) != snap.analysis().as_of);
    let started = Instant::now();
    let (t, how) = cached_or_render(&state, &limits, snap, names, day, (z, x, y))
        .await
        .map_err(|e| match e {
            AppError::TileSet(TileSetError::OutOfRange { .. }) => bad(),
            e => e,
        })?;
    let mut resp = respond(&state, &t, &headers).await?;
    how.add_to(&mut resp, started);
    Ok(resp)
}

/// How a tile was answered, sent as a `Server-Timing` header (browsers' developer tools
/// show it; the edit benchmarks read it): from the cache, from its last drawing while it
/// is drawn again, from another request's drawing of it, or drawn for this one (the
/// wait for a tile slot, the drawing, the gzip); and `tile`, all of it until answered.
#[derive(Debug, Clone, Copy)]
pub(in crate::server) enum Answered {
    /// The current tile, cached.
    Cached,
    /// Its last drawing, outdated by a change, while it is drawn again.
    Outdated,
    /// Another request's drawing, waited for.
    Joined,
    /// Drawn for this request.
    Drawn(Drawing),
}

/// Where a tile's drawing went, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(in crate::server) struct Drawing {
    /// Waiting for a tile slot and a thread of the blocking pool.
    wait_ms: f64,
    /// Drawing the layers.
    draw_ms: f64,
    /// Compressing the drawing.
    gzip_ms: f64,
}

impl Answered {
    fn add_to(&self, resp: &mut Response, started: Instant) {
        let how = match self {
            Answered::Cached => "cache;desc=\"hit\"".to_string(),
            Answered::Outdated => "cache;desc=\"outdated\"".to_string(),
            Answered::Joined => "cache;desc=\"joined\"".to_string(),
            Answered::Drawn(d) => format!(
                "wait;dur={:.2}, draw;dur={:.2}, gzip;dur={:.2}",
                d.wait_ms, d.draw_ms, d.gzip_ms
            ),
        };
        let v = format!(
            "{how}, tile;dur={:.2}",
            started.elapsed().as_secs_f64() * 1e3
        );
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut()
                .insert(header::HeaderName::from_static("server-timing"), v);
        }
    }
}

/// Tile z/x/y of `names` of the served map, from the cache or rendered, answered as
/// `tile` answers (gzip, ETag, 304, 204 when empty): for the other APIs that serve tiles.
pub(in crate::server) async fn serve_tile(
    state: &AppStateRef,
    limits: &Arc<Limits>,
    names: Vec<LayerKind>,
    zxy: (u8, u32, u32),
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let (t, _) = cached_or_render(state, limits, state.snapshot(), names, None, zxy).await?;
    respond(state, &t, headers).await
}

/// The tile from the cache, or rendered, gzipped and cached. Concurrent misses of one
/// tile render it once: the first renders, the others wait for its result.
///
/// A tile a change outdated is answered from its last drawing, within the grace period,
/// when every tile slot is taken or other outdated tiles are being drawn again: it is
/// drawn again behind the answer (once, however many ask) and announced as `drawn` when
/// done. An idle server draws it at once.
async fn cached_or_render(
    state: &AppStateRef,
    limits: &Arc<Limits>,
    snap: Arc<Snapshot>,
    names: Vec<LayerKind>,
    day: Option<Day>,
    (z, x, y): (u8, u32, u32),
) -> Result<(CachedTile, Answered), AppError> {
    let key: TileKey = (
        snap.generation,
        Arc::from(spec_of(&names, day).as_str()),
        z,
        x,
        y,
    );
    loop {
        let (cached, outdated) = match state.cache.lock() {
            Ok(mut c) => match c.get(&key) {
                Some(t) => (Some(t), None),
                // A tile of another day is never answered outdated.
                None if day.is_none() => (None, c.get_outdated(&key, Instant::now())),
                None => (None, None),
            },
            Err(_) => (None, None),
        };
        if let Some(t) = cached {
            state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok((t, Answered::Cached));
        }
        // Busy: a render would wait for a slot, or outdated tiles are being drawn again
        // already (the server is behind the changes: a render now would take a core
        // from them).
        let busy = outdated.filter(|_| limits.tiles.is_full() || limits.redraws.is_busy());
        match limits.flights.join(&key) {
            Flight::Follow(mut rx) => {
                if let Some((t, age)) = busy {
                    state.metrics.outdated_served(age.as_secs_f64());
                    return Ok((t, Answered::Outdated));
                }
                // The render in flight answers; if it was abandoned (its client went
                // away before it started), look again and perhaps render.
                if let Ok(v) = rx.wait_for(Option::is_some).await
                    && let Some(r) = v.as_ref()
                {
                    return r
                        .clone()
                        .map(|t| (t, Answered::Joined))
                        .map_err(|e| e.relay());
                }
            }
            Flight::Lead(leader) => {
                if let Some((t, age)) = busy {
                    drop(leader);
                    redraw_behind(state, limits, names, &key, t.etag.clone());
                    state.metrics.outdated_served(age.as_secs_f64());
                    return Ok((t, Answered::Outdated));
                }
                let r = render(state, limits, &snap, names, day, (z, x, y), key, false)
                    .await
                    .map(|(t, _, d)| (t, Answered::Drawn(d)));
                let shared = r
                    .as_ref()
                    .map(|(t, _)| t.clone())
                    .map_err(|e| Arc::new(e.relay()));
                leader.finish(shared);
                return r;
            }
        }
    }
}

/// Draws an outdated tile again from the snapshot served now, behind the answer that gave
/// its last drawing (`answered`, its ETag), and announces it once it is the tile served
/// (a batch meanwhile may have outdated it again: then it is kept as its latest drawing,
/// unannounced). A drawing the same as the one answered is not announced: the viewer has
/// it.
fn redraw_behind(
    state: &AppStateRef,
    limits: &Arc<Limits>,
    names: Vec<LayerKind>,
    key: &TileKey,
    answered: Arc<str>,
) {
    let Some(claim) = limits.redraw(key) else {
        return;
    };
    let (state, limits, spec, zxy) = (
        Arc::clone(state),
        Arc::clone(limits),
        Arc::clone(&key.1),
        (key.2, key.3, key.4),
    );
    // Counted when claimed, before the task runs: the answer that started it may be
    // read (and `/metrics` asked) before the runtime gets to the task.
    state
        .metrics
        .tiles_redrawn_behind
        .fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let _claim = claim;
        let snap = state.snapshot();
        let key = (snap.generation, spec, zxy.0, zxy.1, zxy.2);
        let Ok((drawn, current, _)) =
            render(&state, &limits, &snap, names.clone(), None, zxy, key, true).await
        else {
            return;
        };
        if drawn.etag == answered {
            state
                .metrics
                .tiles_redrawn_same
                .fetch_add(1, Ordering::Relaxed);
        } else if current && let Ok(t) = riskmap_core::tiles::TileId::new(zxy.0, zxy.1, zxy.2) {
            let b = t.bounds_lonlat();
            state.announce_drawn([b.min().x, b.min().y, b.max().x, b.max().y], &names);
        }
    });
}

/// Renders, gzips and caches one tile under a permit of the tile gate (of the redrawing
/// gate for a drawing `behind` the answers, on one thread); says whether it was kept as
/// the tile served (not when a batch since may have changed it), and where its time went.
#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppStateRef,
    limits: &Limits,
    snap: &Arc<Snapshot>,
    names: Vec<LayerKind>,
    day: Option<Day>,
    (z, x, y): (u8, u32, u32),
    key: TileKey,
    behind: bool,
) -> Result<(CachedTile, bool, Drawing), AppError> {
    state.metrics.cache_misses.fetch_add(1, Ordering::Relaxed);
    let view = match day {
        Some(d) => Some(state.dated.get(state, snap, d).await?),
        None => None,
    };
    let snap2 = Arc::clone(snap);
    let level = state.config.tile_gzip_level;
    let t0 = Instant::now();
    // A tile may take a second core only if no other tile wants it.
    let spare = !behind && limits.tiles.has_spare();
    let kinds = names.clone();
    let gate = if behind {
        &limits.redraws
    } else {
        &limits.tiles
    };
    let (gz, [began, drawn, zipped]) = gate
        .run(move || -> Result<(Vec<u8>, [Instant; 3]), TileSetError> {
            let began = Instant::now();
            let (ts, ds, a) = (&snap2.tiles, snap2.dataset(), snap2.analysis());
            let raw = if let Some(d) = &view {
                let s = &snap2;
                let (ts, ds, a) = (d.tiles(s), d.dataset(s), d.analysis(s));
                ts.render_as_of(ds, a, &d.view, &names, (z, x, y), spare)?
            } else if spare {
                ts.render(ds, a, &names, z, x, y)?
            } else {
                ts.render_on_one_thread(ds, a, &names, z, x, y)?
            };
            let drawn = Instant::now();
            if raw.is_empty() {
                return Ok((raw, [began, drawn, drawn]));
            }
            let gz = riskmap_core::tiles::gzip_with_level(&raw, level)?;
            Ok((gz, [began, drawn, Instant::now()]))
        })
        .await??;
    state.metrics.render(t0.elapsed().as_secs_f64());
    let ms = |from: Instant, to: Instant| to.duration_since(from).as_secs_f64() * 1e3;
    let drawing = Drawing {
        wait_ms: ms(t0, began),
        draw_ms: ms(began, drawn),
        gzip_ms: ms(drawn, zipped),
    };
    let t = CachedTile {
        etag: etag_of(&gz),
        gz: Bytes::from(gz),
    };
    let mut current = false;
    if let Ok(mut c) = state.cache.lock() {
        // Under the cache lock, as the swap of a batch of edits is: a tile of a snapshot
        // no longer served is kept as current only if no batch since may have changed it,
        // else as the last drawing of an outdated tile. A tile of another day is kept only
        // while its generation is served (a batch drops them all, see `changes`).
        if day.is_some() {
            current = state.snapshot().generation == snap.generation;
            if current {
                c.insert(key, t.clone());
            }
        } else {
            match state.changed_since(snap.generation, &kinds, z, x, y) {
                SinceDrawn::Unchanged => {
                    current = true;
                    c.insert(key, t.clone());
                }
                SinceDrawn::ChangedAt(at) => c.insert_outdated(key, t.clone(), at),
                SinceDrawn::Unknown => {}
            }
        }
    }
    Ok((t, current, drawing))
}

/// The response for a tile, gzipped if the client accepts it, 304 if its ETag matches.
/// Decompressing for a client that does not accept gzip runs on the blocking pool, like
/// rendering: no tile work runs on the async workers.
async fn respond(
    state: &AppStateRef,
    t: &CachedTile,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    // The map changes while it is served: by default a browser asks again each time (an
    // unchanged tile answers 304 from its ETag).
    let cache_control = match state.config.tile_max_age_s {
        0 => "no-cache".to_string(),
        s => format!("public, max-age={s}"),
    };
    if t.gz.is_empty() {
        return Ok((
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, cache_control)],
        )
            .into_response());
    }
    let gzip = accepts_gzip(headers);
    // The ETag names the representation, so the gzipped and plain bodies differ.
    let etag = if gzip {
        t.etag.to_string()
    } else {
        format!("{}-identity\"", t.etag.trim_end_matches('"'))
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim() == etag || e.trim() == "*"));
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut r = Body::from(t.gz.clone()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let gz = t.gz.clone();
        let raw = tokio::task::spawn_blocking(move || {
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut raw)
                .map(|_| raw)
        })
        .await?
        .map_err(|e| AppError::Internal(format!("decompressing a cached tile: {e}")))?;
        Body::from(raw).into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache_control) {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok(resp)
}
