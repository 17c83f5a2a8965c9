//! The Slack incoming-webhook client against a local server answering as
//! Slack does (`ok`, error words, 429 with Retry-After).

use std::time::Duration;

use clubos_connectors::http::ApiKey;
use clubos_connectors::slack::SlackWebhook;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK: &str = "/services/T000/B000/XXXXXXXX";

fn hook(server: &MockServer) -> SlackWebhook {
    SlackWebhook::new(ApiKey::new(format!("{}{HOOK}", server.uri()))).unwrap()
}

#[tokio::test]
async fn posts_text_and_reads_slacks_answers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .and(body_json(json!({"text": "*Thread #4 needs a human*\nsummary"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    hook(&server).post("*Thread #4 needs a human*\nsummary").await.unwrap();
}

#[tokio::test]
async fn errors_say_whether_to_try_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7").set_body_string("rate_limited"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let h = hook(&server);
    let e = h.post("x").await.unwrap_err();
    assert_eq!(e.retry_in, Some(Duration::from_secs(7)));
    let e = h.post("x").await.unwrap_err();
    assert_eq!(e.retry_in, None, "a removed webhook will not come back");
    assert!(e.message.contains("no_service"));
    assert!(!format!("{h:?}{e}").contains("XXXXXXXX"), "the webhook URL is a secret");
}
