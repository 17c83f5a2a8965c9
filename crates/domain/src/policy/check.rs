//! One evaluated check of the policy, with the inputs it looked at: the rows
//! of "View reasoning".

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Time;

use crate::autonomy::Rule;
use crate::classification::ActionTarget;
use crate::enums::{ActionKind, Category, ComponentState, Connector, ReasonCode, ThreadStatus};
use crate::ids::BayNumber;
use crate::time::TimeWindow;

/// Which check this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckName {
    ThreadState,
    Emergency,
    Sentiment,
    Category,
    Autonomy,
    Confidence,
    Resolution,
    Approval,
    BookingRequired,
    TimeRestrictions,
    Rule(Rule),
    Target,
    Connector,
    Cooldown,
    BayResetLimit,
    UnlockLimit,
    MaxAttempts,
    Fallbacks,
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            CheckName::Rule(r) => return write!(f, "rule: {r}"),
            CheckName::ThreadState => "thread_state",
            CheckName::Emergency => "emergency",
            CheckName::Sentiment => "sentiment",
            CheckName::Category => "category",
            CheckName::Autonomy => "autonomy",
            CheckName::Confidence => "confidence",
            CheckName::Resolution => "resolution",
            CheckName::Approval => "approval",
            CheckName::BookingRequired => "require_booking",
            CheckName::TimeRestrictions => "time_restrictions",
            CheckName::Target => "target",
            CheckName::Connector => "connector",
            CheckName::Cooldown => "cooldown",
            CheckName::BayResetLimit => "bay_reset_limit",
            CheckName::UnlockLimit => "unlock_limit",
            CheckName::MaxAttempts => "max_attempts_per_booking",
            CheckName::Fallbacks => "max_fallbacks",
        };
        f.write_str(s)
    }
}

impl serde::Serialize for CheckName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The inputs a check looked at.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    ThreadStatus {
        status: ThreadStatus,
    },
    Signal {
        found: bool,
    },
    Category {
        category: Option<Category>,
    },
    Autonomy {
        enabled: bool,
    },
    Confidence {
        value: f64,
        threshold: f64,
    },
    Resolution {
        proposal: &'static str,
        has_reply: bool,
    },
    Approval {
        action: ActionKind,
    },
    Booking {
        present: bool,
        starts_at: Option<Timestamp>,
        ends_at: Option<Timestamp>,
        grace_minutes: u32,
        now: Timestamp,
    },
    TimeWindow {
        start: String,
        end: String,
        local: Time,
    },
    BookingWindow {
        minutes: u32,
        starts_at: Option<Timestamp>,
        ends_at: Option<Timestamp>,
        now: Timestamp,
    },
    Flags {
        count: usize,
    },
    Target {
        target: Option<ActionTarget>,
        booked_bay: Option<BayNumber>,
    },
    Connector {
        connector: Connector,
        state: Option<ComponentState>,
    },
    Cooldown {
        seconds: u64,
        last: Option<Timestamp>,
        now: Timestamp,
    },
    ResetLimit {
        count: usize,
        limit: u32,
        window_minutes: u32,
    },
    UnlockLimit {
        successes: usize,
        limit: u32,
    },
    Attempts {
        attempts: usize,
        max: u32,
    },
    Fallbacks {
        failed: u32,
        max: u32,
    },
}

impl Detail {
    pub(crate) fn window(w: &TimeWindow, local: Time) -> Self {
        Detail::TimeWindow { start: w.start.to_string(), end: w.end.to_string(), local }
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::ThreadStatus { status } => write!(f, "thread is {status}"),
            Detail::Signal { found } => f.write_str(if *found { "found" } else { "none" }),
            Detail::Category { category: Some(c) } => write!(f, "category {c}"),
            Detail::Category { category: None } => f.write_str("no category matched"),
            Detail::Autonomy { enabled } => {
                write!(f, "autonomy {}", if *enabled { "on" } else { "off" })
            }
            Detail::Confidence { value, threshold } => {
                let op = if value >= threshold { "≥" } else { "<" };
                write!(f, "confidence {value:.4} {op} threshold {threshold:.4}")
            }
            Detail::Resolution { proposal, has_reply } => {
                write!(f, "proposal {proposal}{}", if *has_reply { " with a reply" } else { "" })
            }
            Detail::Approval { action } => {
                write!(f, "{action} always needs an operator's approval")
            }
            Detail::Booking { present: false, .. } => f.write_str("no booking found"),
            Detail::Booking { starts_at, ends_at, grace_minutes, now, .. } => {
                write!(f, "booking {} – {} (± {grace_minutes} min), now {now}", opt(starts_at), opt(ends_at))
            }
            Detail::TimeWindow { start, end, local } => {
                write!(f, "local time {} in window {start}–{end}?", local.strftime("%H:%M:%S"))
            }
            Detail::BookingWindow { minutes, starts_at: None, .. } => {
                write!(f, "needs a booking (within {minutes} min); none found")
            }
            Detail::BookingWindow { minutes, starts_at, ends_at, now } => {
                write!(f, "now {now}; allowed {minutes} min either side of {} – {}", opt(starts_at), opt(ends_at))
            }
            Detail::Flags { count } => write!(f, "{count} customer flag(s)"),
            Detail::Target { target: None, .. } => f.write_str("no bay or door could be determined"),
            Detail::Target { target: Some(t), booked_bay: Some(b) } => write!(f, "{t}; booked bay {b}"),
            Detail::Target { target: Some(t), booked_bay: None } => write!(f, "{t}"),
            Detail::Connector { connector, state: None } => write!(f, "{connector} is not configured"),
            Detail::Connector { connector, state: Some(s) } => write!(f, "{connector} is {s}"),
            Detail::Cooldown { seconds, last: None, .. } => write!(f, "no attempt in the last {seconds} s"),
            Detail::Cooldown { seconds, last: Some(l), now } => {
                write!(f, "last attempt {} s ago, cooldown {seconds} s", now.duration_since(*l).as_secs())
            }
            Detail::ResetLimit { count, limit, window_minutes } => {
                write!(f, "{count} reset(s) of this bay in the last {window_minutes} min, limit {limit}")
            }
            Detail::UnlockLimit { successes, limit } => {
                write!(f, "{successes} unlock(s) of this booking not known to have failed, limit {limit}")
            }
            Detail::Attempts { attempts, max } => {
                write!(f, "{attempts} attempt(s) for this booking, max {max}")
            }
            Detail::Fallbacks { failed, max } => {
                write!(f, "{failed} failed AI action(s) in this thread, {max} fallback(s) allowed")
            }
        }
    }
}

fn opt(t: &Option<Timestamp>) -> String {
    t.map_or_else(|| "?".to_owned(), |t| t.to_string())
}

/// One evaluated check: passed, or failed with the reason it would escalate for.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    pub name: CheckName,
    pub passed: bool,
    /// Set when the check failed.
    pub reason: Option<ReasonCode>,
    pub detail: Detail,
}

impl Check {
    pub(crate) fn pass(name: CheckName, detail: Detail) -> Self {
        Self { name, passed: true, reason: None, detail }
    }

    pub(crate) fn fail(name: CheckName, reason: ReasonCode, detail: Detail) -> Self {
        Self { name, passed: false, reason: Some(reason), detail }
    }

    /// The thread is owned by a human: not a failure with a reason, the AI
    /// simply stays out.
    pub(crate) fn human_owned(status: ThreadStatus) -> Self {
        Self { name: CheckName::ThreadState, passed: false, reason: None, detail: Detail::ThreadStatus { status } }
    }

    pub(crate) fn when(ok: bool, name: CheckName, reason: ReasonCode, detail: Detail) -> Self {
        if ok { Self::pass(name, detail) } else { Self::fail(name, reason, detail) }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.passed, self.reason) {
            (true, _) => write!(f, "✓ {}: {}", self.name, self.detail),
            (false, Some(r)) => write!(f, "✗ {}: {} → {r}", self.name, self.detail),
            (false, None) => write!(f, "✗ {}: {} → left to a human", self.name, self.detail),
        }
    }
}
