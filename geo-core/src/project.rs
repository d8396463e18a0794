//! The one way from a data source (a data directory or a GeoPackage) to an analysed
//! snapshot: load, validate, index, analyse.
//!
//! The `riskmap` commands, the tile server (at start and on every reload), the examples
//! and the benchmarks all get their data through [`Project::open`] (or
//! [`Project::from_dataset`] for a dataset built in memory), so every option of loading
//! means the same everywhere and the steps run in one order.

use std::path::Path;

use crate::analysis::{self, Analysis, Step};
use crate::dataset::Dataset;
use crate::io::{self, LoadError, LoadOptions, ValidationReport};
use crate::rules::Rules;
use crate::store;

/// What kind of data source a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A data directory of ledger files.
    Directory,
    /// A GeoPackage of ledger tables.
    GeoPackage,
}

impl SourceKind {
    /// What kind of source `path` is: a directory, or a file that is a GeoPackage (by the
    /// SQLite header, or by the `.gpkg` extension for a file that is not there yet or not
    /// SQLite, so that its error says what is wrong with it). Anything else is
    /// [`LoadError::NotASource`]; a path that does not exist is a directory that cannot
    /// be read.
    pub fn of(path: &Path) -> Result<SourceKind, LoadError> {
        let gpkg_ext = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
        if path.is_dir() {
            return Ok(SourceKind::Directory);
        }
        if !path.exists() {
            return Ok(if gpkg_ext {
                SourceKind::GeoPackage
            } else {
                SourceKind::Directory
            });
        }
        if gpkg_ext || store::gpkg::looks_like_sqlite(path) {
            return Ok(SourceKind::GeoPackage);
        }
        Err(LoadError::NotASource {
            path: path.to_path_buf(),
            what: "a file".into(),
        })
    }

    /// `directory` or `gpkg`.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Directory => "directory",
            SourceKind::GeoPackage => "gpkg",
        }
    }
}

/// Loads a data source: a data directory ([`io::load_dir`]) or a GeoPackage
/// ([`store::gpkg::load`]), with the same checks and the same report.
pub fn load_source(source: &Path, opts: &LoadOptions) -> Result<io::Loaded, LoadError> {
    match SourceKind::of(source)? {
        SourceKind::Directory => io::load_dir(source, opts),
        SourceKind::GeoPackage => store::gpkg::load(source, opts),
    }
}

/// A loaded and analysed dataset: what every output of RiskMap is made from.
///
/// ```
/// use riskmap_core::io::LoadOptions;
/// use riskmap_core::project::Project;
/// use riskmap_core::rules::Rules;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
/// let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
/// assert!(p.dataset.houses.len() > 1000);
/// assert_eq!(p.analysis.house_risks.len(), p.dataset.houses.len());
/// println!("{} protection conflicts", p.analysis.protection_conflicts.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Project {
    /// The seven input layers with their R-trees.
    pub dataset: Dataset,
    /// What the loader read, skipped or repaired.
    pub report: ValidationReport,
    /// Every result, aligned with the layers' positions.
    pub analysis: Analysis,
    /// The rules the analysis used.
    pub rules: Rules,
}

impl Project {
    /// Loads a data source — a data directory (files in any supported format, CRS and
    /// encoding) or a GeoPackage (see [`load_source`]) — then analyses it with `rules`.
    pub fn open(source: &Path, opts: &LoadOptions, rules: &Rules) -> Result<Project, LoadError> {
        Project::open_with_progress(source, opts, rules, &|_, _| {}, &|_| {})
    }

    /// [`Project::open`], calling `on_loaded` when the data is loaded and indexed and
    /// `on_step` as each analysis step starts (file progress is reported through
    /// [`LoadOptions::progress`]).
    pub fn open_with_progress(
        source: &Path,
        opts: &LoadOptions,
        rules: &Rules,
        on_loaded: &dyn Fn(&Dataset, &ValidationReport),
        on_step: &(dyn Fn(Step) + Sync),
    ) -> Result<Project, LoadError> {
        let loaded = load_source(source, opts)?;
        on_loaded(&loaded.dataset, &loaded.report);
        Ok(Project::from_loaded(loaded, opts, rules, on_step))
    }

    /// Analyses what a loader returned for a source read by other means (a database:
    /// `store::pg::load`), calling `on_step` as each analysis step starts.
    pub fn from_loaded(
        loaded: io::Loaded,
        opts: &LoadOptions,
        rules: &Rules,
        on_step: &(dyn Fn(Step) + Sync),
    ) -> Project {
        let mut rules = rules.clone();
        // The day hidden hazards are counted on: the rules' (the command line's), else
        // the day the ledgers say they were exported, else today.
        if rules.hidden_hazards.as_of.is_none() {
            rules.hidden_hazards.as_of =
                Some(loaded.as_of.unwrap_or_else(crate::model::Day::today));
        }
        Project::analyse(loaded.dataset, loaded.report, opts, &rules, on_step)
    }

    /// Analyses a dataset that was built in memory (generated, or assembled by a program
    /// that embeds the crate); its report is empty. The features and rules are checked
    /// first ([`analysis::check_input`]): a feature the loaders would have refused (a
    /// coordinate not a number or out of range, a ring of two points, a negative
    /// tonnage, an id twice) is an error naming it. Hidden hazards are counted on the
    /// rules' `hidden_hazards.as_of`, else today: set it for results that do not change
    /// with the day they are made.
    pub fn from_dataset(dataset: Dataset, rules: &Rules) -> Result<Project, analysis::InputError> {
        analysis::check_input(&dataset, rules)?;
        let mut rules = rules.clone();
        if rules.hidden_hazards.as_of.is_none() {
            rules.hidden_hazards.as_of = Some(crate::model::Day::today());
        }
        Ok(Project::analyse(
            dataset,
            ValidationReport::default(),
            &LoadOptions::default(),
            &rules,
            &|_| {},
        ))
    }

    fn analyse(
        dataset: Dataset,
        report: ValidationReport,
        opts: &LoadOptions,
        rules: &Rules,
        on_step: &(dyn Fn(Step) + Sync),
    ) -> Project {
        let analysis = analysis::analyze_checked(&dataset, &opts.substances, rules, on_step);
        Project {
            dataset,
            report,
            analysis,
            rules: rules.clone(),
        }
    }

    /// `summary.json`: counts per layer, grade and level.
    pub fn summary(&self) -> serde_json::Value {
        crate::export::summary(&self.dataset, &self.analysis)
    }
}
