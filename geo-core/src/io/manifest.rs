//! `riskmap.toml`: which file is which layer, in which CRS and encoding, and which
//! columns mean what.
//!
//! ```toml
//! crs = "EPSG:4490"        # default for every file (optional)
//! encoding = "gbk"         # default for every text file (optional)
//! as_of = "2026-11-30"     # the day the ledgers were exported (数据截止日期, optional)
//!
//! [statuses]                # this province's words for the hidden hazards' stages
//! pending = ["已交办"]
//! rectified = "待复核"
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

use serde::Deserialize;

use crate::config_keys::{UnknownKeys, key_path};
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
    /// The day the ledgers were exported: hidden hazards are counted on it unless the
    /// run names another day.
    pub as_of: Option<crate::model::Day>,
    /// The words this data's ledgers use for the stages of the hidden hazards' closed
    /// loop, beside the standard ones (`[statuses]`): the lifecycle varies by province.
    pub statuses: Vec<(String, crate::model::HiddenHazardStatus)>,
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

/// Keys of the manifest's top level, for the warning about an unknown one.
const TOP_KEYS: &str = "crs, encoding, as_of, statuses, files";

/// The manifest's top level as read. Values stay raw and are checked one by one below, so
/// that a bad value is a warning about its key rather than a refusal of the whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawManifest {
    crs: Option<toml::Value>,
    encoding: Option<toml::Value>,
    as_of: Option<toml::Value>,
    statuses: Option<toml::Value>,
    files: Option<toml::Value>,
    #[serde(flatten)]
    unknown: UnknownKeys,
}

/// Reads `[statuses]`: for each stage of the loop (its key or Chinese name), the words
/// (a string or a list of strings) a province's ledgers write for it. A word the standard
/// vocabulary already gives another stage is refused, so that no ledger changes meaning.
pub(crate) fn status_words(
    value: &toml::Value,
    out: &mut Vec<(String, crate::model::HiddenHazardStatus)>,
    warn: &mut dyn FnMut(&str, String),
) {
    use crate::model::HiddenHazardStatus as S;
    let std_word = |w: &str| {
        S::ALL
            .iter()
            .copied()
            .find(|v| v.key() == w || v.name_zh() == w)
            .or_else(|| S::parse(w))
    };
    let toml::Value::Table(t) = value else {
        warn(
            "statuses",
            format!(
                "statuses must be a table such as {{ pending = [\"已交办\"] }}, not {value}; ignored"
            ),
        );
        return;
    };
    for (stage, words) in t {
        let key = format!("statuses.{stage}");
        let Some(s) = std_word(stage) else {
            let stages: Vec<String> = S::ALL
                .iter()
                .map(|v| format!("{} ({})", v.key(), v.name_zh()))
                .collect();
            warn(
                &key,
                format!(
                    "{stage:?} is not a stage of the loop ({}); ignored",
                    stages.join(", ")
                ),
            );
            continue;
        };
        let list: Vec<&toml::Value> = match words {
            toml::Value::Array(a) => a.iter().collect(),
            w => vec![w],
        };
        for w in list {
            let Some(word) = w.as_str().map(str::trim).filter(|w| !w.is_empty()) else {
                warn(&key, format!("{w} is not a word; ignored"));
                continue;
            };
            match std_word(word) {
                Some(std) if std != s => warn(
                    &key,
                    format!(
                        "{word:?} already means {} ({}); not taken for {}",
                        std.name_zh(),
                        std.key(),
                        s.key()
                    ),
                ),
                _ => match out.iter().find(|(w, _)| w == word) {
                    Some((_, other)) if *other != s => warn(
                        &key,
                        format!(
                            "{word:?} is already given to {}; not taken for {} too",
                            other.key(),
                            s.key()
                        ),
                    ),
                    Some(_) => {}
                    None => out.push((word.to_string(), s)),
                },
            }
        }
    }
}

/// Keys of a `[files."…"]` entry, for the warning about an unknown one.
const ENTRY_KEYS: &str = "layer, crs, encoding, sheet, header_row, columns, ignore";

/// One `[files."…"]` entry as read, values raw like [`RawManifest`]'s.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEntry {
    layer: Option<toml::Value>,
    crs: Option<toml::Value>,
    encoding: Option<toml::Value>,
    sheet: Option<toml::Value>,
    header_row: Option<toml::Value>,
    columns: Option<toml::Value>,
    ignore: Option<toml::Value>,
    #[serde(flatten)]
    unknown: UnknownKeys,
}

/// The warnings of one table, each under the key it is about; [`in_file_order`] puts them
/// in the order the keys appear in the file.
type Keyed = Vec<(String, Issue)>;

fn in_file_order(keys: &[String], mut issues: Keyed) -> Vec<Issue> {
    issues.sort_by_key(|(k, _)| keys.iter().position(|x| x == k));
    issues.into_iter().map(|(_, i)| i).collect()
}

/// Warnings about the unknown keys of the table at `path`, each naming the key's full path.
fn unknown_key_issues(unknown: &UnknownKeys, path: &str, known: &str, file: &str) -> Keyed {
    unknown
        .keys()
        .map(|k| {
            let p = key_path(path, k);
            let issue = m_issue(
                file,
                IssueCode::ManifestUnknownKey,
                &p,
                format!("unknown key {p:?} (known: {known}); ignored"),
            );
            (k.to_string(), issue)
        })
        .collect()
}

/// Parses the manifest text; `file` is its name for messages.
pub(crate) fn parse(text: &str, file: &str) -> Result<Manifest, LoadError> {
    let syntax = |e: toml::de::Error| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        LoadError::Manifest {
            file: file.to_string(),
            line,
            column,
            source: Box::new(e),
        }
    };
    let table: toml::Table = toml::from_str(text).map_err(syntax)?;
    let order: Vec<String> = table.keys().cloned().collect();
    let raw: RawManifest = toml::Value::Table(table).try_into().map_err(syntax)?;
    let mut m = Manifest::default();
    let warn = |key: &str, message: String| {
        (
            key.to_string(),
            m_issue(file, IssueCode::ManifestInvalidValue, key, message),
        )
    };
    let mut issues = unknown_key_issues(&raw.unknown, "", TOP_KEYS, file);
    if let Some(value) = &raw.crs {
        match value.as_str() {
            Some(s) => m.crs = Some(s.to_string()),
            None => issues.push(warn(
                "crs",
                format!("crs must be a string such as \"EPSG:4549\", not {value}; ignored"),
            )),
        }
    }
    if let Some(value) = &raw.encoding {
        match value.as_str() {
            Some(s) => m.encoding = Some(s.to_string()),
            None => issues.push(warn(
                "encoding",
                format!("encoding must be a string such as \"gbk\", not {value}; ignored"),
            )),
        }
    }
    if let Some(value) = &raw.as_of {
        // A TOML date (as_of = 2026-11-30) or a string ("2026-11-30").
        let text = match value {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Datetime(d) => Some(d.to_string()),
            _ => None,
        };
        match text.as_deref().and_then(crate::model::Day::parse_iso) {
            Some(d) => m.as_of = Some(d),
            None => issues.push(warn(
                "as_of",
                format!("as_of must be a date such as \"2026-11-30\", not {value}; ignored"),
            )),
        }
    }
    if let Some(value) = &raw.statuses {
        status_words(value, &mut m.statuses, &mut |k, msg| {
            issues.push(warn(k, msg))
        });
    }
    match raw.files {
        Some(toml::Value::Table(files)) => {
            let mut file_issues = Vec::new();
            for (path, v) in files {
                let toml::Value::Table(t) = v else {
                    file_issues.push(m_issue(
                        file,
                        IssueCode::ManifestInvalidValue,
                        &format!("files.{path}"),
                        format!(
                            "files.{path:?} must be a table such as {{ layer = \"houses\" }}; ignored"
                        ),
                    ));
                    continue;
                };
                m.files.push(entry(&path, t, &mut file_issues, file));
            }
            issues.extend(file_issues.into_iter().map(|i| ("files".to_string(), i)));
        }
        Some(_) => issues.push(warn(
            "files",
            "files must be a table of file names; ignored".into(),
        )),
        None => {}
    }
    m.issues = in_file_order(&order, issues);
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

fn entry(path: &str, t: toml::Table, issues: &mut Vec<Issue>, file: &str) -> Entry {
    let mut e = Entry {
        path: path
            .replace('\\', "/")
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string(),
        ..Entry::default()
    };
    let prefix = key_path("files", path);
    let order: Vec<String> = t.keys().cloned().collect();
    let raw: RawEntry = match toml::Value::Table(t).try_into() {
        Ok(raw) => raw,
        // Every key of a table fits a raw entry; this only guards the impossible.
        Err(err) => {
            issues.push(m_issue(
                file,
                IssueCode::ManifestInvalidValue,
                &prefix,
                format!("{err}; the entry was ignored"),
            ));
            return e;
        }
    };
    let mut keyed = unknown_key_issues(&raw.unknown, &prefix, ENTRY_KEYS, file);
    let invalid = |k: &str, message: String| {
        (
            k.to_string(),
            m_issue(
                file,
                IssueCode::ManifestInvalidValue,
                &key_path(&prefix, k),
                message,
            ),
        )
    };
    let string = |k: &str, v: &Option<toml::Value>, keyed: &mut Keyed| -> Option<String> {
        let v = v.as_ref()?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                keyed.push(invalid(
                    k,
                    format!("{k} must be a string, not {v}; ignored"),
                ));
                None
            }
        }
    };
    if let Some(s) = string("layer", &raw.layer, &mut keyed) {
        match LayerKind::parse(&s) {
            Some(l) => e.layer = Some(l),
            None => keyed.push(invalid(
                "layer",
                format!(
                    "unknown layer {s:?}; known: {}; the entry was ignored",
                    LayerKind::INPUTS
                        .iter()
                        .map(|l| format!("{} ({})", l.name(), l.name_zh()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    e.crs = string("crs", &raw.crs, &mut keyed);
    e.encoding = string("encoding", &raw.encoding, &mut keyed);
    e.sheet = string("sheet", &raw.sheet, &mut keyed);
    if let Some(v) = &raw.header_row {
        match v.as_integer() {
            Some(n) if n >= 1 && n <= i64::from(u32::MAX) => e.header_row = Some(n as u32),
            _ => keyed.push(invalid(
                "header_row",
                format!("header_row must be a line or row number from 1, not {v}; ignored"),
            )),
        }
    }
    if let Some(v) = &raw.ignore {
        match v.as_bool() {
            Some(b) => e.ignore = b,
            None => keyed.push(invalid(
                "ignore",
                format!("ignore must be true or false, not {v}; ignored"),
            )),
        }
    }
    if let Some(v) = &raw.columns {
        match v.as_table() {
            Some(cols) => {
                for (from, to) in cols {
                    match to.as_str() {
                        Some(to) => e.columns.push((from.clone(), to.to_string())),
                        None => keyed.push((
                            "columns".to_string(),
                            m_issue(
                                file,
                                IssueCode::ManifestInvalidValue,
                                &key_path(&prefix, &format!("columns.{from}")),
                                format!(
                                    "a column rename must name a field as a string, not {to}; ignored"
                                ),
                            ),
                        )),
                    }
                }
            }
            None => keyed.push(invalid(
                "columns",
                "columns must be a table such as { \"企业名\" = \"name\" }; ignored".into(),
            )),
        }
    }
    issues.extend(in_file_order(&order, keyed));
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
    fn unknown_nested_keys_name_their_full_path_and_the_file() {
        let m = parse(
            "[files.\"台账/a.csv\"]\nlayer = \"houses\"\ncolums = { x = \"name\" }\n",
            "riskmap.toml",
        )
        .expect("parses");
        assert_eq!(m.issues.len(), 1, "{:?}", m.issues);
        let i = &m.issues[0];
        assert_eq!(i.code, IssueCode::ManifestUnknownKey);
        assert_eq!(i.file, "riskmap.toml");
        assert_eq!(i.field.as_deref(), Some("files.台账/a.csv.colums"));
        assert!(
            i.message.contains("\"files.台账/a.csv.colums\""),
            "{}",
            i.message
        );
    }

    #[test]
    fn warnings_follow_the_order_of_the_keys_in_the_file() {
        let m = parse(
            // In alphabetical order too, which the table keeps with or without toml's
            // `preserve_order` feature.
            "crs = 1\ndolour = 2\nencoding = 3\n[files.a]\nignore = 1\nlayr = 2\nsheet = 3\n",
            "riskmap.toml",
        )
        .expect("parses");
        let fields: Vec<_> = m.issues.iter().filter_map(|i| i.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "crs",
                "dolour",
                "encoding",
                "files.a.ignore",
                "files.a.layr",
                "files.a.sheet"
            ]
        );
    }

    #[test]
    fn known_key_lists_name_every_key_of_their_table() {
        let all = |keys: &str| {
            keys.split(", ")
                .map(|k| format!("{k} = true\n"))
                .collect::<String>()
        };
        let top: RawManifest = toml::from_str(&all(TOP_KEYS)).expect("parses");
        assert!(
            matches!(
                top,
                RawManifest {
                    crs: Some(_),
                    encoding: Some(_),
                    as_of: Some(_),
                    statuses: Some(_),
                    files: Some(_),
                    ref unknown,
                } if unknown.is_empty()
            ),
            "{top:?}"
        );
        let entry: RawEntry = toml::from_str(&all(ENTRY_KEYS)).expect("parses");
        assert!(
            matches!(
                entry,
                RawEntry {
                    layer: Some(_),
                    crs: Some(_),
                    encoding: Some(_),
                    sheet: Some(_),
                    header_row: Some(_),
                    columns: Some(_),
                    ignore: Some(_),
                    ref unknown,
                } if unknown.is_empty()
            ),
            "{entry:?}"
        );
    }

    #[test]
    fn syntax_errors_stop_with_a_position() {
        match parse("crs = \"EPSG:4490\"\n[files\n", "riskmap.toml") {
            Err(LoadError::Manifest { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
