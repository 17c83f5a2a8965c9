//! The customer data lifecycle through the real server: the admin API's
//! export and forget, and the retention pass.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

const PAT: &str = "+19025550301";
const LEE: &str = "+19025550302";

#[tokio::test]
async fn an_admin_exports_then_forgets_one_customer() {
    let t = spawn(Options::default()).await;
    t.book(PAT, 2).await;
    let (status, _) = t.send(Method::PUT, &format!("/api/customers/{PAT}"), json!({"name": "Pat Example"})).await;
    assert_eq!(status, 200);
    let (_, ack) = t.text(PAT, "bay 2 trackman is frozen").await;
    let pat = thread_id(&ack);
    // The reset, then the reply that reports it: wait for both, or the
    // snapshot can be taken between them.
    let pat_thread = t
        .wait_thread(pat, |t| {
            t["decisions"].as_array().is_some_and(|d| !d.is_empty())
                && t["actions"].as_array().is_some_and(|a| a.len() >= 2 && a.iter().all(|a| a["status"] != "pending"))
        })
        .await;
    let (_, ack) = t.text(LEE, "what are your hours").await;
    let lee = thread_id(&ack);
    t.settled(lee, 1).await;

    // Export, by any common way of writing the number.
    let (status, data) = t.get("/api/customers/(902)%20555-0301/export").await;
    assert_eq!(status, 200, "{data}");
    assert_eq!(data["phone"], PAT);
    assert_eq!(data["customer"]["name"], "Pat Example");
    assert_eq!(data["bookings"].as_array().unwrap().len(), 1);
    let threads = data["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0]["id"], pat);
    assert_eq!(threads[0]["messages"][0]["body"], "bay 2 trackman is frozen");
    assert_eq!(threads[0]["decisions"], pat_thread["decisions"]);
    let (status, err) = t.get("/api/customers/not-a-phone/export").await;
    assert_eq!(status, 400, "{err}");

    // Forget.
    let (status, done) = t.send(Method::DELETE, &format!("/api/customers/{PAT}"), json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["threads"], json!([pat]));
    assert_eq!((done["bookings"].as_u64(), done["customer"].as_bool()), (Some(1), Some(true)));
    let reference = done["customer_ref"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("hmac-sha256:"), "{reference}");

    let (_, th) = t.get(&format!("/api/threads/{pat}")).await;
    assert_eq!(th["customer_phone"], serde_json::Value::Null);
    assert!(th["messages"].as_array().unwrap().iter().all(|m| m["body"] == "[redacted]"), "{th:#}");
    assert_eq!(th["decisions"].as_array().unwrap().len(), pat_thread["decisions"].as_array().unwrap().len());
    assert_eq!(th["decisions"][0]["category"], pat_thread["decisions"][0]["category"], "decisions stay for audit");
    assert_eq!(th["actions"].as_array().unwrap().len(), pat_thread["actions"].as_array().unwrap().len());
    let (_, listed) = t.get("/api/threads?phone=%2B19025550301").await;
    assert_eq!(listed["threads"], json!([]));
    let (_, again) = t.get(&format!("/api/customers/{PAT}/export")).await;
    assert_eq!((again["threads"].as_array().map(Vec::len), again["customer"].is_null()), (Some(0), true));
    // Lee is untouched.
    let (_, other) = t.get(&format!("/api/threads/{lee}")).await;
    assert_eq!(
        (other["customer_phone"].as_str(), other["messages"][0]["body"].as_str()),
        (Some(LEE), Some("what are your hours"))
    );

    // The audit log records the forget and the exports by reference, never the number.
    let log = t.app.store.audit_log(100).await.unwrap();
    let forget = log.iter().find(|a| a.action == "customer.forget").expect("audited");
    assert_eq!((forget.actor.as_str(), &forget.detail["customer_ref"]), ("api-token", &json!(reference)));
    assert_eq!(forget.detail["threads"], json!([pat]));
    assert_eq!(log.iter().filter(|a| a.action == "customer.export").count(), 2);
    let all = serde_json::to_string(&log).unwrap();
    assert!(!all.contains("9025550301") && !all.contains("555-0301"), "the number is in the audit log: {all}");
    t.stop().await;
}

#[tokio::test]
async fn the_forget_and_export_routes_need_the_admin_token() {
    let t = spawn(Options::default()).await;
    let r = t.client.delete(t.url(&format!("/api/customers/{PAT}"))).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = t.client.get(t.url(&format!("/api/customers/{PAT}/export"))).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    t.stop().await;
}

#[tokio::test]
async fn retention_redacts_closed_threads_after_the_configured_days() {
    let t = spawn(Options { extra_toml: "[privacy]\nretention_days = 2\n".into(), ..Options::default() }).await;
    let (_, ack) = t.text(PAT, "asdkjh qwe zzz").await;
    let old = thread_id(&ack);
    t.settled(old, 1).await;
    let (status, _) = t.send(Method::POST, &format!("/api/threads/{old}/resolve"), json!({})).await;
    assert_eq!(status, 200);
    t.clock.advance(jiff::SignedDuration::from_hours(24));
    let (_, ack) = t.text(LEE, "asdkjh qwe zzz again").await;
    let open = thread_id(&ack);
    t.settled(open, 1).await;

    // One day after: nothing is due yet.
    let pass = clubos_server::privacy::retention_pass(&t.app, t.clock.now_ts()).await.unwrap().unwrap();
    assert!(pass.is_empty(), "{pass:?}");
    // Past two days: the resolved thread is redacted, the open one is not.
    t.clock.advance(jiff::SignedDuration::from_hours(25));
    let pass = clubos_server::privacy::retention_pass(&t.app, t.clock.now_ts()).await.unwrap().unwrap();
    assert_eq!(pass.threads, vec![old]);
    let (_, th) = t.get(&format!("/api/threads/{old}")).await;
    assert_eq!((th["customer_phone"].is_null(), th["messages"][0]["body"].as_str()), (true, Some("[redacted]")));
    assert_eq!(th["decisions"].as_array().map(Vec::len), Some(1), "the decision stays");
    let (_, th) = t.get(&format!("/api/threads/{open}")).await;
    assert_eq!(th["customer_phone"], LEE);
    let entry = t.app.store.audit_log(1).await.unwrap().remove(0);
    assert_eq!((entry.actor.as_str(), entry.action.as_str()), ("scheduler", "privacy.retention"));
    assert_eq!((entry.detail["threads"].clone(), entry.detail["retention_days"].clone()), (json!([old]), json!(2)));
    t.stop().await;
}

#[tokio::test]
async fn without_retention_nothing_is_redacted() {
    let t = spawn(Options::default()).await;
    assert!(clubos_server::privacy::retention_pass(&t.app, t.clock.now_ts()).await.unwrap().is_none());
    t.stop().await;
}
