//! What a reload would lose: the new snapshot's input layers and files compared with the
//! ones being served, before the new one is swapped in.
//!
//! A reload is refused when a file that was loaded is now missing, skipped, unreadable or
//! broken, or when an input layer would lose more than a configured share of its features
//! (`reload_max_loss`, default 10 %). A truncated `protection_targets.geojson` or
//! `houses.csv` is then reported, and the map keeps what it served, instead of silently
//! emptying a layer. An administrator who means the change forces it.

use std::collections::BTreeMap;

use riskmap_core::io::{FileStatus, IssueCode, ValidationReport};
use riskmap_core::model::LayerKind;
use serde::Serialize;

/// Features of one input layer before (served) and after (the new load).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerCount {
    /// Layer name.
    pub layer: &'static str,
    /// Features served before the reload.
    pub before: usize,
    /// Features in the new load.
    pub after: usize,
}

/// A file that was loaded before and is not (or not whole) any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// The file, relative to the data directory.
    pub file: String,
    /// The layer it was loaded into.
    pub layer: Option<&'static str>,
    /// `missing`, `skipped`, `unreadable`, `broken` or `not_read`.
    pub problem: &'static str,
    /// What the loader said.
    pub reason: String,
}

/// An input layer that would lose more than the allowed share of its features.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerLoss {
    /// Layer name.
    pub layer: &'static str,
    /// Features served.
    pub before: usize,
    /// Features in the new load.
    pub after: usize,
    /// Share of `before` that would be lost (0–1).
    pub lost_share: f64,
    /// The configured largest share a reload may lose.
    pub max_loss: f64,
}

/// The comparison of a new load with the one served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Per input layer, features before and after.
    pub layers: Vec<LayerCount>,
    /// Files that were loaded and now are not.
    pub file_problems: Vec<FileProblem>,
    /// Layers that would lose too much.
    pub layer_losses: Vec<LayerLoss>,
}

impl Comparison {
    /// Whether the new load may replace the served one without `force`.
    pub fn acceptable(&self) -> bool {
        self.file_problems.is_empty() && self.layer_losses.is_empty()
    }

    /// One line naming every reason, for logs and the error message.
    pub fn summary(&self) -> String {
        let files = self
            .file_problems
            .iter()
            .map(|f| format!("{} is {}", f.file, f.problem));
        let layers = self.layer_losses.iter().map(|l| {
            format!(
                "{} would go from {} to {} features",
                l.layer, l.before, l.after
            )
        });
        files.chain(layers).collect::<Vec<_>>().join("; ")
    }
}

/// File-level issue codes that mean a file, or its end, could not be read.
fn file_failure(code: IssueCode) -> Option<&'static str> {
    match code {
        IssueCode::UnreadableFile => Some("unreadable"),
        IssueCode::BrokenFile => Some("broken"),
        // The loader keeps the features before the break of a file cut short; for a
        // reload the file is still broken.
        IssueCode::BrokenTail => Some("broken"),
        _ => None,
    }
}

/// The first unreadable/broken issue of a file in a report.
pub(super) fn failure_of<'a>(
    report: &'a ValidationReport,
    file: &str,
) -> Option<(&'static str, &'a str)> {
    report
        .issues
        .iter()
        .filter(|i| i.file == file)
        .find_map(|i| file_failure(i.code).map(|p| (p, i.message.as_str())))
}

/// Compares a new load (`after`) with the served one (`before`). `max_loss` is the largest
/// share (0–1) of an input layer's features a reload may lose.
pub fn compare(
    before_counts: &[(LayerKind, usize)],
    before: &ValidationReport,
    after_counts: &[(LayerKind, usize)],
    after: &ValidationReport,
    max_loss: f64,
) -> Comparison {
    let after_by_kind: BTreeMap<&str, usize> =
        after_counts.iter().map(|(k, n)| (k.name(), *n)).collect();
    let mut layers = Vec::new();
    let mut layer_losses = Vec::new();
    for (kind, b) in before_counts {
        let a = after_by_kind.get(kind.name()).copied().unwrap_or(0);
        layers.push(LayerCount {
            layer: kind.name(),
            before: *b,
            after: a,
        });
        if *b > 0 && a < *b {
            let lost_share = (*b - a) as f64 / *b as f64;
            if lost_share > max_loss {
                layer_losses.push(LayerLoss {
                    layer: kind.name(),
                    before: *b,
                    after: a,
                    lost_share,
                    max_loss,
                });
            }
        }
    }
    let mut file_problems = Vec::new();
    for old in before
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Loaded)
    {
        let layer = old.layer.map(LayerKind::name);
        let problem = |problem, reason: String| FileProblem {
            file: old.file.clone(),
            layer,
            problem,
            reason,
        };
        let Some(new) = after.files.iter().find(|f| f.file == old.file) else {
            file_problems.push(problem(
                "missing",
                "loaded before, not in the data directory now".into(),
            ));
            continue;
        };
        let failure = failure_of(after, &new.file);
        match new.status {
            FileStatus::Skipped => {
                let (p, m) = failure.unwrap_or(("skipped", ""));
                let reason = new.note.clone().unwrap_or_else(|| m.to_string());
                file_problems.push(problem(p, reason));
            }
            FileStatus::Ignored => file_problems.push(problem(
                "not_read",
                new.note.clone().unwrap_or_else(|| "no longer read".into()),
            )),
            FileStatus::Loaded => {
                // Loaded in part (a reader that keeps the features before a break): the
                // break is new unless the served load had it too.
                if let Some((p, m)) = failure
                    && failure_of(before, &old.file).is_none()
                {
                    file_problems.push(problem(p, m.to_string()));
                }
            }
        }
    }
    Comparison {
        layers,
        file_problems,
        layer_losses,
    }
}

#[cfg(test)]
mod tests {
    use riskmap_core::io::{FileSummary, Issue, Severity};

    use super::*;

    fn file(name: &str, status: FileStatus) -> FileSummary {
        FileSummary::new(name, Some(LayerKind::Houses), status)
    }

    fn report(files: Vec<FileSummary>, issues: Vec<Issue>) -> ValidationReport {
        ValidationReport { files, issues }
    }

    fn broken(name: &str) -> Issue {
        Issue {
            severity: Severity::Skipped,
            code: IssueCode::BrokenFile,
            file: name.into(),
            layer: Some(LayerKind::Houses),
            position: None,
            feature_id: None,
            field: None,
            message: "EOF while parsing".into(),
        }
    }

    #[test]
    fn a_layer_may_lose_up_to_the_share_and_not_more() {
        let r = report(vec![file("houses.csv", FileStatus::Loaded)], vec![]);
        let before = [(LayerKind::Houses, 1000), (LayerKind::Areas, 0)];
        // 100 of 1000 lost = 10 %: allowed at 10 %, not "more than".
        let c = compare(&before, &r, &[(LayerKind::Houses, 900)], &r, 0.10);
        assert!(c.acceptable(), "{c:?}");
        assert_eq!(c.layers[0].after, 900);
        // 101 of 1000 = 10.1 %: refused, with both counts.
        let c = compare(&before, &r, &[(LayerKind::Houses, 899)], &r, 0.10);
        assert_eq!(c.layer_losses.len(), 1);
        assert_eq!(
            (c.layer_losses[0].before, c.layer_losses[0].after),
            (1000, 899)
        );
        assert!((c.layer_losses[0].lost_share - 0.101).abs() < 1e-12);
        // A layer that grows or was empty never refuses.
        let c = compare(
            &before,
            &r,
            &[(LayerKind::Houses, 5000), (LayerKind::Areas, 3)],
            &r,
            0.0,
        );
        assert!(c.acceptable());
    }

    #[test]
    fn a_file_loaded_before_that_is_missing_skipped_or_newly_broken_refuses() {
        let counts = [(LayerKind::Houses, 10)];
        let old = report(vec![file("houses.csv", FileStatus::Loaded)], vec![]);
        let gone = report(vec![], vec![]);
        let c = compare(&counts, &old, &counts, &gone, 1.0);
        assert_eq!(c.file_problems[0].problem, "missing");
        let mut skipped = file("houses.csv", FileStatus::Skipped);
        skipped.note = Some("EOF while parsing at line 9".into());
        let new = report(vec![skipped], vec![broken("houses.csv")]);
        let c = compare(&counts, &old, &counts, &new, 1.0);
        assert_eq!(c.file_problems[0].problem, "broken");
        assert_eq!(c.file_problems[0].reason, "EOF while parsing at line 9");
        assert_eq!(c.file_problems[0].layer, Some("houses"));
        // Loaded in part, with a break that the served load did not have.
        let part = report(
            vec![file("houses.csv", FileStatus::Loaded)],
            vec![broken("houses.csv")],
        );
        let c = compare(&counts, &old, &counts, &part, 1.0);
        assert_eq!(c.file_problems.len(), 1);
        // The same break in both: nothing new.
        let c = compare(&counts, &part, &counts, &part, 1.0);
        assert!(c.acceptable());
        // A file skipped before and still skipped is not a loss.
        let was_skipped = report(vec![file("houses.csv", FileStatus::Skipped)], vec![]);
        assert!(compare(&counts, &was_skipped, &counts, &gone, 1.0).acceptable());
    }
}
