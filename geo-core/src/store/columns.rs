//! The columns of a GeoPackage feature table: their SQL types from the ledger values,
//! the layout of an existing table, and the errors of SQLite named by file.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, ErrorCode};
use serde_json::Value;

use super::StoreError;
use super::schema::{self, q};

/// The ledger id column.
pub(super) const ID: &str = "id";

pub(super) fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => not_gpkg(path, "not an SQLite database"),
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

pub(super) fn not_gpkg(path: &Path, reason: &str) -> StoreError {
    StoreError::NotGeoPackage {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The SQL type of a field column, from the JSON values of the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColType {
    Text,
    Real,
    Integer,
    Boolean,
    Json,
}

impl ColType {
    pub(super) fn sql(self) -> &'static str {
        match self {
            ColType::Text | ColType::Json => "TEXT",
            ColType::Real => "REAL",
            ColType::Integer => "INTEGER",
            ColType::Boolean => "BOOLEAN",
        }
    }
    /// The PostgreSQL type of a column of this type.
    #[cfg(feature = "postgis")]
    pub(super) fn pg(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Real => "double precision",
            ColType::Integer => "bigint",
            ColType::Boolean => "boolean",
            ColType::Json => "jsonb",
        }
    }
    pub(super) fn of(v: &Value) -> Option<ColType> {
        match v {
            Value::Null => None,
            Value::Bool(_) => Some(ColType::Boolean),
            Value::Number(n) if n.is_f64() => Some(ColType::Real),
            Value::Number(_) => Some(ColType::Integer),
            Value::String(_) => Some(ColType::Text),
            Value::Array(_) | Value::Object(_) => Some(ColType::Json),
        }
    }
    pub(super) fn join(a: Option<ColType>, b: Option<ColType>) -> Option<ColType> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(ColType::Integer | ColType::Real), Some(ColType::Integer | ColType::Real)) => {
                Some(ColType::Real)
            }
            _ => Some(ColType::Text),
        }
    }
    /// From a declared column type (`PRAGMA table_info`).
    pub(super) fn declared(decl: &str) -> ColType {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            ColType::Integer
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            ColType::Real
        } else if d.contains("BOOL") {
            ColType::Boolean
        } else {
            ColType::Text
        }
    }
    /// The SQL value of a JSON value in a column of this type.
    pub(super) fn to_sql(self, v: &Value) -> Sql {
        match v {
            Value::Null => Sql::Null,
            // A text column stores what SQLite would turn the value into anyway, so that
            // comparing with the stored row is exact.
            Value::Bool(_) | Value::Number(_) if self == ColType::Text => Sql::Text(v.to_string()),
            Value::Bool(b) => Sql::Integer(i64::from(*b)),
            Value::Number(n) => match (self, n.as_i64()) {
                (ColType::Real, _) | (_, None) => Sql::Real(n.as_f64().unwrap_or(f64::NAN)),
                (_, Some(i)) => Sql::Integer(i),
            },
            Value::String(s) => Sql::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => Sql::Text(v.to_string()),
        }
    }
}

/// One column of a feature table.
pub(super) struct Column {
    pub(super) name: String,
    pub(super) ty: ColType,
}

/// The layout of an existing feature table.
pub(super) struct TableInfo {
    pub(super) pk: String,
    pub(super) geom: String,
    /// Whether the table has the ledger id column (a table made in GIS software may not).
    pub(super) has_id: bool,
    pub(super) columns: Vec<Column>,
}

pub(super) fn table_info(
    c: &Connection,
    path: &Path,
    table: &str,
) -> Result<TableInfo, StoreError> {
    let sql = sql_err(path);
    let terr = |reason: String| StoreError::Table {
        path: path.to_path_buf(),
        table: table.into(),
        reason,
    };
    let mut st = c
        .prepare_cached(&format!("PRAGMA table_info({})", q(table)))
        .map_err(&sql)?;
    let cols: Vec<(String, String, i64)> = st
        .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(5)?)))
        .map_err(&sql)?
        .collect::<Result<_, _>>()
        .map_err(&sql)?;
    let geom: String = c
        .prepare_cached("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?")
        .and_then(|mut st| st.query_row([table], |r| r.get(0)))
        .map_err(|_| terr("not registered in gpkg_geometry_columns".into()))?;
    let pk = cols
        .iter()
        .find(|(_, _, pk)| *pk == 1)
        .map(|(n, _, _)| n.clone())
        .ok_or_else(|| terr("no integer primary key".into()))?;
    let has_id = cols.iter().any(|(n, _, _)| n == ID);
    let json: HashSet<String> = if schema::table_exists(c, "gpkg_data_columns").map_err(&sql)? {
        let mut st = c
            .prepare_cached(
                "SELECT column_name FROM gpkg_data_columns
                 WHERE table_name = ? AND mime_type = 'application/json'",
            )
            .map_err(&sql)?;
        st.query_map([table], |r| r.get(0))
            .map_err(&sql)?
            .collect::<Result<_, _>>()
            .map_err(&sql)?
    } else {
        HashSet::new()
    };
    let columns = cols
        .into_iter()
        .map(|(name, decl, _)| Column {
            ty: if json.contains(&name) {
                ColType::Json
            } else {
                ColType::declared(&decl)
            },
            name,
        })
        .collect();
    Ok(TableInfo {
        pk,
        geom,
        has_id,
        columns,
    })
}
