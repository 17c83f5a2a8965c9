//! Claude's SOP work through the real server against a local server
//! speaking Anthropic's Messages API: an upload is structured by Claude as
//! well as locally; while Claude answers 529 the jobs wait in order, one
//! "Knowledge review degraded" notice is raised and customers are still
//! answered; when it is back the queue drains in order and the notice is
//! cleared, even under 600 newer notifications; a flagged thread
//! gives a feedback proposal, whose acceptance queues a conflict review.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clubos_agent::load_starter_sops;
use clubos_store::{NewNotification, ReviewStatus, Severity};
use common::*;
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn record(id: &str, exact: &[&str], keywords: &[&str], reply: &str) -> Value {
    let (category, sub) = id.split_once('.').unwrap();
    json!({
        "id": id, "title": sub.replace('_', " "), "category": category, "subcategory": sub,
        "triggers": {"exact": exact, "regex": [], "variants": [], "misspellings": []},
        "keywords": keywords, "primary_action": "send_reply", "fallback_action": "escalate", "reply": reply,
        "context": {"locations": [], "time_window": null, "valid_until": null}, "dependencies": []
    })
}

fn hours_with(reply: &str, keywords: Option<&[&str]>) -> Value {
    let starter = load_starter_sops();
    let mut hours = serde_json::to_value(starter.iter().find(|s| s.id.as_str() == "faq.hours").unwrap()).unwrap();
    hours["reply"] = json!(reply);
    if let Some(k) = keywords {
        hours["keywords"] = json!(k);
    }
    hours
}

/// Claude as the tests need it: 529 while `up` is false; else the forced
/// tool's answer, chosen by tool and document.
fn claude(up: Arc<AtomicBool>) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static {
    move |req: &Request| {
        if !up.load(Ordering::SeqCst) {
            return ResponseTemplate::new(529).set_body_json(
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            );
        }
        let body: Value = req.body_json().unwrap();
        let tool = body["tool_choice"]["name"].as_str().unwrap().to_owned();
        let user = body["messages"][0]["content"].as_str().unwrap_or_default();
        let input = match tool.as_str() {
            "propose_sops" if user.contains("parking.md") => json!({"sops": [record(
                "faq.overnight_parking", &["can i park overnight"], &["overnight"],
                "Cars may stay overnight in the back row of the lot.")]}),
            "propose_sops" => json!({"sops": [record(
                "faq.guest_policy", &["how many guests can i bring", "can i bring friends"], &["guests"],
                "Each bay takes up to six players; guests come with the person who booked.")]}),
            "propose_sop_change" => json!({
                "change": hours_with("We're open 24/7 with a booking; the lounge closes at 11 pm.", None),
                "explanation": "The customer asked about the lounge; say when it closes."}),
            "report_findings" => json!({"findings": [{
                "kind": "conflict", "sops": ["faq.hours", "access.door_wont_lock"],
                "explanation": "`close` sends door complaints to the hours reply.",
                "sop": hours_with("We're open 24/7 with a booking; the lounge closes at 11 pm.", Some(&["hours", "opening"]))}]}),
            other => panic!("unexpected tool {other}"),
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test", "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": "toolu_01", "name": tool, "input": input}],
            "usage": {"input_tokens": 1200, "output_tokens": 300}
        }))
    }
}

async fn with_claude(up: bool) -> (TestApp, MockServer, Arc<AtomicBool>) {
    let server = MockServer::start().await;
    let flag = Arc::new(AtomicBool::new(up));
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .respond_with(claude(flag.clone()))
        .mount(&server)
        .await;
    let extra = format!(
        "[llm.anthropic]\nbase_url = \"{}\"\napi_key_env = \"TEST_ANTHROPIC_KEY\"\nmodel = \"claude-test\"\n",
        server.uri()
    );
    let t = spawn(Options {
        extra_toml: extra,
        env: vec![("TEST_ANTHROPIC_KEY", "sk-ant-test".into())],
        ..Options::default()
    })
    .await;
    (t, server, flag)
}

async fn upload(t: &TestApp, name: &str, text: &str) -> Value {
    let (status, body) = t.upload_file(name, "text/markdown", text).await;
    assert_eq!(status, 200, "{body:#}");
    body
}

/// Polls `probe` until it gives something (at most ~10 s).
async fn until<T, F, Fut>(what: &str, probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..400 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn claude_proposals(t: &TestApp) -> Vec<Value> {
    let (_, list) = t.get("/api/knowledge/proposals?status=all").await;
    let mut out: Vec<Value> =
        list["proposals"].as_array().unwrap().iter().filter(|p| p["proposed_by"] == "claude").cloned().collect();
    out.sort_by_key(|p| p["id"].as_i64());
    out
}

async fn attempts(t: &TestApp, job: i64) -> u32 {
    t.app.store.review_job(job).await.unwrap().unwrap().attempts
}

const GUESTS: &str = "## Guest policy\n\nEach bay takes up to six players.\n\n- How many guests can I bring?\n";
const PARKING: &str = "## Overnight parking\n\nCars may stay overnight in the back row.\n\n- Can I park overnight?\n";

#[tokio::test]
async fn an_upload_is_structured_by_claude_besides_the_local_drafts() {
    let (t, server, _) = with_claude(true).await;
    let up = upload(&t, "guests.md", GUESTS).await;
    let local = up["proposals"][0].as_i64().unwrap();
    assert_eq!(up["claude_jobs"].as_array().unwrap().len(), 1, "{up:#}");

    let got = until("Claude's proposal", || async { claude_proposals(&t).await.into_iter().next() }).await;
    assert_eq!(got["sop_id"], "faq.guest_policy");
    assert_eq!(got["status"], "pending", "never active without a human");
    assert!(got["source"].as_str().unwrap().starts_with("claude: structure job #"), "{got:#}");
    let warnings = got["warnings"].to_string();
    assert!(warnings.contains(&format!("proposal #{local} (local-ingest) also proposes faq.guest_policy")), "{got:#}");
    assert!(got["diff"].as_array().unwrap().iter().any(|d| d["field"] == "reply"), "{got:#}");

    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["tool_choice"], json!({"type": "tool", "name": "propose_sops"}));
    assert!(sent["messages"][0]["content"].as_str().unwrap().contains("up to six players"));
    let (_, health) = t.get("/api/health").await;
    let c = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "claude").cloned().unwrap();
    assert_eq!(c["state"], "healthy");
    t.stop().await;
}

#[tokio::test]
async fn while_claude_is_overloaded_jobs_wait_in_order_and_customers_are_answered() {
    let (t, _server, up) = with_claude(false).await;
    let first = upload(&t, "guests.md", GUESTS).await["claude_jobs"][0].as_i64().unwrap();
    let second = upload(&t, "parking.md", PARKING).await["claude_jobs"][0].as_i64().unwrap();

    // Three 529s in a row: the first job is retried with backoff, the second waits behind it.
    for (n, wait) in [(1, 0), (2, 30), (3, 60)] {
        t.clock.advance(SignedDuration::from_secs(wait));
        t.app.review.wake();
        until("a failed attempt", || async { (attempts(&t, first).await >= n).then_some(()) }).await;
    }
    let head = t.app.store.review_job(first).await.unwrap().unwrap();
    assert_eq!(head.status, ReviewStatus::Queued);
    assert!(head.last_error.as_deref().unwrap().contains("overloaded"), "{head:?}");
    assert_eq!(head.next_at, t.clock.now_ts() + SignedDuration::from_secs(120), "30 s, 1 min, then 2 min");
    let behind = t.app.store.review_job(second).await.unwrap().unwrap();
    assert_eq!((behind.status, behind.attempts), (ReviewStatus::Queued, 0), "it keeps its place behind the first");
    assert!(claude_proposals(&t).await.is_empty());

    let (_, notes) = t.get("/api/notifications").await;
    let degraded: Vec<&Value> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["title"] == "Knowledge review degraded")
        .collect();
    assert_eq!(degraded.len(), 1, "one notice per outage: {notes:#}");
    let (_, health) = t.get("/api/health").await;
    let c = health["components"].as_array().unwrap().iter().find(|c| c["name"] == "claude").cloned().unwrap();
    assert_eq!(c["state"], "down", "{c}");
    assert!(c["last_error"].as_str().unwrap().contains("Overloaded"));

    // Answering customers does not depend on Claude.
    let (_, ack) = t.text("+19025550401", "what are your hours?").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(
        (th["decisions"][0]["verdict"].as_str(), th["decisions"][0]["matched_sop"].as_str()),
        (Some("reply"), Some("faq.hours"))
    );
    assert!(
        th["actions"].as_array().unwrap().iter().any(|a| a["kind"] == "send_reply" && a["status"] == "success"),
        "{th:#}"
    );

    // Escalations keep coming during the outage: 600 newer notifications
    // bury the notice below the newest 500; it must still be cleared.
    for i in 0..600 {
        let n = NewNotification {
            kind: "escalation".into(),
            severity: Severity::Warning,
            thread_id: None,
            title: format!("Thread #{i} needs a human"),
            body: "flood".into(),
            dedupe_key: None,
        };
        t.app.store.notify(n, t.clock.now_ts()).await.unwrap();
    }

    // Claude is back: the queue drains in order.
    up.store(true, Ordering::SeqCst);
    t.clock.advance(SignedDuration::from_secs(120));
    t.app.review.wake();
    until("the queue to drain", || async { (t.app.store.review_waiting().await.unwrap() == 0).then_some(()) }).await;
    let got = claude_proposals(&t).await;
    let ids: Vec<&str> = got.iter().map(|p| p["sop_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["faq.guest_policy", "faq.overnight_parking"], "in the order uploaded");
    assert!(got[0]["source"].as_str().unwrap().contains(&format!("job #{first}")));
    assert!(got[1]["source"].as_str().unwrap().contains(&format!("job #{second}")));

    let restored = until("the recovery note", || async {
        let (_, notes) = t.get("/api/notifications").await;
        let list = notes["notifications"].as_array().cloned().unwrap_or_default();
        list.iter().any(|n| n["title"] == "Knowledge review restored").then_some(list)
    })
    .await;
    assert!(restored.iter().all(|n| n["title"] != "Knowledge review degraded"), "buried below the newest 500");
    let open = t.app.store.open_notification("knowledge_review_degraded").await.unwrap();
    assert_eq!(open, None, "the notice is cleared");
    let (_, health) = t.get("/api/health").await;
    assert!(health["components"].as_array().unwrap().iter().any(|c| c["name"] == "claude" && c["state"] == "healthy"));
    t.stop().await;
}

#[tokio::test]
async fn a_flagged_thread_gives_a_feedback_proposal_and_its_acceptance_a_review() {
    let (t, server, _) = with_claude(true).await;
    let (_, ack) = t.text("+19025550402", "what time does the lounge close").await;
    let tid = thread_id(&ack);
    let th = t.settled(tid, 1).await;
    assert_eq!(th["decisions"][0]["matched_sop"], "faq.hours", "{th:#}");

    let note = "They asked about the lounge, not the doors; the reply should say the lounge closes at 11 pm.";
    let (status, flagged) = t.send(Method::POST, &format!("/api/threads/{tid}/flag"), json!({"note": note})).await;
    assert_eq!(status, 200, "{flagged:#}");
    assert_eq!((flagged["sop_id"].as_str(), flagged["status"].as_str()), (Some("faq.hours"), Some("queued")));

    let change = until("the feedback proposal", || async { claude_proposals(&t).await.into_iter().next() }).await;
    assert_eq!(change["sop_id"], "faq.hours");
    assert!(change["source"].as_str().unwrap().contains(&format!("feedback job #{} on thread #{tid}", flagged["job"])));
    assert!(change["warnings"][0].as_str().unwrap().starts_with("Claude: The customer asked about the lounge"));
    assert_eq!(change["current_version"], 1);
    let sent: Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    let user = sent["messages"][0]["content"].as_str().unwrap();
    assert!(user.contains(note) && user.contains("customer: what time does the lounge close"), "{user}");
    assert!(!user.contains("555"), "no phone numbers go to Claude: {user}");
    let audit = t.app.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "thread.flag" && a.subject == format!("thread:{tid}")));

    // Accepting it makes faq.hours v2, which shares the keyword `close` with
    // access.door_wont_lock: Claude reviews the pair and proposes a fix.
    let pid = change["id"].as_i64().unwrap();
    let (status, ok) = t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({})).await;
    assert_eq!(status, 200, "{ok:#}");
    let fix = until("the conflict proposal", || async { claude_proposals(&t).await.into_iter().nth(1) }).await;
    assert_eq!((fix["sop_id"].as_str(), fix["status"].as_str()), (Some("faq.hours"), Some("pending")));
    let source = fix["source"].as_str().unwrap();
    assert!(source.contains(&format!("after proposal #{pid} made faq.hours v2 active")), "{source}");
    assert!(source.contains("conflict of faq.hours and access.door_wont_lock"), "{source}");
    assert!(fix["diff"].as_array().unwrap().iter().any(|d| d["field"] == "keywords"), "{fix:#}");
    t.stop().await;
}

#[tokio::test]
async fn a_flag_needs_claude_a_note_and_an_sop() {
    let t = spawn(Options::default()).await;
    let (_, ack) = t.text("+19025550403", "what are your hours").await;
    let tid = thread_id(&ack);
    t.settled(tid, 1).await;
    let (status, body) = t.send(Method::POST, &format!("/api/threads/{tid}/flag"), json!({"note": "wrong"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("[llm.anthropic]"), "{body}");
    t.stop().await;

    let (t, _server, _) = with_claude(true).await;
    let (status, _) = t.send(Method::POST, "/api/threads/999/flag", json!({"note": "wrong"})).await;
    assert_eq!(status, 404);
    let (_, ack) = t.text("+19025550404", "asdf qwerty zxcv").await;
    let tid = thread_id(&ack);
    t.settled(tid, 1).await;
    let (status, _) = t.send(Method::POST, &format!("/api/threads/{tid}/flag"), json!({"note": " "})).await;
    assert_eq!(status, 400);
    let (status, body) = t.send(Method::POST, &format!("/api/threads/{tid}/flag"), json!({"note": "no answer"})).await;
    assert_eq!(status, 409, "no SOP was applied: {body}");
    t.stop().await;
}
