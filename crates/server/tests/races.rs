//! What happens when people and the AI act at the same time, and after a
//! crash: one approval wins, a human's thread stays the human's, an
//! emergency waits for nothing, and an interrupted action is never repeated.

mod common;

use std::sync::Arc;

use clubos_connectors::sandbox::{Call, Device, Mode};
use clubos_domain::{
    ActionKind, ActionTarget, BayNumber, Category, Classification, Confidence, DoorId, LocationId, Priority, Proposal,
    TriggeredBy, Verdict,
};
use clubos_store::{Ingested, NewAction, NewDecision, ThreadUpdate};
use common::*;
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::json;

fn unlock(confidence: f64) -> Arc<Scripted> {
    Arc::new(Scripted {
        output: Some(Classification {
            category: Some(Category::Access),
            sub_intent: None,
            confidence: Confidence::new(confidence).unwrap(),
            proposal: Proposal::UnlockDoor { door: None },
            reply: None,
            matched_sop: None,
        }),
    })
}

#[tokio::test]
async fn concurrent_approvals_run_the_proposal_once() {
    let t = spawn(Options { classifier: Some(unlock(0.5)), ..Options::default() }).await;
    let now = t.clock.now_ts();
    let (s, _) = t
        .send(Method::POST, "/api/bookings", json!({"customer_phone": "+19025550401", "location": "sandbox", "bay": 1,
            "starts_at": (now - SignedDuration::from_mins(5)).to_string(), "ends_at": (now + SignedDuration::from_mins(55)).to_string()}))
        .await;
    assert_eq!(s, 200);
    let (_, ack) = t.text("+19025550401", "let me in").await;
    let id = thread_id(&ack);
    let th = t.settled(id, 1).await;
    assert_eq!(th["decisions"][0]["reason"], "low_confidence", "{th:#}");
    let approvals = (0..6).map(|_| {
        let (client, url) = (t.client.clone(), t.url(&format!("/api/threads/{id}/approve")));
        tokio::spawn(async move {
            client.post(url).bearer_auth(TOKEN).json(&json!({})).send().await.unwrap().status().as_u16()
        })
    });
    let mut codes = Vec::new();
    for a in approvals {
        codes.push(a.await.unwrap());
    }
    codes.sort_unstable();
    assert_eq!(codes, vec![200, 409, 409, 409, 409, 409], "one approval wins");
    let unlocks = t.sandbox.device_calls().into_iter().filter(|c| matches!(c, Call::UnlockDoor(..))).count();
    assert_eq!(unlocks, 1);
    t.stop().await;
}

#[tokio::test]
async fn taking_over_during_an_ai_action_keeps_the_thread_with_the_human() {
    let t = spawn(Options::default()).await;
    let now = t.clock.now_ts();
    let (s, _) = t
        .send(Method::POST, "/api/bookings", json!({"customer_phone": "+19025550402", "location": "sandbox", "bay": 2,
            "starts_at": (now - SignedDuration::from_mins(5)).to_string(), "ends_at": (now + SignedDuration::from_mins(55)).to_string()}))
        .await;
    assert_eq!(s, 200);
    t.sandbox.set_mode(Device::Bay(LocationId::parse("sandbox").unwrap(), BayNumber::new(2).unwrap()), Mode::Hang);
    let (_, ack) = t.text("+19025550402", "trackman frozen").await;
    let id = thread_id(&ack);
    t.wait_thread(id, |th| th["actions"].as_array().is_some_and(|a| !a.is_empty())).await;
    assert_eq!(t.send(Method::POST, &format!("/api/threads/{id}/take-over"), json!({})).await.0, 200);
    // The reset times out (1 s in tests); the AI must not take the thread back or text the customer.
    let th = t.wait_thread(id, |th| th["actions"][0]["status"] == "timeout").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let th2 = t.get(&format!("/api/threads/{id}")).await.1;
    assert_eq!(th2["status"], "manual_override", "{th2:#}");
    assert_eq!(th2["decisions"].as_array().unwrap().len(), th["decisions"].as_array().unwrap().len());
    assert!(
        th2["messages"].as_array().unwrap().iter().all(|m| m["direction"] == "inbound"),
        "no AI text after take-over"
    );
    let notes = t.app.store.notifications(true).await.unwrap();
    assert!(notes.iter().any(|n| n.thread_id == Some(id) && n.kind == "ai_action_finished"), "{notes:?}");
    t.stop().await;
}

#[tokio::test]
async fn an_emergency_inside_the_llm_interval_is_not_deferred() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550403", "what are your hours").await;
    let id = thread_id(&ack);
    t.settled(id, 1).await;
    t.text("+19025550403", "SMOKE and fire in bay 2, someone is hurt").await;
    let th = t.wait_thread(id, |th| th["decisions"].as_array().unwrap().len() >= 2).await;
    let d = &th["decisions"][1];
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("emergency")), "{th:#}");
    let th = t
        .wait_thread(id, |th| {
            th["messages"].as_array().unwrap().iter().any(|m| m["body"].as_str().unwrap().contains("911"))
        })
        .await;
    assert_eq!(th["priority"], "emergency");
    let notes = t.app.store.notifications(true).await.unwrap();
    assert!(notes.iter().any(|n| n.thread_id == Some(id) && n.severity == clubos_store::Severity::Critical));
    t.stop().await;
}

#[tokio::test]
async fn an_action_interrupted_by_a_crash_is_reconciled_not_repeated() {
    let t = spawn(Options { serve: false, ..Options::default() }).await;
    let now = t.clock.now_ts();
    let mut msg = clubos_store::NewInbound {
        event_id: "ev-crash".into(),
        delivery_id: None,
        message_id: "m-crash".into(),
        from: clubos_domain::PhoneNumber::parse_e164("+19025550404").unwrap(),
        body: "door wont open".into(),
        received_at: now,
        location: LocationId::parse("sandbox").unwrap(),
        priority: Priority::Normal,
        join_window: SignedDuration::from_mins(30),
        queue_max: 100,
        correlation_id: "c".into(),
    };
    let Ingested::Stored { thread_id, message_id, .. } = t.app.store.ingest(msg.clone()).await.unwrap() else {
        panic!()
    };
    // The decision and its intent were committed; then the process died
    // before the door was called.
    let d = NewDecision {
        thread_id,
        claim: None,
        category: Some(Category::Access),
        sub_intent: None,
        confidence: Some(0.95),
        verdict: Verdict::Execute,
        reason: None,
        matched_sop: None,
        proposed_action: Some("unlock_door".into()),
        reply: None,
        model: "local".into(),
        tokens_in: 0,
        tokens_out: 0,
        cached: false,
        latency_ms: 1,
        checks: json!([]),
        at: now,
        message_ids: vec![message_id],
        classified: true,
        thread: ThreadUpdate::default(),
        actions: vec![NewAction {
            kind: ActionKind::UnlockDoor,
            target: ActionTarget::Door(DoorId::parse("front").unwrap()),
            booking: None,
            triggered_by: TriggeredBy::Ai,
            actor: "ai".into(),
            body: None,
            override_reason: None,
        }],
        notification: None,
    };
    t.app.store.commit_decision(d).await.unwrap();
    let config = t.app.config.clone();
    let dir = t.stop().await;
    // Restart on the same database.
    let t = spawn_with(config, dir, Options::default()).await;
    let th = t.get(&format!("/api/threads/{thread_id}")).await.1;
    let a = &th["actions"][0];
    assert_eq!(a["status"], "timeout", "{th:#}");
    assert!(a["error"].as_str().unwrap().contains("not repeated"));
    assert_eq!(th["status"], "escalated");
    assert!(t.sandbox.device_calls().is_empty(), "the door is not called again");
    let notes = t.app.store.notifications(true).await.unwrap();
    assert!(notes.iter().any(|n| n.kind == "reconciled" && n.thread_id == Some(thread_id)));
    // A later text on the thread is for the human now, not a new unlock.
    msg.event_id = "ev-crash-2".into();
    msg.message_id = "m-crash-2".into();
    let (_, ack) = t.text("+19025550404", "still locked out").await;
    assert_eq!(thread_id, common::thread_id(&ack));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(t.sandbox.device_calls().is_empty());
    t.stop().await;
}
