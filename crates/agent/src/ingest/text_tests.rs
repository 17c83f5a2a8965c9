//! Tests of splitting markdown and plain text into drafts.

use crate::ingest::{Format, Ingested, ingest};
use crate::sop::{Sop, SopAction, load_starter_sops};
use clubos_domain::Category;

const HOUSE_RULES: &str = "\
# Fairway Hub house rules

Welcome to Fairway Hub! Please read these before your first visit.

## Guest policy

Each booking covers up to **4 players** in one bay. Extra guests may watch
from the lounge but may not play.

- Can I bring friends?
- Q: how many people per bay
- Children under 12 must be with an adult at all times

## Lost and found

We keep lost items for *30 days* at the front desk. Text us a description and
we will check the [lost and found log](https://fairwayhub.example/lost).

- \"I left my glove in bay 2\"
- Did anyone find my keys?

## Club rentals

Rental sets are free with every bay booking. Left-handed sets are limited, so
mention it when you book.

* Do you rent clubs?
* Customer: need lefty clubs
";

fn md(doc: &str) -> Ingested {
    ingest("house-rules.md", Format::Markdown, doc, &load_starter_sops())
}

fn txt(doc: &str) -> Ingested {
    ingest("notes.txt", Format::Text, doc, &load_starter_sops())
}

fn titles(got: &Ingested) -> Vec<&str> {
    got.drafts.iter().map(|d| d.sop.title.as_str()).collect()
}

fn draft<'a>(got: &'a Ingested, title: &str) -> &'a Sop {
    &got.drafts.iter().find(|d| d.sop.title == title).unwrap_or_else(|| panic!("no draft `{title}`: {got:#?}")).sop
}

#[test]
fn markdown_house_rules_give_one_draft_per_heading() {
    let got = md(HOUSE_RULES);
    assert_eq!(titles(&got), ["Guest policy", "Lost and found", "Club rentals"]);
    // The introduction under the document title is reported, not a draft.
    assert_eq!(got.problems.len(), 1, "{:?}", got.problems);
    assert_eq!(got.problems[0].origin, "house-rules.md § Fairway Hub house rules");

    let guests = draft(&got, "Guest policy");
    assert_eq!(guests.id.as_str(), "faq.guest_policy");
    assert_eq!(guests.category, Category::Faq);
    assert_eq!(
        guests.reply,
        "Each booking covers up to 4 players in one bay. Extra guests may watch from the lounge but may not play. \
         Children under 12 must be with an adult at all times."
    );
    assert_eq!(guests.triggers.variants, ["Can I bring friends?", "how many people per bay"]);
    assert_eq!(guests.triggers.exact, ["can i bring friends", "how many people per bay", "guest policy"]);
    assert_eq!(guests.primary_action, SopAction::SendReply);
    assert_eq!(guests.fallback_action, None);
    assert!(guests.keywords.len() <= 6 && guests.keywords.contains(&"guest".to_owned()), "{:?}", guests.keywords);
    assert!(guests.context.locations.is_empty() && guests.context.time_window.is_none());

    let lost = draft(&got, "Lost and found");
    assert_eq!(
        lost.reply,
        "We keep lost items for 30 days at the front desk. Text us a description and we will check the \
         lost and found log (https://fairwayhub.example/lost)."
    );
    // The starter SOP's phrasings are kept; the document's are added.
    assert!(lost.triggers.variants.ends_with(&["I left my glove in bay 2".into(), "Did anyone find my keys?".into()]));
    assert_eq!(lost.category, Category::Faq);

    let clubs = draft(&got, "Club rentals");
    assert_eq!(clubs.triggers.exact, ["do you rent clubs", "need lefty clubs", "club rentals"]);
    assert_eq!(clubs.keywords, ["club", "rentals", "rent", "clubs", "need", "lefty"]);
    assert_eq!(got.drafts[2].origin, "house-rules.md § Club rentals");
}

#[test]
fn categories_and_actions_are_guessed_from_the_words() {
    let doc = "\
## Simulator frozen
If the TrackMan screen freezes, we restart the simulator remotely; it takes about two minutes.
- trackman is frozen?

## Door code not working
We can unlock the front door remotely for customers with a booking.
- \"code not working\"

## Cancellations
Cancel up to 24 hours before your booking for a full refund.

## Projector is dim
Staff will swap the projector bulb; we will text you when it is done.
";
    let got = md(doc);
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let sim = draft(&got, "Simulator frozen");
    assert_eq!((sim.category, sim.primary_action), (Category::Tech, SopAction::ResetTrackman));
    assert_eq!(sim.fallback_action, Some(SopAction::Escalate));
    let door = draft(&got, "Door code not working");
    assert_eq!((door.category, door.primary_action), (Category::Access, SopAction::UnlockDoor));
    let cancel = draft(&got, "Cancellations");
    assert_eq!((cancel.category, cancel.primary_action), (Category::Booking, SopAction::SendReply));
    assert_eq!(cancel.triggers.exact, Vec::<String>::new(), "one-word headings are not triggers");
    let dim = draft(&got, "Projector is dim");
    assert_eq!((dim.category, dim.primary_action, dim.fallback_action), (Category::Tech, SopAction::Escalate, None));
}

#[test]
fn markdown_without_headings_splits_by_paragraph() {
    let doc = "Can we bring food? Outside snacks are fine; no glass bottles in the bays.\n\n\
               Parking is free in the lot behind the building after 6 pm.\n";
    let got = md(doc);
    assert_eq!(titles(&got), ["Can we bring food?", "Parking is free in the lot behind the building after 6 pm"]);
    let food = draft(&got, "Can we bring food?");
    assert_eq!(food.reply, "Outside snacks are fine; no glass bottles in the bays.");
    assert_eq!(food.triggers.exact, ["can we bring food"]);
    let parking = draft(&got, "Parking is free in the lot behind the building after 6 pm");
    assert_eq!(parking.reply, "Parking is free in the lot behind the building after 6 pm.");
    assert_eq!(got.drafts[1].origin, "house-rules.md paragraph 2");
}

#[test]
fn empty_headings_are_problems_unless_they_group_subsections() {
    let doc = "## Rules\n### Shoes\nClean shoes only on the turf.\n## Wifi\n";
    let got = md(doc);
    assert_eq!(titles(&got), ["Shoes"]);
    assert_eq!(got.problems.len(), 1);
    assert_eq!(got.problems[0].origin, "house-rules.md § Wifi");
    assert_eq!(got.problems[0].message, "no text under this heading");
}

#[test]
fn markdown_links_tables_and_deep_headings_are_flattened() {
    let doc = "\
## See [our prices](https://fairwayhub.example/prices)
Rates are listed online. Email [the desk](mailto:desk@fairwayhub.example) with questions.

#### Off-peak
| Bay | Rate |
|-----|------|
| Standard | $40 |

![a photo](photo.jpg)
";
    let got = md(doc);
    assert_eq!(titles(&got), ["See our prices"]);
    assert_eq!(
        got.drafts[0].sop.reply,
        "Rates are listed online. Email the desk (desk@fairwayhub.example) with questions. Off-peak. Bay Rate. \
         Standard $40."
    );
}

#[test]
fn a_section_with_only_questions_has_no_reply() {
    let got = md("## Gift cards\n- Do you sell gift cards?\n");
    assert!(got.drafts.is_empty());
    assert_eq!(got.problems[0].message, "no answer text to send the customer");
}

#[test]
fn plain_text_headings_by_capitals_colon_and_blank_line() {
    let doc = "\
GUEST POLICY
Up to 4 players per bay. Guests may watch from the lounge.
- Can my kids play?

Lost and found:
Items are kept at the front desk for 30 days.

Club rentals

Rental sets are free with every booking.
Q: do you have lefty clubs
A: Yes, two left-handed sets.
";
    let got = txt(doc);
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    assert_eq!(titles(&got), ["Guest policy", "Lost and found", "Club rentals"]);
    assert_eq!(got.drafts[0].origin, "notes.txt § GUEST POLICY");
    let guests = draft(&got, "Guest policy");
    assert_eq!(guests.reply, "Up to 4 players per bay. Guests may watch from the lounge.");
    assert_eq!(guests.triggers.variants, ["Can my kids play?"]);
    let clubs = draft(&got, "Club rentals");
    assert_eq!(clubs.reply, "Rental sets are free with every booking. Yes, two left-handed sets.");
    assert_eq!(clubs.triggers.exact, ["do you have lefty clubs", "club rentals"]);
}

#[test]
fn plain_text_paragraphs_without_headings() {
    let doc = "\
Lockers are free to use during your booking. Bring your own lock or ask for one at the desk.

Is there a dress code? Soft-spike or flat shoes only; no metal spikes on the mats.
Hats and jeans are fine.

No food or drinks on the hitting mats.
";
    let got = txt(doc);
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    assert_eq!(
        titles(&got),
        [
            "Lockers are free to use during your booking",
            "Is there a dress code?",
            "No food or drinks on the hitting mats"
        ]
    );
    let dress = draft(&got, "Is there a dress code?");
    assert_eq!(dress.category, Category::Faq, "a dress code is not a door code");
    assert_eq!(dress.reply, "Soft-spike or flat shoes only; no metal spikes on the mats. Hats and jeans are fine.");
    assert_eq!(dress.triggers.exact, ["is there a dress code"]);
    assert_eq!(got.drafts[2].origin, "notes.txt paragraph 3");
}

#[test]
fn plain_text_list_items_and_preamble() {
    let doc = "Fairway Hub notes\n\nPARKING\n- Free after 6 pm\n  and all day Sunday\n- Is there parking?\n";
    let got = txt(doc);
    assert_eq!(titles(&got), ["Parking"]);
    assert_eq!(got.drafts[0].sop.reply, "Free after 6 pm and all day Sunday.");
    assert!(got.drafts[0].sop.triggers.variants.ends_with(&["Is there parking?".into()]), "added to the starter's");
    assert_eq!(got.problems.len(), 1);
    assert_eq!(got.problems[0].origin, "notes.txt (before the first heading)");
}
