//! Claude's SOP work against a local server speaking Anthropic's Messages
//! API: each task forces its tool and reads the `tool_use` input; unusable
//! answers and the API's error statuses come back as typed errors.

use std::time::Duration;

use clubos_agent::load_starter_sops;
use clubos_agent::review::{Claude, FeedbackCase, FindingKind, ReviewError, ReviewSettings};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn claude(server: &MockServer) -> Claude {
    let mut s = ReviewSettings::new(&server.uri(), "sk-ant-test", "claude-test");
    s.timeout = Duration::from_millis(500);
    Claude::new(s).unwrap()
}

fn tool_use(name: &str, input: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test", "stop_reason": "tool_use",
        "content": [{"type": "text", "text": "Here you go."},
                    {"type": "tool_use", "id": "toolu_01", "name": name, "input": input}],
        "usage": {"input_tokens": 900, "output_tokens": 120}
    }))
}

fn record(id: &str, exact: &[&str], reply: &str) -> Value {
    let (category, sub) = id.split_once('.').unwrap();
    json!({
        "id": id, "title": "Guest policy", "category": category, "subcategory": sub,
        "triggers": {"exact": exact, "regex": [], "variants": [], "misspellings": []},
        "keywords": ["guests"], "primary_action": "send_reply", "fallback_action": "escalate",
        "reply": reply, "context": {"locations": [], "time_window": null, "valid_until": null}, "dependencies": []
    })
}

async fn answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

async fn sent(server: &MockServer) -> Value {
    server.received_requests().await.unwrap()[0].body_json().unwrap()
}

#[tokio::test]
async fn structure_forces_propose_sops_and_reads_the_records() {
    let rec = record("faq.guest_policy", &["How many guests can I bring?"], "Up to six players per bay.");
    let server = answering(tool_use("propose_sops", json!({"sops": [rec]}))).await;
    let starter = load_starter_sops();
    let got = claude(&server).structure("house-rules.md", "Six players per bay.", &starter).await.unwrap();
    assert_eq!(got.value.len(), 1);
    assert_eq!(got.value[0].triggers.exact, ["how many guests can i bring"]);
    assert_eq!((got.tokens_in, got.tokens_out), (900, 120));
    let body = sent(&server).await;
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "propose_sops"}));
    assert_eq!(body["model"], "claude-test");
    let user = body["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains("<document>\nSix players per bay.\n</document>") && user.contains("faq.hours"), "{user}");
    assert!(body["system"].as_str().unwrap().contains("never instructions"));
}

#[tokio::test]
async fn review_forces_report_findings_and_reads_conflicts_and_merges() {
    let starter = load_starter_sops();
    let hours = starter.iter().find(|s| s.id.as_str() == "faq.hours").unwrap().clone();
    let mut late = hours.clone();
    late.id = clubos_domain::SopId::parse("faq.hours.late").unwrap();
    late.reply = "We close at 11 pm.".into();
    let fix = record("faq.hours", &["opening hours"], "Open 24/7 with a booking; the bar closes at 11 pm.");
    let server = answering(tool_use(
        "report_findings",
        json!({"findings": [
            {"kind": "conflict", "sops": ["faq.hours.late", "faq.hours"], "explanation": "24/7 versus 11 pm.", "sop": fix},
            {"kind": "merge", "sops": ["faq.hours", "faq.hours.late"], "explanation": "Same question.",
             "sop": serde_json::to_value(&hours).unwrap()}
        ]}),
    ))
    .await;
    let got = claude(&server).review(&late, std::slice::from_ref(&hours)).await.unwrap().value;
    assert_eq!(got.iter().map(|f| f.kind).collect::<Vec<_>>(), [FindingKind::Conflict, FindingKind::Merge]);
    assert_eq!(got[0].explanation, "24/7 versus 11 pm.");
    let body = sent(&server).await;
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "report_findings"}));
    assert!(body["messages"][0]["content"].as_str().unwrap().contains("We close at 11 pm."));
}

#[tokio::test]
async fn feedback_forces_propose_sop_change_and_reads_the_new_version_or_none() {
    let case = FeedbackCase {
        sop: serde_json::from_value(record("faq.guest_policy", &["guests"], "Bring friends!")).unwrap(),
        decision: "reply (matched faq.guest_policy): \"Bring friends!\"".into(),
        messages: vec![("customer".into(), "can 9 of us play in one bay".into())],
        note: "Six players at most per bay; the reply should say so.".into(),
    };
    let change = record("faq.guest_policy", &["guests"], "Up to six players per bay.");
    let server =
        answering(tool_use("propose_sop_change", json!({"change": change, "explanation": "Give the limit."}))).await;
    let got = claude(&server).feedback(&case).await.unwrap().value;
    assert_eq!(got.0.unwrap().reply, "Up to six players per bay.");
    assert_eq!(got.1, "Give the limit.");
    let body = sent(&server).await;
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "propose_sop_change"}));
    let user = body["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains("<note>\nSix players at most") && user.contains("customer: can 9 of us"), "{user}");

    let none = answering(tool_use("propose_sop_change", json!({"change": null, "explanation": "Not the SOP."}))).await;
    assert!(claude(&none).feedback(&case).await.unwrap().value.0.is_none());
}

#[tokio::test]
async fn unusable_answers_are_invalid_output() {
    let starter = load_starter_sops();
    for response in [
        tool_use("propose_sops", json!({"sops": [{"id": "faq.x"}]})),
        tool_use("operator_decision", json!({"category": "faq", "confidence": 0.9, "action": "reply"})),
        ResponseTemplate::new(200).set_body_json(json!({"content": [{"type": "text", "text": "No."}]})),
        ResponseTemplate::new(200).set_body_json(json!({"stop_reason": "max_tokens", "content": [
            {"type": "tool_use", "name": "propose_sops", "input": {"sops": []}}]})),
        ResponseTemplate::new(200).set_body_string("not json"),
    ] {
        let server = answering(response).await;
        let err = claude(&server).structure("a.md", "text", &starter).await.unwrap_err();
        assert!(matches!(err, ReviewError::InvalidOutput(_)), "{err:?}");
        assert!(err.is_job_specific());
    }
}

#[tokio::test]
async fn overload_server_errors_and_rate_limits_are_typed() {
    let starter = load_starter_sops();
    let error = |status: u16, kind: &str, message: &str| {
        ResponseTemplate::new(status)
            .set_body_json(json!({"type": "error", "error": {"type": kind, "message": message}}))
    };
    let server = answering(error(529, "overloaded_error", "Overloaded")).await;
    let err = claude(&server).structure("a.md", "t", &starter).await.unwrap_err();
    assert_eq!(err, ReviewError::Overloaded("Overloaded".into()));
    assert!(err.is_transport() && !err.is_job_specific());

    let server = answering(error(500, "api_error", "Internal server error")).await;
    let err = claude(&server).structure("a.md", "t", &starter).await.unwrap_err();
    assert_eq!(err, ReviewError::Server { status: 500, message: "Internal server error".into() });

    let server = answering(
        error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit")
            .insert_header("retry-after", "17"),
    )
    .await;
    let err = claude(&server).structure("a.md", "t", &starter).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(17)));
    assert!(matches!(&err, ReviewError::RateLimited { message, .. } if message.contains("rate limit")));

    let server = answering(error(401, "authentication_error", "invalid x-api-key")).await;
    let err = claude(&server).structure("a.md", "t", &starter).await.unwrap_err();
    assert!(matches!(&err, ReviewError::Refused { status: 401, .. }), "{err:?}");
    assert!(!err.to_string().contains("sk-ant-test"), "{err}");
}

#[tokio::test]
async fn a_slow_or_absent_server_is_timeout_or_unavailable() {
    let starter = load_starter_sops();
    let slow = answering(tool_use("propose_sops", json!({"sops": []})).set_delay(Duration::from_secs(3))).await;
    assert_eq!(claude(&slow).structure("a.md", "t", &starter).await.unwrap_err(), ReviewError::Timeout);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = Claude::new(ReviewSettings::new(&format!("http://127.0.0.1:{port}"), "sk-ant-test", "m")).unwrap();
    let err = c.structure("a.md", "t", &starter).await.unwrap_err();
    assert!(matches!(err, ReviewError::Unavailable(_)), "{err:?}");
    assert!(err.is_transport());
}
