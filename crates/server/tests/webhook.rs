//! `POST /webhooks/openphone` through the real server: signatures under both
//! schemes, envelope shapes, dedupe, limits, and durability before the 2xx.

mod common;

use clubos_connectors::openphone::webhook::{
    WebhookSecret, build_message_received_legacy, build_message_received_v2, sign_legacy,
};
use common::*;
use jiff::SignedDuration;
use serde_json::{Value, json};

fn raw(id: &str, from: &str, body: &str, at: jiff::Timestamp) -> Vec<u8> {
    build_message_received_legacy(&format!("EV{id}"), &format!("AC{id}"), from, "+19025550100", body, at)
}

async fn thread_count(t: &TestApp) -> usize {
    t.get("/api/threads").await.1["threads"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_signed_legacy_delivery_is_stored_before_the_2xx() {
    let t = spawn(Options { serve: true, ..Options::default() }).await;
    let (status, ack) = t.text("(902) 555-0123", "what are your hours?").await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["status"], "accepted");
    // Committed before the answer: readable straight from the store.
    let detail = t.app.store.thread(thread_id(&ack)).await.unwrap().expect("stored");
    assert_eq!(detail.messages[0].body, "what are your hours?");
    assert_eq!(detail.thread.customer_phone.as_ref().map(|p| p.as_str()), Some("+19025550123"));
    t.stop().await;
}

#[tokio::test]
async fn bad_missing_and_stale_signatures_are_refused_and_nothing_is_stored() {
    let t = spawn(Options::default()).await;
    let now = t.clock.now_ts();
    let body = raw("1", "+19025550123", "door wont open", now);
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut req = t.client.post(t.url("/webhooks/openphone"));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.body(body).send()
    };
    let wrong_key = sign_legacy(b"not the key", now.as_millisecond(), &body);
    assert_eq!(post(vec![("openphone-signature", wrong_key)], body.clone()).await.unwrap().status(), 401);
    assert_eq!(post(vec![], body.clone()).await.unwrap().status(), 401);
    let key = t.secret.as_ref().unwrap().key().to_vec();
    let stale = sign_legacy(&key, (now - SignedDuration::from_mins(6)).as_millisecond(), &body);
    let r = post(vec![("openphone-signature", stale)], body.clone()).await.unwrap();
    assert_eq!(r.status(), 401);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "bad_signature");
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    let good_for_original = sign_legacy(&key, now.as_millisecond(), &body);
    assert_eq!(post(vec![("openphone-signature", good_for_original.clone())], tampered).await.unwrap().status(), 401);
    assert_eq!(thread_count(&t).await, 0, "nothing stored");
    assert_eq!(post(vec![("openphone-signature", good_for_original)], body).await.unwrap().status(), 200);
    assert_eq!(thread_count(&t).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn standard_webhooks_deliveries_are_verified_and_deduped_on_webhook_id() {
    let key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let t = spawn(Options { webhook_secret: Some(key.into()), ..Options::default() }).await;
    let now = t.clock.now_ts();
    let body = build_message_received_v2("EVv2a", "ACv2a", "+19025550140", "+19025550100", "wifi password?", now, None);
    let (status, ack) = t.post_webhook(body.clone(), "msg_delivery_1").await;
    assert_eq!((status, ack["status"].as_str()), (200, Some("accepted")), "{ack}");
    // The same delivery again (Quo retries with the same webhook-id).
    let (status, ack) = t.post_webhook(body, "msg_delivery_1").await;
    assert_eq!((status, ack["status"].as_str()), (200, Some("duplicate")));
    // A legacy-signed delivery does not verify against a whsec_ key.
    let legacy = WebhookSecret::parse(LEGACY_KEY).unwrap();
    let body = raw("2", "+19025550141", "hi", now);
    let mut req = t.client.post(t.url("/webhooks/openphone"));
    for (k, v) in legacy.signed_headers("x", now, &body) {
        req = req.header(k, v);
    }
    assert_eq!(req.body(body).send().await.unwrap().status(), 401);
    t.stop().await;
}

#[tokio::test]
async fn envelope_variants_other_events_and_duplicates() {
    let t = spawn(Options::default()).await;
    let now = t.clock.now_ts();
    let inner: Value = serde_json::from_slice(&raw("n1", "+19025550150", "is there parking", now)).unwrap();
    let nested = serde_json::to_vec(&json!({ "object": inner })).unwrap();
    let (status, ack) = t.post_webhook(nested, "n1").await;
    assert_eq!((status, ack["status"].as_str()), (200, Some("accepted")), "nested envelope: {ack}");
    let call = serde_json::to_vec(
        &json!({"id": "EVcall", "object": "event", "apiVersion": "v2", "createdAt": "2026-06-15T18:00:00.000Z",
        "type": "call.completed", "data": {"object": {"id": "CA1", "object": "call"}}}),
    )
    .unwrap();
    let (status, ack) = t.post_webhook(call, "c1").await;
    assert_eq!((status, ack["status"].as_str()), (200, Some("ignored")), "{ack}");
    let body = raw("d1", "+19025550151", "hello", now);
    assert_eq!(t.post_webhook(body.clone(), "d1").await.1["status"], "accepted");
    assert_eq!(t.post_webhook(body, "d1").await.1["status"], "duplicate");
    // Same message id under a new event id: still one message.
    let again = build_message_received_legacy("EVother", "ACd1", "+19025550151", "+19025550100", "hello", now);
    assert_eq!(t.post_webhook(again, "d2").await.1["status"], "duplicate");
    let (_, list) = t.get("/api/threads?phone=%2B19025550151").await;
    let id = list["threads"][0]["id"].as_i64().unwrap();
    let detail = t.app.store.thread(id).await.unwrap().unwrap();
    assert_eq!(detail.messages.iter().filter(|m| m.author == "customer").count(), 1);
    t.stop().await;
}

#[tokio::test]
async fn malformed_oversized_and_invalid_bodies_get_clear_errors() {
    let t = spawn(Options::default()).await;
    let (status, err) = t.post_webhook(b"{not json".to_vec(), "m1").await;
    assert_eq!(status, 400);
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("malformed webhook body:"), "{msg}");
    let big = raw("big", "+19025550160", &"x".repeat(70 * 1024), t.clock.now_ts());
    let (status, err) = t.post_webhook(big, "m2").await;
    assert_eq!(status, 413, "{err}");
    let bad_phone = raw("bp", "call me maybe", "hi", t.clock.now_ts());
    let (status, err) = t.post_webhook(bad_phone, "m3").await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("from"), "{err}");
    assert_eq!(thread_count(&t).await, 0);
    t.stop().await;
}

#[tokio::test]
async fn without_a_secret_signatures_are_not_required() {
    let t = spawn(Options { webhook_secret: None, ..Options::default() }).await;
    let (status, _) = t.text("+19025550170", "what are your hours").await;
    assert_eq!(status, 200);
    t.stop().await;
}
