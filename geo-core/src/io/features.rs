//! The pass every format shares once it has raw features: geometry from coordinate or
//! WKT cells where the format had none, the file-level check for projected coordinates
//! in a longitude/latitude file, then per feature (in parallel chunks) its id, geometry
//! and typed properties.

use std::borrow::Cow;
use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::heap::Shared;
use crate::model::{Feature, SourceRef};

use super::LoadError;
use super::fields::{self, KeyMemo, Resolver, Slot, Value};
use super::geom::{self, GeomInput};
use super::plan::FileCtx;
use super::props::{Cell, FeatureCx, LayerProps};
use super::report::{FileStatus, FileSummary, Issue, IssueCode, Position, Severity, Sink};

/// A feature as a reader found it, before fields are resolved and checked.
#[derive(Debug)]
pub(crate) struct RawFeature<'a> {
    pub position: Position,
    /// The id a format carries apart from the properties (GeoJSON `id`).
    pub id: Option<Cow<'a, str>>,
    pub geom: GeomInput,
    pub props: Vec<(Cow<'a, str>, Value<'a>)>,
}

/// Features with their positions, kept apart so that the features move into their
/// layer without another copy (a million houses are a quarter of a gigabyte).
pub(super) struct Found<P> {
    pub features: Vec<Feature<P>>,
    pub positions: Vec<Position>,
    /// The features whose id was written with spaces around it (trimmed), by index in
    /// `features` (almost always none): of two features whose ids are equal once
    /// trimmed, the one written as it is keeps the id (`dedupe`). Not kept past it.
    pub spaced: Vec<u32>,
}

impl<P> Found<P> {
    pub(super) fn with_capacity(n: usize) -> Self {
        Found {
            features: Vec::with_capacity(n),
            positions: Vec::with_capacity(n),
            spaced: Vec::new(),
        }
    }

    /// Room for a layer's `n` features, and for the features a living map adds later
    /// (`heap::HEADROOM`; untouched, it costs address space, not memory).
    pub(super) fn for_layer(n: usize) -> Self {
        Found {
            features: Vec::with_capacity(crate::heap::with_room(n)),
            positions: Vec::with_capacity(n),
            spaced: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, f: Feature<P>, p: Position) {
        self.features.push(f);
        self.positions.push(p);
    }

    pub(super) fn append(&mut self, other: &mut Found<P>) {
        let base = self.features.len() as u32;
        self.spaced.extend(other.spaced.drain(..).map(|i| base + i));
        self.features.append(&mut other.features);
        self.positions.append(&mut other.positions);
    }
}

/// Raw features a reader hands to a [`Pass`] at a time when it reads in parts (GeoJSON,
/// FlatGeobuf, GeoParquet, CSV and workbook blocks): a part of houses is about six
/// megabytes of text, enough that the pass keeps both cores busy on it. A reader holds
/// about three parts at once (one read, one waiting, one turned into features): at 65,536
/// features a part that was 100 MB at the load's peak for a million houses, for no
/// measurable gain in time (BENCHMARKS.md, "The tile archive below tippecanoe's peak").
pub(crate) const PART: usize = 1 << 14;

/// Features per parallel work unit: big enough that scheduling costs nothing, small
/// enough that two cores share a file of a few thousand features.
const CHUNK: usize = 2048;

/// The most fields a layer has (the cells array of a feature lives on the stack); a test
/// checks every layer's field list against it.
pub(crate) const MAX_FIELDS: usize = 24;

/// The common pass over a file's features: geometry from cells where the format had
/// none, the file-level check for projected coordinates, then per feature: id,
/// geometry, properties.
pub(super) fn process<P: LayerProps>(
    raws: Vec<RawFeature<'_>>,
    cx: &FileCtx<'_>,
    summary: &mut FileSummary,
    sink: &mut Sink,
) -> Result<Found<P>, LoadError> {
    let mut pass = Pass::new(raws.len());
    pass.feed(raws, cx)?;
    pass.finish(cx, summary, sink)
}

/// [`process`] fed part by part (a GeoParquet file's row groups), so that a file's raw
/// features are held a part at a time, not all at once. The check for projected
/// coordinates is the whole file's: the features' issues are held until
/// [`Pass::finish`], which reports either that check's finding alone or every feature's
/// issues, in the order one pass over the whole file would have.
pub(super) struct Pass<P> {
    found: Found<P>,
    issues: Vec<Issue>,
    unused: BTreeSet<String>,
    read: u64,
    with_geom: usize,
    projected: usize,
    example: Option<(Position, geo::Coord<f64>)>,
}

impl<P: LayerProps> Pass<P> {
    /// A pass expecting about `n` features.
    pub(super) fn new(n: usize) -> Self {
        Pass {
            found: Found::for_layer(n),
            issues: Vec::new(),
            unused: BTreeSet::new(),
            read: 0,
            with_geom: 0,
            projected: 0,
            example: None,
        }
    }

    /// Turns the next part's raw features into features; they are dropped after.
    pub(super) fn feed(
        &mut self,
        mut raws: Vec<RawFeature<'_>>,
        cx: &FileCtx<'_>,
    ) -> Result<(), LoadError> {
        self.read += raws.len() as u64;
        raws.par_chunks_mut(CHUNK).for_each(|chunk| {
            let mut memo = KeyMemo::default();
            for raw in chunk.iter_mut().filter(|r| r.geom == GeomInput::Missing) {
                raw.geom = geometry_from_cells(raw, cx.resolver, &mut memo);
            }
        });
        if cx.crs.is_geographic() {
            let firsts = raws.iter().filter_map(|r| match &r.geom {
                GeomInput::Geom(g) => g.first().map(|c| (r.position, c)),
                _ => None,
            });
            for (pos, c) in firsts {
                self.with_geom += 1;
                if geom::looks_projected(c) {
                    self.projected += 1;
                    self.example.get_or_insert((pos, c));
                }
            }
        }
        // Issues are held (see the type): each chunk's sink is never strict, the
        // file's sink decides at the end.
        let results: Vec<Result<ChunkOut<P>, LoadError>> = raws
            .par_chunks_mut(CHUNK)
            .map(|chunk| {
                let mut memo = KeyMemo::default();
                let mut unused = BTreeSet::new();
                let mut sink = Sink::new(false);
                let mut texts = Shared::new();
                let mut out = Found::with_capacity(chunk.len());
                for raw in chunk {
                    let mut spaced = false;
                    let f = one_feature::<P>(
                        raw,
                        cx,
                        &mut memo,
                        &mut unused,
                        &mut sink,
                        &mut texts,
                        &mut spaced,
                    )?;
                    if let Some(f) = f {
                        if spaced {
                            out.spaced.push(out.features.len() as u32);
                        }
                        out.push(f, raw.position);
                    }
                }
                Ok((out, sink.issues, unused))
            })
            .collect();
        for r in results {
            let (mut f, issues, u) = r?;
            self.found.append(&mut f);
            self.issues.extend(issues);
            self.unused.extend(u);
        }
        Ok(())
    }

    /// The features; the file is skipped when most of its coordinates are projected
    /// although it is read as longitude/latitude.
    pub(super) fn finish(
        self,
        cx: &FileCtx<'_>,
        summary: &mut FileSummary,
        sink: &mut Sink,
    ) -> Result<Found<P>, LoadError> {
        summary.features_read = self.read;
        if let Some((pos, c)) = self.example
            && self.projected * 2 > self.with_geom
        {
            sink.push(Issue {
                severity: Severity::Skipped,
                code: IssueCode::ProjectedCoordinates,
                file: cx.rel.into(),
                layer: Some(cx.layer),
                position: None,
                feature_id: None,
                field: None,
                message: format!(
                    "{} of {} features have projected coordinates although the file is read as {}; \
                     at {pos}: {}. The file was skipped",
                    self.projected,
                    self.with_geom,
                    cx.crs,
                    geom::projected_guess(c)
                ),
            })?;
            summary.status = FileStatus::Skipped;
            summary.note = Some("projected coordinates in a longitude/latitude file".into());
            return Ok(Found::with_capacity(0));
        }
        for issue in self.issues {
            sink.push(issue)?;
        }
        summary.unused_columns = self.unused.into_iter().collect();
        let mut found = self.found;
        // A pass fed in parts was sized by an estimate: what it overshot is given back,
        // all but the room a living map keeps for features added later
        // (`heap::HEADROOM`: a copy of the whole layer when the map is served, else).
        let n = found.features.len();
        if found.features.capacity() > crate::heap::with_room(n) {
            found.features.shrink_to(crate::heap::with_room(n));
            found.positions.shrink_to_fit();
        }
        Ok(found)
    }
}

/// What one parallel chunk of a file gives: features, issues and unused column names.
type ChunkOut<P> = (Found<P>, Vec<Issue>, BTreeSet<String>);

/// A point from longitude/latitude cells, or a geometry from a WKT cell.
fn geometry_from_cells(raw: &RawFeature<'_>, resolver: &Resolver, memo: &mut KeyMemo) -> GeomInput {
    let (mut lon, mut lat, mut wkt) = (None, None, None);
    for (i, (k, v)) in raw.props.iter().enumerate() {
        match memo.get(resolver, i, k).map(|r| r.slot) {
            Some(Slot::Lon) if lon.is_none() => lon = Some((k, v)),
            Some(Slot::Lat) if lat.is_none() => lat = Some((k, v)),
            Some(Slot::Wkt) if wkt.is_none() => wkt = Some(v),
            _ => {}
        }
    }
    if let Some(t) = wkt.and_then(|v| v.text()) {
        return geom::parse_wkt(&t);
    }
    let given = |v: &Value<'_>| v.text().is_some_and(|t| !t.trim().is_empty());
    let (lk, lv, ak, av) = match (lon, lat) {
        (Some((lk, lv)), Some((ak, av))) => (lk, lv, ak, av),
        // A row shorter than the header (a file cut in the middle of a row, most often):
        // one coordinate is there, the cell of the other is not.
        (Some((k, v)), None) if given(v) => {
            return GeomInput::BadCoordinates(format!(
                "{k} is given but the row ends before its latitude cell"
            ));
        }
        (None, Some((k, v))) if given(v) => {
            return GeomInput::BadCoordinates(format!(
                "{k} is given but the row has no longitude cell"
            ));
        }
        _ => return GeomInput::Missing,
    };
    let read = |k: &str, v: &Value<'_>| match fields::parse_coordinate(v) {
        Ok(x) => Ok(x),
        Err(_) => Err(format!(
            "{k} is {:?}, not a coordinate",
            v.text().unwrap_or_default()
        )),
    };
    match (read(lk, lv), read(ak, av)) {
        (Ok(Some(x)), Ok(Some(y))) => GeomInput::Geom(geom::RawGeom::Point(geo::Coord { x, y })),
        (Ok(None), Ok(None)) => GeomInput::Missing,
        (Err(e), _) | (_, Err(e)) => GeomInput::BadCoordinates(e),
        (Ok(None), _) => GeomInput::BadCoordinates(one_missing(lk, lv, ak)),
        (_, Ok(None)) => GeomInput::BadCoordinates(one_missing(ak, av, lk)),
    }
}

/// Why a point has one coordinate and not the other (`k`, whose cell is `v`): the cell
/// is empty, or holds a word for no value such as `NaN` or `无`, which is not a number.
fn one_missing(k: &str, v: &Value<'_>, other: &str) -> String {
    match v.text() {
        Some(t) => format!("{k} is {t:?}, not a number, while {other} is given"),
        None => format!("{k} is empty while {other} is not"),
    }
}

fn one_feature<P: LayerProps>(
    raw: &mut RawFeature<'_>,
    cx: &FileCtx<'_>,
    memo: &mut KeyMemo,
    unused: &mut BTreeSet<String>,
    sink: &mut Sink,
    texts: &mut Shared<str>,
    spaced: &mut bool,
) -> Result<Option<Feature<P>>, LoadError> {
    let n = fields::layer_fields(cx.layer).len().min(MAX_FIELDS);
    let mut cells: [Option<Cell<'_>>; MAX_FIELDS] = [None; MAX_FIELDS];
    let mut id_cell = None;
    for (i, (k, v)) in raw.props.iter().enumerate() {
        match memo.get(cx.resolver, i, k) {
            Some(r) => match r.slot {
                Slot::Field(j) if j < n => {
                    // Two columns for one field: the first with a value wins.
                    let empty = cells[j].is_none_or(|c| c.value.text().is_none());
                    if empty {
                        cells[j] = Some(Cell {
                            value: v,
                            column: k,
                            scale: r.scale,
                        });
                    }
                }
                Slot::Id if id_cell.is_none() => {
                    id_cell = v.text();
                    *spaced = id_cell.is_some() && v.spaced();
                }
                _ => {}
            },
            None => {
                if !k.is_empty() && !unused.contains(k.as_ref()) {
                    unused.insert(k.to_string());
                }
            }
        }
    }
    let id = match raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            *spaced = raw.id.as_deref().is_some_and(|r| r.len() != s.len());
            s.to_string()
        }
        None => match id_cell {
            Some(s) => s.into_owned(),
            None => format!("{}-{}-{}", cx.layer.name(), cx.stem, raw.position.number()),
        },
    };
    let mut fcx = FeatureCx {
        file: cx.rel,
        layer: cx.layer,
        position: raw.position,
        id: &id,
        substances: cx.substances,
        statuses: cx.statuses,
        absent: cx.absent,
        sink,
        texts,
    };
    let input = std::mem::replace(&mut raw.geom, GeomInput::Missing);
    let Some(geometry) = geom::finish(input, cx.crs, &mut fcx)? else {
        return Ok(None);
    };
    let Some(props) = P::build(&cells[..n], &mut fcx)? else {
        return Ok(None);
    };
    Ok(Some(Feature {
        id,
        geometry,
        props,
        source: SourceRef::new(cx.source, raw.position.number()),
    }))
}
