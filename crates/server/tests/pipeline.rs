//! A text from the webhook to a decision, an action and a reply, through the
//! real server; and the seed's error states, each on its own.

mod common;

use std::sync::Arc;

use clubos_connectors::sandbox::{Call, Device, Mode};
use clubos_domain::{BayNumber, Category, Classification, Confidence, LocationId, Proposal};
use common::*;
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};

fn last_decision(t: &Value) -> &Value {
    t["decisions"].as_array().and_then(|d| d.last()).expect("a decision")
}

fn outbound(t: &Value) -> Vec<String> {
    t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn faq_is_answered_from_the_sops_by_sms() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550101", "hey what are your hours?").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = last_decision(&th);
    assert_eq!((d["verdict"].as_str(), d["category"].as_str()), (Some("reply"), Some("faq")), "{th:#}");
    assert_eq!(
        (d["model"].as_str(), d["tokens_in"].as_u64(), d["tokens_out"].as_u64()),
        (Some("local"), Some(0), Some(0))
    );
    assert!(d["matched_sop"].as_str().unwrap().starts_with("faq."));
    assert_eq!(th["status"], "ai_resolved");
    assert_eq!(outbound(&th).len(), 1);
    assert!(t.sandbox.calls().iter().any(|c| matches!(c, Call::Sms { to, .. } if to.as_str() == "+19025550101")));
    t.stop().await;
}

#[tokio::test]
async fn trackman_frozen_during_a_booking_resets_the_booked_bay_and_replies() {
    let t = spawn(Options::default()).await;
    t.book("(902) 555-0102", 3).await;
    let (_, ack) = t.text("+19025550102", "the trackman is frozen!! can u reset it").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = last_decision(&th);
    assert_eq!(d["verdict"], "execute", "{th:#}");
    assert_eq!(th["priority"], "high", "an active booking is affected");
    let a = &th["actions"][0];
    assert_eq!(
        (a["kind"].as_str(), a["target"].as_str(), a["status"].as_str()),
        (Some("reset_trackman"), Some("bay:3"), Some("success"))
    );
    assert_eq!(a["decision_id"], d["id"]);
    assert_eq!(th["status"], "ai_resolved");
    assert_eq!(outbound(&th).len(), 1);
    let loc = LocationId::parse("sandbox").unwrap();
    assert_eq!(t.sandbox.device_calls(), vec![Call::ResetTrackman(loc, BayNumber::new(3).unwrap())]);
    // The checks behind it are stored for "View reasoning".
    assert!(d["checks"].as_array().unwrap().iter().any(|c| c["name"] == "bay_reset_limit" && c["passed"] == true));
    t.stop().await;
}

#[tokio::test]
async fn no_booking_escalates_with_a_proposal_and_approve_runs_it_with_an_override() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550103", "trackman frozen in bay 2").await;
    let id = thread_id(&ack);
    let th = t.settled(id, 1).await;
    let d = last_decision(&th);
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("no_booking")), "{th:#}");
    assert_eq!(th["status"], "escalated");
    assert_eq!(th["escalation_reason"], "no_booking");
    assert!(th["escalation_summary"].as_str().unwrap().contains("trackman frozen in bay 2"));
    assert_eq!(th["proposal"]["action"]["target"], "bay:2");
    assert_eq!(outbound(&th).len(), 1, "the customer is told a human is coming");
    let (_, notes) = t.get("/api/notifications").await;
    assert!(
        notes["notifications"].as_array().unwrap().iter().any(|n| n["thread_id"] == id && n["kind"] == "escalation")
    );
    // The operator approves: the wrapper refuses (no booking) unless overridden.
    let (status, err) = t.send(Method::POST, &format!("/api/threads/{id}/approve"), json!({})).await;
    assert_eq!(status, 409, "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("booking_active"), "{err}");
    let (status, ok) = t
        .send(
            Method::POST,
            &format!("/api/threads/{id}/approve"),
            json!({"override_reason": "customer is on site, verified by phone"}),
        )
        .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["action"]["status"], "success");
    assert_eq!(ok["action"]["triggered_by"], "human");
    let th = t.get(&format!("/api/threads/{id}")).await.1;
    assert_eq!(th["status"], "in_progress");
    let audit = t.app.store.audit_log(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "action.override" && a.detail["reason"] == "customer is on site, verified by phone")
    );
    t.stop().await;
}

#[tokio::test]
async fn a_device_failure_fails_the_action_escalates_and_notifies() {
    let t = spawn(Options::default()).await;
    t.book("+19025550104", 1).await;
    t.sandbox.set_mode(Device::Bay(LocationId::parse("sandbox").unwrap(), BayNumber::new(1).unwrap()), Mode::Fail);
    let (_, ack) = t.text("+19025550104", "sim 1 screen is frozen").await;
    let id = thread_id(&ack);
    let th = t.settled(id, 2).await;
    let a = &th["actions"][0];
    assert_eq!((a["kind"].as_str(), a["status"].as_str()), (Some("reset_trackman"), Some("failed")), "{th:#}");
    assert!(a["error"].as_str().unwrap().contains("HTTP 500"));
    let d = last_decision(&th);
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("action_failed")));
    assert_eq!(th["status"], "escalated");
    assert_eq!(th["proposal"]["action"]["kind"], "reset_trackman", "retry is one tap away");
    let (_, notes) = t.get("/api/notifications").await;
    assert!(
        notes["notifications"].as_array().unwrap().iter().any(|n| n["thread_id"] == id && n["severity"] == "critical")
    );
    let (_, health) = t.get("/api/health").await;
    let ninja = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "ninjaone").unwrap().clone();
    assert_eq!(ninja["state"], "degraded");
    assert!(ninja["last_error"].as_str().unwrap().contains("HTTP 500"));
    t.stop().await;
}

#[tokio::test]
async fn a_hanging_device_times_out_and_escalates() {
    let t = spawn(Options::default()).await;
    t.book("+19025550105", 2).await;
    t.sandbox.set_mode(Device::Bay(LocationId::parse("sandbox").unwrap(), BayNumber::new(2).unwrap()), Mode::Hang);
    let (_, ack) = t.text("+19025550105", "trackman frozen").await;
    let th = t.settled(thread_id(&ack), 2).await;
    assert_eq!(th["actions"][0]["status"], "timeout", "{th:#}");
    assert_eq!(last_decision(&th)["reason"], "action_failed");
    t.stop().await;
}

fn scripted(category: Category, confidence: f64, proposal: Proposal) -> Arc<Scripted> {
    Arc::new(Scripted {
        output: Some(Classification {
            category: Some(category),
            sub_intent: None,
            confidence: Confidence::new(confidence).unwrap(),
            proposal,
            reply: Some("ok".into()),
            matched_sop: None,
        }),
    })
}

#[tokio::test]
async fn low_confidence_escalates_with_the_reason() {
    let t =
        spawn(Options { classifier: Some(scripted(Category::Faq, 0.42, Proposal::Reply)), ..Options::default() }).await;
    let (_, ack) = t.text("+19025550106", "uh the thing").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = last_decision(&th);
    assert_eq!(
        (d["verdict"].as_str(), d["reason"].as_str(), d["confidence"].as_f64()),
        (Some("escalate"), Some("low_confidence"), Some(0.42))
    );
    assert_eq!(th["escalation_reason"], "low_confidence");
    assert_eq!(th["proposal"]["reply"], "ok", "the drafted answer is one tap away");
    t.stop().await;
}

#[tokio::test]
async fn an_llm_timeout_hands_the_thread_to_a_human() {
    let t = spawn(Options { classifier: Some(Arc::new(Scripted { output: None })), ..Options::default() }).await;
    let (_, ack) = t.text("+19025550107", "door wont open").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["status"], "awaiting_human", "{th:#}");
    let d = last_decision(&th);
    assert_eq!(
        (d["verdict"].as_str(), d["reason"].as_str(), d["model"].as_str()),
        (Some("escalate"), Some("llm_timeout"), Some("scripted"))
    );
    let (_, health) = t.get("/api/health").await;
    assert!(health["components"].as_array().unwrap().iter().any(|c| c["name"] == "llm" && c["state"] == "degraded"));
    t.stop().await;
}

#[tokio::test]
async fn messages_inside_the_llm_interval_are_deferred_and_handled_together() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550108", "what are your hours").await;
    let id = thread_id(&ack);
    t.settled(id, 1).await;
    // Same customer, same thread, 0 s later: deferred, not dropped.
    t.text("+19025550108", "and is there parking").await;
    let th = t.wait_thread(id, |th| th["decisions"].as_array().unwrap().len() >= 2).await;
    let d = last_decision(&th);
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("defer"), Some("rate_limited")), "{th:#}");
    t.text("+19025550108", "also do you rent clubs").await;
    // 15 s later (manual clock) both waiting messages are decided together.
    t.clock.advance(SignedDuration::from_secs(15));
    let th = t
        .wait_thread(id, |th| {
            th["decisions"].as_array().unwrap().iter().any(|d| d["verdict"] == "reply" && d["id"].as_i64() > Some(2))
        })
        .await;
    let replies: Vec<&Value> = th["decisions"].as_array().unwrap().iter().filter(|d| d["verdict"] != "defer").collect();
    assert_eq!(replies.len(), 2, "one decision for the two deferred messages: {th:#}");
    let metrics = t.client.get(t.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("clubos_decisions_total{verdict=\"defer\",reason=\"rate_limited\"}"), "{metrics}");
    t.stop().await;
}

#[tokio::test]
async fn emergencies_are_top_priority_escalate_and_get_a_safety_reply() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550109", "there is SMOKE coming out of the projector in bay 2").await;
    t.settled(thread_id(&ack), 1).await;
    // The safety reply is recorded after the decision: wait for it too.
    let th = t.wait_thread(thread_id(&ack), |th| !outbound(th).is_empty()).await;
    assert_eq!(th["priority"], "emergency");
    assert_eq!(last_decision(&th)["reason"], "emergency");
    assert!(outbound(&th)[0].contains("911"));
    t.stop().await;
}

#[tokio::test]
async fn a_flagged_customer_is_not_let_in_and_the_api_validates_input() {
    let t = spawn(Options::default()).await;
    t.book("+19025550110", 1).await;
    let (status, c) = t.send(Method::PUT, "/api/customers/(902)%20555-0110", json!({"flags": ["No_Unlock"]})).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["flags"], json!(["no_unlock"]));
    let (_, ack) = t.text("+19025550110", "the door wont open, im outside").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(last_decision(&th)["reason"], "customer_flagged", "{th:#}");
    let (status, err) = t.send(Method::PUT, "/api/customers/garbage", json!({"flags": []})).await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().starts_with("phone:"));
    let (status, err) = t
        .send(
            Method::POST,
            "/api/bookings",
            json!({"customer_phone": "+19025550110", "location": "nowhere", "starts_at": "x", "ends_at": "y"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("location"), "{err}");
    let (status, _) = t.send(Method::POST, "/api/bookings", json!({"customer_phone": "+19025550110"})).await;
    assert_eq!(status, 400, "missing fields are a 400 with the reason");
    t.stop().await;
}

#[tokio::test]
async fn a_thread_with_a_human_gets_no_ai_but_an_emergency_is_loud() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550111", "trackman frozen bay 4").await;
    let id = thread_id(&ack);
    t.settled(id, 1).await;
    assert_eq!(t.send(Method::POST, &format!("/api/threads/{id}/take-over"), json!({})).await.0, 200);
    t.clock.advance(SignedDuration::from_secs(20));
    t.text("+19025550111", "hello? anyone").await;
    t.text("+19025550111", "there is smoke now").await;
    let th = t
        .wait_thread(id, |th| {
            th["messages"].as_array().unwrap().iter().filter(|m| m["direction"] == "inbound").count() == 3
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let th2 = t.get(&format!("/api/threads/{id}")).await.1;
    assert_eq!(th2["decisions"].as_array().unwrap().len(), th["decisions"].as_array().unwrap().len(), "no AI decision");
    assert_eq!(th2["status"], "manual_override");
    let notes = t.app.store.notifications(true).await.unwrap();
    assert!(notes.iter().any(|n| n.thread_id == Some(id) && n.kind == "emergency"), "{notes:?}");
    t.stop().await;
}
