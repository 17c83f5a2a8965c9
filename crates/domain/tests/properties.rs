//! Property tests of the policy: safety invariants that must hold for any input.

use clubos_domain::autonomy::AutonomyProfile;
use clubos_domain::policy::{Decision, ThreadFacts};
use clubos_domain::*;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn t0() -> Timestamp {
    "2026-06-15T18:00:00Z".parse().unwrap()
}

fn bay(n: u16) -> BayNumber {
    BayNumber::new(n).unwrap()
}

fn door() -> DoorId {
    DoorId::parse("front").unwrap()
}

fn booking_at(start: Timestamp, mins: i64, bay_no: Option<u16>, status: BookingStatus) -> Booking {
    Booking::new(
        BookingId::parse("bk-1").unwrap(),
        LocationId::parse("bedford").unwrap(),
        bay_no.map(bay),
        PhoneNumber::parse("9025550100", CountryCode::NANP).unwrap(),
        start,
        start + SignedDuration::from_mins(mins),
        status,
    )
    .unwrap()
}

fn arb_outcome() -> impl Strategy<Value = Option<ActionOutcome>> {
    prop_oneof![Just(None), proptest::sample::select(ActionOutcome::ALL.to_vec()).prop_map(Some),]
}

fn arb_state() -> impl Strategy<Value = Option<ComponentState>> {
    prop_oneof![Just(None), proptest::sample::select(ComponentState::ALL.to_vec()).prop_map(Some),]
}

fn arb_proposal() -> impl Strategy<Value = Proposal> {
    let b = proptest::option::of((1u16..=4).prop_map(bay));
    prop_oneof![
        b.clone().prop_map(|bay| Proposal::ResetTrackman { bay }),
        b.prop_map(|bay| Proposal::RebootPc { bay }),
        proptest::option::of(Just(door())).prop_map(|door| Proposal::UnlockDoor { door }),
        Just(Proposal::Reply),
        Just(Proposal::Escalate),
        Just(Proposal::None),
    ]
}

fn arb_category_json() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        0u32..=3,
        0u32..=100,
        any::<bool>(),
        proptest::option::of((0u32..24, 0u32..24)),
        prop_oneof![Just(0u32), Just(60), Just(900)],
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(1u32..=3),
    )
        .prop_map(|(auto, fb, th, rb, win, cd, within, noflags, maxa)| {
            let window = match win {
                Some((s, e)) if s != e => format!(r#"{{"start":"{s:02}:00","end":"{e:02}:00"}}"#),
                _ => "null".into(),
            };
            let mut rules = Vec::new();
            if within {
                rules.push("\"within 10 min of booking\"");
            }
            if noflags {
                rules.push("\"no flags\"");
            }
            let maxa = maxa.map_or("null".into(), |m| m.to_string());
            format!(
                r#"{{"autonomy":{auto},"max_fallbacks":{fb},"confidence_threshold":{},"require_booking":{rb},
                   "time_restrictions":{window},"cooldown_seconds":{cd},"rules":[{}],"max_attempts_per_booking":{maxa}}}"#,
                f64::from(th) / 100.0,
                rules.join(",")
            )
        })
}

fn arb_profile() -> impl Strategy<Value = AutonomyProfile> {
    proptest::collection::vec(arb_category_json(), 4).prop_map(|cats| {
        let json = format!(r#"{{"tech":{},"booking":{},"access":{},"faq":{}}}"#, cats[0], cats[1], cats[2], cats[3]);
        AutonomyProfile::from_json(&json).unwrap()
    })
}

#[derive(Debug, Clone)]
struct World {
    class: Classification,
    booking: Option<Booking>,
    flags: CustomerFlags,
    now: Timestamp,
    ledger: Vec<ActionRecord>,
    health: Health,
    thread: ThreadFacts,
    signals: Signals,
    profile: AutonomyProfile,
}

fn arb_world() -> impl Strategy<Value = World> {
    let class = (
        proptest::option::of(proptest::sample::select(Category::ALL.to_vec())),
        0u32..=10_000,
        arb_proposal(),
        proptest::option::of(prop_oneof![Just(String::new()), Just("ok".to_owned())]),
    )
        .prop_map(|(category, c, proposal, reply)| Classification {
            category,
            sub_intent: None,
            confidence: Confidence::new(f64::from(c) / 10_000.0).unwrap(),
            proposal,
            reply,
            matched_sop: None,
        });
    let booking = proptest::option::of((
        -240i64..240,
        30i64..180,
        proptest::option::of(1u16..=4),
        proptest::sample::select(BookingStatus::ALL.to_vec()),
    ));
    let record = (
        proptest::sample::select(vec![ActionKind::ResetTrackman, ActionKind::RebootPc, ActionKind::UnlockDoor]),
        1u16..=4,
        -600i64..7200,
        arb_outcome(),
        any::<bool>(),
    );
    (
        class,
        booking,
        any::<bool>(),
        proptest::collection::vec(record, 0..6),
        (arb_state(), arb_state(), arb_state(), arb_state()),
        (proptest::sample::select(ThreadStatus::ALL.to_vec()), 0u32..3),
        (proptest::bool::weighted(0.1), proptest::bool::weighted(0.1)),
        arb_profile(),
        0i64..86_400,
    )
        .prop_map(|(class, booking, flagged, recs, states, thread, sig, profile, offset)| {
            let now = t0() + SignedDuration::from_secs(offset);
            let booking = booking
                .map(|(start, len, b, status)| booking_at(now + SignedDuration::from_mins(start), len, b, status));
            let ledger = recs
                .into_iter()
                .map(|(kind, b, secs_ago, outcome, same_booking)| ActionRecord {
                    kind,
                    target: if kind == ActionKind::UnlockDoor {
                        ActionTarget::Door(door())
                    } else {
                        ActionTarget::Bay(bay(b))
                    },
                    booking: booking.as_ref().filter(|_| same_booking).map(|bk| bk.id.clone()),
                    at: now - SignedDuration::from_secs(secs_ago),
                    outcome,
                    triggered_by: TriggeredBy::Ai,
                })
                .collect();
            let mut flags = CustomerFlags::new();
            if flagged {
                flags.insert(CustomerFlag::parse("abusive").unwrap());
            }
            let health = Health::ALL_HEALTHY
                .with_connector(Connector::Openphone, states.0)
                .with_connector(Connector::Ninjaone, states.1)
                .with_connector(Connector::UnifiAccess, states.2);
            let mut health = health;
            health.llm = states.3.unwrap_or(ComponentState::Healthy);
            World {
                class,
                booking,
                flags,
                now,
                ledger,
                health,
                thread: ThreadFacts { status: thread.0, failed_ai_actions: thread.1 },
                signals: Signals { emergency: sig.0, negative_sentiment: sig.1, feedback: false },
                profile,
            }
        })
}

fn evaluate(w: &World, tz: &TimeZone, limits: &Limits) -> policy::Evaluation {
    let d = door();
    let input = PolicyInput {
        classification: &w.class,
        booking: w.booking.as_ref(),
        flags: &w.flags,
        clock: Clock::new(w.now, tz),
        ledger: Ledger(&w.ledger),
        health: w.health,
        thread: w.thread,
        signals: w.signals,
        default_door: Some(&d),
    };
    decide(&input, &w.profile, limits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The AI never acts or replies when any check failed, and always does one
    /// of the two when all passed.
    #[test]
    fn never_acts_when_a_check_fails(w in arb_world()) {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let e = evaluate(&w, &tz, &Limits::default());
        let any_failed = e.checks.iter().any(|c| !c.passed);
        let acts = matches!(e.decision, Decision::Execute { .. } | Decision::Reply { .. });
        prop_assert_eq!(acts, !any_failed, "{:?}\n{:#?}", e.decision, e.checks);
        if let Decision::Escalate { reason, .. } = e.decision {
            prop_assert_eq!(Some(reason), e.deciding_check().and_then(|c| c.reason));
        }
    }

    /// The scoped ledger read (what storage fetches for a planned action)
    /// gives exactly the checks and decision of the whole ledger.
    #[test]
    fn the_scoped_ledger_decides_like_the_whole_ledger(w in arb_world()) {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let limits = Limits::default();
        let full = evaluate(&w, &tz, &limits);
        let d = door();
        let input = PolicyInput {
            classification: &w.class,
            booking: w.booking.as_ref(),
            flags: &w.flags,
            clock: Clock::new(w.now, &tz),
            ledger: Ledger(&w.ledger),
            health: w.health,
            thread: w.thread,
            signals: w.signals,
            default_door: Some(&d),
        };
        let scoped = match policy::LedgerScope::for_input(&input, &limits) {
            Some(scope) => scope.select(&w.ledger),
            None => Vec::new(),
        };
        let narrow = evaluate(&World { ledger: scoped, ..w.clone() }, &tz, &limits);
        prop_assert_eq!(full, narrow);
    }

    /// Equal inputs give equal decisions: no hidden state, no clock.
    #[test]
    fn deterministic(w in arb_world()) {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let a = evaluate(&w, &tz, &Limits::default());
        let b = evaluate(&w.clone(), &tz, &Limits::default());
        prop_assert_eq!(a, b);
    }

    /// Whatever the timing and outcomes of reset requests on one bay, the
    /// executed resets never exceed the limit in any rolling window and are
    /// never closer than the cooldown.
    #[test]
    fn resets_respect_the_rolling_limit_and_cooldown(
        gaps in proptest::collection::vec(0i64..2400, 1..40),
        outcomes in proptest::collection::vec(proptest::sample::select(ActionOutcome::ALL.to_vec()), 40),
        cooldown in prop_oneof![Just(0u64), Just(60), Just(900)],
        limit in 1u32..=3,
    ) {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let limits = Limits { resets_per_bay: limit, ..Limits::default() };
        let profile = AutonomyProfile::from_json(&format!(
            r#"{{"tech":{{"autonomy":true,"confidence_threshold":0.5,"cooldown_seconds":{cooldown},"max_fallbacks":10}}}}"#
        )).unwrap();
        let mut now = t0();
        let mut executed: Vec<Timestamp> = Vec::new();
        let mut w = World {
            class: Classification {
                category: Some(Category::Tech),
                sub_intent: None,
                confidence: Confidence::ONE,
                proposal: Proposal::ResetTrackman { bay: Some(bay(2)) },
                reply: None,
                matched_sop: None,
            },
            booking: None,
            flags: CustomerFlags::new(),
            now,
            ledger: Vec::new(),
            health: Health::ALL_HEALTHY,
            thread: ThreadFacts { status: ThreadStatus::AwaitingAi, failed_ai_actions: 0 },
            signals: Signals::default(),
            profile,
        };
        for (i, gap) in gaps.iter().enumerate() {
            now += SignedDuration::from_secs(*gap);
            w.now = now;
            if let Decision::Execute { action, .. } = evaluate(&w, &tz, &limits).decision {
                executed.push(now);
                w.ledger.push(ActionRecord {
                    kind: action.kind,
                    target: action.target,
                    booking: None,
                    at: now,
                    outcome: Some(outcomes[i]),
                    triggered_by: TriggeredBy::Ai,
                });
            }
        }
        let hour = SignedDuration::from_hours(1);
        for (i, &t) in executed.iter().enumerate() {
            let in_window = executed.iter().filter(|&&u| u <= t && u > t - hour).count();
            prop_assert!(in_window <= limit as usize, "{} resets in the hour up to {}", in_window, t);
            if i > 0 {
                prop_assert!(t.duration_since(executed[i - 1]) >= SignedDuration::from_secs(cooldown as i64));
            }
        }
    }

    /// Never more than one unlock per booking that may have opened the door.
    #[test]
    fn at_most_one_successful_unlock_per_booking(
        gaps in proptest::collection::vec(0i64..300, 1..20),
        outcomes in proptest::collection::vec(proptest::sample::select(ActionOutcome::ALL.to_vec()), 20),
        max_attempts in proptest::option::of(1u32..=5),
    ) {
        let tz = TimeZone::get("America/Halifax").unwrap();
        let max = max_attempts.map_or("null".to_owned(), |m| m.to_string());
        let profile = AutonomyProfile::from_json(&format!(
            r#"{{"access":{{"autonomy":true,"confidence_threshold":0.5,"max_fallbacks":10,
                "rules":["within 10 min of booking"],"max_attempts_per_booking":{max}}}}}"#
        )).unwrap();
        let mut now = t0();
        let mut w = World {
            class: Classification {
                category: Some(Category::Access),
                sub_intent: None,
                confidence: Confidence::ONE,
                proposal: Proposal::UnlockDoor { door: None },
                reply: None,
                matched_sop: None,
            },
            booking: Some(booking_at(now, 180, Some(1), BookingStatus::Confirmed)),
            flags: CustomerFlags::new(),
            now,
            ledger: Vec::new(),
            health: Health::ALL_HEALTHY,
            thread: ThreadFacts { status: ThreadStatus::AwaitingAi, failed_ai_actions: 0 },
            signals: Signals::default(),
            profile,
        };
        for (i, gap) in gaps.iter().enumerate() {
            now += SignedDuration::from_secs(*gap);
            w.now = now;
            if let Decision::Execute { action, .. } = evaluate(&w, &tz, &Limits::default()).decision {
                w.ledger.push(ActionRecord {
                    kind: action.kind,
                    target: action.target,
                    booking: action.booking,
                    at: now,
                    outcome: Some(outcomes[i]),
                    triggered_by: TriggeredBy::Ai,
                });
            }
        }
        let possible = w.ledger.iter().filter(|r| r.outcome.is_none_or(ActionOutcome::may_have_succeeded)).count();
        prop_assert!(possible <= 1, "{:?}", w.ledger);
        if let Some(m) = max_attempts {
            prop_assert!(w.ledger.len() <= m as usize);
        }
    }
}
