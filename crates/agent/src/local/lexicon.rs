//! Built-in phrase lists that are not SOP knowledge: evidence that a text
//! needs no SOP (thanks, "working now", wrong number, STOP, spam, feedback,
//! injuries — the `none` conventions of data/README.md), markers that a
//! problem is over, and stopwords for similarity. Phrases are canonical
//! (normalised, slang expanded) and matched on whole words.

use super::hash::FastSet;

/// Kinds of evidence that a text belongs to no category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoneKind {
    /// "thanks", "ok", "👍"-style acknowledgements.
    Ack,
    Greeting,
    /// The problem went away: "working now", "never mind".
    Resolved,
    WrongNumber,
    /// STOP / unsubscribe.
    OptOut,
    Spam,
    /// Injury or medical problem (no SOP; emergency priority is decided elsewhere).
    Medical,
    Feedback,
    /// Questions no SOP covers ("are you hiring").
    OffTopic,
    /// Asking for a person without saying about what.
    Human,
    /// Leaving / finished.
    Done,
}

impl NoneKind {
    /// How much one phrase of this kind weighs against SOP trigger evidence
    /// (a single exact phrase or regex hit weighs about 1).
    pub fn weight(self) -> f32 {
        match self {
            NoneKind::Ack => 0.4,
            NoneKind::Greeting => 0.3,
            NoneKind::Feedback => 0.7,
            NoneKind::Human | NoneKind::Done => 1.0,
            NoneKind::Spam => 1.2,
            NoneKind::OffTopic => 1.2,
            NoneKind::Resolved | NoneKind::WrongNumber => 1.6,
            NoneKind::OptOut | NoneKind::Medical => 2.0,
        }
    }
}

pub const NONE_PHRASES: &[(NoneKind, &[&str])] = &[
    (
        NoneKind::Ack,
        &[
            "thanks",
            "thank you",
            "ok",
            "cool",
            "great",
            "perfect",
            "awesome",
            "got it",
            "sounds good",
            "will do",
            "yes",
            "yep",
            "yup",
            "yeah",
            "sure",
            "lol",
            "haha",
            "np",
            "no problem",
            "no worries",
            "appreciate it",
            "much appreciated",
            "cheers",
            "nice",
            "sweet",
            "noted",
            "understood",
            "all set",
        ],
    ),
    (
        NoneKind::Greeting,
        &[
            "hi",
            "hello",
            "hey",
            "hey there",
            "hi there",
            "yo",
            "good morning",
            "good afternoon",
            "good evening",
            "test",
            "testing",
        ],
    ),
    (
        NoneKind::Resolved,
        &[
            "working now",
            "works now",
            "its working",
            "it works",
            "working again",
            "started working",
            "back up and running",
            "is fixed",
            "its fixed",
            "fixed now",
            "fixed it",
            "fixed itself",
            "all good now",
            "all good",
            "its fine now",
            "fine now",
            "good now",
            "never mind",
            "figured it out",
            "figured out",
            "got it working",
            "sorted now",
            "all sorted",
            "resolved",
            "problem solved",
            "door opened",
            "it opened",
            "opened now",
            "we got in",
            "got in thanks",
            "made it in",
            "were inside now",
            "no longer needed",
            "disregard",
            "ignore my last",
            "that worked",
            "it worked thanks",
        ],
    ),
    (
        NoneKind::WrongNumber,
        &[
            "wrong number",
            "wrong chat",
            "wrong person",
            "wrong text",
            "wrong convo",
            "wrong thread",
            "who is this",
            "who dis",
            "who are you",
            "meant to text",
            "meant to send",
            "sorry wrong",
            "not meant for you",
        ],
    ),
    (
        NoneKind::OptOut,
        &[
            "unsubscribe",
            "stop texting",
            "stop messaging",
            "stop sending",
            "opt out",
            "remove me",
            "remove my number",
            "take me off",
        ],
    ),
    (
        NoneKind::Spam,
        &[
            "click here",
            "congratulations",
            "youve won",
            "you have won",
            "you won",
            "claim your",
            "claim now",
            "to claim",
            "prize",
            "winner",
            "free gift",
            "limited time",
            "act now",
            "marketing agency",
            "seo",
            "top of google",
            "first page of google",
            "grow your business",
            "your business",
            "crypto",
            "bitcoin",
            "investment opportunity",
            "verify your account",
            "http",
            "https",
            "www",
            "bit ly",
        ],
    ),
    (
        NoneKind::Medical,
        &[
            "fell and",
            "fell down",
            "slipped and",
            "tripped and",
            "hit their head",
            "hit his head",
            "hit her head",
            "hit my head",
            "hit in the head",
            "hit in the face",
            "is hurt",
            "got hurt",
            "hurt himself",
            "hurt herself",
            "hurt myself",
            "hurt his",
            "hurt her",
            "injured",
            "injury",
            "bleeding",
            "ambulance",
            "911",
            "unconscious",
            "passed out",
            "fainted",
            "not breathing",
            "cant breathe",
            "heart attack",
            "seizure",
            "allergic reaction",
            "medical",
            "paramedics",
            "concussion",
            "first aid",
            "hospital",
            "sprained",
        ],
    ),
    (
        NoneKind::Feedback,
        &[
            "great session",
            "great time",
            "great night",
            "had a great",
            "had fun",
            "had a blast",
            "would recommend",
            "highly recommend",
            "love the",
            "loved it",
            "love this place",
            "awesome place",
            "great place",
            "nice place",
            "5 stars",
            "10 10",
            "looks great",
            "great job",
            "good job",
            "well done",
            "keep it up",
            "best sim",
            "amazing",
            "fantastic",
        ],
    ),
    (
        NoneKind::OffTopic,
        &[
            "hiring",
            "are you hiring",
            "job",
            "jobs",
            "job opening",
            "apply for",
            "employment",
            "work for you",
            "resume",
            "sponsor",
            "sponsorship",
            "donation",
            "partnership",
            "collab",
        ],
    ),
    (
        NoneKind::Human,
        &[
            "speak to a manager",
            "talk to a manager",
            "speak to the manager",
            "talk to the manager",
            "speak to someone",
            "talk to someone",
            "speak to a person",
            "talk to a person",
            "speak to a human",
            "talk to a human",
            "real person",
            "the owner",
            "call me",
            "call me back",
            "give me a call",
        ],
    ),
    (
        NoneKind::Done,
        &[
            "were done",
            "we are done",
            "all done",
            "heading out",
            "leaving now",
            "on our way out",
            "were leaving",
            "we are leaving",
            "checked out",
        ],
    ),
];

/// Whole texts that are an opt-out on their own (carrier keywords).
pub const OPT_OUT_TEXTS: &[&str] = &["stop", "stop all", "stopall", "end", "quit", "unsubscribe"];

/// The problem is over (so a money-back request is a refund, not the
/// problem): with these the category precedence is not applied.
pub const PAST_PHRASES: &[&str] = &[
    "yesterday",
    "last night",
    "last week",
    "last weekend",
    "last time",
    "the other day",
    "earlier today",
    "we left",
    "had to leave",
    "left early",
    "went home",
    "gave up",
    "left without playing",
    "was broken",
    "were broken",
    "wasnt working",
    "werent working",
    "was not working",
    "last visit",
    "our last",
    "my last",
];

/// Words ignored by the similarity index.
pub const STOPWORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "for", "from", "get", "got", "guys", "had", "has", "have", "he", "hello", "her",
    "here", "hey", "hi", "his", "i", "if", "im", "in", "is", "it", "its", "just", "like", "lol", "me", "my", "of",
    "ok", "on", "or", "our", "please", "she", "so", "some", "thank", "thanks", "that", "the", "their", "them", "then",
    "there", "they", "this", "to", "us", "very", "was", "we", "were", "will", "with", "would", "you", "your",
];

pub fn is_stopword(w: &str) -> bool {
    static SET: std::sync::OnceLock<FastSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().copied().collect()).contains(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::text::canonical;

    #[test]
    fn lists_are_canonical() {
        let all =
            NONE_PHRASES.iter().flat_map(|(_, l)| l.iter()).chain(PAST_PHRASES).chain(OPT_OUT_TEXTS).chain(STOPWORDS);
        for p in all {
            assert_eq!(canonical(p), *p, "{p}");
        }
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]), "sorted");
    }
}
