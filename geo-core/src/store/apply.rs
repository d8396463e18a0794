//! Edits of a living map written into a GeoPackage: each change's ledger row inserted,
//! rewritten or deleted by id, and the change recorded in the trail
//! ([`super::changes`]), all in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};
use serde::Serialize;
use serde_json::{Map, Value};

use super::StoreError;
use super::changes::{self, ChangeOp, ReadRecorded, TrailFollowed};
use super::columns::{ColType, Column, ID, TableInfo, not_gpkg, sql_err, table_info};
use super::gpkg::{Row, Stored, UPDATED_AT, Writer, normalise, open, row_json, utc_now};
use super::schema::{self, SRS_ID, q};
use super::stamp::FileStamp;
use super::touched;
use super::{ledger, wkb};
use crate::live::{AnyFeature, Change};
use crate::model::{Feature, LayerKind};

/// When other programs changed features, by layer and id: the times of a reading's
/// changes that are known ([`Editor::record_read`]).
pub type ChangedAt = std::collections::BTreeMap<(LayerKind, String), String>;

/// Writes a batch of changes (as [`crate::live::Live::apply`] reports them) into the
/// GeoPackage at `path`, as made by `actor`: a change with a feature after it inserts
/// the row or rewrites the row of its id (`updated_at` set), one without deletes the row
/// of its id; each is recorded in `riskmap_changes` with the row before and after. All
/// in one transaction: when any row fails (a delete of an id the table does not have, a
/// constraint of the file, a full disk), the file is left as it was. A change that leaves
/// its row as it was is not recorded.
///
/// Gives the last `seq` of the trail after the batch.
pub fn apply_changes(path: &Path, changes: &[Change], actor: &str) -> Result<u64, StoreError> {
    let actors = vec![actor; changes.len()];
    apply_changes_by(path, changes, &actors)
}

/// [`apply_changes`] where each change has its own actor (`actors[i]` made
/// `changes[i]`): edits of several people grouped into one transaction.
pub fn apply_changes_by(
    path: &Path,
    changes: &[Change],
    actors: &[&str],
) -> Result<u64, StoreError> {
    Editor::new(path).apply_by(changes, actors)
}

/// A GeoPackage kept open for a run of edits (a server's edit queue): each batch is
/// [`apply_changes_by`], without opening the file again, reading its schema again and
/// preparing the same statements again for every batch (about a third of the time of
/// writing one edit on the million-house store, BENCHMARKS.md).
///
/// The file is opened again when a batch failed (a full disk, a lock held too long:
/// nothing of the batch was written) and when the path no longer names the file that was
/// opened (replaced by a copy, renamed away): the edits go into the file at the path,
/// never into one nobody can see any more.
pub struct Editor {
    path: PathBuf,
    open: Option<(Connection, Option<FileKey>)>,
}

/// The file's stamp after a reading's records, when nobody wrote it since the reading,
/// and what the reading settled when the file's rows can be marked.
pub type AsRead = (FileStamp, Option<touched::Settled>);

/// What tells two files apart at one path: device and inode where there are such.
type FileKey = (u64, u64);

fn file_key(path: &Path) -> Option<FileKey> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

impl Editor {
    /// An editor of the GeoPackage at `path`, opened at its first batch.
    pub fn new(path: &Path) -> Editor {
        Editor {
            path: path.to_path_buf(),
            open: None,
        }
    }

    fn check_actors(&self, changes: &[Change], actors: &[&str]) -> Result<(), StoreError> {
        if actors.len() == changes.len() {
            return Ok(());
        }
        Err(StoreError::Table {
            path: self.path.clone(),
            table: changes::CHANGES_TABLE.into(),
            reason: format!(
                "{} changes but {} actors: each change needs the name of who made it",
                changes.len(),
                actors.len()
            ),
        })
    }

    /// Closes the file: the next batch opens it again.
    pub fn reset(&mut self) {
        self.open = None;
    }

    /// Writes a batch as [`apply_changes_by`] does, through the kept connection.
    pub fn apply_by(&mut self, changes: &[Change], actors: &[&str]) -> Result<u64, StoreError> {
        self.run(changes, actors, None).map(|(seq, _)| seq)
    }

    /// [`Editor::apply_by`] only if the file is as `known` (its [`FileStamp`] when the
    /// state the changes were checked against was read, or after this editor's last
    /// batch): the file's write lock is taken first, so that no other program can write
    /// between the look and the batch. When another program wrote the file since,
    /// nothing is written and the error is [`StoreError::ChangedElsewhere`]. Gives the
    /// trail's last `seq` and the file's stamp after the batch — none when another
    /// program wrote the file between this batch's commit and the stamp (SQLite's
    /// `data_version` of the connection moved): the file then holds a write nobody read.
    pub fn apply_unless_changed(
        &mut self,
        changes: &[Change],
        actors: &[&str],
        known: &FileStamp,
    ) -> Result<(u64, Option<FileStamp>), StoreError> {
        let (seq, version) = self.run(changes, actors, Some(known))?;
        let stamp = FileStamp::of(&self.path);
        let still = self.data_version().is_some_and(|v| v == version);
        Ok((seq, still.then_some(stamp)))
    }

    /// The kept connection's `PRAGMA data_version`: it moves when another connection
    /// commits a change of the file.
    fn data_version(&self) -> Option<i64> {
        let (c, _) = self.open.as_ref()?;
        data_version(c).ok()
    }

    /// Records in the trail, as made by `actor`, changes that another program made to
    /// the file already (QGIS saving an edit, read back by the server's watcher): only
    /// the records are written, the rows are left as they are. A feature with a record
    /// that the map the changes were read against does not follow (`followed`) was
    /// recorded by the program that changed it (`riskmap import`, another server): not
    /// recorded again. `read_at` is the file's stamp before the reading the changes come
    /// from. Gives what was recorded ([`ReadRecorded::follow`] then says how far the map
    /// follows the trail), and the file's stamp after the records when nobody else wrote
    /// the file from `read_at` until then (else none: it holds a write not read yet),
    /// with what the reading settled when the file's rows can be marked
    /// ([`touched::Settled`]). The file is closed before its stamp is taken (the last
    /// connection to close a file in WAL mode folds the log into it).
    ///
    /// In the same transaction the marks of changed rows up to `touched_upto`, which the
    /// reading had, are deleted, and when the file is as read, the triggers that mark
    /// changed rows are made where they are missing and a new token of the reading is
    /// written ([`super::touched`]).
    ///
    /// A change is recorded at the time `at` gives it (the time its row was changed, when
    /// the file's marks say: [`touched::MarkedRow::at`]) when that lies after the trail's
    /// last record and not after now, else at the transaction's; the records in the
    /// order of their times.
    #[allow(clippy::too_many_arguments)]
    pub fn record_read(
        &mut self,
        changes: &[Change],
        at: &ChangedAt,
        actor: &str,
        read_at: &FileStamp,
        followed: &TrailFollowed,
        touched_upto: i64,
    ) -> Result<(ReadRecorded, Option<AsRead>), StoreError> {
        let path = self.path.clone();
        let sql = sql_err(&path);
        self.open = None;
        let mut conn = connect(&path)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let as_read = *read_at == FileStamp::of(&path);
        let version = data_version(&tx).map_err(&sql)?;
        changes::create_table(&tx).map_err(&sql)?;
        let recorded = changes::features_recorded_after(&tx, followed).map_err(&sql)?;
        let before = changes::last_seq(&tx).map_err(&sql)?;
        let now = utc_now(&tx).map_err(&sql)?;
        // The trail's times increase with `seq` (the past days find a day's first record
        // by a binary search): a change's own time is used when it lies after the
        // trail's last record and not after now, and the records go in time order; a
        // time outside says nothing of when the change was made (a change another
        // program saved before the server's last edit, a clock set otherwise).
        let last_at = changes::last_at(&tx).map_err(&sql)?;
        let mut timed: Vec<(&str, &Change)> = changes
            .iter()
            .filter(|ch| !recorded.contains(&(ch.layer.name().to_string(), ch.id.clone())))
            .map(|ch| {
                let own = at.get(&(ch.layer, ch.id.clone())).filter(|t| {
                    t.as_str() <= now.as_str()
                        && last_at.as_deref().is_none_or(|last| t.as_str() > last)
                });
                (own.map_or(now.as_str(), String::as_str), ch)
            })
            .collect();
        timed.sort_by(|a, b| a.0.cmp(b.0));
        for (when, ch) in timed {
            changes::record_change(&tx, ch, actor, when).map_err(&sql)?;
        }
        touched::forget(&tx, &path, touched_upto)?;
        let settled = if as_read && touched::install(&tx, &path)? {
            Some(touched::settle(&tx, &path)?)
        } else {
            None
        };
        let last = changes::last_seq(&tx).map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        let still = data_version(&conn).map_err(&sql)? == version;
        drop(conn);
        let done = ReadRecorded {
            last,
            own: (last > before).then_some((before + 1, last)),
            as_read,
        };
        Ok((
            done,
            (as_read && still).then(|| (FileStamp::of(&path), settled)),
        ))
    }

    fn run(
        &mut self,
        changes: &[Change],
        actors: &[&str],
        known: Option<&FileStamp>,
    ) -> Result<(u64, i64), StoreError> {
        let path = self.path.clone();
        self.check_actors(changes, actors)?;
        if !path.is_file() {
            self.open = None;
            return Err(not_gpkg(&path, "no such file"));
        }
        let key = file_key(&path);
        let mut conn = match self.open.take() {
            // Without a key (not unix) the file cannot be told from a replacement.
            Some((c, Some(k))) if key == Some(k) => c,
            _ => connect(&path)?,
        };
        let r = write(&mut conn, &path, changes, actors, known);
        if r.is_ok() || matches!(r, Err(StoreError::ChangedElsewhere { .. })) {
            self.open = Some((conn, key));
        }
        r
    }
}

/// The GeoPackage at `path` opened for writing, with the functions of its R-tree
/// triggers.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = open(path, false)?;
    let sql = sql_err(path);
    if !schema::table_exists(&conn, "gpkg_contents").map_err(&sql)? {
        return Err(not_gpkg(path, "no gpkg_contents table"));
    }
    schema::register_functions(&conn).map_err(&sql)?;
    // Room for every statement of a batch over the seven ledger tables.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// One batch in one transaction.
fn write(
    conn: &mut Connection,
    path: &Path,
    changes: &[Change],
    actors: &[&str],
    known: Option<&FileStamp>,
) -> Result<(u64, i64), StoreError> {
    let sql = sql_err(path);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    // Under the write lock: nobody else writes until the commit.
    if known.is_some_and(|k| *k != FileStamp::of(path)) {
        return Err(StoreError::ChangedElsewhere {
            path: path.to_path_buf(),
        });
    }
    let version = data_version(&tx).map_err(sql)?;
    changes::create_table(&tx).map_err(sql)?;
    // The trail records these rows: not marked as changed by another program.
    let quiet = touched::quiet(&tx).map_err(sql)?;
    let now = utc_now(&tx).map_err(sql)?;
    for (ch, actor) in changes.iter().zip(actors) {
        let w = Writer {
            c: &tx,
            path,
            now: &now,
            actor,
            kept: &super::Kept::default(),
        };
        let table = ch.layer.name();
        match &ch.after {
            Some(f) => {
                if f.layer() != ch.layer || f.id() != ch.id {
                    return Err(StoreError::Table {
                        path: path.to_path_buf(),
                        table: table.into(),
                        reason: format!(
                            "the change of id {:?} carries feature {:?} of {}",
                            ch.id,
                            f.id(),
                            f.layer().name()
                        ),
                    });
                }
                match f {
                    AnyFeature::Area(f) => w.put(table, f)?,
                    AnyFeature::Enterprise(f) => w.put(table, f)?,
                    AnyFeature::HazardSource(f) => w.put(table, f)?,
                    AnyFeature::GasPipeline(f) => w.put(table, f)?,
                    AnyFeature::House(f) => w.put(table, f)?,
                    AnyFeature::ProtectionTarget(f) => w.put(table, f)?,
                    AnyFeature::HiddenHazard(f) => w.put(table, f)?,
                }
            }
            None => w.delete(table, &ch.id)?,
        }
    }
    if quiet {
        touched::unquiet(&tx).map_err(sql)?;
    }
    let last = changes::last_seq(&tx).map_err(sql)?;
    tx.commit().map_err(sql)?;
    Ok((last, version))
}

/// The connection's `PRAGMA data_version`.
fn data_version(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("PRAGMA data_version", [], |r| r.get(0))
}

impl Writer<'_> {
    /// Inserts the feature's row, or rewrites the row of its id if it differs.
    fn put<P: Serialize + Default>(&self, table: &str, f: &Feature<P>) -> Result<(), StoreError> {
        let sql = sql_err(self.path);
        let mut fields = match serde_json::to_value(&f.props) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        ledger::to_ledger_form(&mut fields);
        let mut names: Vec<String> = match serde_json::to_value(P::default()) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        for k in fields.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
        let inferred: Vec<Column> = names
            .iter()
            .map(|n| Column {
                ty: fields.get(n).and_then(ColType::of).unwrap_or(ColType::Text),
                name: n.clone(),
            })
            .collect();
        let row = Row {
            id: &f.id,
            geom: wkb::encode(&f.geometry, SRS_ID),
            fields,
        };
        let geom_type = wkb::type_name(&f.geometry);
        if !schema::table_exists(self.c, table).map_err(sql)? {
            self.create_table(table, &inferred, geom_type)
                .map_err(sql)?;
        }
        let info = self.ledger_table(table)?;
        let cols = self.add_columns(table, &info, &inferred)?;
        let vals: Vec<Sql> = cols
            .iter()
            .map(|c| c.ty.to_sql(row.fields.get(&c.name).unwrap_or(&Value::Null)))
            .collect();
        let (t, g, pk) = (q(table), q(&info.geom), q(&info.pk));
        let field_list: String = cols.iter().map(|c| format!(", {}", q(&c.name))).collect();
        let after = row_json(row.id, &row.geom, &cols, &vals);
        match self.stored(table, &info, &cols, row.id)? {
            None => {
                let marks = vec!["?"; cols.len() + 3].join(", ");
                let params = [Sql::Blob(row.geom.clone()), Sql::Text(row.id.into())]
                    .into_iter()
                    .chain(vals)
                    .chain([Sql::Text(self.now.into())]);
                self.c
                    .prepare_cached(&format!(
                        "INSERT INTO {t} ({g}, {ID}{field_list}, {UPDATED_AT}) VALUES ({marks})"
                    ))
                    .and_then(|mut st| st.execute(params_from_iter(params)))
                    .map_err(sql)?;
                self.record(table, row.id, ChangeOp::Insert, None, Some(&after))?;
            }
            Some((_, blob, old)) if blob == row.geom && old == vals => return Ok(()),
            Some((fid, blob, old)) => {
                let before = row_json(row.id, &blob, &cols, &old);
                let sets: String = cols
                    .iter()
                    .map(|c| format!(", {} = ?", q(&c.name)))
                    .collect();
                let params = [Sql::Blob(row.geom.clone())]
                    .into_iter()
                    .chain(vals)
                    .chain([Sql::Text(self.now.into()), Sql::Integer(fid)]);
                self.c
                    .prepare_cached(&format!(
                        "UPDATE {t} SET {g} = ?{sets}, {UPDATED_AT} = ? WHERE {pk} = ?"
                    ))
                    .and_then(|mut st| st.execute(params_from_iter(params)))
                    .map_err(sql)?;
                self.record(table, row.id, ChangeOp::Update, Some(&before), Some(&after))?;
            }
        }
        self.touch(table, &f.geometry, geom_type).map_err(sql)
    }

    /// Deletes the row of an id; an id the table does not have is an error (the store
    /// and the map being edited no longer agree).
    fn delete(&self, table: &str, id: &str) -> Result<(), StoreError> {
        let sql = sql_err(self.path);
        let missing = || StoreError::Table {
            path: self.path.to_path_buf(),
            table: table.into(),
            reason: format!("no row with id {id:?} to delete"),
        };
        if !schema::table_exists(self.c, table).map_err(sql)? {
            return Err(missing());
        }
        let info = self.ledger_table(table)?;
        let cols: Vec<Column> = info
            .columns
            .iter()
            .filter(|c| {
                c.name != ID && c.name != UPDATED_AT && c.name != info.pk && c.name != info.geom
            })
            .map(|c| Column {
                name: c.name.clone(),
                ty: c.ty,
            })
            .collect();
        let Some((fid, blob, old)) = self.stored(table, &info, &cols, id)? else {
            return Err(missing());
        };
        self.c
            .execute(
                &format!("DELETE FROM {} WHERE {} = ?", q(table), q(&info.pk)),
                [fid],
            )
            .map_err(sql)?;
        let before = row_json(id, &blob, &cols, &old);
        self.record(table, id, ChangeOp::Delete, Some(&before), None)?;
        self.c
            .execute(
                "UPDATE gpkg_contents SET last_change = ?2 WHERE table_name = ?1",
                [table, self.now],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// The layout of a ledger table, which must have the id column.
    fn ledger_table(&self, table: &str) -> Result<TableInfo, StoreError> {
        let info = table_info(self.c, self.path, table)?;
        if !info.has_id {
            return Err(StoreError::Table {
                path: self.path.to_path_buf(),
                table: table.into(),
                reason: format!("no '{ID}' column"),
            });
        }
        Ok(info)
    }

    /// The stored row of an id.
    fn stored(
        &self,
        table: &str,
        info: &TableInfo,
        cols: &[Column],
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let sql = sql_err(self.path);
        let field_list: String = cols.iter().map(|c| format!(", {}", q(&c.name))).collect();
        self.c
            .prepare_cached(&format!(
                "SELECT {}, {}{field_list} FROM {} WHERE {ID} = ?",
                q(&info.pk),
                q(&info.geom),
                q(table)
            ))
            .map_err(&sql)?
            .query_row([id], |r| {
                let blob = super::gpkg::normalised_blob(r.get_ref(1)?);
                let vals = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| r.get::<_, Sql>(2 + i).map(|v| normalise(c.ty, v)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((r.get(0)?, blob, vals))
            })
            .optional()
            .map_err(sql)
    }

    /// Keeps the table's metadata true after a row was written: the change time, the
    /// extent grown to hold the geometry, the declared type widened to GEOMETRY when the
    /// row's type differs.
    fn touch(&self, table: &str, g: &geo::Geometry<f64>, geom_type: &str) -> rusqlite::Result<()> {
        use geo::BoundingRect;
        let b = g.bounding_rect();
        self.c
            .prepare_cached(
                "UPDATE gpkg_contents SET last_change = ?2,
               min_x = min(coalesce(min_x, ?3), ?3), min_y = min(coalesce(min_y, ?4), ?4),
               max_x = max(coalesce(max_x, ?5), ?5), max_y = max(coalesce(max_y, ?6), ?6)
             WHERE table_name = ?1",
            )?
            .execute(rusqlite::params![
                table,
                self.now,
                b.map(|r| r.min().x),
                b.map(|r| r.min().y),
                b.map(|r| r.max().x),
                b.map(|r| r.max().y)
            ])?;
        let declared: Option<String> = self
            .c
            .prepare_cached(
                "SELECT geometry_type_name, column_name FROM gpkg_geometry_columns
                 WHERE table_name = ?1",
            )?
            .query_row([table], |r| {
                Ok(format!(
                    "{}|{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?
                ))
            })
            .optional()?;
        // (Also when the register says GEOMETRY already: an older release widened the
        // register alone, and the column's declared type is brought along now.)
        if let Some((was, column)) = declared.as_deref().and_then(|d| d.split_once('|'))
            && !was.eq_ignore_ascii_case(geom_type)
        {
            super::schema::widen_geometry(self.c, table, column)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
