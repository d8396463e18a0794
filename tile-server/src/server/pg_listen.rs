//! Following a PostGIS store while serving: another client's INSERT, UPDATE or DELETE
//! (QGIS editing a table, psql, a second `riskmap import --db`) reaches the served map.
//!
//! A task of its own keeps a connection that `LISTEN`s on the store's channel. The
//! notifications of a change (layer, id, change number) are gathered until
//! [`QUIET`] passes without another, or for at most [`WINDOW`], each feature once (or at
//! once when the change of an edit through the API stored while the map was busy has
//! arrived); the
//! rows they name are then read, one query per layer (`id = ANY($1)`), through the loaders' checks
//! ([`riskmap_core::io::load_rows`]), compared with what is served and applied as one
//! batch through the same change path as an edit, held from the reading of the rows to
//! their serving (announced as made by the actors the
//! notifications name: `database` for QGIS or psql, a token's name for an edit through
//! the API, see `pg_edit`). A row the checks
//! refuse is not applied (the served feature stays) and is reported in the log and in
//! `/health`; an id without a row is a deletion.
//!
//! A change storm (one transaction changing 100,000 rows sends as many notifications)
//! is not held in memory: past [`NOTE_CAP`] features a batch keeps only that it is one,
//! and where its change numbers begin, and its features are read from the change table
//! as after a reconnect (below), from its first number too (a long transaction that
//! commits after a short one begun later has numbers far below the last applied), so
//! the whole transaction is applied as one batch. Notifications that arrive after that
//! read name rows already read: they are compared again and change nothing.
//!
//! When the connection is lost the server keeps serving what it has, `/health` says
//! `degraded` and why, and the task connects again after a pause that doubles from
//! [`BACKOFF_MIN`] up to [`BACKOFF_MAX`]. Once connected it catches up from the change
//! table: every feature changed after the last change applied (less
//! [`CATCH_UP_OVERLAP`], for transactions that committed out of order) is read and
//! compared again, so nothing committed while away is lost.
//!
//! The status word table (`riskmap_status_words`) notifies its changes too (a statement
//! trigger, no change rows): its words are read again and, when they differ from the
//! served ones, every hidden hazard is read again with them; a catch-up compares them
//! as well. How the rows read are compared with the served features: `pg_compare`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use riskmap_core::io::LayerRows;
use riskmap_core::model::LayerKind;
use riskmap_core::store::pg::{self, CHANNEL, Db};
use serde::Serialize;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use riskmap_core::store::words::WORDS_TABLE;

use super::changes::Reading;
use super::pg_compare::{compare_rows, log_row_issues};
use super::state::AppState;

/// A batch is closed when no notification came for this long …
pub const QUIET: Duration = Duration::from_millis(50);
/// … or when it has been gathering for this long.
pub const WINDOW: Duration = Duration::from_secs(1);
/// The first pause before connecting again.
pub const BACKOFF_MIN: Duration = Duration::from_millis(500);
/// The longest pause before connecting again.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Change numbers read again before the last one applied when catching up: a
/// transaction that took its number earlier but committed later is not missed.
pub const CATCH_UP_OVERLAP: i64 = 1000;
/// How long the follower waits without a notification before it looks at the
/// database's schema again (its triggers, which another program can drop).
pub const SCHEMA_CHECK: Duration = Duration::from_secs(60);
/// Features a batch gathers from notifications; past this many it reads the change
/// table instead (and holds no more notifications in memory).
pub const NOTE_CAP: usize = 1000;
/// The longest the follower reads a batch's rows while it holds the change path: past
/// it the connection is taken as lost and opened again (a connection that hangs would
/// otherwise hold every edit, reload and day's roll of the map).
pub const READ_LIMIT: Duration = Duration::from_secs(60);
/// Refused rows kept for `/health`.
const REFUSED_KEPT: usize = 20;

/// The database section of `/health`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DbStatus {
    /// Whether the listening connection is up.
    pub connected: bool,
    /// The number of the last change applied (or read by the last full load).
    pub last_seq: Option<i64>,
    /// The last error met (connecting, reading, applying).
    pub last_error: Option<String>,
    /// When the last error happened (seconds since the Unix epoch).
    pub last_error_at: Option<u64>,
    /// Connection attempts after the first one.
    pub reconnect_attempts: u64,
    /// Notifications received.
    pub notifications: u64,
    /// Batches applied from the database.
    pub batches: u64,
    /// Batches that named more than [`NOTE_CAP`] features, read from the change table.
    pub storms: u64,
    /// What is wrong with the database's schema for following it: its trigger functions
    /// are another release's (they record the changes this server follows), and
    /// `riskmap db init` would bring them up to this one's.
    pub schema: Option<String>,
    /// Layer tables without the trigger that records and announces their changes
    /// (another program made them again): their changes are not followed, and /health is
    /// degraded while there are any.
    pub unfollowed: Vec<String>,
    /// The latest rows the checks refused (layer, id, why, when read); the served
    /// features stayed. A row read again since leaves the list (and comes back if it is
    /// still refused).
    pub refused: Vec<RowIssue>,
    /// The latest rows applied after a repair or with a warning (a value left empty, a
    /// geometry made valid), as the loaders report them; as `refused`, a row read again
    /// leaves it.
    pub warnings: Vec<RowIssue>,
}

/// A changed row that the loaders' checks refused, repaired or warned about.
#[derive(Debug, Clone, Serialize)]
pub struct RowIssue {
    /// Its table.
    pub layer: &'static str,
    /// Its id.
    pub id: String,
    /// What the checks said.
    pub why: String,
    /// When the row was read (seconds since the Unix epoch).
    pub at: u64,
}

pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl AppState {
    fn db_status(&self, f: impl FnOnce(&mut DbStatus)) {
        let mut g = match self.database.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g);
    }

    /// Changes `seqs` are applied (by the follower, or an API edit served beside its
    /// transaction).
    pub(super) fn note_applied(&self, seqs: impl IntoIterator<Item = i64>) {
        match self.db_applied.lock() {
            Ok(mut a) => a.add(seqs),
            Err(p) => p.into_inner().add(seqs),
        }
    }

    /// Every change up to `seq` is in the served map (a full reading).
    pub(super) fn note_applied_up_to(&self, seq: i64) {
        match self.db_applied.lock() {
            Ok(mut a) => a.raise_floor(seq),
            Err(p) => p.into_inner().raise_floor(seq),
        }
    }

    /// Whether database change `seq` is applied to the served map.
    pub fn seq_applied(&self, seq: i64) -> bool {
        match self.db_applied.lock() {
            Ok(a) => a.covers(seq),
            Err(p) => p.into_inner().covers(seq),
        }
    }

    /// Every database change up to `seq` is served (or superseded by what is). Never
    /// goes down.
    pub(super) fn note_served(&self, seq: i64) {
        self.served_seq
            .fetch_max(seq, std::sync::atomic::Ordering::SeqCst);
    }

    fn db_error(&self, why: String) {
        tracing::error!(error = %why, "database");
        self.db_status(|s| {
            s.last_error = Some(why);
            s.last_error_at = Some(now());
        });
    }
}

/// Starts following the store of `state.source` (nothing when it is not a database).
pub fn spawn(state: Arc<AppState>) {
    let Some(url) = state.source.db.clone() else {
        return;
    };
    let first_seq = state.snapshot().source_seq;
    state.db_status(|s| s.last_seq = first_seq);
    state
        .following_db
        .store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(async move {
        let mut pause = BACKOFF_MIN;
        loop {
            let was_connected = session(&state, url.secret()).await;
            state.db_status(|s| {
                s.connected = false;
                s.reconnect_attempts += 1;
            });
            if was_connected {
                pause = BACKOFF_MIN;
            }
            tracing::warn!(
                seconds = pause.as_secs_f64(),
                "database connection lost; serving the last state, connecting again"
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(BACKOFF_MAX);
        }
    });
}

/// One notification.
#[derive(Debug, serde::Deserialize)]
struct Note {
    layer: String,
    id: String,
    seq: i64,
    /// Who made it (the trigger's `riskmap.actor`, else `database`; older triggers
    /// do not say).
    #[serde(default)]
    actor: Option<String>,
}

/// What the connection task has received and the follower has not taken yet: one
/// batch, bounded by [`NOTE_CAP`], and whether the connection was lost.
#[derive(Default)]
struct Inbox {
    pending: Mutex<Pending>,
    /// Rung at every notification and at the loss.
    bell: Notify,
}

#[derive(Default)]
struct Pending {
    batch: Batch,
    lost: Option<String>,
}

impl Inbox {
    fn with<R>(&self, f: impl FnOnce(&mut Pending) -> R) -> R {
        let mut g = match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }
}

/// One connection: listen, catch up, follow until it is lost. Whether it got as far as
/// listening.
async fn session(state: &Arc<AppState>, url: &str) -> bool {
    let db = Db::new(url);
    // With keepalives (`pg_conn`): a connection a firewall dropped without a word is
    // found lost, not listened on for ever.
    let connected = match riskmap_core::store::pg_conn::config(url) {
        Ok(c) => c.connect(NoTls).await,
        Err(e) => Err(e),
    };
    let (client, mut conn) = match connected {
        Ok(c) => c,
        Err(e) => {
            let e = riskmap_core::store::pg_cause(&e);
            state.db_error(format!("connecting to {}: {e}", db.shown()));
            return false;
        }
    };
    // The connection is driven here, never waiting for the follower (whose queries go
    // through it): notifications go straight into the bounded inbox.
    let inbox = Arc::new(Inbox::default());
    let driver = {
        let (inbox, state) = (Arc::clone(&inbox), Arc::clone(state));
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
            let lost = loop {
                match messages.next().await {
                    Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANNEL => {
                        inbox.with(|p| p.batch.note(&state, n.payload()));
                        inbox.bell.notify_one();
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break riskmap_core::store::pg_cause(&e),
                    None => break "the server closed the connection".into(),
                }
            };
            inbox.with(|p| p.lost = Some(lost));
            inbox.bell.notify_one();
        })
    };
    let followed = follow(state, &client, &db, &inbox).await;
    driver.abort();
    if let Err(why) = followed.1 {
        state.db_error(why);
    }
    followed.0
}

/// Listens, catches up, then applies batches of notifications until the connection is
/// lost: whether it listened, and why it stopped.
async fn follow(
    state: &Arc<AppState>,
    client: &Client,
    db: &Db,
    inbox: &Inbox,
) -> (bool, Result<(), String>) {
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        return (false, Err(format!("LISTEN on {}: {e}", db.shown())));
    }
    // (Said together with the connection, so that whoever sees it connected sees both.)
    let checked = schema_note(client, db).await;
    state.db_status(|s| {
        if let Some((note, unfollowed)) = checked {
            s.schema = note;
            s.unfollowed = unfollowed;
        }
        s.connected = true;
    });
    let mut schema_checked = Instant::now();
    tracing::info!(db = db.shown(), "following the database's changes");
    // What changed before listening began: from the change table.
    if let Err(e) = catch_up(state, client, db, None).await {
        return (true, Err(e.why()));
    }
    loop {
        // Every SCHEMA_CHECK the schema is looked at again, busy or not (a table made
        // again by another program sends no notification at all).
        let left = SCHEMA_CHECK.saturating_sub(schema_checked.elapsed());
        let rang = tokio::time::timeout(left, inbox.bell.notified())
            .await
            .is_ok();
        if schema_checked.elapsed() >= SCHEMA_CHECK {
            schema_checked = Instant::now();
            recheck_schema(state, client, db).await;
        }
        if !rang {
            continue;
        }
        let started = Instant::now();
        while started.elapsed() < WINDOW {
            // An edit through the API stored while the map was busy is in this batch:
            // apply now.
            let awaited = state.db_awaited.load(std::sync::atomic::Ordering::SeqCst);
            if awaited > state.served_seq.load(std::sync::atomic::Ordering::SeqCst)
                && inbox.with(|p| p.batch.last_seq.is_some_and(|s| s >= awaited))
            {
                break;
            }
            let more = tokio::select! {
                () = inbox.bell.notified() => true,
                () = state.db_awaited_bell.notified() => true,
                () = tokio::time::sleep(QUIET) => false,
            };
            if !more {
                break;
            }
        }
        let (batch, lost) = inbox.with(|p| (std::mem::take(&mut p.batch), p.lost.clone()));
        if let Some(why) = lost {
            // What was gathered is not applied: the catch-up after reconnecting reads it.
            return (true, Err(format!("{}: {why}", db.shown())));
        }
        let applied = if batch.storm {
            state.db_status(|s| s.storms += 1);
            catch_up(state, client, db, batch.first_seq).await
        } else {
            apply_batch(state, client, db, batch).await
        };
        match applied {
            Ok(()) => {}
            // A connection lost (or taken as lost) while reading ends the session; a
            // refused batch does not.
            Err(FollowError::Lost(why)) => return (true, Err(why)),
            Err(FollowError::Failed(why)) if client.is_closed() => return (true, Err(why)),
            Err(FollowError::Failed(why)) => {
                // A table another program made again (GDAL's -overwrite) fails the
                // reading of its rows, and lost its triggers: said in /health.
                recheck_schema(state, client, db).await;
                schema_checked = Instant::now();
                state.db_error(why);
            }
        }
    }
}

/// What is wrong with the database's schema for following it, if anything: trigger
/// functions of another release (they record changes otherwise: an id changed in QGIS
/// was one update before this release's), and layer tables without a trigger of this
/// release's; with the tables whose changes are not followed at all (no
/// `riskmap_change`). `None` when the catalog could not be read (what was said stands).
/// Logged as a warning.
async fn schema_note(client: &Client, db: &Db) -> Option<(Option<String>, Vec<String>)> {
    let outdated = pg::outdated_functions(client).await.ok()?;
    let missing = pg::missing_triggers(client).await.ok()?;
    let mut parts = Vec::new();
    if !outdated.is_empty() {
        parts.push(format!(
            "the database's trigger functions {} are not this release's",
            outdated.join(", ")
        ));
    }
    let of = |trigger: &str| -> Vec<String> {
        missing
            .iter()
            .filter(|(_, t)| *t == trigger)
            .map(|(table, _)| (*table).to_string())
            .collect()
    };
    let unfollowed = of("riskmap_change");
    for (trigger, what) in [
        (
            "riskmap_change",
            "whose changes are neither recorded nor followed (a table another program made \
             again, as GDAL's -overwrite does)",
        ),
        ("riskmap_truncate", "whose TRUNCATE is not recorded"),
        ("riskmap_touch", "whose updated_at is not kept"),
    ] {
        let tables = of(trigger);
        if !tables.is_empty() {
            parts.push(format!(
                "layer tables without the trigger {trigger}, {what}: {}",
                tables.join(", ")
            ));
        }
    }
    let note = (!parts.is_empty()).then(|| {
        format!(
            "{}: run `riskmap db init --db URL` to bring them up to this release",
            parts.join("; ")
        )
    });
    if let Some(n) = &note {
        tracing::warn!(db = db.shown(), "{n}");
    }
    Some((note, unfollowed))
}

/// [`schema_note`] into the status, unless the catalog could not be read.
async fn recheck_schema(state: &AppState, client: &Client, db: &Db) {
    if let Some((note, unfollowed)) = schema_note(client, db).await {
        state.db_status(|s| {
            s.schema = note;
            s.unfollowed = unfollowed;
        });
    }
}

/// Reads the features changed after the last change applied (less
/// [`CATCH_UP_OVERLAP`]), and from `first` on when a storm's notifications named it,
/// from the change table and applies them as one batch; with no change number to start
/// from, reads everything and compares.
///
/// A storm's own first number matters: a transaction takes its numbers as it changes
/// rows and notifies at its commit, so a long one that commits after a short one
/// began later has numbers far below the last applied (the short one's), more than
/// [`CATCH_UP_OVERLAP`] below when it changed that many rows.
async fn catch_up(
    state: &Arc<AppState>,
    client: &Client,
    db: &Db,
    first: Option<i64>,
) -> Result<(), FollowError> {
    let since = state.database.lock().ok().and_then(|s| s.last_seq);
    let Some(seq) = since else {
        return Ok(state.sync_as("database").await.map(|_| ())?);
    };
    let mut from = seq.saturating_sub(CATCH_UP_OVERLAP);
    // (a later part of a storm already caught up names numbers read then)
    if let Some(first) = first.filter(|f| !state.seq_applied(*f)) {
        from = from.min(first.saturating_sub(1));
    }
    let rows = pg::changed_since(client, db, from)
        .await
        .map_err(|e| e.to_string())?;
    // Words changed while nobody listened are not in the change table: compared.
    let mut batch = Batch {
        words: true,
        ..Batch::default()
    };
    for (kind, id, seq) in rows {
        batch.add(kind, id, seq);
    }
    apply_batch(state, client, db, batch).await
}

/// Why a batch of the follower was not applied.
#[derive(Debug)]
enum FollowError {
    /// The connection is lost, or taken as lost (a read past [`READ_LIMIT`]): the session
    /// ends and a new one catches up.
    Lost(String),
    /// Anything else (a refused batch, a failed read): told, and the session goes on
    /// unless its connection closed.
    Failed(String),
}

impl FollowError {
    fn why(self) -> String {
        match self {
            FollowError::Lost(w) | FollowError::Failed(w) => w,
        }
    }
}

impl From<String> for FollowError {
    fn from(why: String) -> Self {
        FollowError::Failed(why)
    }
}

/// The features a batch of notifications names, by layer; or, past [`NOTE_CAP`] of
/// them, only that it is a storm (read from the change table).
#[derive(Debug, Default)]
struct Batch {
    ids: BTreeMap<LayerKind, BTreeSet<String>>,
    len: usize,
    storm: bool,
    /// The lowest change number its notifications named (kept in a storm too).
    first_seq: Option<i64>,
    last_seq: Option<i64>,
    /// The numbers of the changes it holds.
    seqs: Vec<i64>,
    /// Who made the changes, as the notifications say.
    actors: BTreeSet<String>,
    /// Whether the status word table may have changed: its words are read again.
    words: bool,
}

impl Batch {
    /// Who the batch is announced as made by: the actors its notifications name (a
    /// token's name for an edit through a server, `database` for QGIS or psql), or
    /// `database` when they name none (a catch-up).
    fn actor(&self) -> String {
        if self.actors.is_empty() {
            "database".into()
        } else {
            self.actors
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    fn add(&mut self, kind: LayerKind, id: String, seq: i64) {
        if self.ids.entry(kind).or_default().insert(id) {
            self.len += 1;
        }
        self.seqs.push(seq);
        self.seen(seq);
    }

    /// Change `seq` named by a notification.
    fn seen(&mut self, seq: i64) {
        self.first_seq = Some(self.first_seq.map_or(seq, |s| s.min(seq)));
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
    }

    fn note(&mut self, state: &AppState, payload: &str) {
        state.db_status(|s| s.notifications += 1);
        match serde_json::from_str::<Note>(payload) {
            Ok(n) if n.layer == WORDS_TABLE => self.words = true,
            // (a storm keeps only where its numbers begin and end)
            Ok(n) if self.storm => self.seen(n.seq),
            Ok(n) => match LayerKind::from_name(&n.layer) {
                Some(k) if LayerKind::INPUTS.contains(&k) => {
                    self.add(k, n.id, n.seq);
                    self.actors.extend(n.actor);
                    if self.len > NOTE_CAP {
                        *self = Batch {
                            storm: true,
                            words: self.words,
                            first_seq: self.first_seq,
                            last_seq: self.last_seq,
                            ..Batch::default()
                        };
                    }
                }
                _ => tracing::debug!(layer = n.layer, "a change of a table that is not a layer"),
            },
            Err(e) => tracing::warn!(payload, error = %e, "a notification that cannot be read"),
        }
    }
}

/// `read` given what is left of [`READ_LIMIT`] since `since`; past it, the connection is
/// taken as lost.
async fn within<T, E: std::fmt::Display>(
    since: Instant,
    read: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, FollowError> {
    let left = READ_LIMIT.saturating_sub(since.elapsed());
    match tokio::time::timeout(left, read).await {
        Ok(r) => r.map_err(|e| FollowError::Failed(e.to_string())),
        Err(_) => Err(FollowError::Lost(format!(
            "reading the changed rows took longer than {} s while holding the map's change \
             path: the connection is taken as lost",
            READ_LIMIT.as_secs()
        ))),
    }
}

/// Reads the rows a batch names, checks them as the loaders do, and applies what differs
/// from what is served as one batch of edits.
async fn apply_batch(
    state: &Arc<AppState>,
    client: &Client,
    db: &Db,
    mut batch: Batch,
) -> Result<(), FollowError> {
    // The rows are read and served under the change path: an edit through this server's
    // API, served beside its own transaction, cannot come between, so a row read before
    // such an edit committed is never served after it (`pg_edit`).
    let held = state.change_path().await;
    let reading = Instant::now();
    // New words for the hidden hazards' stages: every hazard is read again with them
    // (a row whose word meant nothing may mean a stage now), and edits from now on too.
    let mut new_words = None;
    if batch.words {
        let (words, refused) = within(reading, pg::status_words(client, db)).await?;
        for i in refused.iter().take(REFUSED_KEPT) {
            tracing::warn!(table = i.file, why = i.message, "a status word was refused");
        }
        let served = state.snapshot();
        if words != served.statuses {
            let all = batch.ids.entry(LayerKind::HiddenHazards).or_default();
            all.extend(
                served
                    .dataset()
                    .hidden_hazards
                    .features()
                    .iter()
                    .map(|f| f.id.clone()),
            );
            new_words = Some(words);
        }
    }
    if batch.ids.values().all(BTreeSet::is_empty) && new_words.is_none() {
        return Ok(());
    }
    let mut layers: Vec<LayerRows> = Vec::new();
    let mut present: BTreeMap<LayerKind, BTreeSet<String>> = BTreeMap::new();
    for (kind, ids) in &batch.ids {
        let ids: Vec<String> = ids.iter().cloned().collect();
        let rows = within(reading, pg::read_layer(client, db, *kind, Some(&ids))).await?;
        if let Some(rows) = rows {
            present.insert(
                *kind,
                rows.rows.iter().filter_map(|r| r.id.clone()).collect(),
            );
            layers.push(rows);
        }
    }
    // Checking and comparing 100,000 rows takes a while: off the async workers.
    let served = state.snapshot();
    let opts = match &new_words {
        Some(w) => state.source.load.with_statuses(w).into_owned(),
        None => served.load_options(&state.source.load).into_owned(),
    };
    let actor = batch.actor();
    let (seqs, batch_last) = (batch.seqs, batch.last_seq);
    let ids = batch.ids;
    let read_again: std::collections::HashSet<(&'static str, String)> = ids
        .iter()
        .flat_map(|(k, ids)| ids.iter().map(|id| (k.name(), id.clone())))
        .collect();
    let (edits, refused, warnings, report) =
        tokio::task::spawn_blocking(move || compare_rows(&served, layers, &opts, &ids, &present))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    log_row_issues("database", &refused, &warnings);
    // A batch whose rows were all refused changes only the validation report: served
    // too (a new generation), so that the report says what the tables hold.
    let report_only = edits.is_empty() && report.issues != state.snapshot().report.issues;
    let result = if edits.is_empty() && !report_only && new_words.is_none() {
        Ok(())
    } else {
        state
            .apply_edits_held(
                &held,
                edits,
                actor,
                Some(Reading {
                    report,
                    statuses: new_words,
                }),
            )
            .await
            .map(|ev| {
                tracing::info!(
                    generation = ev.generation,
                    features = ev.features,
                    "database changed: applied"
                );
            })
            .map_err(|e| format!("a change from the database was not applied: {e}"))
    };
    // Whatever the outcome, these changes were handled: a refused batch would be
    // refused again.
    state.db_status(|s| {
        if let Some(seq) = batch_last {
            s.last_seq = Some(s.last_seq.map_or(seq, |l| l.max(seq)));
        }
        for (kept, new) in [(&mut s.refused, refused), (&mut s.warnings, warnings)] {
            kept.retain(|r| !read_again.contains(&(r.layer, r.id.clone())));
            kept.extend(new);
            let extra = kept.len().saturating_sub(REFUSED_KEPT);
            kept.drain(..extra);
        }
        if result.is_ok() {
            s.batches += 1;
        }
    });
    state.note_applied(seqs);
    if let Some(seq) = batch_last {
        state.note_served(seq);
    }
    drop(held);
    result.map_err(FollowError::Failed)
}
