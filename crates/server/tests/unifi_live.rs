//! Door unlocks through the live UniFi Access client, against a local
//! controller speaking the Open API: a booked customer's "door won't open"
//! becomes `PUT /api/v1/developer/doors/{id}/unlock`.

mod common;

use clubos_config::Config;
use common::*;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DOOR_UUID: &str = "0ed545f8-2fcd-4839-9021-b39e707f6aa9";

async fn spawn_live(controller: &MockServer) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(dir.path(), "")
        .replace(
            "[connectors.unifi_access]\nmode = \"sandbox\"",
            &format!(
                "[connectors.unifi_access]\nmode = \"live\"\nbase_url = \"{}\"\ntoken_env = \"TEST_UNIFI_TOKEN\"",
                controller.uri()
            ),
        )
        .replace(
            "doors = [{ id = \"front\" }]",
            &format!("doors = [{{ id = \"front\", unifi_door_id = \"{DOOR_UUID}\" }}]"),
        );
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).unwrap_or_else(|e| panic!("config: {e}"));
    spawn_with(config, dir, Options::default()).await
}

#[tokio::test]
async fn a_booked_customer_is_let_in_through_unifi_access() {
    let controller = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("/api/v1/developer/doors/{DOOR_UUID}/unlock")))
        .and(header("authorization", format!("Bearer {UNIFI_TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": "SUCCESS", "msg": "success", "data": null})),
        )
        .expect(1)
        .mount(&controller)
        .await;
    let t = spawn_live(&controller).await;
    t.book("+19025550141", 2).await;
    let (_, ack) = t.text("+19025550141", "door wont open, im outside").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let unlock = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "unlock_door").expect("an unlock");
    assert_eq!(unlock["status"], "success", "{th:#}");
    assert_eq!(th["status"], "ai_resolved");
    t.stop().await;
}

#[tokio::test]
async fn a_refused_unlock_fails_and_escalates_with_the_controllers_reason() {
    let controller = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": "CODE_DEVICE_OFFLINE", "msg": "device offline"})),
        )
        .mount(&controller)
        .await;
    let t = spawn_live(&controller).await;
    t.book("+19025550142", 2).await;
    let (_, ack) = t.text("+19025550142", "door wont open, im outside").await;
    let th = t.settled(thread_id(&ack), 2).await;
    let unlock = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "unlock_door").expect("an unlock");
    assert_eq!(unlock["status"], "failed", "{th:#}");
    assert!(unlock["error"].as_str().unwrap().contains("CODE_DEVICE_OFFLINE device offline"));
    assert_eq!(th["escalation_reason"], "action_failed", "{th:#}");
    t.stop().await;
}

#[tokio::test]
async fn the_probe_marks_the_controller_down_and_healthy_again() {
    let controller = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/developer/doors"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(3)
        .mount(&controller)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/developer/doors"))
        .and(header("authorization", format!("Bearer {UNIFI_TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": "SUCCESS", "msg": "success", "data": []})),
        )
        .mount(&controller)
        .await;
    let t = spawn_live(&controller).await;
    let state = |h: &serde_json::Value| {
        h["components"].as_array().unwrap().iter().find(|c| c["name"] == "unifi_access").cloned().unwrap()
    };
    for _ in 0..3 {
        clubos_server::probe::tick(&t.app).await;
    }
    let (_, h) = t.get("/api/health").await;
    let c = state(&h);
    assert_ne!(c["state"], "healthy", "{h:#}");
    assert!(c["last_error"].as_str().unwrap().contains("503"), "{c:#}");
    clubos_server::probe::tick(&t.app).await;
    let (_, h) = t.get("/api/health").await;
    assert_eq!(state(&h)["state"], "healthy", "{h:#}");
    t.stop().await;
}
