//! How the rows a followed PostGIS store's notifications name compare with what is
//! served ([`super::pg_listen`]): the edits that make the served map the tables' (a row
//! that passed the loaders' checks and differs is put, an id without a row deleted), the
//! rows refused and those applied with a warning, the validation report served after
//! the batch, and the cross-layer look-ups the loaders would make (a hazard's feature, a
//! source's enterprise) against the served features.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use riskmap_core::dataset::Layer;
use riskmap_core::io::{self, Loaded};
use riskmap_core::live::{AnyFeature, Edit, Live};
use riskmap_core::model::{Enterprise, Feature, LayerKind};

use super::pg_listen::RowIssue;
use super::state::Snapshot;

/// The edits, the rows refused, the rows applied with a warning, and the validation
/// report after them.
pub(super) type RowsCompared = (
    Vec<Edit>,
    Vec<RowIssue>,
    Vec<RowIssue>,
    io::ValidationReport,
);

/// What a reading of the rows a batch names (`layers`: the rows of `ids` that still
/// exist, `present`) does to `served`: the rows through the loaders' checks (`opts`),
/// with the look-ups the loaders would make among the served features, then
/// [`differences`] and the report after ([`reported`]). Blocking: off the async workers.
pub(super) fn compare_rows(
    served: &Snapshot,
    layers: Vec<io::LayerRows>,
    opts: &io::LoadOptions,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    present: &BTreeMap<LayerKind, BTreeSet<String>>,
) -> Result<RowsCompared, io::LoadError> {
    let mut loaded = super::pools::background(|| io::load_rows(layers, opts))?;
    if ids.contains_key(&LayerKind::HazardSources) {
        resolve_owners(served, &mut loaded, ids, present);
    }
    link_hidden(served, &mut loaded);
    far_from_served(served, &mut loaded);
    let (edits, refused, warnings) = differences(served, &loaded, ids, present);
    let report = reported(served, &loaded, ids, &edits);
    Ok((edits, refused, warnings, report))
}

/// The loaders' check of where each feature lies, against the served areas: rows read
/// on their own hold no areas to compare with, so a house moved by SQL to another
/// continent would pass (the loaders found only a feature at 0,0). Warned as the loaders
/// warn a file's feature (`far_from_data`), and as the edit API does.
fn far_from_served(served: &Snapshot, loaded: &mut Loaded) {
    fn layer<P>(
        l: &Layer<P>,
        areas: &Layer<riskmap_core::model::Area>,
        warned: &BTreeSet<(LayerKind, String)>,
        file: impl Fn(LayerKind) -> String,
        out: &mut Vec<io::Issue>,
    ) {
        let kind = l.kind();
        for f in l.features() {
            if warned.contains(&(kind, f.id.clone())) {
                continue;
            }
            if let Some((code, message)) = io::far_issue(kind, &f.geometry, areas) {
                out.push(io::Issue {
                    severity: io::Severity::Warning,
                    code,
                    file: file(kind),
                    layer: Some(kind),
                    position: None,
                    feature_id: Some(f.id.clone()),
                    field: None,
                    message,
                });
            }
        }
    }
    let warned: BTreeSet<(LayerKind, String)> = loaded
        .report
        .issues
        .iter()
        .filter(|i| {
            matches!(
                i.code,
                io::IssueCode::FarFromData | io::IssueCode::NullIsland
            )
        })
        .filter_map(|i| Some((i.layer?, i.feature_id.clone()?)))
        .collect();
    let files: Vec<(Option<LayerKind>, String)> = loaded
        .report
        .files
        .iter()
        .map(|f| (f.layer, f.file.clone()))
        .collect();
    let file = |k: LayerKind| {
        files
            .iter()
            .find(|(l, _)| *l == Some(k))
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| k.name().to_string())
    };
    // A batch that changes the areas: its features are not judged against the areas it
    // replaces (the loaders judged them against the batch's own).
    if !loaded.dataset.areas.is_empty() {
        return;
    }
    let areas = &served.dataset().areas;
    let (d, mut out) = (&loaded.dataset, Vec::new());
    layer(&d.enterprises, areas, &warned, file, &mut out);
    layer(&d.hazard_sources, areas, &warned, file, &mut out);
    layer(&d.gas_pipelines, areas, &warned, file, &mut out);
    layer(&d.houses, areas, &warned, file, &mut out);
    layer(&d.protection_targets, areas, &warned, file, &mut out);
    layer(&d.hidden_hazards, areas, &warned, file, &mut out);
    loaded.report.issues.extend(out);
}

/// What differs between the rows read (`loaded`, through the loaders' checks) and what
/// is served, for the ids a batch names: the edits, the rows refused, the rows applied
/// with a warning.
pub(super) fn differences(
    served: &Snapshot,
    loaded: &Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    present: &BTreeMap<LayerKind, BTreeSet<String>>,
) -> (Vec<Edit>, Vec<RowIssue>, Vec<RowIssue>) {
    let mut issues: HashMap<(LayerKind, &str), Vec<&str>> = HashMap::new();
    // What refused a layer's rows as a whole (projected coordinates in all of them):
    // said of each of its rows refused without a reason of its own.
    let mut whole: HashMap<LayerKind, Vec<&str>> = HashMap::new();
    for i in &loaded.report.issues {
        match (i.layer, i.feature_id.as_deref()) {
            (Some(layer), Some(id)) => issues
                .entry((layer, id))
                .or_default()
                .push(i.message.as_str()),
            (Some(layer), None) if i.severity == io::Severity::Skipped => {
                whole.entry(layer).or_default().push(i.message.as_str());
            }
            _ => {}
        }
    }
    let mut d = Differ {
        live: &served.live,
        edits: Vec::new(),
        refused: Vec::new(),
        warnings: Vec::new(),
        issues,
        whole,
    };
    let (sd, ld) = (served.dataset(), &loaded.dataset);
    let none = BTreeSet::new();
    for (kind, ids) in ids {
        let c = Changed {
            ids,
            present: present.get(kind).unwrap_or(&none),
        };
        match kind {
            LayerKind::Areas => d.layer(&sd.areas, &ld.areas, c, AnyFeature::Area),
            LayerKind::Enterprises => {
                d.layer(&sd.enterprises, &ld.enterprises, c, AnyFeature::Enterprise);
            }
            LayerKind::HazardSources => d.layer(
                &sd.hazard_sources,
                &ld.hazard_sources,
                c,
                AnyFeature::HazardSource,
            ),
            LayerKind::GasPipelines => d.layer(
                &sd.gas_pipelines,
                &ld.gas_pipelines,
                c,
                AnyFeature::GasPipeline,
            ),
            LayerKind::Houses => d.layer(&sd.houses, &ld.houses, c, AnyFeature::House),
            LayerKind::ProtectionTargets => d.layer(
                &sd.protection_targets,
                &ld.protection_targets,
                c,
                AnyFeature::ProtectionTarget,
            ),
            LayerKind::HiddenHazards => d.layer(
                &sd.hidden_hazards,
                &ld.hidden_hazards,
                c,
                AnyFeature::HiddenHazard,
            ),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => {}
        }
    }
    (d.edits, d.refused, d.warnings)
}

/// The validation report served after the batch: the issues of the rows read again
/// replace those they had, each layer counts what it serves once `edits` are applied.
pub(super) fn reported(
    served: &Snapshot,
    loaded: &Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    edits: &[Edit],
) -> io::ValidationReport {
    let read: Vec<(LayerKind, usize)> = served
        .dataset()
        .counts()
        .into_iter()
        .filter(|(k, _)| ids.contains_key(k))
        .collect();
    let counts = counts_after(served, read, edits)
        .into_iter()
        .map(|(k, n)| (k, n as u64))
        .collect();
    served
        .report
        .with_features_read_again(&loaded.report, ids, &counts)
}

/// The features of each layer of `counts` (as `served` has them) once `edits` are
/// applied: a put of an id not served adds one, a deletion of a served id takes one.
pub(super) fn counts_after(
    served: &Snapshot,
    mut counts: Vec<(LayerKind, usize)>,
    edits: &[Edit],
) -> Vec<(LayerKind, usize)> {
    for e in edits {
        let (kind, id, put) = match e {
            Edit::Put(f) => (f.layer(), f.id(), true),
            Edit::Delete { layer, id } => (*layer, id.as_str(), false),
        };
        let Some((_, n)) = counts.iter_mut().find(|(k, _)| *k == kind) else {
            continue;
        };
        match (put, served.live.position(kind, id).is_some()) {
            (true, false) => *n += 1,
            (false, true) => *n = n.saturating_sub(1),
            _ => {}
        }
    }
    counts
}

/// Rows of a changed source that are logged one by one; past them, how many.
pub(super) const ROWS_LOGGED: usize = 20;

/// Logs the rows of a batch read from `source` (`database`, `file`) that the checks
/// refused or applied with a warning: the first [`ROWS_LOGGED`] of each, then how many
/// (a storm may bring thousands).
pub(super) fn log_row_issues(source: &str, refused: &[RowIssue], warnings: &[RowIssue]) {
    for r in warnings.iter().take(ROWS_LOGGED) {
        tracing::warn!(
            source,
            layer = r.layer,
            id = r.id,
            why = r.why,
            "a changed row was applied with a repair or warning"
        );
    }
    for r in refused.iter().take(ROWS_LOGGED) {
        tracing::error!(
            source,
            layer = r.layer,
            id = r.id,
            why = r.why,
            "a changed row was refused by the checks; the served feature stays as it was (a \
             new row stays off the map)"
        );
    }
    if warnings.len().max(refused.len()) > ROWS_LOGGED {
        tracing::warn!(
            source,
            warned = warnings.len(),
            refused = refused.len(),
            "more rows of this batch were repaired, warned about or refused than are logged"
        );
    }
}

/// A hidden hazard names the feature it belongs to, which the loaders look up among the
/// features read with it: here among the batch's rows, then the served features.
pub(super) fn link_hidden(served: &Snapshot, loaded: &mut Loaded) {
    if loaded.dataset.hidden_hazards.is_empty() {
        return;
    }
    loaded
        .report
        .issues
        .retain(|i| i.code != io::IssueCode::UnknownLinkedFeature);
    let mut hidden = std::mem::replace(
        &mut loaded.dataset.hidden_hazards,
        Layer::empty(LayerKind::HiddenHazards),
    )
    .into_features();
    let issues = io::link_hidden_hazards(
        &mut hidden,
        &[&loaded.dataset, served.dataset()],
        LayerKind::HiddenHazards.name(),
    );
    loaded.report.issues.extend(issues);
    loaded.dataset.hidden_hazards = Layer::new(LayerKind::HiddenHazards, hidden);
}

/// A hazard source names its enterprise by id, credit code or name, which the loaders
/// resolve against the enterprises read with it: here those are the served enterprises
/// with the batch's changes to them, not a reading of every enterprise again for each
/// changed hazard source; when the batch changed no enterprise, a reference by id is
/// looked up in the living map's index of them.
pub(super) fn resolve_owners(
    served: &Snapshot,
    loaded: &mut Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    present: &BTreeMap<LayerKind, BTreeSet<String>>,
) {
    // The served enterprises as they are, unless the batch changed some of them.
    let combined: Vec<Feature<Enterprise>>;
    let served_ents = served.dataset().enterprises.features();
    let enterprises = match ids.get(&LayerKind::Enterprises) {
        None => served_ents,
        Some(named) => {
            let kept = present.get(&LayerKind::Enterprises);
            combined = served_ents
                .iter()
                .filter(|f| !named.contains(&f.id))
                .chain(
                    loaded
                        .dataset
                        .enterprises
                        .features()
                        .iter()
                        .filter(|f| kept.is_some_and(|k| k.contains(&f.id))),
                )
                .cloned()
                .collect();
            &combined[..]
        }
    };
    // What the loaders said of the references against the batch's enterprises alone is
    // said again against all of them.
    loaded
        .report
        .issues
        .retain(|i| i.code != io::IssueCode::UnknownEnterprise);
    let mut hazards = std::mem::replace(
        &mut loaded.dataset.hazard_sources,
        Layer::empty(LayerKind::HazardSources),
    )
    .into_features();
    let file = loaded
        .report
        .files
        .iter()
        .find(|f| f.layer == Some(LayerKind::HazardSources))
        .map_or_else(
            || LayerKind::HazardSources.name().to_string(),
            |f| f.file.clone(),
        );
    // The served enterprises' ids are indexed by the living map: a reference by id is
    // looked up there, and the enterprises are read only for one by name or credit code.
    let issues = if ids.contains_key(&LayerKind::Enterprises) {
        io::resolve_enterprise_refs(&mut hazards, enterprises, &file)
    } else {
        let is_id = |e: &str| served.live.position(LayerKind::Enterprises, e).is_some();
        io::resolve_enterprise_refs_by(&mut hazards, enterprises, is_id, &file)
    };
    loaded.report.issues.extend(issues);
    loaded.dataset.hazard_sources = Layer::new(LayerKind::HazardSources, hazards);
}

/// The ids a batch names in one layer, and those that still have a row.
struct Changed<'a> {
    ids: &'a BTreeSet<String>,
    present: &'a BTreeSet<String>,
}

struct Differ<'a> {
    /// The served features, found by id.
    live: &'a Live,
    edits: Vec<Edit>,
    refused: Vec<RowIssue>,
    warnings: Vec<RowIssue>,
    /// What the checks said, by layer and id.
    issues: HashMap<(LayerKind, &'a str), Vec<&'a str>>,
    /// What refused a layer's rows as a whole, by layer.
    whole: HashMap<LayerKind, Vec<&'a str>>,
}

impl Differ<'_> {
    /// For each changed id: a row that passed the checks and differs from the served
    /// feature is put; a row that did not pass is refused; no row is a deletion.
    fn layer<P: PartialEq + Clone>(
        &mut self,
        served: &Layer<P>,
        loaded: &Layer<P>,
        c: Changed<'_>,
        wrap: fn(Feature<P>) -> AnyFeature,
    ) {
        let kind = served.kind();
        let read: HashMap<&str, &Feature<P>> = loaded
            .features()
            .iter()
            .map(|f| (f.id.as_str(), f))
            .collect();
        let issues =
            |id: &str| -> Option<String> { self.issues.get(&(kind, id)).map(|why| why.join("; ")) };
        for id in c.ids {
            let now = self.live.position(kind, id).and_then(|p| served.get(p));
            match read.get(id.as_str()) {
                Some(f) => {
                    let same = now.is_some_and(|b| b.reads_as(f));
                    if !same {
                        self.edits.push(Edit::Put(Box::new(wrap((*f).clone()))));
                        if let Some(why) = issues(id) {
                            self.warnings.push(RowIssue {
                                layer: kind.name(),
                                id: id.clone(),
                                why,
                                at: super::pg_listen::now(),
                            });
                        }
                    }
                }
                None if c.present.contains(id) => {
                    let mut why = issues(id)
                        .or_else(|| self.whole.get(&kind).map(|w| w.join("; ")))
                        .unwrap_or_else(|| "refused by the checks".into());
                    if now.is_none() {
                        why.push_str(" (a new row: not on the map until it passes)");
                    }
                    self.refused.push(RowIssue {
                        layer: kind.name(),
                        id: id.clone(),
                        why,
                        at: super::pg_listen::now(),
                    });
                }
                None => {
                    if now.is_some() {
                        self.edits.push(Edit::Delete {
                            layer: kind,
                            id: id.clone(),
                        });
                    }
                }
            }
        }
    }
}
