//! The time rules of an open thread (V3 spec): no resolution within 15 min,
//! a customer waiting more than 5 min for a reply, idle more than 30 min.

use jiff::{SignedDuration, Timestamp};

use crate::enums::ThreadStatus;

/// The rules' thresholds (configurable; defaults from the V3 specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeRules {
    pub no_resolution_minutes: u32,
    pub customer_waiting_minutes: u32,
    pub idle_timeout_minutes: u32,
}

impl Default for TimeRules {
    fn default() -> Self {
        Self { no_resolution_minutes: 15, customer_waiting_minutes: 5, idle_timeout_minutes: 30 }
    }
}

/// The times of one thread the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadClock {
    pub status: ThreadStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_inbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
}

/// What the scheduler must do with a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeAction {
    /// Hand to a human, with the summary line to show.
    Escalate(String),
    /// Close as `timeout`.
    Timeout,
}

/// The only statuses the rules act on: threads the AI is handling. The
/// scheduler reads just these, so escalated threads waiting for a human (of
/// which an unattended site can gather thousands) cost it nothing.
pub const WATCHED: [ThreadStatus; 3] =
    [ThreadStatus::Pending, ThreadStatus::AwaitingAi, ThreadStatus::AwaitingResponse];

/// Applies the rules to one thread at `now`. Only threads the AI is handling
/// are touched: a thread a human owns or that is closed is left alone.
pub fn evaluate(t: &ThreadClock, now: Timestamp, rules: &TimeRules) -> Option<TimeAction> {
    if !WATCHED.contains(&t.status) {
        return None;
    }
    let mins = |m: u32| SignedDuration::from_mins(i64::from(m));
    let waiting_on_ai = matches!(t.status, ThreadStatus::Pending | ThreadStatus::AwaitingAi);
    if waiting_on_ai {
        if let Some(inbound) = t.last_inbound_at {
            let unanswered = t.last_outbound_at.is_none_or(|o| o < inbound);
            let waited = now.duration_since(inbound);
            if unanswered && waited > mins(rules.customer_waiting_minutes) {
                return Some(TimeAction::Escalate(format!(
                    "Customer has waited {} min for a reply (limit {} min).",
                    waited.as_mins(),
                    rules.customer_waiting_minutes
                )));
            }
        }
        if now.duration_since(t.created_at) > mins(rules.no_resolution_minutes) {
            return Some(TimeAction::Escalate(format!(
                "No resolution within {} minutes.",
                rules.no_resolution_minutes
            )));
        }
    }
    if now.duration_since(t.updated_at) > mins(rules.idle_timeout_minutes) {
        return Some(TimeAction::Timeout);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_mins(m)
    }

    fn clock(status: ThreadStatus, inbound: Option<i64>, outbound: Option<i64>, updated: i64) -> ThreadClock {
        ThreadClock {
            status,
            created_at: at(0),
            updated_at: at(updated),
            last_inbound_at: inbound.map(at),
            last_outbound_at: outbound.map(at),
        }
    }

    #[test]
    fn waiting_customer_boundary() {
        let r = TimeRules::default();
        let t = clock(ThreadStatus::AwaitingAi, Some(0), None, 0);
        assert_eq!(evaluate(&t, at(5), &r), None, "exactly 5 min is not more than 5");
        assert!(
            matches!(evaluate(&t, at(5) + SignedDuration::from_secs(1), &r), Some(TimeAction::Escalate(s)) if s.contains("waited 5 min"))
        );
        let answered = clock(ThreadStatus::AwaitingAi, Some(0), Some(1), 1);
        assert_eq!(evaluate(&answered, at(10), &r), None);
    }

    #[test]
    fn no_resolution_boundary() {
        let r = TimeRules { customer_waiting_minutes: 60, ..TimeRules::default() };
        let t = clock(ThreadStatus::AwaitingAi, Some(0), Some(1), 14);
        assert_eq!(evaluate(&t, at(15), &r), None);
        assert_eq!(evaluate(&t, at(16), &r), Some(TimeAction::Escalate("No resolution within 15 minutes.".into())));
    }

    #[test]
    fn idle_threads_time_out_and_human_threads_are_left_alone() {
        let r = TimeRules::default();
        let t = clock(ThreadStatus::AwaitingResponse, Some(0), Some(1), 1);
        assert_eq!(evaluate(&t, at(31), &r), None);
        assert_eq!(evaluate(&t, at(32), &r), Some(TimeAction::Timeout));
        for s in [
            ThreadStatus::Escalated,
            ThreadStatus::InProgress,
            ThreadStatus::ManualOverride,
            ThreadStatus::AwaitingHuman,
            ThreadStatus::Resolved,
            ThreadStatus::AiResolved,
        ] {
            assert_eq!(evaluate(&clock(s, Some(0), None, 0), at(600), &r), None, "{s}");
        }
    }

    #[test]
    fn the_rules_act_exactly_on_the_watched_statuses() {
        // The scheduler reads only WATCHED threads: a status the rules could
        // act on but that is missing from WATCHED would never be acted on.
        let r = TimeRules::default();
        for &s in ThreadStatus::ALL {
            let acted = evaluate(&clock(s, Some(0), None, 0), at(600), &r).is_some();
            assert_eq!(acted, WATCHED.contains(&s), "{s}");
        }
    }
}
