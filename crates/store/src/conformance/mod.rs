//! The conformance suite: every behaviour a backend must have, written once
//! against the [`Store`] trait. Each backend's tests call [`run_all`] with a
//! factory that makes a fresh, empty store.

use std::future::Future;

use clubos_domain::*;
use jiff::{SignedDuration, Timestamp};

use crate::*;
use clubos_domain::policy::LedgerScope;

/// Runs every conformance check, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    dedupe(&make().await).await;
    threads_join_within_the_window(&make().await).await;
    queue_order_and_leases(&make().await).await;
    new_messages_during_work_keep_the_item(&make().await).await;
    decisions_are_atomic_and_actions_run_once(&make().await).await;
    bookings_customers_and_ledger(&make().await).await;
    notifications_audit_settings_sops(&make().await).await;
    queue_overflow_alerts_once(&make().await).await;
    guards::compare_and_set_updates(&make().await).await;
    guards::decisions_need_the_claim_and_undecided_messages(&make().await).await;
    guards::thread_times_reads_only_the_statuses_asked(&make().await).await;
    ledger::scoped_reads_match_the_reference(&make().await).await;
    delivery::slack_once_and_on_call_until_acknowledged(&make().await).await;
    tokens::reservations_respect_the_caps(&make().await).await;
    review::jobs_run_in_order_and_keep_their_place(&make().await).await;
    knowledge::proposals_versions_and_the_change_log(&make().await).await;
    knowledge::metrics_follow_decisions_and_outcomes(&make().await).await;
    accounts::accounts_sessions_and_failures(&make().await).await;
    accounts::inbox_order_reviews_and_stats(&make().await).await;
    leases::one_holder_renewal_takeover_and_release(&make().await).await;
    leases::concurrent_contenders_one_winner(&make().await).await;
    privacy::export_then_forget_one_customer(&make().await).await;
    privacy::retention_redacts_old_closed_threads_only(&make().await).await;
    privacy::the_first_privacy_key_stays(&make().await).await;
}

mod accounts;
mod delivery;
mod guards;
mod knowledge;
mod leases;
mod ledger;
mod privacy;
mod review;
mod tokens;

pub fn t(mins: i64) -> Timestamp {
    "2026-06-15T18:00:00Z".parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH) + SignedDuration::from_mins(mins)
}

fn phone(n: u16) -> PhoneNumber {
    PhoneNumber::parse(&format!("902555{n:04}"), CountryCode::NANP).expect("valid test phone")
}

fn loc() -> LocationId {
    LocationId::parse("bedford").expect("valid location")
}

/// A message from customer `n` at minute `at`, with unique ids from `id`.
pub fn inbound(id: &str, n: u16, at: i64, priority: Priority) -> NewInbound {
    NewInbound {
        event_id: format!("ev-{id}"),
        delivery_id: Some(format!("dl-{id}")),
        message_id: format!("msg-{id}"),
        from: phone(n),
        body: format!("text {id} ' \"; DROP TABLE threads; -- 🏌️"),
        received_at: t(at),
        location: loc(),
        priority,
        join_window: SignedDuration::from_mins(30),
        queue_max: 100,
        correlation_id: format!("corr-{id}"),
    }
}

pub(crate) fn stored(i: Ingested) -> (ThreadId, i64, bool) {
    match i {
        Ingested::Stored { thread_id, message_id, new_thread, .. } => (thread_id, message_id, new_thread),
        Ingested::Duplicate => panic!("unexpected duplicate"),
    }
}

async fn dedupe(s: &impl Store) {
    let (tid, _, new) = stored(s.ingest(inbound("a", 1, 0, Priority::Normal)).await.unwrap());
    assert!(new);
    assert_eq!(s.ingest(inbound("a", 1, 0, Priority::Normal)).await.unwrap(), Ingested::Duplicate);
    let mut same_msg = inbound("b", 1, 0, Priority::Normal);
    same_msg.message_id = "msg-a".into();
    assert_eq!(s.ingest(same_msg).await.unwrap(), Ingested::Duplicate, "same message id");
    let mut same_delivery = inbound("c", 1, 0, Priority::Normal);
    same_delivery.delivery_id = Some("dl-a".into());
    assert_eq!(s.ingest(same_delivery).await.unwrap(), Ingested::Duplicate, "same delivery id");
    let d = s.thread(tid).await.unwrap().unwrap();
    assert_eq!(d.messages.len(), 1, "duplicates store nothing");
    assert_eq!(d.messages[0].body, "text a ' \"; DROP TABLE threads; -- 🏌️", "stored byte for byte");
}

async fn threads_join_within_the_window(s: &impl Store) {
    let (a, _, _) = stored(s.ingest(inbound("1", 1, 0, Priority::Normal)).await.unwrap());
    let (b, _, new) = stored(s.ingest(inbound("2", 1, 30, Priority::High)).await.unwrap());
    assert_eq!((a, new), (b, false), "joins within 30 minutes");
    let row = s.thread(a).await.unwrap().unwrap().thread;
    assert_eq!(row.priority, Priority::High, "priority only rises");
    let (c, _, new) = stored(s.ingest(inbound("3", 1, 61, Priority::Normal)).await.unwrap());
    assert!(new && c != a, "61 minutes later (31 after the last) opens a new thread");
    let (other, _, _) = stored(s.ingest(inbound("4", 2, 61, Priority::Low)).await.unwrap());
    assert_ne!(other, c, "another customer");
    s.update_thread(c, ThreadUpdate { status: Some(ThreadStatus::Resolved), ..Default::default() }, t(62))
        .await
        .unwrap();
    let (d, _, new) = stored(s.ingest(inbound("5", 1, 63, Priority::Normal)).await.unwrap());
    assert!(new && d != c, "a resolved thread is not joined");
    let esc = Escalation { reason: None, summary: "No resolution within 15 minutes".into(), proposal: None };
    s.update_thread(
        d,
        ThreadUpdate { status: Some(ThreadStatus::Escalated), escalation: Some(esc), ..Default::default() },
        t(64),
    )
    .await
    .unwrap();
    let row = s.thread(d).await.unwrap().unwrap().thread;
    assert_eq!(
        (row.escalation_reason, row.escalation_summary.as_deref()),
        (None, Some("No resolution within 15 minutes"))
    );
    let (e, _, _) = stored(s.ingest(inbound("6", 1, 65, Priority::Normal)).await.unwrap());
    assert_eq!(e, d, "an escalated thread is joined");
    assert_eq!(s.thread(d).await.unwrap().unwrap().thread.status, ThreadStatus::Escalated, "and stays with the human");
    let pending: Vec<i64> = s.work_context(d, t(65)).await.unwrap().pending.iter().map(|m| m.id).collect();
    assert_eq!(pending.len(), 2);
    s.mark_processed(d, pending, None, t(66)).await.unwrap();
    assert!(s.work_context(d, t(66)).await.unwrap().pending.is_empty());
    let f = s.list_threads(ThreadFilter { phone: Some(phone(1)), ..Default::default() }).await.unwrap();
    assert_eq!(f.len(), 3);
    let esc =
        s.list_threads(ThreadFilter { status: Some(ThreadStatus::Escalated), ..Default::default() }).await.unwrap();
    assert_eq!(esc.iter().map(|r| r.id).collect::<Vec<_>>(), vec![d]);
}

async fn queue_order_and_leases(s: &impl Store) {
    let lease = SignedDuration::from_secs(30);
    let order = [
        (1, Priority::Normal),
        (2, Priority::Low),
        (3, Priority::High),
        (4, Priority::Normal),
        (5, Priority::Emergency),
    ];
    let mut ids = std::collections::HashMap::new();
    for (i, (n, p)) in order.iter().enumerate() {
        let (tid, _, _) = stored(s.ingest(inbound(&format!("q{n}"), *n, i as i64, *p)).await.unwrap());
        ids.insert(tid, *n);
    }
    assert_eq!(s.queue_depth(t(10)).await.unwrap(), 5);
    let mut got = Vec::new();
    while let Some(c) = s.claim("w1", t(10), lease).await.unwrap() {
        got.push(ids[&c.thread_id]);
    }
    assert_eq!(got, vec![5, 3, 1, 4, 2], "emergency, high, normal FIFO, low");
    assert_eq!(s.queue_depth(t(10)).await.unwrap(), 0, "all claimed");
    // Another worker cannot claim under a live lease; after it expires it can.
    assert!(s.claim("w2", t(10), lease).await.unwrap().is_none());
    let first = *ids.iter().find(|(_, n)| **n == 5).unwrap().0;
    assert!(s.renew(first, "w1", t(20)).await.unwrap());
    assert!(!s.renew(first, "w2", t(20)).await.unwrap());
    let reclaimed = s.claim("w2", t(11), lease).await.unwrap().expect("expired leases are claimed again");
    assert_eq!(ids[&reclaimed.thread_id], 3, "the highest expired one (5 was renewed)");
    // Done removes; defer hides until then.
    s.release(reclaimed.thread_id, "w2", Release::Done, t(11)).await.unwrap();
    s.release(first, "w1", Release::DeferUntil(t(30)), t(11)).await.unwrap();
    // A single process frees its predecessor's claims at start-up; a shared
    // store cannot tell them from a live instance's (these run out anyway).
    assert_eq!(s.release_all_claims().await.unwrap(), if s.is_shared() { 0 } else { 3 });
    let mut later = Vec::new();
    while let Some(c) = s.claim("w3", t(12), lease).await.unwrap() {
        later.push(ids[&c.thread_id]);
    }
    assert_eq!(later, vec![1, 4, 2], "5 is deferred until minute 30, 3 is done");
    assert_eq!(ids[&s.claim("w3", t(30), lease).await.unwrap().unwrap().thread_id], 5);
}

async fn new_messages_during_work_keep_the_item(s: &impl Store) {
    let lease = SignedDuration::from_secs(30);
    let (tid, _, _) = stored(s.ingest(inbound("x1", 7, 0, Priority::Normal)).await.unwrap());
    let c = s.claim("w", t(0), lease).await.unwrap().unwrap();
    assert_eq!(c.thread_id, tid);
    s.ingest(inbound("x2", 7, 0, Priority::Normal)).await.unwrap();
    assert!(s.claim("w2", t(0), lease).await.unwrap().is_none(), "one claim per thread at a time");
    s.release(tid, "w", Release::Done, t(0)).await.unwrap();
    let again = s.claim("w", t(0), lease).await.unwrap().expect("dirty item stays queued");
    assert_eq!(again.thread_id, tid);
    s.release(tid, "w", Release::Done, t(0)).await.unwrap();
    assert!(s.claim("w", t(0), lease).await.unwrap().is_none());
    // A deferred thread stays deferred for normal messages, not for an emergency.
    let (tid, _, _) = stored(s.ingest(inbound("y1", 8, 0, Priority::Normal)).await.unwrap());
    s.claim("w", t(0), lease).await.unwrap();
    s.release(tid, "w", Release::DeferUntil(t(5)), t(0)).await.unwrap();
    s.ingest(inbound("y2", 8, 1, Priority::Normal)).await.unwrap();
    assert!(s.claim("w", t(1), lease).await.unwrap().is_none());
    s.ingest(inbound("y3", 8, 2, Priority::Emergency)).await.unwrap();
    assert_eq!(s.claim("w", t(2), lease).await.unwrap().unwrap().priority, Priority::Emergency);
}

pub fn decision(tid: ThreadId, msgs: Vec<i64>, actions: Vec<NewAction>) -> NewDecision {
    NewDecision {
        thread_id: tid,
        claim: None,
        category: Some(Category::Tech),
        sub_intent: Some("trackman_frozen".into()),
        confidence: Some(0.93),
        verdict: Verdict::Execute,
        reason: None,
        matched_sop: SopId::parse("tech.trackman_frozen").ok(),
        proposed_action: Some("reset_trackman".into()),
        reply: Some("Resetting now".into()),
        model: "local".into(),
        tokens_in: 0,
        tokens_out: 0,
        cached: false,
        latency_ms: 1,
        checks: serde_json::json!([{"name": "confidence", "passed": true}]),
        at: t(1),
        message_ids: msgs,
        classified: true,
        thread: ThreadUpdate {
            status: Some(ThreadStatus::InProgress),
            category: Some(Category::Tech),
            bay: BayNumber::new(3).ok(),
            ..ThreadUpdate::default()
        },
        actions,
        notification: None,
    }
}

pub(crate) fn reset(kind: ActionKind, body: Option<&str>) -> NewAction {
    NewAction {
        kind,
        target: if kind == ActionKind::SendReply {
            ActionTarget::Customer
        } else {
            ActionTarget::Bay(BayNumber::new(3).expect("bay"))
        },
        booking: BookingId::parse("bk-1").ok(),
        triggered_by: TriggeredBy::Ai,
        actor: "ai".into(),
        body: body.map(str::to_owned),
        override_reason: None,
    }
}

async fn decisions_are_atomic_and_actions_run_once(s: &impl Store) {
    let (tid, mid, _) = stored(s.ingest(inbound("d1", 9, 0, Priority::High)).await.unwrap());
    let ctx = s.work_context(tid, t(1)).await.unwrap();
    assert_eq!(ctx.pending.iter().map(|m| m.id).collect::<Vec<_>>(), vec![mid]);
    assert_eq!(ctx.last_classified_at, None);
    // Two actions of one kind for one decision: refused, nothing written.
    let twice =
        decision(tid, vec![mid], vec![reset(ActionKind::ResetTrackman, None), reset(ActionKind::ResetTrackman, None)]);
    assert!(matches!(s.commit_decision(twice).await, Err(StoreError::Conflict(_))));
    let d = s.thread(tid).await.unwrap().unwrap();
    assert!(d.decisions.is_empty() && d.actions.is_empty(), "rolled back");
    let one = decision(
        tid,
        vec![mid],
        vec![reset(ActionKind::ResetTrackman, None), reset(ActionKind::SendReply, Some("Resetting now"))],
    );
    let (did, aids) = s.commit_decision(one).await.unwrap();
    let ctx = s.work_context(tid, t(2)).await.unwrap();
    assert!(ctx.pending.is_empty(), "messages are processed with the decision");
    assert_eq!(ctx.last_classified_at, Some(t(1)));
    assert_eq!(ctx.thread.status, ThreadStatus::InProgress);
    let scope = |at: i64| LedgerScope {
        kind: ActionKind::ResetTrackman,
        target: ActionTarget::Bay(BayNumber::new(3).expect("bay")),
        until: t(at),
        window_since: Some(t(0)),
        booking: None,
    };
    let ledger = s.ledger(&loc(), &scope(2)).await.unwrap();
    assert_eq!(ledger.len(), 1, "replies are not in the device ledger");
    assert_eq!(ledger[0].outcome, None, "in flight");
    let pending = s.pending_actions().await.unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|a| a.decision_id == Some(did)));
    let done = s.finish_action(aids[0], ActionOutcome::Failed, Some("device 500".into()), t(2)).await.unwrap();
    assert_eq!(done.kind, ActionKind::ResetTrackman);
    assert!(matches!(s.finish_action(aids[0], ActionOutcome::Success, None, t(3)).await, Err(StoreError::Conflict(_))));
    s.finish_action(aids[1], ActionOutcome::Success, None, t(2)).await.unwrap();
    let d = s.thread(tid).await.unwrap().unwrap();
    assert_eq!(d.messages.len(), 2);
    assert_eq!((d.messages[1].direction, d.messages[1].body.as_str()), (Direction::Outbound, "Resetting now"));
    assert_eq!(d.thread.last_outbound_at, Some(t(2)));
    assert_eq!(d.decisions[0].checks[0]["name"], "confidence");
    assert_eq!(d.actions[0].status, ActionStatus::Done(ActionOutcome::Failed));
    assert_eq!(d.actions[0].error.as_deref(), Some("device 500"));
    assert!(s.pending_actions().await.unwrap().is_empty());
    assert_eq!(s.work_context(tid, t(3)).await.unwrap().failed_ai_actions, 1);
    let follow_up = s.start_action(tid, Some(did), reset(ActionKind::SendReply, Some("again")), t(3)).await;
    assert!(matches!(follow_up, Err(StoreError::Conflict(_))), "one reply per decision");
    let human = s
        .start_action(
            tid,
            None,
            NewAction {
                triggered_by: TriggeredBy::Human,
                actor: "ops@example.com".into(),
                ..reset(ActionKind::ResetTrackman, None)
            },
            t(4),
        )
        .await
        .unwrap();
    assert!(human > aids[1]);
    assert_eq!(s.ledger(&loc(), &scope(4)).await.unwrap().len(), 2);
    assert_eq!(s.ledger(&loc(), &LedgerScope { window_since: Some(t(3)), ..scope(4) }).await.unwrap().len(), 1);
}

async fn bookings_customers_and_ledger(s: &impl Store) {
    let b = Booking::new(
        BookingId::parse("bk-9").unwrap(),
        loc(),
        BayNumber::new(2).ok(),
        phone(5),
        t(0),
        t(60),
        BookingStatus::Confirmed,
    )
    .unwrap();
    s.upsert_booking(&b).await.unwrap();
    assert_eq!(s.bookings_for(&phone(5), Some(&loc()), t(-30), t(-1)).await.unwrap(), vec![]);
    assert_eq!(s.bookings_for(&phone(5), Some(&loc()), t(-30), t(0)).await.unwrap(), vec![b.clone()]);
    assert_eq!(s.bookings_for(&phone(5), None, t(60), t(90)).await.unwrap().len(), 1);
    let other = LocationId::parse("halifax").unwrap();
    assert!(s.bookings_for(&phone(5), Some(&other), t(0), t(90)).await.unwrap().is_empty());
    let moved = Booking { status: BookingStatus::Cancelled, ..b };
    s.upsert_booking(&moved).await.unwrap();
    assert_eq!(s.bookings_for(&phone(5), None, t(0), t(1)).await.unwrap()[0].status, BookingStatus::Cancelled);
    assert_eq!(s.customer(&phone(5)).await.unwrap(), None);
    let flags: CustomerFlags = [CustomerFlag::parse("no_unlock").unwrap()].into_iter().collect();
    let row = s.set_customer(&phone(5), Some("Sam".into()), flags.clone(), t(0)).await.unwrap();
    assert_eq!((row.name.as_deref(), &row.flags), (Some("Sam"), &flags));
    let row = s.set_customer(&phone(5), None, CustomerFlags::new(), t(1)).await.unwrap();
    assert_eq!(row.name.as_deref(), Some("Sam"), "name kept when not given");
    assert!(row.flags.is_empty());
}

async fn notifications_audit_settings_sops(s: &impl Store) {
    let n = |key: Option<&str>| NewNotification {
        kind: "escalation".into(),
        severity: Severity::Warning,
        thread_id: None,
        title: "t".into(),
        body: "b".into(),
        dedupe_key: key.map(str::to_owned),
    };
    let a = s.notify(n(Some("k")), t(0)).await.unwrap().expect("first");
    assert_eq!(s.notify(n(Some("k")), t(1)).await.unwrap(), None, "deduped while open");
    assert_eq!(s.open_notification("k").await.unwrap().map(|r| r.id), Some(a));
    assert_eq!(s.open_notification("other").await.unwrap(), None);
    assert!(s.notify(n(None), t(1)).await.unwrap().is_some());
    assert_eq!(s.notifications(true).await.unwrap().len(), 2);
    assert!(s.ack_notification(a, "ops", t(2)).await.unwrap());
    assert!(!s.ack_notification(9999, "ops", t(2)).await.unwrap());
    assert_eq!(s.open_notification("k").await.unwrap(), None, "acknowledged: no longer open");
    let b = s.notify(n(Some("k")), t(3)).await.unwrap().expect("a new episode after the ack");
    assert_eq!(s.open_notification("k").await.unwrap().map(|r| (r.id, r.created_at)), Some((b, t(3))));
    let all = s.notifications(false).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().find(|r| r.id == a).unwrap().acked_by.as_deref(), Some("ops"));
    s.audit("admin", "autonomy.update", "autonomy", serde_json::json!({"before": 1}), t(0)).await.unwrap();
    let log = s.audit_log(10).await.unwrap();
    assert_eq!((log[0].action.as_str(), &log[0].detail["before"]), ("autonomy.update", &serde_json::json!(1)));
    assert_eq!(s.setting("x").await.unwrap(), None);
    s.put_setting("x", "1", t(0)).await.unwrap();
    s.put_setting("x", "2", t(1)).await.unwrap();
    assert_eq!(s.setting("x").await.unwrap().as_deref(), Some("2"));
    let sops = vec![("a.b".to_owned(), serde_json::json!({"id": "a.b"}))];
    assert_eq!(s.seed_sops(sops.clone(), t(0)).await.unwrap(), 1);
    assert_eq!(s.seed_sops(sops, t(0)).await.unwrap(), 0, "only into an empty table");
    assert_eq!(s.active_sops().await.unwrap(), vec![serde_json::json!({"id": "a.b"})]);
}

async fn queue_overflow_alerts_once(s: &impl Store) {
    for i in 0..5u16 {
        let mut m = inbound(&format!("o{i}"), 100 + i, 0, Priority::Normal);
        m.queue_max = 2;
        let Ingested::Stored { queue_depth, .. } = s.ingest(m).await.unwrap() else { panic!() };
        assert_eq!(queue_depth, (u64::from(i) + 1).min(3), "counted up to queue_max + 1");
    }
    assert_eq!(s.queue_depth(t(0)).await.unwrap(), 5, "nothing is dropped");
    let alerts: Vec<_> =
        s.notifications(true).await.unwrap().into_iter().filter(|n| n.kind == "queue_overflow").collect();
    assert_eq!(alerts.len(), 1, "one alert per episode");
}
