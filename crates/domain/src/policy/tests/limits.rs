//! Cooldowns, per-bay and per-booking limits, fallbacks and connector health.

use jiff::SignedDuration;

use super::*;
use crate::enums::{ActionOutcome, ComponentState, Connector, TriggeredBy};
use crate::health::Health;
use crate::ledger::ActionRecord;

#[test]
fn cooldown_boundary() {
    // Seed tech cooldown: 900 s.
    for (secs_ago, want) in [(899, Some(ReasonCode::Cooldown)), (900, None)] {
        let mut c = Case::tech();
        c.ledger.push(ActionRecord {
            kind: ActionKind::ResetTrackman,
            target: ActionTarget::Bay(bay(3)),
            booking: None,
            at: c.now - SignedDuration::from_secs(secs_ago),
            outcome: Some(ActionOutcome::Success),
            triggered_by: TriggeredBy::Human,
        });
        assert_eq!(c.reason(), want, "{secs_ago}s ago");
    }
    // Another bay's reset does not cool this one down.
    let mut c = Case::tech();
    c.ledger.push(ActionRecord {
        kind: ActionKind::ResetTrackman,
        target: ActionTarget::Bay(bay(4)),
        booking: None,
        at: c.now,
        outcome: Some(ActionOutcome::Success),
        triggered_by: TriggeredBy::Ai,
    });
    assert_eq!(c.reason(), None);
}

#[test]
fn second_reset_in_an_hour_runs_third_is_rate_limited() {
    let no_cooldown = r#"{"tech": {"autonomy": true, "confidence_threshold": 0.85, "require_booking": true}}"#;
    let mut second = Case::tech().with_profile(no_cooldown);
    second.record(ActionKind::ResetTrackman, 20, Some(ActionOutcome::Success));
    assert!(matches!(second.eval().decision, Decision::Execute { .. }));

    let mut third = Case::tech().with_profile(no_cooldown);
    third.record(ActionKind::ResetTrackman, 59, Some(ActionOutcome::Success));
    third.record(ActionKind::ResetTrackman, 20, Some(ActionOutcome::Failed));
    let e = third.eval();
    let Decision::Escalate { reason, notice, proposal } = &e.decision else { panic!() };
    assert_eq!(*reason, ReasonCode::RateLimited);
    assert_eq!(notice.unwrap().to_string(), "TrackMan reset limit reached for Bay 3 (2/hr). Escalating.");
    assert!(matches!(proposal, Some(Proposed::Action(_))));

    // An hour after the first, the window has room again.
    let mut later = Case::tech().with_profile(no_cooldown);
    later.record(ActionKind::ResetTrackman, 60, Some(ActionOutcome::Success));
    later.record(ActionKind::ResetTrackman, 20, Some(ActionOutcome::Success));
    assert_eq!(later.reason(), None);
}

#[test]
fn one_successful_unlock_per_booking_but_a_failed_one_allows_another() {
    let mut after_success = Case::access();
    after_success.record(ActionKind::UnlockDoor, 2, Some(ActionOutcome::Success));
    assert_eq!(after_success.reason(), Some(ReasonCode::MaxAttempts));

    let mut after_failure = Case::access();
    after_failure.record(ActionKind::UnlockDoor, 2, Some(ActionOutcome::Failed));
    let e = after_failure.eval();
    assert!(matches!(e.decision, Decision::Execute { .. }), "{:?}", e.decision);

    // A timeout may have opened the door: it counts as a possible success.
    let mut after_timeout = Case::access();
    after_timeout.record(ActionKind::UnlockDoor, 2, Some(ActionOutcome::Timeout));
    assert_eq!(after_timeout.reason(), Some(ReasonCode::MaxAttempts));

    // max_attempts_per_booking (seed: 2) counts every attempt.
    let mut two_failures = Case::access();
    two_failures.record(ActionKind::UnlockDoor, 3, Some(ActionOutcome::Failed));
    two_failures.record(ActionKind::UnlockDoor, 2, Some(ActionOutcome::Failed));
    assert_eq!(two_failures.reason(), Some(ReasonCode::MaxAttempts));
}

#[test]
fn fallbacks_are_limited_by_max_fallbacks() {
    for (failed, want) in [(0, None), (1, None), (2, Some(ReasonCode::ActionFailed))] {
        let mut c = Case::tech();
        c.thread.failed_ai_actions = failed;
        assert_eq!(c.reason(), want, "{failed} failed");
    }
    let mut access = Case::access();
    access.thread.failed_ai_actions = 1;
    assert_eq!(access.reason(), Some(ReasonCode::ActionFailed), "default max_fallbacks is 0");
}

#[test]
fn connector_health() {
    let cases = [
        (None, Some(ReasonCode::ConnectorUnavailable)),
        (Some(ComponentState::Down), Some(ReasonCode::SystemUnhealthy)),
        (Some(ComponentState::Degraded), None),
        (Some(ComponentState::Healthy), None),
    ];
    for (state, want) in cases {
        let mut c = Case::tech();
        c.health = Health::ALL_HEALTHY.with_connector(Connector::Ninjaone, state);
        assert_eq!(c.reason(), want, "{state:?}");
        let mut f = Case::faq(0.9);
        f.health = Health::ALL_HEALTHY.with_connector(Connector::Openphone, state);
        assert_eq!(f.reason(), want, "reply with sms {state:?}");
    }
    let mut door = Case::access();
    door.health = Health::ALL_HEALTHY.with_connector(Connector::UnifiAccess, None);
    assert_eq!(door.reason(), Some(ReasonCode::ConnectorUnavailable));
}
