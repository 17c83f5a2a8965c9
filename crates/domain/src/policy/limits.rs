//! Limit checks on a planned action: cooldown, resets per bay, unlocks and
//! attempts per booking, fallbacks. Shared by the policy and the action wrapper.

use jiff::{SignedDuration, Timestamp};

use super::{Check, CheckName, Detail, PlannedAction, PolicyInput};
use crate::autonomy::CategoryPolicy;
use crate::classification::ActionTarget;
use crate::enums::{ActionKind, ReasonCode};
use crate::ids::BookingId;
use crate::ledger::ActionRecord;
use crate::limits::Limits;

/// The part of the action ledger that [`limit_checks`] reads for one planned
/// action, so storage can fetch exactly that instead of a day of actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerScope {
    pub kind: ActionKind,
    pub target: ActionTarget,
    /// Records that started after this instant are not looked at.
    pub until: Timestamp,
    /// The latest attempt of `kind` on `target` (the cooldown), and, when
    /// set, every attempt on it that started in `[window_since, until]` (the
    /// bay reset limit).
    pub window_since: Option<Timestamp>,
    /// Every attempt of `kind` for this booking, whatever its age.
    pub booking: Option<BookingId>,
}

impl LedgerScope {
    /// The scope of the action the policy would plan for `input`, if any.
    pub fn for_input(input: &PolicyInput<'_>, limits: &Limits) -> Option<Self> {
        let action = input.planned_action()?;
        Some(Self::for_action(&action, limits, input.clock.now))
    }

    /// What the checks of [`limit_checks`] look at for `action` at `now`.
    pub fn for_action(action: &PlannedAction, limits: &Limits, now: Timestamp) -> Self {
        let window_since = (action.kind == ActionKind::ResetTrackman)
            .then(|| now.checked_sub(limits.reset_window()).unwrap_or(Timestamp::MIN));
        Self {
            kind: action.kind,
            target: action.target.clone(),
            until: now,
            window_since,
            booking: action.booking.clone(),
        }
    }

    /// The records of `all` in this scope, each once: the reference that a
    /// storage backend's scoped read must match.
    pub fn select(&self, all: &[ActionRecord]) -> Vec<ActionRecord> {
        let on_target = |r: &ActionRecord| r.kind == self.kind && r.target == self.target && r.at <= self.until;
        let latest = (0..all.len()).filter(|&i| on_target(&all[i])).max_by_key(|&i| all[i].at);
        let window =
            (0..all.len()).filter(|&i| on_target(&all[i]) && self.window_since.is_some_and(|since| all[i].at >= since));
        let for_booking = (0..all.len())
            .filter(|&i| self.booking.is_some() && all[i].kind == self.kind && all[i].booking == self.booking);
        let mut picked: Vec<usize> = latest.into_iter().chain(window).chain(for_booking).collect();
        picked.sort_unstable();
        picked.dedup();
        picked.into_iter().map(|i| all[i].clone()).collect()
    }
}

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
