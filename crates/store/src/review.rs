//! Claude's durable work queue: SOP jobs (structure an upload, review a
//! change, process a flag) run strictly in the order queued. A job that
//! fails for a while keeps its place and the jobs behind it wait; a job
//! taken by a process that then died is taken again when its lease ends.

use jiff::Timestamp;
use serde::Serialize;

/// What Claude is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Structure an uploaded document into SOP records.
    Structure,
    /// Look for conflicts and merges around an SOP that changed.
    Review,
    /// Propose a change to an SOP after an operator flagged an outcome.
    Feedback,
}

impl ReviewKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Structure => "structure",
            ReviewKind::Review => "review",
            ReviewKind::Feedback => "feedback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "structure" => Some(ReviewKind::Structure),
            "review" => Some(ReviewKind::Review),
            "feedback" => Some(ReviewKind::Feedback),
            _ => None,
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Waiting for its turn (or for its retry time).
    Queued,
    /// Taken; its lease ends at `next_at`.
    Running,
    Done,
    /// Given up (an answer that will not get better); `last_error` says why.
    Failed,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Queued => "queued",
            ReviewStatus::Running => "running",
            ReviewStatus::Done => "done",
            ReviewStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(ReviewStatus::Queued),
            "running" => Some(ReviewStatus::Running),
            "done" => Some(ReviewStatus::Done),
            "failed" => Some(ReviewStatus::Failed),
            _ => None,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewJob {
    pub id: i64,
    pub kind: ReviewKind,
    /// What the job needs (the document, the SOP and proposal, the thread
    /// summary), as queued.
    pub payload: serde_json::Value,
    pub status: ReviewStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Queued: not before this time. Running: when the lease ends.
    pub next_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}
