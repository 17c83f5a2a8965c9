//! Tests of SOP parsing and validation.

use super::*;

fn sample() -> serde_json::Value {
    serde_json::json!({
        "id": "tech.trackman_frozen",
        "title": "TrackMan frozen",
        "category": "tech",
        "subcategory": "trackman_frozen",
        "triggers": {
            "exact": ["trackman frozen"],
            "regex": ["\\bfroze\\b"],
            "variants": ["sim is stuck"],
            "misspellings": ["trakman"]
        },
        "keywords": ["frozen"],
        "primary_action": "reset_trackman",
        "fallback_action": "escalate",
        "reply": "Resetting now.",
        "context": {"locations": [], "time_window": null, "valid_until": null},
        "dependencies": []
    })
}

fn parse(v: serde_json::Value) -> Result<Sop, serde_json::Error> {
    serde_json::from_value(v)
}

fn known(ids: &[&str]) -> HashSet<SopId> {
    ids.iter().map(|s| SopId::parse(s).unwrap()).collect()
}

#[test]
fn starter_sops_load_and_validate() {
    let sops = try_load_starter_sops().unwrap();
    assert_eq!(sops.len(), 33);
    for cat in Category::ALL {
        assert!(sops.iter().any(|s| s.category == *cat), "{cat}");
    }
    assert_eq!(load_starter_sops(), sops);
    let frozen = sops.iter().find(|s| s.id.as_str() == "tech.trackman_frozen").unwrap();
    assert_eq!(frozen.primary_action, SopAction::ResetTrackman);
    assert_eq!(frozen.fallback_action, Some(SopAction::Escalate));
}

#[test]
fn round_trips_through_json() {
    let sop = parse(sample()).unwrap();
    let back = serde_json::to_value(&sop).unwrap();
    assert_eq!(back, sample());
}

#[test]
fn context_window_and_date_parse() {
    let mut v = sample();
    v["context"] = serde_json::json!({
        "locations": ["bedford"],
        "time_window": {"start": "22:00", "end": "06:00"},
        "valid_until": "2026-12-31"
    });
    let sop = parse(v.clone()).unwrap();
    assert_eq!(sop.context.time_window.unwrap().to_string(), "22:00–06:00");
    assert_eq!(sop.context.valid_until.unwrap().to_string(), "2026-12-31");
    assert_eq!(serde_json::to_value(&sop).unwrap(), v);
    v["context"]["time_window"] = serde_json::json!({"start": "25:00", "end": "06:00"});
    assert!(parse(v).is_err());
}

#[test]
fn schema_is_strict() {
    let mut v = sample();
    v["colour"] = "red".into();
    assert!(parse(v).unwrap_err().to_string().contains("unknown field"));
    let mut v = sample();
    v["triggers"]["fuzzy"] = serde_json::json!([]);
    assert!(parse(v).is_err());
    let mut v = sample();
    v["primary_action"] = "reboot".into();
    assert!(parse(v).is_err());
    let mut v = sample();
    v["category"] = "Tech".into();
    assert!(parse(v).is_err());
    let mut v = sample();
    v.as_object_mut().unwrap().remove("reply");
    assert!(parse(v).is_err());
}

#[test]
fn actions_use_snake_case_names() {
    for a in SopAction::ALL {
        let json = serde_json::to_value(a).unwrap();
        assert_eq!(json.as_str().unwrap(), a.as_str());
        assert_eq!(serde_json::from_value::<SopAction>(json).unwrap(), *a);
    }
    let bay = BayNumber::new(3).ok();
    assert_eq!(SopAction::ResetTrackman.to_proposal(bay), Proposal::ResetTrackman { bay });
    assert_eq!(SopAction::UnlockDoor.to_proposal(bay), Proposal::UnlockDoor { door: None });
    assert_eq!(SopAction::SendReply.to_proposal(None), Proposal::Reply);
}

fn invalid(edit: impl FnOnce(&mut serde_json::Value), ids: &[&str]) -> SopError {
    let mut v = sample();
    edit(&mut v);
    parse(v).unwrap().validate(&known(ids)).unwrap_err()
}

#[test]
fn validation_names_sop_field_and_problem() {
    assert!(parse(sample()).unwrap().validate(&known(&[])).is_ok());

    let e = invalid(|v| v["triggers"]["regex"][0] = "(unclosed".into(), &[]);
    assert_eq!((e.sop.as_str(), e.field.as_str()), ("tech.trackman_frozen", "triggers.regex[0]"));
    assert!(e.problem.contains("does not compile"), "{e}");
    assert!(e.to_string().starts_with("SOP `tech.trackman_frozen`, field `triggers.regex[0]`"));

    let e = invalid(|v| v["triggers"]["regex"][0] = "\\w{1000}\\w{1000}".into(), &[]);
    assert_eq!(e.field, "triggers.regex[0]", "size limit: {e}");

    let e = invalid(|v| v["id"] = "tech.black_screen".into(), &[]);
    assert_eq!(e.field, "id");
    assert!(e.problem.contains("tech.trackman_frozen"), "{e}");
    assert!(
        parse({
            let mut v = sample();
            v["id"] = "tech.trackman_frozen.bedford".into();
            v
        })
        .unwrap()
        .validate(&known(&[]))
        .is_ok()
    );
    let e = invalid(|v| v["id"] = "tech.trackman_frozenx".into(), &[]);
    assert_eq!(e.field, "id");

    assert_eq!(invalid(|v| v["title"] = " ".into(), &[]).field, "title");
    assert_eq!(invalid(|v| v["reply"] = "".into(), &[]).field, "reply");

    let e = invalid(|v| v["triggers"]["exact"][0] = "Won't open".into(), &[]);
    assert_eq!(e.field, "triggers.exact[0]");
    assert!(e.problem.contains("`wont open`"), "{e}");
    assert_eq!(invalid(|v| v["keywords"][0] = "!!".into(), &[]).field, "keywords[0]");

    let e = invalid(|v| v["dependencies"] = serde_json::json!(["faq.hours"]), &[]);
    assert_eq!(e.field, "dependencies[0]");
    assert!(e.problem.contains("unknown SOP `faq.hours`"), "{e}");
    let mut v = sample();
    v["dependencies"] = serde_json::json!(["faq.hours"]);
    assert!(parse(v).unwrap().validate(&known(&["faq.hours"])).is_ok());
}

#[test]
fn set_validation_finds_duplicates_and_parse_errors() {
    let a = parse(sample()).unwrap();
    let e = validate_all(&[a.clone(), a]).unwrap_err();
    assert_eq!(e.problem, "duplicate id");
    let e = parse_sops("x.json", "{}").unwrap_err();
    assert!(e.to_string().starts_with("x.json: "), "{e}");
}
