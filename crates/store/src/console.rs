//! What the operator console reads beyond the API's rows: the inbox order,
//! operators' answers to the AI's proposals, and decision counts over time
//! (automation rate, tokens and cost): the [`ConsoleStore`] part of every
//! backend.

use async_trait::async_trait;
use clubos_domain::{Category, LocationId, ReviewVerdict, ThreadStatus, Verdict};
use jiff::Timestamp;
use serde::Serialize;

use crate::{DecisionId, Direction, Result, ThreadId, ThreadRow};

/// Which threads the inbox lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboxFilter {
    /// Only these locations; `None`: all.
    pub locations: Option<Vec<LocationId>>,
    /// Only these statuses; `None`: all.
    pub statuses: Option<Vec<ThreadStatus>>,
    /// At most this many (0: 100; capped at 500).
    pub limit: u32,
}

/// The statuses of threads that wait for a human.
pub const NEEDS_HUMAN: [ThreadStatus; 2] = [ThreadStatus::Escalated, ThreadStatus::AwaitingHuman];

/// A thread with the customer's last message, as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxRow {
    pub thread: ThreadRow,
    /// The customer's latest text (what a human needs to read first; the
    /// thread's own replies are on the thread page).
    pub last_message: Option<LastMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastMessage {
    pub direction: Direction,
    pub body: String,
    pub at: Timestamp,
}

/// An operator's answer to one decision's proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewProposalReview {
    pub decision_id: DecisionId,
    pub thread_id: ThreadId,
    pub location: LocationId,
    pub category: Category,
    pub confidence: f64,
    /// The category's autonomy was off: the AI only said what it would do.
    pub shadow: bool,
    pub verdict: ReviewVerdict,
    pub actor: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalReviewRow {
    pub id: i64,
    #[serde(flatten)]
    pub review: NewProposalReview,
}

/// Decisions of one location, model and verdict in one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionStat {
    pub location: LocationId,
    /// Start of the bucket.
    pub bucket: Timestamp,
    pub verdict: Verdict,
    pub model: String,
    pub decisions: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// Reads and records of the operator console.
#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// Threads in inbox order: those waiting for a human first (escalated,
    /// awaiting a human), then those a human has taken, then the AI's open
    /// threads, then closed ones; within each by priority, and then the
    /// longest-waiting first for the first two groups and the most recently
    /// updated first for the others.
    async fn inbox(&self, filter: InboxFilter) -> Result<Vec<InboxRow>>;
    /// Records the operator's answer to a decision's proposal; `false` when
    /// that decision was already answered (the first answer counts).
    async fn record_proposal_review(&self, r: NewProposalReview) -> Result<bool>;
    /// Answers recorded at or after `since`, oldest first.
    async fn proposal_reviews(&self, since: Timestamp) -> Result<Vec<ProposalReviewRow>>;
    /// Decisions made at or after `since`, counted per location, model,
    /// verdict and bucket of `bucket_secs` seconds since the Unix epoch.
    async fn decision_stats(&self, since: Timestamp, bucket_secs: u32) -> Result<Vec<DecisionStat>>;
}
