//! The knowledge base through the API: an uploaded document becomes
//! reviewable drafts (never active), an approved draft answers the next
//! customer text (the decision names the SOP), edits and rejections,
//! rollback, the change log, and uploads that are refused with a reason.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const HOUSE_RULES: &str = "# House rules\n\n\
## Guest policy\n\n\
Each bay takes up to six players. Guests must be with the person who booked the bay.\n\n\
- How many guests can I bring?\n\
- Can I bring friends?\n";

async fn upload_markdown(t: &TestApp, name: &str, text: &str) -> (u16, Value) {
    t.upload_file(name, "text/markdown", text).await
}

fn guest_proposal(up: &Value) -> Value {
    up["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Guest policy")
        .cloned()
        .unwrap_or_else(|| panic!("no Guest policy draft in {up:#}"))
}

#[tokio::test]
async fn an_uploaded_rule_is_a_draft_until_approved_then_answers_customers() {
    let t = spawn(Options::default()).await;
    let (status, up) = upload_markdown(&t, "house-rules.md", HOUSE_RULES).await;
    assert_eq!(status, 200, "{up:#}");
    let draft = guest_proposal(&up);
    let (pid, sop_id) = (draft["id"].as_i64().unwrap(), draft["sop_id"].as_str().unwrap().to_owned());

    // A draft answers nobody.
    let (_, ack) = t.text("+19025550301", "How many guests can I bring?").await;
    let before = t.settled(thread_id(&ack), 1).await;
    assert_ne!(before["decisions"][0]["matched_sop"].as_str(), Some(sop_id.as_str()), "{before:#}");

    let (_, queue) = t.get("/api/knowledge/proposals?status=pending").await;
    let listed = queue["proposals"].as_array().unwrap().iter().find(|p| p["id"] == pid).cloned().unwrap();
    assert_eq!(listed["current_version"], Value::Null, "a new SOP");
    assert!(listed["diff"].as_array().unwrap().iter().any(|d| d["field"] == "reply"), "{listed:#}");

    let (status, ok) = t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({})).await;
    assert_eq!(status, 200, "{ok:#}");
    assert_eq!((ok["proposal"]["status"].as_str(), ok["proposal"]["version"].as_i64()), (Some("accepted"), Some(1)));

    let (_, ack) = t.text("+19025550302", "how many guests can i bring?").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let d = &th["decisions"][0];
    assert_eq!(d["matched_sop"].as_str(), Some(sop_id.as_str()), "{th:#}");
    assert_eq!(d["verdict"], "reply", "{th:#}");
    let reply = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "send_reply").cloned().unwrap();
    assert!(reply["body"].as_str().unwrap().contains("six players"), "{th:#}");

    // Its use is counted, and taking the thread from the AI disputes it.
    let metrics = |sops: &Value| sops["sops"].as_array().unwrap().iter().find(|s| s["id"] == sop_id).cloned().unwrap();
    let (_, sops) = t.get("/api/sops").await;
    let m = metrics(&sops);
    assert_eq!(
        (m["metrics"]["times_used"].as_i64(), m["metrics"]["success_rate"].as_f64()),
        (Some(1), Some(1.0)),
        "{m:#}"
    );
    assert_eq!(m["flags"], json!([]));
    let (status, _) = t.send(Method::POST, &format!("/api/threads/{}/take-over", thread_id(&ack)), json!({})).await;
    assert_eq!(status, 200);
    let (_, sops) = t.get("/api/sops").await;
    assert_eq!(metrics(&sops)["metrics"]["overrides"], 1);

    let (_, log) = t.get("/api/knowledge/changes").await;
    let entry = &log["changes"][0];
    assert_eq!((entry["kind"].as_str(), entry["sop_id"].as_str()), (Some("approve"), Some(sop_id.as_str())));
    assert_eq!(
        (entry["proposed_by"].as_str(), entry["approved_by"].as_str()),
        (Some("local-ingest"), Some("api-token"))
    );
    let audit = t.app.store.audit_log(50).await.unwrap();
    assert!(
        audit.iter().any(|a| a.action == "knowledge.upload") && audit.iter().any(|a| a.action == "knowledge.accept")
    );
    t.stop().await;
}

#[tokio::test]
async fn an_edit_makes_a_new_version_and_rollback_restores_the_old_one() {
    let t = spawn(Options::default()).await;
    let (_, up) = upload_markdown(&t, "house-rules.md", HOUSE_RULES).await;
    let pid = guest_proposal(&up)["id"].as_i64().unwrap();
    t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({})).await;

    // The same rule uploaded again with new wording, accepted with an edit.
    let (_, up2) = upload_markdown(&t, "rules-v2.md", &HOUSE_RULES.replace("six players", "eight players")).await;
    let second = guest_proposal(&up2);
    let (pid2, sop_id) = (second["id"].as_i64().unwrap(), second["sop_id"].as_str().unwrap().to_owned());
    let (_, p) = t.get(&format!("/api/knowledge/proposals/{pid2}")).await;
    let mut edited = p["body"].clone();
    edited["id"] = json!(sop_id.clone());
    edited["reply"] = json!("Each bay takes up to eight players, all with the person who booked.");
    let (status, ok) = t
        .send(
            Method::POST,
            &format!("/api/knowledge/proposals/{pid2}/accept"),
            json!({"sop": edited, "note": "tidied"}),
        )
        .await;
    assert_eq!(status, 200, "{ok:#}");
    let (_, sop) = t.get(&format!("/api/sops/{sop_id}")).await;
    let versions = sop["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{sop:#}");
    assert_eq!((versions[0]["version"].as_i64(), versions[0]["status"].as_str()), (Some(2), Some("active")));
    assert!(versions[0]["body"]["reply"].as_str().unwrap().contains("eight players"));

    let (status, rb) = t.send(Method::POST, &format!("/api/sops/{sop_id}/rollback"), json!({"version": 1})).await;
    assert_eq!((status, rb["version"].as_i64()), (200, Some(3)), "{rb:#}");
    let (_, ack) = t.text("+19025550303", "how many guests can i bring?").await;
    let th = t.settled(thread_id(&ack), 1).await;
    let reply = th["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "send_reply").cloned().unwrap();
    assert!(reply["body"].as_str().unwrap().contains("six players"), "rolled back: {th:#}");
    t.stop().await;
}

#[tokio::test]
async fn rejections_edits_and_uploads_that_cannot_work_are_refused_with_a_reason() {
    let t = spawn(Options::default()).await;
    let (_, up) = upload_markdown(&t, "house-rules.md", HOUSE_RULES).await;
    let pid = guest_proposal(&up)["id"].as_i64().unwrap();
    let (_, p) = t.get(&format!("/api/knowledge/proposals/{pid}")).await;

    let mut bad = p["body"].clone();
    bad["primary_action"] = json!("launch_rocket");
    let (status, err) =
        t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({"sop": bad})).await;
    assert_eq!(status, 400, "{err:#}");
    let mut renamed = p["body"].clone();
    renamed["id"] = json!("faq.something_else");
    let (status, _) =
        t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({"sop": renamed})).await;
    assert_eq!(status, 400);

    let (status, r) =
        t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/reject"), json!({"note": "dup"})).await;
    assert_eq!((status, r["proposal"]["status"].as_str()), (200, Some("rejected")));
    let (status, _) = t.send(Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), json!({})).await;
    assert_eq!(status, 409, "decided once");

    let (status, err) = t.upload_file("notes.docx", "application/octet-stream", "some text").await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap_or_default().contains("format"), "{err:#}");
    let (status, _) = upload_markdown(&t, "empty.md", "   \n").await;
    assert_eq!(status, 400);
    let (status, _) = t.send(Method::POST, "/api/sops/faq.no_such_sop/archive", json!({})).await;
    assert_eq!(status, 404);

    // Pasted text as JSON, with DESIGN §4's names, and its review routes.
    let (status, pasted) =
        t.send(Method::POST, "/api/knowledge/upload", json!({"filename": "rules.md", "content": HOUSE_RULES})).await;
    assert_eq!(status, 200, "{pasted:#}");
    let id = pasted["proposals"][0].as_i64().unwrap_or_else(|| panic!("ids: {pasted:#}"));
    let (_, queue) = t.get("/api/sop-proposals?status=pending").await;
    let p = queue["proposals"].as_array().unwrap().iter().find(|p| p["id"] == id).cloned().unwrap();
    for key in ["id", "kind", "sop_id", "title", "diff", "source"] {
        assert!(!p[key].is_null(), "{key} in {p:#}");
    }
    assert_eq!(p["kind"], "new");
    let (status, ok) = t.send(Method::POST, &format!("/api/sop-proposals/{id}/approve"), json!({})).await;
    assert_eq!((status, ok["proposal"]["status"].as_str()), (200, Some("accepted")), "{ok:#}");
    let (_, sops) = t.get("/api/sops").await;
    let sop = sops["sops"].as_array().unwrap().iter().find(|s| s["id"] == p["sop_id"]).cloned().unwrap();
    assert_eq!((sop["status"].as_str(), sop["version"].as_i64()), (Some("active"), Some(1)), "{sop:#}");
    t.stop().await;
}

fn timed_sop(sub: &str, phrase: &str, reply: &str, window: (&str, &str)) -> Value {
    json!({
        "id": format!("faq.{sub}"), "title": phrase, "category": "faq", "subcategory": sub,
        "triggers": {"exact": [phrase], "regex": [], "variants": [], "misspellings": []},
        "keywords": [], "primary_action": "send_reply", "fallback_action": null, "reply": reply,
        "context": {"locations": [], "time_window": {"start": window.0, "end": window.1}, "valid_until": null},
        "dependencies": []
    })
}

#[tokio::test]
async fn an_sop_answers_only_inside_its_local_time_window() {
    let t = spawn(Options::default()).await;
    // The test clock is 18:00 UTC: 15:00 in Halifax (the location's zone).
    let records = json!([
        timed_sop(
            "afternoon_special",
            "afternoon special",
            "The afternoon special runs until 4 pm.",
            ("14:00", "16:00")
        ),
        timed_sop(
            "late_night_special",
            "late night special",
            "The late night special starts at 10 pm.",
            ("22:00", "02:00")
        ),
    ]);
    let (status, up) = t
        .send(Method::POST, "/api/knowledge/upload", json!({"name": "specials.json", "text": records.to_string()}))
        .await;
    assert_eq!(status, 200, "{up:#}");
    let ids: Vec<i64> = up["proposals"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{up:#}");
    let (status, _) =
        t.send(Method::POST, "/api/knowledge/proposals/decide", json!({"ids": ids, "accept": true})).await;
    assert_eq!(status, 200);

    let (_, ack) = t.text("+19025550311", "afternoon special").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_eq!(th["decisions"][0]["matched_sop"], "faq.afternoon_special", "{th:#}");
    let (_, ack) = t.text("+19025550312", "late night special").await;
    let th = t.settled(thread_id(&ack), 1).await;
    assert_ne!(th["decisions"][0]["matched_sop"], "faq.late_night_special", "outside its window: {th:#}");
    t.stop().await;
}

#[tokio::test]
async fn a_multipart_form_with_a_file_is_an_upload() {
    let t = spawn(Options::default()).await;
    let body = format!(
        "--XB\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot a file\r\n\
         --XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rules.md\"\r\n\
         Content-Type: text/markdown\r\n\r\n{HOUSE_RULES}\r\n--XB--\r\n"
    );
    let (status, up) = t.upload_file("ignored.txt", "multipart/form-data; boundary=XB", &body).await;
    assert_eq!(status, 200, "{up:#}");
    assert_eq!(guest_proposal(&up)["origin"].as_str().map(|o| o.starts_with("rules.md")), Some(true), "{up:#}");
    let (status, err) = t.upload_file("x", "multipart/form-data; boundary=XB", "--XB--\r\n").await;
    assert_eq!(status, 400, "{err:#}");
    t.stop().await;
}
