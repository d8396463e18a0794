//! Reading planned files: one file by its format into features of its layer, the
//! directory's files in parallel with progress, and their outputs gathered per layer
//! with each file's issues and summary.

use std::borrow::Cow;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::crs::Crs;
use crate::model::{
    Area, Enterprise, GasPipeline, HazardSource, HiddenHazard, House, LayerKind, ProtectionTarget,
};

#[cfg(any(feature = "flatgeobuf", feature = "geoparquet"))]
use super::features::PART;
use super::features::{Found, Pass, RawFeature, process};
#[cfg(feature = "flatgeobuf")]
use super::fgb;
use super::fields::Resolver;
use super::geom::GeomInput;
#[cfg(feature = "geoparquet")]
use super::geoparquet;
use super::plan::{FileCtx, FileFormat, Plan, choose_crs};
use super::props::LayerProps;
use super::report::{
    FileStatus, FileSummary, Issue, IssueCode, Position, Severity, Sink, ValidationReport,
};
use super::table::Table;
use super::{LoadError, LoadOptions, LoadProgress, csv_rows, geojson, shp, table, text};

/// Where a GeoJSON file's coordinate system came from, for the report.
const GEOJSON_CRS: &str = "GeoJSON crs member";

/// What one file gave.
pub(super) struct FileOut<P> {
    pub features: Found<P>,
    pub issues: Vec<Issue>,
    pub summary: FileSummary,
}

/// What a reader hands to the common pass: features, or a table whose header is still
/// to be found.
enum Input<'a, P> {
    Features(Vec<RawFeature<'a>>),
    /// A GeoJSON feature collection, turned into features a part at a time as it was
    /// read.
    Fed(Pass<P>),
    Table(Box<Table>),
    /// A GeoParquet file, turned into features a few row groups at a time.
    #[cfg(feature = "geoparquet")]
    Parts(geoparquet::Groups),
    /// A FlatGeobuf file or a shapefile, turned into features a part at a time.
    Rows(Box<dyn PartReader>),
}

/// A row of a format with its own geometry: position, geometry, values in column order.
type GeomRow = (Position, GeomInput, Vec<super::fields::Value<'static>>);

/// A reader handing over a file's rows a part at a time.
trait PartReader {
    /// The column names the rows' values are in.
    fn names(&self) -> &[String];
    /// About how many rows there are.
    fn room(&self) -> usize;
    /// The next rows; none at the end.
    fn next_rows(&mut self) -> Vec<GeomRow>;
    /// Where the rows broke off, once they have all been taken.
    fn broken(&mut self) -> Option<(Position, String)>;
}

#[cfg(feature = "flatgeobuf")]
impl PartReader for fgb::Rows {
    fn names(&self) -> &[String] {
        &self.names
    }
    fn room(&self) -> usize {
        self.room
    }
    fn next_rows(&mut self) -> Vec<GeomRow> {
        self.next_part(PART)
    }
    fn broken(&mut self) -> Option<(Position, String)> {
        fgb::Rows::broken(self)
    }
}

impl PartReader for shp::Rows {
    fn names(&self) -> &[String] {
        &self.names
    }
    fn room(&self) -> usize {
        self.room
    }
    fn next_rows(&mut self) -> Vec<GeomRow> {
        self.next_part()
    }
    fn broken(&mut self) -> Option<(Position, String)> {
        shp::Rows::broken(self)
    }
}

/// Reads one file into the layer of `P`.
pub(super) fn load_one<P: LayerProps>(
    plan: &Plan,
    opts: &LoadOptions,
) -> Result<FileOut<P>, LoadError> {
    let started = Instant::now();
    let rel = plan.rel.as_str();
    let source = crate::model::SourceFile::named(rel);
    let layer = P::KIND;
    let mut summary = FileSummary::new(rel, Some(layer), FileStatus::Loaded);
    summary.format = Some(plan.format.name().into());
    let mut sink = Sink::new(opts.strict);
    let resolver = Resolver::new(layer, &plan.columns);
    let stem = Path::new(rel)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let warning =
        |code, message: String| Issue::file_warning(rel, Some(layer), code, None, None, message);
    // The file breaks off: what was before the break is read (CSV, shapefile).
    let broken_tail = |position, message| Issue {
        severity: Severity::Skipped,
        code: IssueCode::BrokenTail,
        file: rel.to_string(),
        layer: Some(layer),
        position: Some(position),
        feature_id: None,
        field: None,
        message,
    };
    // (for the binary formats, whose header or metadata has the CRS)
    #[cfg(any(feature = "flatgeobuf", feature = "geoparquet"))]
    let no_crs = |format: &str, holder: &str| {
        warning(
            IssueCode::CrsAssumed,
            format!(
                "the {format} {holder} names no coordinate system: coordinates were read as WGS84 longitude/latitude (give crs in riskmap.toml if they are not)"
            ),
        )
    };
    let io_err = |source| LoadError::Io {
        file: rel.to_string(),
        source,
    };
    // What the features borrow their text from: the GeoJSON text.
    let bytes: Vec<u8>;
    let json: Cow<'_, str>;
    // Features found but not readable at all (counted as read, reported as skipped).
    let mut unread = 0u64;
    let (input, own_crs) = match plan.format {
        FileFormat::GeoJson => 'geojson: {
            // (its `crs` is the one chosen at the first part)
            let base = FileCtx {
                rel,
                source,
                stem: &stem,
                layer,
                crs: &Crs::Wgs84,
                resolver: &resolver,
                absent: &[],
                substances: &opts.substances,
                statuses: &opts.hidden_statuses,
            };
            // The plain case is read from the file a part at a time, without its whole
            // text; anything else is read whole below, as before.
            if plan.encoding.is_none()
                && let Some((pass, crs, bom)) = stream_file::<P>(plan, base)?
            {
                summary.encoding = Some(if bom {
                    text::utf8_after_bom()
                } else {
                    text::valid_utf8()
                });
                break 'geojson (Input::Fed(pass), crs.map(|c| (c, GEOJSON_CRS)));
            }
            bytes = std::fs::read(&plan.path).map_err(io_err)?;
            let decoded = text::decode(&bytes, plan.encoding);
            summary.encoding = Some(decoded.describe());
            for issue in decoding_issues(decoded.encoding.name(), &decoded.lines, rel, layer) {
                sink.push(issue)?;
            }
            json = decoded.text;
            // The text is read on a thread of its own, a part at a time; each part becomes
            // features here, on the pool, while the next is read. Its coordinate system is
            // the one named so far (see `geojson::parts`).
            let json: &str = &json;
            let (streamed, fed) = std::thread::scope(|s| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Part<'_>>(1);
                let reader = s.spawn(move || {
                    geojson::parse_in_parts(json, rel, &mut |crs, raws| {
                        // Refused only when the pass below has stopped: its error is told.
                        tx.send((crs.map(str::to_string), raws)).map_err(|_| {
                            LoadError::NotGeoJson {
                                file: rel.to_string(),
                                message: "the features' pass stopped".into(),
                            }
                        })
                    })
                });
                let fed = feed_parts::<P>(rx, json, plan, base);
                let streamed = reader
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                // The pass's error first: the reader's is then only that it was stopped.
                let fed = fed?;
                Ok::<_, LoadError>((streamed?, fed))
            })?;
            let whole = match streamed {
                // A `crs` member after the features that changes what they were read in:
                // read again whole, in it.
                geojson::Streamed::Parts { crs, crs_before }
                    if crs != crs_before && plan.crs.is_none() =>
                {
                    geojson::parse(json, rel)?
                }
                geojson::Streamed::Parts { crs, .. } => {
                    let pass = fed.unwrap_or_else(|| Pass::new(0));
                    break 'geojson (Input::Fed(pass), crs.map(|c| (c, GEOJSON_CRS)));
                }
                geojson::Streamed::Whole(parsed) => parsed,
            };
            for b in whole.broken {
                if b.code == IssueCode::BrokenFeature {
                    unread += 1;
                }
                sink.push(Issue {
                    severity: Severity::Skipped,
                    code: b.code,
                    file: rel.to_string(),
                    layer: Some(layer),
                    position: Some(b.position),
                    feature_id: None,
                    field: None,
                    message: b.message,
                })?;
            }
            let own = whole.crs.map(|c| (c, GEOJSON_CRS));
            (Input::Features(whole.features), own)
        }
        FileFormat::Csv | FileFormat::Workbook => {
            let mut t = if plan.format == FileFormat::Csv {
                let bytes = std::fs::read(&plan.path).map_err(io_err)?;
                csv_rows::read_csv(bytes, plan.encoding, rel)?
            } else {
                // A sheet fits when its first rows (or the row given, among them) hold a
                // header of two known columns: a cover sheet is passed over.
                let fits = |t: &table::Table| match plan.header_row {
                    // A row given beyond the rows read ahead: the first sheet, as before.
                    Some(n) if n as usize > table::HEAD => true,
                    given => table::find_header(t, &resolver, given)
                        .is_some_and(|h| h.slots.iter().flatten().count() >= 2),
                };
                table::read_workbook(&plan.path, plan.sheet.as_deref(), rel, &fits)?
            };
            summary.encoding = t.encoding.clone();
            summary.sheet = t.sheet.clone();
            if !t.passed_sheets.is_empty() {
                let read = t.sheet.clone().unwrap_or_default();
                let others = t.passed_sheets.join("\", \"");
                sink.push(Issue::file_warning(
                    rel,
                    Some(layer),
                    IssueCode::OtherSheet,
                    None,
                    None,
                    format!(
                        "sheet \"{read}\" was read: the sheets before it (\"{others}\") hold \
                         no header of this layer"
                    ),
                ))?;
            }
            if !t.unread_sheets.is_empty() {
                let read = t.sheet.clone().unwrap_or_default();
                let others = t.unread_sheets.join("\", \"");
                // Records not read, as a skipped line's are (`validate` exits 3).
                sink.push(Issue {
                    severity: Severity::Skipped,
                    ..Issue::file_warning(
                    rel,
                    Some(layer),
                    IssueCode::SheetNotRead,
                    None,
                    None,
                    format!(
                        "only sheet \"{read}\" was read: the sheets \"{others}\" hold a header of \
                         this layer too and were NOT read, so their rows are not on the map. Save \
                         each sheet as a file of its own in a folder named after the layer (the \
                         folder's files are read as one ledger), or name the sheet to read with \
                         `sheet` in riskmap.toml"
                    ),
                    )
                })?;
            }
            if let Some((name, lines)) = t.decoding.take() {
                for issue in decoding_issues(name, &lines, rel, layer) {
                    sink.push(issue)?;
                }
            }
            if let Some((position, message)) = t.broken.take() {
                sink.push(broken_tail(position, message))?;
            }
            (Input::Table(Box::new(t)), None)
        }
        FileFormat::Shapefile => {
            let mut s = shp::open(&plan.path, plan.encoding, rel)?;
            summary.encoding = Some(s.encoding.clone());
            for issue in shp::header_issues(&mut s, &resolver, plan.crs.is_some(), warning) {
                sink.push(issue)?;
            }
            let own = s.prj.clone().map(|p| (p, ".prj"));
            (Input::Rows(Box::new(s)), own)
        }
        #[cfg(feature = "flatgeobuf")]
        FileFormat::FlatGeobuf => {
            let f = fgb::open(&plan.path, rel)?;
            summary.encoding = Some("UTF-8 (FlatGeobuf)".into());
            if f.crs.is_none() && plan.crs.is_none() {
                sink.push(no_crs("FlatGeobuf", "header"))?;
            }
            let own = f.crs.clone();
            (Input::Rows(Box::new(f)), own)
        }
        #[cfg(feature = "geoparquet")]
        FileFormat::GeoParquet => {
            let g = geoparquet::open(&plan.path, rel)?;
            summary.encoding = Some("UTF-8 (GeoParquet)".into());
            if g.crs.is_none() && plan.crs.is_none() {
                sink.push(no_crs("GeoParquet", "metadata"))?;
            }
            let own = g.crs.clone();
            (Input::Parts(g), own)
        }
        #[cfg(not(feature = "flatgeobuf"))]
        FileFormat::FlatGeobuf => {
            return Err(LoadError::not_built(rel, "FlatGeobuf", "flatgeobuf"));
        }
        #[cfg(not(feature = "geoparquet"))]
        FileFormat::GeoParquet => {
            return Err(LoadError::not_built(rel, "GeoParquet", "geoparquet"));
        }
    };
    let (crs, crs_desc) = choose_crs(plan, own_crs)?;
    summary.crs = Some(crs_desc);
    let cx = FileCtx {
        rel,
        source,
        stem: &stem,
        layer,
        crs: &crs,
        resolver: &resolver,
        absent: &[],
        substances: &opts.substances,
        statuses: &opts.hidden_statuses,
    };
    let features = match input {
        Input::Features(raws) => process::<P>(raws, &cx, &mut summary, &mut sink)?,
        Input::Fed(pass) => pass.finish(&cx, &mut summary, &mut sink)?,
        Input::Rows(mut f) => {
            let mut pass = Pass::new(f.room());
            loop {
                let part = f.next_rows();
                if part.is_empty() {
                    break;
                }
                pass.feed(named_rows(f.names(), part), &cx)?;
            }
            // (before the features' issues, which the pass holds until it finishes)
            if let Some((position, message)) = f.broken() {
                sink.push(broken_tail(position, message))?;
            }
            pass.finish(&cx, &mut summary, &mut sink)?
        }
        #[cfg(feature = "geoparquet")]
        Input::Parts(mut g) => {
            // (grown as rows come: a damaged footer may count any number)
            let mut pass = Pass::new(g.rows().min(PART as u64) as usize);
            while let Some(part) = g.next_part() {
                for (position, rows, message) in part.lost {
                    unread += rows;
                    sink.push(Issue {
                        code: IssueCode::BrokenFeature,
                        ..broken_tail(position, message)
                    })?;
                }
                pass.feed(named_rows(&g.names, part.rows), &cx)?;
            }
            pass.finish(&cx, &mut summary, &mut sink)?
        }
        Input::Table(t) => table::features::<P>(*t, plan.header_row, &cx, &mut summary, &mut sink)?,
    };
    summary.features_read += unread;
    if summary.status == FileStatus::Loaded && summary.features_read == 0 {
        sink.push(warning(
            IssueCode::EmptyFile,
            "the file holds no feature".into(),
        ))?;
    }
    tracing::debug!(
        file = rel,
        features = features.features.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "file loaded"
    );
    Ok(FileOut {
        features,
        issues: sink.issues,
        summary,
    })
}

/// The warnings of a text decoded line by line ([`text::LineNotes`]): each line with
/// bytes not valid in `encoding`, each line of a GBK text read as UTF-8; past
/// [`text::Lines::KEPT`] of either, one more warning at the next such line counts the
/// rest.
fn decoding_issues(
    encoding: &str,
    notes: &text::LineNotes,
    rel: &str,
    layer: LayerKind,
) -> Vec<Issue> {
    let mut out = Vec::new();
    let kinds = [
        (
            &notes.errors,
            IssueCode::DecodingErrors,
            format!(
                "not valid {encoding}; they were replaced by U+FFFD (set encoding in riskmap.toml if the file is in another)"
            ),
        ),
        (
            &notes.utf8,
            IssueCode::MixedEncoding,
            format!("UTF-8 in a {encoding} file; read as UTF-8"),
        ),
    ];
    for (lines, code, what) in kinds {
        let named = lines.first.len() as u64;
        for (k, &line) in lines.first.iter().enumerate() {
            let message = if k + 1 == lines.first.len() && lines.count > named {
                let more = lines.count - named + 1;
                match code {
                    IssueCode::DecodingErrors => {
                        format!("{more} lines from this one have bytes {what}")
                    }
                    _ => format!("{more} lines from this one are {what}"),
                }
            } else {
                match code {
                    IssueCode::DecodingErrors => format!("some bytes of the line are {what}"),
                    _ => format!("the line is {what}"),
                }
            };
            out.push(Issue::file_warning(
                rel,
                Some(layer),
                code,
                None,
                Some(Position::Line(line)),
                message,
            ));
        }
    }
    out
}

/// A GeoJSON file's pass, its `crs` member's name at the end, and whether the file began
/// with a UTF-8 byte-order mark.
type Streamed<P> = (Pass<P>, Option<String>, bool);

/// A GeoJSON file in the plain case (`geojson::stream_parts`) read from the file a part at
/// a time on a thread of its own, while the parts before are turned into features: the
/// pass and the `crs` member's name at the end. `None` when the file is to be read whole:
/// not the plain case, a part whose features cannot be read, or a `crs` member after the
/// features that changes what they were read in.
fn stream_file<P: LayerProps>(
    plan: &Plan,
    base: FileCtx<'_>,
) -> Result<Option<Streamed<P>>, LoadError> {
    let len = std::fs::metadata(&plan.path).map_or(0, |m| m.len());
    let (ended, fed) = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<geojson::TextPart>(1);
        let reader = s.spawn(move || {
            geojson::stream_parts(&plan.path, base.rel, &mut |part| {
                // Refused only when the pass below has stopped: its outcome is told.
                tx.send(part).map_err(|_| LoadError::NotGeoJson {
                    file: base.rel.to_string(),
                    message: "the features' pass stopped".into(),
                })
            })
        });
        let fed = feed_text_parts::<P>(rx, len, plan, base);
        let ended = reader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (ended, fed)
    });
    // The pass's outcome first: the reader's error is then only that it was stopped.
    let Some(pass) = fed? else {
        return Ok(None);
    };
    Ok(match ended? {
        geojson::StreamEnd::Parts {
            crs, crs_before, ..
        } if crs != crs_before && plan.crs.is_none() => None,
        geojson::StreamEnd::Parts { crs, bom, .. } => {
            Some((pass.unwrap_or_else(|| Pass::new(0)), crs, bom))
        }
        geojson::StreamEnd::Whole => None,
    })
}

/// The parts cut by `geojson::stream_parts` turned into features as they come, in the
/// system chosen at the first part, as [`feed_parts`] does. `Ok(None)` when a part's
/// features cannot be read (the file is then read whole); that, like an error, drops `rx`
/// and so stops the reader.
fn feed_text_parts<P: LayerProps>(
    rx: std::sync::mpsc::Receiver<geojson::TextPart>,
    len: u64,
    plan: &Plan,
    base: FileCtx<'_>,
) -> Result<Option<Option<Pass<P>>>, LoadError> {
    let mut fed: Option<(Crs, Pass<P>)> = None;
    for part in rx {
        let Some(raws) = geojson::part_features(&part) else {
            return Ok(None);
        };
        // As many features as the first part's share of the file gives.
        let share = |raws: &[RawFeature<'_>]| {
            let n = raws.len() as u128 * u128::from(len) / u128::from(part.read.max(1));
            usize::try_from(n).unwrap_or(0)
        };
        feed_part(&mut fed, part.crs.clone(), raws, share, plan, base)?;
    }
    Ok(Some(fed.map(|(_, pass)| pass)))
}

/// Feeds a part of a GeoJSON file to its pass, which the first part makes: in the system
/// its `crs` member names, with room for about `hint` features (and at least the part's).
fn feed_part<P: LayerProps>(
    fed: &mut Option<(Crs, Pass<P>)>,
    crs: Option<String>,
    raws: Vec<RawFeature<'_>>,
    hint: impl FnOnce(&[RawFeature<'_>]) -> usize,
    plan: &Plan,
    base: FileCtx<'_>,
) -> Result<(), LoadError> {
    let (crs, mut pass) = match fed.take() {
        Some(f) => f,
        None => {
            let own = crs.map(|c| (c, GEOJSON_CRS));
            let n = hint(&raws).max(raws.len());
            (choose_crs(plan, own)?.0, Pass::new(n + n / 32))
        }
    };
    pass.feed(raws, &FileCtx { crs: &crs, ..base })?;
    *fed = Some((crs, pass));
    Ok(())
}

/// A part of a GeoJSON file: the `crs` member's name read before the features, and the
/// part's raw features.
type Part<'a> = (Option<String>, Vec<RawFeature<'a>>);

/// The parts of a GeoJSON file turned into features as they come, in the system chosen at
/// the first part (`None` when no part came). Stops at the first error, which drops `rx`
/// and so stops the reader too.
fn feed_parts<'a, P: LayerProps>(
    rx: std::sync::mpsc::Receiver<Part<'a>>,
    json: &str,
    plan: &Plan,
    base: FileCtx<'_>,
) -> Result<Option<Pass<P>>, LoadError> {
    let mut fed: Option<(Crs, Pass<P>)> = None;
    for (crs, raws) in rx {
        let hint = |raws: &[RawFeature<'_>]| geojson::features_in(json, raws).unwrap_or(0);
        feed_part(&mut fed, crs, raws, hint, plan, base)?;
    }
    Ok(fed.map(|(_, pass)| pass))
}

/// One file's output, whatever its layer.
pub(super) enum AnyOut {
    Enterprises(FileOut<Enterprise>),
    HazardSources(FileOut<HazardSource>),
    GasPipelines(FileOut<GasPipeline>),
    Houses(FileOut<House>),
    ProtectionTargets(FileOut<ProtectionTarget>),
    Areas(FileOut<Area>),
    HiddenHazards(FileOut<HiddenHazard>),
}

macro_rules! any_out {
    ($self:ident, $o:ident => $e:expr) => {
        match $self {
            AnyOut::Enterprises($o) => $e,
            AnyOut::HazardSources($o) => $e,
            AnyOut::GasPipelines($o) => $e,
            AnyOut::Houses($o) => $e,
            AnyOut::ProtectionTargets($o) => $e,
            AnyOut::Areas($o) => $e,
            AnyOut::HiddenHazards($o) => $e,
        }
    };
}

impl AnyOut {
    fn len(&self) -> usize {
        any_out!(self, o => o.features.features.len())
    }
    fn issues_len(&self) -> usize {
        any_out!(self, o => o.issues.len())
    }
}

fn load_any(p: &Plan, opts: &LoadOptions) -> Result<AnyOut, LoadError> {
    Ok(match p.layer {
        LayerKind::Enterprises => AnyOut::Enterprises(load_one(p, opts)?),
        LayerKind::HazardSources => AnyOut::HazardSources(load_one(p, opts)?),
        LayerKind::GasPipelines => AnyOut::GasPipelines(load_one(p, opts)?),
        LayerKind::Houses => AnyOut::Houses(load_one(p, opts)?),
        LayerKind::ProtectionTargets => AnyOut::ProtectionTargets(load_one(p, opts)?),
        LayerKind::Areas => AnyOut::Areas(load_one(p, opts)?),
        LayerKind::HiddenHazards => AnyOut::HiddenHazards(load_one(p, opts)?),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {
            return Err(LoadError::NotAnInputLayer {
                file: p.rel.clone(),
                layer: p.layer,
            });
        }
    })
}

/// Reads every planned file in parallel, reporting progress; results in plan order.
pub(super) fn read_all(plans: &[Plan], opts: &LoadOptions) -> Vec<Result<AnyOut, LoadError>> {
    let total = plans.len();
    plans
        .par_iter()
        .map(|p| {
            if let Some(cb) = &opts.progress {
                cb(LoadProgress::FileStarted {
                    file: p.rel.clone(),
                    layer: p.layer,
                    total,
                });
            }
            let r = load_any(p, opts);
            if let (Some(cb), Ok(out)) = (&opts.progress, &r) {
                cb(LoadProgress::FileDone {
                    file: p.rel.clone(),
                    layer: p.layer,
                    features: out.len(),
                    issues: out.issues_len(),
                    total,
                });
            }
            r
        })
        .collect()
}

/// Features of one layer from several files: (plan index, features).
pub(super) type LayerFiles<P> = Vec<(usize, Found<P>)>;

/// The files' features, by layer.
#[derive(Default)]
pub(super) struct Acc {
    pub enterprises: LayerFiles<Enterprise>,
    pub hazard_sources: LayerFiles<HazardSource>,
    pub gas_pipelines: LayerFiles<GasPipeline>,
    pub houses: LayerFiles<House>,
    pub protection_targets: LayerFiles<ProtectionTarget>,
    pub areas: LayerFiles<Area>,
    pub hidden_hazards: LayerFiles<HiddenHazard>,
}

impl Acc {
    fn add(&mut self, i: usize, out: AnyOut, files: &mut FileReports) {
        macro_rules! put {
            ($o:ident, $field:ident) => {
                self.$field.push((i, files.take($o)))
            };
        }
        match out {
            AnyOut::Enterprises(o) => put!(o, enterprises),
            AnyOut::HazardSources(o) => put!(o, hazard_sources),
            AnyOut::GasPipelines(o) => put!(o, gas_pipelines),
            AnyOut::Houses(o) => put!(o, houses),
            AnyOut::ProtectionTargets(o) => put!(o, protection_targets),
            AnyOut::Areas(o) => put!(o, areas),
            AnyOut::HiddenHazards(o) => put!(o, hidden_hazards),
        }
    }
}

/// Each file's name, issues and summary, indexed like the plans: what the passes across
/// files (duplicate ids, enterprise references) report to.
pub(super) struct FileReports {
    pub rels: Vec<String>,
    pub issues: Vec<Vec<Issue>>,
    pub summaries: Vec<FileSummary>,
    pub strict: bool,
}

impl FileReports {
    /// Reports for the planned files, before any is read.
    pub fn new(plans: &[Plan], strict: bool) -> Self {
        FileReports {
            rels: plans.iter().map(|p| p.rel.clone()).collect(),
            issues: Vec::with_capacity(plans.len()),
            summaries: Vec::with_capacity(plans.len()),
            strict,
        }
    }

    /// Takes a read file's issues and summary; gives back its features.
    pub fn take<P>(&mut self, out: FileOut<P>) -> Found<P> {
        self.issues.push(out.issues);
        self.summaries.push(out.summary);
        out.features
    }

    /// Records a file that could not be read; in strict mode its error is returned.
    pub fn skip(&mut self, plan: &Plan, e: LoadError) -> Result<(), LoadError> {
        if self.strict {
            return Err(e);
        }
        self.issues
            .push(vec![e.to_issue(&plan.rel, Some(plan.layer))]);
        self.summaries.push(plan.skipped(&e));
        Ok(())
    }

    /// The report: `head` issues first, then each file's; the read files' summaries,
    /// then `ignored`.
    pub fn into_report(self, head: Vec<Issue>, ignored: Vec<FileSummary>) -> ValidationReport {
        let mut issues = head;
        issues.extend(self.issues.into_iter().flatten());
        let mut files = self.summaries;
        files.extend(ignored);
        ValidationReport { files, issues }
    }
}

/// Sorts the read files' outputs by layer; a file that could not be read is reported
/// (or, in strict mode, its error returned).
pub(super) fn gather(
    plans: &[Plan],
    results: Vec<Result<AnyOut, LoadError>>,
    strict: bool,
) -> Result<(Acc, FileReports), LoadError> {
    let mut acc = Acc::default();
    let mut files = FileReports::new(plans, strict);
    for (i, (p, r)) in plans.iter().zip(results).enumerate() {
        match r {
            Ok(out) => acc.add(i, out, &mut files),
            Err(e) => files.skip(p, e)?,
        }
    }
    Ok((acc, files))
}

/// Rows of a file with a column list (Shapefile, FlatGeobuf, GeoParquet) as features whose property
/// names borrow from `names`.
fn named_rows<'a>(names: &'a [String], rows: Vec<GeomRow>) -> Vec<RawFeature<'a>> {
    rows.into_iter()
        .map(|(position, geom, values)| RawFeature {
            position,
            id: None,
            geom,
            props: names
                .iter()
                .zip(values)
                .map(|(n, v)| (Cow::Borrowed(n.as_str()), v))
                .collect(),
        })
        .collect()
}
