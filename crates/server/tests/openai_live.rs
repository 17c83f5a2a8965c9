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
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(
        dir.path(),
        &format!("[llm.openai]\nbase_url = \"{}/v1\"\ncomplex_model = \"gpt-test\"\n", model.uri()),
    )
    .replace("[agent]\n", "[agent]\nllm = \"openai\"\n");
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
