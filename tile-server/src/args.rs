//! The arguments of each subcommand (clap definitions), shared by the command line
//! ([`crate::cli`]) and the commands that run them ([`crate::commands`]).

use std::path::PathBuf;

use clap::Args;

/// `riskmap serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// What to load: the data directory and the options of every command that loads.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Address to listen on (default 127.0.0.1; 0.0.0.0 to serve the network).
    #[arg(long)]
    pub bind: Option<std::net::IpAddr>,
    /// Port (default 8080; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// Server configuration TOML (see README: cache size, CORS, basemap, fields, token).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The options of every command that loads a data directory.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Directory holding the layer files, or a GeoPackage (.gpkg) holding the ledger
    /// tables (see docs/data-model.md); for `serve`, also a tile archive (.pmtiles,
    /// .mbtiles) that `riskmap tiles` wrote, served as it is.
    #[arg(required_unless_present = "db")]
    pub data_dir: Option<PathBuf>,
    /// A PostGIS database holding the ledger tables (postgres://user@host:port/name),
    /// read instead of DATA_DIR; for `import`, the database to write.
    #[arg(long)]
    pub db: Option<String>,
    /// Fail on the first data problem instead of skipping and reporting it.
    #[arg(long)]
    pub strict: bool,
    /// Force the text encoding of CSV and DBF files (utf-8, gbk, gb18030).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Force the coordinate system of every file (e.g. EPSG:4549, gcj02).
    #[arg(long)]
    pub crs: Option<String>,
    /// Rules TOML overriding the default rule tables.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// The day hidden hazards are counted on (open, overdue, and so the enterprises'
    /// levels), YYYY-MM-DD. Default: the `as_of` of the data's riskmap.toml, else today
    /// (China Standard Time).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<riskmap_core::model::Day>,
}

fn parse_day(s: &str) -> Result<riskmap_core::model::Day, String> {
    riskmap_core::model::Day::parse_iso(s)
        .ok_or_else(|| format!("{s:?} is not a day of the calendar written YYYY-MM-DD"))
}

/// `riskmap analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Write only summary.json, area_summaries.json, hidden_hazards_by_area.json and the
    /// validation report, not the GeoJSON layers.
    #[arg(long)]
    pub summary_only: bool,
    /// Also write the results into the store the ledgers were read from (a GeoPackage or
    /// a PostGIS database), as `result_…` tables replacing the previous ones.
    #[arg(long)]
    pub write_results: bool,
}

/// `riskmap lists`.
#[derive(Args, Debug)]
pub struct ListsArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output directory (created if missing): 风险清单.xlsx, 风险清单.csv, 隐患清单.xlsx,
    /// 隐患清单.csv and run.json.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Only this town or street (its name or id in the areas layer).
    #[arg(long)]
    pub area: Option<String>,
    /// Text encoding of the CSV files: `utf-8` (with a byte-order mark, so that Excel
    /// reads it; the default) or `gbk`.
    #[arg(long = "csv-encoding", value_parser = ["utf-8", "gbk"], default_value = "utf-8")]
    pub csv_encoding: String,
}

/// `riskmap report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// The HTML file to write (A4; print it to PDF from a browser).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Only this town or street (its name or id in the areas layer); the district
    /// without it.
    #[arg(long)]
    pub area: Option<String>,
}

/// `riskmap tiles`.
#[derive(Args, Debug)]
pub struct TilesArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// The archive to write: `.pmtiles` (PMTiles v3) or `.mbtiles` (MBTiles 1.3),
    /// replaced whole when the run succeeds.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Lowest zoom written.
    #[arg(long, default_value_t = 0)]
    pub minzoom: u8,
    /// Highest zoom written (viewers zoom in further on the last tiles).
    #[arg(long, default_value_t = 16)]
    pub maxzoom: u8,
    /// The tile layers in every tile (default: all of them, as one composite map).
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<String>,
    /// One archive per layer, named after --out: map.pmtiles → map-houses.pmtiles, …
    #[arg(long)]
    pub per_layer: bool,
    /// Server configuration TOML: its field policy decides which fields the tiles carry,
    /// as the server's tiles do.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `riskmap bundle`.
#[derive(Args, Debug)]
pub struct BundleArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// The folder to write (created; an earlier bundle there is replaced whole).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Lowest zoom of the map's archive.
    #[arg(long, default_value_t = 0)]
    pub minzoom: u8,
    /// Highest zoom of the map's archive (the viewer zooms in further on its tiles).
    #[arg(long, default_value_t = 16)]
    pub maxzoom: u8,
    /// The map's title in the viewer (default 安全风险分布图).
    #[arg(long)]
    pub title: Option<String>,
    /// Server configuration TOML: its field policy decides which fields the tiles carry.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `riskmap export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Layers to write (default: all). Input layers and results: hazard_grades,
    /// protection_conflicts, pipeline_conflicts, house_risk, enterprise_risk, risk_grid.
    #[arg(long, value_delimiter = ',')]
    pub layer: Vec<String>,
    /// Keep features meeting this box: min_lon,min_lat,max_lon,max_lat.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub bbox: Option<Vec<f64>>,
    /// Keep features meeting this town/street (name or id).
    #[arg(long)]
    pub area: Option<String>,
    /// Keep results of these levels: major, significant, general, low (or 红,橙,黄,蓝).
    /// Only the layers with a level take it (hazard_grades, house_risk, enterprise_risk,
    /// risk_grid); without --layer, those four are written.
    #[arg(long, value_delimiter = ',')]
    pub level: Vec<String>,
}

/// `riskmap import`.
#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("store").required(true).args(["into", "db"])))]
pub struct ImportArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// The GeoPackage to write, or to update by feature id if it exists. (Or `--db URL`:
    /// the PostGIS database to update by feature id; its schema is created if missing,
    /// as `riskmap db init` does.)
    #[arg(long)]
    pub into: Option<PathBuf>,
}

/// `riskmap db`.
#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

/// What `riskmap db` does.
#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// Create the PostGIS schema (tables per layer, spatial indexes, change table and
    /// triggers, schema version) where it is missing; a second run changes nothing.
    Init(DbInitArgs),
}

/// `riskmap db init`.
#[derive(Args, Debug)]
pub struct DbInitArgs {
    /// The database (postgres://user@host:port/name).
    #[arg(long)]
    pub db: String,
    /// The SRID of the geometry columns, chosen once: 4326 (WGS 84) or 4490 (CGCS2000);
    /// lon/lat either way. Default: 4326, or what the database already uses.
    #[arg(long)]
    pub srid: Option<i32>,
}

/// `riskmap validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// `riskmap generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Number of self-built houses; other layers scale with it. Default: the demo size.
    #[arg(long)]
    pub houses: Option<usize>,
    /// The benchmark city: 1,000,000 houses, 20,000 enterprises, 2,000 hazard sources.
    #[arg(long, conflicts_with = "houses")]
    pub benchmark: bool,
    /// A synthetic province instead of one district: cities spread over 480 × 400 km,
    /// each with its own boundary, towns, parks and pipes, written as a folder per layer
    /// with a file per city. 10,000,000 houses in 12 cities unless --houses and --cities
    /// say otherwise.
    #[arg(long, conflicts_with = "benchmark")]
    pub province: bool,
    /// Number of cities of --province.
    #[arg(long, requires = "province", default_value_t = 12)]
    pub cities: usize,
    /// Random seed.
    #[arg(long, default_value_t = 20_221_122)]
    pub seed: u64,
    /// Format of the houses file: `csv` (a GBK ledger with WKT footprints, as offices
    /// export them; the default) or `geojson` (as a GIS survey delivers a large inventory;
    /// the default with --benchmark).
    #[arg(long, value_parser = ["csv", "geojson"])]
    pub houses_format: Option<String>,
}

/// `riskmap token`.
#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// What `riskmap token` does.
#[derive(clap::Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a new random bearer token; print it once, and the configuration entry (its
    /// name, role and SHA-256) to paste under the server configuration's `[[tokens]]`.
    New {
        /// Who will hold it: the name recorded as the actor of their changes.
        name: String,
        /// What it may do: editor (edit features) or admin (also reload).
        #[arg(long, default_value = "editor", value_parser = ["editor", "admin"])]
        role: String,
    },
}

/// `riskmap backup`.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The GeoPackage store to copy (served or not).
    pub store: PathBuf,
    /// The copy to write; it must not exist (a backup never replaces a file).
    #[arg(long)]
    pub to: PathBuf,
}

/// `riskmap history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The GeoPackage whose changes to list.
    #[arg(required_unless_present = "db", conflicts_with = "db")]
    pub source: Option<PathBuf>,
    /// A PostGIS database whose changes to list (postgres://user@host:port/name),
    /// instead of a GeoPackage.
    #[arg(long)]
    pub db: Option<String>,
    /// Only the changes after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub since: u64,
    /// Only the changes of this layer (houses, 自建房, …).
    #[arg(long)]
    pub layer: Option<String>,
    /// Only the changes of the feature with this id.
    #[arg(long)]
    pub id: Option<String>,
    /// Print the records as JSON (an array, the features before and after in full).
    #[arg(long)]
    pub json: bool,
}
