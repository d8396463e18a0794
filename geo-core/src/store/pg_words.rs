//! The status word table (`riskmap_status_words`, see [`super::words`]) in a PostGIS
//! store: read and checked at a load and by a follower when the table notifies a change,
//! replaced by an import only when the folder's words differ.

use tokio_postgres::{GenericClient, Transaction};

use super::StoreError;
use super::pg::Db;
use super::pg_schema;
use super::words::{StatusWords, WORDS_TABLE, checked};
use crate::io::Issue;
use crate::model::HiddenHazardStatus;

/// The store's status words as its table holds them now, checked as a load checks them
/// (the warnings name the rows refused); none without the table.
pub async fn status_words<C: GenericClient>(
    c: &C,
    db: &Db,
) -> Result<(StatusWords, Vec<Issue>), StoreError> {
    let rows = rows(c, db).await?;
    Ok(checked(&rows, &format!("{}/{WORDS_TABLE}", db.shown())))
}

/// The table's rows, in word order; none without it.
async fn rows<C: GenericClient>(c: &C, db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    if !pg_schema::relation_exists(c, WORDS_TABLE)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        return Ok(Vec::new());
    }
    let rows = c
        .query(
            &format!("SELECT word, stage FROM {WORDS_TABLE} ORDER BY word"),
            &[],
        )
        .await
        .map_err(db.err("reading the status words"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let text = |i| r.try_get::<_, Option<String>>(i).ok().flatten();
            (text(0).unwrap_or_default(), text(1).unwrap_or_default())
        })
        .collect())
}

/// Replaces the table's words by `words` in the caller's transaction, only when they
/// differ: a rewrite notifies the servers that follow the store, which then read every
/// hidden hazard again.
pub(super) async fn replace_if_changed(
    tx: &Transaction<'_>,
    db: &Db,
    words: &[(String, HiddenHazardStatus)],
) -> Result<(), StoreError> {
    let mut have = rows(tx, db).await?;
    let mut want: Vec<(String, String)> = words
        .iter()
        .map(|(w, s)| (w.clone(), s.key().to_string()))
        .collect();
    have.sort();
    want.sort();
    if have == want {
        return Ok(());
    }
    tx.execute(&format!("DELETE FROM {WORDS_TABLE}"), &[])
        .await
        .map_err(db.err("replacing the status words"))?;
    let st = tx
        .prepare(&format!(
            "INSERT INTO {WORDS_TABLE} (word, stage) VALUES ($1, $2)
             ON CONFLICT (word) DO UPDATE SET stage = excluded.stage"
        ))
        .await
        .map_err(db.err("replacing the status words"))?;
    for (w, stage) in words {
        tx.execute(&st, &[w, &stage.key()])
            .await
            .map_err(db.err("replacing the status words"))?;
    }
    Ok(())
}
