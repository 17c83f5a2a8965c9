//! The time rules with a manual clock: no sleeping, exact boundaries.

mod common;

use clubos_domain::{LocationId, PhoneNumber, Priority, ThreadStatus};
use clubos_server::scheduler::run_time_rules;
use clubos_store::{Ingested, NewInbound, ThreadUpdate};
use common::*;
use jiff::{SignedDuration, Timestamp};

fn msg(id: &str, phone: &str, at: Timestamp) -> NewInbound {
    NewInbound {
        event_id: format!("ev-{id}"),
        delivery_id: None,
        message_id: format!("m-{id}"),
        from: PhoneNumber::parse_e164(phone).unwrap(),
        body: "hello?".into(),
        received_at: at,
        location: LocationId::parse("sandbox").unwrap(),
        priority: Priority::Normal,
        join_window: SignedDuration::from_mins(30),
        queue_max: 100,
        correlation_id: id.into(),
    }
}

async fn status(t: &TestApp, id: i64) -> ThreadStatus {
    t.app.store.thread(id).await.unwrap().unwrap().thread.status
}

#[tokio::test]
async fn waiting_customers_and_stale_threads_escalate_idle_ones_time_out() {
    // No workers: threads stay where the test puts them.
    let t = spawn(Options { serve: false, ..Options::default() }).await;
    let t0 = t.clock.now_ts();
    let Ingested::Stored { thread_id: waiting, .. } = t.app.store.ingest(msg("a", "+19025550301", t0)).await.unwrap()
    else {
        panic!()
    };
    let Ingested::Stored { thread_id: answered, .. } = t.app.store.ingest(msg("b", "+19025550302", t0)).await.unwrap()
    else {
        panic!()
    };
    let Ingested::Stored { thread_id: idle, .. } = t.app.store.ingest(msg("c", "+19025550303", t0)).await.unwrap()
    else {
        panic!()
    };
    t.app.store.update_thread(answered, ThreadUpdate::default(), t0).await.unwrap();
    t.app
        .store
        .update_thread(
            idle,
            ThreadUpdate { status: Some(ThreadStatus::AwaitingResponse), ..ThreadUpdate::default() },
            t0,
        )
        .await
        .unwrap();

    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_mins(5)).await.unwrap(), 0, "exactly 5 min: not yet");
    let later = t0 + SignedDuration::from_mins(5) + SignedDuration::from_secs(1);
    assert_eq!(run_time_rules(&t.app, later).await.unwrap(), 2, "both unanswered threads escalate");
    assert_eq!(status(&t, waiting).await, ThreadStatus::Escalated);
    let row = t.app.store.thread(waiting).await.unwrap().unwrap().thread;
    assert!(row.escalation_summary.unwrap().contains("waited 5 min"));
    assert_eq!(row.escalation_reason, None, "a time rule, not a policy reason");
    assert_eq!(status(&t, idle).await, ThreadStatus::AwaitingResponse);
    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_mins(30)).await.unwrap(), 0);
    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_mins(31)).await.unwrap(), 1);
    assert_eq!(status(&t, idle).await, ThreadStatus::Timeout);
    // Escalated threads are left to the humans; notifications once per thread.
    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_hours(3)).await.unwrap(), 0);
    let notes = t.app.store.notifications(true).await.unwrap();
    assert_eq!(notes.iter().filter(|n| n.kind == "time_rule").count(), 2);
    let audit = t.app.store.audit_log(20).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "thread.timeout" && a.subject == format!("thread:{idle}")));
}

#[tokio::test]
async fn no_resolution_within_15_minutes_escalates() {
    let t = spawn(Options {
        serve: false,
        extra_toml: "[time_rules]\ncustomer_waiting_minutes = 60\n".into(),
        ..Options::default()
    })
    .await;
    let t0 = t.clock.now_ts();
    let Ingested::Stored { thread_id, .. } = t.app.store.ingest(msg("d", "+19025550304", t0)).await.unwrap() else {
        panic!()
    };
    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_mins(15)).await.unwrap(), 0);
    assert_eq!(run_time_rules(&t.app, t0 + SignedDuration::from_mins(16)).await.unwrap(), 1);
    let row = t.app.store.thread(thread_id).await.unwrap().unwrap().thread;
    assert_eq!(row.status, ThreadStatus::Escalated);
    assert_eq!(row.escalation_summary.as_deref(), Some("No resolution within 15 minutes."));
}
