//! A hidden hazard's link to the feature it belongs to: the feature is found by id in
//! the layer the ledger names, or in every layer a hidden hazard may belong to when it
//! names none (an enterprise also by its name or credit code); a hazard without a place
//! of its own is put at that feature's representative point.
//!
//! A link that finds nothing, or finds features in several layers, is a located issue:
//! the hazard is kept at its own place when it has one (linked to nothing), and skipped
//! when it has none, since it could not be drawn.

use geo::{Geometry, GeometryCollection, Point};

use crate::analysis::risk_grid::anchor;
use crate::dataset::Dataset;
use crate::model::{
    Enterprise, Feature, GasPipeline, HazardSource, HiddenHazard, House, LayerKind,
    ProtectionTarget,
};

use super::LoadError;
use super::dedupe::Kept;
use super::props::LINKABLE;
use super::read::FileReports;
use super::report::{Issue, IssueCode, Position, Severity};
use super::resolve::{EnterpriseKeys, Resolved};

/// The geometry a hidden hazard is read with when the ledger gives no place: replaced
/// by its feature's place once every layer is read.
pub(crate) fn unplaced() -> Geometry<f64> {
    Geometry::GeometryCollection(GeometryCollection(Vec::new()))
}

/// Whether a geometry is [`unplaced`].
pub(crate) fn is_unplaced(g: &Geometry<f64>) -> bool {
    matches!(g, Geometry::GeometryCollection(c) if c.0.is_empty())
}

/// The features a hidden hazard may belong to, by layer.
pub(crate) struct Linkable<'a> {
    pub enterprises: &'a [Feature<Enterprise>],
    pub hazard_sources: &'a [Feature<HazardSource>],
    pub gas_pipelines: &'a [Feature<GasPipeline>],
    pub houses: &'a [Feature<House>],
    pub protection_targets: &'a [Feature<ProtectionTarget>],
}

/// A layer's features by id (foldhash: ids of one's own ledgers need no protection
/// against flooding, and SipHash over ten million houses took seconds).
type IdMap<'a> = foldhash::HashMap<&'a str, &'a Geometry<f64>>;

/// Ids of each linkable layer, to find a feature by id.
pub(crate) struct LinkIndex<'a> {
    layers: Vec<(LayerKind, IdMap<'a>)>,
    enterprise_keys: EnterpriseKeys<'a>,
}

/// What a link found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Link {
    /// One feature: its layer, its id, its representative point.
    Found(LayerKind, String, Option<Point<f64>>),
    /// Nothing, or too much: why.
    NotFound(String),
}

impl<'a> LinkIndex<'a> {
    /// The features the hidden hazards can find by the ids they name (`named`): of the
    /// enterprises every one, since a ledger may name one by its name or credit code; of
    /// the other layers those with a named id. A city's million houses are met once, but
    /// only the few thousand a ledger names are held (a map of every house's id was
    /// 50-75 MB at the load's peak).
    pub(crate) fn new(l: &Linkable<'a>, named: &foldhash::HashSet<&str>) -> Self {
        fn ids<'f, P: Sync>(
            fs: &'f [Feature<P>],
            named: Option<&foldhash::HashSet<&str>>,
        ) -> IdMap<'f> {
            use rayon::prelude::*;
            fs.par_iter()
                .filter(|f| named.is_none_or(|n| n.contains(f.id.as_str())))
                .map(|f| (f.id.as_str(), &f.geometry))
                .collect::<Vec<_>>()
                .into_iter()
                .collect()
        }
        let named = Some(named);
        let (houses, rest) = rayon::join(
            || ids(l.houses, named),
            || {
                (
                    ids(l.enterprises, None),
                    ids(l.hazard_sources, named),
                    ids(l.gas_pipelines, named),
                    ids(l.protection_targets, named),
                )
            },
        );
        let (enterprises, hazard_sources, gas_pipelines, protection_targets) = rest;
        LinkIndex {
            layers: vec![
                (LayerKind::Enterprises, enterprises),
                (LayerKind::HazardSources, hazard_sources),
                (LayerKind::GasPipelines, gas_pipelines),
                (LayerKind::Houses, houses),
                (LayerKind::ProtectionTargets, protection_targets),
            ],
            enterprise_keys: EnterpriseKeys::of(l.enterprises),
        }
    }

    fn in_layer(&self, layer: LayerKind, id: &str) -> Option<(String, &'a Geometry<f64>)> {
        let (_, ids) = self.layers.iter().find(|(k, _)| *k == layer)?;
        if let Some(g) = ids.get(id) {
            return Some((id.to_string(), g));
        }
        if layer == LayerKind::Enterprises
            && let Resolved::Replaced(e) = self.enterprise_keys.resolve(id)
        {
            return ids.get(e).map(|g| (e.to_string(), *g));
        }
        None
    }

    /// The feature a hidden hazard names.
    pub(crate) fn find(&self, layer: Option<LayerKind>, id: &str) -> Link {
        decide(layer, id, &|k, id| self.in_layer(k, id))
    }
}

/// Finds a feature by id in one layer: its id (an enterprise named by name or credit
/// code gives its id) and its geometry.
type InLayer<'f, 'g> = dyn Fn(LayerKind, &str) -> Option<(String, &'g Geometry<f64>)> + 'f;

/// The feature a hidden hazard names in `layer` (in every linkable layer when it names
/// none, where exactly one must hold it), found in each layer by `in_layer`.
fn decide<'g>(layer: Option<LayerKind>, id: &str, in_layer: &InLayer<'_, 'g>) -> Link {
    let id = id.trim();
    let point = |g: &Geometry<f64>| anchor(g).map(Point::from);
    match layer {
        Some(k) => match in_layer(k, id) {
            Some((id, g)) => Link::Found(k, id, point(g)),
            None => Link::NotFound(format!("{} has no feature {id:?}", k.name_zh())),
        },
        None => {
            let hits: Vec<(LayerKind, String, &Geometry<f64>)> = LINKABLE
                .iter()
                .filter_map(|k| in_layer(*k, id).map(|(i, g)| (*k, i, g)))
                .collect();
            match hits.as_slice() {
                [(k, i, g)] => Link::Found(*k, i.clone(), point(g)),
                [] => Link::NotFound(format!(
                    "no enterprise, hazard source, gas pipeline, house or protection \
                     target has the id {id:?} (nor an enterprise that name or credit code)"
                )),
                many => Link::NotFound(format!(
                    "{id:?} is a feature of several layers ({}): name the layer in \
                     关联对象类型 (feature_layer)",
                    many.iter()
                        .map(|(k, _, _)| k.name_zh())
                        .collect::<Vec<_>>()
                        .join("、")
                )),
            }
        }
    }
}

/// Links one hidden hazard: its feature's layer and id filled in, its place set to the
/// feature's when it has none (or when the place it has was written for that feature:
/// `own_location` false). `Err` with the issue's message (and whether the hazard must be
/// skipped, having no place at all) when the link finds nothing.
pub(crate) fn link_one(
    find: &dyn Fn(Option<LayerKind>, &str) -> Link,
    f: &mut Feature<HiddenHazard>,
) -> Result<(), (String, bool)> {
    // A place written for the feature it belongs to (`own_location` false) follows the
    // feature.
    let no_point = is_unplaced(&f.geometry);
    let unplaced = no_point || !f.props.own_location;
    f.props.own_location = !unplaced;
    let Some(id) = f.props.feature_id.clone() else {
        return Err((
            "names no feature (关联对象编号 is empty)".to_string(),
            no_point,
        ));
    };
    match find(f.props.feature_layer, &id) {
        Link::Found(layer, found, point) => {
            f.props.feature_layer = Some(layer);
            if unplaced {
                match point {
                    Some(p) => f.geometry = Geometry::Point(p),
                    None => {
                        return Err((
                            format!("its feature {found:?} has no place to draw it at"),
                            true,
                        ));
                    }
                }
            }
            // The ledger's text, held once for the hazards that share it, stays when it
            // is the feature's id already.
            if *found != *id {
                f.props.feature_id = Some(found.into());
            }
            Ok(())
        }
        // (A place written for a feature that is gone stays where it was.)
        Link::NotFound(why) => Err((why, no_point)),
    }
}

/// The issue of a hidden hazard whose link failed.
pub(crate) fn link_issue(
    file: String,
    position: Position,
    id: &str,
    why: &str,
    skip: bool,
) -> Issue {
    Issue {
        severity: if skip {
            Severity::Skipped
        } else {
            Severity::Warning
        },
        code: IssueCode::UnknownLinkedFeature,
        file,
        layer: Some(LayerKind::HiddenHazards),
        position: Some(position),
        feature_id: Some(id.to_string()),
        field: Some("feature_id".into()),
        message: if skip {
            format!("{why}; it has no place of its own either, so the hidden hazard was skipped")
        } else {
            format!("{why}; kept at its own place, linked to nothing")
        },
    }
}

/// Links every hidden hazard of a load (see the module documentation).
pub(super) fn resolve_links(
    linkable: &Linkable<'_>,
    hidden: &mut Kept<HiddenHazard>,
    reports: &mut FileReports,
) -> Result<(), LoadError> {
    if hidden.found.features.is_empty() {
        return Ok(());
    }
    // Rows read apart from every feature they may belong to (a store's changed rows)
    // are linked by the caller, against what is served. A load that read ledgers of
    // those layers links, even when every one of them was skipped.
    let read_with =
        |s: &&super::report::FileSummary| s.layer.is_some_and(|l| LINKABLE.contains(&l));
    if !reports.summaries.iter().any(|s| read_with(&s)) {
        return Ok(());
    }
    // The layers a file of which was skipped: a feature not found there may exist; and
    // the features whose own lines the checks refused.
    let unread: Vec<LayerKind> = reports
        .summaries
        .iter()
        .filter(|s| read_with(s) && s.status == super::report::FileStatus::Skipped)
        .filter_map(|s| s.layer)
        .collect();
    let refused: foldhash::HashSet<(LayerKind, String)> = reports
        .issues
        .iter()
        .flatten()
        .filter(|i| i.severity == Severity::Skipped)
        .filter_map(|i| {
            Some((
                i.layer.filter(|l| LINKABLE.contains(l))?,
                i.feature_id.clone()?,
            ))
        })
        .collect();
    // The ids the ledger names, as a link looks them up (trimmed).
    let named: foldhash::HashSet<&str> = hidden
        .found
        .features
        .iter()
        .filter_map(|f| f.props.feature_id.as_deref().map(str::trim))
        .collect();
    let index = LinkIndex::new(linkable, &named);
    let mut keep = Vec::with_capacity(hidden.found.features.len());
    for ((f, pos), file) in hidden
        .found
        .features
        .iter_mut()
        .zip(hidden.found.positions.iter())
        .zip(&hidden.files)
    {
        let Err((mut why, skip)) = link_one(&|k, id| index.find(k, id), f) else {
            keep.push(true);
            continue;
        };
        let named = f.props.feature_id.as_deref().map(str::trim).unwrap_or("");
        let line_refused = |l: LayerKind| refused.contains(&(l, named.to_string()));
        let in_layers = match f.props.feature_layer {
            Some(l) => vec![l],
            None => LINKABLE.to_vec(),
        };
        if let Some(layer) = in_layers.iter().copied().find(|l| line_refused(*l)) {
            why = format!(
                "its feature {named:?} was left out of the {} ledger by the checks (see the \
                 issue of its line)",
                layer.name()
            );
        } else if let Some(layer) = f.props.feature_layer.filter(|l| unread.contains(l)) {
            why.push_str(&format!(
                " (a file of the {} ledger was skipped: the feature may be in it)",
                layer.name()
            ));
        }
        keep.push(!skip);
        let rel = reports.rels.get(*file).cloned().unwrap_or_default();
        let issue = link_issue(rel, *pos, &f.id, &why, skip);
        if reports.strict {
            return Err(LoadError::Invalid {
                issue: Box::new(issue),
            });
        }
        if skip && let Some(s) = reports.summaries.get_mut(*file) {
            s.features_loaded = s.features_loaded.saturating_sub(1);
        }
        if let Some(v) = reports.issues.get_mut(*file) {
            v.push(issue);
        }
    }
    if keep.iter().all(|k| *k) {
        return Ok(());
    }
    let mut it = keep.iter();
    hidden
        .found
        .features
        .retain(|_| *it.next().unwrap_or(&true));
    let mut it = keep.iter();
    hidden
        .found
        .positions
        .retain(|_| *it.next().unwrap_or(&true));
    let mut it = keep.iter();
    hidden.files.retain(|_| *it.next().unwrap_or(&true));
    Ok(())
}

/// The feature with this id in a layer of a dataset, looked up feature by feature (no
/// index is built: for one edit, or a follower's batch, at a time); an enterprise also
/// by its name or credit code.
fn in_dataset<'d>(ds: &'d Dataset, k: LayerKind, id: &str) -> Option<(String, &'d Geometry<f64>)> {
    let hit = match k {
        LayerKind::Enterprises => ds.enterprises.find_id(id).map(|(_, f)| &f.geometry),
        LayerKind::HazardSources => ds.hazard_sources.find_id(id).map(|(_, f)| &f.geometry),
        LayerKind::GasPipelines => ds.gas_pipelines.find_id(id).map(|(_, f)| &f.geometry),
        LayerKind::Houses => ds.houses.find_id(id).map(|(_, f)| &f.geometry),
        LayerKind::ProtectionTargets => ds.protection_targets.find_id(id).map(|(_, f)| &f.geometry),
        _ => None,
    };
    if let Some(g) = hit {
        return Some((id.to_string(), g));
    }
    if k != LayerKind::Enterprises || ds.enterprises.is_empty() {
        return None;
    }
    match EnterpriseKeys::of(ds.enterprises.features()).resolve(id) {
        Resolved::Replaced(e) => ds
            .enterprises
            .find_id(e)
            .map(|(_, f)| (e.to_string(), &f.geometry)),
        Resolved::Id | Resolved::Unknown(_) => None,
    }
}

/// Links hidden hazards read apart from the features they belong to (an edit, rows a
/// store changed) against the datasets given, the first that holds the feature winning
/// (the batch's own rows before those served). Returns the issue of each link that
/// failed; a hazard that has no place then is left out of `hazards`.
pub fn link_hidden_hazards(
    hazards: &mut Vec<Feature<HiddenHazard>>,
    sources: &[&Dataset],
    file: &str,
) -> Vec<Issue> {
    let find = |layer: Option<LayerKind>, id: &str| {
        decide(layer, id, &|k, id| {
            sources.iter().find_map(|ds| in_dataset(ds, k, id))
        })
    };
    let mut issues = Vec::new();
    let mut keep = Vec::with_capacity(hazards.len());
    for (i, f) in hazards.iter_mut().enumerate() {
        match link_one(&find, f) {
            Ok(()) => keep.push(true),
            Err((why, skip)) => {
                issues.push(link_issue(
                    file.to_string(),
                    Position::Feature(i as u64),
                    &f.id,
                    &why,
                    skip,
                ));
                keep.push(!skip);
            }
        }
    }
    let mut it = keep.iter();
    hazards.retain(|_| *it.next().unwrap_or(&true));
    issues
}
