//! References across layers: a hazard source names its enterprise by id, by credit
//! code or by name; each is pointed at the enterprise's id, or reported when it matches
//! none or several.

use std::collections::{HashMap, HashSet};

use crate::model::{Enterprise, Feature, HazardSource, LayerKind};

use super::LoadError;
use super::dedupe::Kept;
use super::features::Found;
use super::read::FileReports;
use super::report::{Issue, IssueCode, Position, Severity};

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
    let keys = EnterpriseKeys::of(&enterprises.found.features);
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
        let why = match keys.resolve(e) {
            Resolved::Id => continue,
            Resolved::Replaced(id) => {
                f.props.enterprise_id = Some(id.to_string());
                continue;
            }
            Resolved::Unknown(why) => why,
        };
        let issue = unknown_enterprise(
            rels.get(*file).cloned().unwrap_or_default(),
            *pos,
            &f.id,
            e,
            why,
        );
        if *strict {
            return Err(LoadError::Invalid {
                issue: Box::new(issue),
            });
        }
        if let Some(v) = issues.get_mut(*file) {
            v.push(issue);
        }
    }
    Ok(())
}

/// The enterprises a hazard source may name: by id, or by a name or credit code that one
/// enterprise alone has.
pub(super) struct EnterpriseKeys<'a> {
    ids: HashSet<&'a str>,
    by_key: HashMap<String, Option<&'a str>>,
}

/// What a hazard source's enterprise reference points at.
pub(super) enum Resolved<'a> {
    /// An enterprise's id, as written.
    Id,
    /// An enterprise's name or credit code: this enterprise's id.
    Replaced(&'a str),
    /// Nothing, or several enterprises: why.
    Unknown(&'static str),
}

impl<'a> EnterpriseKeys<'a> {
    pub(super) fn of(enterprises: &'a [Feature<Enterprise>]) -> Self {
        let ids = enterprises.iter().map(|f| f.id.as_str()).collect();
        let mut by_key: HashMap<String, Option<&str>> = HashMap::new();
        for f in enterprises {
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
        EnterpriseKeys { ids, by_key }
    }

    pub(super) fn resolve(&self, e: &str) -> Resolved<'a> {
        if self.ids.contains(e) {
            return Resolved::Id;
        }
        match self.by_key.get(e) {
            Some(Some(id)) => Resolved::Replaced(id),
            Some(None) => Resolved::Unknown("is shared by several enterprises"),
            None => Resolved::Unknown("matches no enterprise id, name or credit code"),
        }
    }
}

/// Points each hazard source's enterprise at an id among `enterprises`, as the loaders
/// do: the rows of a change that name an enterprise by credit code or name, resolved
/// against the enterprises served rather than those read with them. Gives the issue of
/// each reference that matches none or several (the reference is kept as written);
/// `file` names where the rows came from.
pub fn resolve_enterprise_refs(
    hazards: &mut [Feature<HazardSource>],
    enterprises: &[Feature<Enterprise>],
    file: &str,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    if enterprises.is_empty() {
        return issues;
    }
    let keys = EnterpriseKeys::of(enterprises);
    for (i, f) in hazards.iter_mut().enumerate() {
        let Some(e) = f.props.enterprise_id.as_deref().map(str::trim) else {
            continue;
        };
        match keys.resolve(e) {
            Resolved::Id => {}
            Resolved::Replaced(id) => f.props.enterprise_id = Some(id.to_string()),
            Resolved::Unknown(why) => {
                issues.push(unknown_enterprise(
                    file.to_string(),
                    Position::Feature(i as u64),
                    &f.id,
                    e,
                    why,
                ));
            }
        }
    }
    issues
}

/// The issue of a hazard source whose enterprise cannot be found.
pub(super) fn unknown_enterprise(
    file: String,
    position: Position,
    id: &str,
    e: &str,
    why: &str,
) -> Issue {
    Issue {
        severity: Severity::Warning,
        code: IssueCode::UnknownEnterprise,
        file,
        layer: Some(LayerKind::HazardSources),
        position: Some(position),
        feature_id: Some(id.to_string()),
        field: Some("enterprise_id".into()),
        message: format!("enterprise {e:?} {why}; kept as written"),
    }
}
