//! The OpenAI-compatible provider against a local server speaking the chat
//! completions wire format, and the tier in front of it.

use clubos_agent::llm::{OpenAiClassifier, OpenAiSettings, Tiered};
use clubos_agent::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
use clubos_domain::{BayNumber, Category, Classification, Confidence, LocationId, Proposal};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn completion(arguments: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_780_000_000, "model": "gpt-test",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "operator_decision", "arguments": arguments}}]}}],
        "usage": {"prompt_tokens": 412, "completion_tokens": 37, "total_tokens": 449}
    }))
}

fn provider(server: &MockServer, key: Option<&str>) -> OpenAiClassifier {
    OpenAiClassifier::new(OpenAiSettings {
        base_url: format!("{}/v1", server.uri()),
        api_key: key.map(str::to_owned),
        model: "gpt-test".into(),
        max_tokens: 300,
    })
    .unwrap()
}

async fn classify(c: &impl Classifier, text: &str) -> Result<ClassifierOutput, ClassifyError> {
    let loc = LocationId::parse("bedford").unwrap();
    c.classify(&ClassifyRequest { text, location: &loc, booked_bay: BayNumber::new(3).ok() }).await
}

#[tokio::test]
async fn forces_the_operator_decision_tool_and_reads_it_with_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(completion(r#"{"category":"tech","sub_intent":"trackman_frozen","confidence":0.91,"action":"reset_trackman","bay":3,"reply":"Resetting bay 3 now."}"#))
        .expect(1)
        .mount(&server)
        .await;
    let out = classify(&provider(&server, Some("sk-test")), "trackman stuck again, bay 3").await.unwrap();
    assert_eq!(out.classification.category, Some(Category::Tech));
    assert_eq!(out.classification.proposal, Proposal::ResetTrackman { bay: BayNumber::new(3).ok() });
    assert_eq!((out.model.as_str(), out.tokens_in, out.tokens_out, out.cached), ("gpt-test", 412, 37, false));
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["tool_choice"], json!({"type": "function", "function": {"name": "operator_decision"}}));
    assert_eq!(sent["tools"][0]["function"]["name"], "operator_decision");
    assert_eq!((sent["model"].as_str(), sent["max_tokens"].as_u64()), (Some("gpt-test"), Some(300)));
    assert_eq!(sent["messages"][1], json!({"role": "user", "content": "trackman stuck again, bay 3"}));
    assert!(sent["messages"][0]["content"].as_str().unwrap().contains("bay 3"), "the booking is in the prompt");
}

#[tokio::test]
async fn a_local_server_needs_no_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"category":"faq","confidence":0.8,"action":"reply","reply":"We are open 24/7."}"#))
        .mount(&server)
        .await;
    classify(&provider(&server, None), "are you open").await.unwrap();
    let req: &Request = &server.received_requests().await.unwrap()[0];
    assert!(!req.headers.contains_key("authorization"));
}

#[tokio::test]
async fn answers_outside_the_contract_are_llm_errors() {
    for (body, what) in [
        (
            ResponseTemplate::new(200).set_body_json(json!({"choices": [{"message": {"role": "assistant",
                "content": "I think you should reset it"}}]})),
            "no tool call",
        ),
        (completion(r#"{"category":"tech","confidence":1.5,"action":"none"}"#), "confidence"),
        (completion(r#"{"category":"golf","confidence":0.9,"action":"none"}"#), "category"),
        (completion("{not json"), "bad JSON"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(body).mount(&server).await;
        let err = classify(&provider(&server, None), "x").await.unwrap_err();
        assert!(matches!(err, ClassifyError::InvalidOutput(_)), "{what}: {err:?}");
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "Rate limit reached"}})))
        .mount(&server)
        .await;
    let err = classify(&provider(&server, None), "x").await.unwrap_err();
    assert!(matches!(&err, ClassifyError::Provider(m) if m.contains("429") && m.contains("Rate limit")), "{err:?}");
}

/// A local classifier that always answers with `confidence`.
#[derive(Debug)]
struct Local(f64);

#[async_trait::async_trait]
impl Classifier for Local {
    fn name(&self) -> &str {
        "local"
    }
    async fn classify(&self, _: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        Ok(ClassifierOutput {
            classification: Classification {
                category: Some(Category::Faq),
                sub_intent: None,
                confidence: Confidence::new(self.0).unwrap(),
                proposal: Proposal::Reply,
                reply: Some("local answer".into()),
                matched_sop: None,
            },
            model: "local".into(),
            tokens_in: 0,
            tokens_out: 0,
            cached: false,
        })
    }
}

#[tokio::test]
async fn the_model_is_asked_only_when_the_local_classifier_is_unsure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"category":"faq","confidence":0.9,"action":"reply","reply":"model answer"}"#))
        .mount(&server)
        .await;
    let sure = Tiered {
        local: Local(0.9),
        model: provider(&server, None),
        budget: None,
        max_output: 300,
        cache: None,
        cheap: None,
    };
    assert_eq!(classify(&sure, "hours?").await.unwrap().model, "local");
    assert!(server.received_requests().await.unwrap().is_empty(), "no tokens spent");
    let unsure = Tiered {
        local: Local(0.6),
        model: provider(&server, None),
        budget: None,
        max_output: 300,
        cache: None,
        cheap: None,
    };
    let out = classify(&unsure, "hours?").await.unwrap();
    assert_eq!((out.model.as_str(), out.classification.reply.as_deref()), ("gpt-test", Some("model answer")));
}

/// A budget that allows up to `left` tokens and records what was settled.
#[derive(Debug)]
struct Budget {
    left: u32,
    settled: std::sync::Mutex<Vec<(u32, u32)>>,
}

#[async_trait::async_trait]
impl clubos_agent::llm::TokenBudget for Budget {
    async fn reserve(&self, _: &LocationId, estimate: u32) -> Result<(), clubos_agent::llm::Refused> {
        if estimate > self.left {
            return Err(clubos_agent::llm::Refused(format!("daily cap: {estimate} > {}", self.left)));
        }
        Ok(())
    }
    async fn settle(&self, _: &LocationId, estimate: u32, used: u32) {
        self.settled.lock().unwrap().push((estimate, used));
    }
}

#[tokio::test]
async fn a_model_call_must_fit_the_token_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"category":"faq","confidence":0.9,"action":"reply","reply":"model answer"}"#))
        .mount(&server)
        .await;
    let roomy = std::sync::Arc::new(Budget { left: 10_000, settled: Default::default() });
    let tier = Tiered {
        local: Local(0.5),
        model: provider(&server, None),
        budget: Some(roomy.clone()),
        max_output: 300,
        cache: None,
        cheap: None,
    };
    classify(&tier, "hours?").await.unwrap();
    let settled = roomy.settled.lock().unwrap().clone();
    assert_eq!(settled.len(), 1);
    assert!(settled[0].0 >= 300, "the reservation covers the whole answer: {settled:?}");
    assert_eq!(settled[0].1, 449, "settled with the provider's usage");

    let spent = std::sync::Arc::new(Budget { left: 100, settled: Default::default() });
    let tier = Tiered {
        local: Local(0.5),
        model: provider(&server, None),
        budget: Some(spent.clone()),
        max_output: 300,
        cache: None,
        cheap: None,
    };
    let err = classify(&tier, "hours?").await.unwrap_err();
    assert!(matches!(&err, ClassifyError::TokenCap(m) if m.contains("daily cap")), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "no call past the cap");
    let sure = Tiered {
        local: Local(0.95),
        model: provider(&server, None),
        budget: Some(spent),
        max_output: 300,
        cache: None,
        cheap: None,
    };
    assert_eq!(classify(&sure, "hours?").await.unwrap().model, "local", "the local tier still answers at the cap");
}

#[tokio::test]
async fn a_repeated_faq_text_is_answered_from_the_cache_without_a_paid_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(
            r#"{"category":"faq","sub_intent":"hours","confidence":0.9,"action":"reply","reply":"Open 24/7."}"#,
        ))
        .mount(&server)
        .await;
    let tier = Tiered {
        local: Local(0.5),
        model: provider(&server, None),
        budget: None,
        max_output: 300,
        cache: Some(clubos_agent::llm::AnswerCache::new("sops-v1")),
        cheap: None,
    };
    let first = classify(&tier, "Are you open late tonight?").await.unwrap();
    assert_eq!((first.cached, first.tokens_in), (false, 412));
    let again = classify(&tier, "are you open late tonight").await.unwrap();
    assert_eq!((again.cached, again.tokens_in, again.tokens_out), (true, 0, 0));
    assert_eq!(again.classification, first.classification);
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "one paid call");
}

#[derive(Debug)]
struct FaqIsCheap;

impl clubos_agent::llm::CheapChoice for FaqIsCheap {
    fn use_cheaper(&self, category: Category) -> bool {
        category == Category::Faq
    }
}

#[tokio::test]
async fn categories_marked_use_cheaper_model_go_to_the_cheap_model() {
    let complex = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"category":"faq","confidence":0.9,"action":"reply","reply":"complex"}"#))
        .mount(&complex)
        .await;
    let cheap = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"category":"faq","confidence":0.9,"action":"reply","reply":"cheap"}"#))
        .mount(&cheap)
        .await;
    let choice: std::sync::Arc<dyn clubos_agent::llm::CheapChoice> = std::sync::Arc::new(FaqIsCheap);
    let tier = Tiered {
        local: Local(0.5), // an unsure FAQ reading
        model: provider(&complex, None),
        budget: None,
        max_output: 300,
        cache: None,
        cheap: Some((provider(&cheap, None), choice)),
    };
    let out = classify(&tier, "hours?").await.unwrap();
    assert_eq!(out.classification.reply.as_deref(), Some("cheap"));
    assert!(complex.received_requests().await.unwrap().is_empty());
}
