//! SQLite backend of the ClubOS [`Store`]: WAL journal, append-only
//! migrations, a group-committing writer thread and reader threads (see
//! [`exec`] for why).

mod accounts;
pub mod backup;
mod console;
mod convert;
mod delivery;
mod exec;
mod ingest;
mod knowledge;
mod leases;
mod plans;
mod privacy;
mod reads;
mod review;
mod schema;
mod sop_metrics;
mod tokens;
mod work;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use clubos_domain::policy::{Budget, LedgerScope, TokenUsage};
use clubos_domain::{ActionOutcome, ActionRecord, Booking, CustomerFlags, LocationId, PhoneNumber, ThreadStatus};
use clubos_store::*;
use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;

/// How hard SQLite syncs to disk at commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// WAL + NORMAL: a commit survives a crash of the process (kill -9); the
    /// last commits may be lost if the machine loses power.
    #[default]
    Normal,
    /// fsync at every commit: survives power loss, slower.
    Full,
}

/// Page size of a new database. Why smaller than SQLite's 4 KiB: the WAL
/// stores every page a commit touched in full, and a message's small commits
/// touch a few rows in many tables and indexes; halving the page halves
/// that write volume (measured: docs/PERFORMANCE.md).
const PAGE_SIZE: i64 = 2048;
/// WAL size (pages) at which the writer checkpoints and the WAL starts over.
const WAL_RESTART_PAGES: i64 = 4000;

/// Reader connections (and threads) of a file database.
const READERS: usize = 2;

/// The SQLite store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    exec: Arc<exec::Exec>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, sync: Synchronous) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("creating {}: {e}", dir.display())))?;
        }
        let mut writer = Connection::open(path).map_err(backend)?;
        // Only takes effect on a new file (before the first table exists).
        writer.pragma_update(None, "page_size", PAGE_SIZE).map_err(backend)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        configure(&writer, sync)?;
        // The checkpointer thread copies the WAL back off the commit path;
        // the writer still checkpoints when the WAL passes this many pages,
        // which (the rest being copied already) is cheap and lets the next
        // write start the WAL over. Without it the WAL grows without bound
        // under a steady load: it only restarts when a write begins with
        // every frame copied, which a background checkpoint rarely achieves.
        writer.pragma_update(None, "wal_autocheckpoint", WAL_RESTART_PAGES).map_err(backend)?;
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open(path).map_err(backend)?;
            configure(&r, sync)?;
            r.pragma_update(None, "query_only", "ON").map_err(backend)?;
            readers.push(r);
        }
        let checkpointer = Connection::open(path).map_err(backend)?;
        configure(&checkpointer, sync)?;
        Self::start(writer, readers, Some(checkpointer))
    }

    /// A private in-memory database (tests); reads run on the one connection.
    pub fn open_in_memory() -> Result<Self> {
        let mut conn = Connection::open_in_memory().map_err(backend)?;
        configure(&conn, Synchronous::Normal)?;
        migrate(&mut conn)?;
        Self::start(conn, Vec::new(), None)
    }

    fn start(writer: Connection, readers: Vec<Connection>, checkpointer: Option<Connection>) -> Result<Self> {
        let exec = exec::Exec::start(writer, readers, checkpointer)
            .map_err(|e| StoreError::Backend(format!("starting the storage threads: {e}")))?;
        Ok(Self { exec: Arc::new(exec) })
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.exec.write(f).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.exec.read(f).await
    }
}

fn configure(c: &Connection, sync: Synchronous) -> Result<()> {
    let level = match sync {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    c.pragma_update(None, "synchronous", level).map_err(backend)?;
    c.pragma_update(None, "foreign_keys", "ON").map_err(backend)?;
    c.pragma_update(None, "busy_timeout", 5000).map_err(backend)?;
    c.set_prepared_statement_cache_capacity(128);
    Ok(())
}

fn migrate(c: &mut Connection) -> Result<()> {
    let ran = schema::migrate(c).map_err(backend)?;
    if ran > 0 {
        tracing::info!(migrations = ran, "sqlite schema migrated");
    }
    Ok(())
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(&self, msg: NewInbound) -> Result<Ingested> {
        self.write(move |c| ingest::ingest(c, &msg)).await
    }
    async fn queue_depth(&self, now: Timestamp) -> Result<u64> {
        self.read(move |c| ingest::queue_depth(c, now)).await
    }
    async fn claim(&self, worker: &str, now: Timestamp, lease: SignedDuration) -> Result<Option<Claim>> {
        let worker = worker.to_owned();
        self.write(move |c| ingest::claim(c, &worker, now, lease)).await
    }
    async fn renew(&self, thread_id: ThreadId, worker: &str, until: Timestamp) -> Result<bool> {
        let worker = worker.to_owned();
        self.write(move |c| ingest::renew(c, thread_id, &worker, until)).await
    }
    async fn release(&self, thread_id: ThreadId, worker: &str, how: Release, now: Timestamp) -> Result<()> {
        let worker = worker.to_owned();
        self.write(move |c| ingest::release(c, thread_id, &worker, how, now)).await
    }
    async fn release_all_claims(&self) -> Result<u64> {
        self.write(ingest::release_all).await
    }
    async fn work_context(&self, thread_id: ThreadId, now: Timestamp) -> Result<WorkContext> {
        self.read(move |c| work::work_context(c, thread_id, now)).await
    }
    async fn commit_decision(&self, d: NewDecision) -> Result<(DecisionId, Vec<ActionId>)> {
        self.write(move |c| work::commit_decision(c, &d)).await
    }
    async fn mark_processed(
        &self,
        thread_id: ThreadId,
        message_ids: Vec<i64>,
        notification: Option<NewNotification>,
        at: Timestamp,
    ) -> Result<()> {
        self.write(move |c| work::mark_processed(c, thread_id, &message_ids, notification.as_ref(), at)).await
    }
    async fn start_action(
        &self,
        thread_id: ThreadId,
        decision_id: Option<DecisionId>,
        action: NewAction,
        at: Timestamp,
    ) -> Result<ActionId> {
        self.write(move |c| work::start_action(c, thread_id, decision_id, &action, at)).await
    }
    async fn finish_action(
        &self,
        id: ActionId,
        outcome: ActionOutcome,
        error: Option<String>,
        at: Timestamp,
    ) -> Result<ActionRow> {
        self.write(move |c| work::finish_action(c, id, outcome, error, at)).await
    }
    async fn pending_actions(&self) -> Result<Vec<ActionRow>> {
        self.read(work::pending_actions).await
    }
    async fn ledger(&self, location: &LocationId, scope: &LedgerScope) -> Result<Vec<ActionRecord>> {
        let (location, scope) = (location.clone(), scope.clone());
        self.read(move |c| work::ledger(c, &location, &scope)).await
    }
    async fn update_thread(&self, thread_id: ThreadId, update: ThreadUpdate, at: Timestamp) -> Result<()> {
        self.write(move |c| work::apply_thread_update(c, thread_id, &update, at)).await
    }
    async fn list_threads(&self, filter: ThreadFilter) -> Result<Vec<ThreadRow>> {
        self.read(move |c| reads::list_threads(c, &filter)).await
    }
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>> {
        self.read(move |c| reads::thread_detail(c, id)).await
    }
    async fn thread_times(&self, statuses: &[ThreadStatus]) -> Result<Vec<ThreadTimes>> {
        let statuses: Vec<&'static str> = statuses.iter().map(|s| s.as_str()).collect();
        self.read(move |c| reads::thread_times(c, &statuses)).await
    }
    async fn upsert_booking(&self, booking: &Booking) -> Result<()> {
        let b = booking.clone();
        self.write(move |c| reads::upsert_booking(c, &b)).await
    }
    async fn bookings_for(
        &self,
        phone: &PhoneNumber,
        location: Option<&LocationId>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>> {
        let (phone, location) = (phone.clone(), location.cloned());
        self.read(move |c| reads::bookings_for(c, &phone, location.as_ref(), from, to)).await
    }
    async fn set_customer(
        &self,
        phone: &PhoneNumber,
        name: Option<String>,
        flags: CustomerFlags,
        at: Timestamp,
    ) -> Result<CustomerRow> {
        let phone = phone.clone();
        self.write(move |c| reads::set_customer(c, &phone, name, &flags, at)).await
    }
    async fn customer(&self, phone: &PhoneNumber) -> Result<Option<CustomerRow>> {
        let phone = phone.clone();
        self.read(move |c| reads::customer(c, &phone)).await
    }
    async fn notify(&self, n: NewNotification, at: Timestamp) -> Result<Option<i64>> {
        self.write(move |c| reads::notify(c, &n, at)).await
    }
    async fn notifications(&self, unacked_only: bool) -> Result<Vec<NotificationRow>> {
        self.read(move |c| reads::notifications(c, unacked_only)).await
    }
    async fn open_notification(&self, dedupe_key: &str) -> Result<Option<NotificationRow>> {
        let key = dedupe_key.to_owned();
        self.read(move |c| reads::open_notification(c, &key)).await
    }
    async fn ack_notification(&self, id: i64, by: &str, at: Timestamp) -> Result<bool> {
        let by = by.to_owned();
        self.write(move |c| reads::ack_notification(c, id, &by, at)).await
    }
    async fn due_notifications(&self, channel: Channel, now: Timestamp, limit: u32) -> Result<Vec<NotificationRow>> {
        self.read(move |c| delivery::due(c, channel, now, limit)).await
    }
    async fn set_next_delivery(&self, id: i64, channel: Channel, next: Next) -> Result<()> {
        self.write(move |c| delivery::set_next(c, id, channel, next)).await
    }
    async fn reserve_tokens(
        &self,
        location: &LocationId,
        day: jiff::civil::Date,
        caps: clubos_domain::TokenCaps,
        estimate: u64,
    ) -> Result<std::result::Result<TokenUsage, Budget>> {
        let location = location.clone();
        self.write(move |c| tokens::reserve(c, &location, day, caps, estimate)).await
    }
    async fn adjust_tokens(&self, location: &LocationId, day: jiff::civil::Date, delta: i64) -> Result<TokenUsage> {
        let location = location.clone();
        self.write(move |c| tokens::adjust(c, &location, day, delta)).await
    }
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
        at: Timestamp,
    ) -> Result<()> {
        let (actor, action, subject) = (actor.to_owned(), action.to_owned(), subject.to_owned());
        self.write(move |c| reads::audit(c, &actor, &action, &subject, &detail, at)).await
    }
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRow>> {
        self.read(move |c| reads::audit_log(c, limit)).await
    }
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |c| reads::setting(c, &key)).await
    }
    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| reads::put_setting(c, &key, &value, at)).await
    }
    async fn enqueue_review(&self, kind: ReviewKind, payload: serde_json::Value, at: Timestamp) -> Result<i64> {
        self.write(move |c| review::enqueue(c, kind, &payload, at)).await
    }
    async fn take_review(&self, now: Timestamp, lease: SignedDuration) -> Result<Option<ReviewJob>> {
        self.write(move |c| review::take(c, now, lease)).await
    }
    async fn finish_review(&self, id: i64, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>> {
        self.write(move |c| review::finish(c, id, &proposals, at)).await
    }
    async fn fail_review(&self, id: i64, error: &str, at: Timestamp) -> Result<()> {
        let error = error.to_owned();
        self.write(move |c| review::fail(c, id, &error, at)).await
    }
    async fn retry_review(&self, id: i64, next_at: Timestamp, error: &str) -> Result<ReviewJob> {
        let error = error.to_owned();
        self.write(move |c| review::retry(c, id, next_at, &error)).await
    }
    async fn review_waiting(&self) -> Result<u64> {
        self.read(review::waiting).await
    }
    async fn review_job(&self, id: i64) -> Result<Option<ReviewJob>> {
        self.read(move |c| review::job(c, id)).await
    }
    async fn release_review_jobs(&self, now: Timestamp) -> Result<u64> {
        self.write(move |c| review::release_running(c, now)).await
    }
    async fn active_sops(&self) -> Result<Vec<serde_json::Value>> {
        self.read(reads::active_sops).await
    }
    async fn seed_sops(&self, sops: Vec<(String, serde_json::Value)>, at: Timestamp) -> Result<usize> {
        self.write(move |c| reads::seed_sops(c, &sops, at)).await
    }
    async fn sop_versions(&self, sop_id: &str) -> Result<Vec<SopVersion>> {
        let id = sop_id.to_owned();
        self.read(move |c| knowledge::sop_versions(c, &id)).await
    }
    async fn active_sop_versions(&self) -> Result<Vec<SopVersion>> {
        self.read(knowledge::active_versions).await
    }
    async fn propose_sops(&self, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>> {
        self.write(move |c| knowledge::propose(c, &proposals, at)).await
    }
    async fn proposals(&self, status: Option<ProposalStatus>, limit: u32) -> Result<Vec<Proposal>> {
        self.read(move |c| knowledge::proposals(c, status, limit)).await
    }
    async fn proposal(&self, id: i64) -> Result<Option<Proposal>> {
        self.read(move |c| knowledge::proposal(c, id)).await
    }
    async fn decide_proposal(&self, id: i64, decision: ProposalDecision, at: Timestamp) -> Result<Proposal> {
        self.write(move |c| knowledge::decide(c, id, &decision, at)).await
    }
    async fn rollback_sop(&self, sop_id: &str, version: i64, actor: &str, at: Timestamp) -> Result<i64> {
        let (id, actor) = (sop_id.to_owned(), actor.to_owned());
        self.write(move |c| knowledge::rollback(c, &id, version, &actor, at)).await
    }
    async fn archive_sop(&self, sop_id: &str, actor: &str, at: Timestamp) -> Result<()> {
        let (id, actor) = (sop_id.to_owned(), actor.to_owned());
        self.write(move |c| knowledge::archive(c, &id, &actor, at)).await
    }
    async fn sop_changes(&self, limit: u32) -> Result<Vec<SopChange>> {
        self.read(move |c| knowledge::changes(c, limit)).await
    }
    async fn sop_metrics(&self) -> Result<Vec<SopMetrics>> {
        self.read(sop_metrics::all).await
    }
    async fn sop_overridden(&self, sop_id: &str) -> Result<()> {
        let id = sop_id.to_owned();
        self.write(move |c| sop_metrics::overridden(c, &id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance_in_memory() {
        clubos_store::conformance::run_all(|| async { SqliteStore::open_in_memory().unwrap() }).await;
    }

    #[tokio::test]
    async fn conformance_on_a_file_with_readers() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        clubos_store::conformance::run_all(|| {
            let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = dir.path().join(format!("db{i}.sqlite"));
            async move { SqliteStore::open(&path, Synchronous::Normal).unwrap() }
        })
        .await;
    }

    #[tokio::test]
    async fn reopening_a_file_keeps_data_and_does_not_remigrate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/clubos.db");
        let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        s.put_setting("k", "v", Timestamp::UNIX_EPOCH).await.unwrap();
        drop(s);
        let s = SqliteStore::open(&path, Synchronous::Full).unwrap();
        assert_eq!(s.setting("k").await.unwrap().as_deref(), Some("v"));
        let mode: String = Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }
}
