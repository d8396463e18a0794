//! Reading a GeoPackage feature table back into a typed layer.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::columns::{ColType, Column, ID, sql_err, table_info};
use super::schema::{self, q};
use super::{StoreError, wkb};
use crate::dataset::Layer;
use crate::model::{Feature, LayerKind, SourceRef};

/// The column of the time a row was last written, which is not a ledger field.
const UPDATED_AT: &str = "updated_at";

pub(super) struct Reader<'a> {
    pub(super) c: &'a Connection,
    pub(super) path: &'a Path,
}

impl Reader<'_> {
    pub(super) fn layer<P: DeserializeOwned + Serialize + Default>(
        &self,
        kind: LayerKind,
    ) -> Result<Layer<P>, StoreError> {
        let sql = sql_err(self.path);
        let table = kind.name();
        if !schema::table_exists(self.c, table).map_err(&sql)? {
            return Ok(Layer::empty(kind));
        }
        let info = table_info(self.c, self.path, table)?;
        let fields: Vec<&Column> = info
            .columns
            .iter()
            .filter(|c| c.name != info.pk && c.name != info.geom)
            .filter(|c| c.name != ID && c.name != UPDATED_AT)
            .collect();
        let list: String = fields.iter().map(|c| format!(", {}", q(&c.name))).collect();
        let (pk, g) = (q(&info.pk), q(&info.geom));
        let mut st = self
            .c
            .prepare(&format!(
                "SELECT {pk}, {ID}, {g}{list} FROM {} ORDER BY {pk}",
                q(table)
            ))
            .map_err(&sql)?;
        let mut rs = st.query([]).map_err(&sql)?;
        let file = self
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let defaults = match serde_json::to_value(P::default()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut out = Vec::new();
        while let Some(r) = rs.next().map_err(&sql)? {
            let fid: i64 = r.get(0).map_err(&sql)?;
            let id = match r.get_ref(1).map_err(&sql)? {
                ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                ValueRef::Integer(i) => i.to_string(),
                _ => return Err(self.field(table, &format!("fid {fid}"), ID, "no id")),
            };
            let geometry = match r.get_ref(2).map_err(&sql)? {
                ValueRef::Blob(b) => wkb::decode(b).map_err(|source| StoreError::Geometry {
                    path: self.path.to_path_buf(),
                    table: table.into(),
                    id: id.clone(),
                    column: info.geom.clone(),
                    source,
                })?,
                _ => return Err(self.field(table, &id, &info.geom, "no geometry")),
            };
            let mut m = Map::new();
            for (i, c) in fields.iter().enumerate() {
                let v = json_of(r.get_ref(3 + i).map_err(&sql)?, c.ty)
                    .map_err(|e| self.field(table, &id, &c.name, &e))?;
                m.insert(c.name.clone(), v);
            }
            let props = self.props::<P>(table, &id, m, &defaults)?;
            out.push(Feature {
                id,
                geometry,
                props,
                source: SourceRef {
                    file: format!("{file}/{table}"),
                    position: u64::try_from(fid).unwrap_or_default(),
                },
            });
        }
        Ok(Layer::new(kind, out))
    }

    /// The props of one row. A value another program wrote as text (a list, a record, a
    /// number in a TEXT column) is parsed as JSON when its field needs it; a value that
    /// fits neither way is an error naming its column.
    fn props<P: DeserializeOwned>(
        &self,
        table: &str,
        id: &str,
        mut m: Map<String, Value>,
        defaults: &Map<String, Value>,
    ) -> Result<P, StoreError> {
        let err = match serde_json::from_value::<P>(Value::Object(m.clone())) {
            Ok(p) => return Ok(p),
            Err(e) => e,
        };
        let fits = |k: &str, v: &Value| {
            let mut one = defaults.clone();
            one.insert(k.into(), v.clone());
            serde_json::from_value::<P>(Value::Object(one)).map(|_| ())
        };
        for (k, v) in m.iter_mut() {
            let Err(e) = fits(k, v) else { continue };
            let parsed = match v {
                Value::String(s) => serde_json::from_str::<Value>(s).ok(),
                _ => None,
            };
            match parsed {
                Some(p) if fits(k, &p).is_ok() => *v = p,
                _ => return Err(self.field(table, id, k, &format!("{v}: {e}"))),
            }
        }
        serde_json::from_value::<P>(Value::Object(m))
            .map_err(|_| self.field(table, id, "(row)", &err.to_string()))
    }

    fn field(&self, table: &str, id: &str, column: &str, reason: &str) -> StoreError {
        StoreError::Field {
            path: PathBuf::from(self.path),
            table: table.into(),
            id: id.into(),
            column: column.into(),
            reason: reason.into(),
        }
    }
}

/// The JSON value of one cell.
fn json_of(v: ValueRef<'_>, ty: ColType) -> Result<Value, String> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if ty == ColType::Boolean => Value::Bool(i != 0),
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} is not a finite number"))?,
        ValueRef::Text(s) => {
            let s = std::str::from_utf8(s).map_err(|e| format!("text is not UTF-8: {e}"))?;
            if ty == ColType::Json {
                serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?
            } else {
                Value::String(s.into())
            }
        }
        ValueRef::Blob(_) => return Err("a BLOB where a ledger value was expected".into()),
    })
}
