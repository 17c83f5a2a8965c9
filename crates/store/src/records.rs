//! Rows the store reads and writes: threads, messages, decisions, actions,
//! notifications, audit entries. Shared by every backend and by the API.

use clubos_domain::{
    ActionKind, ActionOutcome, ActionTarget, BayNumber, BookingId, Category, LocationId, PhoneNumber, Priority,
    ReasonCode, SopId, ThreadStatus, TriggeredBy, Verdict,
};
use jiff::Timestamp;
use serde::Serialize;

/// Database id of a thread.
pub type ThreadId = i64;
/// Database id of a decision.
pub type DecisionId = i64;
/// Database id of an action attempt.
pub type ActionId = i64;

/// An inbound text to store, already verified and parsed at the edge.
#[derive(Debug, Clone)]
pub struct NewInbound {
    /// Dedupe keys: the event id, the delivery id (Standard Webhooks
    /// `webhook-id`) and the vendor's message id. Any one seen before makes
    /// the whole delivery a duplicate.
    pub event_id: String,
    pub delivery_id: Option<String>,
    pub message_id: String,
    pub from: PhoneNumber,
    pub body: String,
    pub received_at: Timestamp,
    pub location: LocationId,
    pub priority: Priority,
    /// A message joins the customer's open thread touched within this window.
    pub join_window: jiff::SignedDuration,
    /// Queue size above which an overflow notification is raised.
    pub queue_max: u64,
    /// Correlation id for a new thread (links its message, decision and
    /// action logs).
    pub correlation_id: String,
}

/// What ingest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// `queue_depth` is exact up to `queue_max + 1` (counting stops there).
    Stored {
        thread_id: ThreadId,
        message_id: i64,
        new_thread: bool,
        queue_depth: u64,
    },
    Duplicate,
}

/// A thread as listed by the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadRow {
    pub id: ThreadId,
    /// `None` once the thread is redacted (retention, or the customer was
    /// forgotten): see [`crate::PrivacyStore`].
    pub customer_phone: Option<PhoneNumber>,
    pub location: LocationId,
    pub bay: Option<BayNumber>,
    pub status: ThreadStatus,
    pub priority: Priority,
    pub category: Option<Category>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_inbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
    pub escalation_reason: Option<ReasonCode>,
    pub escalation_summary: Option<String>,
    /// The one-tap proposal (JSON: `{"kind":…,"target":…}` or `{"reply":…}`).
    pub proposal: Option<serde_json::Value>,
    pub correlation_id: String,
}

/// Direction of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    pub id: i64,
    pub direction: Direction,
    pub body: String,
    pub at: Timestamp,
    /// `customer`, `ai` or the operator's name.
    pub author: String,
}

/// A decision to record, with the messages it covers.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub thread_id: ThreadId,
    /// The worker's queue claim: the decision is refused (`Conflict`) unless
    /// this worker still holds the thread. `None` for decisions outside the
    /// queue.
    pub claim: Option<String>,
    pub category: Option<Category>,
    pub sub_intent: Option<String>,
    pub confidence: Option<f64>,
    pub verdict: Verdict,
    pub reason: Option<ReasonCode>,
    pub matched_sop: Option<SopId>,
    pub proposed_action: Option<String>,
    pub reply: Option<String>,
    pub model: String,
    pub tokens_in: u32,
    pub tokens_out: u32,
    pub cached: bool,
    pub latency_ms: u64,
    /// The policy's evaluated checks (JSON array), for "View reasoning".
    pub checks: serde_json::Value,
    pub at: Timestamp,
    /// Inbound messages this decision answers; marked processed with it.
    pub message_ids: Vec<i64>,
    /// Whether a classifier (LLM or local) ran: sets the thread's last call time.
    pub classified: bool,
    /// The thread's new state.
    pub thread: ThreadUpdate,
    /// Actions to record as intended (status `pending`) in the same transaction.
    pub actions: Vec<NewAction>,
    pub notification: Option<NewNotification>,
}

/// Changes to a thread that go with a decision or an operator's action.
#[derive(Debug, Clone, Default)]
pub struct ThreadUpdate {
    pub status: Option<ThreadStatus>,
    pub category: Option<Category>,
    pub bay: Option<BayNumber>,
    pub escalation: Option<Escalation>,
    /// Compare-and-set: apply only while the thread is in one of these
    /// statuses (empty: any). Otherwise the update is a `Conflict` and, in a
    /// decision, nothing of the decision is written.
    pub expect: Vec<ThreadStatus>,
    /// Remove the one-tap proposal (it was used).
    pub clear_proposal: bool,
    /// Apply only while the thread still has a proposal (one approval wins).
    pub require_proposal: bool,
}

impl ThreadUpdate {
    /// Statuses in which the AI may still change a thread.
    pub const AI_OWNED: [ThreadStatus; 4] =
        [ThreadStatus::Pending, ThreadStatus::AwaitingAi, ThreadStatus::AwaitingResponse, ThreadStatus::AiResolved];
}

/// Why and with what a thread went to a human.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// The policy's reason; `None` for escalations by the time rules.
    pub reason: Option<ReasonCode>,
    pub summary: String,
    pub proposal: Option<serde_json::Value>,
}

/// A decision as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    pub id: DecisionId,
    pub category: Option<Category>,
    pub sub_intent: Option<String>,
    pub confidence: Option<f64>,
    pub verdict: Verdict,
    pub reason: Option<ReasonCode>,
    pub matched_sop: Option<String>,
    pub proposed_action: Option<String>,
    pub reply: Option<String>,
    pub model: String,
    pub tokens_in: u32,
    pub tokens_out: u32,
    pub cached: bool,
    pub latency_ms: u64,
    pub checks: serde_json::Value,
    pub at: Timestamp,
}

/// An action attempt to record before the device is called.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub kind: ActionKind,
    pub target: ActionTarget,
    pub booking: Option<BookingId>,
    pub triggered_by: TriggeredBy,
    /// `ai` or the operator's name.
    pub actor: String,
    /// Text to send for `send_reply`.
    pub body: Option<String>,
    pub override_reason: Option<String>,
}

/// State of an action attempt: in flight, or finished with an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Pending,
    #[serde(untagged)]
    Done(ActionOutcome),
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::Done(o) => o.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        if s == "pending" { Some(ActionStatus::Pending) } else { s.parse().ok().map(ActionStatus::Done) }
    }

    pub fn outcome(self) -> Option<ActionOutcome> {
        match self {
            ActionStatus::Pending => None,
            ActionStatus::Done(o) => Some(o),
        }
    }
}

/// An action attempt as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    pub id: ActionId,
    pub decision_id: Option<DecisionId>,
    pub thread_id: ThreadId,
    pub kind: ActionKind,
    pub target: ActionTarget,
    pub status: ActionStatus,
    pub triggered_by: TriggeredBy,
    pub actor: String,
    pub booking_id: Option<BookingId>,
    pub body: Option<String>,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
    pub override_reason: Option<String>,
}

impl ActionRow {
    /// The ledger view the policy reads.
    pub fn to_record(&self) -> clubos_domain::ActionRecord {
        clubos_domain::ActionRecord {
            kind: self.kind,
            target: self.target.clone(),
            booking: self.booking_id.clone(),
            at: self.started_at,
            outcome: self.status.outcome(),
            triggered_by: self.triggered_by,
        }
    }
}

/// Everything about one thread, for the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadDetail {
    #[serde(flatten)]
    pub thread: ThreadRow,
    pub messages: Vec<MessageRow>,
    pub decisions: Vec<DecisionRow>,
    pub actions: Vec<ActionRow>,
}

/// Severity of an operator notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// A notification to raise. With a `dedupe_key`, at most one unacknowledged
/// notification with that key exists at a time (one alert per episode).
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: String,
    pub severity: Severity,
    pub thread_id: Option<ThreadId>,
    pub title: String,
    pub body: String,
    pub dedupe_key: Option<String>,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub severity: Severity,
    pub thread_id: Option<ThreadId>,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
    pub acked_at: Option<Timestamp>,
    pub acked_by: Option<String>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

/// A claimed queue item: the worker owns the thread until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub thread_id: ThreadId,
    pub priority: Priority,
    pub enqueued_at: Timestamp,
    pub lease_until: Timestamp,
    /// How many times the item has been claimed (1 on the first claim).
    pub attempts: u32,
}

/// What the worker needs to decide for a claimed thread.
#[derive(Debug, Clone)]
pub struct WorkContext {
    pub thread: ThreadRow,
    pub failed_ai_actions: u32,
    pub last_classified_at: Option<Timestamp>,
    /// Inbound messages not yet covered by a decision, oldest first.
    pub pending: Vec<MessageRow>,
    pub flags: clubos_domain::CustomerFlags,
    /// The customer's bookings around now at this location.
    pub bookings: Vec<clubos_domain::Booking>,
}

/// How the worker hands a claimed thread back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Done; the item stays only if new messages arrived meanwhile.
    Done,
    /// Try again at this time (messages arriving meanwhile join the batch).
    DeferUntil(Timestamp),
}

/// Filter for listing threads.
#[derive(Debug, Clone, Default)]
pub struct ThreadFilter {
    pub phone: Option<PhoneNumber>,
    pub status: Option<ThreadStatus>,
    pub limit: u32,
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRow {
    pub phone: PhoneNumber,
    pub name: Option<String>,
    pub flags: clubos_domain::CustomerFlags,
    pub updated_at: Timestamp,
}

/// Times the scheduler's rules look at for one open thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadTimes {
    pub id: ThreadId,
    pub status: ThreadStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_inbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
}
