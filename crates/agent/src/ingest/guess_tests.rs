//! Tests of the category, action and keyword guesses.

use super::*;
use crate::ingest::build::MAX_KEYWORDS;

#[test]
fn keywords_skip_stopwords_numbers_and_repeats() {
    let texts = ["Can I bring my own clubs", "own clubs for bay 3", "clubs rental pricing policy extra more"];
    assert_eq!(salient_words(&texts, MAX_KEYWORDS), ["bring", "own", "clubs", "bay", "rental", "pricing"]);
}

#[test]
fn category_needs_a_clear_lead() {
    let none: [String; 0] = [];
    assert_eq!(guess_category("Door code", &none, "Your code arrives by text."), Category::Access);
    assert_eq!(guess_category("Guest policy", &none, "Each booking may bring guests."), Category::Faq);
    assert_eq!(guess_category("Dress code", &none, "Flat shoes only."), Category::Faq);
    assert_eq!(guess_category("Refunds", &["can i get a refund".into()], "Within 24 hours."), Category::Booking);
    // Equal weight for two categories: faq.
    assert_eq!(guess_category("Door and screen", &none, ""), Category::Faq);
}

#[test]
fn actions_follow_what_the_text_says() {
    let act = |c, text| guess_action(c, "", text);
    assert_eq!(act(Category::Tech, "We reset the TrackMan from here."), SopAction::ResetTrackman);
    assert_eq!(act(Category::Tech, "Please do not restart the simulator yourself."), SopAction::Escalate);
    assert_eq!(act(Category::Tech, "We can reboot the bay PC remotely."), SopAction::RebootPc);
    assert_eq!(act(Category::Access, "Staff can open the door remotely."), SopAction::UnlockDoor);
    assert_eq!(act(Category::Access, "Use your code to open the door."), SopAction::Escalate);
    assert_eq!(act(Category::Booking, "We reset the TrackMan from here."), SopAction::SendReply);
}
