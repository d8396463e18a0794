//! One edited feature, checked as the loaders check a feature of a file.
//!
//! An edit arrives as a GeoJSON Feature (RFC 7946: longitude/latitude; properties under
//! the English field names or any alias the loaders accept, Chinese included). It goes
//! through the GeoJSON reader and the per-feature pass of every file, so that it meets
//! the same checks and gets the same issue codes: a geometry repaired or refused, a
//! value that is not a number, a word outside a vocabulary. Then the checks across
//! layers that the loaders' merge makes, against the dataset being edited: a hazard
//! source's enterprise, and a feature at 0,0 or far outside every area.
//!
//! What the loaders would leave out is refused here: the feature (a geometry that cannot
//! be used, a required field missing), a line of its inventory, or a value given that
//! they would leave empty (an unknown word, a number that is not one). A person editing
//! can correct the value, which a ledger of thousands of rows could not. What the loaders
//! keep — a geometry they repaired, a value kept as written with a warning — is accepted
//! and reported with the feature.

use std::borrow::Cow;

use crate::crs::Crs;
use crate::dataset::Dataset;
use crate::live::AnyFeature;
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, HiddenHazard, House, LayerKind,
    ProtectionTarget,
};

use super::far::far_issue;
use super::features::{RawFeature, process};
use super::fields::Resolver;
use super::plan::FileCtx;
use super::props::LayerProps;
use super::report::{FileStatus, FileSummary, Issue, IssueCode, Position, Severity, Sink};
use super::resolve::{EnterpriseKeys, Resolved, unknown_enterprise};
use super::{LoadOptions, geojson};

/// What the issues of an edited feature name as their file.
pub const EDIT_SOURCE: &str = "edit";

/// An edit's properties with every name a ledger accepts for a field (`层数`, `楼层数`,
/// `Floors`) under the field's own key (`floors`, as the features' GeoJSON names it),
/// so that a patch in any of them replaces the field's value; and, for each name that is
/// no field of the layer, a warning (`unknown_property`). Such a name is kept: the checks
/// pass over it as over a ledger's other columns.
pub fn edit_properties(
    kind: LayerKind,
    props: &serde_json::Map<String, serde_json::Value>,
    id: Option<&str>,
) -> (serde_json::Map<String, serde_json::Value>, Vec<Issue>) {
    let fields = super::fields::layer_fields(kind);
    let resolver = Resolver::new(kind, &[]);
    let mut out = serde_json::Map::with_capacity(props.len());
    let mut unknown = Vec::new();
    // The name each field was given by, to refuse two names of one field that disagree.
    let mut named: std::collections::HashMap<String, (&str, serde_json::Value)> =
        std::collections::HashMap::new();
    for (name, value) in props {
        let mut value = Cow::Borrowed(value);
        let key = match resolver.resolve(name) {
            // A unit in the name (`设计压力(kPa)`): the value is brought to the field's
            // unit, as the loaders bring a column's; one that is not a number, or a unit
            // they do not know, is left under its own name for them to read and report.
            Some((r, warning)) if r.scale != 1.0 || warning.is_some() => {
                match (
                    r.slot,
                    value
                        .as_f64()
                        .or_else(|| value.as_str().and_then(|t| t.trim().parse().ok())),
                ) {
                    (super::fields::Slot::Field(i), Some(n)) if warning.is_none() => {
                        value =
                            Cow::Owned(serde_json::Value::from(super::fields::scaled(n, r.scale)));
                        fields.get(i).map_or(name.as_str(), |f| f.key)
                    }
                    _ => name.as_str(),
                }
            }
            Some((r, _)) => match r.slot {
                super::fields::Slot::Field(i) => fields.get(i).map_or(name.as_str(), |f| f.key),
                _ => name.as_str(),
            },
            None => {
                unknown.push(Issue {
                    severity: Severity::Warning,
                    code: IssueCode::UnknownProperty,
                    file: EDIT_SOURCE.into(),
                    layer: Some(kind),
                    position: None,
                    feature_id: id.map(str::to_string),
                    field: Some(name.clone()),
                    message: format!(
                        "{name:?} is not a field of {}: ignored (its fields: {})",
                        kind.name(),
                        fields
                            .iter()
                            .map(|f| match f.aliases.iter().find(|a| !a.is_ascii()) {
                                Some(zh) => format!("{} ({zh})", f.key),
                                None => f.key.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                name.as_str()
            }
        };
        if key != name.as_str() || named.contains_key(key) {
            match named.get(key) {
                Some((other, v)) if *v != *value => unknown.push(Issue {
                    severity: Severity::Skipped,
                    code: IssueCode::InvalidValue,
                    file: EDIT_SOURCE.into(),
                    layer: Some(kind),
                    position: None,
                    feature_id: id.map(str::to_string),
                    field: Some(key.to_string()),
                    message: format!(
                        "{other:?} and {name:?} both name the field {key} with different \
                         values: give one"
                    ),
                }),
                Some(_) => continue,
                None => {}
            }
        }
        let value = value.into_owned();
        named.insert(key.to_string(), (name.as_str(), value.clone()));
        out.insert(key.to_string(), value);
    }
    (out, unknown)
}

/// An edited feature that passed the checks, with what they found (repairs, warnings
/// about values kept as written); the issues' file is [`EDIT_SOURCE`].
#[derive(Debug, Clone)]
pub struct CheckedFeature {
    /// The feature as the loaders would have loaded it (repaired, typed, its enterprise
    /// reference pointed at an enterprise id).
    pub feature: AnyFeature,
    /// What was repaired or questioned; none refuses the edit.
    pub issues: Vec<Issue>,
}

/// Checks one edited feature of the input layer `kind` as the loaders check a feature
/// of a GeoJSON file, then against `current` (the dataset being edited).
///
/// The feature's id is its GeoJSON `id`, else an id property (`id`, `编号`, …), else
/// `url_id`; when `url_id` and the feature both give one they must be equal, and so must
/// the GeoJSON `id` and an id property. A feature
/// without any id is refused (a new feature's id is the caller's to choose).
///
/// `Err` holds the issues that refuse the edit, and any others found with them; `opts`
/// gives the substance table (its CRS and encoding do not apply: an edit is GeoJSON in
/// longitude/latitude).
pub fn feature_from_geojson(
    kind: LayerKind,
    feature: &serde_json::Value,
    url_id: Option<&str>,
    current: &Dataset,
    opts: &LoadOptions,
) -> Result<CheckedFeature, Vec<Issue>> {
    checked(kind, feature, url_id, current, opts, Step::Edit)
}

/// [`feature_from_geojson`] of a feature as a store recorded it (the `before` of a
/// change, to take the change back): the same checks but for a hidden hazard's step from
/// the current record, which is not a step of its lifecycle but its record put back.
pub fn recorded_feature_from_geojson(
    kind: LayerKind,
    feature: &serde_json::Value,
    url_id: Option<&str>,
    current: &Dataset,
    opts: &LoadOptions,
) -> Result<CheckedFeature, Vec<Issue>> {
    checked(kind, feature, url_id, current, opts, Step::Restore)
}

/// What an edited feature is to the current one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A change made now: a hidden hazard's lifecycle is checked.
    Edit,
    /// A recorded state put back.
    Restore,
}

fn checked(
    kind: LayerKind,
    feature: &serde_json::Value,
    url_id: Option<&str>,
    current: &Dataset,
    opts: &LoadOptions,
    step: Step,
) -> Result<CheckedFeature, Vec<Issue>> {
    let refuse = |code, field: Option<&str>, message: String| {
        vec![Issue {
            severity: Severity::Skipped,
            code,
            file: EDIT_SOURCE.into(),
            layer: Some(kind),
            position: None,
            feature_id: url_id.map(str::to_string),
            field: field.map(str::to_string),
            message,
        }]
    };
    if feature.get("type").and_then(|t| t.as_str()) != Some("Feature") {
        return Err(refuse(
            IssueCode::BrokenFeature,
            None,
            "an edit is one GeoJSON Feature ({\"type\": \"Feature\", \"geometry\": …, \"properties\": …})".into(),
        ));
    }
    // Through the GeoJSON reader's own path: its text, as a file's would be.
    let text = feature.to_string();
    let parsed = match geojson::parse(&text, EDIT_SOURCE) {
        Ok(p) => p,
        Err(e) => return Err(vec![e.to_issue(EDIT_SOURCE, Some(kind))]),
    };
    if let Some(b) = parsed.broken.into_iter().next() {
        return Err(refuse(b.code, None, b.message));
    }
    let Some(mut raw) = parsed.features.into_iter().next() else {
        return Err(refuse(
            IssueCode::BrokenFeature,
            None,
            "the feature cannot be read".into(),
        ));
    };
    let id_props = id_properties(kind, &raw);
    // Two ids that differ (the Feature's and an id property, `编号`): which feature is
    // meant cannot be told.
    if let Some(given) = raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty())
        && let Some(other) = id_props.iter().find(|p| p.as_str() != given)
    {
        return Err(refuse(
            IssueCode::InvalidValue,
            Some("id"),
            format!("the feature's id {given:?} and its id property {other:?} differ"),
        ));
    }
    let own_id = raw.id.as_deref().is_some_and(|s| !s.trim().is_empty()) || !id_props.is_empty();
    if !own_id {
        let Some(u) = url_id.filter(|u| !u.trim().is_empty()) else {
            return Err(refuse(
                IssueCode::MissingRequiredField,
                Some("id"),
                "the feature has no id: give it in the URL, as the GeoJSON id or as an id property"
                    .into(),
            ));
        };
        raw.id = Some(Cow::Owned(u.to_string()));
    }
    let (checked, mut issues) = match kind {
        LayerKind::Enterprises => one::<Enterprise>(raw, opts, AnyFeature::Enterprise),
        LayerKind::HazardSources => one::<HazardSource>(raw, opts, AnyFeature::HazardSource),
        LayerKind::GasPipelines => one::<GasPipeline>(raw, opts, AnyFeature::GasPipeline),
        LayerKind::Houses => one::<House>(raw, opts, AnyFeature::House),
        LayerKind::ProtectionTargets => {
            one::<ProtectionTarget>(raw, opts, AnyFeature::ProtectionTarget)
        }
        LayerKind::Areas => one::<Area>(raw, opts, AnyFeature::Area),
        LayerKind::HiddenHazards => one::<HiddenHazard>(raw, opts, AnyFeature::HiddenHazard),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {
            return Err(refuse(
                IssueCode::InvalidValue,
                Some("layer"),
                format!(
                    "{} is a result layer: only input layers are edited",
                    kind.name()
                ),
            ));
        }
    };
    // (a recorded state taken back is no edit: the loaders' words stand)
    let worded = |issues: Vec<Issue>| match step {
        Step::Edit => worded_for_an_edit(issues),
        Step::Restore => issues,
    };
    let Some(mut feature) = checked else {
        return Err(worded(issues));
    };
    let id = feature.id().to_string();
    if let Some(u) = url_id
        && u != id
    {
        issues.push(refused_here(
            kind,
            &id,
            IssueCode::InvalidValue,
            "id",
            format!("the feature's id {id:?} is not the id {u:?} of the URL"),
        ));
    }
    across_layers(&mut feature, current, &mut issues, step);
    if issues.iter().any(refuses) {
        return Err(worded(issues));
    }
    Ok(CheckedFeature { feature, issues })
}

/// The loaders' words put for an edit that is refused: a value they leave empty, and
/// coordinates they would ask to declare in `riskmap.toml`, refuse an edit instead, and
/// nothing is changed.
fn worded_for_an_edit(mut issues: Vec<Issue>) -> Vec<Issue> {
    for i in issues.iter_mut() {
        if i.code == IssueCode::ProjectedCoordinates {
            let mut m = i
                .message
                .replace(
                    "although the file is read as",
                    "although an edit is read as",
                )
                .replace(". The file was skipped", ". Nothing was changed");
            const DECLARE: &str = "declare the CRS in riskmap.toml";
            if let Some(at) = m.find(DECLARE) {
                // (and the `(crs = "EPSG:…")` after it, if any)
                let mut end = at + DECLARE.len();
                if m[end..].starts_with(" (crs = ")
                    && let Some(close) = m[end..].find(')')
                {
                    end += close + 1;
                }
                m.replace_range(
                    at..end,
                    "convert it to longitude/latitude first (an edit is GeoJSON in WGS84; \
                     ogr2ogr -t_srs EPSG:4326)",
                );
            }
            i.message = m;
        } else if refuses(i)
            && i.severity == Severity::Warning
            && i.message.ends_with("; left empty")
        {
            let kept = i.message.len() - "; left empty".len();
            i.message.truncate(kept);
            i.message
                .push_str(": the edit is refused, nothing was changed");
        }
    }
    issues
}

/// Whether an issue refuses an edit: the loaders would leave out the feature, a line of
/// its inventory, or a value that was given.
pub fn refuses(issue: &Issue) -> bool {
    match issue.severity {
        Severity::Skipped => true,
        Severity::Repaired | Severity::Info => false,
        // Values left empty or ignored; the others keep what was written (a credit code
        // that fails its check, a class that disagrees with the pressure, an unknown
        // enterprise) or used a default (a name taken from the id), or are about where
        // the feature lies.
        // A hidden hazard's lifecycle is enforced: no 销号 without a rectification and
        // an acceptance, no reopening without a reason, no link to a feature that is not
        // there.
        Severity::Warning => matches!(
            issue.code,
            IssueCode::LifecycleInconsistent
                | IssueCode::InvalidDate
                | IssueCode::UnknownLinkedFeature
                | IssueCode::UnknownValue
                | IssueCode::InvalidNumber
                | IssueCode::NegativeNumber
                | IssueCode::InvalidValue
                | IssueCode::InvalidInventory
                | IssueCode::UnknownSubstance
                | IssueCode::UnknownCategory
        ),
    }
}

/// An issue found by the checks of this module, which refuses the edit.
fn refused_here(kind: LayerKind, id: &str, code: IssueCode, field: &str, message: String) -> Issue {
    Issue {
        severity: Severity::Skipped,
        code,
        file: EDIT_SOURCE.into(),
        layer: Some(kind),
        position: Some(Position::Feature(0)),
        feature_id: Some(id.to_string()),
        field: Some(field.into()),
        message,
    }
}

/// The values of the feature's properties that are the layer's id column (the loaders
/// take the id from one when the GeoJSON has none), trimmed, the empty left out.
fn id_properties(kind: LayerKind, raw: &RawFeature<'_>) -> Vec<String> {
    // (A result layer has no fields to resolve: refused below.)
    if !LayerKind::INPUTS.contains(&kind) {
        return Vec::new();
    }
    let resolver = Resolver::new(kind, &[]);
    raw.props
        .iter()
        .filter(|(k, _)| {
            resolver
                .resolve(k)
                .is_some_and(|(r, _)| r.slot == super::fields::Slot::Id)
        })
        .filter_map(|(_, v)| v.text().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect()
}

/// One feature through the per-feature pass of the files, as the only feature of a
/// GeoJSON file in longitude/latitude.
fn one<P: LayerProps>(
    raw: RawFeature<'_>,
    opts: &LoadOptions,
    wrap: fn(Feature<P>) -> AnyFeature,
) -> (Option<AnyFeature>, Vec<Issue>) {
    let mut summary = FileSummary::new(EDIT_SOURCE, Some(P::KIND), FileStatus::Loaded);
    let mut sink = Sink::new(false);
    let resolver = Resolver::new(P::KIND, &[]);
    let crs = Crs::Wgs84;
    let source = crate::model::SourceFile::named(EDIT_SOURCE);
    let cx = FileCtx {
        rel: EDIT_SOURCE,
        source,
        stem: EDIT_SOURCE,
        layer: P::KIND,
        crs: &crs,
        resolver: &resolver,
        absent: &[],
        substances: &opts.substances,
        statuses: &opts.hidden_statuses,
    };
    match process::<P>(vec![raw], &cx, &mut summary, &mut sink) {
        Ok(found) => (found.features.into_iter().next().map(wrap), sink.issues),
        Err(e) => {
            sink.issues.push(e.to_issue(EDIT_SOURCE, Some(P::KIND)));
            (None, sink.issues)
        }
    }
}

/// The checks the loaders' merge makes across layers, against the dataset being edited.
fn across_layers(feature: &mut AnyFeature, current: &Dataset, issues: &mut Vec<Issue>, step: Step) {
    let layer = feature.layer();
    let id = feature.id().to_string();
    if let AnyFeature::HiddenHazard(h) = feature {
        if step == Step::Edit {
            let before = current.hidden_hazards.find_id(&id).map(|(_, f)| &f.props);
            issues.extend(super::lifecycle::transition(before, &mut h.props, &id));
        }
        let mut one = vec![h.clone()];
        issues.extend(super::link_hidden_hazards(
            &mut one,
            &[current],
            EDIT_SOURCE,
        ));
        match one.pop() {
            Some(linked) => *h = linked,
            None => return,
        }
    }
    // An enterprise's id needs no table of names and codes (20,000 enterprises in a
    // city: milliseconds per edit to build).
    if let AnyFeature::HazardSource(h) = feature
        && !current.enterprises.is_empty()
        && let Some(e) = h.props.enterprise_id.as_deref().map(str::trim)
        && current.enterprises.find_id(e).is_none()
    {
        let keys = EnterpriseKeys::of(current.enterprises.features());
        match keys.resolve(e) {
            Resolved::Id => {}
            Resolved::Replaced(to) => h.props.enterprise_id = Some(to.to_string()),
            Resolved::Unknown(why) => issues.push(unknown_enterprise(
                EDIT_SOURCE.into(),
                Position::Feature(0),
                &id,
                e,
                why,
            )),
        }
    }
    if let Some((code, message)) = far_issue(layer, feature.geometry(), &current.areas) {
        // A feature put far from every area by hand is a coordinate typed wrong (a sign
        // lost, longitude and latitude swapped): refused, where a file's is kept with a
        // warning. A recorded state put back is taken as it was.
        // A feature served where it lies already (a file's, kept with the warning) may
        // have its other fields edited.
        let served = current
            .position_of(layer, &id)
            .and_then(|p| current.geometry_at(layer, p));
        let moved = served != Some(feature.geometry());
        let (severity, message) = match step {
            Step::Edit if moved => (
                Severity::Skipped,
                format!(
                    "{message}; the edit is refused (GeoJSON is longitude, latitude; a \
                     feature of a new district needs its area first)"
                ),
            ),
            Step::Edit | Step::Restore => (Severity::Warning, message),
        };
        issues.push(Issue {
            severity,
            code,
            file: EDIT_SOURCE.into(),
            layer: Some(layer),
            position: Some(Position::Feature(0)),
            feature_id: Some(id),
            field: None,
            message,
        });
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
