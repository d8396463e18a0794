//! Server configuration: command-line flags over an optional TOML file over defaults.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use riskmap_core::config_keys::{CollectUnknown, UnknownKeys, key_path};
use serde::Deserialize;

use super::auth::{TokenConfig, parse_hash};
use super::proxy::TrustedProxy;

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {file}: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or a value has the wrong type.
    #[error("config file {file}: {source}")]
    Toml {
        /// File.
        file: String,
        /// Parser message with line and column.
        #[source]
        source: toml::de::Error,
    },
    /// A `[[tokens]]` entry is wrong.
    #[error("config file {file}: [[tokens]] entry {name:?}: {reason}")]
    Token {
        /// File.
        file: String,
        /// The entry's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A value that cannot be what its key means.
    #[error("config file {file}: {key} = {value:?}: {reason}")]
    Invalid {
        /// File.
        file: String,
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is wrong, and what is accepted.
        reason: String,
    },
    /// A value is outside its range.
    #[error("config file {file}: {key} = {value}: {expected}")]
    OutOfRange {
        /// File.
        file: String,
        /// The key.
        key: &'static str,
        /// The value given.
        value: f64,
        /// What is accepted.
        expected: &'static str,
    },
}

/// Per-layer settings.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LayerConfig {
    /// Fields of this layer never served in tiles or GeoJSON (besides the global list).
    pub deny_fields: Vec<String>,
    /// Keys of the layer's table the server does not know; each is warned about.
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

impl CollectUnknown for LayerConfig {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

/// The server's configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to listen on (default 127.0.0.1: reachable only from this machine).
    pub bind: IpAddr,
    /// Port (default 8080).
    pub port: u16,
    /// Rules TOML for the analyses.
    pub rules: Option<PathBuf>,
    /// The day hidden hazards are counted on (`--as-of`), over the rules' and the data's.
    #[serde(skip)]
    pub as_of: Option<riskmap_core::model::Day>,
    /// The file the configuration was read from (`--config`), whose `[[tokens]]` SIGHUP
    /// and `/admin/reload` read again.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// Bytes of gzipped tiles kept in memory (default 256 MiB).
    pub tile_cache_bytes: usize,
    /// Largest site-check request body, bytes (default 1 MiB).
    pub max_body_bytes: usize,
    /// Most vertices a site polygon may have (default 10,000).
    pub max_site_vertices: usize,
    /// Most features one GeoJSON response may hold; narrow with bbox or area beyond it.
    pub max_geojson_features: usize,
    /// Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Optional basemap: an XYZ raster URL template of an internal service or 天地图,
    /// e.g. `http://gis.example.gov.cn/tiles/{z}/{x}/{y}.png`. None: the district and
    /// area boundaries are the basemap.
    pub basemap_url: Option<String>,
    /// Attribution shown for the basemap.
    pub basemap_attribution: Option<String>,
    /// The font map labels are drawn in: a TrueType/OpenType file or collection with
    /// Chinese characters. None: Noto Sans CJK (or another CJK font) where the system
    /// keeps it (see [`crate::glyphs::FONT_PATHS`]); without one the map has no labels.
    pub font: Option<PathBuf>,
    /// An admin token in plain text (the environment variable RISKMAP_ADMIN_TOKEN
    /// wins), accepted as the admin token named `admin`. Prefer `[[tokens]]`, which keeps
    /// only a hash. Without any admin token, reload over HTTP is refused; SIGHUP still
    /// works.
    pub admin_token: Option<String>,
    /// Bearer tokens by name and role, each kept as the SHA-256 of its text
    /// (`[[tokens]]`, see [`super::auth`]).
    pub tokens: Vec<TokenConfig>,
    /// Fields never served from any layer, besides `phone`, which is always kept back
    /// (an editor's token reads it from a ledger feature and the changes).
    pub deny_fields: Vec<String>,
    /// Per-layer settings, by layer name.
    pub layers: BTreeMap<String, LayerConfig>,
    /// `Cache-Control: max-age` of tiles, seconds. Default 0 (`no-cache`): the map changes
    /// while it is served, so a browser asks again and gets 304 for an unchanged tile.
    pub tile_max_age_s: u32,
    /// Serve `GET /bench/fixed`, a handler returning fixed bytes, as the baseline the
    /// load benchmark compares cached tiles against (default false).
    pub bench_routes: bool,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-Host` and
    /// `X-Forwarded-Proto` are believed when the server writes its own URLs (default:
    /// none, so the `Host` header is used).
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Largest share (0–1) of an input layer's features a reload may lose without
    /// `force` (default 0.10): a reload that would lose more is refused and the data being
    /// served stays.
    pub reload_max_loss: f64,
    /// Seconds a reload may take before it is abandoned and reported (default 300).
    pub reload_timeout_s: f64,
    /// Seconds an edit through the API to a PostGIS store waits for the map's change path
    /// (a long batch or a reload holding it; default 10): past it the change is stored
    /// alone and the answer is `504` (stored, not yet served). Also the longest wait
    /// for a row another session holds in an open transaction (then `409`).
    pub edit_serve_timeout_s: f64,
    /// Whether the map of a past day on a store may take a copy of the served snapshot
    /// to take back changes of other layers than hidden hazards (default true, and only
    /// when the machine has the memory free; false: never, those changes are shown as
    /// they are now and counted in `history_left_out`).
    pub past_day_copies: bool,
    /// Follow the data source while serving (default true): a changed file of the data
    /// folder, or a GeoPackage changed by another program, is read again and its
    /// differences applied like edits; a database's changed rows are read as its
    /// notifications name them.
    pub watch: bool,
    /// How a data folder or GeoPackage is followed: 0 (default) by the file system's
    /// events, or, where those do not come (a network share: CIFS/SMB, NFS, WSL's
    /// Windows drives; see `scan::network_fs`), by a scan every
    /// [`super::scan::POLL_DEFAULT`]; more than 0: a scan every that many seconds
    /// whatever the file system.
    pub watch_poll_s: u64,
    /// Where a server of a data folder records the changes it reads from the folder's
    /// files, as `file`, with the features before and after (a GeoPackage holding the
    /// trail alone, made when missing; `riskmap history` reads it). Default none: a
    /// folder keeps no trail. A store keeps its trail in itself.
    pub trail: Option<PathBuf>,
    /// Keys of the file the server does not know; each is warned about.
    #[serde(flatten)]
    pub unknown: UnknownKeys,
    /// Tiles rendered at once (default 0: one per core).
    pub tile_render_concurrency: usize,
    /// Tile renders that may wait for a slot before more are refused with 503 (default 256).
    pub tile_queue: usize,
    /// Milliseconds a tile that a change outdated may still be answered from its last
    /// drawing while it is drawn again, when the server is busy drawing (every tile slot
    /// taken, or outdated tiles being drawn again); default 5,000; 0: never, a request
    /// waits for the new drawing. The viewer is told when the drawing is done (a `drawn`
    /// event on `/api/changes/stream`). Under 1,000 edits/s over a whole city, 1 s left
    /// the tile p99 where it was without it (BENCHMARKS.md).
    pub tile_grace_ms: u64,
    /// Gzip level of the tiles the server draws: 0 stores them uncompressed, 1 is the
    /// fastest, 12 the smallest (libdeflate). Default 1: on the million-house city's
    /// tiles it sends 4–5 % more bytes than 6 and compresses in less than half the time,
    /// which counts when edits have the server draw hundreds of tiles a second
    /// (BENCHMARKS.md). Tile archives are compressed at 6, once. A tile's ETag is that of
    /// its gzipped bytes, so replicas behind one balancer should share the level; the
    /// tile cache (`tile_cache_bytes`) counts gzipped bytes too.
    #[serde(deserialize_with = "gzip_level")]
    pub tile_gzip_level: u32,
    /// Site checks run at once (default 0: half the cores, at least one).
    pub site_check_concurrency: usize,
    /// GeoJSON exports run at once (default 0: half the cores, at least one).
    pub export_concurrency: usize,
    /// Searches run at once (default 0: one per core).
    pub search_concurrency: usize,
    /// Site checks, exports or searches that may wait for a slot, per kind, before more
    /// are refused with 503 and `Retry-After` (default 8).
    pub expensive_queue: usize,
    /// Seconds a tile render, site check, export or search may wait and run before it is
    /// answered 503 (default 30).
    pub request_timeout_s: u64,
}

impl CollectUnknown for ServerConfig {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.layers.collect_unknown(&key_path(path, "layers"), out);
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            rules: None,
            as_of: None,
            file: None,
            tile_cache_bytes: 256 << 20,
            max_body_bytes: 1 << 20,
            max_site_vertices: 10_000,
            max_geojson_features: 200_000,
            cors_origins: Vec::new(),
            basemap_url: None,
            basemap_attribution: None,
            font: None,
            admin_token: None,
            tokens: Vec::new(),
            deny_fields: vec!["phone".into()],
            layers: BTreeMap::new(),
            tile_max_age_s: 0,
            bench_routes: false,
            trusted_proxies: Vec::new(),
            reload_max_loss: 0.10,
            reload_timeout_s: 300.0,
            edit_serve_timeout_s: 10.0,
            past_day_copies: true,
            watch: true,
            watch_poll_s: 0,
            trail: None,
            unknown: UnknownKeys::default(),
            tile_render_concurrency: 0,
            tile_queue: 256,
            tile_grace_ms: 5_000,
            tile_gzip_level: riskmap_core::tiles::SERVED_GZIP_LEVEL,
            site_check_concurrency: 0,
            export_concurrency: 0,
            search_concurrency: 0,
            expensive_queue: 8,
            request_timeout_s: 30,
        }
    }
}

impl ServerConfig {
    /// Reads a TOML file; returns the config and a warning per unknown key.
    pub fn from_file(path: &Path) -> Result<(ServerConfig, Vec<String>), ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: file.clone(),
            source,
        })?;
        let (mut c, warnings) = Self::from_toml(&text, &file)?;
        c.file = Some(path.to_path_buf());
        Ok((c, warnings))
    }

    /// The admin token in plain text: the environment's `RISKMAP_ADMIN_TOKEN`, else the
    /// configuration's `admin_token`.
    pub fn plain_admin_token(&self) -> Option<String> {
        std::env::var("RISKMAP_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| self.admin_token.clone())
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str, file: &str) -> Result<(ServerConfig, Vec<String>), ConfigError> {
        let toml_err = |source| ConfigError::Toml {
            file: file.to_string(),
            source,
        };
        let table: toml::Table = toml::from_str(text).map_err(toml_err)?;
        let cfg: ServerConfig = toml::Value::Table(table).try_into().map_err(toml_err)?;
        let range = |key, value: f64, ok: bool, expected| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange {
                    file: file.to_string(),
                    key,
                    value,
                    expected,
                })
            }
        };
        let loss = cfg.reload_max_loss;
        range(
            "reload_max_loss",
            loss,
            (0.0..=1.0).contains(&loss),
            "a share between 0 and 1 (0.10 = 10 %)",
        )?;
        let t = cfg.reload_timeout_s;
        range(
            "reload_timeout_s",
            t,
            t.is_finite() && t > 0.0 && t <= 86_400.0,
            "seconds, more than 0 and at most 86400",
        )?;
        let t = cfg.edit_serve_timeout_s;
        range(
            "edit_serve_timeout_s",
            t,
            t.is_finite() && t > 0.0 && t <= 3600.0,
            "seconds, more than 0 and at most 3600",
        )?;
        let level = cfg.tile_gzip_level;
        range(
            "tile_gzip_level",
            f64::from(level),
            level <= 12,
            GZIP_LEVELS,
        )?;
        check_tokens(&cfg.tokens, file)?;
        check_origins(&cfg.cors_origins, file)?;
        let mut cfg = cfg;
        // A list of the office's own replaces the default, but the residents' phone
        // numbers stay kept back: `deny_fields = ["address"]` means "address too".
        if !cfg.deny_fields.iter().any(|f| f == ALWAYS_DENIED) {
            cfg.deny_fields.push(ALWAYS_DENIED.into());
        }
        let mut warnings: Vec<String> = cfg
            .unknown_keys()
            .into_iter()
            .map(|k| format!("config file {file}: unknown key '{k}' ignored"))
            .collect();
        for name in cfg.layers.keys() {
            if riskmap_core::model::LayerKind::from_name(name).is_none() {
                warnings.push(format!(
                    "config file {file}: [layers.{name}] names no layer, so its settings (its \
                     deny_fields) apply to nothing; the layers are {}",
                    riskmap_core::model::LayerKind::all()
                        .map(riskmap_core::model::LayerKind::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if cfg.admin_token.is_some() {
            warnings.push(format!(
                "config file {file}: admin_token keeps a token in plain text; it still works (as the \
                 admin token named \"admin\"), but a [[tokens]] entry keeps only its hash: run \
                 `riskmap token new NAME --role admin`, paste the entry and remove admin_token"
            ));
        }
        Ok((cfg, warnings))
    }

    /// How long a reload may take.
    pub fn reload_timeout(&self) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(self.reload_timeout_s)
            .unwrap_or(std::time::Duration::from_secs(300))
    }

    /// How long an edit to a PostGIS store waits to be served.
    pub fn edit_serve_timeout(&self) -> std::time::Duration {
        std::time::Duration::try_from_secs_f64(self.edit_serve_timeout_s)
            .unwrap_or(std::time::Duration::from_secs(10))
    }

    /// Fields denied for a layer (global and per-layer lists).
    pub fn denied(&self, layer: &str) -> Vec<String> {
        let mut d = self.deny_fields.clone();
        if let Some(l) = self.layers.get(layer) {
            d.extend(l.deny_fields.iter().cloned());
        }
        d
    }
}

/// The field kept back from every layer whatever `deny_fields` lists: the phone numbers
/// of residents and owners.
pub const ALWAYS_DENIED: &str = "phone";

/// Each origin CORS allows is one a browser sends: `scheme://host[:port]`, without a
/// path or a trailing slash (a browser's `Origin` has none, so such an entry matches
/// nothing); `*` is refused, as it would let any site's pages read the map.
fn check_origins(origins: &[String], file: &str) -> Result<(), ConfigError> {
    for o in origins {
        let err = |reason: String| ConfigError::Invalid {
            file: file.to_string(),
            key: "cors_origins",
            value: o.clone(),
            reason,
        };
        if o.trim() == "*" {
            return Err(err(
                "any origin is not allowed: list the origins of the pages that use the map \
                 (\"http://oa.example.gov.cn\", with the port if it is not the scheme's)"
                    .into(),
            ));
        }
        let Some((scheme, rest)) = o.split_once("://") else {
            return Err(err(
                "not an origin: it is written scheme://host[:port], e.g. \"http://10.1.2.3:8000\""
                    .into(),
            ));
        };
        if !matches!(scheme, "http" | "https") {
            return Err(err(format!("the scheme {scheme:?} is not http or https")));
        }
        if let Some(stripped) = rest.strip_suffix('/')
            && !stripped.contains('/')
        {
            return Err(err(format!(
                "an origin has no trailing slash (a browser sends {scheme}://{stripped}): \
                 write it without"
            )));
        }
        if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
            return Err(err(
                "an origin has a host and an optional port, no path: scheme://host[:port]".into(),
            ));
        }
        if axum::http::HeaderValue::from_str(o).is_err() {
            return Err(err("not a value an Origin header can hold".into()));
        }
    }
    Ok(())
}

/// Each token entry has a name of its own and a hash of 64 hex digits.
fn check_tokens(tokens: &[TokenConfig], file: &str) -> Result<(), ConfigError> {
    let err = |name: &str, reason: String| ConfigError::Token {
        file: file.to_string(),
        name: name.to_string(),
        reason,
    };
    for (i, t) in tokens.iter().enumerate() {
        if t.name.trim().is_empty() {
            return Err(err(&t.name, "the name is empty".into()));
        }
        if parse_hash(&t.sha256).is_none() {
            return Err(err(
                &t.name,
                "sha256 is not 64 hex digits (the hash of the token, not the token: \
                 `riskmap token new` prints the entry)"
                    .into(),
            ));
        }
        if tokens[..i].iter().any(|o| o.name == t.name) {
            return Err(err(&t.name, "another entry has this name".into()));
        }
        if tokens[..i]
            .iter()
            .any(|o| parse_hash(&o.sha256) == parse_hash(&t.sha256))
        {
            return Err(err(&t.name, "another entry has the same token".into()));
        }
    }
    Ok(())
}

/// The gzip level as written, any TOML number: one that is not a whole number from 0 to
/// 12 is refused with the range (with the file's line and key, as the parser reports
/// it), not with the parser's "expected u32".
fn gzip_level<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    match toml::Value::deserialize(d)? {
        toml::Value::Integer(n) if (0..=12).contains(&n) => Ok(n as u32),
        other => Err(serde::de::Error::custom(format!(
            "{GZIP_LEVELS}, not {other}"
        ))),
    }
}

/// What `tile_gzip_level` takes.
const GZIP_LEVELS: &str = "a gzip level from 0 (stored) through 1 (fastest) to 12 (smallest)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_warn_and_values_override() {
        let (c, w) = ServerConfig::from_toml(
            "port = 9000\ncolour = 'red'\n[layers.houses]\ndeny_fields = ['address']\nfoo = 1\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(c.port, 9000);
        assert_eq!(c.bind, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("'colour'"));
        assert_eq!(
            c.denied("houses"),
            vec!["phone".to_string(), "address".to_string()]
        );
        assert!(ServerConfig::from_toml("port = 'x'", "x.toml").is_err());
    }

    #[test]
    fn unknown_nested_keys_warn_with_their_full_path_and_the_file() {
        let (c, w) = ServerConfig::from_toml(
            "[layers.houses]\ndeny_feilds = ['address']\n[layers.areas]\ndeny_fields = []\n",
            "server.toml",
        )
        .unwrap();
        assert_eq!(
            w,
            ["config file server.toml: unknown key 'layers.houses.deny_feilds' ignored"]
        );
        assert_eq!(c.denied("houses"), vec!["phone".to_string()]);
    }

    /// An office listing a field of its own keeps the phone numbers back too; a typed
    /// layer name is said, not silently ignored.
    #[test]
    fn a_deny_list_of_the_office_keeps_phones_back_and_a_wrong_layer_is_said() {
        let (c, w) = ServerConfig::from_toml(
            "deny_fields = ['address']\n[layers.housez]\ndeny_fields = ['floors']\n",
            "server.toml",
        )
        .unwrap();
        assert_eq!(
            c.denied("houses"),
            vec!["address".to_string(), "phone".to_string()]
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("config file server.toml: [layers.housez] names no layer")
                && w[0].contains("houses, "),
            "{}",
            w[0]
        );
        let (c, _) = ServerConfig::from_toml("deny_fields = []", "s.toml").unwrap();
        assert_eq!(c.denied("enterprises"), vec!["phone".to_string()]);
    }

    #[test]
    fn cors_origins_are_origins() {
        let (c, _) = ServerConfig::from_toml(
            "cors_origins = ['http://oa.bureau.local', 'https://10.1.2.3:8443']",
            "s.toml",
        )
        .unwrap();
        assert_eq!(c.cors_origins.len(), 2);
        for (value, said) in [
            ("*", "any origin is not allowed"),
            (
                "http://oa.bureau.local/",
                "(a browser sends http://oa.bureau.local)",
            ),
            ("not a url", "not an origin"),
            ("ftp://x", "not http or https"),
            ("http://x/app", "no path"),
        ] {
            let e = ServerConfig::from_toml(&format!("cors_origins = ['{value}']"), "s.toml")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!("config file s.toml: cors_origins = {value:?}: ")),
                "{e}"
            );
            assert!(e.contains(said), "{e}");
        }
    }

    #[test]
    fn reload_limits_are_checked() {
        let (c, _) = ServerConfig::from_toml("", "s.toml").unwrap();
        assert_eq!((c.reload_max_loss, c.reload_timeout_s), (0.10, 300.0));
        let (c, _) =
            ServerConfig::from_toml("reload_max_loss = 0.25\nreload_timeout_s = 0.5", "s.toml")
                .unwrap();
        assert_eq!(c.reload_timeout(), std::time::Duration::from_millis(500));
        for bad in [
            "reload_max_loss = 1.5",
            "reload_max_loss = -0.1",
            "reload_timeout_s = 0",
            "edit_serve_timeout_s = 0",
            "tile_gzip_level = 13",
            "tile_gzip_level = -1",
            "tile_gzip_level = 1.5",
            "tile_gzip_level = 'fast'",
        ] {
            let e = ServerConfig::from_toml(bad, "s.toml")
                .unwrap_err()
                .to_string();
            let key = bad.split(' ').next().unwrap();
            assert!(e.contains(key) && e.contains("s.toml"), "{e}");
            if key == "tile_gzip_level" {
                assert!(e.contains("a gzip level from 0"), "{e}");
            }
        }
    }

    #[test]
    fn tokens_are_read_and_checked() {
        let h = "2ab2be1f6eca11ec9aeb4cda517586091446724556c17637fadb27d0cee08173";
        let (c, w) = ServerConfig::from_toml(
            &format!("[[tokens]]\nname = 'zhang-san'\nrole = 'editor'\nsha256 = '{h}'\n"),
            "s.toml",
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.tokens.len(), 1);
        assert_eq!(c.tokens[0].role, crate::server::auth::Role::Editor);
        for (bad, why) in [
            (
                "[[tokens]]\nname = 'a'\nrole = 'editor'\nsha256 = 'secret'".to_string(),
                "64 hex",
            ),
            (
                format!("[[tokens]]\nname = 'a'\nrole = 'owner'\nsha256 = '{h}'"),
                "owner",
            ),
            (
                format!(
                    "[[tokens]]\nname = 'a'\nrole = 'editor'\nsha256 = '{h}'\n[[tokens]]\nname = 'a'\nrole = 'admin'\nsha256 = '{}'",
                    "0".repeat(64)
                ),
                "another entry has this name",
            ),
            (
                format!(
                    "[[tokens]]\nname = 'a'\nrole = 'editor'\nsha256 = '{h}'\n[[tokens]]\nname = 'b'\nrole = 'admin'\nsha256 = '{}'",
                    h.to_uppercase()
                ),
                "same token",
            ),
        ] {
            let e = ServerConfig::from_toml(&bad, "s.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(why) && e.contains("s.toml"), "{e}");
        }
        // The plain admin token still works, with a warning that does not repeat it.
        let (c, w) = ServerConfig::from_toml("admin_token = 's3cret-value'", "s.toml").unwrap();
        assert_eq!(c.admin_token.as_deref(), Some("s3cret-value"));
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("riskmap token new") && !w[0].contains("s3cret-value"),
            "{w:?}"
        );
    }
}
