//! The customer data lifecycle: what is held about one customer (export),
//! forgetting a customer, and redacting closed threads after the retention
//! period — the [`PrivacyStore`] part of every backend.
//!
//! Redacting a thread keeps its record for audit (status, times, category,
//! decisions with their checks, model and tokens, actions with their
//! targets and outcomes) and removes what identifies or quotes the
//! customer: the thread's phone number (read back as `None`), message
//! bodies, the escalation summary and one-tap proposal, the text of
//! replies (decisions and `send_reply` actions), the bodies of the
//! thread's notifications and the messages copied into Claude's feedback
//! jobs about it.

use async_trait::async_trait;
use clubos_domain::{Booking, PhoneNumber};
use jiff::Timestamp;
use serde::Serialize;

use crate::{CustomerRow, NotificationRow, Result, ThreadDetail, ThreadId};

/// What redacted text reads as.
pub const REDACTED: &str = "[redacted]";

/// Everything stored about one customer, as `clubos customer export` writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerData {
    pub phone: PhoneNumber,
    /// The operator-set name and flags, when there are any.
    pub customer: Option<CustomerRow>,
    /// Every booking of the number, by start.
    pub bookings: Vec<Booking>,
    /// Every thread still carrying the number (redacted threads no longer
    /// do), oldest first, with messages, decisions and actions.
    pub threads: Vec<ThreadDetail>,
    /// Notifications raised about those threads.
    pub notifications: Vec<NotificationRow>,
}

/// An audit entry written in the same transaction as the change it records.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The backend adds what it changed (see [`Forgotten`], [`Redaction`]).
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// What forgetting a customer changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// The threads redacted, by id (open ones were closed as `resolved` and
    /// left the queue).
    pub threads: Vec<ThreadId>,
    pub messages: u64,
    /// Bookings deleted.
    pub bookings: u64,
    /// Whether a customer row (name, flags) was deleted.
    pub customer: bool,
    pub notifications: u64,
}

impl Forgotten {
    /// Whether nothing about the customer was held.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty() && self.bookings == 0 && !self.customer
    }
}

/// What one retention pass changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Redaction {
    pub threads: Vec<ThreadId>,
    pub messages: u64,
    /// Bookings that ended before the cut-off, deleted.
    pub bookings: u64,
}

impl Redaction {
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty() && self.bookings == 0
    }
}

/// The customer data lifecycle.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Everything held about `phone`.
    async fn customer_data(&self, phone: &PhoneNumber) -> Result<CustomerData>;
    /// Deletes the customer row and bookings of `phone` and redacts every
    /// thread carrying it (open threads are closed as `resolved` and leave
    /// the queue), then writes `audit` with the counts and thread ids added
    /// to its detail — one transaction. The audit entry is written even
    /// when nothing was held (the request itself is recorded).
    async fn forget_customer(&self, phone: &PhoneNumber, audit: AuditEntry, at: Timestamp) -> Result<Forgotten>;
    /// Redacts at most `limit` closed threads last updated before `before`
    /// (oldest first; threads already redacted are skipped) and deletes the
    /// bookings that ended before it. When anything changed, writes `audit`
    /// with what (same transaction).
    async fn redact_closed_before(
        &self,
        before: Timestamp,
        limit: u32,
        audit: AuditEntry,
        at: Timestamp,
    ) -> Result<Redaction>;
    /// The deployment's key for customer references in the audit log: the
    /// first `candidate` ever given is stored and returned from then on.
    async fn privacy_key(&self, candidate: &str, at: Timestamp) -> Result<String>;
}

/// Settings key of the stored privacy key.
pub const PRIVACY_KEY_SETTING: &str = "privacy.reference_key";

/// Adds `what` to an audit entry's detail.
pub fn audit_detail(audit: &AuditEntry, what: &impl Serialize) -> serde_json::Value {
    let mut detail = audit.detail.clone();
    if let Ok(serde_json::Value::Object(extra)) = serde_json::to_value(what) {
        detail.extend(extra);
    }
    serde_json::Value::Object(detail)
}
