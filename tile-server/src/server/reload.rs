//! What a reload would lose: the new snapshot's input layers and files compared with the
//! ones being served, before the new one is swapped in.
//!
//! A reload is refused when a file that was loaded is now missing, skipped, unreadable or
//! broken, or when an input layer would lose more than a configured share of its features
//! (`reload_max_loss`, default 10 %). A truncated `protection_targets.geojson` or
//! `houses.csv` is then reported, and the map keeps what it served, instead of silently
//! emptying a layer. An administrator who means the change forces it.
//!
//! A layer's files under new names (a ledger renamed, split in two or merged) are not
//! missing: when files not loaded before now load whole into the layer at least as many
//! features as its missing files held, less the share a reload may lose, the missing
//! files are taken as moved ([`Comparison::moved`]); the layer's count is checked as
//! always.

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
    /// Layers whose files were loaded under other names (not problems).
    pub moved: Vec<FilesMoved>,
}

/// A layer's files loaded before and missing now, and the files not loaded before that
/// now hold its features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesMoved {
    /// Layer name.
    pub layer: &'static str,
    /// The files missing now, with the features loaded from them before.
    pub from: Vec<(String, u64)>,
    /// The files loaded now and not before, with the features loaded from them.
    pub to: Vec<(String, u64)>,
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
    let moved = moved_files(before, after, max_loss);
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
            if moved.iter().any(|m| Some(m.layer) == layer) {
                continue;
            }
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
        moved,
    }
}

/// Whether `f` of `report` was read whole into a layer.
fn loaded_whole(report: &ValidationReport, f: &riskmap_core::io::FileSummary) -> bool {
    f.status == FileStatus::Loaded && f.layer.is_some() && failure_of(report, &f.file).is_none()
}

/// The layers whose missing files are taken as moved (see the module's notes).
fn moved_files(
    before: &ValidationReport,
    after: &ValidationReport,
    max_loss: f64,
) -> Vec<FilesMoved> {
    let mut by_layer: BTreeMap<LayerKind, FilesMoved> = BTreeMap::new();
    for old in before
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Loaded)
    {
        let Some(k) = old.layer else { continue };
        if !after.files.iter().any(|f| f.file == old.file) {
            by_layer
                .entry(k)
                .or_insert_with(|| FilesMoved {
                    layer: k.name(),
                    from: Vec::new(),
                    to: Vec::new(),
                })
                .from
                .push((old.file.clone(), old.features_loaded));
        }
    }
    for new in after.files.iter().filter(|f| loaded_whole(after, f)) {
        let was_loaded = before
            .files
            .iter()
            .any(|f| f.file == new.file && f.status == FileStatus::Loaded);
        if let (false, Some(m)) = (was_loaded, new.layer.and_then(|k| by_layer.get_mut(&k))) {
            m.to.push((new.file.clone(), new.features_loaded));
        }
    }
    by_layer
        .into_values()
        .filter(|m| {
            let from: u64 = m.from.iter().map(|(_, n)| n).sum();
            let to: u64 = m.to.iter().map(|(_, n)| n).sum();
            !m.to.is_empty() && to as f64 >= from as f64 * (1.0 - max_loss)
        })
        .collect()
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

    /// A file with its features loaded.
    fn holding(name: &str, layer: LayerKind, n: u64) -> FileSummary {
        let mut f = FileSummary::new(name, Some(layer), FileStatus::Loaded);
        f.features_loaded = n;
        f
    }

    #[test]
    fn a_ledger_under_new_names_is_moved_not_missing() {
        let counts = [(LayerKind::Houses, 100)];
        let h = LayerKind::Houses;
        let old = report(vec![holding("houses.csv", h, 100)], vec![]);
        // Renamed: 100 → 100.
        let renamed = report(vec![holding("自建房.csv", h, 100)], vec![]);
        let c = compare(&counts, &old, &counts, &renamed, 0.10);
        assert!(c.acceptable(), "{c:?}");
        assert_eq!(
            c.moved,
            [FilesMoved {
                layer: "houses",
                from: vec![("houses.csv".into(), 100)],
                to: vec![("自建房.csv".into(), 100)],
            }]
        );
        // Split in two, 90 of the 100 (10 % may go).
        let split = report(
            vec![
                holding("houses/a.csv", h, 50),
                holding("houses/b.csv", h, 40),
            ],
            vec![],
        );
        assert!(compare(&counts, &old, &counts, &split, 0.10).acceptable());
        // 89 of 100: more than may go; the file is missing.
        let short = report(vec![holding("自建房.csv", h, 89)], vec![]);
        let c = compare(&counts, &old, &counts, &short, 0.10);
        assert_eq!(c.file_problems[0].problem, "missing");
        assert!(c.moved.is_empty());
        // Into another layer, or broken: missing.
        let other = report(
            vec![holding("企业.csv", LayerKind::Enterprises, 100)],
            vec![],
        );
        let c = compare(&counts, &old, &counts, &other, 0.10);
        assert_eq!(c.file_problems[0].problem, "missing");
        let broken_new = report(
            vec![holding("自建房.csv", h, 100)],
            vec![broken("自建房.csv")],
        );
        let c = compare(&counts, &old, &counts, &broken_new, 0.10);
        assert_eq!(c.file_problems[0].problem, "missing");
        // A file loaded before under its own name is not a new name for another.
        let two = report(
            vec![holding("houses.csv", h, 60), holding("自建房.csv", h, 40)],
            vec![],
        );
        let only = report(vec![holding("自建房.csv", h, 100)], vec![]);
        let c = compare(&counts, &two, &counts, &only, 1.0);
        assert_eq!(c.file_problems[0].file, "houses.csv");
        assert!(c.moved.is_empty());
    }
}
