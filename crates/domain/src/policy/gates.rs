//! The two gates that run before classification: the per-thread LLM interval
//! and the location's token budget.

use jiff::{SignedDuration, Timestamp};

use crate::limits::TokenCaps;

/// Result of the per-thread LLM gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Allow,
    /// Too soon after the thread's last LLM call: try again then.
    DeferUntil(Timestamp),
}

/// One LLM call per thread per `interval`: allowed once `interval` has passed
/// since `last_call` (exactly `interval` later is allowed).
pub fn llm_gate(last_call: Option<Timestamp>, now: Timestamp, interval: SignedDuration) -> Gate {
    match last_call {
        Some(last) if now < last + interval => Gate::DeferUntil(last + interval),
        _ => Gate::Allow,
    }
}

/// Tokens a location has used (including reservations in flight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenUsage {
    pub today: u64,
    pub this_month: u64,
}

/// Which cap was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapPeriod {
    Daily,
    Monthly,
}

/// Result of the token budget check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Allow,
    Exhausted { period: CapPeriod, used: u64, cap: u64 },
}

/// May a call estimated at `estimate` tokens run? Refused when it would take
/// usage past a cap (reaching it exactly is allowed).
pub fn token_budget(used: TokenUsage, caps: TokenCaps, estimate: u64) -> Budget {
    let over = |used: u64, cap: Option<u64>| cap.filter(|&cap| used.saturating_add(estimate) > cap);
    if let Some(cap) = over(used.today, caps.daily) {
        return Budget::Exhausted { period: CapPeriod::Daily, used: used.today, cap };
    }
    if let Some(cap) = over(used.this_month, caps.monthly) {
        return Budget::Exhausted { period: CapPeriod::Monthly, used: used.this_month, cap };
    }
    Budget::Allow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llm_gate_boundary() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let i = SignedDuration::from_secs(15);
        assert_eq!(llm_gate(None, t0, i), Gate::Allow);
        assert_eq!(llm_gate(Some(t0), t0 + SignedDuration::from_millis(14_999), i), Gate::DeferUntil(t0 + i));
        assert_eq!(llm_gate(Some(t0), t0 + i, i), Gate::Allow);
        assert_eq!(llm_gate(Some(t0), t0, SignedDuration::ZERO), Gate::Allow);
    }

    #[test]
    fn token_budget_boundary() {
        let caps = TokenCaps { daily: Some(1000), monthly: Some(5000) };
        let u = |today, this_month| TokenUsage { today, this_month };
        assert_eq!(token_budget(u(500, 500), caps, 500), Budget::Allow);
        assert_eq!(
            token_budget(u(501, 501), caps, 500),
            Budget::Exhausted { period: CapPeriod::Daily, used: 501, cap: 1000 }
        );
        assert_eq!(
            token_budget(u(0, 4600), caps, 500),
            Budget::Exhausted { period: CapPeriod::Monthly, used: 4600, cap: 5000 }
        );
        assert_eq!(token_budget(u(u64::MAX, 0), TokenCaps::default(), 500), Budget::Allow);
        assert!(matches!(token_budget(u(u64::MAX, 0), caps, 1), Budget::Exhausted { .. }));
    }
}
