//! Table-driven boundary tests, one group per rule of the policy; the
//! scenario builder lives here.

mod limits;
mod windows;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::booking::{Booking, BookingStatus, CustomerFlag, CustomerFlags};
use crate::classification::{Classification, Confidence};
use crate::enums::{ActionOutcome, Category, ThreadStatus, TriggeredBy};
use crate::health::Health;
use crate::ids::{BayNumber, DoorId, LocationId};
use crate::ledger::{ActionRecord, Ledger};
use crate::phone::{CountryCode, PhoneNumber};
use crate::signals::Signals;
use crate::time::Clock;

const TZ: &str = "America/Halifax";

fn tz() -> TimeZone {
    TimeZone::get(TZ).unwrap()
}

fn local(s: &str) -> Timestamp {
    s.parse::<DateTime>().unwrap().to_zoned(tz()).unwrap().timestamp()
}

fn bay(n: u16) -> BayNumber {
    BayNumber::new(n).unwrap()
}

/// A scenario; every field has a sensible default so each test changes one thing.
struct Case {
    class: Classification,
    booking: Option<Booking>,
    flags: CustomerFlags,
    now: Timestamp,
    ledger: Vec<ActionRecord>,
    health: Health,
    thread: ThreadFacts,
    signals: Signals,
    door: DoorId,
    profile: AutonomyProfile,
    limits: Limits,
}

impl Case {
    /// "trackman frozen" in bay 3 during the customer's booking, 14:00–15:00 local.
    fn tech() -> Self {
        let now = local("2026-06-15T14:30");
        Case {
            class: Classification {
                category: Some(Category::Tech),
                sub_intent: None,
                confidence: Confidence::new(0.95).unwrap(),
                proposal: Proposal::ResetTrackman { bay: Some(bay(3)) },
                reply: Some("Resetting your TrackMan now.".into()),
                matched_sop: None,
            },
            booking: Some(booking(local("2026-06-15T14:00"), local("2026-06-15T15:00"), Some(bay(3)))),
            flags: CustomerFlags::new(),
            now,
            ledger: Vec::new(),
            health: Health::ALL_HEALTHY,
            thread: ThreadFacts { status: ThreadStatus::AwaitingAi, failed_ai_actions: 0 },
            signals: Signals::default(),
            door: DoorId::parse("front").unwrap(),
            profile: AutonomyProfile::seed(),
            limits: Limits::default(),
        }
    }

    fn access() -> Self {
        let mut c = Self::tech();
        c.class.category = Some(Category::Access);
        c.class.proposal = Proposal::UnlockDoor { door: None };
        c.class.reply = Some("Unlocking the front door for you now.".into());
        c
    }

    fn faq(confidence: f64) -> Self {
        let mut c = Self::tech();
        c.class.category = Some(Category::Faq);
        c.class.confidence = Confidence::new(confidence).unwrap();
        c.class.proposal = Proposal::Reply;
        c.class.reply = Some("We're open 24/7 for booked customers.".into());
        c.booking = None;
        c
    }

    fn with_profile(mut self, json: &str) -> Self {
        self.profile = AutonomyProfile::from_json(json).unwrap();
        self
    }

    fn record(&mut self, kind: ActionKind, mins_ago: i64, outcome: Option<ActionOutcome>) {
        let target = match kind {
            ActionKind::UnlockDoor => ActionTarget::Door(self.door.clone()),
            _ => ActionTarget::Bay(bay(3)),
        };
        self.ledger.push(ActionRecord {
            kind,
            target,
            booking: self.booking.as_ref().map(|b| b.id.clone()),
            at: self.now - SignedDuration::from_mins(mins_ago),
            outcome,
            triggered_by: TriggeredBy::Ai,
        });
    }

    fn eval(&self) -> Evaluation {
        let input = PolicyInput {
            classification: &self.class,
            booking: self.booking.as_ref(),
            flags: &self.flags,
            clock: Clock::new(self.now, &tz()),
            ledger: Ledger(&self.ledger),
            health: self.health,
            thread: self.thread,
            signals: self.signals,
            default_door: Some(&self.door),
        };
        decide(&input, &self.profile, &self.limits)
    }

    fn reason(&self) -> Option<ReasonCode> {
        let e = self.eval();
        assert_eq!(e.decision.reason(), e.deciding_check().and_then(|c| c.reason));
        e.decision.reason()
    }
}

fn booking(start: Timestamp, end: Timestamp, bay: Option<BayNumber>) -> Booking {
    Booking::new(
        BookingId::parse("bk-1").unwrap(),
        LocationId::parse("bedford").unwrap(),
        bay,
        PhoneNumber::parse("902 555 0100", CountryCode::NANP).unwrap(),
        start,
        end,
        BookingStatus::Confirmed,
    )
    .unwrap()
}

#[test]
fn a_clean_tech_request_executes_the_reset_on_the_named_bay() {
    let e = Case::tech().eval();
    let Decision::Execute { action, reply } = &e.decision else { panic!("{:?}", e.decision) };
    assert_eq!(action.kind, ActionKind::ResetTrackman);
    assert_eq!(action.target, ActionTarget::Bay(bay(3)));
    assert_eq!(action.booking.as_ref().unwrap().as_str(), "bk-1");
    assert_eq!(reply.as_deref(), Some("Resetting your TrackMan now."));
    let names: Vec<String> = e.checks.iter().map(|c| c.name.to_string()).collect();
    assert_eq!(
        names,
        [
            "thread_state",
            "emergency",
            "sentiment",
            "category",
            "autonomy",
            "confidence",
            "resolution",
            "require_booking",
            "target",
            "connector",
            "cooldown",
            "bay_reset_limit",
            "max_fallbacks"
        ]
    );
    assert!(e.checks.iter().all(|c| c.passed));
}

#[test]
fn autonomy_off_escalates_with_the_proposal_attached() {
    let c = Case::tech().with_profile(r#"{"tech": {"autonomy": false, "confidence_threshold": 0.5}}"#);
    let e = c.eval();
    let Decision::Escalate { reason, proposal, .. } = e.decision else { panic!() };
    assert_eq!(reason, ReasonCode::AutonomyDisabled);
    let Some(Proposed::Action(a)) = proposal else { panic!("{proposal:?}") };
    assert_eq!((a.kind, a.target), (ActionKind::ResetTrackman, ActionTarget::Bay(bay(3))));
    // A category missing from the profile has no autonomy either.
    let missing = Case::tech().with_profile(r#"{"faq": {"autonomy": true}}"#);
    assert_eq!(missing.reason(), Some(ReasonCode::AutonomyDisabled));
}

#[test]
fn confidence_threshold_boundary_equal_passes() {
    for (conf, want) in [(0.8499, Some(ReasonCode::LowConfidence)), (0.85, None), (0.86, None)] {
        let mut c = Case::tech();
        c.class.confidence = Confidence::new(conf).unwrap();
        assert_eq!(c.reason(), want, "confidence {conf}");
    }
}

#[test]
fn a_flagged_customer_is_not_let_in() {
    let mut c = Case::access();
    c.flags.insert(CustomerFlag::parse("no_unlock").unwrap());
    assert_eq!(c.reason(), Some(ReasonCode::CustomerFlagged));
}

#[test]
fn emergency_always_escalates_with_a_safety_notice() {
    let mut c = Case::faq(1.0);
    c.signals.emergency = true;
    let Decision::Escalate { reason, notice, .. } = c.eval().decision else { panic!() };
    assert_eq!(reason, ReasonCode::Emergency);
    assert_eq!(notice, Some(Notice::Safety));
    assert!(Notice::Safety.to_string().contains("911"));
}

#[test]
fn negative_sentiment_escalates() {
    let mut c = Case::tech();
    c.signals.negative_sentiment = true;
    assert_eq!(c.reason(), Some(ReasonCode::NegativeSentiment));
}

#[test]
fn human_owned_threads_get_nothing_from_the_ai() {
    for status in [ThreadStatus::Escalated, ThreadStatus::InProgress, ThreadStatus::ManualOverride] {
        let mut c = Case::tech();
        c.thread.status = status;
        let e = c.eval();
        assert_eq!(e.decision, Decision::LeaveToHuman);
        assert_eq!(e.decision.verdict(), None);
        assert_eq!(e.checks.len(), 1);
        assert!(!e.checks[0].passed);
    }
    for status in [ThreadStatus::Pending, ThreadStatus::AwaitingAi, ThreadStatus::AwaitingResponse] {
        let mut c = Case::tech();
        c.thread.status = status;
        assert!(matches!(c.eval().decision, Decision::Execute { .. }), "{status}");
    }
}

#[test]
fn faq_with_an_answer_at_the_threshold_replies() {
    let e = Case::faq(0.70).eval();
    assert_eq!(e.decision, Decision::Reply { text: "We're open 24/7 for booked customers.".into() });
    let Decision::Escalate { reason, proposal, .. } = Case::faq(0.6999).eval().decision else { panic!() };
    assert_eq!(reason, ReasonCode::LowConfidence);
    assert_eq!(proposal, Some(Proposed::Reply("We're open 24/7 for booked customers.".into())));
    let mut empty = Case::faq(0.9);
    empty.class.reply = Some("  ".into());
    assert_eq!(empty.reason(), Some(ReasonCode::NoMatch));
}

#[test]
fn nothing_to_do_or_nothing_understood_is_no_match() {
    let mut c = Case::faq(0.9);
    c.class.proposal = Proposal::None;
    assert_eq!(c.reason(), Some(ReasonCode::NoMatch));
    let mut none = Case::faq(0.9);
    none.class.category = None;
    assert_eq!(none.reason(), Some(ReasonCode::NoMatch));
    let mut esc = Case::tech();
    esc.class.proposal = Proposal::Escalate;
    assert_eq!(esc.reason(), Some(ReasonCode::NoMatch));
}

#[test]
fn targets_come_from_the_booking_and_must_match_it() {
    let mut from_booking = Case::tech();
    from_booking.class.proposal = Proposal::ResetTrackman { bay: None };
    let Decision::Execute { action, .. } = from_booking.eval().decision else { panic!() };
    assert_eq!(action.target, ActionTarget::Bay(bay(3)));

    let mut other_bay = Case::tech();
    other_bay.class.proposal = Proposal::ResetTrackman { bay: Some(bay(2)) };
    assert_eq!(other_bay.reason(), Some(ReasonCode::NoBooking));

    let mut unknown = Case::tech().with_profile(r#"{"tech": {"autonomy": true}}"#);
    unknown.booking = None;
    unknown.class.proposal = Proposal::ResetTrackman { bay: None };
    assert_eq!(unknown.reason(), Some(ReasonCode::NoMatch));

    let Decision::Execute { action, .. } = Case::access().eval().decision else { panic!() };
    assert_eq!(action.target, ActionTarget::Door(DoorId::parse("front").unwrap()));
}

#[test]
fn reboot_always_needs_an_operator() {
    let mut c = Case::tech();
    c.class.proposal = Proposal::RebootPc { bay: None };
    let Decision::Escalate { reason, proposal, .. } = c.eval().decision else { panic!() };
    assert_eq!(reason, ReasonCode::AutonomyDisabled);
    let Some(Proposed::Action(a)) = proposal else { panic!() };
    assert_eq!((a.kind, a.target), (ActionKind::RebootPc, ActionTarget::Bay(bay(3))));
}

#[test]
fn every_check_renders_for_view_reasoning() {
    let mut c = Case::access();
    c.record(ActionKind::UnlockDoor, 2, Some(ActionOutcome::Success));
    let e = c.eval();
    let lines: Vec<String> = e.checks.iter().map(ToString::to_string).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("✗ unlock_limit: 1 unlock(s)") && l.ends_with("→ max_attempts")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("✓ rule: within 10 min of booking")), "{lines:#?}");
    let json = serde_json::to_value(&e.checks).unwrap();
    assert_eq!(json[0]["name"], "thread_state");
    assert_eq!(json[0]["detail"]["kind"], "thread_status");
}
