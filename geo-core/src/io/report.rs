//! The validation report: what was read from each file, and every feature, value or
//! file that was skipped, repaired or questioned on the way.
//!
//! Loading never drops anything silently: each departure from the input becomes an
//! [`Issue`] with a stable [`IssueCode`], and each file (including the ones that belong
//! to no layer) gets a [`FileSummary`].

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::model::LayerKind;

use super::LoadError;

/// How serious an issue is, by what happened to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something in the input was left out: a whole file, a feature, or one line of a
    /// hazard source's inventory.
    Skipped,
    /// A feature was kept after its geometry was changed (a ring closed, repeated points
    /// removed, a self-intersecting polygon rebuilt, a degenerate hole dropped).
    Repaired,
    /// The feature was kept, but a value was left empty or needs a second look (an
    /// unknown category, a number that is not one, a name that is missing).
    Warning,
    /// Nothing is wrong and nothing was changed, but a reader should know (a substance
    /// that GB 18218-2018 does not cover). Strict mode does not fail on it.
    Info,
}

impl Severity {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Skipped => "skipped",
            Severity::Repaired => "repaired",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub use super::report_codes::IssueCode;

/// Where in a file an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Zero-based feature index (GeoJSON, Shapefile).
    Feature(u64),
    /// One-based line of a text table (CSV), or of a text file decoded line by line.
    Line(u64),
    /// One-based row of a worksheet, as the spreadsheet numbers it.
    Row(u64),
    /// The row of a store's table (a GeoPackage `fid`).
    Fid(u64),
    /// One-based line and column in a text file (a JSON or TOML syntax error).
    Text {
        /// Line, from 1.
        line: u64,
        /// Column, from 1.
        column: u64,
    },
}

impl Position {
    /// The number stored in a feature's [`crate::model::SourceRef::position`].
    pub fn number(self) -> u64 {
        match self {
            Position::Feature(n) | Position::Line(n) | Position::Row(n) | Position::Fid(n) => n,
            Position::Text { line, .. } => line,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Feature(n) => write!(f, "feature {n}"),
            Position::Line(n) => write!(f, "line {n}"),
            Position::Row(n) => write!(f, "row {n}"),
            Position::Fid(n) => write!(f, "fid {n}"),
            Position::Text { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

/// One problem found while loading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// What happened to the data.
    pub severity: Severity,
    /// Stable code.
    pub code: IssueCode,
    /// The file, relative to the data directory where there is one.
    pub file: String,
    /// The layer the file was loaded into, if known.
    pub layer: Option<LayerKind>,
    /// Where in the file; `None` for the file as a whole.
    pub position: Option<Position>,
    /// The feature's id (given or derived), when the issue is about a feature.
    pub feature_id: Option<String>,
    /// The field as the file names it (a Chinese column name where that is what the
    /// file used), when the issue is about one field.
    pub field: Option<String>,
    /// What is wrong and what was done, in English.
    pub message: String,
}

impl Issue {
    /// A warning about a file (or a row of it such as the header) rather than a feature.
    pub(crate) fn file_warning(
        file: &str,
        layer: Option<LayerKind>,
        code: IssueCode,
        field: Option<String>,
        position: Option<Position>,
        message: String,
    ) -> Issue {
        Issue {
            severity: Severity::Warning,
            code,
            file: file.to_string(),
            layer,
            position,
            feature_id: None,
            field,
            message,
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(p) = &self.position {
            write!(f, ", {p}")?;
        }
        if let Some(id) = &self.feature_id {
            write!(f, ", feature {id:?}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {} [{}, {}]", self.message, self.code, self.severity)
    }
}

// An issue is the error of one feature ([`crate::io::feature_from_geojson`]'s list).
impl std::error::Error for Issue {}

/// What became of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Read; its features (less the skipped ones) are in the dataset.
    Loaded,
    /// Read but not loaded: see the file-level issue.
    Skipped,
    /// Belongs to no layer: not read.
    Ignored,
}

/// What was read from one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSummary {
    /// The file, relative to the data directory.
    pub file: String,
    /// The layer it was loaded into.
    pub layer: Option<LayerKind>,
    /// Reader used: `geojson`, `csv`, `xlsx`, `shapefile`.
    pub format: Option<String>,
    /// What became of it.
    pub status: FileStatus,
    /// Text encoding used (CSV, DBF, GeoJSON), and how it was chosen.
    pub encoding: Option<String>,
    /// Coordinate reference system the coordinates were read in, and where that came from.
    pub crs: Option<String>,
    /// Worksheet read (workbooks).
    pub sheet: Option<String>,
    /// Features (rows, records) found.
    pub features_read: u64,
    /// Features loaded into the dataset.
    pub features_loaded: u64,
    /// Columns or properties that match no field of the layer, so were not used.
    pub unused_columns: Vec<String>,
    /// Why the file was ignored or skipped, when it was.
    pub note: Option<String>,
}

impl FileSummary {
    /// A file's summary with nothing read yet.
    pub fn new(file: &str, layer: Option<LayerKind>, status: FileStatus) -> Self {
        FileSummary {
            file: file.to_string(),
            layer,
            format: None,
            status,
            encoding: None,
            crs: None,
            sheet: None,
            features_read: 0,
            features_loaded: 0,
            unused_columns: Vec::new(),
            note: None,
        }
    }
}

/// Everything loading found: one summary per file and every issue, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationReport {
    /// One entry per file met, loaded or not.
    pub files: Vec<FileSummary>,
    /// Every issue, in the order of the files and, within a file, of the features.
    pub issues: Vec<Issue>,
}

impl ValidationReport {
    /// The files read only up to a break (a file cut short, `broken_tail`) or not at
    /// all for one (`broken_file`): what lay past it is not known. One pass over the
    /// issues.
    pub fn cut_files(&self) -> std::collections::HashSet<&str> {
        self.issues
            .iter()
            .filter(|i| matches!(i.code, IssueCode::BrokenTail | IssueCode::BrokenFile))
            .map(|i| i.file.as_str())
            .collect()
    }

    /// What the data as read lacks, in Chinese, for the documents made of it (a report,
    /// a list's workbook) to say so: each ledger file left out as a whole, with why, then
    /// how many records (lines, features, inventory lines) were left out. Empty when
    /// everything was read.
    pub fn left_out_zh(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Skipped)
            .filter_map(|f| {
                let layer = f.layer?;
                Some(format!(
                    "{}（{}台账）整个文件未读入{}",
                    f.file,
                    layer.name_zh(),
                    f.note
                        .as_deref()
                        .map(|n| format!("：{n}"))
                        .unwrap_or_default()
                ))
            })
            .collect();
        // A file read up to a cut: what lay past it is not known.
        let cut = self.cut_files();
        for f in self
            .files
            .iter()
            .filter(|f| f.status != FileStatus::Skipped && cut.contains(f.file.as_str()))
        {
            let Some(layer) = f.layer else {
                continue;
            };
            out.push(format!(
                "{}（{}台账）在文件末尾被截断（可能正在写入或复制未完成），截断处之后的记录未读入",
                f.file,
                layer.name_zh()
            ));
        }
        // Records of the files read: a file left out whole is said above, not counted as
        // a record (its header's error has a position too), nor is the line a file is cut
        // at (said above too).
        let whole: std::collections::HashSet<&str> = self
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Skipped)
            .map(|f| f.file.as_str())
            .collect();
        let records = self
            .issues
            .iter()
            .filter(|i| {
                i.severity == Severity::Skipped
                    && i.position.is_some()
                    && i.code != IssueCode::BrokenTail
                    && !whole.contains(i.file.as_str())
            })
            .count();
        if records > 0 {
            out.push(format!(
                "{records} 条记录（台账行、要素或危险物质明细）因数据问题未读入"
            ));
        }
        out
    }

    /// Issues that left something out (files, features, inventory lines).
    pub fn skipped_count(&self) -> usize {
        self.count(Severity::Skipped)
    }

    /// Issues where a feature was kept after repair.
    pub fn repaired_count(&self) -> usize {
        self.count(Severity::Repaired)
    }

    /// Warnings.
    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Information: nothing wrong, nothing changed.
    pub fn info_count(&self) -> usize {
        self.count(Severity::Info)
    }

    /// Issues of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == severity)
            .count()
    }

    /// Issues with a code.
    pub fn with_code(&self, code: IssueCode) -> impl Iterator<Item = &Issue> + '_ {
        self.issues.iter().filter(move |i| i.code == code)
    }

    /// Whether nothing was skipped, repaired or questioned (information aside).
    pub fn is_clean(&self) -> bool {
        self.issues.iter().all(|i| i.severity == Severity::Info)
    }

    /// Number of issues per code, sorted by code.
    pub fn counts_by_code(&self) -> BTreeMap<IssueCode, usize> {
        let mut m = BTreeMap::new();
        for i in &self.issues {
            *m.entry(i.code).or_insert(0) += 1;
        }
        m
    }

    /// The report as JSON: `{"summary": {...}, "files": [...], "issues": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let counts: serde_json::Map<String, serde_json::Value> = self
            .counts_by_code()
            .into_iter()
            .map(|(c, n)| (c.as_str().to_string(), n.into()))
            .collect();
        serde_json::json!({
            "summary": {
                "files": self.files.len(),
                "features_loaded": self.files.iter().map(|f| f.features_loaded).sum::<u64>(),
                "skipped": self.skipped_count(),
                "repaired": self.repaired_count(),
                "warnings": self.warning_count(),
                "info": self.info_count(),
                "by_code": counts,
            },
            "files": serde_json::to_value(&self.files).unwrap_or_default(),
            "issues": serde_json::to_value(&self.issues).unwrap_or_default(),
        })
    }

    /// The report as Markdown, for people: a summary, a table of files and a table of
    /// issues.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let loaded: u64 = self.files.iter().map(|f| f.features_loaded).sum();
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(s, "# Validation report\n");
        let _ = writeln!(
            s,
            "{} file(s), {loaded} feature(s) loaded; {} skipped, {} repaired, {} warning(s), {} \
             for information.\n",
            self.files.len(),
            self.skipped_count(),
            self.repaired_count(),
            self.warning_count(),
            self.info_count()
        );
        if !self.issues.is_empty() {
            let _ = writeln!(s, "| code | count |\n|---|---:|");
            for (c, n) in self.counts_by_code() {
                let _ = writeln!(s, "| `{c}` | {n} |");
            }
            s.push('\n');
        }
        let _ = writeln!(s, "## Files\n");
        let _ = writeln!(
            s,
            "| file | layer | format | status | encoding | CRS | read | loaded | unused columns | note |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---:|---:|---|---|");
        for f in &self.files {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&f.file),
                f.layer.map(|l| l.name()).unwrap_or(""),
                md(f.format.as_deref().unwrap_or("")),
                match f.status {
                    FileStatus::Loaded => "loaded",
                    FileStatus::Skipped => "skipped",
                    FileStatus::Ignored => "ignored",
                },
                md(f.encoding.as_deref().unwrap_or("")),
                md(f.crs.as_deref().unwrap_or("")),
                f.features_read,
                f.features_loaded,
                md(&f.unused_columns.join(", ")),
                md(f.note.as_deref().unwrap_or("")),
            );
        }
        if !self.issues.is_empty() {
            let _ = writeln!(s, "\n## Issues\n");
            let _ = writeln!(
                s,
                "| severity | code | file | position | feature | field | message |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|---|");
            // A file whose every line has one problem (a wrong coordinate system) would
            // fill the page with one message: the first of a kind are listed, the rest
            // counted (the JSON report keeps every one).
            let mut seen: std::collections::HashMap<(&str, IssueCode, Severity), usize> =
                std::collections::HashMap::new();
            for i in &self.issues {
                let n = seen
                    .entry((i.file.as_str(), i.code, i.severity))
                    .or_default();
                *n += 1;
                if *n > MD_PER_KIND {
                    continue;
                }
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {} | {} | {} | {} |",
                    i.severity,
                    i.code,
                    md(&i.file),
                    i.position.map(|p| p.to_string()).unwrap_or_default(),
                    md(i.feature_id.as_deref().unwrap_or("")),
                    md(i.field.as_deref().unwrap_or("")),
                    md(&i.message),
                );
            }
            let mut more: Vec<_> = seen.into_iter().filter(|(_, n)| *n > MD_PER_KIND).collect();
            more.sort_unstable_by(|a, b| (a.0.0, a.0.1.as_str()).cmp(&(b.0.0, b.0.1.as_str())));
            for ((file, code, severity), n) in more {
                let _ = writeln!(
                    s,
                    "| {severity} | `{code}` | {} |  |  |  | and {} more of this kind in this \
                     file, not listed here (validation_report.json lists every one) |",
                    md(file),
                    n - MD_PER_KIND
                );
            }
        }
        s
    }
}

/// Issues of one code, severity and file listed in the Markdown report; the rest are
/// counted in one line.
pub const MD_PER_KIND: usize = 50;

/// Escapes text for a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Collects issues; in strict mode the first one becomes the error instead.
#[derive(Debug)]
pub struct Sink {
    strict: bool,
    pub(crate) issues: Vec<Issue>,
}

impl Sink {
    pub(crate) fn new(strict: bool) -> Self {
        Sink {
            strict,
            issues: Vec::new(),
        }
    }

    /// Records an issue, or returns it as the error in strict mode.
    pub(crate) fn push(&mut self, issue: Issue) -> Result<(), LoadError> {
        if self.strict && issue.severity != Severity::Info {
            return Err(LoadError::Invalid {
                issue: Box::new(issue),
            });
        }
        self.issues.push(issue);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue() -> Issue {
        Issue {
            severity: Severity::Skipped,
            code: IssueCode::DuplicateId,
            file: "houses.csv".into(),
            layer: Some(LayerKind::Houses),
            position: Some(Position::Line(7)),
            feature_id: Some("H-1".into()),
            field: Some("编号".into()),
            message: "duplicate id | again".into(),
        }
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in IssueCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert_eq!(serde_json::to_value(c).ok(), Some(serde_json::json!(s)));
        }
    }

    #[test]
    fn json_and_markdown_carry_every_part() {
        let r = ValidationReport {
            files: vec![FileSummary::new(
                "houses.csv",
                Some(LayerKind::Houses),
                FileStatus::Loaded,
            )],
            issues: vec![issue()],
        };
        let j = r.to_json();
        assert_eq!(j["summary"]["skipped"], 1);
        assert_eq!(j["summary"]["by_code"]["duplicate_id"], 1);
        assert_eq!(j["issues"][0]["position"], serde_json::json!({"line": 7}));
        assert_eq!(j["issues"][0]["field"], "编号");
        assert_eq!(j["issues"][0]["layer"], "houses");
        let m = r.to_markdown();
        assert!(m.contains("| skipped | `duplicate_id` | houses.csv | line 7 | H-1 | 编号 | duplicate id \\| again |"), "{m}");
        assert_eq!(
            issue().to_string(),
            "houses.csv, line 7, feature \"H-1\", field 编号: duplicate id | again [duplicate_id, skipped]"
        );
    }

    /// 60 issues of one kind in one file and 2 of another: the first 50 of the kind are
    /// listed, then one line counts the other 10; the JSON keeps all 62.
    #[test]
    fn markdown_lists_the_first_of_a_kind_and_counts_the_rest() {
        let mut issues: Vec<Issue> = (0..60)
            .map(|k| Issue {
                position: Some(Position::Line(k + 2)),
                feature_id: Some(format!("H-{k}")),
                ..issue()
            })
            .collect();
        issues.extend((0..2).map(|k| Issue {
            code: IssueCode::InvalidNumber,
            severity: Severity::Warning,
            feature_id: Some(format!("W-{k}")),
            ..issue()
        }));
        let r = ValidationReport {
            files: vec![FileSummary::new(
                "houses.csv",
                Some(LayerKind::Houses),
                FileStatus::Loaded,
            )],
            issues,
        };
        let m = r.to_markdown();
        let listed = |needle: &str| m.lines().filter(|l| l.contains(needle)).count();
        assert_eq!(listed("| `duplicate_id` | houses.csv | line "), MD_PER_KIND);
        assert!(m.contains("| H-49 |") && !m.contains("| H-50 |"), "{m}");
        assert_eq!(listed("and 10 more of this kind in this file"), 1);
        assert_eq!(listed("`invalid_number`"), 3, "{m}"); // the count table, two issues
        assert_eq!(r.to_json()["issues"].as_array().map(Vec::len), Some(62));
    }

    #[test]
    fn strict_sink_returns_the_first_issue() {
        let mut s = Sink::new(true);
        match s.push(issue()) {
            Err(LoadError::Invalid { issue: i }) => assert_eq!(i.code, IssueCode::DuplicateId),
            other => panic!("{other:?}"),
        }
        let mut s = Sink::new(false);
        assert!(s.push(issue()).is_ok());
        assert_eq!(s.issues.len(), 1);
    }
}
