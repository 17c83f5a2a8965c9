//! Tests of CSV rows and JSON items (full records and simple objects).

use crate::ingest::{Format, Ingested, Problem, ingest};
use crate::sop::{Sop, SopAction, load_starter_sops};
use clubos_domain::{Category, SopId};

fn csv(text: &str) -> Ingested {
    ingest("faq.csv", Format::Csv, text, &load_starter_sops())
}

fn json(text: &str) -> Ingested {
    ingest("sops.json", Format::Json, text, &load_starter_sops())
}

fn problem(got: &Ingested, origin: &str) -> String {
    got.problems
        .iter()
        .find(|p| p.origin == origin)
        .map(|p| p.message.clone())
        .unwrap_or_else(|| panic!("no problem at `{origin}`: {:#?}", got.problems))
}

const TABLE: &str = "\
Topic,Questions,Answer,Category,Action,Tags,Price
Gift cards,\"Do you sell gift cards?
Can I buy a gift card\",Gift cards are sold at the front desk and online.,FAQ,,gifts; vouchers,25
,Is there a student discount? | student rate,Students get 20% off weekday bookings with a valid ID.,booking,Send Reply,,
Lockers,Any lockers?,Lockers are by the lounge.,snacks,,,
Parking,Where do I park?,,faq,,,
Bay reset,,We restart the simulator remotely when it freezes.,tech,reset-trackman,,
,,,,,,
Sim stuck,sim stuck,Hang on.,tech,fix_it,,
";

#[test]
fn csv_rows_with_synonym_headers_become_drafts() {
    let got = csv(TABLE);
    let ids: Vec<&str> = got.drafts.iter().map(|d| d.sop.id.as_str()).collect();
    assert_eq!(ids, ["faq.gift_cards", "booking.is_there_a_student_discount", "tech.bay_reset"]);

    let gifts = &got.drafts[0];
    assert_eq!(gifts.origin, "faq.csv row 2");
    // A new version of the starter `faq.gift_cards`: its phrasings kept, the row's added.
    assert!(gifts.sop.triggers.variants.ends_with(&["Do you sell gift cards?".into(), "Can I buy a gift card".into()]));
    for t in ["do you sell gift cards", "can i buy a gift card", "gift cards"] {
        assert!(gifts.sop.triggers.exact.iter().any(|e| e == t), "{t}");
    }
    assert!(gifts.sop.keywords.ends_with(&["gifts".into(), "vouchers".into()]), "{:?}", gifts.sop.keywords);
    assert_eq!(gifts.sop.reply, "Gift cards are sold at the front desk and online.");
    assert_eq!(gifts.warnings[0], "replaces the current version of faq.gift_cards");
    assert!(!gifts.warnings.iter().any(|w| w.contains("already a trigger of faq.gift_cards")), "not of itself");

    let student = &got.drafts[1].sop;
    assert_eq!(student.title, "Is there a student discount?");
    assert_eq!(student.triggers.exact, ["is there a student discount", "student rate"]);
    assert_eq!((student.category, student.primary_action), (Category::Booking, SopAction::SendReply));

    let reset = &got.drafts[2].sop;
    assert_eq!((reset.primary_action, reset.fallback_action), (SopAction::ResetTrackman, Some(SopAction::Escalate)));
    assert!(reset.triggers.exact.contains(&"bay reset".to_owned()));
}

#[test]
fn csv_bad_rows_and_columns_are_problems() {
    let got = csv(TABLE);
    assert_eq!(problem(&got, "faq.csv header row"), "column `Price` is not a known column and was not read");
    assert_eq!(
        problem(&got, "faq.csv row 4"),
        "column `Category`: unknown category `snacks`; accepted: tech, booking, access, faq"
    );
    assert!(problem(&got, "faq.csv row 5").starts_with("no reply"), "{:?}", got.problems);
    assert_eq!(
        problem(&got, "faq.csv row 8"),
        "column `Action`: unknown action `fix_it`; accepted: reset_trackman, reboot_pc, unlock_door, send_reply, escalate"
    );
    // The empty row 7 is skipped silently.
    assert_eq!(got.problems.len(), 4, "{:#?}", got.problems);
}

#[test]
fn csv_without_a_reply_column_is_one_problem() {
    let got = csv("title,question\nParking,Where do I park?\n");
    assert!(got.drafts.is_empty());
    assert_eq!(got.problems.len(), 1);
    assert!(got.problems[0].message.starts_with("no reply column"), "{:?}", got.problems);
    let got = csv("question,answer\n\"Do you sell food?\",No food; drinks only\n");
    assert_eq!(got.drafts[0].sop.title, "Do you sell food?");
}

fn starter(id: &str) -> Sop {
    load_starter_sops().into_iter().find(|s| s.id.as_str() == id).unwrap()
}

#[test]
fn json_full_records_replace_or_add_and_are_validated() {
    let mut hours = starter("faq.hours");
    hours.reply = "We're open 6 am to midnight every day.".into();
    let mut holidays = starter("faq.hours");
    holidays.id = SopId::parse("faq.hours.holidays").unwrap();
    holidays.title = "Holiday hours".into();
    holidays.triggers.exact = vec!["holiday hours".into(), "open on thanksgiving".into()];
    holidays.dependencies = vec![hours.id.clone()];
    let mut wrong_id = starter("faq.hours");
    wrong_id.id = SopId::parse("tech.hours").unwrap();
    let mut with_status = serde_json::to_value(starter("faq.parking")).unwrap();
    with_status["status"] = "active".into();
    let records = serde_json::json!([hours, holidays, wrong_id, with_status, {"id": "faq.x", "colour": "red"}, hours]);

    let got = json(&records.to_string());
    let ids: Vec<&str> = got.drafts.iter().map(|d| d.sop.id.as_str()).collect();
    assert_eq!(ids, ["faq.hours", "faq.hours.holidays", "faq.parking"]);
    assert_eq!(got.drafts[0].sop, hours);
    assert_eq!(got.drafts[0].warnings[0], "replaces the current version of faq.hours");
    assert!(
        !got.drafts[0].warnings.iter().any(|w| w.contains("already a trigger of faq.hours")),
        "a new version does not collide with the one it replaces: {:?}",
        got.drafts[0].warnings
    );
    assert_eq!(
        got.drafts[1].warnings,
        [
            "trigger `holiday hours` is already a trigger of faq.hours",
            "trigger `holiday hours` is also a trigger of faq.hours in this upload"
        ]
    );
    assert_eq!(
        got.drafts[2].warnings,
        ["replaces the current version of faq.parking", "field `status` was ignored: an upload is always a new draft"]
    );

    assert_eq!(
        problem(&got, "sops.json item 3"),
        "SOP `tech.hours`, field `id`: must be `faq.hours` (or start with `faq.hours.`), from category and subcategory"
    );
    assert!(problem(&got, "sops.json item 5").starts_with("not a valid SOP record: unknown field `colour`"));
    assert_eq!(
        problem(&got, "sops.json item 6"),
        "id `faq.hours` appears more than once in this upload; only the first is kept"
    );
}

#[test]
fn json_dependencies_must_be_known() {
    let mut sop = starter("faq.wifi");
    sop.id = SopId::parse("faq.wifi.guest").unwrap();
    sop.dependencies = vec![SopId::parse("faq.nowhere").unwrap()];
    let got = json(&serde_json::to_string(&sop).unwrap());
    assert!(got.drafts.is_empty());
    assert_eq!(
        got.problems,
        [Problem {
            origin: "sops.json".into(),
            message: "SOP `faq.wifi.guest`, field `dependencies[0]`: unknown SOP `faq.nowhere`".into()
        }]
    );
}

#[test]
fn json_simple_objects_are_read_like_rows() {
    let text = r#"[
        {"title": "Shoe policy", "questions": ["Can I wear spikes?", "shoe rules"],
         "answer": "Flat or soft-spike shoes only on the mats.", "notes": "from the old binder"},
        {"question": "Do you have wifi for guests?", "reply": "Yes: network FairwayGuest, no password.", "category": "faq"},
        {"title": "Remote unlock", "triggers": "let me in", "answer": "We open the door remotely.", "action": "unlock_door", "category": "access"},
        {"title": "Broken", "answer": 5},
        {"title": "Nested", "answer": "x", "triggers": {"exact": []}},
        7
    ]"#;
    let got = json(text);
    let ids: Vec<&str> = got.drafts.iter().map(|d| d.sop.id.as_str()).collect();
    assert_eq!(ids, ["faq.shoe_policy", "faq.do_you_have_wifi_for_guests", "access.remote_unlock"]);
    assert_eq!(got.drafts[0].warnings, ["field `notes` was not used"]);
    assert_eq!(got.drafts[0].sop.triggers.exact, ["can i wear spikes", "shoe rules", "shoe policy"]);
    assert_eq!(got.drafts[2].sop.primary_action, SopAction::UnlockDoor);
    assert!(
        got.drafts[2]
            .warnings
            .contains(&"trigger `let me in` is already a trigger of access.door_wont_open".to_owned()),
        "{:?}",
        got.drafts[2].warnings
    );
    assert_eq!(problem(&got, "sops.json item 4"), "field `answer` must be a string");
    assert_eq!(
        problem(&got, "sops.json item 5"),
        "field `triggers` must be a string or a list of strings (a full SOP record needs an `id`)"
    );
    assert_eq!(problem(&got, "sops.json item 6"), "not a JSON object");
}

#[test]
fn json_that_does_not_parse_is_one_problem() {
    let got = json("[{\"title\": ");
    assert!(got.drafts.is_empty());
    assert!(got.problems[0].message.starts_with("not valid JSON"), "{:?}", got.problems);
    assert_eq!(json("\"just a string\"").problems[0].origin, "sops.json");
}
