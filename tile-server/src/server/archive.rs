//! `riskmap serve map.pmtiles` (or `.mbtiles`): the map from a tile archive, with no data
//! loaded and nothing analysed — for a published map, a town's office or a cache in front
//! of a province's archive. It serves the archive's tiles one by one (`/tiles/{z}/{x}/{y}.mvt`,
//! gzipped as stored, 204 where the archive has none), their TileJSON (`/tiles.json`, from
//! the archive's metadata) and the offline viewer (`/`), which reads that TileJSON.
//!
//! A PMTiles archive is read through the `pmtiles` crate's memory-mapped reader, an MBTiles
//! one through SQLite (read-only). `riskmap tiles` replaces an archive by renaming a new
//! file over it, so the open file stays whole under a running server; the server goes on
//! serving the archive it opened until it is restarted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pmtiles::{AsyncPmTilesReader, MmapBackend, NoCache, TileCoord};
use riskmap_core::archive::ArchiveFormat;
use riskmap_core::tileset::tile_layer;
use serde_json::{Value, json};

use super::ServeError;
use super::config::ServerConfig;
use super::error::AppError;
use super::offline::{self, ViewerFacts};
use super::proxy::{Peer, origin};

/// Where the tiles come from.
enum Reader {
    Pm(AsyncPmTilesReader<MmapBackend, NoCache>),
    /// One connection, used on the blocking pool; SQLite reads are short.
    Mb(Mutex<rusqlite::Connection>),
}

/// A served archive.
pub struct Archive {
    path: PathBuf,
    reader: Reader,
    /// The archive's metadata: TileJSON's keys (`vector_layers`, …) and RiskMap's.
    meta: serde_json::Map<String, Value>,
    zooms: (u8, u8),
    bounds: [f64; 4],
    /// `map-data.js` of the viewer.
    viewer_data: String,
    /// What the viewer says of the map.
    facts: ViewerFacts,
    config: ServerConfig,
}

fn bad_archive(path: &Path, why: impl std::fmt::Display) -> ServeError {
    ServeError::Archive {
        path: path.display().to_string(),
        message: why.to_string(),
    }
}

impl Archive {
    /// Opens the archive at `path` (its format by its extension) and reads its metadata.
    pub async fn open(path: &Path, config: ServerConfig) -> Result<Archive, ServeError> {
        let format = ArchiveFormat::of_path(path).map_err(|e| bad_archive(path, e))?;
        let (reader, meta, zooms, bounds) = match format {
            ArchiveFormat::PmTiles => {
                let r = AsyncPmTilesReader::new_with_path(path)
                    .await
                    .map_err(|e| bad_archive(path, e))?;
                let h = r.get_header();
                let zooms = (h.min_zoom, h.max_zoom);
                let bounds = [
                    h.min_longitude,
                    h.min_latitude,
                    h.max_longitude,
                    h.max_latitude,
                ];
                if h.tile_type != pmtiles::TileType::Mvt {
                    return Err(bad_archive(path, "its tiles are not vector tiles (MVT)"));
                }
                let text = r.get_metadata().await.map_err(|e| bad_archive(path, e))?;
                let meta =
                    serde_json::from_str::<serde_json::Map<String, Value>>(&text).map_err(|e| {
                        bad_archive(path, format!("its metadata is not a JSON object: {e}"))
                    })?;
                (Reader::Pm(r), meta, zooms, bounds)
            }
            ArchiveFormat::MbTiles => {
                let (db, d) = open_mbtiles(path).map_err(|e| bad_archive(path, e))?;
                (Reader::Mb(Mutex::new(db)), d.meta, d.zooms, d.bounds)
            }
        };
        let layers = meta
            .get("vector_layers")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|l| l.get("id").and_then(Value::as_str).and_then(tile_layer))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if layers.is_empty() {
            return Err(bad_archive(
                path,
                "its metadata names none of RiskMap's tile layers (vector_layers); serve archives written by `riskmap tiles`",
            ));
        }
        let text = |k: &str| meta.get(k).and_then(Value::as_str).map(String::from);
        let facts = ViewerFacts {
            title: None,
            layers,
            bounds: Some(bounds),
            as_of: text("riskmap:as_of"),
            generated: text("riskmap:generated"),
            zooms,
            tilejson: Some("tiles.json".into()),
            glyphs: match crate::glyphs::shared(config.font.as_deref()) {
                Ok(_) => offline::Glyphs::Url("fonts/{fontstack}/{range}.pbf".into()),
                Err(e) => {
                    tracing::warn!("the map has no labels: {e}");
                    offline::Glyphs::None
                }
            },
        };
        Ok(Archive {
            path: path.to_path_buf(),
            reader,
            viewer_data: offline::viewer_data_js(&facts),
            facts,
            meta,
            zooms,
            bounds,
            config,
        })
    }

    /// What the viewer says of the map: layers, box, day, zooms.
    pub fn facts(&self) -> ViewerFacts {
        self.facts.clone()
    }

    /// The characters its labels can show, as `riskmap tiles` wrote them in the metadata
    /// (`riskmap:label_chars`); None for an archive without them.
    pub fn label_chars(&self) -> Option<String> {
        self.meta
            .get("riskmap:label_chars")
            .and_then(Value::as_str)
            .map(String::from)
    }

    /// The gzipped bytes of tile z/x/y (XYZ rows), if the archive has it.
    async fn tile(self: &Arc<Self>, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, AppError> {
        match &self.reader {
            Reader::Pm(r) => {
                let coord =
                    TileCoord::new(z, x, y).map_err(|e| AppError::bad_request(e.to_string()))?;
                let t = r.get_tile(coord).await.map_err(|e| {
                    AppError::Internal(format!("reading {}: {e}", self.path.display()))
                })?;
                Ok(t.map(|b| b.to_vec()))
            }
            Reader::Mb(_) => {
                let me = Arc::clone(self);
                tokio::task::spawn_blocking(move || me.mbtiles_tile(z, x, y))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
            }
        }
    }

    fn mbtiles_tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, AppError> {
        let Reader::Mb(db) = &self.reader else {
            return Ok(None);
        };
        let db = db
            .lock()
            .map_err(|_| AppError::Internal("the archive's connection was poisoned".into()))?;
        // MBTiles rows count from the south.
        let row = (1u32 << z) - 1 - y;
        let r = db.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            rusqlite::params![z, x, row],
            |r| r.get::<_, Vec<u8>>(0),
        );
        match r {
            Ok(b) => Ok(Some(b)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(AppError::Internal(format!(
                "reading {}: {e}",
                self.path.display()
            ))),
        }
    }
}

/// What an archive holds beside its tiles: its metadata (an MBTiles file's `json` value
/// spread into the map beside the other keys), zooms and bounds.
struct Described {
    meta: serde_json::Map<String, Value>,
    zooms: (u8, u8),
    bounds: [f64; 4],
}

/// Opens an MBTiles file read-only and reads its metadata; what is wrong, if it cannot.
fn open_mbtiles(path: &Path) -> Result<(rusqlite::Connection, Described), String> {
    use rusqlite::OpenFlags;
    let db = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let rows: Vec<(String, String)> = db
        .prepare("SELECT name, value FROM metadata")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| format!("no readable metadata table: {e}"))?;
    let mut meta = serde_json::Map::new();
    for (k, v) in &rows {
        if k == "json" {
            let j: serde_json::Map<String, Value> = serde_json::from_str(v)
                .map_err(|e| format!("metadata 'json' is not a JSON object: {e}"))?;
            meta.extend(j);
        } else {
            meta.insert(k.clone(), json!(v));
        }
    }
    let num = |k: &str| {
        rows.iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.trim().parse::<u8>().ok())
    };
    let zooms = (num("minzoom").unwrap_or(0), num("maxzoom").unwrap_or(14));
    let bounds = rows
        .iter()
        .find(|(n, _)| n == "bounds")
        .and_then(|(_, v)| {
            let b: Vec<f64> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            <[f64; 4]>::try_from(b).ok()
        })
        .unwrap_or([-180.0, -85.051_128_8, 180.0, 85.051_128_8]);
    Ok((
        db,
        Described {
            meta,
            zooms,
            bounds,
        },
    ))
}

type ArchiveRef = Arc<Archive>;

/// The routes of an archive server.
pub fn router(archive: Arc<Archive>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/map-data.js", get(viewer_data))
        .route("/tiles.json", get(tilejson))
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .route("/fonts/{fontstack}/{range}", get(glyphs))
        .route("/health", get(health))
        .route("/{*file}", get(asset))
        .with_state(archive)
}

fn file_response(name: &str, bytes: &'static [u8]) -> Response {
    let ct = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}

async fn index() -> Response {
    asset(UrlPath("index.html".to_string())).await
}

async fn asset(UrlPath(file): UrlPath<String>) -> Response {
    match offline::FILES.iter().find(|(n, _)| *n == file) {
        Some((n, b)) => file_response(n, b),
        None => AppError::not_found(format!("no file '{file}'")).into_response(),
    }
}

async fn viewer_data(State(a): State<ArchiveRef>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        a.viewer_data.clone(),
    )
        .into_response()
}

async fn tilejson(State(a): State<ArchiveRef>, headers: HeaderMap, peer: Peer) -> Response {
    let o = origin(&headers, peer, &a.config.trusted_proxies);
    let b = a.bounds;
    let mut j = a.meta.clone();
    j.insert("tilejson".into(), json!("3.0.0"));
    j.insert("scheme".into(), json!("xyz"));
    j.insert(
        "tiles".into(),
        json!([format!("{o}/tiles/{{z}}/{{x}}/{{y}}.mvt")]),
    );
    j.insert("minzoom".into(), json!(a.zooms.0));
    j.insert("maxzoom".into(), json!(a.zooms.1));
    j.insert("bounds".into(), json!(b));
    j.entry("center")
        .or_insert_with(|| json!([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, a.zooms.1.min(10)]));
    // MBTiles' own keys that TileJSON does not have, and what only a bundle needs.
    for k in ["format", "json", "type", "riskmap:label_chars"] {
        j.remove(k);
    }
    axum::Json(Value::Object(j)).into_response()
}

async fn glyphs(
    State(a): State<ArchiveRef>,
    UrlPath((fontstack, range)): UrlPath<(String, String)>,
) -> Result<Response, AppError> {
    super::handlers::fonts::glyph_range(a.config.font.as_deref(), fontstack, range).await
}

async fn health(State(a): State<ArchiveRef>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "archive": a.path.file_name().map(|n| n.to_string_lossy().into_owned()),
        "minzoom": a.zooms.0,
        "maxzoom": a.zooms.1,
        "as_of": a.meta.get("riskmap:as_of"),
        "generated": a.meta.get("riskmap:generated"),
    }))
    .into_response()
}

async fn tile(
    State(a): State<ArchiveRef>,
    UrlPath((z, x, yfile)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // PMTiles addresses zooms up to 31; an archive holds what `riskmap tiles` wrote.
    let (z, x, y) = super::handlers::tiles::parse_tile_path(&z, &x, &yfile, 30)?;
    let Some(gz) = a.tile(z, x, y).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let etag = format!("\"{:032x}\"", riskmap_core::archive::content_key(&gz));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let gzip_ok = super::handlers::tiles::accepts_gzip(&headers);
    let (body, encoding) = if gzip_ok {
        (gz, Some("gzip"))
    } else {
        (
            gunzip(&gz).map_err(|e| {
                AppError::Internal(format!(
                    "a tile of {} does not unzip: {e}",
                    a.path.display()
                ))
            })?,
            None,
        )
    };
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(e) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    Ok(r)
}

fn gunzip(gz: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out)?;
    Ok(out)
}

/// Serves the archive at `path` until stopped; `on_ready` hears the address.
pub async fn serve(
    config: ServerConfig,
    path: &Path,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let addr = SocketAddr::new(config.bind, config.port);
    let archive = Arc::new(Archive::open(path, config).await?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let stopped = super::stop::Signals::listen().received(1);
    on_ready(listener.local_addr()?);
    let app = router(archive).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await?;
    Ok(())
}
