//! Tests of the retrieval stages added for issue 5: full-text relevance
//! (BM25), the context filter (location, local time window, valid until)
//! and dependencies. The texts and SOPs are written for these tests.

use std::sync::Arc;

use clubos_domain::time::{LocalTime, TimeWindow};
use clubos_domain::{Category, LocationId, SopId, SubIntent};
use jiff::civil::{DateTime, date};
use proptest::prelude::*;

use super::context::{Excluded, Gates, Situation};
use super::fulltext::FullText;
use super::text::canonical;
use super::*;
use crate::classifier::{Classifier, ClassifyRequest};
use crate::sop::{Sop, SopAction, SopContext, SopTriggers, load_starter_sops};

/// A FAQ SOP `faq.<sub>` with exact phrases and a reply, and nothing else.
fn sop(sub: &str, exact: &[&str], reply: &str) -> Sop {
    let category = Category::Faq;
    let subcategory = SubIntent::parse(sub.split('.').next().unwrap()).unwrap();
    Sop {
        id: SopId::parse(&format!("faq.{sub}")).unwrap(),
        title: sub.replace(['.', '_'], " "),
        category,
        subcategory,
        triggers: SopTriggers { exact: exact.iter().map(|s| s.to_string()).collect(), ..SopTriggers::default() },
        keywords: Vec::new(),
        primary_action: SopAction::SendReply,
        fallback_action: None,
        reply: reply.into(),
        context: SopContext::default(),
        dependencies: Vec::new(),
    }
}

fn id(s: &str) -> SopId {
    SopId::parse(s).unwrap()
}

fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Option<DateTime> {
    Some(date(y, m, d).at(h, min, 0, 0))
}

/// Hours (general) and holiday hours (builds on hours, until Boxing Day);
/// the patio (Bedford only, 10:00–22:00) and its heaters (build on the
/// patio); one SOP building on a missing SOP, two building on each other.
fn context_classifier() -> LocalClassifier {
    let hours = sop("hours", &["are you open", "opening hours"], "We are open 24/7 with a booking.");
    let mut holiday = sop("hours.holiday", &["open on christmas"], "We are closed on Christmas Day.");
    holiday.dependencies = vec![hours.id.clone()];
    holiday.context.valid_until = Some(date(2026, 12, 26));
    let mut patio = sop("patio", &["patio"], "The patio is open from 10am to 10pm.");
    patio.context.locations = vec![LocationId::parse("bedford").unwrap()];
    let t = |s| LocalTime::parse(s).unwrap();
    patio.context.time_window = Some(TimeWindow::new(t("10:00"), t("22:00")).unwrap());
    let mut heaters = sop("patio.heaters", &["patio heaters", "heaters"], "The heaters switch on at the post.");
    heaters.dependencies = vec![patio.id.clone()];
    let mut ghost = sop("ghost", &["ghost tour"], "Ghost tours run on Fridays.");
    ghost.dependencies = vec![id("faq.missing")];
    let mut loop_a = sop("loop_a", &["loop alpha"], "A.");
    let mut loop_b = sop("loop_b", &["loop beta"], "B.");
    loop_a.dependencies = vec![loop_b.id.clone()];
    loop_b.dependencies = vec![loop_a.id.clone()];
    LocalClassifier::new(vec![hours, holiday, patio, heaters, ghost, loop_a, loop_b]).unwrap()
}

fn chosen(c: &LocalClassifier, text: &str, s: &Situation<'_>) -> Option<String> {
    c.classify_in(text, None, s).matched_sop.map(|x| x.to_string())
}

fn dropped(c: &LocalClassifier, text: &str, s: &Situation<'_>) -> Vec<(String, String)> {
    c.explain_in(text, None, s).excluded
}

#[test]
fn fulltext_ranks_the_relevant_sop_first_for_paraphrases() {
    let sops = load_starter_sops();
    let ft = FullText::new(&sops).unwrap();
    for (text, want) in [
        ("can my kid come along", "faq.guests_kids"),
        ("the projector image is blurry", "tech.black_screen"),
        ("forgot my jacket", "faq.lost_and_found"),
        ("can i get a coach", "faq.lessons"),
    ] {
        let c = canonical(text);
        let hits = ft.search(&c, &c);
        assert_eq!(sops[hits[0].sop as usize].id.as_str(), want, "{text}: {hits:?}");
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score), "best first");
        assert!(hits.iter().all(|h| h.score > 0.0), "{hits:?}");
    }
    for text in ["zzzq qqqz", "", "the and of it"] {
        assert!(ft.search(&canonical(text), &canonical(text)).is_empty(), "{text:?}");
    }
}

#[test]
fn fulltext_folds_accents_like_both_sides() {
    let sops = vec![sop("cafe", &["coffee"], "Our café serves espresso."), sop("parking", &["parking"], "Lot B.")];
    let ft = FullText::new(&sops).unwrap();
    for text in ["is the cafe open", "is the café open", "CAFÉ?"] {
        let c = canonical(text);
        let hits = ft.search(&c, &c);
        assert_eq!(hits.first().map(|h| h.sop), Some(0), "{text}: {hits:?}");
    }
}

#[test]
fn fulltext_breaks_a_tie_between_equal_triggers_whatever_the_order() {
    let north = sop("lights_north", &["lights out"], "Reset the breaker by the patio door.");
    let south = sop("lights_south", &["lights out"], "Reset the breaker by the front desk.");
    for set in [vec![north.clone(), south.clone()], vec![south.clone(), north.clone()]] {
        let c = LocalClassifier::new(set).unwrap();
        let got = c.classify_text("lights out near the patio", None);
        assert_eq!(got.matched_sop, Some(north.id.clone()));
        let got = c.classify_text("lights out by the front desk", None);
        assert_eq!(got.matched_sop, Some(south.id.clone()));
    }
}

#[test]
fn context_filter_drops_an_sop_for_another_location() {
    let c = context_classifier();
    let (bedford, halifax) = (LocationId::parse("bedford").unwrap(), LocationId::parse("halifax").unwrap());
    let noon = at(2026, 7, 1, 12, 0);
    let here = Situation { location: Some(&bedford), local: noon };
    assert_eq!(chosen(&c, "is the patio busy", &here).as_deref(), Some("faq.patio"));
    let there = Situation { location: Some(&halifax), local: noon };
    assert_eq!(chosen(&c, "is the patio busy", &there), None);
    assert!(dropped(&c, "is the patio busy", &there).contains(&("faq.patio".into(), "other location".into())));
    // Where is unknown: not assumed.
    let unknown = Situation { location: None, local: noon };
    assert_eq!(chosen(&c, "is the patio busy", &unknown), None);
    assert_eq!(c.classify_text("is the patio busy", None).matched_sop, None);
}

#[test]
fn context_filter_drops_an_sop_outside_its_time_window() {
    let c = context_classifier();
    let bedford = LocationId::parse("bedford").unwrap();
    for (h, m, applies) in [(9, 59, false), (10, 0, true), (21, 59, true), (22, 0, false), (23, 30, false)] {
        let s = Situation { location: Some(&bedford), local: at(2026, 7, 1, h, m) };
        let got = chosen(&c, "is the patio busy", &s);
        assert_eq!(got.as_deref() == Some("faq.patio"), applies, "{h}:{m:02} {got:?}");
        if !applies {
            assert_eq!(dropped(&c, "is the patio busy", &s)[0].1, "outside its time window");
        }
    }
    let no_time = Situation { location: Some(&bedford), local: None };
    assert_eq!(chosen(&c, "is the patio busy", &no_time), None);
    assert_eq!(dropped(&c, "is the patio busy", &no_time)[0].1, "local time unknown");
}

#[test]
fn context_filter_drops_an_sop_past_valid_until_and_the_general_one_answers() {
    let c = context_classifier();
    let loc = LocationId::parse("halifax").unwrap();
    let text = "are you open on christmas?";
    let on = |d: i8| Situation { location: Some(&loc), local: at(2026, 12, d, 9, 0) };
    assert_eq!(chosen(&c, text, &on(20)).as_deref(), Some("faq.hours.holiday"));
    // Both fire, hours with more phrases; the holiday SOP builds on hours
    // and is the more specific.
    let both = "what are your opening hours, are you open on christmas";
    let e = c.explain_in(both, None, &on(20));
    assert_eq!((e.chosen.as_deref(), e.rule), (Some("faq.hours.holiday"), "builds_on"), "{e}");
    assert_eq!(chosen(&c, both, &on(27)).as_deref(), Some("faq.hours"));
    assert_eq!(chosen(&c, text, &on(26)).as_deref(), Some("faq.hours.holiday"), "valid_until is inclusive");
    assert_eq!(chosen(&c, text, &on(27)).as_deref(), Some("faq.hours"));
    assert!(dropped(&c, text, &on(27)).contains(&("faq.hours.holiday".into(), "past valid_until".into())));
    // Building on hours does not make hours its competitor.
    let sure = c.classify_in(text, None, &on(20)).confidence.get();
    let general = c.classify_in("are you open", None, &on(20)).confidence.get();
    assert!(sure >= general - 1e-9, "{sure} vs {general}");
}

#[test]
fn an_sop_is_dropped_when_what_it_builds_on_does_not_apply() {
    let c = context_classifier();
    let (bedford, halifax) = (LocationId::parse("bedford").unwrap(), LocationId::parse("halifax").unwrap());
    let noon = at(2026, 7, 1, 12, 0);
    let text = "can you turn on the patio heaters";
    let here = Situation { location: Some(&bedford), local: noon };
    assert_eq!(chosen(&c, text, &here).as_deref(), Some("faq.patio.heaters"));
    let there = Situation { location: Some(&halifax), local: noon };
    assert_eq!(chosen(&c, text, &there), None);
    let why = dropped(&c, text, &there);
    assert!(why.contains(&("faq.patio.heaters".into(), "builds on faq.patio, which does not apply".into())), "{why:?}");
}

#[test]
fn an_sop_building_on_a_missing_or_cyclic_sop_is_never_used() {
    let c = context_classifier();
    let loc = LocationId::parse("bedford").unwrap();
    let s = Situation { location: Some(&loc), local: at(2026, 7, 1, 12, 0) };
    assert_eq!(chosen(&c, "is there a ghost tour", &s), None);
    assert_eq!(dropped(&c, "is there a ghost tour", &s)[0].1, "dependency missing or cyclic");
    assert_eq!(chosen(&c, "loop alpha", &s), None);
    assert_eq!(chosen(&c, "loop beta", &s), None);
}

#[test]
fn gates_check_each_condition() {
    let c = context_classifier();
    let g = Gates::new(c.sops());
    let bedford = LocationId::parse("bedford").unwrap();
    let s = Situation { location: Some(&bedford), local: at(2026, 12, 27, 12, 0) };
    let check = |i| g.check(i, &s);
    assert_eq!(check(0), Ok(()), "hours has no context");
    assert_eq!(check(1), Err(Excluded::Expired));
    assert_eq!(check(2), Ok(()));
    assert_eq!(check(3), Ok(()));
    assert_eq!(check(4), Err(Excluded::MissingDependency));
    assert_eq!(check(5), Err(Excluded::MissingDependency));
    assert_eq!(g.builds_on(1), &[0]);
    assert_eq!(g.builds_on(3), &[2]);
    assert!(g.builds_on(0).is_empty());
    let late = Situation { location: Some(&bedford), local: at(2026, 7, 1, 23, 0) };
    assert_eq!(g.check(3, &late), Err(Excluded::Dependency(2)));
}

#[tokio::test]
async fn the_classifier_trait_passes_the_location_and_its_local_time() {
    let noon: LocalNow =
        Arc::new(|loc: &LocationId| (loc.as_str() == "bedford").then(|| date(2026, 7, 1).at(12, 0, 0, 0)));
    let c = context_classifier().with_local_time(noon);
    let bedford = LocationId::parse("bedford").unwrap();
    let req = ClassifyRequest { text: "is the patio busy", location: &bedford, booked_bay: None };
    let out = c.classify(&req).await.unwrap();
    assert_eq!(out.classification.matched_sop, Some(id("faq.patio")));
    // Without the local time the patio's window cannot be checked.
    let c = context_classifier();
    let out = c.classify(&req).await.unwrap();
    assert_eq!(out.classification.matched_sop, None);
}

/// Full-text relevance runs only when a decision met a tie; the outcome
/// must be the one of running it on every text.
fn same_as_always_running_fulltext(c: &LocalClassifier, text: &str) {
    let s = Situation::default();
    let (_, lazy) = c.retrieve(text, None, &s, false);
    let (_, always) = c.retrieve(text, None, &s, true);
    assert_eq!((lazy.sop, lazy.rule, lazy.confidence), (always.sop, always.rule, always.confidence), "{text:?}");
}

#[test]
fn fulltext_on_demand_decides_as_fulltext_always() {
    let starter = LocalClassifier::with_starter_sops();
    let labelled = include_str!("../../../../data/labelled/dev.jsonl");
    for line in labelled.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        same_as_always_running_fulltext(&starter, v["text"].as_str().unwrap());
    }
    let north = sop("lights_north", &["lights out"], "Reset the breaker by the patio door.");
    let south = sop("lights_south", &["lights out"], "Reset the breaker by the front desk.");
    let tied = LocalClassifier::new(vec![south, north]).unwrap();
    for text in ["lights out near the patio", "lights out", "lights out at the front desk", "patio"] {
        same_as_always_running_fulltext(&tied, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn fulltext_on_demand_is_exact_for_any_word_soup(
        words in prop::collection::vec(
            prop_oneof![
                Just("door"), Just("trackman"), Just("frozen"),
                Just("code"), Just("hours"), Just("refund"),
                Just("wifi"), Just("booking"), Just("screen"),
                Just("not"), Just("working"), Just("open"),
                Just("price"), Just("clubs"), Just("bay"),
            ],
            0..12,
        )
    ) {
        static C: std::sync::OnceLock<LocalClassifier> = std::sync::OnceLock::new();
        same_as_always_running_fulltext(C.get_or_init(LocalClassifier::with_starter_sops), &words.join(" "));
    }
}
