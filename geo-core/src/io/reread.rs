//! A validation report brought up to date when some features were read again (a batch of
//! changes from a database): their issues replaced by those of the new reading, the
//! layers' counts by what is served now.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{Issue, Severity, ValidationReport};
use crate::model::LayerKind;

impl ValidationReport {
    /// This report after the features `ids` were read again: the issues of those
    /// features are replaced by the issues `again` (a reading of them alone) has of them,
    /// each layer of `loaded` counts that many features loaded (and, as read, those plus
    /// the features its issues left out) when the layer has one file here. Issues stay
    /// grouped by file, in the order of the files.
    pub fn with_features_read_again(
        &self,
        again: &ValidationReport,
        ids: &BTreeMap<LayerKind, BTreeSet<String>>,
        loaded: &BTreeMap<LayerKind, u64>,
    ) -> ValidationReport {
        let named = |i: &Issue| match (i.layer, i.feature_id.as_deref()) {
            (Some(l), Some(id)) => ids.get(&l).is_some_and(|s| s.contains(id)),
            _ => false,
        };
        let kept: Vec<&Issue> = self.issues.iter().filter(|i| !named(i)).collect();
        let new: Vec<&Issue> = again.issues.iter().filter(|i| named(i)).collect();
        let mut issues: Vec<Issue> = Vec::with_capacity(kept.len() + new.len());
        let listed: BTreeSet<&str> = self.files.iter().map(|f| f.file.as_str()).collect();
        for f in &self.files {
            let of = |i: &&&Issue| i.file == f.file;
            issues.extend(kept.iter().filter(of).map(|i| (*i).clone()));
            issues.extend(new.iter().filter(of).map(|i| (*i).clone()));
        }
        let elsewhere = |i: &&&Issue| !listed.contains(i.file.as_str());
        issues.extend(kept.iter().filter(elsewhere).map(|i| (*i).clone()));
        issues.extend(new.iter().filter(elsewhere).map(|i| (*i).clone()));

        let mut files = self.files.clone();
        for f in &mut files {
            let Some(layer) = f.layer else { continue };
            let Some(&n) = loaded.get(&layer) else {
                continue;
            };
            if self.files.iter().filter(|g| g.layer == Some(layer)).count() != 1 {
                continue;
            }
            let left_out = issues
                .iter()
                .filter(|i| {
                    i.file == f.file && i.severity == Severity::Skipped && i.feature_id.is_some()
                })
                .count() as u64;
            f.features_loaded = n;
            f.features_read = n + left_out;
        }
        ValidationReport { files, issues }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::io::report::{FileStatus, FileSummary, IssueCode, Position};

    fn issue(file: &str, layer: LayerKind, id: &str, severity: Severity, msg: &str) -> Issue {
        Issue {
            severity,
            code: IssueCode::MissingGeometry,
            file: file.into(),
            layer: Some(layer),
            position: Some(Position::Feature(0)),
            feature_id: Some(id.into()),
            field: None,
            message: msg.into(),
        }
    }

    fn file(name: &str, layer: LayerKind, read: u64, loaded: u64) -> FileSummary {
        FileSummary {
            file: name.into(),
            layer: Some(layer),
            format: None,
            status: FileStatus::Loaded,
            encoding: None,
            crs: None,
            sheet: None,
            features_read: read,
            features_loaded: loaded,
            unused_columns: Vec::new(),
            note: None,
        }
    }

    #[test]
    fn the_features_read_again_take_their_new_issues_and_the_counts_follow() {
        let (h, e) = (LayerKind::Houses, LayerKind::Enterprises);
        let before = ValidationReport {
            files: vec![file("enterprises", e, 3, 3), file("houses", h, 10, 9)],
            issues: vec![
                issue("enterprises", e, "e1", Severity::Warning, "old e1"),
                issue("houses", h, "h1", Severity::Skipped, "h1 had no geometry"),
                issue("houses", h, "h2", Severity::Warning, "h2 stays"),
            ],
        };
        // h1 was fixed; h3 lost its geometry; h4 got a warning; e1 is untouched.
        let again = ValidationReport {
            files: vec![file("houses", h, 3, 2)],
            issues: vec![
                issue("houses", h, "h3", Severity::Skipped, "h3 has no geometry"),
                issue("houses", h, "h4", Severity::Warning, "h4 warned"),
            ],
        };
        let ids = BTreeMap::from([(
            h,
            ["h1", "h3", "h4"].into_iter().map(String::from).collect(),
        )]);
        // Served after the batch: h1 back, h3 dropped, h4 kept: still 9 houses.
        let r = before.with_features_read_again(&again, &ids, &BTreeMap::from([(h, 9)]));
        let msgs: Vec<&str> = r.issues.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(
            msgs,
            ["old e1", "h2 stays", "h3 has no geometry", "h4 warned"]
        );
        let houses = r.files.iter().find(|f| f.file == "houses").unwrap();
        assert_eq!((houses.features_read, houses.features_loaded), (10, 9));
        let ents = r.files.iter().find(|f| f.file == "enterprises").unwrap();
        assert_eq!((ents.features_read, ents.features_loaded), (3, 3));
        assert_eq!(r.skipped_count(), 1);
        assert_eq!(r.warning_count(), 3);
    }
}
