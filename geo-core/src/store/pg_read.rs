//! Reading a PostGIS store's tables as rows for the loaders (all of a layer, or the rows
//! a batch of changes names) and the numbers of its change table: what a server reads
//! at its start and as it follows the database. Split from `pg`, which re-exports it.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::StoreError;
use super::columns::ColType;
use super::pg::{Db, table_exists};
use super::pg_schema::{CHANGES, field_columns};
use super::wkb;
use crate::io::{GEOMETRY_ERROR, LayerRows, Row, RowValue};
use crate::model::LayerKind;

/// Reads every input layer's table as rows for [`crate::io::load_rows`]: the id, the
/// geometry (sent as WKB, read with the GeoPackage decoder), the ledger fields by column
/// name. A table that is missing is left out; the rows of a table come in id order, the
/// position being the row's number in that order (from 1).
pub async fn read(client: &Client, db: &Db) -> Result<Vec<LayerRows>, StoreError> {
    let mut out = Vec::new();
    for kind in LayerKind::INPUTS {
        if let Some(l) = read_layer(client, db, kind, None).await? {
            out.push(l);
        }
    }
    Ok(out)
}

/// The rows of one input layer's table as [`read`] gives them: all of them, or only
/// those whose id is in `ids` (one query, `id = ANY($1)`; an id without a row is simply
/// not among them). `None` when the table is missing or `kind` is not an input layer.
pub async fn read_layer(
    client: &Client,
    db: &Db,
    kind: LayerKind,
    ids: Option<&[String]>,
) -> Result<Option<LayerRows>, StoreError> {
    let Some(fields) = field_columns(kind) else {
        return Ok(None);
    };
    let t = kind.name();
    if !table_exists(client, db, t).await? {
        return Ok(None);
    }
    let select = select_of(t, fields);
    let rows = match ids {
        None => client.query(&format!("{select} ORDER BY id"), &[]).await,
        // (one round trip: the parameter's type given, no statement prepared)
        Some(ids) => {
            client
                .query_typed(
                    &format!("{select} WHERE id = ANY($1) ORDER BY id"),
                    &[(&ids, Type::TEXT_ARRAY)],
                )
                .await
        }
    }
    .map_err(db.err("reading a layer table"))?;
    let mut layer = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        layer.push(row_of(r, fields, t, i + 1, db)?);
    }
    Ok(Some(LayerRows {
        kind,
        name: format!("{}/{t}", db.shown()),
        rows: layer,
    }))
}

/// The SELECT of a layer's table as [`row_of`] reads it: id, geometry as WKB, the fields.
pub(super) fn select_of(t: &str, fields: &[(&str, ColType)]) -> String {
    let names: String = fields.iter().map(|(n, _)| format!(", {n}")).collect();
    format!("SELECT id, ST_AsBinary(geom){names} FROM {t}")
}

/// Row `number` (from 1, in id order) of table `t` as the loaders take it.
pub(super) fn row_of(
    r: &tokio_postgres::Row,
    fields: &[(&str, ColType)],
    t: &str,
    number: usize,
    db: &Db,
) -> Result<Row, StoreError> {
    let cell = |e: tokio_postgres::Error| db.problem(format!("table {t}, row {number}: {e}"));
    let id: String = r.try_get(0).map_err(cell)?;
    let wkb: Option<Vec<u8>> = r.try_get(1).map_err(cell)?;
    let mut values = Vec::with_capacity(fields.len() + 1);
    let geometry = match wkb.as_deref().map(wkb::decode_wkb) {
        None => None,
        Some(Ok(g)) => Some(g),
        Some(Err(e)) => {
            // Reported by the loader as an invalid geometry, as a file's would be.
            values.push((
                GEOMETRY_ERROR.to_string(),
                RowValue::Text(format!("the geom value cannot be read: {e}")),
            ));
            None
        }
    };
    for (j, (name, ty)) in fields.iter().enumerate() {
        let k = j + 2;
        let v = match ty {
            ColType::Text | ColType::Json => r
                .try_get::<_, Option<String>>(k)
                .map(|v| v.map_or(RowValue::Null, RowValue::Text)),
            ColType::Real => r
                .try_get::<_, Option<f64>>(k)
                .map(|v| v.map_or(RowValue::Null, RowValue::Real)),
            ColType::Integer => r
                .try_get::<_, Option<i64>>(k)
                .map(|v| v.map_or(RowValue::Null, RowValue::Int)),
            ColType::Boolean => r
                .try_get::<_, Option<bool>>(k)
                .map(|v| v.map_or(RowValue::Null, RowValue::Bool)),
        }
        .map_err(cell)?;
        values.push(((*name).to_string(), v));
    }
    Ok(Row {
        position: u64::try_from(number).unwrap_or(u64::MAX),
        id: Some(id),
        geometry,
        fields: values,
    })
}

/// The sequence number of the last change recorded in `riskmap_changes` (0 when there
/// is none, or no change table yet).
pub async fn last_change(client: &Client, db: &Db) -> Result<i64, StoreError> {
    if !table_exists(client, db, CHANGES).await? {
        return Ok(0);
    }
    client
        .query_one(&format!("SELECT coalesce(max(seq), 0) FROM {CHANGES}"), &[])
        .await
        .map(|r| r.get::<_, i64>(0))
        .map_err(db.err("reading the last change"))
}

/// The features changed after change `seq`: each (layer, id) once, with the number of
/// its last change, in the order of those numbers. Layers that are not input layers are
/// left out.
pub async fn changed_since(
    client: &Client,
    db: &Db,
    seq: i64,
) -> Result<Vec<(LayerKind, String, i64)>, StoreError> {
    let rows = client
        .query(
            &format!(
                "SELECT layer, id, max(seq) AS last FROM {CHANGES} WHERE seq > $1
                 GROUP BY layer, id ORDER BY last"
            ),
            &[&seq],
        )
        .await
        .map_err(db.err("reading the changes"))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let layer: String = r.get(0);
            let kind = LayerKind::from_name(&layer).filter(|k| field_columns(*k).is_some())?;
            Some((kind, r.get::<_, String>(1), r.get::<_, i64>(2)))
        })
        .collect())
}
