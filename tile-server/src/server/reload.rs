//! What a reload would lose: the new snapshot's input layers and files compared with the
//! ones being served, before the new one is swapped in.
//!
//! A reload is refused when a file that was loaded is now missing, skipped, unreadable or
//! broken, or when an input layer would lose more than a configured share of its features
//! (`reload_max_loss`, default 10 %). A truncated `protection_targets.geojson` or
//! `houses.csv` is then reported, and the map keeps what it served, instead of silently
//! emptying a layer. An administrator who means the change forces it.
//!
//! A layer's files under new names (a ledger renamed, split in two, merged into a new
//! file) are not missing: when the features served from the missing files are in the
//! new load, under whatever file, but for the share a reload may lose, the files are
//! taken as moved ([`moved`], by id); the layer's count is checked as always.

use std::collections::{BTreeMap, HashMap};

use riskmap_core::dataset::Dataset;
use riskmap_core::io::{FileStatus, FileSummary, IssueCode, ValidationReport};
use riskmap_core::model::{LayerKind, SourceFile};
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

/// A layer's files loaded before and missing now, and the files its features are read
/// from now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilesMoved {
    /// Layer name.
    pub layer: &'static str,
    /// The files missing now, with the features loaded from them before.
    pub from: Vec<FileFeatures>,
    /// The files their features are read from now, with how many of them each holds.
    pub to: Vec<FileFeatures>,
}

/// A file and a number of features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFeatures {
    /// The file, relative to the data directory.
    pub file: String,
    /// Features.
    pub features: u64,
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
            .map(|f| format!("{} is {} ({})", f.file, f.problem, f.reason));
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
/// share (0–1) of an input layer's features a reload may lose; `moved` the layers whose
/// missing files are taken as moved ([`moved`]).
pub fn compare(
    before_counts: &[(LayerKind, usize)],
    before: &ValidationReport,
    after_counts: &[(LayerKind, usize)],
    after: &ValidationReport,
    max_loss: f64,
    moved: Vec<FilesMoved>,
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
            if moved
                .iter()
                .any(|m| m.from.iter().any(|f| f.file == old.file))
            {
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

/// How much of the features served from a layer's missing files must be in the new
/// load for the files to be taken as moved: at most `reload_max_loss` of them may go,
/// and never more than half, whatever the configuration lets a layer lose.
pub(super) const MOVE_LOSS_CAP: f64 = 0.5;

/// The files loaded before and missing now (`before`'s report against `after`'s) that
/// are taken as moved, by layer: the features served from each are in the new load,
/// under whatever file, but for at most `max_loss` (capped at [`MOVE_LOSS_CAP`]) of them.
/// Each file on its own and by id, so that another ledger of about the same size dropped
/// in for a deleted one is not a move, nor a part that vanished beside a part renamed,
/// and a copy made before the old file is deleted is.
pub fn moved(
    before: (&Dataset, &ValidationReport),
    after: (&Dataset, &ValidationReport),
    max_loss: f64,
) -> Vec<FilesMoved> {
    let mut out = Vec::new();
    for kind in LayerKind::INPUTS {
        let missing: Vec<&FileSummary> = before
            .1
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Loaded && f.layer == Some(kind))
            .filter(|f| !after.1.files.iter().any(|a| a.file == f.file))
            .collect();
        if missing.is_empty() {
            continue;
        }
        // The missing files by their numbers in the features' sources.
        let numbers: HashMap<SourceFile, usize> = missing
            .iter()
            .enumerate()
            .map(|(k, f)| (SourceFile::named(&f.file), k))
            .collect();
        let mut served_from: Vec<Vec<&str>> = vec![Vec::new(); missing.len()];
        for p in 0..before.0.count(kind) {
            let k = before
                .0
                .source_at(kind, p)
                .and_then(|s| numbers.get(&s.source_file()));
            if let (Some(&k), Some(id)) = (k, before.0.id_at(kind, p)) {
                served_from[k].push(id);
            }
        }
        let now: HashMap<&str, usize> = (0..after.0.count(kind))
            .filter_map(|p| Some((after.0.id_at(kind, p)?, p)))
            .collect();
        let allowed = max_loss.clamp(0.0, MOVE_LOSS_CAP);
        let mut from = Vec::new();
        let mut to: BTreeMap<String, u64> = BTreeMap::new();
        for (f, ids) in missing.iter().zip(&served_from) {
            // Fewer features say they came from the file than its report gave: the
            // served features' sources are older than the report (a reading applies
            // only what differs), and the file's features cannot be told: missing.
            if (ids.len() as u64) < f.features_loaded {
                continue;
            }
            let back: Vec<usize> = ids.iter().filter_map(|id| now.get(id).copied()).collect();
            if (back.len() as f64) < ids.len() as f64 * (1.0 - allowed) {
                continue;
            }
            for p in back {
                if let Some(s) = after.0.source_at(kind, p) {
                    *to.entry(s.file().to_string()).or_default() += 1;
                }
            }
            from.push(FileFeatures {
                file: f.file.clone(),
                features: f.features_loaded,
            });
        }
        if !from.is_empty() {
            out.push(FilesMoved {
                layer: kind.name(),
                from,
                to: to
                    .into_iter()
                    .map(|(file, features)| FileFeatures { file, features })
                    .collect(),
            });
        }
    }
    out
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
        let c = compare(
            &before,
            &r,
            &[(LayerKind::Houses, 900)],
            &r,
            0.10,
            Vec::new(),
        );
        assert!(c.acceptable(), "{c:?}");
        assert_eq!(c.layers[0].after, 900);
        // 101 of 1000 = 10.1 %: refused, with both counts.
        let c = compare(
            &before,
            &r,
            &[(LayerKind::Houses, 899)],
            &r,
            0.10,
            Vec::new(),
        );
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
            Vec::new(),
        );
        assert!(c.acceptable());
    }

    #[test]
    fn a_file_loaded_before_that_is_missing_skipped_or_newly_broken_refuses() {
        let counts = [(LayerKind::Houses, 10)];
        let old = report(vec![file("houses.csv", FileStatus::Loaded)], vec![]);
        let gone = report(vec![], vec![]);
        let c = compare(&counts, &old, &counts, &gone, 1.0, Vec::new());
        assert_eq!(c.file_problems[0].problem, "missing");
        let mut skipped = file("houses.csv", FileStatus::Skipped);
        skipped.note = Some("EOF while parsing at line 9".into());
        let new = report(vec![skipped], vec![broken("houses.csv")]);
        let c = compare(&counts, &old, &counts, &new, 1.0, Vec::new());
        assert_eq!(c.file_problems[0].problem, "broken");
        assert_eq!(c.file_problems[0].reason, "EOF while parsing at line 9");
        assert_eq!(c.file_problems[0].layer, Some("houses"));
        // Loaded in part, with a break that the served load did not have.
        let part = report(
            vec![file("houses.csv", FileStatus::Loaded)],
            vec![broken("houses.csv")],
        );
        let c = compare(&counts, &old, &counts, &part, 1.0, Vec::new());
        assert_eq!(c.file_problems.len(), 1);
        // The same break in both: nothing new.
        let c = compare(&counts, &part, &counts, &part, 1.0, Vec::new());
        assert!(c.acceptable());
        // A file skipped before and still skipped is not a loss.
        let was_skipped = report(vec![file("houses.csv", FileStatus::Skipped)], vec![]);
        assert!(compare(&counts, &was_skipped, &counts, &gone, 1.0, Vec::new()).acceptable());
    }

    /// A folder of house ledgers (GeoJSON points, each named file with its ids),
    /// loaded as a server loads it.
    fn folder(files: &[(&str, &[String])]) -> riskmap_core::io::Loaded {
        let dir = tempfile::tempdir().unwrap();
        for (name, ids) in files {
            let features: Vec<String> = ids
                .iter()
                .enumerate()
                .map(|(k, id)| {
                    format!(
                        r#"{{"type":"Feature","properties":{{"id":"{id}"}},"geometry":{{"type":"Point","coordinates":[121.1{k:03},31.9]}}}}"#
                    )
                })
                .collect();
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text = format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                features.join(",")
            );
            std::fs::write(path, text).unwrap();
        }
        riskmap_core::io::load_dir(dir.path(), &riskmap_core::io::LoadOptions::default()).unwrap()
    }

    fn ids(from: usize, to: usize) -> Vec<String> {
        (from..=to).map(|i| format!("h{i}")).collect()
    }

    /// The comparison of two loads, as a reload makes it.
    fn compared(
        before: &riskmap_core::io::Loaded,
        after: &riskmap_core::io::Loaded,
        max_loss: f64,
    ) -> Comparison {
        let (b, a) = (
            (&before.dataset, &before.report),
            (&after.dataset, &after.report),
        );
        compare(
            &b.0.counts(),
            b.1,
            &a.0.counts(),
            a.1,
            max_loss,
            moved(b, a, max_loss),
        )
    }

    #[test]
    fn a_ledger_under_new_names_is_moved_not_missing() {
        let served = folder(&[("houses.geojson", &ids(1, 10))]);
        assert_eq!(served.dataset.houses.len(), 10);
        // Renamed.
        let renamed = folder(&[("自建房.geojson", &ids(1, 10))]);
        let c = compared(&served, &renamed, 0.10);
        assert!(c.acceptable(), "{c:?}");
        let f = |file: &str, features| FileFeatures {
            file: file.into(),
            features,
        };
        assert_eq!(
            c.moved,
            [FilesMoved {
                layer: "houses",
                from: vec![f("houses.geojson", 10)],
                to: vec![f("自建房.geojson", 10)],
            }]
        );
        // Copied under the new name first (its houses all repeat the old file's, so
        // none is read from it), the old file deleted after.
        let both = folder(&[
            ("houses.geojson", &ids(1, 10)),
            ("自建房.geojson", &ids(1, 10)),
        ]);
        assert!(compared(&served, &both, 0.10).acceptable());
        assert!(compared(&both, &renamed, 0.10).acceptable());
        // Split into a folder named for the layer, one house struck out (10 % may go).
        let split = folder(&[
            ("houses/east.geojson", &ids(1, 5)),
            ("houses/west.geojson", &ids(6, 9)),
        ]);
        let c = compared(&served, &split, 0.10);
        assert!(c.acceptable(), "{c:?}");
        assert_eq!(c.moved[0].to.len(), 2);
    }

    #[test]
    fn other_features_under_a_new_name_are_not_a_move() {
        let served = folder(&[("houses.geojson", &ids(1, 10))]);
        // Two of the ten struck out with the rename: more than 10 % gone.
        let fewer = folder(&[("自建房.geojson", &ids(1, 8))]);
        let c = compared(&served, &fewer, 0.10);
        assert_eq!(c.file_problems[0].problem, "missing");
        assert!(c.moved.is_empty());
        // Another township's ledger of the same size in place of the deleted one.
        let other: Vec<String> = (1..=10).map(|i| format!("x{i}")).collect();
        let c = compared(&served, &folder(&[("自建房.geojson", &other)]), 0.10);
        assert_eq!(c.file_problems[0].problem, "missing");
        // A layer of two files: the smaller gone, one of its houses in a new file.
        let two = folder(&[
            ("houses/a.geojson", &ids(1, 95)),
            ("houses/b.geojson", &ids(96, 100)),
        ]);
        let tiny = folder(&[
            ("houses/a.geojson", &ids(1, 95)),
            ("houses/c.geojson", &ids(96, 96)),
        ]);
        let c = compared(&two, &tiny, 0.10);
        assert_eq!(c.file_problems[0].file, "houses/b.geojson");
        // However much a layer may lose, a move brings back at least half.
        let c = compared(&two, &tiny, 1.0);
        assert_eq!(c.file_problems[0].file, "houses/b.geojson");
        let most = folder(&[
            ("houses/a.geojson", &ids(1, 95)),
            ("houses/c.geojson", &ids(96, 98)),
        ]);
        assert!(compared(&two, &most, 1.0).acceptable());
    }

    /// Each missing file is judged on its own: a part renamed does not carry a part that
    /// vanished beside it; and a served map whose features still name their older file
    /// (a reading applies only what differs) cannot say what a missing file held.
    #[test]
    fn each_missing_file_is_judged_on_its_own_and_by_what_it_held() {
        let two = folder(&[
            ("houses/a.geojson", &ids(1, 95)),
            ("houses/b.geojson", &ids(96, 100)),
        ]);
        let renamed_one = folder(&[("houses/z.geojson", &ids(1, 95))]);
        let c = compared(&two, &renamed_one, 0.10);
        assert_eq!(c.moved[0].from.len(), 1);
        assert_eq!(c.moved[0].from[0].file, "houses/a.geojson");
        assert_eq!(c.file_problems.len(), 1);
        assert_eq!(c.file_problems[0].file, "houses/b.geojson");
        // The features name houses/b.geojson, the report houses/c.geojson (renamed in
        // a reading that changed something else): c's houses cannot be found by it.
        let c_named = folder(&[
            ("houses/a.geojson", &ids(1, 95)),
            ("houses/c.geojson", &ids(96, 100)),
        ]);
        let stale = (&two.dataset, &c_named.report);
        let gone = folder(&[("houses/a.geojson", &ids(1, 95))]);
        let after = (&gone.dataset, &gone.report);
        let c = compare(
            &two.dataset.counts(),
            stale.1,
            &gone.dataset.counts(),
            after.1,
            0.10,
            moved(stale, after, 0.10),
        );
        assert_eq!(c.file_problems[0].file, "houses/c.geojson");
        assert!(c.moved.is_empty());
    }
}
