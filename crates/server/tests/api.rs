//! The JSON API contract: auth, autonomy settings with audit, thread
//! actions, metrics, health and readiness.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn api_needs_the_bearer_token() {
    let t = spawn(Options::default()).await;
    let r = t.client.get(t.url("/api/threads")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = t.client.get(t.url("/api/threads")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(t.get("/api/threads").await.0, 200);
    for open in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(t.client.get(t.url(open)).send().await.unwrap().status(), 200, "{open}");
    }
    assert_eq!(t.client.get(t.url("/nope")).send().await.unwrap().status(), 404);
    t.stop().await;
}

#[tokio::test]
async fn autonomy_is_validated_audited_and_survives_a_restart() {
    let t = spawn(Options::default()).await;
    let (status, seed) = t.get("/api/autonomy").await;
    assert_eq!(status, 200);
    assert_eq!(seed["tech"]["cooldown_seconds"], 900);
    assert_eq!(seed["access"]["rules"], json!(["within 10 min of booking", "no flags"]));
    let bad = json!({"faq": {"autonomy": true, "confidence_threshold": 1.5}});
    let (status, err) = t.send(Method::PUT, "/api/autonomy", bad).await;
    assert_eq!(status, 400);
    assert_eq!(
        err["error"]["message"],
        "autonomy profile, category `faq`, key `confidence_threshold`: must be from 0 to 1, got 1.5"
    );
    let new = json!({"faq": {"autonomy": false}, "tech": {"autonomy": true, "confidence_threshold": 0.8}});
    let (status, body) = t.send(Method::PUT, "/api/autonomy", new).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(t.get("/api/autonomy").await.1["faq"]["autonomy"], false);
    let audit = t.app.store.audit_log(10).await.unwrap();
    let entry = audit.iter().find(|a| a.action == "autonomy.update").expect("audited");
    assert_eq!(entry.detail["before"]["faq"]["autonomy"], true);
    assert_eq!(entry.detail["after"]["faq"]["autonomy"], false);
    // With faq autonomy off, an FAQ is escalated (and would have been a reply).
    let (_, ack) = t.text("+19025550201", "what are your hours").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["decisions"][0]["reason"], "autonomy_disabled");
    assert!(th["proposal"]["reply"].is_string());
    // Restart on the same database: the profile set through the API is kept.
    let config = t.app.config.clone();
    let dir = t.stop().await;
    let again = spawn_with(config, dir, Options { serve: false, ..Options::default() }).await;
    assert!(!again.app.profile().get(clubos_domain::Category::Faq).autonomy);
    assert!(again.app.profile().get(clubos_domain::Category::Tech).autonomy);
}

#[tokio::test]
async fn operators_reply_resolve_and_take_over_with_audit() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550202", "asdkjh qwe zzz").await;
    let id = thread_id(&ack);
    t.settled(id, 1).await;
    let (status, r) =
        t.send(Method::POST, &format!("/api/threads/{id}/reply"), json!({"body": "Hi, how can we help?"})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["action"]["kind"].as_str(), r["action"]["status"].as_str()), (Some("send_reply"), Some("success")));
    let (status, _) = t.send(Method::POST, &format!("/api/threads/{id}/reply"), json!({"body": "  "})).await;
    assert_eq!(status, 400);
    let (status, r) = t.send(Method::POST, &format!("/api/threads/{id}/take-over"), json!({})).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("manual_override")));
    let (status, r) = t.send(Method::POST, &format!("/api/threads/{id}/resolve"), json!({})).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("resolved")));
    let th = t.get(&format!("/api/threads/{id}")).await.1;
    assert!(
        th["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "Hi, how can we help?" && m["direction"] == "outbound")
    );
    let actions: Vec<String> = t.app.store.audit_log(50).await.unwrap().into_iter().map(|a| a.action).collect();
    for a in ["thread.resolve", "thread.take_over", "action.send_reply"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert_eq!(t.send(Method::POST, "/api/threads/99999/resolve", json!({})).await.0, 404);
    assert_eq!(t.get("/api/threads/abc").await.0, 400);
    let (status, err) = t.get("/api/threads?status=bogus").await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("awaiting_ai"), "{err}");
    let (_, list) = t.get("/api/threads?status=resolved").await;
    assert_eq!(list["threads"][0]["id"], id);
    t.stop().await;
}

#[tokio::test]
async fn metrics_and_health_follow_the_contract() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550203", "is there wifi").await;
    t.settled(thread_id(&ack), 1).await;
    let m = t.client.get(t.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [
        "clubos_messages_received_total 1",
        "clubos_decisions_total{verdict=\"reply\",reason=\"none\"} 1",
        "clubos_actions_total{kind=\"send_reply\",outcome=\"success\"} 1",
        "clubos_queue_depth ",
        "clubos_llm_tokens_total{location=\"sandbox\",model=\"local\"} 0",
        "clubos_processing_seconds_bucket{le=",
    ] {
        assert!(m.contains(needle), "{needle} missing:\n{m}");
    }
    let (_, h) = t.get("/api/health").await;
    let names: Vec<&str> = h["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for n in ["database", "llm", "ninjaone", "openphone", "unifi_access"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let (_, notes) = t.get("/api/notifications").await;
    assert!(notes["notifications"].as_array().is_some());
    assert_eq!(t.send(Method::POST, "/api/notifications/abc/ack", json!({})).await.0, 400);
    let (status, _) = t.send(Method::POST, "/api/notifications/424242/ack", json!({})).await;
    assert_eq!(status, 404);
    t.stop().await;
}

#[tokio::test]
async fn a_connector_that_is_not_configured_makes_its_actions_escalate() {
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(dir.path(), "").replace("[connectors.ninjaone]\nmode = \"sandbox\"\n", "");
    let config = clubos_config::Config::parse(&text, &dir.path().join("c.toml")).unwrap();
    let t = spawn_with(config, dir, Options::default()).await;
    let now = t.clock.now_ts();
    let (s, _) = t
        .send(Method::POST, "/api/bookings", json!({"customer_phone": "+19025550204", "location": "sandbox", "bay": 1,
            "starts_at": (now - jiff::SignedDuration::from_mins(5)).to_string(), "ends_at": (now + jiff::SignedDuration::from_mins(55)).to_string()}))
        .await;
    assert_eq!(s, 200);
    let (_, ack) = t.text("+19025550204", "trackman frozen").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["decisions"][0]["reason"], "connector_unavailable", "{th:#}");
    t.stop().await;
}
