//! ClubOS storage: the [`Store`] trait that every backend implements (one
//! crate per backend), the rows it reads and writes, and the conformance
//! suite every backend must pass.
//!
//! Every method is one transaction. The contract that matters most:
//! - `ingest` is durable when it returns: the 2xx of the webhook is sent after.
//! - `claim` hands a thread to exactly one worker until its lease ends; a
//!   thread never has two claims, so two messages of one thread are never
//!   processed at once.
//! - `commit_decision` records the decision, marks its messages processed and
//!   records the intent of its actions together, so a crash can never run a
//!   decision's action twice.

mod accounts;
pub mod conformance;
mod console;
mod delivery;
mod knowledge;
mod leases;
mod privacy;
mod records;
mod review;

use async_trait::async_trait;
use clubos_domain::policy::{Budget, LedgerScope, TokenUsage};
use clubos_domain::{ActionOutcome, ActionRecord, Booking, CustomerFlags, LocationId, PhoneNumber, ThreadStatus};
use jiff::{SignedDuration, Timestamp};

pub use accounts::*;
pub use console::*;
pub use delivery::{Channel, Next};
pub use knowledge::*;
pub use leases::LeaseStore;
pub use privacy::*;
pub use records::*;
pub use review::*;

/// Errors of a storage backend.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage of one deployment.
#[async_trait]
pub trait Store:
    AccountStore + ConsoleStore + LeaseStore + PrivacyStore + Send + Sync + std::fmt::Debug + 'static
{
    // ---- ingest and queue ----

    /// Dedupes, stores the message, joins or opens the thread and enqueues it.
    async fn ingest(&self, msg: NewInbound) -> Result<Ingested>;
    /// Queue items waiting (not claimed under a live lease).
    async fn queue_depth(&self, now: Timestamp) -> Result<u64>;
    /// Claims the next thread: highest priority first, FIFO within a priority,
    /// skipping items deferred to the future or under another live lease.
    async fn claim(&self, worker: &str, now: Timestamp, lease: SignedDuration) -> Result<Option<Claim>>;
    /// Extends a claim; false when the worker no longer holds it.
    async fn renew(&self, thread_id: ThreadId, worker: &str, until: Timestamp) -> Result<bool>;
    /// Hands a claimed thread back.
    async fn release(&self, thread_id: ThreadId, worker: &str, how: Release, now: Timestamp) -> Result<()>;
    /// Drops every claim (a single-process backend at start-up: the previous
    /// process is gone). Returns how many were released. A shared backend
    /// (see [`Store::is_shared`]) releases nothing and returns 0: the claims
    /// may belong to live instances; a dead one's run out with their leases.
    async fn release_all_claims(&self) -> Result<u64>;
    /// Whether other processes may use this store at the same time (one
    /// PostgreSQL behind several instances). Start-up then cannot tell a dead
    /// process's claims and running review jobs from a live one's, so
    /// `release_all_claims` and `release_review_jobs` release nothing.
    fn is_shared(&self) -> bool {
        false
    }

    // ---- the worker ----

    /// What the policy needs for a claimed thread (the ledger apart: it
    /// depends on the action the classifier proposes; see [`Store::ledger`]).
    async fn work_context(&self, thread_id: ThreadId, now: Timestamp) -> Result<WorkContext>;
    /// Records a decision with its thread update, action intents and
    /// notification, and marks its messages processed — atomically.
    async fn commit_decision(&self, d: NewDecision) -> Result<(DecisionId, Vec<ActionId>)>;
    /// Marks messages handled without a decision (a human owns the thread),
    /// raising the notification, if any, in the same transaction.
    async fn mark_processed(
        &self,
        thread_id: ThreadId,
        message_ids: Vec<i64>,
        notification: Option<NewNotification>,
        at: Timestamp,
    ) -> Result<()>;
    /// Records the intent of an action: an operator's (no decision), or a
    /// decision's follow-up (e.g. the reply after a device action). At most
    /// one action of each kind per decision.
    async fn start_action(
        &self,
        thread_id: ThreadId,
        decision_id: Option<DecisionId>,
        action: NewAction,
        at: Timestamp,
    ) -> Result<ActionId>;
    /// Records an action's outcome. A successful `send_reply` also stores the
    /// outbound message.
    async fn finish_action(
        &self,
        id: ActionId,
        outcome: ActionOutcome,
        error: Option<String>,
        at: Timestamp,
    ) -> Result<ActionRow>;
    /// Actions whose outcome was never recorded (for reconciliation).
    async fn pending_actions(&self) -> Result<Vec<ActionRow>>;
    /// The device-action attempts at `location` that the limits read for one
    /// planned action: exactly `scope.select(all attempts at the location)`.
    async fn ledger(&self, location: &LocationId, scope: &LedgerScope) -> Result<Vec<ActionRecord>>;
    /// Changes a thread's status, category, bay or escalation.
    async fn update_thread(&self, thread_id: ThreadId, update: ThreadUpdate, at: Timestamp) -> Result<()>;

    // ---- reads for the API ----

    async fn list_threads(&self, filter: ThreadFilter) -> Result<Vec<ThreadRow>>;
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>>;
    /// The threads in any of `statuses` with their times, for the
    /// scheduler's rules (which pass `time_rules::WATCHED`), oldest first.
    async fn thread_times(&self, statuses: &[ThreadStatus]) -> Result<Vec<ThreadTimes>>;

    // ---- bookings and customers ----

    async fn upsert_booking(&self, booking: &Booking) -> Result<()>;
    /// The customer's bookings overlapping `[from, to]`, any location when `None`.
    async fn bookings_for(
        &self,
        phone: &PhoneNumber,
        location: Option<&LocationId>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>>;
    async fn set_customer(
        &self,
        phone: &PhoneNumber,
        name: Option<String>,
        flags: CustomerFlags,
        at: Timestamp,
    ) -> Result<CustomerRow>;
    async fn customer(&self, phone: &PhoneNumber) -> Result<Option<CustomerRow>>;

    // ---- notifications, audit, settings ----

    /// Raises a notification; `None` when an unacknowledged one with the same
    /// dedupe key already exists.
    async fn notify(&self, n: NewNotification, at: Timestamp) -> Result<Option<i64>>;
    /// The newest 500 notifications (only the unacknowledged ones with
    /// `unacked_only`), newest first.
    async fn notifications(&self, unacked_only: bool) -> Result<Vec<NotificationRow>>;
    /// The unacknowledged notification raised with `dedupe_key`, however
    /// many others are newer (there is at most one: the key is unique while
    /// it is open).
    async fn open_notification(&self, dedupe_key: &str) -> Result<Option<NotificationRow>>;
    /// False when there is no such notification.
    async fn ack_notification(&self, id: i64, by: &str, at: Timestamp) -> Result<bool>;
    /// Notifications due on `channel` at `now`, oldest first, at most `limit`:
    /// for Slack those not yet delivered (and not waiting for a retry); for
    /// the on-call text the unacknowledged critical ones whose repeat is due.
    /// Notifications raised before the channel existed are never due.
    async fn due_notifications(&self, channel: Channel, now: Timestamp, limit: u32) -> Result<Vec<NotificationRow>>;
    /// Records when `id` is next due on `channel` (or that it is done).
    async fn set_next_delivery(&self, id: i64, channel: Channel, next: Next) -> Result<()>;

    // ---- LLM tokens ----

    /// Reserves `estimate` tokens for `location` on its local `day` if the
    /// caps allow it (checked and added atomically, so concurrent calls
    /// cannot together pass a cap); returns the usage after the reservation.
    async fn reserve_tokens(
        &self,
        location: &LocationId,
        day: jiff::civil::Date,
        caps: clubos_domain::TokenCaps,
        estimate: u64,
    ) -> Result<std::result::Result<TokenUsage, Budget>>;
    /// Adds `delta` (negative: returns part of a reservation) to the day's tokens.
    async fn adjust_tokens(&self, location: &LocationId, day: jiff::civil::Date, delta: i64) -> Result<TokenUsage>;
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
        at: Timestamp,
    ) -> Result<()>;
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRow>>;
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<()>;

    // ---- Claude's review queue (strict FIFO) ----

    /// Queues a job behind every unfinished one; returns its id.
    async fn enqueue_review(&self, kind: ReviewKind, payload: serde_json::Value, at: Timestamp) -> Result<i64>;
    /// The oldest unfinished job, marked running with a lease until
    /// `now + lease`, if it is due: queued with `next_at <= now`, or running
    /// with its lease over (the process that took it died). `None` when the
    /// queue is empty or its oldest job is not due — later jobs wait.
    async fn take_review(&self, now: Timestamp, lease: SignedDuration) -> Result<Option<ReviewJob>>;
    /// Marks a running job done and queues its proposals in the same
    /// transaction (a job run again after a crash never proposes twice);
    /// returns the proposal ids. `Conflict` when the job is not running.
    async fn finish_review(&self, id: i64, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>>;
    /// Gives a job up as `failed` with the reason; the next job's turn.
    async fn fail_review(&self, id: i64, error: &str, at: Timestamp) -> Result<()>;
    /// Puts a job back in its place, due again at `next_at`, with one more
    /// attempt and the error counted.
    async fn retry_review(&self, id: i64, next_at: Timestamp, error: &str) -> Result<ReviewJob>;
    /// Jobs waiting: queued or running.
    async fn review_waiting(&self) -> Result<u64>;
    async fn review_job(&self, id: i64) -> Result<Option<ReviewJob>>;
    /// Hands every running job back to the queue, due at `now` (a
    /// single-process backend at start-up: the previous process is gone).
    /// Returns how many; always 0 for a shared backend ([`Store::is_shared`]).
    async fn release_review_jobs(&self, now: Timestamp) -> Result<u64>;

    // ---- SOPs ----

    /// Active SOP records (JSON bodies).
    async fn active_sops(&self) -> Result<Vec<serde_json::Value>>;
    /// Inserts SOPs as active version 1 when the SOP table is empty; returns
    /// how many were inserted (0 when SOPs already exist).
    async fn seed_sops(&self, sops: Vec<(String, serde_json::Value)>, at: Timestamp) -> Result<usize>;
    /// Every version of one SOP, newest first.
    async fn sop_versions(&self, sop_id: &str) -> Result<Vec<SopVersion>>;
    /// The active version of every SOP (the knowledge base as answered from).
    async fn active_sop_versions(&self) -> Result<Vec<SopVersion>>;
    /// Puts proposals in the review queue (each remembers the SOP's active
    /// version as its base); returns their ids in order.
    async fn propose_sops(&self, proposals: Vec<NewProposal>, at: Timestamp) -> Result<Vec<i64>>;
    /// Proposals, newest first; only those in `status` when given.
    async fn proposals(&self, status: Option<ProposalStatus>, limit: u32) -> Result<Vec<Proposal>>;
    async fn proposal(&self, id: i64) -> Result<Option<Proposal>>;
    /// Accepts or rejects a pending proposal. Accepting stores its body as
    /// the SOP's next version, active, archives the version it replaces and
    /// logs the change. `Conflict` when it is no longer pending.
    async fn decide_proposal(&self, id: i64, decision: ProposalDecision, at: Timestamp) -> Result<Proposal>;
    /// Makes a copy of `version` the SOP's next, active version (an
    /// operator's explicit rollback) and logs it; returns the new version.
    async fn rollback_sop(&self, sop_id: &str, version: i64, actor: &str, at: Timestamp) -> Result<i64>;
    /// Retires an SOP: its active version is archived and nothing answers
    /// from it any more. `NotFound` when it has no active version.
    async fn archive_sop(&self, sop_id: &str, actor: &str, at: Timestamp) -> Result<()>;
    /// The knowledge change log, newest first.
    async fn sop_changes(&self, limit: u32) -> Result<Vec<SopChange>>;
    /// Use metrics of every SOP that has been used (updated by
    /// `commit_decision` and `finish_action` in the same transaction).
    async fn sop_metrics(&self) -> Result<Vec<SopMetrics>>;
    /// Counts an operator's override of an answer this SOP gave.
    async fn sop_overridden(&self, sop_id: &str) -> Result<()>;
    /// Folds metric events recorded append-only (so that concurrent writers
    /// never wait on one row per SOP) into the per-SOP totals; returns how
    /// many it folded. `sop_metrics` folds too, so this only keeps the event
    /// log short. A backend that updates the totals in place folds nothing.
    async fn fold_sop_metrics(&self) -> Result<u64> {
        Ok(0)
    }
}
