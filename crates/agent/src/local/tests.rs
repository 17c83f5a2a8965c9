//! Unit tests of the local classifier: bays, normalisation, precedence,
//! none texts, emoji, misspellings, confidence and the async trait. The
//! texts here are written for the tests, not taken from data/labelled.

use std::sync::OnceLock;

use clubos_domain::{BayNumber, Category, Classification, LocationId, Proposal};
use proptest::prelude::*;

use super::*;
use crate::sop::load_starter_sops;

fn classifier() -> &'static LocalClassifier {
    static C: OnceLock<LocalClassifier> = OnceLock::new();
    C.get_or_init(LocalClassifier::with_starter_sops)
}

fn classify(text: &str) -> Classification {
    classifier().classify_text(text, None)
}

/// `category.sub_intent`, or `none`.
fn label(text: &str) -> String {
    let c = classify(text);
    match (c.category, c.sub_intent) {
        (Some(cat), Some(sub)) => format!("{cat}.{sub}"),
        _ => "none".into(),
    }
}

fn bay(n: u16) -> Option<BayNumber> {
    Some(BayNumber::new(n).unwrap())
}

#[test]
fn clear_problem_texts_are_confident_and_propose_the_sop_action() {
    let c = classify("the trackman is frozen in bay 4");
    assert_eq!(c.category, Some(Category::Tech));
    assert_eq!(c.sub_intent.as_ref().unwrap().as_str(), "trackman_frozen");
    assert_eq!(c.proposal, Proposal::ResetTrackman { bay: bay(4) });
    assert_eq!(c.matched_sop.as_ref().unwrap().as_str(), "tech.trackman_frozen");
    assert!(c.reply.as_deref().unwrap().contains("resetting"), "{c:?}");
    assert!(c.confidence.get() >= 0.85, "{c:?}");

    let c = classify("our door won't open, tried the code twice");
    assert_eq!(c.category, Some(Category::Access));
    assert_eq!(c.proposal, Proposal::UnlockDoor { door: None });
    assert!(c.confidence.get() >= 0.85, "{c:?}");

    let c = classify("windows update screen on the pc in simulator 2");
    assert_eq!(c.sub_intent.as_ref().unwrap().as_str(), "pc_error");
    assert_eq!(c.proposal, Proposal::RebootPc { bay: bay(2) });

    let c = classify("what time do you close on saturday?");
    assert_eq!(c.category, Some(Category::Faq));
    assert_eq!(c.proposal, Proposal::Reply);
    assert!(c.confidence.get() >= 0.85, "{c:?}");

    let c = classify("I need to cancel tomorrow's 6pm booking");
    assert_eq!(c.category, Some(Category::Booking));
    assert_eq!(c.proposal, Proposal::Escalate);
}

#[test]
fn bay_comes_from_the_text_or_is_left_to_the_policy() {
    let reset = |text: &str, booked: Option<BayNumber>| classifier().classify_text(text, booked).proposal;
    assert_eq!(reset("sim 3 frozen", None), Proposal::ResetTrackman { bay: bay(3) });
    assert_eq!(reset("box 6 trackman crashed", None), Proposal::ResetTrackman { bay: bay(6) });
    assert_eq!(reset("#2 is frozen again", None), Proposal::ResetTrackman { bay: bay(2) });
    assert_eq!(reset("bay five trackman stuck", None), Proposal::ResetTrackman { bay: bay(5) });
    assert_eq!(reset("b3 trackman frozen", None), Proposal::ResetTrackman { bay: bay(3) });
    // No bay in the text: the policy falls back to the booking.
    assert_eq!(reset("trackman frozen", bay(7)), Proposal::ResetTrackman { bay: None });
    // Two bays: only the booked one can settle it.
    let two = "we moved from bay 2 to bay 3 and the trackman froze";
    assert_eq!(reset(two, None), Proposal::ResetTrackman { bay: None });
    assert_eq!(reset(two, bay(3)), Proposal::ResetTrackman { bay: bay(3) });
}

#[test]
fn normalisation_ignores_case_punctuation_and_apostrophe_style() {
    let want = "access.door_wont_open";
    for t in [
        "door won't open",
        "DOOR WON’T OPEN!!!",
        "Door...wont open?",
        "door   wont\topen",
        "door wont open\nplease help",
    ] {
        assert_eq!(label(t), want, "{t:?}");
    }
    assert_eq!(canonical("Can’t get IN, pls!"), "cant get in please");
}

#[test]
fn slang_and_misspellings_are_understood() {
    assert_eq!(label("r u open 2nite"), "faq.hours");
    assert_eq!(label("trakman frozed on hole 3"), "tech.trackman_frozen");
    assert_eq!(label("dor wont opn"), "access.door_wont_open");
    assert_eq!(label("projecter is off in bay 1"), "tech.black_screen");
    assert_eq!(label("can i cancle my booking"), "booking.booking_cancel");
    assert_eq!(label("wify pasword?"), "faq.wifi");
}

#[test]
fn emoji_do_not_get_in_the_way() {
    assert_eq!(label("trackman frozen 😡😡 bay 2"), "tech.trackman_frozen");
    assert_eq!(classify("frozen😤again #4").proposal, Proposal::ResetTrackman { bay: bay(4) });
    assert_eq!(label("🚪 door won't open 😭🙏"), "access.door_wont_open");
    assert_eq!(label("do you have parking? 🚗"), "faq.parking");
    for t in ["👍", "🙏🙏", "🏌️‍♂️⛳", "😂😂😂"] {
        assert_eq!(label(t), "none", "{t}");
    }
}

#[test]
fn two_intents_follow_the_precedence_rule() {
    // Tech/access problems before booking, booking before faq.
    assert_eq!(label("the sim froze, also what are your hours"), "tech.trackman_frozen");
    assert_eq!(label("do you sell gift cards? and the door won't open"), "access.door_wont_open");
    assert_eq!(label("can we extend another hour? and what's the wifi password"), "booking.booking_extend");
    assert_eq!(label("trackman not picking up shots, can we get extra time"), "tech.no_ball_tracking");
    // A two-intent answer is less certain than a one-intent one.
    let one = classify("what's the wifi password").confidence.get();
    let two = classify("what's the wifi password and can we extend another hour").confidence.get();
    assert!(two < one, "{two} vs {one}");
}

#[test]
fn a_money_back_request_after_the_problem_is_a_refund() {
    assert_eq!(label("the door didn't work last night and we went home, I want a refund"), "booking.refund");
    // ... while a problem still happening is the problem.
    assert_eq!(label("door won't open, we're outside"), "access.door_wont_open");
}

#[test]
fn the_more_specific_phrase_wins_over_a_shared_word() {
    // "code ... not working" is an access trigger, but this is a promo code.
    assert_eq!(label("the promo code is not working at checkout"), "booking.booking_issue");
    assert_eq!(label("the door code is not working"), "access.door_wont_open");
}

#[test]
fn texts_for_no_category_are_none_with_low_confidence() {
    for t in [
        "thanks!",
        "ok",
        "k thx",
        "wrong number, sorry",
        "STOP",
        "unsubscribe",
        "it's working now, thank you",
        "never mind, we got it",
        "had a great time tonight",
        "Congratulations! You've won a free gift card, click here to claim",
        "my friend fell and is bleeding",
        "are you hiring?",
        "",
        "   ",
        "?!?",
        "asdfgh qwerty",
    ] {
        let c = classify(t);
        assert_eq!(c.category, None, "{t:?}: {c:?}");
        assert_eq!(c.sub_intent, None);
        assert_eq!(c.proposal, Proposal::None);
        assert_eq!(c.reply, None);
        assert_eq!(c.matched_sop, None);
        assert!(c.confidence.get() < 0.85, "{t:?}: {c:?}");
    }
}

#[test]
fn similarity_alone_never_reaches_the_action_threshold() {
    let e = classifier().explain("the screen will not show anything at all", None);
    let c = classify("the screen will not show anything at all");
    if e.rule == "similarity" {
        assert!(c.confidence.get() < 0.85, "{e}");
    }
    let weak = classify("sensor seems confused about my swings");
    assert!(weak.confidence.get() < 0.85, "{weak:?}");
}

#[test]
fn explanation_shows_the_evidence() {
    let e = classifier().explain("trakman froze bay 3", None);
    assert_eq!(e.chosen.as_deref(), Some("tech.trackman_frozen"));
    assert_eq!(e.corrected, "trackman froze bay 3");
    assert_eq!(e.bay, bay(3));
    assert!(e.candidates[0].evidence.exact > 0);
    let shown = e.to_string();
    assert!(shown.contains("tech.trackman_frozen") && shown.contains("regex"), "{shown}");
}

#[test]
fn works_with_any_sop_set() {
    let empty = LocalClassifier::new(Vec::new()).unwrap();
    assert_eq!(empty.classify_text("trackman frozen", None).category, None);
    let faq_only: Vec<_> = load_starter_sops().into_iter().filter(|s| s.category == Category::Faq).collect();
    let c = LocalClassifier::new(faq_only).unwrap();
    assert_eq!(c.classify_text("trackman frozen bay 2", None).category, None);
    assert_eq!(c.classify_text("what are your hours", None).category, Some(Category::Faq));
}

#[test]
fn very_long_texts_are_clipped_not_refused() {
    let long = format!("door won't open {}", "é".repeat(10_000));
    assert_eq!(label(&long), "access.door_wont_open");
}

#[tokio::test]
async fn async_trait_reports_the_local_model() {
    let c: &dyn Classifier = classifier();
    assert_eq!(c.name(), "local");
    let location = LocationId::parse("bedford").unwrap();
    let req = ClassifyRequest { text: "sim 2 frozen", location: &location, booked_bay: bay(2) };
    let out = c.classify(&req).await.unwrap();
    assert_eq!(out.model, "local");
    assert_eq!((out.tokens_in, out.tokens_out, out.cached), (0, 0, false));
    assert_eq!(out.classification.category, Some(Category::Tech));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_classifies_consistently(text in "\\PC{0,200}") {
        let c = classify(&text);
        let x = c.confidence.get();
        prop_assert!((0.0..=1.0).contains(&x));
        prop_assert_eq!(c.category.is_none(), c.matched_sop.is_none());
        prop_assert_eq!(c.category.is_none(), c.proposal == Proposal::None);
        if let (Some(cat), Some(sop)) = (c.category, &c.matched_sop) {
            prop_assert!(sop.as_str().starts_with(cat.as_str()));
        }
        prop_assert_eq!(classify(&text), c, "deterministic");
    }

    #[test]
    fn sop_words_in_noise_never_panic(
        words in proptest::collection::vec(
            prop_oneof![
                Just("door"), Just("trackman"), Just("frozen"), Just("bay"), Just("3"),
                Just("refund"), Just("yesterday"), Just("thanks"), Just("code"),
                Just("promo"), Just("not"), Just("working"), Just("😡"), Just("#"),
                Just("wifi"), Just("cancel"), Just("won't"), Just("open"),
            ],
            0..20,
        )
    ) {
        let text = words.join(" ");
        let c = classify(&text);
        prop_assert!((0.0..=1.0).contains(&c.confidence.get()));
    }
}
