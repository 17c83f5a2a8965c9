//! The scoped ledger read: a backend returns exactly what
//! [`LedgerScope::select`] picks from every attempt at the location.

use clubos_domain::policy::LedgerScope;
use clubos_domain::*;
use jiff::SignedDuration;

use super::{inbound, loc, stored, t};
use crate::*;

pub(super) async fn scoped_reads_match_the_reference(s: &impl Store) {
    let (here, _, _) = stored(s.ingest(inbound("l1", 60, 0, Priority::Normal)).await.unwrap());
    let mut elsewhere = inbound("l2", 61, 0, Priority::Normal);
    elsewhere.location = LocationId::parse("halifax").unwrap();
    let (there, _, _) = stored(s.ingest(elsewhere).await.unwrap());

    let kinds = [ActionKind::ResetTrackman, ActionKind::UnlockDoor, ActionKind::RebootPc, ActionKind::SendReply];
    let bookings = [None, BookingId::parse("bk-a").ok(), BookingId::parse("bk-b").ok()];
    let mut all = Vec::new();
    // A small deterministic generator: the same attempts for every backend.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for i in 0..120 {
        let kind = kinds[next(4) as usize];
        let target = match kind {
            ActionKind::UnlockDoor => ActionTarget::Door(DoorId::parse(["front", "back"][next(2) as usize]).unwrap()),
            ActionKind::SendReply => ActionTarget::Customer,
            _ => ActionTarget::Bay(BayNumber::new(1 + next(3) as u16).unwrap()),
        };
        let booking = bookings[next(3) as usize].clone();
        let human = next(4) == 0;
        let at = t(-180) + SignedDuration::from_secs(i * 97 + next(60) as i64);
        let thread = if next(6) == 0 { there } else { here };
        let action = NewAction {
            kind,
            target: target.clone(),
            booking: booking.clone(),
            triggered_by: if human { TriggeredBy::Human } else { TriggeredBy::Ai },
            actor: if human { "ops@example.com".into() } else { "ai".into() },
            body: (kind == ActionKind::SendReply).then(|| "ok".to_owned()),
            override_reason: None,
        };
        let id = s.start_action(thread, None, action, at).await.unwrap();
        let outcome = match next(4) {
            0 => None,
            1 => Some(ActionOutcome::Failed),
            2 => Some(ActionOutcome::Timeout),
            _ => Some(ActionOutcome::Success),
        };
        if let Some(o) = outcome {
            s.finish_action(id, o, None, at + SignedDuration::from_secs(5)).await.unwrap();
        }
        if thread == here && kind != ActionKind::SendReply {
            let triggered_by = if human { TriggeredBy::Human } else { TriggeredBy::Ai };
            all.push(ActionRecord { kind, target, booking, at, outcome, triggered_by });
        }
    }

    let key = |r: &ActionRecord| format!("{:?}", (r.at, r.kind, &r.target, &r.booking, r.outcome, r.triggered_by));
    let mut checked = 0;
    for kind in [ActionKind::ResetTrackman, ActionKind::UnlockDoor, ActionKind::RebootPc] {
        let targets: Vec<ActionTarget> = match kind {
            ActionKind::UnlockDoor => {
                ["front", "back", "side"].iter().map(|d| ActionTarget::Door(DoorId::parse(d).unwrap())).collect()
            }
            _ => (1..=4).map(|b| ActionTarget::Bay(BayNumber::new(b).unwrap())).collect(),
        };
        for target in targets {
            for booking in &bookings {
                for (until, since) in
                    [(t(0), Some(t(-60))), (t(-90), Some(t(-100))), (t(-90), None), (t(-200), Some(t(-300)))]
                {
                    let scope = LedgerScope {
                        kind,
                        target: target.clone(),
                        until,
                        window_since: since,
                        booking: booking.clone(),
                    };
                    let mut want = scope.select(&all);
                    let mut got = s.ledger(&loc(), &scope).await.unwrap();
                    want.sort_by_key(key);
                    got.sort_by_key(key);
                    assert_eq!(got, want, "{scope:?}");
                    checked += usize::from(!want.is_empty());
                }
            }
        }
    }
    assert!(checked > 40, "the scopes select something ({checked})");
}
