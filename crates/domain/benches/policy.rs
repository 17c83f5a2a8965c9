//! Criterion benchmark of one policy decision (goal: median under 2 µs).

use std::hint::black_box;

use clubos_domain::*;
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

fn bench(c: &mut Criterion) {
    let tz = TimeZone::get("America/Halifax").unwrap();
    let profile = AutonomyProfile::seed();
    let limits = Limits::default();
    let now: Timestamp = "2026-06-15T18:30:00Z".parse().unwrap();
    let bay = BayNumber::new(3).unwrap();
    let booking = Booking::new(
        BookingId::parse("bk-1").unwrap(),
        LocationId::parse("bedford").unwrap(),
        Some(bay),
        PhoneNumber::parse("9025550100", CountryCode::NANP).unwrap(),
        now - SignedDuration::from_mins(30),
        now + SignedDuration::from_mins(30),
        BookingStatus::Confirmed,
    )
    .unwrap();
    let ledger: Vec<ActionRecord> = (0..4)
        .map(|i| ActionRecord {
            kind: ActionKind::ResetTrackman,
            target: ActionTarget::Bay(BayNumber::new(1 + i % 2).unwrap()),
            booking: None,
            at: now - SignedDuration::from_mins(20 * i64::from(i + 1)),
            outcome: Some(ActionOutcome::Success),
            triggered_by: TriggeredBy::Ai,
        })
        .collect();
    let flags = CustomerFlags::new();
    let door = DoorId::parse("front").unwrap();
    let tech = Classification {
        category: Some(Category::Tech),
        sub_intent: None,
        confidence: Confidence::new(0.93).unwrap(),
        proposal: Proposal::ResetTrackman { bay: None },
        reply: Some("Resetting your TrackMan now.".into()),
        matched_sop: None,
    };
    let access = Classification {
        category: Some(Category::Access),
        proposal: Proposal::UnlockDoor { door: None },
        ..tech.clone()
    };
    let input = |class| PolicyInput {
        classification: class,
        booking: Some(&booking),
        flags: &flags,
        clock: Clock::new(now, &tz),
        ledger: Ledger(&ledger),
        health: Health::ALL_HEALTHY,
        thread: ThreadFacts { status: ThreadStatus::AwaitingAi, failed_ai_actions: 0 },
        signals: Signals::default(),
        default_door: Some(&door),
    };
    let tech_in = input(&tech);
    let access_in = input(&access);
    c.bench_function("policy/decide tech reset (execute)", |b| {
        b.iter(|| decide(black_box(&tech_in), black_box(&profile), black_box(&limits)))
    });
    c.bench_function("policy/decide access unlock (execute)", |b| {
        b.iter(|| decide(black_box(&access_in), black_box(&profile), black_box(&limits)))
    });
    c.bench_function("policy/decide with clock conversion", |b| {
        b.iter(|| {
            let i = tech_in.with_clock(Clock::new(black_box(now), &tz));
            decide(&i, &profile, &limits)
        })
    });
    let detector = SignalDetector::default();
    c.bench_function("signals/detect 60-char text", |b| {
        b.iter(|| detector.detect(black_box("hey the trackman in bay 3 is frozen again, can you reset it")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
