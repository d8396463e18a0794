//! A province's words for the hidden hazards' stages, kept in a store.
//!
//! A folder's ledgers say in `riskmap.toml` (`[statuses]`) what their own status words
//! mean (已交办 for 待整改, say). A store has no such file, so `riskmap import` keeps the
//! words in a table of the store, `riskmap_status_words` (`word`, `stage`; a GeoPackage's
//! also its `fid`), one row a word, and a load of the store reads its ledgers with them, as a load of the folder
//! did; the served store's edits take them too. It is a plain table: an office that
//! adopts another word adds a row in QGIS or SQL. The rows are checked as `[statuses]`
//! is: a word the standard vocabulary gives another stage, or one given to two stages,
//! is refused with a warning naming the row.

use std::path::Path;

use rusqlite::Connection;

use crate::io::{Issue, IssueCode, Severity};
use crate::model::HiddenHazardStatus;

/// The table's name, in a GeoPackage and in PostGIS.
pub const WORDS_TABLE: &str = "riskmap_status_words";

/// Words and the stages they stand for.
pub type StatusWords = Vec<(String, HiddenHazardStatus)>;

/// Creates the table in a GeoPackage (an attributes table with its integer key, as the
/// standard asks, so that GDAL and QGIS list and edit it), if it is not there.
pub(super) fn create_gpkg(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {WORDS_TABLE} (
           fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
           word TEXT NOT NULL UNIQUE, stage TEXT NOT NULL);
         INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
           VALUES ('{WORDS_TABLE}', 'attributes', '{WORDS_TABLE}',
                   'This province''s words for the hidden hazards'' stages (stage: pending, in_progress, rectified, closed, supervised)');"
    ))
}

/// Replaces the words of a GeoPackage, in the caller's transaction.
pub(super) fn write_gpkg(
    c: &Connection,
    words: &[(String, HiddenHazardStatus)],
) -> rusqlite::Result<()> {
    create_gpkg(c)?;
    c.execute(&format!("DELETE FROM {WORDS_TABLE}"), [])?;
    let mut st = c.prepare(&format!(
        "INSERT OR REPLACE INTO {WORDS_TABLE} (word, stage) VALUES (?, ?)"
    ))?;
    for (w, s) in words {
        st.execute([w.as_str(), s.key()])?;
    }
    Ok(())
}

/// The rows of a GeoPackage's table, in the order they were written; none without it.
pub(super) fn read_gpkg(c: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    if !super::schema::table_exists(c, WORDS_TABLE)? {
        return Ok(Vec::new());
    }
    let mut st = c.prepare(&format!(
        "SELECT CAST(word AS TEXT), CAST(stage AS TEXT) FROM {WORDS_TABLE} ORDER BY fid"
    ))?;
    st.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        ))
    })?
    .collect()
}

/// The words of a GeoPackage's table, checked; warnings for the rows refused.
pub fn of_gpkg(path: &Path) -> Result<(StatusWords, Vec<Issue>), super::StoreError> {
    let c = super::gpkg::open(path, true)?;
    let rows = read_gpkg(&c).map_err(super::columns::sql_err(path))?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(checked(&rows, &format!("{file}/{WORDS_TABLE}")))
}

/// Loads a store's ledger rows ([`crate::io::load_rows`]) with its own words for the
/// stages beside the run's, as a folder's load takes its `[statuses]`; the warnings about
/// its words come first in the report.
pub(super) fn load_rows_with(
    layers: Vec<Box<dyn crate::io::RowParts + '_>>,
    opts: &crate::io::LoadOptions,
    (words, warnings): (StatusWords, Vec<Issue>),
) -> Result<crate::io::Loaded, crate::io::LoadError> {
    let mut loaded = crate::io::load_row_parts(layers, &opts.with_statuses(&words))?;
    loaded.report.issues.splice(0..0, warnings);
    loaded.statuses = words;
    Ok(loaded)
}

/// The rows as words, with the checks of `[statuses]`; `file` names the table in the
/// warnings, each of which names its word.
pub fn checked(rows: &[(String, String)], file: &str) -> (StatusWords, Vec<Issue>) {
    let mut table = toml::Table::new();
    for (word, stage) in rows {
        let list = table
            .entry(stage.trim().to_string())
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        if let toml::Value::Array(a) = list {
            a.push(toml::Value::String(word.clone()));
        }
    }
    let mut words = Vec::new();
    let mut issues = Vec::new();
    crate::io::status_words(
        &toml::Value::Table(table),
        &mut words,
        &mut |key, message| {
            issues.push(Issue {
                severity: Severity::Warning,
                code: IssueCode::ManifestInvalidValue,
                file: file.to_string(),
                layer: None,
                position: None,
                feature_id: None,
                field: Some(key.to_string()),
                message,
            });
        },
    );
    (words, issues)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use HiddenHazardStatus as S;

    #[test]
    fn rows_are_checked_as_the_manifest_is() {
        let rows: Vec<(String, String)> = [
            ("已交办", "pending"),
            ("待复核", "已整改待验收"),
            ("整改中", "closed"),
            ("x", "nonsense"),
        ]
        .iter()
        .map(|(w, s)| (w.to_string(), s.to_string()))
        .collect();
        let (words, issues) = checked(&rows, "city.gpkg/riskmap_status_words");
        assert_eq!(
            words,
            [
                ("已交办".to_string(), S::Pending),
                ("待复核".to_string(), S::Rectified)
            ]
        );
        let fields: Vec<&str> = issues.iter().filter_map(|i| i.field.as_deref()).collect();
        assert_eq!(fields, ["statuses.closed", "statuses.nonsense"]);
        assert!(
            issues[0]
                .message
                .contains("\"整改中\" already means 整改中")
        );
        assert!(
            issues
                .iter()
                .all(|i| i.file == "city.gpkg/riskmap_status_words")
        );
    }
}
