//! Claude through a local server speaking Anthropic's Messages API.

use clubos_agent::llm::{AnthropicClassifier, AnthropicSettings};
use clubos_agent::{Classifier, ClassifyError, ClassifyRequest};
use clubos_domain::{Category, LocationId, Proposal};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn claude(server: &MockServer) -> AnthropicClassifier {
    AnthropicClassifier::new(AnthropicSettings {
        base_url: server.uri(),
        api_key: "sk-ant-test".into(),
        model: "claude-test".into(),
        max_tokens: 400,
    })
    .unwrap()
}

async fn classify(c: &AnthropicClassifier, text: &str) -> Result<clubos_agent::ClassifierOutput, ClassifyError> {
    let loc = LocationId::parse("bedford").unwrap();
    c.classify(&ClassifyRequest { text, location: &loc, booked_bay: None }).await
}

#[tokio::test]
async fn forces_the_tool_and_reads_the_tool_use_block() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
            "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": "operator_decision",
                "input": {"category": "access", "sub_intent": "door_wont_open", "confidence": 0.88, "action": "unlock_door"}}],
            "usage": {"input_tokens": 520, "output_tokens": 44}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let out = classify(&claude(&server), "cant get in the front door").await.unwrap();
    assert_eq!(out.classification.category, Some(Category::Access));
    assert_eq!(out.classification.proposal, Proposal::UnlockDoor { door: None });
    assert_eq!((out.tokens_in, out.tokens_out, out.model.as_str()), (520, 44, "claude-test"));
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["tool_choice"], json!({"type": "tool", "name": "operator_decision"}));
    assert_eq!(sent["tools"][0]["input_schema"]["required"], json!(["category", "confidence", "action"]));
    assert_eq!((sent["max_tokens"].as_u64(), sent["messages"][0]["role"].as_str()), (Some(400), Some("user")));
}

#[tokio::test]
async fn text_without_the_tool_and_api_errors_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"type": "text", "text": "Sure, I can help."}], "usage": {"input_tokens": 1, "output_tokens": 1}
        })))
        .mount(&server)
        .await;
    assert!(matches!(classify(&claude(&server), "x").await, Err(ClassifyError::InvalidOutput(_))));

    let overloaded = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529).set_body_json(json!({
            "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}
        })))
        .mount(&overloaded)
        .await;
    let err = classify(&claude(&overloaded), "x").await.unwrap_err();
    assert!(matches!(&err, ClassifyError::Provider(m) if m.contains("529") && m.contains("Overloaded")), "{err:?}");
}
