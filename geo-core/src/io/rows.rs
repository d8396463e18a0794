//! Loading from a store: rows of tables (a GeoPackage, a database) through the same
//! per-feature pass and the same merge as files.
//!
//! A store reads its tables into [`LayerRows`], one per table, each row with its
//! position (the `fid`), its id, its geometry in WGS84 longitude/latitude and its other
//! columns as plain values; [`load_rows`] then resolves the columns by alias, checks and
//! repairs the geometries, builds the typed properties with every value check, drops
//! duplicate ids, links hazard sources to enterprises and reports whatever it finds with
//! the issue codes of `docs/data-model.md`, each located by the table's name (as
//! `store/table`), the row's position and the feature id. A row is read exactly as a
//! feature of a file with the same columns would be.

use std::borrow::Cow;

use crate::crs::Crs;
use crate::model::{
    Area, Enterprise, GasPipeline, HazardSource, HiddenHazard, House, LayerKind, ProtectionTarget,
};

use super::features::{Pass, RawFeature};
use super::fields::{Resolver, Value};
use super::geom::{GeomInput, RawGeom};
use super::plan::FileCtx;
use super::props::LayerProps;
use super::read::{Acc, FileOut, FileReports};
use super::report::{FileStatus, FileSummary, Position, Sink};
use super::{LoadError, LoadOptions, LoadProgress, Loaded, merge};

/// The field a store puts in a row whose geometry it could not decode (a corrupt blob),
/// with the reason as text: the row is then reported as an invalid geometry and skipped,
/// like a feature of a file whose geometry cannot be read.
pub const GEOMETRY_ERROR: &str = "riskmap:geometry_error";

/// One row of a store's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Where the row is in its table (a GeoPackage `fid`, a database row number);
    /// reported as `fid N`.
    pub position: u64,
    /// The ledger id (`None` when the table has no id column or the cell is NULL: an id
    /// is then made from the table and the position, as for a file).
    pub id: Option<String>,
    /// The geometry in WGS84 longitude/latitude; `None` for NULL.
    pub geometry: Option<geo::Geometry<f64>>,
    /// The other columns, by the table's column name (resolved by alias as a file's
    /// headers are).
    pub fields: Vec<(String, RowValue)>,
}

/// A cell of a store's row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// A boolean column's value.
    Bool(bool),
}

/// The rows of one table, read into one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRows {
    /// The layer the table holds.
    pub kind: LayerKind,
    /// What the report calls the table, e.g. `haimen.gpkg/houses`.
    pub name: String,
    /// The rows, in the table's order.
    pub rows: Vec<Row>,
}

/// A store's table given a part at a time, so that its rows are not all held at once
/// (a GeoPackage reads its tables by ranges of fid, [`crate::store::gpkg::load`]): each
/// part goes through the per-feature pass before the next is read.
pub trait RowParts {
    /// The layer the table holds.
    fn kind(&self) -> LayerKind;
    /// What the report calls the table, e.g. `haimen.gpkg/houses`.
    fn name(&self) -> &str;
    /// About how many rows the table holds, to size the layer (0 when unknown).
    fn len_hint(&self) -> usize;
    /// The next rows in the table's order; `None` once every row was given.
    fn next_part(&mut self) -> Result<Option<Vec<Row>>, LoadError>;
}

/// Rows read whole are one part.
impl RowParts for LayerRows {
    fn kind(&self) -> LayerKind {
        self.kind
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn len_hint(&self) -> usize {
        self.rows.len()
    }

    fn next_part(&mut self) -> Result<Option<Vec<Row>>, LoadError> {
        Ok((!self.rows.is_empty()).then(|| std::mem::take(&mut self.rows)))
    }
}

/// What a store's reader (a thread, a task) hands over of its tables, in their order.
#[derive(Debug)]
pub enum Arrival {
    /// The next rows of the table being read.
    Part(Vec<Row>),
    /// The table being read has no more rows.
    End,
    /// Reading failed; nothing more comes.
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

/// A table of a store whose parts arrive from a reader running beside the pass: `recv`
/// waits for the next arrival (`None` when the reader has gone). Each table of the store
/// takes the arrivals until its `End`; the reader stops when the tables are dropped (a
/// pass that stopped early) and its channel with them.
pub struct Arriving<F> {
    /// The store, named in a reading error.
    path: std::path::PathBuf,
    kind: LayerKind,
    name: String,
    rows: usize,
    recv: F,
    done: bool,
}

impl<F: FnMut() -> Option<Arrival>> Arriving<F> {
    /// A table of `rows` rows whose parts `recv` gives.
    pub fn new(
        path: std::path::PathBuf,
        kind: LayerKind,
        name: String,
        rows: usize,
        recv: F,
    ) -> Self {
        Arriving {
            path,
            kind,
            name,
            rows,
            recv,
            done: false,
        }
    }
}

impl<F: FnMut() -> Option<Arrival>> RowParts for Arriving<F> {
    fn kind(&self) -> LayerKind {
        self.kind
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn len_hint(&self) -> usize {
        self.rows
    }

    fn next_part(&mut self) -> Result<Option<Vec<Row>>, LoadError> {
        if self.done {
            return Ok(None);
        }
        let failed = |source| LoadError::Store {
            path: self.path.clone(),
            source,
        };
        match (self.recv)() {
            Some(Arrival::Part(rows)) => Ok(Some(rows)),
            Some(Arrival::End) => {
                self.done = true;
                Ok(None)
            }
            Some(Arrival::Failed(e)) => Err(failed(e)),
            None => Err(failed("the store's reader stopped".into())),
        }
    }
}

/// Loads tables of a store: every row through the per-feature pass of the file loaders,
/// then the same merge (duplicate ids, enterprise references, the far-from-data check).
/// Each table is one entry of the report's files (format `store`; a store may name its
/// own format there). Several tables of one layer are merged as several files are.
pub fn load_rows(layers: Vec<LayerRows>, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    load_row_parts(
        layers
            .into_iter()
            .map(|l| Box::new(l) as Box<dyn RowParts>)
            .collect(),
        opts,
    )
}

/// [`load_rows`] of tables read a part at a time.
pub fn load_row_parts(
    layers: Vec<Box<dyn RowParts + '_>>,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut acc = Acc::default();
    let mut files = FileReports {
        rels: layers.iter().map(|l| l.name().to_string()).collect(),
        issues: Vec::with_capacity(layers.len()),
        summaries: Vec::with_capacity(layers.len()),
        strict: opts.strict,
    };
    let total = layers.len();
    for (i, mut l) in layers.into_iter().enumerate() {
        let (name, kind) = (l.name().to_string(), l.kind());
        let l = l.as_mut();
        if let Some(cb) = &opts.progress {
            cb(LoadProgress::FileStarted {
                file: name.clone(),
                layer: kind,
                total,
            });
        }
        let (features, issues) = match kind {
            LayerKind::Enterprises => {
                let o = table::<Enterprise>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.enterprises.push((i, files.take(o)));
                counts
            }
            LayerKind::HazardSources => {
                let o = table::<HazardSource>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.hazard_sources.push((i, files.take(o)));
                counts
            }
            LayerKind::GasPipelines => {
                let o = table::<GasPipeline>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.gas_pipelines.push((i, files.take(o)));
                counts
            }
            LayerKind::Houses => {
                let o = table::<House>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.houses.push((i, files.take(o)));
                counts
            }
            LayerKind::ProtectionTargets => {
                let o = table::<ProtectionTarget>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.protection_targets.push((i, files.take(o)));
                counts
            }
            LayerKind::Areas => {
                let o = table::<Area>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.areas.push((i, files.take(o)));
                counts
            }
            LayerKind::HiddenHazards => {
                let o = table::<HiddenHazard>(l, opts)?;
                let counts = (o.features.features.len(), o.issues.len());
                acc.hidden_hazards.push((i, files.take(o)));
                counts
            }
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => {
                return Err(LoadError::NotAnInputLayer {
                    file: name,
                    layer: kind,
                });
            }
        };
        if let Some(cb) = &opts.progress {
            cb(LoadProgress::FileDone {
                file: name,
                layer: kind,
                features,
                issues,
                total,
            });
        }
    }
    if let Some(cb) = &opts.progress {
        cb(LoadProgress::Indexing);
    }
    let dataset = merge(acc, &mut files)?;
    Ok(Loaded {
        as_of: None,
        dataset,
        report: files.into_report(Vec::new(), Vec::new()),
        statuses: Vec::new(),
    })
}

/// One table through the per-feature pass.
fn table<P: LayerProps>(l: &mut dyn RowParts, opts: &LoadOptions) -> Result<FileOut<P>, LoadError> {
    let name = l.name().to_string();
    let mut summary = FileSummary::new(&name, Some(P::KIND), FileStatus::Loaded);
    summary.format = Some("store".into());
    summary.crs = Some(format!("{} (store)", Crs::Wgs84));
    let mut sink = Sink::new(opts.strict);
    let resolver = Resolver::new(P::KIND, &[]);
    let stem = name.rsplit('/').next().unwrap_or(&name).to_string();
    let crs = Crs::Wgs84;
    let source = crate::model::SourceFile::named(&name);
    let cx = FileCtx {
        rel: &name,
        source,
        stem: &stem,
        layer: P::KIND,
        crs: &crs,
        resolver: &resolver,
        absent: &[],
        substances: &opts.substances,
        statuses: &opts.hidden_statuses,
    };
    let mut pass = Pass::<P>::new(l.len_hint());
    while let Some(rows) = l.next_part()? {
        let raws: Vec<RawFeature<'static>> = rows.into_iter().map(raw_feature).collect();
        pass.feed(raws, &cx)?;
    }
    let features = pass.finish(&cx, &mut summary, &mut sink)?;
    // An empty table is not reported: a store keeps a table for every layer, the ledger
    // of a layer a district does not keep included.
    Ok(FileOut {
        features,
        issues: sink.issues,
        summary,
    })
}

/// A row as the per-feature pass takes a feature of a file.
fn raw_feature(row: Row) -> RawFeature<'static> {
    let mut geom = match row.geometry {
        Some(g) => geom_input(g),
        None => GeomInput::Missing,
    };
    let mut props = Vec::with_capacity(row.fields.len());
    for (k, v) in row.fields {
        if k == GEOMETRY_ERROR {
            if let RowValue::Text(why) = v {
                geom = GeomInput::Invalid(why);
            }
            continue;
        }
        let v = match v {
            RowValue::Null => Value::Null,
            // Ids and codes stored as integers read back as written (`format_number`).
            RowValue::Int(i) => Value::Num(i as f64),
            RowValue::Real(f) => Value::Num(f),
            RowValue::Text(s) => Value::Str(Cow::Owned(s)),
            RowValue::Bool(b) => Value::Bool(b),
        };
        props.push((Cow::Owned(k), v));
    }
    RawFeature {
        position: Position::Fid(row.position),
        id: row.id.map(Cow::Owned),
        geom,
        props,
    }
}

/// A decoded geometry as a reader's raw geometry, to be checked and repaired as any.
pub(super) fn geom_input(g: geo::Geometry<f64>) -> GeomInput {
    use geo::Geometry as G;
    fn rings(p: geo::Polygon<f64>) -> Vec<Vec<geo::Coord<f64>>> {
        let (shell, holes) = p.into_inner();
        std::iter::once(shell.0)
            .chain(holes.into_iter().map(|h| h.0))
            .collect()
    }
    GeomInput::Geom(match g {
        G::Point(p) => RawGeom::Point(p.0),
        G::MultiPoint(m) => RawGeom::MultiPoint(m.0.into_iter().map(|p| p.0).collect()),
        G::Line(l) => RawGeom::LineString(vec![l.start, l.end]),
        G::LineString(l) => RawGeom::LineString(l.0),
        G::MultiLineString(m) => RawGeom::MultiLineString(m.0.into_iter().map(|l| l.0).collect()),
        G::Polygon(p) => RawGeom::Polygon(rings(p)),
        G::MultiPolygon(m) => RawGeom::MultiPolygon(m.0.into_iter().map(rings).collect()),
        G::Rect(r) => RawGeom::Polygon(rings(r.to_polygon())),
        G::Triangle(t) => RawGeom::Polygon(rings(t.to_polygon())),
        G::GeometryCollection(_) => {
            return GeomInput::Invalid(
                "a GeometryCollection is not supported: give each part its own feature".into(),
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{IssueCode, Severity};

    fn house(position: u64, id: Option<&str>, geometry: Option<geo::Geometry<f64>>) -> Row {
        Row {
            position,
            id: id.map(Into::into),
            geometry,
            fields: vec![
                ("地址".into(), RowValue::Text(format!("海门路{position}号"))),
                ("层数".into(), RowValue::Int(3)),
                ("occupants".into(), RowValue::Real(4.0)),
                ("用途".into(), RowValue::Text("居住".into())),
                ("note".into(), RowValue::Bool(true)),
            ],
        }
    }

    #[test]
    fn rows_go_through_the_per_feature_pass_and_the_merge() {
        let p = |x: f64| Some(geo::Geometry::Point(geo::Point::new(121.0 + x, 31.9)));
        let mut broken = house(5, Some("h5"), None);
        broken
            .fields
            .push((GEOMETRY_ERROR.into(), RowValue::Text("bad blob".into())));
        let layers = vec![LayerRows {
            kind: LayerKind::Houses,
            name: "city.db/houses".into(),
            rows: vec![
                house(1, Some("h1"), p(0.0)),
                house(2, None, p(0.001)),
                house(3, Some("h1"), p(0.002)),
                house(4, Some("h4"), None),
                broken,
            ],
        }];
        let loaded = load_rows(layers, &LoadOptions::default()).expect("loads");
        let houses = loaded.dataset.houses.features();
        let ids: Vec<&str> = houses.iter().map(|f| f.id.as_str()).collect();
        // A row without an id gets one made from its table and position, as a file's
        // feature does from its file.
        assert_eq!(ids, ["h1", "houses-houses-2"]);
        let h = &houses[0].props;
        assert_eq!(
            (h.floors, h.occupants, &*h.address),
            (Some(3), Some(4), "海门路1号")
        );
        assert_eq!(&*houses[0].source.file(), "city.db/houses");
        let got: Vec<(Severity, IssueCode, Option<Position>, Option<&str>)> = loaded
            .report
            .issues
            .iter()
            .map(|i| (i.severity, i.code, i.position, i.feature_id.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Severity::Skipped,
                    IssueCode::MissingGeometry,
                    Some(Position::Fid(4)),
                    Some("h4")
                ),
                (
                    Severity::Skipped,
                    IssueCode::InvalidGeometry,
                    Some(Position::Fid(5)),
                    Some("h5")
                ),
                (
                    Severity::Skipped,
                    IssueCode::DuplicateId,
                    Some(Position::Fid(3)),
                    Some("h1")
                ),
            ]
        );
        let s = &loaded.report.files[0];
        assert_eq!((s.features_read, s.features_loaded), (5, 2));
        assert_eq!(s.unused_columns, ["note"]);
    }
}
