//! Bookings from a remote booking system (`[bookings] provider = "http"`),
//! against a local server speaking the configured mapping: the worker looks
//! the customer up before deciding, at most once a minute per customer, and
//! an outage of the booking system never stops a message from being decided.

mod common;

use std::time::Duration;

use clubos_connectors::sandbox::Call;
use clubos_domain::{BayNumber, LocationId, PhoneNumber};
use clubos_server::bookings::Refresh;
use common::*;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "bk-test-key-0002";
const CUSTOMER: &str = "+19025550161";

/// The booking system's way of saying things, and this deployment's mapping of it.
fn extra(system: &MockServer) -> String {
    format!(
        r#"booking_location_id = "site-7"
[limits]
thread_llm_interval_seconds = 1
[bookings]
provider = "http"
base_url = "{uri}"
path = "/api/reservations"
api_key_env = "TEST_BOOKINGS_KEY"
[bookings.query]
phone = "mobile"
location = "site"
[bookings.fields]
items = "/data/items"
id = "/ref"
bay = "/simulator/number"
phone = "/customer/mobile"
starts_at = "/start"
ends_at = "/end"
status = "/state"
[bookings.status_map]
booked = "confirmed"
canceled = "cancelled"
"#,
        uri = system.uri()
    )
}

async fn spawn_with_system(system: &MockServer, serve: bool) -> TestApp {
    spawn(Options {
        extra_toml: extra(system),
        env: vec![("TEST_BOOKINGS_KEY", KEY.to_owned())],
        serve,
        ..Options::default()
    })
    .await
}

/// An answer holding one active booking of bay 2 for `CUSTOMER`.
fn active_booking(now: Timestamp) -> ResponseTemplate {
    let start = now - SignedDuration::from_mins(20);
    ResponseTemplate::new(200).set_body_json(json!({"data": {"items": [{
        "ref": "R-7001", "state": "booked", "simulator": {"number": 2, "name": "Sim 2"},
        "customer": {"name": "Sample Golfer", "mobile": "(902) 555-0161"},
        "start": start.as_second(), "end": (now + SignedDuration::from_mins(40)).to_string()
    }]}, "page": {"next": null}}))
}

/// Waits (up to 20 s: a failing lookup retries for a few seconds) until the
/// thread has more than `before` decisions and no pending action.
async fn decided(t: &TestApp, id: i64, before: usize) -> Value {
    for _ in 0..400 {
        let (_, th) = t.get(&format!("/api/threads/{id}")).await;
        let n = th["decisions"].as_array().map_or(0, Vec::len);
        let busy = th["actions"].as_array().is_some_and(|a| a.iter().any(|a| a["status"] == "pending"));
        if n > before && !busy && th["status"] != "awaiting_ai" {
            return th;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, th) = t.get(&format!("/api/threads/{id}")).await;
    panic!("thread {id} was not decided: {th:#}");
}

fn decisions(th: &Value) -> usize {
    th["decisions"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_remote_booking_lets_the_ai_reset_the_booked_bay_and_is_looked_up_once_a_minute() {
    let system = MockServer::start().await;
    let t = spawn_with_system(&system, true).await;
    let first = Mock::given(method("GET"))
        .and(path("/api/reservations"))
        .and(query_param("mobile", CUSTOMER))
        .and(query_param("site", "site-7"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(active_booking(t.clock.now_ts()))
        .expect(1)
        .named("the first lookup")
        .mount_as_scoped(&system)
        .await;

    let (_, ack) = t.text(CUSTOMER, "trackman frozen").await;
    let id = thread_id(&ack);
    let th = decided(&t, id, 0).await;
    assert_eq!(th["decisions"][0]["verdict"], "execute", "{th:#}");
    let a = &th["actions"][0];
    assert_eq!((a["kind"].as_str(), a["target"].as_str()), (Some("reset_trackman"), Some("bay:2")), "{th:#}");
    assert_eq!((a["status"].as_str(), a["booking_id"].as_str()), (Some("success"), Some("R-7001")));
    let sandbox = LocationId::parse("sandbox").unwrap();
    assert_eq!(t.sandbox.device_calls(), vec![Call::ResetTrackman(sandbox, BayNumber::new(2).unwrap())]);
    // The webhook answered before the lookup: its priority saw no booking yet.
    assert_eq!(th["priority"], "normal");

    // Within the minute: decided on the stored booking, no second lookup.
    t.clock.advance(SignedDuration::from_secs(2));
    let (_, ack) = t.text(CUSTOMER, "what are your hours?").await;
    assert_eq!(thread_id(&ack), id, "joins the thread");
    let th = decided(&t, id, decisions(&th)).await;
    assert_eq!(th["decisions"].as_array().unwrap().last().unwrap()["verdict"], "reply", "{th:#}");
    drop(first); // verifies: exactly one request so far

    // A minute later the booking system is asked again.
    let again = Mock::given(method("GET"))
        .and(path("/api/reservations"))
        .respond_with(active_booking(t.clock.now_ts()))
        .expect(1)
        .named("the lookup after a minute")
        .mount_as_scoped(&system)
        .await;
    t.clock.advance(SignedDuration::from_secs(61));
    let (_, ack) = t.text(CUSTOMER, "what are your hours?").await;
    decided(&t, thread_id(&ack), decisions(&th)).await;
    drop(again);
    let (_, health) = t.get("/api/health").await;
    let c = component(&health, "bookings");
    assert_eq!(c["state"], "healthy", "{health:#}");
    t.stop().await;
}

fn component(health: &Value, name: &str) -> Value {
    health["components"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned().expect("component")
}

#[tokio::test]
async fn an_outage_of_the_booking_system_escalates_instead_of_stalling() {
    let system = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "database unavailable"})))
        .mount(&system)
        .await;
    let t = spawn_with_system(&system, true).await;
    let (_, ack) = t.text("+19025550162", "trackman frozen").await;
    let th = decided(&t, thread_id(&ack), 0).await;
    let d = &th["decisions"][0];
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("no_booking")), "{th:#}");
    assert!(t.sandbox.device_calls().is_empty());
    assert_eq!(system.received_requests().await.unwrap().len(), 4, "four tries in all");
    let (_, health) = t.get("/api/health").await;
    let c = component(&health, "bookings");
    assert_ne!(c["state"], "healthy", "{health:#}");
    let error = c["last_error"].as_str().unwrap();
    assert!(error.contains("500") && error.contains("database unavailable"), "{error}");
    assert!(!error.contains("555"), "no phone number in the health board: {error}");
    t.stop().await;
}

#[tokio::test]
async fn concurrent_lookups_of_one_customer_ask_once() {
    let system = MockServer::start().await;
    let t = spawn_with_system(&system, false).await;
    Mock::given(method("GET"))
        .respond_with(active_booking(t.clock.now_ts()).set_delay(Duration::from_millis(300)))
        .expect(1)
        .mount(&system)
        .await;
    let lookup = t.app.bookings.as_ref().expect("a remote source");
    let (loc, phone) = (LocationId::parse("sandbox").unwrap(), PhoneNumber::parse_e164(CUSTOMER).unwrap());
    let one = || lookup.refresh(&t.app, &loc, &phone);
    let got = tokio::join!(one(), one(), one(), one());
    let mut all = [got.0, got.1, got.2, got.3];
    all.sort_by_key(|r| matches!(r, Refresh::Fresh));
    assert_eq!(all, [Refresh::Fetched(1), Refresh::Fresh, Refresh::Fresh, Refresh::Fresh]);
    let now = t.clock.now_ts();
    let stored = t.app.store.bookings_for(&phone, Some(&loc), now, now).await.unwrap();
    assert_eq!(stored.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["R-7001"]);
    t.stop().await;
}
