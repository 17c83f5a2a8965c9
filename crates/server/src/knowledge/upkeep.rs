//! Upkeep flags on active SOPs, computed from their use metrics: stale
//! (unused for 90 days), review (fewer than half of its outcomes succeed),
//! disputed (operators overrode it more than 5 times).

use clubos_store::SopMetrics;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// Unused this long: stale.
pub const STALE_AFTER: SignedDuration = SignedDuration::from_hours(90 * 24);
/// Outcomes needed before a success rate means anything.
pub const MIN_OUTCOMES: i64 = 4;
/// Overrides above this: disputed.
pub const DISPUTED_ABOVE: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Stale,
    Review,
    Disputed,
}

/// The flags of an SOP active since `since` with metrics `m` (none: never used).
pub fn flags(m: Option<&SopMetrics>, since: Timestamp, now: Timestamp) -> Vec<Flag> {
    let mut out = Vec::new();
    let last = m.and_then(|m| m.last_used).unwrap_or(since).max(since);
    if now.duration_since(last) >= STALE_AFTER {
        out.push(Flag::Stale);
    }
    if let Some(m) = m {
        let outcomes = m.successes + m.failures;
        if outcomes >= MIN_OUTCOMES && m.successes * 2 < outcomes {
            out.push(Flag::Review);
        }
        if m.overrides > DISPUTED_ABOVE {
            out.push(Flag::Disputed);
        }
    }
    out
}

/// Successes over outcomes, when there are any.
pub fn success_rate(m: &SopMetrics) -> Option<f64> {
    let outcomes = m.successes + m.failures;
    (outcomes > 0).then(|| m.successes as f64 / outcomes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_hours(24 * d)
    }

    #[test]
    fn stale_review_and_disputed() {
        assert_eq!(flags(None, day(0), day(89)), vec![]);
        assert_eq!(flags(None, day(0), day(90)), vec![Flag::Stale], "never used since it became active");
        let mut m = SopMetrics { last_used: Some(day(100)), ..SopMetrics::default() };
        assert_eq!(flags(Some(&m), day(0), day(150)), vec![]);
        assert_eq!(flags(Some(&m), day(0), day(190)), vec![Flag::Stale]);
        assert_eq!(flags(Some(&m), day(180), day(190)), vec![], "a new version starts fresh");
        (m.successes, m.failures) = (1, 2);
        assert_eq!(flags(Some(&m), day(0), day(101)), vec![], "too few outcomes to judge");
        (m.successes, m.failures) = (1, 3);
        assert_eq!(flags(Some(&m), day(0), day(101)), vec![Flag::Review]);
        (m.successes, m.failures) = (2, 2);
        assert_eq!(flags(Some(&m), day(0), day(101)), vec![], "half is not under half");
        m.overrides = 6;
        assert_eq!(flags(Some(&m), day(0), day(101)), vec![Flag::Disputed]);
        assert_eq!(success_rate(&m), Some(0.5));
        assert_eq!(success_rate(&SopMetrics::default()), None);
    }
}
