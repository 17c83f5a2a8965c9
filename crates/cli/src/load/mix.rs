//! The message mix of `clubos load`: realistic customer texts (FAQ questions,
//! frozen TrackMans, doors that won't open, gibberish) and one customer phone
//! number per message, both chosen deterministically from the message index.

/// What a load message is about (and so what the pipeline should do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A question the SOPs answer: a reply.
    Faq,
    /// "trackman frozen in bay N": a reset with a booking, else an escalation.
    Trackman,
    /// "door won't open": an unlock with a booking, else an escalation.
    Door,
    /// Nothing to match: an escalation (`no_match`) with an acknowledgement.
    Gibberish,
}

/// Out of every 20 messages: 8 FAQ, 5 TrackMan, 4 door, 3 gibberish
/// (40 / 25 / 20 / 15 %), interleaved so any prefix of a run has the mix.
const PATTERN: [Kind; 20] = {
    use Kind::*;
    [
        Faq, Trackman, Door, Faq, Gibberish, Faq, Trackman, Door, Faq, Trackman, //
        Faq, Door, Gibberish, Faq, Trackman, Faq, Door, Trackman, Faq, Gibberish,
    ]
};

const FAQ: &[&str] = &[
    "what are your hours",
    "what time do you close tonight",
    "are you open on sunday",
    "how much does it cost to rent a bay for an hour",
    "is there parking",
    "do you have wifi",
    "can I bring my own clubs",
    "do you sell gift cards",
    "do you serve food or drinks",
    "how do I book a bay",
];

const TRACKMAN: &[&str] = &[
    "trackman frozen in bay {bay}",
    "the sim in bay {bay} is frozen",
    "trackman is stuck on bay {bay}, can't click anything",
];

const DOOR: &[&str] = &[
    "door won't open",
    "the front door won't unlock",
    "can't get in, the door is locked",
    "my code isn't working on the door",
];

const GIBBERISH: &[&str] =
    &["asdf qwerty zxcv", "blorp fnargle wibble", "k", "lorem ipsum dolor sit amet", "ok so umm yeah"];

const PREFIXES: &[&str] = &["", "hi, ", "hey ", "Hello! "];

/// One message of the mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: Kind,
    pub text: String,
    /// The bay a TrackMan message names (1–4, the demo's bays).
    pub bay: Option<u16>,
}

/// The `i`-th message of a run.
pub fn message(i: u64) -> Message {
    let kind = PATTERN[(i % PATTERN.len() as u64) as usize];
    let round = i / PATTERN.len() as u64;
    let pick = |list: &[&'static str]| list[(round % list.len() as u64) as usize];
    let prefix = PREFIXES[((i / 7) % PREFIXES.len() as u64) as usize];
    let (body, bay) = match kind {
        Kind::Faq => (pick(FAQ).to_owned(), None),
        Kind::Trackman => {
            let bay = (i % 4) as u16 + 1;
            (pick(TRACKMAN).replace("{bay}", &bay.to_string()), Some(bay))
        }
        Kind::Door => (pick(DOOR).to_owned(), None),
        Kind::Gibberish => (pick(GIBBERISH).to_owned(), None),
    };
    Message { kind, text: format!("{prefix}{body}"), bay }
}

/// Distinct numbers available: 902-NXX-XXXX with the exchange 200–999.
const PHONES: u64 = 8_000_000;

/// The customer's number for message `i`: unique within a run of up to 8
/// million messages (so each message opens its own thread and the per-thread
/// LLM interval never defers it); `salt` moves a run away from an earlier
/// one's numbers on a server that is reused.
pub fn phone(i: u64, salt: u64) -> String {
    let n = 2_000_000 + (i.wrapping_add(salt)) % PHONES;
    format!("+1902{n:07}")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;

    #[test]
    fn the_mix_has_its_proportions_in_every_block_of_twenty() {
        let mut counts = BTreeMap::new();
        for i in 0..1000 {
            *counts.entry(message(i).kind).or_insert(0) += 1;
        }
        assert_eq!(counts[&Kind::Faq], 400);
        assert_eq!(counts[&Kind::Trackman], 250);
        assert_eq!(counts[&Kind::Door], 200);
        assert_eq!(counts[&Kind::Gibberish], 150);
    }

    #[test]
    fn texts_vary_and_trackman_names_its_bay() {
        let texts: HashSet<String> = (0..400).map(|i| message(i).text).collect();
        assert!(texts.len() > 40, "only {} distinct texts", texts.len());
        for i in 0..200 {
            let m = message(i);
            match m.kind {
                Kind::Trackman => {
                    let bay = m.bay.unwrap();
                    assert!((1..=4).contains(&bay));
                    assert!(m.text.contains(&format!("bay {bay}")), "{}", m.text);
                }
                _ => assert_eq!(m.bay, None),
            }
            assert!(!m.text.is_empty());
        }
    }

    #[test]
    fn phones_are_unique_e164_numbers_that_parse() {
        let salt = 7_999_990;
        let phones: HashSet<String> = (0..100_000).map(|i| phone(i, salt)).collect();
        assert_eq!(phones.len(), 100_000);
        for p in phones.iter().take(50) {
            let parsed = clubos_domain::PhoneNumber::parse(p, clubos_domain::CountryCode::NANP).unwrap();
            assert_eq!(parsed.as_str(), p);
        }
    }
}
