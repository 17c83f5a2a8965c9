//! End to end with a model: a signed webhook in, the local classifier
//! unsure, the OpenAI-compatible fake answers `operator_decision`, the
//! sandbox bay is reset and the customer gets the model's reply; and a
//! model that answers outside the contract is `llm_error`, never executed.

mod common;

use clubos_config::Config;
use clubos_connectors::sandbox::Call;
use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn decision(arguments: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "operator_decision", "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 350, "completion_tokens": 40, "total_tokens": 390}
    }))
}

async fn spawn_with_model(model: &MockServer) -> TestApp {
    spawn_with_model_and(model, "").await
}

/// `location_keys` go into the test location's table (e.g. its token caps).
async fn spawn_with_model_and(model: &MockServer, location_keys: &str) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "{location_keys}\n[limits]\nmax_tokens_per_response = 50\n\
         [[llm.prices]]\nmodel = \"gpt-test\"\ninput_usd_per_million = 2.0\noutput_usd_per_million = 8.0\n[llm.openai]\nbase_url = \"{}/v1\"\ncomplex_model = \"gpt-test\"\n",
        model.uri()
    );
    let text = config_text(dir.path(), &extra).replace("[agent]\n", "[agent]\nllm = \"openai\"\n");
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).unwrap_or_else(|e| panic!("config: {e}"));
    spawn_with(config, dir, Options::default()).await
}

#[tokio::test]
async fn an_unsure_local_reading_goes_to_the_model_which_resets_the_bay() {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(decision(r#"{"category":"tech","sub_intent":"trackman_frozen","confidence":0.95,"action":"reset_trackman","bay":2,"reply":"Resetting your simulator now, give it a minute."}"#))
        .expect(1)
        .mount(&model)
        .await;
    let t = spawn_with_model(&model).await;
    t.book("+19025550171", 2).await;
    let (_, ack) = t.text("+19025550171", "zxqv the thingy is plorping").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = &th["decisions"][0];
    assert_eq!((d["verdict"].as_str(), d["model"].as_str()), (Some("execute"), Some("gpt-test")), "{th:#}");
    assert_eq!((d["tokens_in"].as_u64(), d["tokens_out"].as_u64()), (Some(350), Some(40)));
    assert!(t.sandbox.calls().iter().any(|c| matches!(c, Call::ResetTrackman(_, bay) if bay.get() == 2)));
    let metrics = t.client.get(t.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let cost: f64 = metrics
        .lines()
        .find(|l| l.starts_with("clubos_llm_cost_usd_total{") && l.contains("model=\"gpt-test\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no cost metric in:\n{metrics}"));
    // 350 tokens in at $2 and 40 out at $8 per million.
    assert!((cost - 0.00102).abs() < 1e-12, "{cost}");
    t.stop().await;
}

#[tokio::test]
async fn a_model_answer_outside_the_contract_is_an_llm_error_and_nothing_runs() {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(decision(r#"{"category":"tech","confidence":7,"action":"reset_trackman","bay":2}"#))
        .mount(&model)
        .await;
    let t = spawn_with_model(&model).await;
    t.book("+19025550172", 2).await;
    let (_, ack) = t.text("+19025550172", "zxqv the thingy is plorping").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = &th["decisions"][0];
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("llm_error")), "{th:#}");
    assert!(!t.sandbox.calls().iter().any(|c| matches!(c, Call::ResetTrackman(..))), "nothing executed");
    t.stop().await;
}

fn usage(prompt: u32, completion: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "operator_decision",
             "arguments": r#"{"category":"faq","confidence":0.9,"action":"reply","reply":"We are open around the clock."}"#}}]}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion}
    }))
}

#[tokio::test]
async fn at_the_token_cap_the_model_is_not_called_and_a_human_gets_the_thread() {
    let model = MockServer::start().await;
    Mock::given(method("POST")).respond_with(usage(300, 40)).mount(&model).await;
    let t = spawn_with_model_and(&model, "daily_token_cap = 100").await;
    let (_, ack) = t.text("+19025550173", "zxqv the thingy is plorping").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = &th["decisions"][0];
    assert_eq!((d["verdict"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("token_cap")), "{th:#}");
    assert_eq!(th["status"], "awaiting_human");
    assert!(model.received_requests().await.unwrap().is_empty(), "no paid call past the cap");
    let (_, health) = t.get("/api/health").await;
    assert!(
        health["components"].as_array().unwrap().iter().any(|c| c["name"] == "llm" && c["state"] == "healthy"),
        "a spent budget is not a sick model: {health:#}"
    );
    t.stop().await;
}

#[tokio::test]
async fn crossing_80_percent_of_a_cap_alerts_the_operators() {
    let model = MockServer::start().await;
    Mock::given(method("POST")).respond_with(usage(800, 50)).mount(&model).await;
    let t = spawn_with_model_and(&model, "daily_token_cap = 1000").await;
    let (_, ack) = t.text("+19025550174", "zxqv the thingy is plorping").await;
    t.settled(thread_id(&ack), 1).await;
    let (_, notes) = t.get("/api/notifications").await;
    let alerts: Vec<&serde_json::Value> =
        notes["notifications"].as_array().unwrap().iter().filter(|n| n["kind"] == "token_budget").collect();
    assert_eq!(alerts.len(), 1, "{notes:#}");
    assert!(alerts[0]["title"].as_str().unwrap().contains("80% of the daily LLM token cap"), "{notes:#}");
    assert!(alerts[0]["body"].as_str().unwrap().contains("850 of 1000 tokens"));
    t.stop().await;
}
