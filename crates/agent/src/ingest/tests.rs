//! Tests of the whole ingestion: formats, ids, collisions, limits, and a
//! property test that any input gives only valid drafts.

use std::collections::HashSet;
use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;
use crate::sop::load_starter_sops;

static STARTERS: LazyLock<Vec<Sop>> = LazyLock::new(load_starter_sops);

fn md(doc: &str) -> Ingested {
    ingest("rules.md", Format::Markdown, doc, &STARTERS)
}

#[test]
fn formats_from_names_and_mime_types() {
    assert_eq!(Format::from_name("house-rules.md"), Some(Format::Markdown));
    assert_eq!(Format::from_name("docs/Guide.MARKDOWN"), Some(Format::Markdown));
    assert_eq!(Format::from_name("notes.txt"), Some(Format::Text));
    assert_eq!(Format::from_name("prices.CSV"), Some(Format::Csv));
    assert_eq!(Format::from_name("sops.json"), Some(Format::Json));
    assert_eq!(Format::from_name("scan.pdf"), None);
    assert_eq!(Format::from_name("README"), None);
    for (s, f) in [
        ("text/markdown", Format::Markdown),
        ("markdown", Format::Markdown),
        ("text/csv; charset=utf-8", Format::Csv),
        ("csv", Format::Csv),
        ("application/json", Format::Json),
        ("JSON", Format::Json),
        ("text/plain", Format::Text),
        ("text", Format::Text),
    ] {
        assert_eq!(Format::parse(s), Some(f), "{s}");
        assert_eq!(Format::parse(f.as_str()), Some(f));
    }
    assert_eq!(Format::parse("application/pdf"), None);
}

#[test]
fn ids_that_collide_get_suffixes() {
    // `faq.lost_and_found` is a starter SOP (the section proposes its next
    // version); the two new sections share a title.
    let doc = "## Lost and found\nAsk at the desk.\n## Lockers\nFree.\n## Lockers\nBring a lock.\n";
    let got = md(doc);
    let ids: Vec<&str> = got.drafts.iter().map(|d| d.sop.id.as_str()).collect();
    assert_eq!(ids, ["faq.lost_and_found", "faq.lockers", "faq.lockers_2"]);
    assert_eq!(got.drafts[0].warnings[0], "replaces the current version of faq.lost_and_found");
    assert_eq!(got.drafts[2].sop.subcategory.as_str(), "lockers_2");
    assert_eq!(got.drafts[2].warnings, ["`faq.lockers` is taken, so this draft is `faq.lockers_2`"]);
}

#[test]
fn trigger_collisions_are_warnings() {
    let doc = "## Front door\nText us and we will check your booking.\n- \"let me in\"\n- \"code not working\"\n\n\
               ## Side door\nUse the side door after 10 pm.\n- \"let me in\"\n";
    let got = md(doc);
    assert_eq!(got.drafts.len(), 2, "{:?}", got.problems);
    assert_eq!(
        got.drafts[0].warnings,
        [
            "trigger `let me in` is already a trigger of access.door_wont_open",
            "trigger `let me in` is also a trigger of access.side_door in this upload",
            "trigger `code not working` is already a trigger of access.door_wont_open",
        ]
    );
    assert!(
        got.drafts[1]
            .warnings
            .contains(&"trigger `let me in` is also a trigger of access.front_door in this upload".into())
    );
}

#[test]
fn replies_are_capped_for_sms() {
    let long = "Our bays are cleaned between every booking and the turf is brushed each morning. ".repeat(12);
    let got = md(&format!("## Cleaning\n{long}\n"));
    let draft = &got.drafts[0];
    assert!(draft.sop.reply.chars().count() <= MAX_REPLY_CHARS);
    assert!(draft.sop.reply.ends_with("morning."), "{}", draft.sop.reply);
    assert!(draft.warnings[0].starts_with("reply shortened from 971 to"), "{:?}", draft.warnings);
}

#[test]
fn uploads_over_one_mib_are_refused_whole() {
    let big = "a".repeat(MAX_INPUT_BYTES + 1);
    for format in [Format::Text, Format::Markdown, Format::Csv, Format::Json] {
        let got = ingest("big.txt", format, &big, &STARTERS);
        assert!(got.drafts.is_empty());
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].origin, "big.txt");
        assert!(got.problems[0].message.starts_with("the upload is 1048577 bytes; at most 1048576"));
    }
}

#[test]
fn at_most_500_drafts_per_upload() {
    let doc: String = (1..=620).map(|n| format!("## Topic {n}\nAnswer number {n}.\n")).collect();
    let got = md(&doc);
    assert_eq!(got.drafts.len(), MAX_DRAFTS);
    assert_eq!(got.drafts[499].sop.id.as_str(), "faq.topic_500");
    assert_eq!(got.problems.len(), 1);
    assert_eq!(
        got.problems[0].message,
        "at most 500 drafts are made from one upload; 120 more parts were not read — split the file"
    );
}

#[test]
fn problems_are_capped_too() {
    let rows: String = (0..700).map(|n| format!("Topic {n},\n")).collect();
    let got = ingest("t.csv", Format::Csv, &format!("title,answer\n{rows}"), &STARTERS);
    assert_eq!(got.problems.len(), MAX_PROBLEMS + 1);
    assert_eq!(got.problems[MAX_PROBLEMS].message, "… and 200 more problems");
}

#[test]
fn empty_uploads_say_so() {
    for format in [Format::Text, Format::Markdown] {
        let got = ingest("empty.txt", format, " \n\n", &STARTERS);
        assert_eq!(got.problems.len(), 1, "{format}");
        assert!(got.problems[0].message.starts_with("nothing to import"));
    }
    assert!(ingest("e.json", Format::Json, "[]", &STARTERS).problems[0].message.starts_with("nothing to import"));
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let got = ingest("t.csv", Format::Csv, "\u{feff}Title,Answer\nParking,Free after 6 pm.\n", &STARTERS);
    assert_eq!(got.drafts[0].sop.id.as_str(), "faq.parking", "a new version of the starter SOP");
}

#[test]
fn drafts_serialise_for_the_api() {
    let got = md("## Towels\nTowels are at the front desk.\n");
    let v = serde_json::to_value(&got).unwrap();
    assert_eq!(v["drafts"][0]["sop"]["id"], "faq.towels");
    assert_eq!(v["drafts"][0]["origin"], "rules.md § Towels");
    assert_eq!(serde_json::to_value(Format::Markdown).unwrap(), "markdown");
}

/// Every draft is valid against the current ids and the other drafts, ids are
/// unique, generated replies fit a text, and the limits hold.
fn check(format: Format, text: &str) {
    let got = ingest("input", format, text, &STARTERS);
    assert!(got.drafts.len() <= MAX_DRAFTS);
    assert!(got.problems.len() <= MAX_PROBLEMS + 1);
    let mut known: HashSet<SopId> = STARTERS.iter().map(|s| s.id.clone()).collect();
    let mut ids = HashSet::new();
    for d in &got.drafts {
        assert!(ids.insert(d.sop.id.clone()), "duplicate draft id {}", d.sop.id);
    }
    known.extend(ids);
    for d in &got.drafts {
        if let Err(e) = d.sop.validate(&known) {
            panic!("{format}: invalid draft {e} from {text:?}");
        }
        if format != Format::Json {
            assert!(d.sop.reply.chars().count() <= MAX_REPLY_CHARS);
        }
    }
}

/// Text with the shapes the parsers look for: headings, list items,
/// questions, quotes, separators and stray Unicode.
fn structured() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "#{1,4} [A-Za-z ]{0,20}",
        "[-*] [A-Za-z ?\"]{0,30}",
        "(Q|Customer|A): [a-zA-Zİß ?]{0,20}",
        "[A-Z ]{0,15}:?",
        "[a-zA-Z0-9 .,;|\"?!'’é̇]{0,60}",
        Just(String::new()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

fn json_like() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        "\\{\"title\": \"[A-Za-z ?İ]{0,12}\", \"answer\": \"[a-z .]{0,20}\"\\}",
        "\\{\"question\": \\[\"[a-z ?]{0,12}\", \"[^\"\\\\]{0,8}\"\\], \"reply\": \"[a-z]{0,9}\", \"category\": \"(faq|tech|x)\"\\}",
        "\\{\"id\": \"[a-z.]{0,12}\"\\}",
        "[0-9]{1,3}",
    ];
    prop::collection::vec(item, 0..8).prop_map(|items| format!("[{}]", items.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_string_gives_only_valid_drafts(text in any::<String>()) {
        for format in [Format::Text, Format::Markdown, Format::Csv, Format::Json] {
            check(format, &text);
        }
    }

    #[test]
    fn structured_text_gives_only_valid_drafts(text in structured()) {
        for format in [Format::Text, Format::Markdown, Format::Csv] {
            check(format, &text);
        }
    }

    #[test]
    fn json_items_give_only_valid_drafts(text in json_like()) {
        check(Format::Json, &text);
    }
}

#[test]
fn a_section_about_a_current_sop_keeps_its_curated_triggers_and_actions() {
    let doc =
        "## Lost and found\nWe keep found items for 30 days in the bin by the door.\n- Did anyone find my glove?\n";
    let got = md(doc);
    let d = &got.drafts[0];
    let starter = load_starter_sops().into_iter().find(|s| s.id.as_str() == "faq.lost_and_found").unwrap();
    assert_eq!(d.sop.id, starter.id);
    assert!(d.sop.reply.contains("30 days"));
    assert_eq!(d.sop.triggers.regex, starter.triggers.regex, "curated regexes kept");
    assert!(starter.triggers.exact.iter().all(|t| d.sop.triggers.exact.contains(t)), "curated phrases kept");
    assert!(d.sop.triggers.exact.iter().any(|t| t == "did anyone find my glove"), "{:?}", d.sop.triggers.exact);
    assert_eq!((d.sop.primary_action, d.sop.fallback_action), (starter.primary_action, starter.fallback_action));
}
