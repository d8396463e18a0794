//! `riskmap.toml`: which file is which layer, in which CRS and encoding, and which
//! columns mean what.
//!
//! ```toml
//! crs = "EPSG:4490"        # default for every file (optional)
//! encoding = "gbk"         # default for every text file (optional)
//!
//! [files."2024企业台账.xlsx"]
//! layer = "enterprises"     # or a Chinese layer name: 企业
//! sheet = "企业清单"
//! header_row = 2
//! crs = "EPSG:4549"
//! columns = { "企业名" = "name", "东经" = "lon", "北纬" = "lat" }
//!
//! [files."old"]             # a folder: applies to every file in it
//! ignore = true
//! ```
//!
//! Unknown keys and unusable values become warnings in the report; only a file that is
//! not TOML at all stops loading.

use crate::model::LayerKind;

use super::LoadError;
use super::fields::Resolver;
use super::report::{Issue, IssueCode, Position, Severity};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "riskmap.toml";

/// Settings for one file or folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Entry {
    /// Path relative to the data directory, with `/` separators.
    pub path: String,
    pub layer: Option<LayerKind>,
    pub crs: Option<String>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub header_row: Option<u32>,
    pub columns: Vec<(String, String)>,
    pub ignore: bool,
}

/// A parsed manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub crs: Option<String>,
    pub encoding: Option<String>,
    pub files: Vec<Entry>,
    /// Warnings about the manifest itself.
    pub issues: Vec<Issue>,
}

impl Manifest {
    /// The entry for a file: its own, else the nearest folder's.
    pub(crate) fn entry_for(&self, rel: &str) -> Option<&Entry> {
        if let Some(e) = self.files.iter().find(|e| e.path == rel) {
            return Some(e);
        }
        self.files
            .iter()
            .filter(|e| rel.starts_with(&format!("{}/", e.path.trim_end_matches('/'))))
            .max_by_key(|e| e.path.len())
    }
}

fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0) as u64
        + 1;
    (line, col)
}

/// Parses the manifest text; `file` is its name for messages.
pub(crate) fn parse(text: &str, file: &str) -> Result<Manifest, LoadError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        LoadError::Manifest {
            file: file.to_string(),
            line,
            column,
            source: Box::new(e),
        }
    })?;
    let mut m = Manifest::default();
    let warn = |code: IssueCode, key: &str, message: String| m_issue(file, code, key, message);
    let mut issues = Vec::new();
    for (key, value) in &table {
        match key.as_str() {
            "crs" => match value.as_str() {
                Some(s) => m.crs = Some(s.to_string()),
                None => issues.push(warn(
                    IssueCode::ManifestInvalidValue,
                    key,
                    format!("crs must be a string such as \"EPSG:4549\", not {value}; ignored"),
                )),
            },
            "encoding" => match value.as_str() {
                Some(s) => m.encoding = Some(s.to_string()),
                None => issues.push(warn(
                    IssueCode::ManifestInvalidValue,
                    key,
                    format!("encoding must be a string such as \"gbk\", not {value}; ignored"),
                )),
            },
            "files" => match value.as_table() {
                Some(files) => {
                    for (path, v) in files {
                        let Some(t) = v.as_table() else {
                            issues.push(warn(
                                IssueCode::ManifestInvalidValue,
                                &format!("files.{path}"),
                                format!("files.{path:?} must be a table such as {{ layer = \"houses\" }}; ignored"),
                            ));
                            continue;
                        };
                        m.files.push(entry(path, t, &mut issues, file));
                    }
                }
                None => issues.push(warn(
                    IssueCode::ManifestInvalidValue,
                    key,
                    "files must be a table of file names; ignored".into(),
                )),
            },
            other => issues.push(warn(
                IssueCode::ManifestUnknownKey,
                other,
                format!("unknown key {other:?} (known: crs, encoding, files); ignored"),
            )),
        }
    }
    m.issues = issues;
    Ok(m)
}

fn m_issue(file: &str, code: IssueCode, key: &str, message: String) -> Issue {
    Issue {
        severity: Severity::Warning,
        code,
        file: file.to_string(),
        layer: None,
        position: None::<Position>,
        feature_id: None,
        field: Some(key.to_string()),
        message,
    }
}

fn entry(path: &str, t: &toml::Table, issues: &mut Vec<Issue>, file: &str) -> Entry {
    let mut e = Entry {
        path: path
            .replace('\\', "/")
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string(),
        ..Entry::default()
    };
    let key_of = |k: &str| format!("files.{path}.{k}");
    let string = |k: &str, v: &toml::Value, issues: &mut Vec<Issue>| -> Option<String> {
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                issues.push(m_issue(
                    file,
                    IssueCode::ManifestInvalidValue,
                    &key_of(k),
                    format!("{k} must be a string, not {v}; ignored"),
                ));
                None
            }
        }
    };
    for (k, v) in t {
        match k.as_str() {
            "layer" => {
                if let Some(s) = string(k, v, issues) {
                    match LayerKind::parse(&s) {
                        Some(l) => e.layer = Some(l),
                        None => issues.push(m_issue(
                            file,
                            IssueCode::ManifestInvalidValue,
                            &key_of(k),
                            format!(
                                "unknown layer {s:?}; known: {}; the entry was ignored",
                                LayerKind::ALL
                                    .iter()
                                    .map(|l| format!("{} ({})", l.name(), l.name_zh()))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )),
                    }
                }
            }
            "crs" => e.crs = string(k, v, issues),
            "encoding" => e.encoding = string(k, v, issues),
            "sheet" => e.sheet = string(k, v, issues),
            "header_row" => match v.as_integer() {
                Some(n) if n >= 1 && n <= i64::from(u32::MAX) => e.header_row = Some(n as u32),
                _ => issues.push(m_issue(
                    file,
                    IssueCode::ManifestInvalidValue,
                    &key_of(k),
                    format!("header_row must be a line or row number from 1, not {v}; ignored"),
                )),
            },
            "ignore" => match v.as_bool() {
                Some(b) => e.ignore = b,
                None => issues.push(m_issue(
                    file,
                    IssueCode::ManifestInvalidValue,
                    &key_of(k),
                    format!("ignore must be true or false, not {v}; ignored"),
                )),
            },
            "columns" => match v.as_table() {
                Some(cols) => {
                    for (from, to) in cols {
                        match to.as_str() {
                            Some(to) => e.columns.push((from.clone(), to.to_string())),
                            None => issues.push(m_issue(
                                file,
                                IssueCode::ManifestInvalidValue,
                                &key_of(&format!("columns.{from}")),
                                format!("a column rename must name a field as a string, not {to}; ignored"),
                            )),
                        }
                    }
                }
                None => issues.push(m_issue(
                    file,
                    IssueCode::ManifestInvalidValue,
                    &key_of(k),
                    "columns must be a table such as { \"企业名\" = \"name\" }; ignored".into(),
                )),
            },
            other => issues.push(m_issue(
                file,
                IssueCode::ManifestUnknownKey,
                &key_of(other),
                format!(
                    "unknown key {other:?} (known: layer, crs, encoding, sheet, header_row, columns, ignore); ignored"
                ),
            )),
        }
    }
    e
}

/// Checks column renames against the layer once the layer is known.
pub(crate) fn check_columns(e: &Entry, layer: LayerKind, file: &str) -> Vec<Issue> {
    e.columns
        .iter()
        .filter(|(_, to)| !Resolver::knows_target(layer, to))
        .map(|(from, to)| {
            m_issue(
                file,
                IssueCode::ManifestInvalidValue,
                &format!("files.{}.columns.{from}", e.path),
                format!(
                    "column {from:?} is renamed to {to:?}, which is no field of layer {layer} \
                     (see docs/data-model.md); the rename was ignored"
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_defaults_and_warnings() {
        let text = r#"
crs = "EPSG:4490"
colour = "red"

[files."企业台账.xlsx"]
layer = "企业"
sheet = "Sheet2"
header_row = 2
columns = { "企业名" = "name", "东经" = "lon", "乱码" = "nonsense" }
crss = "EPSG:4549"

[files."old/"]
ignore = true

[files."x.csv"]
layer = "roads"
"#;
        let m = parse(text, "riskmap.toml").expect("parses");
        assert_eq!(m.crs.as_deref(), Some("EPSG:4490"));
        let e = m.entry_for("企业台账.xlsx").expect("entry");
        assert_eq!(e.layer, Some(LayerKind::Enterprises));
        assert_eq!(
            (e.sheet.as_deref(), e.header_row),
            (Some("Sheet2"), Some(2))
        );
        assert_eq!(e.columns.len(), 3);
        assert!(m.entry_for("old/a.csv").is_some_and(|e| e.ignore));
        // Sorted: the table's key order depends on toml's `preserve_order` feature.
        let mut got: Vec<_> = m
            .issues
            .iter()
            .map(|i| (i.code, i.field.clone().unwrap_or_default()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (IssueCode::ManifestUnknownKey, "colour".to_string()),
                (
                    IssueCode::ManifestUnknownKey,
                    "files.企业台账.xlsx.crss".to_string()
                ),
                (
                    IssueCode::ManifestInvalidValue,
                    "files.x.csv.layer".to_string()
                ),
            ]
        );
        let c = check_columns(e, LayerKind::Enterprises, "riskmap.toml");
        assert_eq!(c.len(), 1);
        assert!(c[0].message.contains("nonsense"));
    }

    #[test]
    fn syntax_errors_stop_with_a_position() {
        match parse("crs = \"EPSG:4490\"\n[files\n", "riskmap.toml") {
            Err(LoadError::Manifest { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
