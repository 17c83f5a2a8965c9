//! The OpenPhone SMS client against a local server speaking OpenPhone's wire
//! format: `POST /v1/messages`, `Authorization: <key>`, 202 `{"data": {...}}`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clubos_connectors::http::{ApiKey, Backoff};
use clubos_connectors::openphone::sms::{OpenPhoneSms, SmsConfig};
use clubos_connectors::{ConnectorError, SmsSender};
use clubos_domain::{CountryCode, LocationId, PhoneNumber};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, CountryCode::NANP).unwrap()
}

fn loc(s: &str) -> LocationId {
    LocationId::parse(s).unwrap()
}

fn accepted(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"data": {
        "id": id, "to": ["+19025550100"], "from": "+19025550199", "text": "…",
        "phoneNumberId": "PN123abc", "direction": "outgoing", "userId": "US123abc",
        "status": "queued", "createdAt": "2026-11-26T10:00:00Z", "updatedAt": "2026-11-26T10:00:00Z"
    }}))
}

fn client(server: &MockServer) -> OpenPhoneSms {
    let mut c = SmsConfig::new(server.uri(), ApiKey::new("op-test-key"));
    c.senders = HashMap::from([(loc("bedford"), phone("9025550199"))]);
    c.default_from = Some(phone("9025550188"));
    c.backoff = Backoff { attempts: 4, base: Duration::from_millis(20), max: Duration::from_secs(2) };
    c.request_timeout = Duration::from_millis(300);
    OpenPhoneSms::new(c).unwrap()
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    server.received_requests().await.unwrap().iter().map(|r: &Request| r.body_json().unwrap()).collect()
}

#[tokio::test]
async fn sends_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("authorization", "op-test-key"))
        .and(header("content-type", "application/json"))
        .respond_with(accepted("AC123"))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = client(&server).send_sms(&loc("bedford"), &phone("9025550100"), "Bay 3 is reset.").await.unwrap();
    assert_eq!(receipt.provider_id, "AC123");
    assert_eq!(
        bodies(&server).await,
        vec![json!({"content": "Bay 3 is reset.", "from": "+19025550199", "to": ["+19025550100"]})]
    );
}

#[tokio::test]
async fn uses_the_default_sender_and_refuses_without_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("AC1")).mount(&server).await;
    client(&server).send_sms(&loc("halifax"), &phone("9025550100"), "hi").await.unwrap();
    assert_eq!(bodies(&server).await[0]["from"], "+19025550188");

    let mut c = SmsConfig::new(server.uri(), ApiKey::new("k"));
    c.default_from = None;
    let none = OpenPhoneSms::new(c).unwrap().send_sms(&loc("halifax"), &phone("9025550100"), "hi").await;
    assert!(matches!(none, Err(ConnectorError::UnknownDevice(_))), "{none:?}");
}

#[tokio::test]
async fn long_replies_go_out_in_parts_of_at_most_1600_characters() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("AC")).expect(2).mount(&server).await;
    let text = "Our hours are seven to midnight. ".repeat(60);
    client(&server).send_sms(&loc("bedford"), &phone("9025550100"), &text).await.unwrap();
    let sent = bodies(&server).await;
    assert!(sent.iter().all(|b| b["content"].as_str().unwrap().chars().count() <= 1600));
    let joined: Vec<String> = sent.iter().map(|b| b["content"].as_str().unwrap().to_owned()).collect();
    assert_eq!(joined.join(" "), text.trim());
}

#[tokio::test]
async fn a_429_is_retried_after_the_servers_pause() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "Too many requests", "code": "0100429", "status": 429})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(accepted("AC2")).mount(&server).await;
    let started = Instant::now();
    let r = client(&server).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap();
    assert_eq!(r.provider_id, "AC2");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&server).await;
    Mock::given(method("POST")).respond_with(accepted("AC3")).mount(&server).await;
    assert_eq!(client(&server).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap().provider_id, "AC3");
    assert_eq!(bodies(&server).await.len(), 3);

    let down = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "Internal error"})))
        .mount(&down)
        .await;
    let err = client(&down).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap_err();
    assert_eq!(bodies(&down).await.len(), 4, "four tries in all");
    assert!(err.to_string().contains("Internal error"), "{err}");
}

#[tokio::test]
async fn refusals_are_not_retried_and_carry_the_vendors_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "message": "to must be a valid E.164 number", "code": "0200400", "status": 400, "title": "Bad Request"
        })))
        .mount(&server)
        .await;
    let err = client(&server).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Rejected {
            vendor: "openphone",
            message: "400 Bad Request: to must be a valid E.164 number".into()
        }
    );
    assert_eq!(bodies(&server).await.len(), 1);

    let bad_key = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthorized"})))
        .mount(&bad_key)
        .await;
    let err = client(&bad_key).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap_err();
    assert!(err.to_string().contains("API key was refused"), "{err}");
    assert!(!err.to_string().contains("op-test-key"), "the key never appears in errors");
}

#[tokio::test]
async fn a_request_that_may_have_been_sent_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted("late").set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let err = client(&server).send_sms(&loc("bedford"), &phone("9025550100"), "hi").await.unwrap_err();
    assert_eq!(err, ConnectorError::Timeout("openphone"));
    assert_eq!(bodies(&server).await.len(), 1, "no duplicate text");
}

#[tokio::test]
async fn requests_are_paced_to_ten_per_second() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("AC")).mount(&server).await;
    let c = std::sync::Arc::new(client(&server));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let c = std::sync::Arc::clone(&c);
        tasks.push(tokio::spawn(async move { c.send_sms(&loc("bedford"), &phone("9025550100"), "hi").await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(1100), "12 requests take at least 1.1 s");
}

#[tokio::test]
async fn the_health_probe_lists_phone_numbers_with_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/phone-numbers"))
        .and(header("authorization", "op-test-key"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "PN123abc", "number": "+19025550199"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    client(&server).probe().await.unwrap();

    let refused = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthorized"})))
        .mount(&refused)
        .await;
    let err = client(&refused).probe().await.unwrap_err();
    assert!(matches!(err, ConnectorError::Rejected { .. }), "{err:?}");
}
