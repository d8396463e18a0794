//! Loading ledgers: GeoJSON, CSV, Excel, Shapefile, FlatGeobuf and GeoParquet files into
//! typed, indexed layers, with a validation report.
//!
//! A data directory holds one file per layer named after it (`enterprises.csv`,
//! `houses.geojson`, or the Chinese `企业.xlsx`, `自建房.shp`), or a folder per layer
//! holding several files (`houses/part-001.geojson`, read in parallel), and optionally a
//! `riskmap.toml` that maps any other file name to a layer and gives its CRS, encoding,
//! sheet and column renames. `docs/data-model.md` lists every field, its Chinese
//! aliases, the value vocabularies, the inventory syntax and the issue codes.
//!
//! Every coordinate is converted to WGS84 longitude/latitude. Nothing is dropped
//! silently: each skipped or repaired feature, each value left empty and each file
//! ignored appears in the [`ValidationReport`]. With [`LoadOptions::strict`] the first
//! problem is returned as a [`LoadError`] instead.
//!
//! ```no_run
//! use riskmap_core::io::{load_dir, LoadOptions};
//! let loaded = load_dir(std::path::Path::new("data/haimen"), &LoadOptions::default())?;
//! println!("{} houses; {} features skipped", loaded.dataset.houses.len(), loaded.report.skipped_count());
//! std::fs::write("report.md", loaded.report.to_markdown())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Loading runs in steps, one module each: `discover` finds the files and the manifest,
//! `plan` decides each file's layer and settings, `read` reads the files in parallel
//! (through `geojson`, `table`, `shp`, `fgb` and `geoparquet`, then the common pass of `features`, which
//! resolves columns with `fields`, makes geometries with `geom` and builds typed
//! properties with `props`), `dedupe` drops duplicate ids, `resolve` links hazard
//! sources to enterprises, and `report` holds what was found on the way. A store (a
//! GeoPackage, a database) reads its tables into rows and hands them to [`load_rows`],
//! which runs the same per-feature pass and the same merge. One edited feature (a GeoJSON
//! Feature from the edit API) goes through the same reader and pass with
//! [`feature_from_geojson`], and is refused with what the loaders would leave out.

mod dedupe;
mod discover;
mod edit;
mod error;
mod far;
mod features;
pub(crate) use features::PART;
mod csv_rows;
#[cfg(feature = "flatgeobuf")]
mod fgb;
mod fields;
mod geojson;
mod geom;
#[cfg(feature = "geoparquet")]
mod geoparquet;
mod header;
mod lifecycle;
mod links;
mod manifest;
mod merged;
mod options;
mod plan;
mod props;
mod read;
mod report;
mod report_codes;
mod report_zh;
mod reread;
mod resolve;
mod row_fit;
mod rows;
mod sheet_rows;
pub(crate) mod shp;
mod table;
mod table_notes;
mod text;

use std::path::Path;
use std::time::Instant;

use crate::dataset::{Dataset, Layer};
use crate::index::SpatialIndex;
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, HiddenHazard, House, LayerKind,
    ProtectionTarget,
};

pub use edit::{
    CheckedFeature, EDIT_SOURCE, edit_properties, feature_from_geojson,
    recorded_feature_from_geojson, refuses,
};
pub use error::LoadError;
pub use far::far_issue;
/// The CRS a GeoJSON object's legacy `crs` member names (`{"type":"name","properties":
/// {"name":"EPSG:4549"}}`, or the older `{"type":"EPSG","properties":{"code":4549}}`),
/// as the GeoJSON reader takes it.
pub use geojson::legacy_crs_name;
pub(crate) use geom::allowed_types;
pub use links::link_hidden_hazards;
pub use manifest::MANIFEST_FILE;
pub(crate) use manifest::status_words;
pub use options::{FileOptions, LoadOptions, LoadProgress, ProgressFn, READING_FORMAT};
pub use plan::FileFormat;
pub use props::LINKABLE;
pub use props::LayerProps;
pub use report::{FileStatus, FileSummary, Issue, IssueCode, Position, Severity, ValidationReport};
pub use resolve::{resolve_enterprise_refs, resolve_enterprise_refs_by};
pub use rows::{
    Arrival, Arriving, GEOMETRY_ERROR, LayerRows, Row, RowParts, RowValue, load_row_parts,
    load_rows,
};

use dedupe::dedupe;
use plan::Plan;
use read::{Acc, FileReports};
use report::Sink;
use resolve::resolve_enterprises;

/// A loaded data source (a directory, or a store's tables): the dataset and what was
/// found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The seven layers, indexed.
    pub dataset: Dataset,
    /// Files read, ignored or skipped, and every issue.
    pub report: ValidationReport,
    /// The day the ledgers were exported, when the directory's `riskmap.toml` says
    /// (`as_of`): hidden hazards are counted on it unless the run names another day.
    pub as_of: Option<crate::model::Day>,
    /// The data's own words for the hidden hazards' stages (a folder's `[statuses]`, a
    /// store's `riskmap_status_words`), which the ledgers were read with; an edit of the
    /// served data is read with them too.
    pub statuses: Vec<(String, crate::model::HiddenHazardStatus)>,
}

/// A loaded file: its features and the report.
#[derive(Debug, Clone)]
pub struct LoadedFile<P> {
    /// Features in file order, without the skipped ones.
    pub features: Vec<Feature<P>>,
    /// The file's summary and issues.
    pub report: ValidationReport,
}

/// Loads a data directory (see the module documentation for its layout).
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let started = Instant::now();
    // Issues about the directory and its manifest, reported before any file's.
    if dir.is_file() {
        return Err(LoadError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let mut head = Sink::new(opts.strict);
    let found = discover::discover(dir, &mut head)?;
    let (plans, ignored) = plan::plan_dir(&found.files, &found.manifest, opts, &mut head)?;
    if plans.is_empty() {
        // Nothing would be loaded: an empty map that looks like a successful run is
        // worse than an error (a wrong folder, a misspelt file name).
        return Err(LoadError::NoLayerFiles {
            path: dir.to_path_buf(),
            ignored: ignored.iter().take(10).map(|f| f.file.clone()).collect(),
        });
    }
    // The data's own words for the hidden hazards' statuses join the run's.
    let opts = &*opts.with_statuses(&found.manifest.statuses);
    let results = read::read_all(&plans, opts);
    let (acc, mut files) = read::gather(&plans, results, opts.strict)?;
    if let Some(cb) = &opts.progress {
        cb(LoadProgress::Indexing);
    }
    let dataset = merge(acc, &mut files)?;
    let report = files.into_report(head.issues, ignored);
    let as_of = found.manifest.as_of;
    let statuses = found.manifest.statuses.clone();
    tracing::debug!(
        dir = %dir.display(),
        files = plans.len(),
        issues = report.issues.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data directory loaded"
    );
    Ok(Loaded {
        dataset,
        report,
        as_of,
        statuses,
    })
}

/// Makes the dataset from the files' features: duplicate ids dropped, hazard sources
/// linked to their enterprises, hidden hazards to their features, every layer indexed.
fn merge(acc: Acc, files: &mut FileReports) -> Result<Dataset, LoadError> {
    let started = Instant::now();
    let step = |what: &str| {
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "merge: {what} done"
        );
    };
    let enterprises = dedupe(acc.enterprises, files)?;
    let mut hazard_sources = dedupe(acc.hazard_sources, files)?;
    resolve_enterprises(&enterprises, &mut hazard_sources, files)?;
    let gas_pipelines = dedupe(acc.gas_pipelines, files)?;
    let houses = dedupe(acc.houses, files)?;
    let protection_targets = dedupe(acc.protection_targets, files)?;
    let areas = dedupe(acc.areas, files)?;
    let mut hidden_hazards = dedupe(acc.hidden_hazards, files)?;
    step("duplicate ids");
    // The houses are usually by far the largest layer, and an R-tree is bulk-loaded on one
    // thread: theirs is built while the hidden hazards are linked and far features looked
    // for (both only read the houses), then the other layers' trees.
    let (houses_index, rest) = rayon::join(
        || SpatialIndex::build(houses.found.features.iter().map(|f| &f.geometry)),
        || -> Result<_, LoadError> {
            links::resolve_links(
                &links::Linkable {
                    enterprises: &enterprises.found.features,
                    hazard_sources: &hazard_sources.found.features,
                    gas_pipelines: &gas_pipelines.found.features,
                    houses: &houses.found.features,
                    protection_targets: &protection_targets.found.features,
                },
                &mut hidden_hazards,
                files,
            )?;
            step("links");
            far::check_far(
                &[
                    far::view(LayerKind::Enterprises, &enterprises),
                    far::view(LayerKind::HazardSources, &hazard_sources),
                    far::view(LayerKind::GasPipelines, &gas_pipelines),
                    far::view(LayerKind::Houses, &houses),
                    far::view(LayerKind::ProtectionTargets, &protection_targets),
                    far::view(LayerKind::Areas, &areas),
                    far::view(LayerKind::HiddenHazards, &hidden_hazards),
                ],
                &areas,
                files,
            )?;
            step("far features");
            Ok((
                Layer::new(LayerKind::Areas, areas.found.features),
                Layer::new(LayerKind::Enterprises, enterprises.found.features),
                Layer::new(LayerKind::HazardSources, hazard_sources.found.features),
                Layer::new(LayerKind::GasPipelines, gas_pipelines.found.features),
                Layer::new(
                    LayerKind::ProtectionTargets,
                    protection_targets.found.features,
                ),
                Layer::new(LayerKind::HiddenHazards, hidden_hazards.found.features),
            ))
        },
    );
    let houses = Layer::with_index(LayerKind::Houses, houses.found.features, houses_index);
    let (areas, enterprises, hazard_sources, gas_pipelines, protection_targets, hidden_hazards) =
        rest?;
    step("indexes");
    Ok(Dataset {
        areas,
        enterprises,
        hazard_sources,
        gas_pipelines,
        houses,
        protection_targets,
        hidden_hazards,
    })
}

/// Loads one file into a layer, chosen by the properties type:
/// `load_file::<House>(path, &FileOptions::default(), &opts)`.
///
/// A file that cannot be read at all is reported as skipped (an error in strict mode);
/// a path that does not exist is an error.
pub fn load_file<P: LayerProps>(
    path: &Path,
    file_opts: &FileOptions,
    opts: &LoadOptions,
) -> Result<LoadedFile<P>, LoadError> {
    let plan = Plan::for_file(path, P::KIND, file_opts)?;
    let mut files = FileReports::new(std::slice::from_ref(&plan), opts.strict);
    let mut layer = Vec::new();
    match read::load_one::<P>(&plan, opts) {
        Ok(out) => layer.push((0, files.take(out))),
        Err(e) => files.skip(&plan, e)?,
    }
    let kept = dedupe(layer, &mut files)?;
    Ok(LoadedFile {
        features: kept.found.features,
        report: files.into_report(Vec::new(), Vec::new()),
    })
}

/// Loads one file into the named layer of an otherwise empty dataset.
pub fn load_file_as(
    path: &Path,
    layer: LayerKind,
    file_opts: &FileOptions,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut dataset = Dataset::default();
    macro_rules! one {
        ($t:ty, $field:ident) => {{
            let f = load_file::<$t>(path, file_opts, opts)?;
            dataset.$field = Layer::new(layer, f.features);
            f.report
        }};
    }
    let report = match layer {
        LayerKind::Enterprises => one!(Enterprise, enterprises),
        LayerKind::HazardSources => one!(HazardSource, hazard_sources),
        LayerKind::GasPipelines => one!(GasPipeline, gas_pipelines),
        LayerKind::Houses => one!(House, houses),
        LayerKind::ProtectionTargets => one!(ProtectionTarget, protection_targets),
        LayerKind::Areas => one!(Area, areas),
        LayerKind::HiddenHazards => one!(HiddenHazard, hidden_hazards),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {
            return Err(LoadError::NotAnInputLayer {
                file: path.display().to_string(),
                layer,
            });
        }
    };
    Ok(Loaded {
        dataset,
        report,
        as_of: None,
        statuses: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_csv_fields;
#[cfg(test)]
mod tests_csv_parts;
#[cfg(test)]
mod tests_formats;
#[cfg(test)]
mod tests_hidden;
#[cfg(test)]
mod tests_merged;
#[cfg(test)]
mod tests_parts;
#[cfg(test)]
mod tests_recovery;
#[cfg(test)]
mod tests_shp;
#[cfg(test)]
mod tests_timing;
