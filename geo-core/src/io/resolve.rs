//! References across layers: a hazard source names its enterprise by id, by credit
//! code or by name; each is pointed at the enterprise's id, or reported when it matches
//! none or several.

use std::collections::{HashMap, HashSet};

use crate::model::{Enterprise, HazardSource, LayerKind};

use super::LoadError;
use super::dedupe::Kept;
use super::features::Found;
use super::read::FileReports;
use super::report::{Issue, IssueCode, Severity};

/// Points each hazard source's enterprise at an enterprise id: kept when it is an id,
/// replaced when it is an enterprise's credit code or (unique) name, reported otherwise.
pub(super) fn resolve_enterprises(
    enterprises: &Kept<Enterprise>,
    hazards: &mut Kept<HazardSource>,
    reports: &mut FileReports,
) -> Result<(), LoadError> {
    let FileReports {
        rels,
        issues,
        strict,
        ..
    } = reports;
    if enterprises.found.features.is_empty() {
        return Ok(());
    }
    let ids: HashSet<&str> = enterprises
        .found
        .features
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    let mut by_key: HashMap<String, Option<&str>> = HashMap::new();
    for f in &enterprises.found.features {
        let keys =
            std::iter::once(f.props.name.trim().to_string()).chain(f.props.credit_code.clone());
        for k in keys {
            by_key
                .entry(k)
                .and_modify(|v| {
                    // A name two enterprises share cannot pick one of them.
                    if *v != Some(f.id.as_str()) {
                        *v = None;
                    }
                })
                .or_insert(Some(f.id.as_str()));
        }
    }
    let Found {
        features,
        positions,
    } = &mut hazards.found;
    for ((f, pos), file) in features
        .iter_mut()
        .zip(positions.iter())
        .zip(&hazards.files)
    {
        let Some(e) = f.props.enterprise_id.as_deref().map(str::trim) else {
            continue;
        };
        if ids.contains(e) {
            continue;
        }
        match by_key.get(e) {
            Some(Some(id)) => f.props.enterprise_id = Some((*id).to_string()),
            found => {
                let why = if found.is_some() {
                    "is shared by several enterprises"
                } else {
                    "matches no enterprise id, name or credit code"
                };
                let issue = Issue {
                    severity: Severity::Warning,
                    code: IssueCode::UnknownEnterprise,
                    file: rels.get(*file).cloned().unwrap_or_default(),
                    layer: Some(LayerKind::HazardSources),
                    position: Some(*pos),
                    feature_id: Some(f.id.clone()),
                    field: Some("enterprise_id".into()),
                    message: format!("enterprise {e:?} {why}; kept as written"),
                };
                if *strict {
                    return Err(LoadError::Invalid {
                        issue: Box::new(issue),
                    });
                }
                if let Some(v) = issues.get_mut(*file) {
                    v.push(issue);
                }
            }
        }
    }
    Ok(())
}
