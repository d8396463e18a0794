//! The PostGIS store: one table per input layer in a PostgreSQL database, keyed by the
//! ledger id, for offices where several departments edit the ledgers in one database
//! (QGIS on the tables) and several servers read it.
//!
//! A table (named by [`LayerKind::name`]) holds `id text PRIMARY KEY`, `geom
//! geometry(<type>, SRID)` with a GiST index (SRID 4326, or 4490 for CGCS2000, chosen by
//! the first [`init`]; lon/lat either way), one column per ledger field (the same names
//! and kinds as the GeoPackage store; inventories and QRA distances as their ledger text)
//! and `updated_at
//! timestamptz`. Triggers on every table write each insert, real update and delete to
//! `riskmap_changes` (who, when, the row before and after as JSON) and send
//! `pg_notify('riskmap_changes', {"layer", "id", "op", "seq", "actor"})`. The actor is
//! the transaction's or session's `riskmap.actor` setting, else `database` (an edit in
//! QGIS); [`write()`] sets `import`, an edit through the server the name of its token
//! ([`apply_change`]). `riskmap_schema` holds the schema version and the SRID.
//!
//! The client is tokio-postgres without TLS: the database is expected on the office's
//! own network or the same machine.

use std::collections::HashSet;

use bytes::Bytes;
use futures_util::SinkExt;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Transaction};

use super::columns::ColType;
use super::pg_schema::{self, CHANGES, field_columns};
use super::{ImportCounts, LayerCounts, StoreError, ledger, wkb};
use crate::dataset::{Dataset, Layer};
use crate::model::{Feature, LayerKind};

pub use super::pg_edit::{
    EditBy, EditOutcome, apply_change, changes_from, changes_page, changes_since, recorded_states,
};
pub use super::pg_load::load;
pub use super::pg_read::{changed_since, last_change, read, read_layer};
pub use super::pg_results::write_results;
pub use super::pg_schema::{
    CGCS2000, CHANNEL, InitReport, SCHEMA_VERSION, WGS84, missing_triggers, outdated_functions,
};
pub use super::pg_words::status_words;

/// A database as messages name it: its connection string without the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Db {
    shown: String,
}

impl Db {
    /// The database of a connection string (`postgres://user:password@host:port/name` or
    /// `host=… dbname=…`), the password left out.
    pub fn new(url: &str) -> Db {
        Db { shown: redact(url) }
    }

    /// How messages name it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub(super) fn problem(&self, reason: String) -> StoreError {
        StoreError::Database {
            db: self.shown.clone(),
            reason,
        }
    }

    /// Names a failed statement: what was being done, on which database.
    pub(super) fn err(
        &self,
        context: &'static str,
    ) -> impl FnOnce(tokio_postgres::Error) -> StoreError + '_ {
        move |source| StoreError::Postgres {
            db: self.shown.clone(),
            context,
            source,
        }
    }
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        // userinfo ends at the last '@' before the path.
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            let user = &rest[..at];
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            return format!("{scheme}://{user}@{}", &rest[at + 1..]);
        }
        return url.to_string();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("password=") {
                "password=…"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Connects (no TLS; with the limits of [`super::pg_conn`] where the URL names none)
/// and drives the connection on the current tokio runtime.
pub async fn connect(url: &str) -> Result<(Client, Db), StoreError> {
    let db = Db::new(url);
    let (client, conn) = super::pg_conn::config(url)
        .map_err(db.err("connecting"))?
        .connect(NoTls)
        .await
        .map_err(db.err("connecting"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!("PostgreSQL connection: {e}");
        }
    });
    Ok((client, db))
}

/// Creates the schema where it is missing (PostGIS, the version table, the change table,
/// the trigger functions, and per input layer its table, columns, GiST index and
/// triggers), in one transaction. `srid`: 4326 or 4490 for a new database; `None` keeps
/// what the database has (4326 for a new one). A second run changes nothing and reports
/// an empty [`InitReport::changed`].
pub async fn init(
    client: &mut Client,
    db: &Db,
    srid: Option<i32>,
) -> Result<InitReport, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(db.err("starting a transaction"))?;
    lock(&tx, db).await?;
    let report = pg_schema::ensure(&tx, db, srid).await?;
    tx.commit().await.map_err(db.err("committing"))?;
    Ok(report)
}

/// Writes the dataset into the database's tables, updating by id in one transaction:
/// new ids are inserted, rows whose geometry or a field differs are updated, rows whose
/// id is no longer in the ledger are deleted, and unchanged rows are not touched (so
/// they make no change rows and no notifications). The schema is created first if it
/// is missing. Concurrent imports and inits wait for each other.
pub async fn write(client: &mut Client, db: &Db, ds: &Dataset) -> Result<ImportCounts, StoreError> {
    write_with_words(client, db, ds, None, &super::Kept::default()).await
}

/// [`write()`], and with `words` the store's words for the hidden hazards' stages
/// replaced by them in the same transaction ([`super::words`]); `None` leaves them.
/// A row the dataset lacks that `kept` keeps (its ledger line refused, its layer not
/// read whole) is left as it is.
pub async fn write_with_words(
    client: &mut Client,
    db: &Db,
    ds: &Dataset,
    words: Option<&[(String, crate::model::HiddenHazardStatus)]>,
    kept: &super::Kept,
) -> Result<ImportCounts, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(db.err("starting a transaction"))?;
    lock(&tx, db).await?;
    let schema = pg_schema::ensure(&tx, db, None).await?;
    // The changes of this transaction are recorded by the statements below, not row by
    // row by the trigger (see `pg_schema::RECORD_BODY`).
    tx.batch_execute(
        "SELECT set_config('riskmap.actor', 'import', true), set_config('riskmap.bulk', 'on', true)",
    )
    .await
    .map_err(db.err("setting the actor"))?;
    let w = Writer {
        tx: &tx,
        db,
        srid: schema.srid,
    };
    let layers = vec![
        (LayerKind::Areas, w.layer(&ds.areas, kept).await?),
        (
            LayerKind::Enterprises,
            w.layer(&ds.enterprises, kept).await?,
        ),
        (
            LayerKind::HazardSources,
            w.layer(&ds.hazard_sources, kept).await?,
        ),
        (
            LayerKind::GasPipelines,
            w.layer(&ds.gas_pipelines, kept).await?,
        ),
        (LayerKind::Houses, w.layer(&ds.houses, kept).await?),
        (
            LayerKind::ProtectionTargets,
            w.layer(&ds.protection_targets, kept).await?,
        ),
        (
            LayerKind::HiddenHazards,
            w.layer(&ds.hidden_hazards, kept).await?,
        ),
    ];
    if let Some(words) = words {
        super::pg_words::replace_if_changed(&tx, db, words).await?;
    }
    tx.commit().await.map_err(db.err("committing"))?;
    Ok(ImportCounts { layers })
}

/// One writer of the store at a time (released at the end of the transaction).
pub(super) async fn lock(tx: &Transaction<'_>, db: &Db) -> Result<(), StoreError> {
    tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext('riskmap.store'))")
        .await
        .map_err(db.err("waiting for another import"))
}

/// Writes ledger rows in a transaction: the import's layers, or one edit's row
/// ([`super::pg_edit`]).
pub(super) struct Writer<'a> {
    pub(super) tx: &'a Transaction<'a>,
    pub(super) db: &'a Db,
    pub(super) srid: i32,
}

/// Bytes of COPY data sent at a time.
const CHUNK: usize = 1 << 20;

/// A `COPY … FROM STDIN` in text format: rows are written into [`CopyText::buf`] and sent
/// about a megabyte at a time.
pub(super) struct CopyText<'a> {
    sink: std::pin::Pin<Box<tokio_postgres::CopyInSink<Bytes>>>,
    /// The rows not sent yet.
    pub(super) buf: Vec<u8>,
    db: &'a Db,
}

impl<'a> CopyText<'a> {
    /// Starts the COPY statement `sql`.
    pub(super) async fn start(
        tx: &Transaction<'_>,
        db: &'a Db,
        sql: &str,
    ) -> Result<CopyText<'a>, StoreError> {
        let sink = tx
            .copy_in::<_, Bytes>(sql)
            .await
            .map_err(db.err("starting COPY"))?;
        Ok(CopyText {
            sink: Box::pin(sink),
            buf: Vec::with_capacity(CHUNK + 4096),
            db,
        })
    }

    /// After a row is written: sends the rows when a chunk is full.
    pub(super) async fn row_done(&mut self) -> Result<(), StoreError> {
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
            self.sink
                .send(Bytes::from(full))
                .await
                .map_err(self.db.err("sending COPY data"))?;
        }
        Ok(())
    }

    /// Sends what is left and ends the COPY; the number of rows copied.
    pub(super) async fn finish(mut self) -> Result<u64, StoreError> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.sink
                .send(Bytes::from(rest))
                .await
                .map_err(self.db.err("sending COPY data"))?;
        }
        self.sink
            .as_mut()
            .finish()
            .await
            .map_err(self.db.err("finishing COPY"))
    }
}

/// Whether a table of this name is in the current schema.
pub(super) async fn table_exists<C: tokio_postgres::GenericClient>(
    c: &C,
    db: &Db,
    name: &str,
) -> Result<bool, StoreError> {
    pg_schema::relation_exists(c, name)
        .await
        .map_err(db.err("reading the catalog"))
}

impl Writer<'_> {
    async fn layer<P: Serialize>(
        &self,
        layer: &Layer<P>,
        kept: &super::Kept,
    ) -> Result<LayerCounts, StoreError> {
        let (tx, db) = (self.tx, self.db);
        let kind = layer.kind();
        let t = kind.name();
        let fields =
            field_columns(kind).ok_or_else(|| db.problem(format!("{t} is not an input layer")))?;
        let mut seen = HashSet::with_capacity(layer.len());
        for f in layer.features() {
            if !seen.insert(f.id.as_str()) {
                return Err(db.problem(format!(
                    "table {t}: id {:?} appears more than once in the ledger",
                    f.id
                )));
            }
        }
        drop(seen);
        self.widen(t, layer.features()).await?;

        let stage = format!("riskmap_stage_{t}");
        let decl: String = fields
            .iter()
            .map(|(n, ty)| format!(", {n} {}", ty.pg()))
            .collect();
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE {stage} (id text NOT NULL, geom geometry{decl}) ON COMMIT DROP"
        ))
        .await
        .map_err(db.err("creating the staging table"))?;
        let names: String = fields.iter().map(|(n, _)| format!(", {n}")).collect();
        let mut copy = CopyText::start(
            tx,
            db,
            &format!("COPY {stage} (id, geom{names}) FROM STDIN"),
        )
        .await?;
        for f in layer.features() {
            copy_row(&mut copy.buf, f, fields, self.srid);
            copy.row_done().await?;
        }
        let staged = copy.finish().await?;
        tx.batch_execute(&format!("ANALYZE {stage}"))
            .await
            .map_err(db.err("analysing the staging table"))?;

        // Each statement writes its rows, their change rows and notifications (the shapes
        // the row trigger writes for other sessions) and returns how many rows it wrote.
        let record = |op: &str, before: &str, after: &str| {
            format!(
                "c AS (INSERT INTO {CHANGES} (actor, layer, id, op, before, after)
                   SELECT 'import', '{t}', w.id, '{op}', {before}, {after} FROM w
                   RETURNING seq, id)
                 SELECT count(pg_notify('{CHANNEL}', json_build_object('layer', '{t}',
                   'id', c.id, 'op', '{op}', 'seq', c.seq, 'actor', 'import')::text)::text)
                 FROM c"
            )
        };
        // A row as the trigger's `to_jsonb(row)` has it, built column by column: that
        // is five times faster than `to_jsonb` of a row with a geometry.
        let json = |r: &str| {
            let cols: String = fields
                .iter()
                .map(|(n, _)| format!(", '{n}', {r}.{n}"))
                .collect();
            format!(
                "jsonb_build_object('id', {r}.id, 'geom', {r}.geom::jsonb{cols}, 'updated_at', {r}.updated_at)"
            )
        };
        let count = |sql: String, what: &'static str| async move {
            tx.query_one(&sql, &[])
                .await
                .map(|r| usize::try_from(r.get::<_, i64>(0)).unwrap_or(0))
                .map_err(db.err(what))
        };
        // Rows the ledger lacks are deleted, but for those it keeps: all of a layer not
        // read whole, the lines the checks refused.
        let removed = if kept.not_read_whole.contains(&kind) {
            0
        } else {
            let refused: Vec<&str> = kept
                .refused
                .get(&kind)
                .map(|ids| ids.iter().map(String::as_str).collect())
                .unwrap_or_default();
            tx.query_one(
                &format!(
                    "WITH w AS (DELETE FROM {t} AS t
                       WHERE NOT EXISTS (SELECT 1 FROM {stage} AS s WHERE s.id = t.id)
                         AND t.id <> ALL($1::text[])
                       RETURNING t.*), {}",
                    record("delete", &json("w"), "NULL")
                ),
                &[&refused],
            )
            .await
            .map(|r| usize::try_from(r.get::<_, i64>(0)).unwrap_or(0))
            .map_err(db.err("deleting removed rows"))?
        };
        let kept_rows = count(
            format!(
                "SELECT count(*) FROM {t} AS t
                 WHERE NOT EXISTS (SELECT 1 FROM {stage} AS s WHERE s.id = t.id)"
            ),
            "counting the rows kept",
        )
        .await?;
        let sets: String = fields
            .iter()
            .map(|(n, _)| format!(", {n} = s.{n}"))
            .collect();
        let differs: String = fields
            .iter()
            .map(|(n, _)| format!(" OR t.{n} IS DISTINCT FROM s.{n}"))
            .collect();
        let differ = format!(
            "t.id = s.id AND (ST_AsEWKB(t.geom) IS DISTINCT FROM ST_AsEWKB(s.geom){differs})"
        );
        // `o` reads the rows as they were: every part of one statement sees the same
        // snapshot.
        let changed = count(
            format!(
                "WITH o AS (SELECT t.* FROM {t} AS t JOIN {stage} AS s ON {differ}),
                 u AS (UPDATE {t} AS t SET geom = s.geom{sets}, updated_at = now()
                   FROM {stage} AS s WHERE {differ} RETURNING t.*),
                 w AS (SELECT u.id, {} AS before, {} AS after
                   FROM u JOIN o ON o.id = u.id), {}",
                json("o"),
                json("u"),
                record("update", "w.before", "w.after")
            ),
            "updating changed rows",
        )
        .await?;
        let new = count(
            format!(
                "WITH w AS (INSERT INTO {t} (id, geom{names})
                   SELECT id, geom{names} FROM {stage} AS s
                   WHERE NOT EXISTS (SELECT 1 FROM {t} AS t WHERE t.id = s.id)
                   RETURNING *), {}",
                record("insert", "NULL", &json("w"))
            ),
            "inserting new rows",
        )
        .await?;
        tx.batch_execute(&format!("DROP TABLE {stage}"))
            .await
            .map_err(db.err("dropping the staging table"))?;
        let staged = usize::try_from(staged).unwrap_or(usize::MAX);
        Ok(LayerCounts {
            new,
            changed,
            removed,
            unchanged: staged.saturating_sub(changed).saturating_sub(new),
            kept: kept_rows,
        })
    }

    /// A table declared for one geometry type that is to receive another becomes
    /// `Geometry` (as the GeoPackage store does).
    pub(super) async fn widen<P>(
        &self,
        t: &str,
        features: &[Feature<P>],
    ) -> Result<(), StoreError> {
        if features.is_empty() {
            return Ok(());
        }
        let declared = declared_type(self.tx, t)
            .await
            .map_err(self.db.err("reading the geometry type"))?;
        self.widen_from(t, &declared, features.iter().map(|f| &f.geometry))
            .await
    }

    /// [`Writer::widen`] with the column's declared type (upper case) already read.
    pub(super) async fn widen_from<'g>(
        &self,
        t: &str,
        declared: &str,
        geoms: impl IntoIterator<Item = &'g geo::Geometry<f64>>,
    ) -> Result<(), StoreError> {
        let mut types = geoms.into_iter().map(wkb::type_name);
        let Some(first) = types.next() else {
            return Ok(());
        };
        let one = types.all(|t| t == first).then_some(first);
        if declared == "GEOMETRY" || one == Some(declared) {
            return Ok(());
        }
        self.tx
            .batch_execute(&format!(
                "ALTER TABLE {t} ALTER COLUMN geom TYPE geometry(Geometry, {})",
                self.srid
            ))
            .await
            .map_err(self.db.err("widening the geometry column"))
    }
}

/// The geometry type table `t`'s column is declared with, upper case, without a `Z` or
/// `ZM` (an `M` stays, as in PostGIS's `geometry_columns`; `GEOMETRY` for any): one round
/// trip (the parameter's type given, no statement prepared). The table is found as the
/// statements that write it find it, through the search path.
///
/// Read from the column's type modifier, as PostGIS's `geometry_columns` view reads it,
/// but for the one column: planning that view (it reads every constraint's definition
/// of the database) took about 3 ms, most of an edit's transaction. A column without a
/// modifier is `GEOMETRY`; a CHECK constraint of an older layout that restricts it is
/// left to the database to enforce (the view would name its type, but widening could
/// not lift it either).
pub(super) async fn declared_type(
    tx: &Transaction<'_>,
    t: &str,
) -> Result<String, tokio_postgres::Error> {
    Ok(tx
        .query_typed_one(
            "SELECT replace(replace(upper(postgis_typmod_type(a.atttypmod)), 'ZM', ''), 'Z', '')
             FROM pg_attribute a
             WHERE a.attrelid = to_regclass(quote_ident($1))
               AND a.attname = 'geom' AND NOT a.attisdropped",
            &[(&t, Type::TEXT)],
        )
        .await?
        .get(0))
}

/// One line of COPY text: id, hex EWKB, the fields.
fn copy_row<P: Serialize>(
    out: &mut Vec<u8>,
    f: &Feature<P>,
    fields: &[(&str, ColType)],
    srid: i32,
) {
    escape(out, &f.id);
    out.push(b'\t');
    ewkb_hex(out, &f.geometry, srid);
    let props = ledger_props(f);
    for (name, ty) in fields {
        out.push(b'\t');
        match field_text(props.get(*name), *ty) {
            None => out.extend_from_slice(b"\\N"),
            Some(t) => escape(out, &t),
        }
    }
    out.push(b'\n');
}

/// The props of a feature as the store keeps them (inventories and QRA distances in their
/// ledger text).
pub(super) fn ledger_props<P: Serialize>(f: &Feature<P>) -> serde_json::Map<String, Value> {
    let mut props = match serde_json::to_value(&f.props) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    ledger::to_ledger_form(&mut props);
    props
}

/// A field's value as the text PostgreSQL reads for a column of type `ty` (COPY text
/// before escaping, or a parameter cast from `text`); `None` for NULL.
pub(super) fn field_text(v: Option<&Value>, ty: ColType) -> Option<String> {
    match (v, ty) {
        (None | Some(Value::Null), _) => None,
        (Some(Value::String(s)), ColType::Text | ColType::Real | ColType::Integer) => {
            Some(s.clone())
        }
        (Some(Value::Bool(b)), ColType::Boolean) => Some(if *b { "t" } else { "f" }.into()),
        (Some(v), _) => Some(v.to_string()),
    }
}

/// COPY text escaping: backslash, tab, newline and carriage return.
pub(super) fn escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// The EWKB of `g` (little-endian, with the SRID) in hex, which PostGIS reads as a
/// geometry value.
pub fn ewkb_hex(out: &mut Vec<u8>, g: &geo::Geometry<f64>, srid: i32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut w = Vec::with_capacity(128);
    wkb::wkb(&mut w, g);
    let (ty, rest) = match (w.get(1..5), w.get(5..)) {
        (Some(t), Some(rest)) => (t, rest),
        _ => return,
    };
    let ty = u32::from_le_bytes([ty[0], ty[1], ty[2], ty[3]]) | 0x2000_0000;
    let mut put = |bytes: &[u8]| {
        for b in bytes {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        }
    };
    put(&[1]);
    put(&ty.to_le_bytes());
    put(&srid.to_le_bytes());
    put(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, Point};

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://gis:s3cret@db.local:5432/ledgers"),
            "postgres://gis@db.local:5432/ledgers"
        );
        assert_eq!(
            redact("postgres://gis@db.local/ledgers"),
            "postgres://gis@db.local/ledgers"
        );
        assert_eq!(redact("postgres://db.local/x"), "postgres://db.local/x");
        assert_eq!(
            redact("host=db.local password=s3cret dbname=x"),
            "host=db.local password=… dbname=x"
        );
    }

    /// EWKB of POINT(1 2) in SRID 4326, written out by hand: byte order 01, type
    /// 0x20000001 (point with SRID), SRID 4326 = 0x10E6, then x and y as f64 LE.
    #[test]
    fn ewkb_of_a_point_by_hand() {
        let mut out = Vec::new();
        ewkb_hex(&mut out, &Geometry::Point(Point::new(1.0, 2.0)), 4326);
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "0101000020E6100000000000000000F03F0000000000000040"
        );
    }

    #[test]
    fn copy_text_escapes() {
        let mut out = Vec::new();
        escape(&mut out, "a\tb\\c\nd\re");
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re");
    }
}
