//! End to end through every live client at once, each against a local
//! server speaking its vendor's wire format: a signed OpenPhone webhook in →
//! the OpenAI-compatible fake answers `operator_decision` → the NinjaOne fake
//! receives the script run → the OpenPhone fake receives the reply. And the
//! failure paths: the model hangs (a human gets the thread, nothing runs);
//! NinjaOne answers 500 (the action fails, the thread is escalated, an
//! operator is notified); the model failing repeatedly (its breaker opens).

mod common;

use std::time::Duration;

use clubos_config::Config;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FUTURE: f64 = 4_102_444_800.0;

struct Fakes {
    model: MockServer,
    ninja: MockServer,
    openphone: MockServer,
}

impl Fakes {
    async fn start() -> Self {
        let f = Self {
            model: MockServer::start().await,
            ninja: MockServer::start().await,
            openphone: MockServer::start().await,
        };
        Mock::given(method("POST"))
            .and(path("/ws/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "ninja-tok", "expires_in": 3600, "token_type": "Bearer", "scope": "monitoring management control"}),
            ))
            .mount(&f.ninja)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/device/202"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"id": 202, "offline": false, "lastContact": FUTURE})),
            )
            .mount(&f.ninja)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .and(header("authorization", OPENPHONE_KEY))
            .respond_with(
                ResponseTemplate::new(202).set_body_json(json!({"data": {"id": "AC0002", "status": "queued"}})),
            )
            .mount(&f.openphone)
            .await;
        f
    }

    async fn spawn(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let extra = format!("[llm.openai]\nbase_url = \"{}/v1\"\ncomplex_model = \"gpt-test\"\n", self.model.uri());
        let text = config_text(dir.path(), &extra)
            .replace("[agent]\n", "[agent]\nllm = \"openai\"\n")
            .replace(
                "[connectors.openphone]\nmode = \"sandbox\"",
                &format!(
                    "[connectors.openphone]\nmode = \"live\"\nbase_url = \"{}\"\napi_key_env = \"TEST_OPENPHONE_KEY\"",
                    self.openphone.uri()
                ),
            )
            .replace(
                "[connectors.ninjaone]\nmode = \"sandbox\"",
                &format!(
                    "[connectors.ninjaone]\nmode = \"live\"\nbase_url = \"{}\"\nclient_id_env = \"TEST_NINJA_ID\"\n\
                     client_secret_env = \"TEST_NINJA_SECRET\"\nreset_script_id = 42\nreset_script_parameters = \"-Restart\"",
                    self.ninja.uri()
                ),
            )
            .replace(
                "bays = [{ number = 1 }, { number = 2 }, { number = 3 }, { number = 4 }]",
                "bays = [{ number = 1, ninjaone_device_id = 201 }, { number = 2, ninjaone_device_id = 202 }, \
                 { number = 3, ninjaone_device_id = 203 }, { number = 4, ninjaone_device_id = 204 }]",
            )
            .replace("reset_trackman_seconds = 1", "reset_trackman_seconds = 5");
        let config = Config::parse(&text, &dir.path().join("clubos.toml")).unwrap_or_else(|e| panic!("config: {e}"));
        let env = vec![("TEST_NINJA_ID", "ninja-client".to_owned()), ("TEST_NINJA_SECRET", "ninja-secret".to_owned())];
        spawn_with(config, dir, Options { env, ..Options::default() }).await
    }

    async fn sms(&self) -> Vec<Value> {
        self.openphone.received_requests().await.unwrap().iter().map(|r| r.body_json().unwrap()).collect()
    }

    async fn script_runs(&self) -> Vec<Value> {
        let reqs = self.ninja.received_requests().await.unwrap();
        reqs.iter().filter(|r| r.url.path().ends_with("/script/run")).map(|r| r.body_json().unwrap()).collect()
    }
}

fn decision(arguments: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "operator_decision", "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 320, "completion_tokens": 45, "total_tokens": 365}
    }))
}

const RESET_BAY_2: &str = r#"{"category":"tech","sub_intent":"trackman_frozen","confidence":0.95,"action":"reset_trackman","bay":2,"reply":"Restarting the simulator in bay 2 now."}"#;

#[tokio::test]
async fn webhook_model_ninjaone_and_openphone_end_to_end() {
    let f = Fakes::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(decision(RESET_BAY_2))
        .expect(1)
        .mount(&f.model)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/device/202/script/run"))
        .and(header("authorization", "Bearer ninja-tok"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&f.ninja)
        .await;
    let t = f.spawn().await;
    t.book("+19025550181", 2).await;
    let (status, ack) = t.text("+19025550181", "zxqv the thingy is plorping").await;
    assert_eq!(status, 200, "{ack}");
    let th = t.settled(thread_id(&ack), 1).await;
    let d = &th["decisions"][0];
    assert_eq!((d["verdict"].as_str(), d["model"].as_str()), (Some("execute"), Some("gpt-test")), "{th:#}");
    let by_kind = |k: &str| th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == k).cloned();
    let reset = by_kind("reset_trackman").unwrap_or_else(|| panic!("no reset: {th:#}"));
    assert_eq!((reset["target"].as_str(), reset["status"].as_str()), (Some("bay:2"), Some("success")), "{th:#}");
    assert_eq!(
        f.script_runs().await,
        vec![json!({"type": "SCRIPT", "id": 42, "parameters": "-Restart", "runAs": "system"})]
    );
    let sms = f.sms().await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!((sms[0]["to"].clone(), sms[0]["from"].as_str()), (json!(["+19025550181"]), Some("+19025550100")));
    assert_eq!(sms[0]["content"], "Restarting the simulator in bay 2 now.");
    assert!(t.sandbox.calls().is_empty(), "nothing went to the sandbox");
    t.stop().await;
}

#[tokio::test]
async fn a_hanging_model_hands_the_thread_to_a_human_and_nothing_runs() {
    let f = Fakes::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(decision(RESET_BAY_2).set_delay(Duration::from_secs(30)))
        .mount(&f.model)
        .await;
    let t = f.spawn().await;
    t.book("+19025550182", 2).await;
    let (_, ack) = t.text("+19025550182", "zxqv the thingy is plorping").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["decisions"][0]["verdict"], "escalate", "{th:#}");
    assert_eq!(th["status"], "awaiting_human", "{th:#}");
    assert!(f.script_runs().await.is_empty(), "no device call on a model that never answered");
    let (_, health) = t.get("/api/health").await;
    let llm = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "llm").cloned();
    assert!(llm.is_some_and(|c| c["state"] != "healthy"), "the model shows as degraded: {health:#}");
    t.stop().await;
}

#[tokio::test]
async fn a_ninjaone_500_fails_the_action_escalates_and_notifies() {
    let f = Fakes::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(decision(RESET_BAY_2))
        .mount(&f.model)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/device/202/script/run"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"resultCode": "FAILURE", "errorMessage": "Device agent did not accept the script", "incidentId": "inc-1"}),
        ))
        .expect(1)
        .mount(&f.ninja)
        .await;
    let t = f.spawn().await;
    t.book("+19025550183", 2).await;
    let (_, ack) = t.text("+19025550183", "zxqv the thingy is plorping").await;
    let id = thread_id(&ack);
    let th = t.settled(id, 2).await;
    let reset = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "reset_trackman").cloned().unwrap();
    assert_eq!(reset["status"], "failed", "{th:#}");
    assert!(reset["error"].as_str().unwrap().contains("Device agent did not accept the script"), "{th:#}");
    assert_eq!(th["status"], "escalated", "{th:#}");
    let (_, notes) = t.get("/api/notifications").await;
    assert!(
        notes["notifications"].as_array().unwrap().iter().any(|n| n["thread_id"] == id && n["severity"] == "critical"),
        "{notes:#}"
    );
    let (_, health) = t.get("/api/health").await;
    let ninja = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "ninjaone").cloned().unwrap();
    assert_ne!(ninja["state"], "healthy", "{health:#}");
    t.stop().await;
}

#[tokio::test]
async fn a_failing_model_opens_its_breaker_and_later_texts_skip_it() {
    let f = Fakes::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"error": {"message": "overloaded", "type": "server_error"}})),
        )
        .mount(&f.model)
        .await;
    let t = f.spawn().await;
    for i in 0..5 {
        let (_, ack) = t.text(&format!("+1902555019{i}"), "zxqv the thingy is plorping").await;
        let th = t.settled(thread_id(&ack), 1).await;
        assert_eq!(th["status"], "awaiting_human", "{th:#}");
    }
    // The provider is called three times (OPEN_AFTER), then not for a pause.
    assert_eq!(f.model.received_requests().await.unwrap().len(), 3);
    let (_, health) = t.get("/api/health").await;
    let llm = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "llm").cloned().unwrap();
    assert_eq!(llm["state"], "down", "{health:#}");
    assert!(llm["last_error"].as_str().unwrap().contains("circuit open"), "{health:#}");
    t.stop().await;
}
