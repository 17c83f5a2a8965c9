//! The action ledger: past attempts on a bay, door or booking, which the
//! limits and cooldowns are computed from.

use jiff::{SignedDuration, Timestamp};

use crate::classification::ActionTarget;
use crate::enums::{ActionKind, ActionOutcome, TriggeredBy};
use crate::ids::BookingId;

/// One attempt of an action, as the action wrapper recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub kind: ActionKind,
    pub target: ActionTarget,
    pub booking: Option<BookingId>,
    /// When the attempt started (intent recorded).
    pub at: Timestamp,
    /// `None` while the attempt is still in flight.
    pub outcome: Option<ActionOutcome>,
    pub triggered_by: TriggeredBy,
}

/// Read-only view over the records relevant to one decision (the target's
/// and the booking's recent attempts). Order does not matter.
#[derive(Debug, Clone, Copy)]
pub struct Ledger<'a>(pub &'a [ActionRecord]);

impl<'a> Ledger<'a> {
    pub const EMPTY: Ledger<'static> = Ledger(&[]);

    fn of(self, kind: ActionKind, target: &'a ActionTarget) -> impl Iterator<Item = &'a ActionRecord> {
        self.0.iter().filter(move |r| r.kind == kind && &r.target == target)
    }

    /// Attempts of `kind` on `target` that started in `(now - window, now]`.
    pub fn attempts_within(
        self,
        kind: ActionKind,
        target: &'a ActionTarget,
        now: Timestamp,
        window: SignedDuration,
    ) -> usize {
        let since = now - window;
        self.of(kind, target).filter(|r| r.at > since && r.at <= now).count()
    }

    /// The latest attempt of `kind` on `target` at or before `now`.
    pub fn last_attempt(self, kind: ActionKind, target: &'a ActionTarget, now: Timestamp) -> Option<Timestamp> {
        self.of(kind, target).map(|r| r.at).filter(|&at| at <= now).max()
    }

    /// The earliest time a new attempt would be outside the rolling window
    /// limit, given `limit` attempts are allowed per `window`.
    pub fn window_frees_at(
        self,
        kind: ActionKind,
        target: &'a ActionTarget,
        now: Timestamp,
        window: SignedDuration,
        limit: usize,
    ) -> Option<Timestamp> {
        let since = now - window;
        let mut times: Vec<Timestamp> =
            self.of(kind, target).map(|r| r.at).filter(|&at| at > since && at <= now).collect();
        if times.len() < limit || limit == 0 {
            return None;
        }
        times.sort_unstable();
        Some(times[times.len() - limit] + window)
    }

    /// Every attempt of `kind` for `booking`, whatever its outcome.
    pub fn booking_attempts(self, kind: ActionKind, booking: &BookingId) -> usize {
        self.0.iter().filter(|r| r.kind == kind && r.booking.as_ref() == Some(booking)).count()
    }

    /// Attempts of `kind` for `booking` that may have worked: everything but
    /// an explicit failure (in-flight and timed-out attempts count).
    pub fn booking_possible_successes(self, kind: ActionKind, booking: &BookingId) -> usize {
        self.0
            .iter()
            .filter(|r| r.kind == kind && r.booking.as_ref() == Some(booking))
            .filter(|r| r.outcome.is_none_or(ActionOutcome::may_have_succeeded))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BayNumber;

    fn rec(min: i64, outcome: Option<ActionOutcome>) -> ActionRecord {
        ActionRecord {
            kind: ActionKind::ResetTrackman,
            target: ActionTarget::Bay(BayNumber::new(1).unwrap()),
            booking: Some(BookingId::parse("b").unwrap()),
            at: Timestamp::UNIX_EPOCH + SignedDuration::from_mins(min),
            outcome,
            triggered_by: TriggeredBy::Ai,
        }
    }

    #[test]
    fn rolling_window_excludes_its_left_edge() {
        let recs = [rec(0, Some(ActionOutcome::Success)), rec(30, Some(ActionOutcome::Failed))];
        let l = Ledger(&recs);
        let bay = ActionTarget::Bay(BayNumber::new(1).unwrap());
        let at = |m| Timestamp::UNIX_EPOCH + SignedDuration::from_mins(m);
        let hour = SignedDuration::from_hours(1);
        assert_eq!(l.attempts_within(ActionKind::ResetTrackman, &bay, at(59), hour), 2);
        assert_eq!(l.attempts_within(ActionKind::ResetTrackman, &bay, at(60), hour), 1);
        assert_eq!(l.window_frees_at(ActionKind::ResetTrackman, &bay, at(59), hour, 2), Some(at(60)));
        assert_eq!(l.last_attempt(ActionKind::ResetTrackman, &bay, at(59)), Some(at(30)));
        let other = ActionTarget::Bay(BayNumber::new(2).unwrap());
        assert_eq!(l.attempts_within(ActionKind::ResetTrackman, &other, at(59), hour), 0);
    }

    #[test]
    fn failures_are_not_possible_successes() {
        let b = BookingId::parse("b").unwrap();
        let recs = [rec(0, Some(ActionOutcome::Failed)), rec(1, None), rec(2, Some(ActionOutcome::Timeout))];
        let l = Ledger(&recs);
        assert_eq!(l.booking_attempts(ActionKind::ResetTrackman, &b), 3);
        assert_eq!(l.booking_possible_successes(ActionKind::ResetTrackman, &b), 2);
    }
}
