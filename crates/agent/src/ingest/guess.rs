//! Guesses from an uploaded part's words: its category, the action it
//! describes, and its salient keywords.

use std::collections::HashSet;

use clubos_domain::Category;
use clubos_domain::signals::normalise;

use crate::sop::SopAction;

const TECH_CUES: &[&str] = &[
    "trackman",
    "simulator",
    "simulators",
    "sim",
    "sims",
    "screen",
    "screens",
    "frozen",
    "freeze",
    "freezes",
    "freezing",
    "projector",
    "projectors",
    "pc",
    "computer",
    "monitor",
    "software",
    "crash",
    "crashed",
    "glitch",
    "reboot",
    "restart",
    "reset",
    "tracking",
    "sensor",
    "sensors",
    "calibration",
    "launch monitor",
    "ball data",
    "club data",
    "not reading",
];
const ACCESS_CUES: &[&str] = &[
    "door",
    "doors",
    "lock",
    "locked",
    "unlock",
    "code",
    "codes",
    "entry",
    "enter",
    "key",
    "keys",
    "keypad",
    "keycard",
    "fob",
    "access",
    "gate",
    "buzz",
    "locked out",
    "let me in",
];
const BOOKING_CUES: &[&str] = &[
    "booking",
    "bookings",
    "book",
    "booked",
    "reservation",
    "reservations",
    "reserve",
    "cancel",
    "cancellation",
    "cancellations",
    "refund",
    "refunds",
    "reschedule",
    "rescheduling",
    "time slot",
    "slot",
    "slots",
    "extend",
    "extension",
    "no show",
    "deposit",
];
/// Phrases whose words are not cues (a dress code is not a door code).
const NOT_CUES: &[&str] = &["dress code", "promo code", "discount code", "gift card code", "coupon code"];

/// The category whose cue words weigh most (title ×3, triggers ×2,
/// reply ×1, each cue once per text); `faq` below 3 or on a tie.
pub(crate) fn guess_category(title: &str, triggers: &[String], reply: &str) -> Category {
    let texts = [(normalise(title), 3), (triggers.join(" , "), 2), (normalise(reply), 1)];
    let score = |cues: &[&str]| -> u32 {
        texts
            .iter()
            .map(|(text, weight)| {
                let mut padded = format!(" {text} ");
                for n in NOT_CUES {
                    padded = padded.replace(&format!(" {n} "), " ");
                }
                let hits = cues.iter().filter(|c| padded.contains(&format!(" {c} "))).count();
                weight * u32::try_from(hits).unwrap_or(u32::MAX / 8)
            })
            .sum()
    };
    let mut scores = [
        (Category::Tech, score(TECH_CUES)),
        (Category::Access, score(ACCESS_CUES)),
        (Category::Booking, score(BOOKING_CUES)),
    ];
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    let (best, top) = scores[0];
    if top >= 3 && top > scores[1].1 { best } else { Category::Faq }
}

const RESET_VERBS: &[&str] = &[
    "restart",
    "restarts",
    "restarted",
    "restarting",
    "reset",
    "resets",
    "resetting",
    "reboot",
    "reboots",
    "rebooted",
    "rebooting",
];
const TRACKMAN_WORDS: &[&str] = &["trackman", "simulator", "simulators", "sim", "sims"];
const PC_WORDS: &[&str] = &["pc", "computer"];
const OPEN_VERBS: &[&str] = &["unlock", "unlocks", "unlocked", "unlocking", "open", "opens", "opening"];
const DOOR_WORDS: &[&str] = &["door", "doors", "entrance", "gate"];
const REMOTE_WORDS: &[&str] = &["remote", "remotely"];
const NEGATIONS: &[&str] = &["not", "dont", "never", "cannot", "cant", "wont", "no"];

/// The action the text describes: a TrackMan reset or PC reboot for tech,
/// a remote unlock for access (in one sentence without a negation), else
/// `escalate`; `send_reply` for faq and booking.
pub(crate) fn guess_action(category: Category, title: &str, reply: &str) -> SopAction {
    let says = |groups: &[&[&str]]| {
        [title, reply].iter().flat_map(|t| t.split(['.', '!', '?', ';', '\n'])).any(|sentence| {
            let n = normalise(sentence);
            let words: HashSet<&str> = n.split(' ').collect();
            !NEGATIONS.iter().any(|w| words.contains(w)) && groups.iter().all(|g| g.iter().any(|w| words.contains(w)))
        })
    };
    match category {
        Category::Faq | Category::Booking => SopAction::SendReply,
        Category::Tech if says(&[RESET_VERBS, TRACKMAN_WORDS]) => SopAction::ResetTrackman,
        Category::Tech if says(&[RESET_VERBS, PC_WORDS]) => SopAction::RebootPc,
        Category::Access if says(&[OPEN_VERBS, DOOR_WORDS, REMOTE_WORDS]) => SopAction::UnlockDoor,
        Category::Tech | Category::Access => SopAction::Escalate,
    }
}

const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before",
    "but", "by", "can", "cant", "could", "did", "do", "does", "dont", "for", "from", "get", "got", "had", "has",
    "have", "he", "hello", "her", "here", "hey", "hi", "his", "how", "i", "id", "if", "im", "in", "into", "is", "isnt",
    "it", "its", "ive", "just", "may", "me", "might", "must", "my", "no", "not", "of", "on", "one", "only", "or",
    "our", "out", "over", "please", "shall", "she", "should", "so", "some", "than", "thanks", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "to", "too", "u", "up", "ur", "us", "very", "was", "we",
    "were", "what", "when", "where", "which", "who", "why", "will", "with", "wont", "would", "yes", "you", "your",
];

/// Up to `max` distinct normalised words of `texts`, in order, without
/// stopwords, single characters or bare numbers.
pub(crate) fn salient_words<'a, I, S>(texts: I, max: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for word in normalise(text.as_ref()).split(' ') {
            if out.len() >= max {
                return out;
            }
            let salient = word.chars().count() >= 2
                && !word.chars().all(|c| c.is_ascii_digit())
                && !STOPWORDS.contains(&word)
                && normalise(word) == word;
            if salient && !out.iter().any(|w| w == word) {
                out.push(word.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "guess_tests.rs"]
mod tests;
