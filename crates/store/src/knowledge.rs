//! The SOP knowledge base as stored: every version of every SOP (append-only;
//! one active version per SOP at most), the review queue of proposed changes,
//! and the change log of who proposed and who approved what.

use jiff::Timestamp;
use serde::Serialize;

/// State of a stored SOP version. A proposal waiting in the review queue is
/// the SOP's `pending_review` state; drafts are proposals too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SopStatus {
    /// The version OperatorGPT answers from.
    Active,
    /// An older version, or a retired SOP; kept for history and rollback.
    Archived,
}

impl SopStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SopStatus::Active => "active",
            SopStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(SopStatus::Active),
            "archived" => Some(SopStatus::Archived),
            _ => None,
        }
    }
}

/// One stored version of an SOP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SopVersion {
    pub sop_id: String,
    pub version: i64,
    pub status: SopStatus,
    /// The SOP record (JSON, the `data/sops` schema).
    pub body: serde_json::Value,
    /// What produced it: `starter`, `upload:house-rules.md § Guests`, `rollback:v2`, …
    pub source: String,
    /// Who proposed it.
    pub created_by: String,
    /// Who approved it (`None` for the starter set).
    pub approved_by: Option<String>,
    pub created_at: Timestamp,
}

/// Where a proposal is in the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Pending,
    Accepted,
    Rejected,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Accepted => "accepted",
            ProposalStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ProposalStatus::Pending),
            "accepted" => Some(ProposalStatus::Accepted),
            "rejected" => Some(ProposalStatus::Rejected),
            _ => None,
        }
    }
}

/// A change proposed for review: a new SOP or a new version of one.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProposal {
    pub sop_id: String,
    pub body: serde_json::Value,
    pub source: String,
    pub proposed_by: String,
    /// Validation findings a reviewer should see (trigger collisions, …).
    pub warnings: Vec<String>,
    /// An SOP that accepting this one retires (a merge of two SOPs).
    pub retires: Option<String>,
}

/// A proposal as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub id: i64,
    pub sop_id: String,
    pub body: serde_json::Value,
    /// The SOP's active version when it was proposed (`None`: a new SOP).
    pub base_version: Option<i64>,
    pub source: String,
    pub proposed_by: String,
    pub warnings: Vec<String>,
    /// An SOP that accepting this one retires (a merge of two SOPs).
    pub retires: Option<String>,
    pub status: ProposalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub note: Option<String>,
    /// The version its acceptance created.
    pub version: Option<i64>,
    pub created_at: Timestamp,
}

/// A reviewer's verdict on a pending proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalDecision {
    /// `Some((body, diff))` accepts it with `body` (the proposal as is, or as
    /// the reviewer edited it) and the diff against the version it replaces;
    /// `None` rejects it.
    pub accept: Option<(serde_json::Value, serde_json::Value)>,
    pub actor: String,
    pub note: Option<String>,
}

/// What a change-log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Approve,
    Rollback,
    Archive,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Approve => "approve",
            ChangeKind::Rollback => "rollback",
            ChangeKind::Archive => "archive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(ChangeKind::Approve),
            "rollback" => Some(ChangeKind::Rollback),
            "archive" => Some(ChangeKind::Archive),
            _ => None,
        }
    }
}

/// One entry of the knowledge change log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SopChange {
    pub id: i64,
    pub sop_id: String,
    pub kind: ChangeKind,
    /// The version the change made active (`None` for an archive).
    pub version: Option<i64>,
    /// The version that was active before (`None`: there was none).
    pub previous_version: Option<i64>,
    pub proposal_id: Option<i64>,
    pub proposed_by: String,
    pub approved_by: String,
    pub diff: serde_json::Value,
    pub at: Timestamp,
}

/// How an SOP has done in use, kept up to date with every decision that
/// applied it and every outcome of its actions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SopMetrics {
    pub sop_id: String,
    /// Decisions that applied it (executed its action or sent its reply).
    pub times_used: i64,
    /// Outcomes of those decisions' main action (the device action, else the reply).
    pub successes: i64,
    pub failures: i64,
    /// Times an operator overrode the AI on a thread it answered with this SOP.
    pub overrides: i64,
    pub last_used: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
}
