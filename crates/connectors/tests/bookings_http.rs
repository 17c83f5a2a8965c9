//! The generic HTTP booking source against a local server: the request it
//! sends (query names, key header), how a nested answer is mapped, and how
//! refusals, rate limits, server errors and timeouts end.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clubos_connectors::ConnectorError;
use clubos_connectors::bookings::{BookingSource, FieldMap, HttpBookings, HttpBookingsConfig, Mapping, StatusMap};
use clubos_connectors::http::{ApiKey, Backoff};
use clubos_domain::{BookingStatus, CountryCode, LocationId, PhoneNumber};
use jiff::Timestamp;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "bk-test-key-0001";

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, CountryCode::NANP).unwrap()
}

fn loc(s: &str) -> LocationId {
    LocationId::parse(s).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A booking system that nests its list and names things its own way.
fn config(server: &MockServer) -> HttpBookingsConfig {
    let mut c = HttpBookingsConfig::new(format!("{}/v2/", server.uri()), Some(ApiKey::new(KEY)));
    c.path = "/reservations".into();
    c.mapping = Mapping {
        fields: FieldMap {
            items: "/data/reservations".into(),
            id: "/reservationId".into(),
            bay: "/space/number".into(),
            phone: "/guest/phone".into(),
            starts_at: "/window/start".into(),
            ends_at: "/window/end".into(),
            status: "/state".into(),
        },
        statuses: StatusMap::new([
            ("booked".to_owned(), BookingStatus::Confirmed),
            ("canceled".to_owned(), BookingStatus::Cancelled),
        ]),
        default_country: CountryCode::NANP,
    };
    c.location_ids = HashMap::from([(loc("bedford"), "site-7".to_owned())]);
    c.backoff = Backoff { attempts: 4, base: Duration::from_millis(20), max: Duration::from_secs(2) };
    c.request_timeout = Duration::from_millis(300);
    c
}

fn client(server: &MockServer) -> HttpBookings {
    HttpBookings::new(config(server)).unwrap()
}

async fn lookup(c: &HttpBookings) -> Result<Vec<clubos_domain::Booking>, ConnectorError> {
    c.bookings_for(&loc("bedford"), &phone("+19025550142"), at("2026-06-15T06:00:00Z"), at("2026-06-16T06:00:00Z"))
        .await
}

fn reservation(id: Value, guest: &str, start: Value, end: Value, state: &str, bay: Value) -> Value {
    json!({"reservationId": id, "state": state, "space": {"number": bay, "label": "Simulator"},
           "guest": {"name": "Sample Guest", "phone": guest}, "window": {"start": start, "end": end}})
}

fn answer() -> Value {
    json!({"meta": {"page": 1, "total": 5}, "data": {"reservations": [
        reservation(json!("R-2001"), "+1 902 555 0142", json!("2026-06-15T14:00:00-03:00"),
                    json!("2026-06-15T15:00:00-03:00"), "BOOKED", json!(2)),
        reservation(json!(2002), "902-555-0142", json!(1781550000), json!("1781553600"), "canceled", json!("3")),
        reservation(json!("R-2003"), "+19025550142", json!("2026-06-15T20:00:00Z"),
                    json!("2026-06-15T21:00:00Z"), "no_show", json!(1)),
        reservation(json!("R-2004"), "+19025550143", json!("2026-06-15T20:00:00Z"),
                    json!("2026-06-15T21:00:00Z"), "booked", json!(1)),
        {"reservationId": "R-2005", "guest": {"phone": "+19025550142"},
         "window": {"start": "2026-06-15T22:00:00Z", "end": "2026-06-15T23:00:00Z"}},
    ]}})
}

#[tokio::test]
async fn a_nested_answer_is_mapped_with_the_configured_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/reservations"))
        .and(query_param("phone", "+19025550142"))
        .and(query_param("location", "site-7"))
        .and(query_param("from", "2026-06-15T06:00:00Z"))
        .and(query_param("to", "2026-06-16T06:00:00Z"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer()))
        .expect(1)
        .mount(&server)
        .await;
    let got = lookup(&client(&server)).await.unwrap();
    let ids: Vec<&str> = got.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["R-2001", "2002", "R-2005"], "no_show is unmapped, R-2004 is another customer's");
    let first = &got[0];
    assert_eq!(first.starts_at, at("2026-06-15T17:00:00Z"));
    assert_eq!((first.bay.map(|b| b.get()), first.status), (Some(2), BookingStatus::Confirmed));
    assert_eq!((first.location.as_str(), first.customer_phone.as_str()), ("bedford", "+19025550142"));
    let second = &got[1];
    assert_eq!((second.starts_at, second.ends_at), (at("2026-06-15T19:00:00Z"), at("2026-06-15T20:00:00Z")));
    assert_eq!((second.bay.map(|b| b.get()), second.status), (Some(3), BookingStatus::Cancelled));
    assert_eq!((got[2].bay, got[2].status), (None, BookingStatus::Confirmed), "no bay, no status");
}

#[tokio::test]
async fn query_names_header_and_scheme_are_configurable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/reservations"))
        .and(query_param("customer_phone", "+19025550142"))
        .and(query_param("site", "bedford"))
        .and(query_param("start", "2026-06-15T06:00:00Z"))
        .and(header("x-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"reservations": []}})))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.location_ids.clear();
    c.auth_header = "X-Api-Key".into();
    c.auth_scheme = String::new();
    c.query.phone = "customer_phone".into();
    c.query.location = "site".into();
    c.query.from = "start".into();
    c.query.to = String::new();
    let client = HttpBookings::new(c).unwrap();
    assert!(lookup(&client).await.unwrap().is_empty());
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(!sent.url.query().unwrap().contains("to="), "an empty name leaves the parameter out");
    assert!(!sent.headers.contains_key("authorization"));
}

#[tokio::test]
async fn a_refused_key_is_reported_with_the_body_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "message": "invalid API key"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = lookup(&client(&server)).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Rejected {
            vendor: "bookings",
            message: "the API key was refused (401 Unauthorized): invalid API key".into()
        }
    );
    assert!(!err.to_string().contains(KEY));

    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no such route\n"))
        .expect(1)
        .mount(&other)
        .await;
    let err = lookup(&client(&other)).await.unwrap_err();
    assert_eq!(err, ConnectorError::Rejected { vendor: "bookings", message: "404 Not Found: no such route".into() });
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "1").set_body_json(json!({"message": "slow down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(answer())).mount(&server).await;
    let started = Instant::now();
    assert_eq!(lookup(&client(&server)).await.unwrap().len(), 3);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(answer())).mount(&server).await;
    assert_eq!(lookup(&client(&server)).await.unwrap().len(), 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "maintenance"})))
        .expect(4)
        .mount(&down)
        .await;
    let err = lookup(&client(&down)).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Unavailable { vendor: "bookings", message: "503 Service Unavailable: maintenance".into() }
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_without_a_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer()).set_delay(Duration::from_millis(900)))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(lookup(&client(&server)).await.unwrap_err(), ConnectorError::Timeout("bookings"));
}

#[tokio::test]
async fn unreachable_and_unreadable_answers_never_show_the_phone_number() {
    let server = MockServer::start().await;
    let mut c = config(&server);
    c.base_url = "http://127.0.0.1:9".into();
    let err = lookup(&HttpBookings::new(c).unwrap()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unavailable { .. }), "{err:?}");
    assert!(!err.to_string().contains("555"), "{err}");

    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("<html>")).mount(&server).await;
    let err = lookup(&client(&server)).await.unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"reservations": {}}})))
        .mount(&server)
        .await;
    let err = lookup(&client(&server)).await.unwrap_err();
    assert!(err.to_string().contains("is not an array"), "{err}");
}

#[tokio::test]
async fn debug_hides_the_key() {
    let server = MockServer::start().await;
    let c = client(&server);
    let shown = format!("{c:?}");
    assert!(!shown.contains(KEY), "{shown}");
    let mut cfg = config(&server);
    cfg.auth_scheme = String::new();
    assert!(!format!("{:?}", HttpBookings::new(cfg).unwrap()).contains(KEY));
}
