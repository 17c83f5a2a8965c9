//! The NinjaOne client against a local server speaking NinjaOne's wire
//! format: `POST /ws/oauth/token` (form), Bearer calls to `/v2/device/...`,
//! 204 for accepted commands, `{"errorMessage": …}` error bodies.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clubos_connectors::http::{ApiKey, Backoff};
use clubos_connectors::ninjaone::{Credentials, NinjaConfig, NinjaOne};
use clubos_connectors::{BayControl, ConnectorError, DeviceOutcome};
use clubos_domain::{BayNumber, LocationId};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const FUTURE: f64 = 4_102_444_800.0; // 2100-01-01, "reported after the command"

fn loc() -> LocationId {
    LocationId::parse("bedford").unwrap()
}

fn bay(n: u16) -> BayNumber {
    BayNumber::new(n).unwrap()
}

fn client(server: &MockServer) -> NinjaOne {
    let creds = Credentials { client_id: ApiKey::new("cid-test"), client_secret: ApiKey::new("csecret-test") };
    let mut c = NinjaConfig::new(server.uri(), creds, 42);
    c.devices = HashMap::from([((loc(), bay(3)), 101), ((loc(), bay(4)), 102)]);
    c.backoff = Backoff { attempts: 4, base: Duration::from_millis(20), max: Duration::from_secs(2) };
    c.request_timeout = Duration::from_millis(400);
    c.poll_every = Duration::from_millis(30);
    NinjaOne::new(c).unwrap()
}

/// Hands out `tok-1`, `tok-2`, … each valid `expires_in` seconds.
struct Tokens {
    n: AtomicUsize,
    expires_in: u64,
}

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("tok-{n}"), "expires_in": self.expires_in,
            "scope": "monitoring management control", "token_type": "Bearer"
        }))
    }
}

async fn token_endpoint(server: &MockServer, expires_in: u64, calls: u64) {
    Mock::given(method("POST"))
        .and(path("/ws/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=cid-test"))
        .and(body_string_contains("client_secret=csecret-test"))
        .and(body_string_contains("scope=monitoring+management+control"))
        .respond_with(Tokens { n: AtomicUsize::new(0), expires_in })
        .expect(calls)
        .mount(server)
        .await;
}

async fn device_online(server: &MockServer, id: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/device/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": id, "nodeClass": "WINDOWS_WORKSTATION", "displayName": "BAY-PC",
            "offline": false, "lastContact": FUTURE, "os": {"lastBootTime": 1_700_000_000.0}
        })))
        .mount(server)
        .await;
}

fn vendor_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"resultCode": "FAILURE", "errorMessage": message, "incidentId": "c0ffee00-0000-4000-8000-000000000001"}),
    )
}

async fn bodies(server: &MockServer, p: &str) -> Vec<Value> {
    let reqs = server.received_requests().await.unwrap();
    reqs.iter().filter(|r| r.url.path() == p).map(|r| r.body_json().unwrap()).collect()
}

#[tokio::test]
async fn reset_runs_the_script_with_a_cached_token_and_confirms() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    device_online(&server, 101).await;
    let c = client(&server);
    for _ in 0..2 {
        assert_eq!(c.reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await, Ok(DeviceOutcome::Confirmed));
    }
    let sent = bodies(&server, "/v2/device/101/script/run").await;
    assert_eq!(sent[0], json!({"type": "SCRIPT", "id": 42, "runAs": "system"}));
}

#[tokio::test]
async fn a_token_near_its_expiry_is_replaced_before_use() {
    let server = MockServer::start().await;
    // A one-second token is replaced at half its life.
    token_endpoint(&server, 1, 2).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    device_online(&server, 101).await;
    let c = client(&server);
    c.reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_on_401() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 2).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/102/reboot/NORMAL"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(vendor_error(401, "Token expired"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/device/102/reboot/NORMAL"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // The PC goes down and comes back with a new boot time.
    let reads = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&reads);
    Mock::given(method("GET"))
        .and(path("/v2/device/102"))
        .respond_with(move |_: &Request| {
            let state = match r.fetch_add(1, Ordering::SeqCst) {
                0 => json!({"offline": false, "lastContact": 1.0, "os": {"lastBootTime": 1.0}}),
                1 => json!({"offline": true, "lastContact": 1.0, "os": {"lastBootTime": 1.0}}),
                _ => json!({"offline": false, "lastContact": FUTURE, "os": {"lastBootTime": FUTURE}}),
            };
            ResponseTemplate::new(200).set_body_json(state)
        })
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.reboot_pc(&loc(), bay(4), Duration::from_secs(5)).await, Ok(DeviceOutcome::Confirmed));
    assert!(reads.load(Ordering::SeqCst) >= 3, "confirmed only after the boot showed");
    let sent = bodies(&server, "/v2/device/102/reboot/NORMAL").await;
    assert!(sent[1]["reason"].as_str().unwrap().contains("bay 4"));
}

#[tokio::test]
async fn a_token_refused_twice_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 2).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(vendor_error(401, "Invalid token"))
        .expect(2)
        .mount(&server)
        .await;
    let err = client(&server).reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(&err, ConnectorError::Rejected { message, .. } if message.contains("Invalid token")), "{err}");
}

#[tokio::test]
async fn bad_client_credentials_carry_the_oauth_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ws/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "invalid_client", "error_description": "Bad client credentials"})),
        )
        .mount(&server)
        .await;
    let err = client(&server).reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("invalid_client") && text.contains("Bad client credentials"), "{text}");
    assert!(!text.contains("csecret-test"));
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(vendor_error(429, "Rate limit exceeded").insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    device_online(&server, 101).await;
    let t = Instant::now();
    assert_eq!(
        client(&server).reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await,
        Ok(DeviceOutcome::Confirmed)
    );
    assert!(t.elapsed() >= Duration::from_secs(1), "Retry-After honoured");
}

#[tokio::test]
async fn a_500_is_reported_with_the_vendor_message_and_not_resent() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(vendor_error(500, "Internal error running script"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Unavailable { message, .. } if message.contains("Internal error running script")),
        "{err}"
    );
}

#[tokio::test]
async fn a_command_with_no_answer_times_out_without_a_second_send() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).reset_trackman(&loc(), bay(3), Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err, ConnectorError::Timeout("ninjaone"));
}

#[tokio::test]
async fn accepted_but_never_confirmed_is_unconfirmed_before_the_callers_deadline() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("POST"))
        .and(path("/v2/device/101/script/run"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/device/101"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"offline": true, "lastContact": 1.0})))
        .mount(&server)
        .await;
    let within = Duration::from_millis(800);
    let t = Instant::now();
    let out = tokio::time::timeout(within, client(&server).reset_trackman(&loc(), bay(3), within)).await;
    assert_eq!(out.expect("answered inside the caller's timeout"), Ok(DeviceOutcome::Unconfirmed));
    assert!(t.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn an_unmapped_bay_is_refused_before_any_call() {
    let server = MockServer::start().await;
    let err = client(&server).reset_trackman(&loc(), bay(1), Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(err, ConnectorError::UnknownDevice(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn probe_reads_the_device_list_and_debug_hides_credentials() {
    let server = MockServer::start().await;
    token_endpoint(&server, 3600, 1).await;
    Mock::given(method("GET"))
        .and(path("/v2/devices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 101, "offline": false}])))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.probe().await.unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("csecret-test") && !shown.contains("tok-1"), "{shown}");
}
