//! The autonomy policy: one pure function from everything OperatorGPT knows
//! about a message to a [`Decision`], with the ordered checks that led to it.
//!
//! Every check is evaluated (so "View reasoning" and shadow decisions show the
//! whole picture); the first failed check, in the order below, decides the
//! reason. Only a thread that a human owns short-circuits: the AI does nothing.

mod check;
mod gates;
mod input;
mod limits;

use std::fmt;

pub use check::{Check, CheckName, Detail};
pub use gates::{Budget, CapPeriod, Gate, TokenUsage, llm_gate, token_budget};
pub use input::{PolicyInput, ThreadFacts};
pub use limits::{LedgerScope, limit_checks};

use jiff::Timestamp;

use crate::autonomy::{AutonomyProfile, CategoryPolicy};
use crate::classification::{ActionTarget, Proposal};
use crate::enums::{ActionKind, ComponentState, ReasonCode, Verdict};
use crate::ids::{BayNumber, BookingId};
use crate::limits::Limits;

/// An action with its resolved target, ready for the action wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub kind: ActionKind,
    pub target: ActionTarget,
    pub booking: Option<BookingId>,
}

/// What an escalation hands the operator to approve with one tap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposed {
    Action(PlannedAction),
    Reply(String),
}

/// A message the customer should get even though the AI escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Emergency: tell the customer to call emergency services; staff alerted.
    Safety,
    /// "TrackMan reset limit reached for Bay N (2/hr). Escalating."
    ResetLimit { bay: BayNumber, limit: u32, window_minutes: u32 },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Safety => f.write_str(
                "If anyone is in danger, call 911 now. We have alerted our team and someone will contact you right away.",
            ),
            Notice::ResetLimit { bay, limit, window_minutes: 60 } => {
                write!(f, "TrackMan reset limit reached for Bay {bay} ({limit}/hr). Escalating.")
            }
            Notice::ResetLimit { bay, limit, window_minutes } => write!(
                f,
                "TrackMan reset limit reached for Bay {bay} ({limit}/{window_minutes} min). Escalating."
            ),
        }
    }
}

/// The outcome of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the action (and send `reply`, if any, with it).
    Execute { action: PlannedAction, reply: Option<String> },
    /// Answer the customer.
    Reply { text: String },
    /// Hand the thread to a human.
    Escalate { reason: ReasonCode, proposal: Option<Proposed>, notice: Option<Notice> },
    /// Try again at `until` (messages arriving meanwhile are coalesced).
    Defer { until: Timestamp, reason: ReasonCode },
    /// A human owns the thread: no reply, no action, no new decision.
    LeaveToHuman,
}

impl Decision {
    /// The stored verdict; `None` for [`Decision::LeaveToHuman`].
    pub fn verdict(&self) -> Option<Verdict> {
        match self {
            Decision::Execute { .. } => Some(Verdict::Execute),
            Decision::Reply { .. } => Some(Verdict::Reply),
            Decision::Escalate { .. } => Some(Verdict::Escalate),
            Decision::Defer { .. } => Some(Verdict::Defer),
            Decision::LeaveToHuman => None,
        }
    }

    pub fn reason(&self) -> Option<ReasonCode> {
        match self {
            Decision::Escalate { reason, .. } | Decision::Defer { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

/// The decision and the checks evaluated to reach it, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decision: Decision,
    pub checks: Vec<Check>,
}

impl Evaluation {
    /// The check that decided an escalation, if any.
    pub fn deciding_check(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.passed)
    }
}

/// Decides what OperatorGPT may do with one classified message.
pub fn decide(input: &PolicyInput<'_>, profile: &AutonomyProfile, limits: &Limits) -> Evaluation {
    let mut checks = Vec::with_capacity(16);
    let status = input.thread.status;
    if status.is_human_owned() {
        checks.push(Check::human_owned(status));
        return Evaluation { decision: Decision::LeaveToHuman, checks };
    }
    checks.push(Check::pass(CheckName::ThreadState, Detail::ThreadStatus { status }));

    let c = input.classification;
    checks.push(Check::when(
        !input.signals.emergency,
        CheckName::Emergency,
        ReasonCode::Emergency,
        Detail::Signal { found: input.signals.emergency },
    ));
    checks.push(Check::when(
        !input.signals.negative_sentiment,
        CheckName::Sentiment,
        ReasonCode::NegativeSentiment,
        Detail::Signal { found: input.signals.negative_sentiment },
    ));
    checks.push(Check::when(
        c.category.is_some(),
        CheckName::Category,
        ReasonCode::NoMatch,
        Detail::Category { category: c.category },
    ));

    let default_policy = CategoryPolicy::default();
    let policy = c.category.map_or(&default_policy, |cat| profile.get(cat));
    if c.category.is_some() {
        checks.push(Check::when(
            policy.autonomy,
            CheckName::Autonomy,
            ReasonCode::AutonomyDisabled,
            Detail::Autonomy { enabled: policy.autonomy },
        ));
        let (value, threshold) = (c.confidence.get(), policy.confidence_threshold);
        checks.push(Check::when(
            value >= threshold,
            CheckName::Confidence,
            ReasonCode::LowConfidence,
            Detail::Confidence { value, threshold },
        ));
    }

    let has_reply = c.reply.as_deref().is_some_and(|r| !r.trim().is_empty());
    let resolvable = match c.proposal {
        Proposal::Reply => has_reply,
        Proposal::Escalate | Proposal::None => false,
        _ => true,
    };
    checks.push(Check::when(
        resolvable,
        CheckName::Resolution,
        ReasonCode::NoMatch,
        Detail::Resolution { proposal: c.proposal.name(), has_reply },
    ));

    let kind = c.proposal.device_action();
    if let Some(kind) = kind.filter(|k| k.needs_human_approval()) {
        checks.push(Check::fail(CheckName::Approval, ReasonCode::AutonomyDisabled, Detail::Approval { action: kind }));
    }

    let clock = &input.clock;
    if policy.require_booking {
        let b = input.booking;
        let ok = b.is_some_and(|b| b.covers(clock.now, limits.booking_grace()));
        checks.push(Check::when(
            ok,
            CheckName::BookingRequired,
            ReasonCode::NoBooking,
            Detail::Booking {
                present: b.is_some(),
                starts_at: b.map(|b| b.starts_at),
                ends_at: b.map(|b| b.ends_at),
                grace_minutes: limits.booking_grace_minutes,
                now: clock.now,
            },
        ));
    }
    if let Some(w) = &policy.time_restrictions {
        let local = clock.local.time();
        checks.push(Check::when(
            w.contains(local),
            CheckName::TimeRestrictions,
            ReasonCode::OutsideTimeWindow,
            Detail::window(w, local),
        ));
    }
    for rule in &policy.rules {
        checks.push(rule.check(clock, input.booking, input.flags));
    }

    let planned = input.planned_action();
    if kind.is_some() {
        let booked_bay = input.booking.and_then(|b| b.bay);
        let target = planned.as_ref().map(|p| p.target.clone());
        let ok = match &target {
            None => false,
            Some(ActionTarget::Bay(bay)) => booked_bay.is_none_or(|b| b == *bay),
            Some(_) => true,
        };
        let reason = if target.is_none() { ReasonCode::NoMatch } else { ReasonCode::NoBooking };
        checks.push(Check::when(ok, CheckName::Target, reason, Detail::Target { target, booked_bay }));
    }

    let connector = match (kind, &c.proposal) {
        (Some(k), _) => Some(k.connector()),
        (None, Proposal::Reply) => Some(ActionKind::SendReply.connector()),
        _ => None,
    };
    if let Some(connector) = connector {
        let state = input.health.connector(connector);
        let reason = match state {
            None => Some(ReasonCode::ConnectorUnavailable),
            Some(ComponentState::Down) => Some(ReasonCode::SystemUnhealthy),
            Some(_) => None,
        };
        let detail = Detail::Connector { connector, state };
        checks.push(match reason {
            Some(r) => Check::fail(CheckName::Connector, r, detail),
            None => Check::pass(CheckName::Connector, detail),
        });
    }

    if let Some(action) = &planned {
        limit_checks(action, input, policy, limits, &mut checks);
    }

    let decision = conclude(input, &checks, planned, has_reply, limits);
    Evaluation { decision, checks }
}

fn conclude(
    input: &PolicyInput<'_>,
    checks: &[Check],
    planned: Option<PlannedAction>,
    has_reply: bool,
    limits: &Limits,
) -> Decision {
    let reply = input.classification.reply.clone().filter(|_| has_reply);
    if let Some(failed) = checks.iter().find(|c| !c.passed) {
        let reason = failed.reason.unwrap_or(ReasonCode::NoMatch);
        let notice = match (reason, &planned) {
            (ReasonCode::Emergency, _) => Some(Notice::Safety),
            (ReasonCode::RateLimited, Some(PlannedAction { target: ActionTarget::Bay(bay), .. })) => {
                Some(Notice::ResetLimit {
                    bay: *bay,
                    limit: limits.resets_per_bay,
                    window_minutes: limits.reset_window_minutes,
                })
            }
            _ => None,
        };
        let proposal = match (planned, reply) {
            (Some(action), _) => Some(Proposed::Action(action)),
            (None, Some(text)) if input.classification.proposal == Proposal::Reply => Some(Proposed::Reply(text)),
            _ => None,
        };
        return Decision::Escalate { reason, proposal, notice };
    }
    match planned {
        Some(action) => Decision::Execute { action, reply },
        // Passing every check without a device action means a reply with text
        // (the resolution check refuses anything else).
        None => Decision::Reply { text: reply.unwrap_or_default() },
    }
}

#[cfg(test)]
mod tests;
