//! Strict reading of the review tools' input and the error mapping.

use std::collections::HashSet;
use std::time::Duration;

use clubos_domain::SopId;
use serde_json::{Value, json};

use super::wire::{refusal, retry_after};
use super::*;

fn record(id: &str, reply: &str) -> Value {
    let (category, sub) = id.split_once('.').unwrap();
    json!({
        "id": id, "title": "Guest policy", "category": category, "subcategory": sub.split('.').next().unwrap(),
        "triggers": {"exact": ["How many GUESTS can I bring?"], "regex": [], "variants": [], "misspellings": []},
        "keywords": ["Guests", "guests"], "primary_action": "send_reply", "fallback_action": null,
        "reply": reply, "context": {"locations": [], "time_window": null, "valid_until": null}, "dependencies": []
    })
}

fn ids(list: &[&str]) -> HashSet<SopId> {
    list.iter().map(|s| SopId::parse(s).unwrap()).collect()
}

#[test]
fn structured_records_are_read_and_phrases_normalised() {
    let got = read::structured(json!({"sops": [record("faq.guest_policy", "Up to six players per bay.")]})).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].triggers.exact, ["how many guests can i bring"]);
    assert_eq!(got[0].keywords, ["guests"], "normalised and deduplicated");
}

#[test]
fn structured_input_outside_the_schema_is_invalid() {
    let mut extra = record("faq.guest_policy", "x");
    extra["priority"] = json!(1);
    let mut action = record("faq.guest_policy", "x");
    action["primary_action"] = json!("open_all_doors");
    for bad in [
        json!({"sops": [extra]}),
        json!({"sops": [action]}),
        json!({"sops": "none"}),
        json!({"records": []}),
        json!({"sops": [], "note": "hi"}),
    ] {
        assert!(matches!(read::structured(bad.clone()), Err(ReviewError::InvalidOutput(_))), "{bad}");
    }
}

#[test]
fn findings_must_name_two_reviewed_sops_and_propose_one_of_them() {
    let known = ids(&["faq.guest_policy", "faq.guests"]);
    let ok = json!({"findings": [{"kind": "merge", "sops": ["faq.guest_policy", "faq.guests"],
        "explanation": "Both answer guest questions.", "sop": record("faq.guests", "Six players per bay.")}]});
    let got = read::findings(ok, &known).unwrap();
    assert_eq!((got[0].kind, got[0].sop.id.as_str()), (FindingKind::Merge, "faq.guests"));
    assert!(read::findings(json!({"findings": []}), &known).unwrap().is_empty());

    let finding = |kind: &str, sops: Value, explanation: &str, sop: Value| json!({"findings": [{"kind": kind, "sops": sops, "explanation": explanation, "sop": sop}]});
    let r = record("faq.guests", "x");
    for bad in [
        finding("duplicate", json!(["faq.guest_policy", "faq.guests"]), "e", r.clone()),
        finding("merge", json!(["faq.guests"]), "e", r.clone()),
        finding("merge", json!(["faq.guests", "faq.guests"]), "e", r.clone()),
        finding("merge", json!(["faq.guest_policy", "faq.hours"]), "e", r.clone()),
        finding("conflict", json!(["faq.guest_policy", "faq.guests"]), "  ", r.clone()),
        finding("conflict", json!(["faq.guest_policy", "faq.guests"]), "e", record("faq.parking", "x")),
    ] {
        assert!(matches!(read::findings(bad.clone(), &known), Err(ReviewError::InvalidOutput(_))), "{bad}");
    }
}

#[test]
fn a_change_keeps_the_flagged_id_or_is_none() {
    let flagged = SopId::parse("faq.guest_policy").unwrap();
    let (sop, why) = read::change(
        json!({"change": record("faq.guest_policy", "Six players."), "explanation": "Be precise."}),
        &flagged,
    )
    .unwrap();
    assert_eq!((sop.unwrap().reply.as_str(), why.as_str()), ("Six players.", "Be precise."));
    let (none, _) = read::change(json!({"change": null, "explanation": "The SOP is right."}), &flagged).unwrap();
    assert!(none.is_none());
    let other = json!({"change": record("faq.guests", "x"), "explanation": "e"});
    assert!(matches!(read::change(other, &flagged), Err(ReviewError::InvalidOutput(_))));
}

#[test]
fn statuses_and_error_bodies_map_to_kinds() {
    let body = |t: &str, m: &str| json!({"type": "error", "error": {"type": t, "message": m}}).to_string();
    assert_eq!(
        refusal(529, &body("overloaded_error", "Overloaded"), None),
        ReviewError::Overloaded("Overloaded".into())
    );
    assert!(matches!(refusal(500, &body("overloaded_error", "Overloaded"), None), ReviewError::Overloaded(_)));
    assert_eq!(
        refusal(429, &body("rate_limit_error", "slow down"), Some(Duration::from_secs(7))),
        ReviewError::RateLimited { retry_after: Some(Duration::from_secs(7)), message: "slow down".into() }
    );
    assert!(matches!(refusal(500, &body("api_error", "Internal"), None), ReviewError::Server { status: 500, .. }));
    assert!(matches!(refusal(503, "<html>bad gateway</html>", None), ReviewError::Server { status: 503, .. }));
    let key = refusal(401, &body("authentication_error", "invalid x-api-key"), None);
    assert!(matches!(&key, ReviewError::Refused { status: 401, kind, .. } if kind == "authentication_error"));
    assert!(!key.is_job_specific() && !key.is_transport(), "a bad key blocks every job: wait, do not give up");
    assert!(refusal(413, &body("request_too_large", "Request exceeds the maximum size"), None).is_job_specific());
    assert!(refusal(400, &body("invalid_request_error", "prompt is too long: 250000 tokens"), None).is_job_specific());
    assert!(!refusal(400, &body("invalid_request_error", "Your credit balance is too low"), None).is_job_specific());
    assert!(ReviewError::Timeout.is_transport() && ReviewError::InvalidOutput("x".into()).is_job_specific());
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    assert_eq!(retry_after(Some("12")), Some(Duration::from_secs(12)));
    assert_eq!(retry_after(Some("Thu, 01 Jan 2015 00:00:00 GMT")), Some(Duration::ZERO), "a past date");
    assert_eq!(retry_after(Some("later")), None);
    assert_eq!(retry_after(None), None);
}

#[test]
fn settings_never_show_the_key() {
    let s = ReviewSettings::new("https://api.anthropic.com", "sk-ant-secret-value", "claude-test");
    assert!(!format!("{s:?}").contains("secret-value"));
    let c = Claude::new(s).unwrap();
    assert!(!format!("{c:?}").contains("secret-value"), "{c:?}");
}
