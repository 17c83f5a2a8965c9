//! Replies through the live OpenPhone client, against a local server that
//! speaks OpenPhone's wire format: a signed webhook in, the SMS out.

mod common;

use clubos_config::Config;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn spawn_live(openphone: &MockServer) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(dir.path(), "").replace(
        "[connectors.openphone]\nmode = \"sandbox\"",
        &format!(
            "[connectors.openphone]\nmode = \"live\"\nbase_url = \"{}\"\napi_key_env = \"TEST_OPENPHONE_KEY\"",
            openphone.uri()
        ),
    );
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).unwrap_or_else(|e| panic!("config: {e}"));
    spawn_with(config, dir, Options::default()).await
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"data": {"id": "AC0001", "status": "queued"}}))
}

#[tokio::test]
async fn a_faq_reply_goes_out_through_openphone() {
    let openphone = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("authorization", OPENPHONE_KEY))
        .respond_with(accepted())
        .expect(1)
        .mount(&openphone)
        .await;
    let t = spawn_live(&openphone).await;
    let (status, ack) = t.text("+19025550131", "what are your hours?").await;
    assert_eq!(status, 200, "{ack}");
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["status"], "ai_resolved", "{th:#}");
    let sent: Vec<Value> =
        openphone.received_requests().await.unwrap().iter().map(|r| r.body_json().unwrap()).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["from"], "+19025550100", "the location's own number");
    assert_eq!(sent[0]["to"], json!(["+19025550131"]));
    let reply = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "send_reply").unwrap();
    assert_eq!(reply["status"], "success");
    assert_eq!(sent[0]["content"], reply["body"]);
    assert!(t.sandbox.calls().is_empty(), "nothing went to the sandbox");
    t.stop().await;
}

#[tokio::test]
async fn a_refused_reply_is_a_failed_action_and_a_human_is_told() {
    let openphone = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"message": "Invalid to", "status": 400})))
        .mount(&openphone)
        .await;
    let t = spawn_live(&openphone).await;
    let (_, ack) = t.text("+19025550132", "what are your hours?").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let reply = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "send_reply").unwrap();
    assert_eq!(reply["status"], "failed", "{th:#}");
    assert!(reply["error"].as_str().unwrap().contains("Invalid to"), "{reply:#}");
    assert_eq!(th["status"], "escalated");
    let (_, n) = t.get("/api/notifications").await;
    let n = &n["notifications"][0];
    assert_eq!((n["kind"].as_str(), n["severity"].as_str()), (Some("escalation"), Some("critical")), "{n:#}");
    assert!(n["body"].as_str().unwrap().contains("openphone refused the request"), "{n:#}");
    assert!(n["title"].as_str().unwrap().contains("action_failed"));
    t.stop().await;
}
