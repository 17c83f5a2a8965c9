//! The customer data lifecycle: export holds everything about one number,
//! forgetting removes it (and nothing of anyone else) while the decision
//! and action records stay, retention redacts only old closed threads.

use clubos_domain::*;
use jiff::SignedDuration;

use super::{decision, inbound, loc, phone, reset, stored, t};
use crate::*;

fn audit(action: &str) -> AuditEntry {
    let mut detail = serde_json::Map::new();
    detail.insert("customer_ref".into(), "hmac-sha256:abc".into());
    AuditEntry { actor: "admin".into(), action: action.into(), subject: "customer:ref".into(), detail }
}

fn booking(id: &str, n: u16, ends: i64) -> Booking {
    Booking::new(BookingId::parse(id).unwrap(), loc(), None, phone(n), t(ends - 60), t(ends), BookingStatus::Confirmed)
        .unwrap()
}

pub(super) async fn export_then_forget_one_customer(s: &impl Store) {
    // Customer 41: a decided thread (reply sent), a later open thread, a
    // booking, a name, a notification and a feedback job; customer 42 apart.
    let (a, m1, _) = stored(s.ingest(inbound("p1", 41, 0, Priority::Normal)).await.unwrap());
    let (did, aids) =
        s.commit_decision(decision(a, vec![m1], vec![reset(ActionKind::SendReply, Some("Hi Pat"))])).await.unwrap();
    s.finish_action(aids[0], ActionOutcome::Success, None, t(2)).await.unwrap();
    s.update_thread(a, ThreadUpdate { status: Some(ThreadStatus::Resolved), ..Default::default() }, t(5))
        .await
        .unwrap();
    let (b, _, new) = stored(s.ingest(inbound("p2", 41, 120, Priority::Normal)).await.unwrap());
    assert!(new && b != a);
    let (other, _, _) = stored(s.ingest(inbound("p3", 42, 0, Priority::Normal)).await.unwrap());
    s.upsert_booking(&booking("bk-41", 41, 200)).await.unwrap();
    s.upsert_booking(&booking("bk-42", 42, 200)).await.unwrap();
    s.set_customer(&phone(41), Some("Pat".into()), CustomerFlags::new(), t(0)).await.unwrap();
    s.set_customer(&phone(42), Some("Lee".into()), CustomerFlags::new(), t(0)).await.unwrap();
    let note = |thread_id| NewNotification {
        kind: "customer_message".into(),
        severity: Severity::Info,
        thread_id: Some(thread_id),
        title: format!("New message on thread #{thread_id}"),
        body: "my bay is frozen, Pat".into(),
        dedupe_key: None,
    };
    s.notify(note(a), t(1)).await.unwrap();
    s.notify(note(other), t(1)).await.unwrap();
    let payload =
        |thread_id: ThreadId| serde_json::json!({"thread_id": thread_id, "messages": [["customer", "frozen"]]});
    let job = s.enqueue_review(ReviewKind::Feedback, payload(a), t(3)).await.unwrap();
    let other_job = s.enqueue_review(ReviewKind::Feedback, payload(other), t(3)).await.unwrap();

    let data = s.customer_data(&phone(41)).await.unwrap();
    assert_eq!(data.phone, phone(41));
    assert_eq!(data.customer.as_ref().and_then(|c| c.name.as_deref()), Some("Pat"));
    assert_eq!(data.bookings.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["bk-41"]);
    assert_eq!(data.threads.iter().map(|d| d.thread.id).collect::<Vec<_>>(), [a, b], "oldest first");
    let first = &data.threads[0];
    assert!(first.messages.iter().any(|m| m.body.starts_with("text p1")), "{:?}", first.messages);
    assert!(first.messages.iter().any(|m| m.body == "Hi Pat"), "the reply sent");
    assert_eq!(first.decisions.len(), 1);
    assert_eq!(data.notifications.iter().map(|n| n.thread_id).collect::<Vec<_>>(), [Some(a)]);

    let done = s.forget_customer(&phone(41), audit("customer.forget"), t(300)).await.unwrap();
    assert_eq!(done.threads, vec![a, b]);
    assert_eq!((done.messages, done.bookings, done.customer, done.notifications), (3, 1, true, 1));
    // Nothing about 41 is left to find.
    let after = s.customer_data(&phone(41)).await.unwrap();
    assert!(after.customer.is_none() && after.bookings.is_empty() && after.threads.is_empty(), "{after:?}");
    assert!(s.list_threads(ThreadFilter { phone: Some(phone(41)), ..Default::default() }).await.unwrap().is_empty());
    // The records stay, redacted.
    let d = s.thread(a).await.unwrap().unwrap();
    assert_eq!(d.thread.customer_phone, None);
    assert!(d.messages.iter().all(|m| m.body == REDACTED), "{:?}", d.messages);
    assert_eq!(d.decisions.len(), 1, "the decision stays for audit");
    assert_eq!((d.decisions[0].id, d.decisions[0].verdict), (did, Verdict::Execute));
    assert_eq!(d.decisions[0].reply.as_deref(), Some(REDACTED));
    assert_eq!(d.actions.len(), 1, "the action stays for audit");
    assert_eq!(
        (d.actions[0].kind, d.actions[0].status),
        (ActionKind::SendReply, ActionStatus::Done(ActionOutcome::Success))
    );
    assert_eq!(d.actions[0].body.as_deref(), Some(REDACTED));
    let open = s.thread(b).await.unwrap().unwrap().thread;
    assert_eq!((open.status, open.customer_phone), (ThreadStatus::Resolved, None), "the open thread is closed");
    let notes = s.notifications(false).await.unwrap();
    let body_of = |tid| notes.iter().find(|n| n.thread_id == Some(tid)).map(|n| n.body.clone());
    assert_eq!(body_of(a).as_deref(), Some(REDACTED));
    assert_eq!(body_of(other).as_deref(), Some("my bay is frozen, Pat"), "another customer's note is untouched");
    assert_eq!(s.review_job(job).await.unwrap().unwrap().payload["messages"], serde_json::json!([]));
    assert_eq!(s.review_job(other_job).await.unwrap().unwrap().payload["messages"][0][1], "frozen");
    // The queue no longer holds 41's threads; 42's is still there.
    let mut claimed = Vec::new();
    while let Some(c) = s.claim("w", t(301), SignedDuration::from_secs(30)).await.unwrap() {
        claimed.push(c.thread_id);
    }
    assert_eq!(claimed, vec![other]);
    // The audit entry says what happened, without the number.
    let entry = &s.audit_log(1).await.unwrap()[0];
    assert_eq!((entry.action.as_str(), entry.subject.as_str()), ("customer.forget", "customer:ref"));
    assert_eq!(entry.detail["threads"], serde_json::json!([a, b]));
    assert_eq!(entry.detail["customer_ref"], "hmac-sha256:abc");
    assert!(!entry.detail.to_string().contains(&phone(41).as_str()[2..]), "{}", entry.detail);
    // Customer 42 is whole.
    let kept = s.customer_data(&phone(42)).await.unwrap();
    assert_eq!((kept.threads.len(), kept.bookings.len()), (1, 1));
    assert!(kept.threads[0].messages[0].body.starts_with("text p3"));
    assert_eq!(kept.customer.and_then(|c| c.name).as_deref(), Some("Lee"));
    // Forgetting again finds nothing but is still recorded; a new text starts afresh.
    let again = s.forget_customer(&phone(41), audit("customer.forget"), t(302)).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(s.audit_log(5).await.unwrap().iter().filter(|e| e.action == "customer.forget").count(), 2);
    let (c, _, new) = stored(s.ingest(inbound("p4", 41, 303, Priority::Normal)).await.unwrap());
    assert!(new && c != b, "a redacted thread is never joined");
    assert_eq!(s.thread(c).await.unwrap().unwrap().thread.customer_phone, Some(phone(41)));
}

pub(super) async fn retention_redacts_old_closed_threads_only(s: &impl Store) {
    let close = |id, at| async move {
        s.update_thread(id, ThreadUpdate { status: Some(ThreadStatus::Resolved), ..Default::default() }, t(at))
            .await
            .unwrap();
    };
    let (old1, m, _) = stored(s.ingest(inbound("r1", 51, 0, Priority::Normal)).await.unwrap());
    s.commit_decision(decision(old1, vec![m], vec![])).await.unwrap();
    close(old1, 10).await;
    let (old2, _, _) = stored(s.ingest(inbound("r2", 52, 0, Priority::Normal)).await.unwrap());
    close(old2, 20).await;
    let (open_old, _, _) = stored(s.ingest(inbound("r3", 53, 0, Priority::Normal)).await.unwrap());
    let (recent, _, _) = stored(s.ingest(inbound("r4", 54, 0, Priority::Normal)).await.unwrap());
    close(recent, 200).await;
    s.upsert_booking(&booking("bk-old", 51, 50)).await.unwrap();
    s.upsert_booking(&booking("bk-new", 51, 150)).await.unwrap();
    let audits = s.audit_log(100).await.unwrap().len();

    // At most `limit` threads per pass, oldest first.
    let first = s.redact_closed_before(t(100), 1, audit("privacy.retention"), t(1000)).await.unwrap();
    assert_eq!((first.threads, first.messages, first.bookings), (vec![old1], 1, 1));
    let second = s.redact_closed_before(t(100), 10, audit("privacy.retention"), t(1000)).await.unwrap();
    assert_eq!(second.threads, vec![old2]);
    let idle = s.redact_closed_before(t(100), 10, audit("privacy.retention"), t(1000)).await.unwrap();
    assert!(idle.is_empty(), "{idle:?}");
    let log = s.audit_log(100).await.unwrap();
    assert_eq!(log.len(), audits + 2, "one entry per pass that changed something");
    assert_eq!(log[0].detail["threads"], serde_json::json!([old2]));

    let d = s.thread(old1).await.unwrap().unwrap();
    assert_eq!((d.thread.customer_phone, d.thread.status), (None, ThreadStatus::Resolved));
    assert_eq!(d.messages[0].body, REDACTED);
    assert_eq!(d.decisions.len(), 1, "decisions stay");
    assert_eq!(d.decisions[0].checks, serde_json::json!([{"name": "confidence", "passed": true}]));
    for (id, why) in [(open_old, "open"), (recent, "closed after the cut-off")] {
        let d = s.thread(id).await.unwrap().unwrap();
        assert!(d.thread.customer_phone.is_some(), "{why} thread kept");
        assert_ne!(d.messages[0].body, REDACTED, "{why} thread kept");
    }
    let left = s.customer_data(&phone(51)).await.unwrap().bookings;
    assert_eq!(left.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["bk-new"], "ended bookings deleted");
}

pub(super) async fn the_first_privacy_key_stays(s: &impl Store) {
    assert_eq!(s.privacy_key("k1", t(0)).await.unwrap(), "k1");
    assert_eq!(s.privacy_key("k2", t(1)).await.unwrap(), "k1");
    let (a, b) = tokio::join!(s.privacy_key("k3", t(2)), s.privacy_key("k4", t(2)));
    assert_eq!((a.unwrap(), b.unwrap()), ("k1".to_owned(), "k1".to_owned()));
}
