//! PostgreSQL backend of the ClubOS [`Store`]: one database shared by any
//! number of `clubos serve` instances (DESIGN §6). Every method is one
//! transaction; the limits that must hold across instances are enforced by
//! the database itself: queue claims with `FOR UPDATE SKIP LOCKED`, webhook
//! dedupe and one open alert per key by unique keys, compare-and-set
//! updates, token caps and thread joins under advisory locks.

mod accounts;
mod connect;
mod console;
mod convert;
mod delivery;
mod error;
mod ingest;
mod knowledge;
mod migrate;
mod queue;
mod reads;
mod review;
mod sop_metrics;
pub mod testing;
mod tls;
mod tokens;
mod work;

use async_trait::async_trait;
use clubos_domain::policy::{Budget, LedgerScope, TokenUsage};
use clubos_domain::{ActionOutcome, ActionRecord, Booking, CustomerFlags, LocationId, PhoneNumber, ThreadStatus};
use clubos_store::*;
use jiff::{SignedDuration, Timestamp};

pub use connect::PgOptions;
pub use error::PgError;

/// The PostgreSQL store: a pool of connections. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pool: deadpool_postgres::Pool,
    /// Queue claims and leases: see [`connect::coordination_pool`].
    coordination: deadpool_postgres::Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore").field("size", &status.size).field("max_size", &status.max_size).finish()
    }
}

impl PostgresStore {
    /// Connects to `url` (which never holds the password: see
    /// [`PgOptions::password`]) and brings the schema up to date.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, PgError> {
        let pool = connect::pool(url, &options)?;
        let coordination = connect::coordination_pool(url, &options)?;
        let mut conn = pool.get().await?;
        let ran = migrate::migrate(&mut conn).await?;
        if ran > 0 {
            tracing::info!(migrations = ran, "postgres schema migrated");
        }
        Ok(Self { pool, coordination })
    }

    async fn conn(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| PgError::from(e).into())
    }

    async fn coordination_conn(&self) -> Result<deadpool_postgres::Object> {
        self.coordination.get().await.map_err(|e| PgError::from(e).into())
    }
}

/// Runs `$body` (an async call using the transaction `$tx`) in one
/// transaction on a pooled connection, and commits it if it succeeded
/// (dropping an uncommitted transaction rolls it back).
macro_rules! in_tx {
    ($self:ident, |$tx:ident| $body:expr) => {
        in_tx!($self.conn(), |$tx| $body)
    };
    ($conn:expr, |$tx:ident| $body:expr) => {{
        let mut conn = $conn.await?;
        let $tx = conn.transaction().await.map_err(error::db)?;
        let out = $body.await?;
        $tx.commit().await.map_err(error::db)?;
        Ok(out)
    }};
}

// After the macro, which it uses.
mod console_impl;
mod leases;
mod privacy;

#[async_trait]
impl Store for PostgresStore {
    async fn ingest(&self, msg: NewInbound) -> Result<Ingested> {
        in_tx!(self, |tx| ingest::ingest(&tx, &msg))
    }
    async fn queue_depth(&self, now: Timestamp) -> Result<u64> {
        in_tx!(self, |tx| ingest::queue_depth(&tx, now))
    }
    async fn claim(&self, worker: &str, now: Timestamp, lease: SignedDuration) -> Result<Option<Claim>> {
        queue::claim(&self.coordination_conn().await?, worker, now, lease).await
    }
    async fn renew(&self, thread_id: ThreadId, worker: &str, until: Timestamp) -> Result<bool> {
        queue::renew(&self.coordination_conn().await?, thread_id, worker, until).await
    }
    async fn release(&self, thread_id: ThreadId, worker: &str, how: Release, now: Timestamp) -> Result<()> {
        queue::release(&self.coordination_conn().await?, thread_id, worker, how, now).await
    }
    /// Releases nothing: other instances sharing the database may be alive
    /// and hold these claims. A dead instance's claims are taken over by
    /// [`Store::claim`] when their leases run out.
    async fn release_all_claims(&self) -> Result<u64> {
        Ok(0)
    }
    fn is_shared(&self) -> bool {
        true
    }
    async fn work_context(&self, thread_id: ThreadId, now: Timestamp) -> Result<WorkContext> {
        in_tx!(self, |tx| work::work_context(&tx, thread_id, now))
    }
    async fn commit_decision(&self, d: NewDecision) -> Result<(DecisionId, Vec<ActionId>)> {
        in_tx!(self, |tx| work::commit_decision(&tx, &d))
    }
    async fn mark_processed(
        &self,
        thread_id: ThreadId,
        message_ids: Vec<i64>,
        notification: Option<NewNotification>,
        at: Timestamp,
    ) -> Result<()> {
        in_tx!(self, |tx| work::mark_processed(&tx, thread_id, &message_ids, notification.as_ref(), at))
    }
    async fn start_action(
        &self,
        thread_id: ThreadId,
        decision_id: Option<DecisionId>,
        action: NewAction,
        at: Timestamp,
    ) -> Result<ActionId> {
        in_tx!(self, |tx| work::insert_action(&tx, thread_id, decision_id, &action, at))
    }
    async fn finish_action(
        &self,
        id: ActionId,
        outcome: ActionOutcome,
        error: Option<String>,
        at: Timestamp,
    ) -> Result<ActionRow> {
        in_tx!(self, |tx| work::finish_action(&tx, id, outcome, error, at))
    }
    async fn pending_actions(&self) -> Result<Vec<ActionRow>> {
        in_tx!(self, |tx| work::pending_actions(&tx))
    }
    async fn ledger(&self, location: &LocationId, scope: &LedgerScope) -> Result<Vec<ActionRecord>> {
        in_tx!(self, |tx| work::ledger(&tx, location, scope))
    }
    async fn update_thread(&self, thread_id: ThreadId, update: ThreadUpdate, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| work::apply_thread_update(&tx, thread_id, &update, at))
    }
    async fn list_threads(&self, filter: ThreadFilter) -> Result<Vec<ThreadRow>> {
        in_tx!(self, |tx| reads::list_threads(&tx, &filter))
    }
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>> {
        in_tx!(self, |tx| reads::thread_detail(&tx, id))
    }
    async fn thread_times(&self, statuses: &[ThreadStatus]) -> Result<Vec<ThreadTimes>> {
        let statuses: Vec<&'static str> = statuses.iter().map(|s| s.as_str()).collect();
        in_tx!(self, |tx| reads::thread_times(&tx, &statuses))
    }
    async fn upsert_booking(&self, booking: &Booking) -> Result<()> {
        in_tx!(self, |tx| reads::upsert_booking(&tx, booking))
    }
    async fn bookings_for(
        &self,
        phone: &PhoneNumber,
        location: Option<&LocationId>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>> {
        in_tx!(self, |tx| reads::bookings_for(&tx, phone, location, from, to))
    }
    async fn set_customer(
        &self,
        phone: &PhoneNumber,
        name: Option<String>,
        flags: CustomerFlags,
        at: Timestamp,
    ) -> Result<CustomerRow> {
        in_tx!(self, |tx| reads::set_customer(&tx, phone, name, &flags, at))
    }
    async fn customer(&self, phone: &PhoneNumber) -> Result<Option<CustomerRow>> {
        in_tx!(self, |tx| reads::customer(&tx, phone))
    }
    async fn notify(&self, n: NewNotification, at: Timestamp) -> Result<Option<i64>> {
        in_tx!(self, |tx| reads::notify_tx(&tx, &n, at))
    }
    async fn notifications(&self, unacked_only: bool) -> Result<Vec<NotificationRow>> {
        in_tx!(self, |tx| reads::notifications(&tx, unacked_only))
    }
    async fn open_notification(&self, dedupe_key: &str) -> Result<Option<NotificationRow>> {
        in_tx!(self, |tx| reads::open_notification(&tx, dedupe_key))
    }
    async fn ack_notification(&self, id: i64, by: &str, at: Timestamp) -> Result<bool> {
        in_tx!(self, |tx| reads::ack_notification(&tx, id, by, at))
    }
    async fn due_notifications(&self, channel: Channel, now: Timestamp, limit: u32) -> Result<Vec<NotificationRow>> {
        in_tx!(self, |tx| delivery::due(&tx, channel, now, limit))
    }
    async fn set_next_delivery(&self, id: i64, channel: Channel, next: Next) -> Result<()> {
        in_tx!(self, |tx| delivery::set_next(&tx, id, channel, next))
    }
    async fn reserve_tokens(
        &self,
        location: &LocationId,
        day: jiff::civil::Date,
        caps: clubos_domain::TokenCaps,
        estimate: u64,
    ) -> Result<std::result::Result<TokenUsage, Budget>> {
        in_tx!(self, |tx| tokens::reserve(&tx, location, day, caps, estimate))
    }
    async fn adjust_tokens(&self, location: &LocationId, day: jiff::civil::Date, delta: i64) -> Result<TokenUsage> {
        in_tx!(self, |tx| tokens::adjust(&tx, location, day, delta))
    }
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
        at: Timestamp,
    ) -> Result<()> {
        in_tx!(self, |tx| reads::audit(&tx, actor, action, subject, &detail, at))
    }
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRow>> {
        in_tx!(self, |tx| reads::audit_log(&tx, limit))
    }
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        in_tx!(self, |tx| reads::setting(&tx, key))
    }
    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| reads::put_setting(&tx, key, value, at))
    }
    async fn enqueue_review(&self, kind: ReviewKind, payload: serde_json::Value, at: Timestamp) -> Result<i64> {
        in_tx!(self, |tx| review::enqueue(&tx, kind, &payload, at))
    }
    async fn take_review(&self, now: Timestamp, lease: SignedDuration) -> Result<Option<ReviewJob>> {
        in_tx!(self, |tx| review::take(&tx, now, lease))
    }
    async fn finish_review(&self, id: i64, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>> {
        in_tx!(self, |tx| review::finish(&tx, id, &proposals, at))
    }
    async fn fail_review(&self, id: i64, error: &str, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| review::fail(&tx, id, error, at))
    }
    async fn retry_review(&self, id: i64, next_at: Timestamp, error: &str) -> Result<ReviewJob> {
        in_tx!(self, |tx| review::retry(&tx, id, next_at, error))
    }
    async fn review_waiting(&self) -> Result<u64> {
        in_tx!(self, |tx| review::waiting(&tx))
    }
    async fn review_job(&self, id: i64) -> Result<Option<ReviewJob>> {
        in_tx!(self, |tx| review::job(&tx, id))
    }
    /// Hands nothing back: a running job may belong to another live
    /// instance. A dead instance's job is taken again by
    /// [`Store::take_review`] when its lease runs out.
    async fn release_review_jobs(&self, _now: Timestamp) -> Result<u64> {
        Ok(0)
    }
    async fn active_sops(&self) -> Result<Vec<serde_json::Value>> {
        in_tx!(self, |tx| reads::active_sops(&tx))
    }
    async fn seed_sops(&self, sops: Vec<(String, serde_json::Value)>, at: Timestamp) -> Result<usize> {
        in_tx!(self, |tx| reads::seed_sops(&tx, &sops, at))
    }
    async fn sop_versions(&self, sop_id: &str) -> Result<Vec<SopVersion>> {
        in_tx!(self, |tx| knowledge::sop_versions(&tx, sop_id))
    }
    async fn active_sop_versions(&self) -> Result<Vec<SopVersion>> {
        in_tx!(self, |tx| knowledge::active_versions(&tx))
    }
    async fn propose_sops(&self, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>> {
        in_tx!(self, |tx| knowledge::propose(&tx, &proposals, at))
    }
    async fn proposals(&self, status: Option<ProposalStatus>, limit: u32) -> Result<Vec<Proposal>> {
        in_tx!(self, |tx| knowledge::proposals(&tx, status, limit))
    }
    async fn proposal(&self, id: i64) -> Result<Option<Proposal>> {
        in_tx!(self, |tx| knowledge::proposal(&tx, id))
    }
    async fn decide_proposal(&self, id: i64, decision: ProposalDecision, at: Timestamp) -> Result<Proposal> {
        in_tx!(self, |tx| knowledge::decide(&tx, id, &decision, at))
    }
    async fn rollback_sop(&self, sop_id: &str, version: i64, actor: &str, at: Timestamp) -> Result<i64> {
        in_tx!(self, |tx| knowledge::rollback(&tx, sop_id, version, actor, at))
    }
    async fn archive_sop(&self, sop_id: &str, actor: &str, at: Timestamp) -> Result<()> {
        in_tx!(self, |tx| knowledge::archive(&tx, sop_id, actor, at))
    }
    async fn sop_changes(&self, limit: u32) -> Result<Vec<SopChange>> {
        in_tx!(self, |tx| knowledge::changes(&tx, limit))
    }
    async fn sop_metrics(&self) -> Result<Vec<SopMetrics>> {
        in_tx!(self, |tx| sop_metrics::all(&tx))
    }
    async fn sop_overridden(&self, sop_id: &str) -> Result<()> {
        in_tx!(self, |tx| sop_metrics::overridden(&tx, sop_id))
    }
    async fn fold_sop_metrics(&self) -> Result<u64> {
        in_tx!(self, |tx| sop_metrics::fold(&tx))
    }
}
