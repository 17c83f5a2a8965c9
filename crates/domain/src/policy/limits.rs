//! Limit checks on a planned action: cooldown, resets per bay, unlocks and
//! attempts per booking, fallbacks. Shared by the policy and the action wrapper.

use jiff::SignedDuration;

use super::{Check, CheckName, Detail, PlannedAction, PolicyInput};
use crate::autonomy::CategoryPolicy;
use crate::enums::{ActionKind, ReasonCode};
use crate::limits::Limits;

/// The cooldown, per-bay, per-booking and fallback limits for one planned
/// action. Shared with the action wrapper, which applies them to operators'
/// actions too.
pub fn limit_checks(
    action: &PlannedAction,
    input: &PolicyInput<'_>,
    policy: &CategoryPolicy,
    limits: &Limits,
    checks: &mut Vec<Check>,
) {
    let now = input.clock.now;
    let ledger = input.ledger;
    if policy.cooldown_seconds > 0 {
        let last = ledger.last_attempt(action.kind, &action.target, now);
        let window = SignedDuration::from_secs(policy.cooldown_seconds as i64);
        let ok = last.is_none_or(|l| now.duration_since(l) >= window);
        checks.push(Check::when(
            ok,
            CheckName::Cooldown,
            ReasonCode::Cooldown,
            Detail::Cooldown { seconds: policy.cooldown_seconds, last, now },
        ));
    }
    if action.kind == ActionKind::ResetTrackman {
        let count = ledger.attempts_within(action.kind, &action.target, now, limits.reset_window());
        let ok = count < limits.resets_per_bay as usize;
        checks.push(Check::when(
            ok,
            CheckName::BayResetLimit,
            ReasonCode::RateLimited,
            Detail::ResetLimit { count, limit: limits.resets_per_bay, window_minutes: limits.reset_window_minutes },
        ));
    }
    if let Some(booking) = &action.booking {
        if action.kind == ActionKind::UnlockDoor {
            let successes = ledger.booking_possible_successes(action.kind, booking);
            let ok = successes < limits.unlocks_per_booking as usize;
            checks.push(Check::when(
                ok,
                CheckName::UnlockLimit,
                ReasonCode::MaxAttempts,
                Detail::UnlockLimit { successes, limit: limits.unlocks_per_booking },
            ));
        }
        if let Some(max) = policy.max_attempts_per_booking {
            let attempts = ledger.booking_attempts(action.kind, booking);
            checks.push(Check::when(
                attempts < max as usize,
                CheckName::MaxAttempts,
                ReasonCode::MaxAttempts,
                Detail::Attempts { attempts, max },
            ));
        }
    }
    let failed = input.thread.failed_ai_actions;
    checks.push(Check::when(
        failed <= policy.max_fallbacks,
        CheckName::Fallbacks,
        ReasonCode::ActionFailed,
        Detail::Fallbacks { failed, max: policy.max_fallbacks },
    ));
}
