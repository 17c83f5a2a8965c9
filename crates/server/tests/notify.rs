//! Notifications leave the app: Slack gets each once (against a local server
//! answering as Slack's incoming webhooks do); the on-call phone gets the
//! critical ones every 5 minutes until acknowledged (manual clock, no sleeps).

mod common;

use clubos_connectors::sandbox::Call;
use clubos_server::notifier;
use common::*;
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ON_CALL: &str = "+19025550199";

async fn spawn_notifying(slack: &MockServer) -> TestApp {
    spawn(Options {
        extra_toml: format!(
            "[notify.slack]\nwebhook_url_env = \"TEST_SLACK_URL\"\n[notify.sms]\non_call_number = \"{ON_CALL}\"\n"
        ),
        env: vec![("TEST_SLACK_URL", format!("{}/services/T0/B0/secret", slack.uri()))],
        serve: true,
        ..Options::default()
    })
    .await
}

fn texts_to_on_call(t: &TestApp) -> usize {
    t.sandbox.calls().iter().filter(|c| matches!(c, Call::Sms { to, .. } if to.as_str() == ON_CALL)).count()
}

#[tokio::test]
async fn an_emergency_reaches_slack_once_and_the_on_call_phone_until_acknowledged() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/secret"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let t = spawn_notifying(&slack).await;
    let (_, ack) = t.text("+19025550151", "there is SMOKE coming out of the projector in bay 2").await;
    t.settled(thread_id(&ack), 1).await;

    // The background notifier may already have run; a tick is idempotent.
    notifier::tick(&t.app).await.unwrap();
    notifier::tick(&t.app).await.unwrap();
    let posts: Vec<Value> = slack.received_requests().await.unwrap().iter().map(|r| r.body_json().unwrap()).collect();
    assert_eq!(posts.len(), 1, "once: {posts:#?}");
    let text = posts[0]["text"].as_str().unwrap();
    assert!(text.starts_with(":rotating_light: *") && text.contains("SMOKE"), "{text}");
    assert_eq!(texts_to_on_call(&t), 1, "texted once so far");

    t.clock.advance(SignedDuration::from_mins(4));
    notifier::tick(&t.app).await.unwrap();
    assert_eq!(texts_to_on_call(&t), 1, "not before 5 minutes");
    t.clock.advance(SignedDuration::from_mins(1));
    notifier::tick(&t.app).await.unwrap();
    assert_eq!(texts_to_on_call(&t), 2, "again after 5 minutes");

    let (_, notes) = t.get("/api/notifications").await;
    let id = notes["notifications"][0]["id"].as_i64().unwrap();
    let (status, _) = t.send(Method::POST, &format!("/api/notifications/{id}/ack"), json!({})).await;
    assert_eq!(status, 200);
    t.clock.advance(SignedDuration::from_mins(10));
    notifier::tick(&t.app).await.unwrap();
    assert_eq!(texts_to_on_call(&t), 2, "acknowledged: no more texts");
    assert_eq!(slack.received_requests().await.unwrap().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn a_removed_slack_webhook_is_given_up_not_retried_forever() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&slack)
        .await;
    let t = spawn_notifying(&slack).await;
    let (_, ack) = t.text("+19025550152", "asdfgh qwerty").await;
    t.settled(thread_id(&ack), 1).await;
    notifier::tick(&t.app).await.unwrap();
    let tries = slack.received_requests().await.unwrap().len();
    assert!(tries >= 1);
    t.clock.advance(SignedDuration::from_mins(30));
    notifier::tick(&t.app).await.unwrap();
    assert_eq!(slack.received_requests().await.unwrap().len(), tries, "given up after Slack said no_service");
    t.stop().await;
}
