//! The results of an analysis written into a PostGIS store beside its ledgers: the same
//! `result_…` tables, rows and columns as in a GeoPackage ([`super::results`] builds
//! them once for both), so that QGIS shows them as layers of the database.
//!
//! A table holds `fid bigserial PRIMARY KEY`, `id text`, `geom geometry(<type>, SRID)`
//! in the store's SRID (4326 or 4490; `<type>` is the one type of its rows, else
//! `Geometry`) with a GiST index, and one column per field (`text`, `double precision`,
//! `bigint`, `boolean`). Its comment says that riskmap wrote it, and when. Every write
//! drops every `result_…` table and makes them again, filled with `COPY` (geometries as
//! hex EWKB), in one transaction that waits for imports as they wait for each other.
//! The ledger tables and `riskmap_changes` are not touched: the result tables have no
//! triggers, so writing them records no change and notifies nobody.

use tokio_postgres::{Client, Transaction};

use super::pg::{CopyText, Db, escape, ewkb_hex, field_text, lock, table_exists};
use super::pg_schema::{SCHEMA_VERSION, VERSION_TABLE};
use super::results::{ResultTable, result_tables};
use super::schema::q;
use super::{RESULT_PREFIX, StoreError};
use crate::analysis::Analysis;
use crate::dataset::Dataset;

/// Replaces the result tables of the database by those of `a` (computed from its
/// ledgers), in one transaction; the ledger tables and the change table are not
/// touched. Returns each table written with its row count, as the GeoPackage writer
/// ([`super::results::write_results`]) does. The schema must be in place (`db init` or
/// an import made it). A view or other object of the database that depends on a result
/// table makes the write fail rather than be dropped with it.
pub async fn write_results(
    client: &mut Client,
    db: &Db,
    ds: &Dataset,
    a: &Analysis,
) -> Result<Vec<(String, usize)>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(db.err("starting a transaction"))?;
    lock(&tx, db).await?;
    let srid = store_srid(&tx, db).await?;
    let at: String = tx
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )
        .await
        .map_err(db.err("reading the time"))?
        .get(0);
    let old: Vec<String> = tx
        .query(
            "SELECT relname::text FROM pg_class
             WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace
               AND left(relname::text, length($1)) = $1
             ORDER BY relname",
            &[&RESULT_PREFIX],
        )
        .await
        .map_err(db.err("reading the catalog"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !old.is_empty() {
        let list: Vec<String> = old.iter().map(|t| q(t)).collect();
        tx.batch_execute(&format!("DROP TABLE {}", list.join(", ")))
            .await
            .map_err(db.err("dropping the previous result tables"))?;
    }
    let comment = format!(
        "RiskMap analysis result, written by riskmap {} at {at}; replaced by the next \
         riskmap analyze --write-results",
        env!("CARGO_PKG_VERSION")
    );
    let mut written = Vec::new();
    for table in result_tables(ds, a) {
        let name = table.name.clone();
        let n = write_table(&tx, db, table, srid, &comment).await?;
        written.push((name, n));
    }
    tx.commit().await.map_err(db.err("committing"))?;
    Ok(written)
}

/// The SRID of the store's geometry columns (`riskmap_schema`), which the result tables
/// use too.
async fn store_srid(tx: &Transaction<'_>, db: &Db) -> Result<i32, StoreError> {
    if !table_exists(tx, db, VERSION_TABLE).await? {
        return Err(db.problem(format!(
            "no {VERSION_TABLE} table: the results are written beside ledgers that \
             `riskmap db init` or `riskmap import --db` put there"
        )));
    }
    let row = tx
        .query_opt(&format!("SELECT version, srid FROM {VERSION_TABLE}"), &[])
        .await
        .map_err(db.err("reading the schema version"))?
        .ok_or_else(|| db.problem(format!("{VERSION_TABLE} is empty")))?;
    let (version, srid): (i32, i32) = (row.get(0), row.get(1));
    if version > SCHEMA_VERSION {
        return Err(db.problem(format!(
            "the schema is version {version}, newer than this release's {SCHEMA_VERSION}: upgrade riskmap"
        )));
    }
    Ok(srid)
}

/// Creates one result table and fills it with `COPY`, then adds its primary key, GiST
/// index and comment (an index built once over the rows is faster than one kept up
/// row by row). Returns the number of rows copied.
async fn write_table(
    tx: &Transaction<'_>,
    db: &Db,
    t: ResultTable,
    srid: i32,
    comment: &str,
) -> Result<usize, StoreError> {
    let name = q(&t.name);
    let defs: String = t
        .columns
        .iter()
        .map(|(n, ty)| format!(",\n  {} {}", q(n), ty.pg()))
        .collect();
    tx.batch_execute(&format!(
        "CREATE TABLE {name} (
           fid bigserial NOT NULL,
           id text NOT NULL,
           geom geometry({}, {srid}){defs})",
        t.geom_type
    ))
    .await
    .map_err(db.err("creating a result table"))?;
    let names: String = t
        .columns
        .iter()
        .map(|(n, _)| format!(", {}", q(n)))
        .collect();
    let mut copy =
        CopyText::start(tx, db, &format!("COPY {name} (id, geom{names}) FROM STDIN")).await?;
    // Each row is freed once it is encoded, while the server reads what was sent.
    for r in t.rows {
        let buf = &mut copy.buf;
        escape(buf, &r.id);
        buf.push(b'\t');
        match &r.geometry {
            Some(g) => ewkb_hex(buf, g, srid),
            None => buf.extend_from_slice(b"\\N"),
        }
        for ((_, ty), v) in t.columns.iter().zip(&r.values) {
            buf.push(b'\t');
            match field_text(Some(v), *ty) {
                None => buf.extend_from_slice(b"\\N"),
                Some(text) => escape(buf, &text),
            }
        }
        buf.push(b'\n');
        copy.row_done().await?;
    }
    let copied = copy.finish().await?;
    let index = q(&format!("{}_geom_idx", t.name));
    let pkey = q(&format!("{}_pkey", t.name));
    let literal = comment.replace('\'', "''");
    tx.batch_execute(&format!(
        "ALTER TABLE {name} ADD CONSTRAINT {pkey} PRIMARY KEY (fid);
         CREATE INDEX {index} ON {name} USING gist (geom);
         COMMENT ON TABLE {name} IS '{literal}';
         ANALYZE {name};"
    ))
    .await
    .map_err(db.err("indexing a result table"))?;
    Ok(usize::try_from(copied).unwrap_or(usize::MAX))
}
