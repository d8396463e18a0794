//! Loading a PostGIS store: every input layer's table streamed from the database a part
//! at a time into the loaders' per-feature pass ([`crate::io::load_row_parts`]), so that
//! a table's rows are never all held at once, neither as the driver's rows nor as the
//! loaders'.
//!
//! The rows are read on the calling task (the connection's own), the pass runs on a
//! blocking thread with the thread pool; a channel holding one part lies between them.
//! When the pass stops early (a strict load's first issue), the channel closes and the
//! reading stops with it; when the reading fails, its error is the one reported.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::{TryStreamExt, pin_mut};
use tokio::sync::mpsc::{Sender, channel};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::StoreError;
use super::columns::ColType;
use super::pg::{Db, table_exists};
use super::pg_read::{row_of, select_of};
use super::pg_schema::field_columns;
use super::pg_words::status_words;
use crate::io::{Arrival, Arriving, LoadError, LoadOptions, Loaded, PART, RowParts};
use crate::model::LayerKind;

/// A table to read: its layer, its fields and how many rows it had.
type Table = (LayerKind, &'static [(&'static str, ColType)], usize);

/// Loads the database's ledgers through the same checks and merge as files
/// ([`crate::io::load_row_parts`]); the validation report names each table as
/// `URL/table` and each row by its id.
pub async fn load(client: &Client, db: &Db, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let path = PathBuf::from(db.shown());
    let store = |e: StoreError| LoadError::Store {
        path: path.clone(),
        source: Box::new(e),
    };
    let mut tables: Vec<Table> = Vec::new();
    for kind in LayerKind::INPUTS {
        let Some(fields) = field_columns(kind) else {
            continue;
        };
        if !table_exists(client, db, kind.name()).await.map_err(store)? {
            continue;
        }
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", kind.name()), &[])
            .await
            .map_err(|e| store(db.err("counting a layer table")(e)))?
            .get(0);
        tables.push((kind, fields, usize::try_from(n).unwrap_or_default()));
    }
    if tables.is_empty() {
        return Err(LoadError::NoLayerFiles {
            path,
            ignored: Vec::new(),
        });
    }
    // The store's own words for the stages, as a folder's riskmap.toml gives them.
    let words = status_words(client, db).await.map_err(store)?;
    let (tx, rx) = channel::<Arrival>(1);
    let rx = Arc::new(Mutex::new(rx));
    let parts: Vec<Arriving<_>> = tables
        .iter()
        .map(|(kind, _, rows)| {
            let rx = Arc::clone(&rx);
            Arriving::new(
                path.clone(),
                *kind,
                format!("{}/{}", db.shown(), kind.name()),
                *rows,
                move || rx.lock().ok()?.blocking_recv(),
            )
        })
        .collect();
    drop(rx);
    let opts = opts.clone();
    let pass = tokio::task::spawn_blocking(move || {
        let parts: Vec<Box<dyn RowParts>> = parts
            .into_iter()
            .map(|p| Box::new(p) as Box<dyn RowParts>)
            .collect();
        super::words::load_rows_with(parts, &opts, words)
    });
    let read = send_tables(client, db, &tables, &tx).await;
    drop(tx);
    let loaded = pass.await.map_err(|e| LoadError::Store {
        path: path.clone(),
        source: e.to_string().into(),
    });
    // A failed reading ends the pass too: its error is the one that says why.
    read.map_err(store)?;
    let mut loaded = loaded??;
    for f in &mut loaded.report.files {
        f.format = Some("postgis".into());
        f.crs = Some("lon/lat (PostGIS)".into());
    }
    Ok(loaded)
}

/// Streams every table's rows in id order, [`PART`] at a time, then its end. Stops
/// quietly when the pass has stopped (the channel closed).
async fn send_tables(
    client: &Client,
    db: &Db,
    tables: &[Table],
    tx: &Sender<Arrival>,
) -> Result<(), StoreError> {
    for (kind, fields, rows) in tables {
        let t = kind.name();
        let no_params: [&(dyn ToSql + Sync); 0] = [];
        let stream = client
            .query_raw(
                &format!("{} ORDER BY id", select_of(t, fields)),
                no_params.iter().copied(),
            )
            .await
            .map_err(db.err("reading a layer table"))?;
        pin_mut!(stream);
        let mut part = Vec::with_capacity(PART.min(*rows));
        let mut number = 0;
        while let Some(r) = stream
            .try_next()
            .await
            .map_err(db.err("reading a layer table"))?
        {
            number += 1;
            part.push(row_of(&r, fields, t, number, db)?);
            if part.len() == PART {
                let full = std::mem::replace(&mut part, Vec::with_capacity(PART));
                if tx.send(Arrival::Part(full)).await.is_err() {
                    return Ok(());
                }
            }
        }
        if !part.is_empty() && tx.send(Arrival::Part(part)).await.is_err() {
            return Ok(());
        }
        if tx.send(Arrival::End).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
