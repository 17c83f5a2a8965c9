//! Tests of the helpers that shape a draft (reply length, slugs, sentences,
//! titles) and of `build` itself.

use super::*;

#[test]
fn short_replies_are_kept_whole() {
    let text = "Rental sets are free.";
    assert_eq!(cap_reply(text, MAX_REPLY_CHARS), text);
}

#[test]
fn long_replies_are_cut_at_a_sentence_end() {
    let sentence = "Bays are cleaned between bookings and towels are at the front desk. ";
    let text = sentence.repeat(10);
    let got = cap_reply(text.trim_end(), MAX_REPLY_CHARS);
    assert!(got.chars().count() <= MAX_REPLY_CHARS, "{}", got.len());
    assert!(got.ends_with("front desk."), "{got}");
    assert_eq!(got.matches("Bays").count(), 480 / sentence.len());
}

#[test]
fn long_replies_without_sentences_are_cut_at_a_word() {
    let text = "word ".repeat(200);
    let got = cap_reply(text.trim_end(), MAX_REPLY_CHARS);
    assert!(got.chars().count() <= MAX_REPLY_CHARS);
    assert!(got.ends_with("word…"), "{got}");
    // One huge word: cut inside it, still within the cap.
    let got = cap_reply(&"é".repeat(1000), 100);
    assert_eq!(got.chars().count(), 100);
}

#[test]
fn slugs_are_lowercase_ascii_words() {
    assert_eq!(slug("Guest policy"), "guest_policy");
    assert_eq!(slug("  Lost & Found!! "), "lost_found");
    assert_eq!(slug("Café hours"), "caf_hours");
    assert_eq!(slug("日本語"), "");
    let long = slug("What happens when the simulator screen goes completely black mid round");
    assert!(long.len() <= MAX_SLUG_CHARS, "{long}");
    assert_eq!(long, "what_happens_when_the_simulator_screen");
    assert!(SubIntent::parse(&slug(&"x".repeat(100))).is_ok());
}

#[test]
fn sentences_are_joined_with_punctuation() {
    assert_eq!(
        join_sentences(&["No glass", "  Cans are fine. ", "Ask us:", "", "Why?"]),
        "No glass. Cans are fine. Ask us: Why?"
    );
}

#[test]
fn titles_are_cleaned() {
    assert_eq!(clean_title("LOST AND FOUND:"), "Lost and found");
    assert_eq!(clean_title("  Club   rentals "), "Club rentals");
    assert_eq!(clean_title("PC"), "PC");
    assert_eq!(clean_title("PARKING"), "Parking");
    assert!(clean_title(&"long ".repeat(50)).chars().count() <= MAX_TITLE_CHARS);
}

#[test]
fn build_makes_a_valid_sop_and_suffixes_taken_ids() {
    let mut taken: HashSet<SopId> = [SopId::parse("faq.club_rentals").unwrap()].into_iter().collect();
    let fields = Fields {
        title: "Club rentals".into(),
        reply: "Free with every booking".into(),
        phrasings: vec!["Do you rent clubs?".into(), "  ".into(), "Do you rent clubs?".into()],
        ..Fields::default()
    };
    let (sop, warnings) = build(fields.clone(), &mut taken).unwrap();
    assert_eq!(sop.id.as_str(), "faq.club_rentals_2");
    assert_eq!(sop.subcategory.as_str(), "club_rentals_2");
    assert_eq!(warnings, ["`faq.club_rentals` is taken, so this draft is `faq.club_rentals_2`"]);
    assert_eq!(sop.triggers.variants, ["Do you rent clubs?"]);
    assert_eq!(sop.reply, "Free with every booking");
    assert!(sop.validate(&taken).is_ok());
    let (again, _) = build(fields, &mut taken).unwrap();
    assert_eq!(again.id.as_str(), "faq.club_rentals_3");

    let given = Fields {
        title: "Bay lights".into(),
        reply: "Switch by the door.".into(),
        category: Some(Category::Tech),
        subcategory: Some("Bay Lights Off".into()),
        action: Some(SopAction::RebootPc),
        keywords: vec!["Lights; switch".into()],
        ..Fields::default()
    };
    let (sop, _) = build(given, &mut taken).unwrap();
    assert_eq!(sop.id.as_str(), "tech.bay_lights_off");
    assert_eq!((sop.primary_action, sop.fallback_action), (SopAction::RebootPc, Some(SopAction::Escalate)));
    assert_eq!(sop.keywords, ["lights", "switch"]);
}

#[test]
fn build_refuses_parts_without_text() {
    let mut taken = HashSet::new();
    let no_reply = Fields { title: "Parking".into(), reply: " -- ".into(), ..Fields::default() };
    assert_eq!(build(no_reply, &mut taken).unwrap_err(), "no answer text to send the customer");
    let no_title = Fields { title: "!!".into(), reply: "Free.".into(), ..Fields::default() };
    assert!(build(no_title, &mut taken).unwrap_err().starts_with("no title"));
    // A title with no ASCII letters still gets an id.
    let cjk = Fields { title: "駐車場".into(), reply: "Free.".into(), ..Fields::default() };
    assert_eq!(build(cjk, &mut taken).unwrap().0.id.as_str(), "faq.untitled");
}
