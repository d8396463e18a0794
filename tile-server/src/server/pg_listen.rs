//! Following a PostGIS store while serving: another client's INSERT, UPDATE or DELETE
//! (QGIS editing a table, psql, a second `riskmap import --db`) reaches the served map.
//!
//! A task of its own keeps a connection that `LISTEN`s on the store's channel. The
//! notifications of a change (layer, id, change number) are gathered until
//! [`QUIET`] passes without another, or for at most [`WINDOW`], each feature once (or at
//! once when the change an edit through the API waits for has arrived); the
//! rows they name are then read, one query per layer (`id = ANY($1)`), through the loaders' checks
//! ([`riskmap_core::io::load_rows`]), compared with what is served and applied as one
//! batch through the same change path as an edit (announced as made by the actors the
//! notifications name: `database` for QGIS or psql, a token's name for an edit through
//! the API, see [`super::pg_edit`]). A row the checks
//! refuse is not applied (the served feature stays) and is reported in the log and in
//! `/health`; an id without a row is a deletion.
//!
//! A change storm (one transaction changing 100,000 rows sends as many notifications)
//! is not held in memory: past [`NOTE_CAP`] features a batch keeps only that it is one,
//! and its features are read from the change table as after a reconnect (below), so
//! the whole transaction is applied as one batch. Notifications that arrive after that
//! read name rows already read: they are compared again and change nothing.
//!
//! When the connection is lost the server keeps serving what it has, `/health` says
//! `degraded` and why, and the task connects again after a pause that doubles from
//! [`BACKOFF_MIN`] up to [`BACKOFF_MAX`]. Once connected it catches up from the change
//! table: every feature changed after the last change applied (less
//! [`CATCH_UP_OVERLAP`], for transactions that committed out of order) is read and
//! compared again, so nothing committed while away is lost.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use riskmap_core::dataset::Layer;
use riskmap_core::io::{self, LayerRows, Loaded};
use riskmap_core::live::{AnyFeature, Edit, Live};
use riskmap_core::model::{Enterprise, Feature, LayerKind};
use riskmap_core::store::pg::{self, CHANNEL, Db};
use serde::Serialize;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use super::changes::{Reading, background};
use super::state::{AppState, Snapshot};

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
/// Features a batch gathers from notifications; past this many it reads the change
/// table instead (and holds no more notifications in memory).
pub const NOTE_CAP: usize = 1000;
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
    /// The latest rows the checks refused (layer, id, why); the served features stayed.
    pub refused: Vec<RowIssue>,
    /// The latest rows applied after a repair or with a warning (a value left empty, a
    /// geometry made valid), as the loaders report them.
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
}

fn now() -> u64 {
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

    /// Changes `seqs` are applied: the edits through the API waiting for one of them
    /// look again.
    pub(super) fn note_applied(&self, seqs: impl IntoIterator<Item = i64>) {
        match self.db_applied.lock() {
            Ok(mut a) => a.add(seqs),
            Err(p) => p.into_inner().add(seqs),
        }
        self.served_seq.send_modify(|_| {});
    }

    /// Every change up to `seq` is in the served map (a full reading).
    pub(super) fn note_applied_up_to(&self, seq: i64) {
        match self.db_applied.lock() {
            Ok(mut a) => a.raise_floor(seq),
            Err(p) => p.into_inner().raise_floor(seq),
        }
        self.served_seq.send_modify(|_| {});
    }

    /// Whether database change `seq` is applied to the served map.
    pub fn seq_applied(&self, seq: i64) -> bool {
        match self.db_applied.lock() {
            Ok(a) => a.covers(seq),
            Err(p) => p.into_inner().covers(seq),
        }
    }

    /// Every database change up to `seq` is served (or superseded by what is): wakes the
    /// edits through the API that wait for it. Never goes down.
    pub(super) fn note_served(&self, seq: i64) {
        self.served_seq.send_if_modified(|s| {
            let later = seq > *s;
            if later {
                *s = seq;
            }
            later
        });
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
    let (client, mut conn) = match tokio_postgres::connect(url, NoTls).await {
        Ok(c) => c,
        Err(e) => {
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
                    Some(Err(e)) => break e.to_string(),
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
    state.db_status(|s| s.connected = true);
    tracing::info!(db = db.shown(), "following the database's changes");
    // What changed before listening began: from the change table.
    if let Err(why) = catch_up(state, client, db).await {
        return (true, Err(why));
    }
    loop {
        inbox.bell.notified().await;
        let started = Instant::now();
        while started.elapsed() < WINDOW {
            // An edit through the API waits for a change this batch holds: apply now.
            let awaited = state.db_awaited.load(std::sync::atomic::Ordering::SeqCst);
            if awaited > *state.served_seq.borrow()
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
            catch_up(state, client, db).await
        } else {
            apply_batch(state, client, db, batch).await
        };
        if let Err(why) = applied {
            // A connection lost while reading ends the session; a refused batch does not.
            if client.is_closed() {
                return (true, Err(why));
            }
            state.db_error(why);
        }
    }
}

/// Reads the features changed after the last change applied (less
/// [`CATCH_UP_OVERLAP`]) from the change table and applies them as one batch; with no
/// change number to start from, reads everything and compares.
async fn catch_up(state: &Arc<AppState>, client: &Client, db: &Db) -> Result<(), String> {
    let since = state.database.lock().ok().and_then(|s| s.last_seq);
    let Some(seq) = since else {
        return state.sync_as("database").await.map(|_| ());
    };
    let rows = pg::changed_since(client, db, seq.saturating_sub(CATCH_UP_OVERLAP))
        .await
        .map_err(|e| e.to_string())?;
    let mut batch = Batch::default();
    for (kind, id, seq) in rows {
        batch.add(kind, id, seq);
    }
    apply_batch(state, client, db, batch).await
}

/// The features a batch of notifications names, by layer; or, past [`NOTE_CAP`] of
/// them, only that it is a storm (read from the change table).
#[derive(Debug, Default)]
struct Batch {
    ids: BTreeMap<LayerKind, BTreeSet<String>>,
    len: usize,
    storm: bool,
    last_seq: Option<i64>,
    /// The numbers of the changes it holds.
    seqs: Vec<i64>,
    /// Who made the changes, as the notifications say.
    actors: BTreeSet<String>,
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
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
    }

    fn note(&mut self, state: &AppState, payload: &str) {
        state.db_status(|s| s.notifications += 1);
        if self.storm {
            return;
        }
        match serde_json::from_str::<Note>(payload) {
            Ok(n) => match LayerKind::from_name(&n.layer) {
                Some(k) if LayerKind::INPUTS.contains(&k) => {
                    self.add(k, n.id, n.seq);
                    self.actors.extend(n.actor);
                    if self.len > NOTE_CAP {
                        *self = Batch {
                            storm: true,
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

/// Reads the rows a batch names, checks them as the loaders do, and applies what differs
/// from what is served as one batch of edits.
async fn apply_batch(
    state: &Arc<AppState>,
    client: &Client,
    db: &Db,
    batch: Batch,
) -> Result<(), String> {
    if batch.ids.is_empty() {
        return Ok(());
    }
    let mut layers: Vec<LayerRows> = Vec::new();
    let mut present: BTreeMap<LayerKind, BTreeSet<String>> = BTreeMap::new();
    for (kind, ids) in &batch.ids {
        let ids: Vec<String> = ids.iter().cloned().collect();
        let rows = pg::read_layer(client, db, *kind, Some(&ids))
            .await
            .map_err(|e| e.to_string())?;
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
    let opts = served.load_options(&state.source.load).into_owned();
    let actor = batch.actor();
    let (seqs, batch_last) = (batch.seqs, batch.last_seq);
    let ids = batch.ids;
    let (edits, refused, warnings, report) = tokio::task::spawn_blocking(move || {
        let mut loaded = background(|| io::load_rows(layers, &opts))?;
        if ids.contains_key(&LayerKind::HazardSources) {
            resolve_owners(&served, &mut loaded, &ids, &present);
        }
        link_hidden(&served, &mut loaded);
        let (edits, refused, warnings) = differences(&served, &loaded, &ids, &present);
        let report = reported(&served, &loaded, &ids, &edits);
        Ok::<_, io::LoadError>((edits, refused, warnings, report))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    // A storm may bring thousands: the first few are logged, then how many.
    for r in warnings.iter().take(REFUSED_KEPT) {
        tracing::warn!(
            layer = r.layer,
            id = r.id,
            why = r.why,
            "a changed row was applied with a repair or warning"
        );
    }
    for r in refused.iter().take(REFUSED_KEPT) {
        tracing::error!(
            layer = r.layer,
            id = r.id,
            why = r.why,
            "a changed row was refused by the checks; the served feature stays"
        );
    }
    if warnings.len().max(refused.len()) > REFUSED_KEPT {
        tracing::warn!(
            warned = warnings.len(),
            refused = refused.len(),
            "more rows of this batch were repaired, warned about or refused than are logged"
        );
    }
    // A batch whose rows were all refused changes only the validation report: served
    // too (a new generation), so that the report says what the tables hold.
    let report_only = edits.is_empty() && report.issues != state.snapshot().report.issues;
    let result = if edits.is_empty() && !report_only {
        Ok(())
    } else {
        state
            .apply_edits_with_reading(
                edits,
                actor,
                Some(Reading {
                    report,
                    // (the rows were read with the served words; a store's words are
                    // read again with the whole store)
                    statuses: state.snapshot().statuses.clone(),
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
    result
}

/// What differs between the rows read (`loaded`, through the loaders' checks) and what
/// is served, for the ids a batch names: the edits, the rows refused, the rows applied
/// with a warning.
fn differences(
    served: &Snapshot,
    loaded: &Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    present: &BTreeMap<LayerKind, BTreeSet<String>>,
) -> (Vec<Edit>, Vec<RowIssue>, Vec<RowIssue>) {
    let mut issues: HashMap<(LayerKind, &str), Vec<&str>> = HashMap::new();
    for i in &loaded.report.issues {
        if let (Some(layer), Some(id)) = (i.layer, i.feature_id.as_deref()) {
            issues
                .entry((layer, id))
                .or_default()
                .push(i.message.as_str());
        }
    }
    let mut d = Differ {
        live: &served.live,
        edits: Vec::new(),
        refused: Vec::new(),
        warnings: Vec::new(),
        issues,
    };
    let (sd, ld) = (served.dataset(), &loaded.dataset);
    let none = BTreeSet::new();
    for (kind, ids) in ids {
        let c = Changed {
            ids,
            present: present.get(kind).unwrap_or(&none),
        };
        match kind {
            LayerKind::Areas => d.layer(&sd.areas, &ld.areas, c, AnyFeature::Area),
            LayerKind::Enterprises => {
                d.layer(&sd.enterprises, &ld.enterprises, c, AnyFeature::Enterprise);
            }
            LayerKind::HazardSources => d.layer(
                &sd.hazard_sources,
                &ld.hazard_sources,
                c,
                AnyFeature::HazardSource,
            ),
            LayerKind::GasPipelines => d.layer(
                &sd.gas_pipelines,
                &ld.gas_pipelines,
                c,
                AnyFeature::GasPipeline,
            ),
            LayerKind::Houses => d.layer(&sd.houses, &ld.houses, c, AnyFeature::House),
            LayerKind::ProtectionTargets => d.layer(
                &sd.protection_targets,
                &ld.protection_targets,
                c,
                AnyFeature::ProtectionTarget,
            ),
            LayerKind::HiddenHazards => d.layer(
                &sd.hidden_hazards,
                &ld.hidden_hazards,
                c,
                AnyFeature::HiddenHazard,
            ),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => {}
        }
    }
    (d.edits, d.refused, d.warnings)
}

/// The validation report served after the batch: the issues of the rows read again
/// replace those they had, each layer counts what it serves once `edits` are applied.
fn reported(
    served: &Snapshot,
    loaded: &Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    edits: &[Edit],
) -> io::ValidationReport {
    let mut counts: BTreeMap<LayerKind, i64> = served
        .dataset()
        .counts()
        .into_iter()
        .filter(|(k, _)| ids.contains_key(k))
        .map(|(k, n)| (k, n as i64))
        .collect();
    for e in edits {
        let (kind, id, delta) = match e {
            Edit::Put(f) => (f.layer(), f.id(), 1),
            Edit::Delete { layer, id } => (*layer, id.as_str(), -1),
        };
        let was = served.live.position(kind, id).is_some();
        let d = match (delta, was) {
            (1, false) => 1,
            (-1, true) => -1,
            _ => 0,
        };
        *counts.entry(kind).or_default() += d;
    }
    let counts = counts
        .into_iter()
        .map(|(k, n)| (k, n.max(0) as u64))
        .collect();
    served
        .report
        .with_features_read_again(&loaded.report, ids, &counts)
}

/// A hidden hazard names the feature it belongs to, which the loaders look up among the
/// features read with it: here among the batch's rows, then the served features.
fn link_hidden(served: &Snapshot, loaded: &mut Loaded) {
    if loaded.dataset.hidden_hazards.is_empty() {
        return;
    }
    loaded
        .report
        .issues
        .retain(|i| i.code != io::IssueCode::UnknownLinkedFeature);
    let mut hidden = std::mem::replace(
        &mut loaded.dataset.hidden_hazards,
        Layer::empty(LayerKind::HiddenHazards),
    )
    .into_features();
    let issues = io::link_hidden_hazards(
        &mut hidden,
        &[&loaded.dataset, served.dataset()],
        LayerKind::HiddenHazards.name(),
    );
    loaded.report.issues.extend(issues);
    loaded.dataset.hidden_hazards = Layer::new(LayerKind::HiddenHazards, hidden);
}

/// A hazard source names its enterprise by id, credit code or name, which the loaders
/// resolve against the enterprises read with it: here those are the served enterprises
/// with the batch's changes to them, not a reading of every enterprise again for each
/// changed hazard source.
fn resolve_owners(
    served: &Snapshot,
    loaded: &mut Loaded,
    ids: &BTreeMap<LayerKind, BTreeSet<String>>,
    present: &BTreeMap<LayerKind, BTreeSet<String>>,
) {
    // The served enterprises as they are, unless the batch changed some of them.
    let combined: Vec<Feature<Enterprise>>;
    let served_ents = served.dataset().enterprises.features();
    let enterprises = match ids.get(&LayerKind::Enterprises) {
        None => served_ents,
        Some(named) => {
            let kept = present.get(&LayerKind::Enterprises);
            combined = served_ents
                .iter()
                .filter(|f| !named.contains(&f.id))
                .chain(
                    loaded
                        .dataset
                        .enterprises
                        .features()
                        .iter()
                        .filter(|f| kept.is_some_and(|k| k.contains(&f.id))),
                )
                .cloned()
                .collect();
            &combined[..]
        }
    };
    // What the loaders said of the references against the batch's enterprises alone is
    // said again against all of them.
    loaded
        .report
        .issues
        .retain(|i| i.code != io::IssueCode::UnknownEnterprise);
    let mut hazards = std::mem::replace(
        &mut loaded.dataset.hazard_sources,
        Layer::empty(LayerKind::HazardSources),
    )
    .into_features();
    let file = loaded
        .report
        .files
        .iter()
        .find(|f| f.layer == Some(LayerKind::HazardSources))
        .map_or_else(
            || LayerKind::HazardSources.name().to_string(),
            |f| f.file.clone(),
        );
    let issues = io::resolve_enterprise_refs(&mut hazards, enterprises, &file);
    loaded.report.issues.extend(issues);
    loaded.dataset.hazard_sources = Layer::new(LayerKind::HazardSources, hazards);
}

/// The ids a batch names in one layer, and those that still have a row.
struct Changed<'a> {
    ids: &'a BTreeSet<String>,
    present: &'a BTreeSet<String>,
}

struct Differ<'a> {
    /// The served features, found by id.
    live: &'a Live,
    edits: Vec<Edit>,
    refused: Vec<RowIssue>,
    warnings: Vec<RowIssue>,
    /// What the checks said, by layer and id.
    issues: HashMap<(LayerKind, &'a str), Vec<&'a str>>,
}

impl Differ<'_> {
    /// For each changed id: a row that passed the checks and differs from the served
    /// feature is put; a row that did not pass is refused; no row is a deletion.
    fn layer<P: Serialize + Clone>(
        &mut self,
        served: &Layer<P>,
        loaded: &Layer<P>,
        c: Changed<'_>,
        wrap: fn(Feature<P>) -> AnyFeature,
    ) {
        let props = |f: &Feature<P>| serde_json::to_string(&f.props).unwrap_or_default();
        let kind = served.kind();
        let read: HashMap<&str, &Feature<P>> = loaded
            .features()
            .iter()
            .map(|f| (f.id.as_str(), f))
            .collect();
        let issues =
            |id: &str| -> Option<String> { self.issues.get(&(kind, id)).map(|why| why.join("; ")) };
        for id in c.ids {
            let now = self.live.position(kind, id).and_then(|p| served.get(p));
            match read.get(id.as_str()) {
                Some(f) => {
                    let same =
                        now.is_some_and(|b| b.geometry == f.geometry && props(b) == props(f));
                    if !same {
                        self.edits.push(Edit::Put(Box::new(wrap((*f).clone()))));
                        if let Some(why) = issues(id) {
                            self.warnings.push(RowIssue {
                                layer: kind.name(),
                                id: id.clone(),
                                why,
                            });
                        }
                    }
                }
                None if c.present.contains(id) => {
                    self.refused.push(RowIssue {
                        layer: kind.name(),
                        id: id.clone(),
                        why: issues(id).unwrap_or_else(|| "refused by the checks".into()),
                    });
                }
                None => {
                    if now.is_some() {
                        self.edits.push(Edit::Delete {
                            layer: kind,
                            id: id.clone(),
                        });
                    }
                }
            }
        }
    }
}
