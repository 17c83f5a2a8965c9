//! Emergency and negative-sentiment detection over a customer's text.
//! Case-insensitive and punctuation-tolerant; the phrase lists are
//! configuration with the V3 specification's defaults.

/// Default emergency phrases (DESIGN §2: fire, injury, emergency, smoke, …).
pub const DEFAULT_EMERGENCY_PHRASES: &[&str] = &[
    "emergency",
    "fire",
    "on fire",
    "smoke",
    "smoking machine",
    "burning smell",
    "smells like burning",
    "injury",
    "injured",
    "hurt",
    "is hurt",
    "bleeding",
    "blood",
    "ambulance",
    "911",
    "unconscious",
    "passed out",
    "fainted",
    "not breathing",
    "cant breathe",
    "heart attack",
    "seizure",
    "gas leak",
    "smell gas",
    "electric shock",
    "electrocuted",
    "sparks",
    "flooding",
    "broken glass",
    "call the police",
    "break in",
    "someone broke in",
    "intruder",
];

/// Default negative-sentiment phrases (DESIGN §2), plus repeated `???`/`!!!`.
pub const DEFAULT_NEGATIVE_PHRASES: &[&str] = &[
    "still not working",
    "still doesnt work",
    "still broken",
    "still frozen",
    "still not",
    "this is ridiculous",
    "ridiculous",
    "refund",
    "money back",
    "speak to someone",
    "talk to someone",
    "speak to a person",
    "talk to a person",
    "speak to a human",
    "talk to a human",
    "real person",
    "unacceptable",
    "worst",
    "waste of money",
    "waste of time",
    "fed up",
    "pissed",
    "wtf",
    "terrible",
    "useless",
    "furious",
    "complaint",
    "never coming back",
];

/// Short texts that only acknowledge or give feedback (low priority).
pub const DEFAULT_FEEDBACK_PHRASES: &[&str] = &[
    "thanks",
    "thank you",
    "thx",
    "ty",
    "ok",
    "okay",
    "cool",
    "great",
    "awesome",
    "perfect",
    "all good",
    "got it",
    "working now",
    "its working",
    "it works",
    "fixed",
    "great session",
    "had a blast",
    "love this place",
    "👍",
    "🙏",
];

/// What the detector found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Signals {
    pub emergency: bool,
    pub negative_sentiment: bool,
    /// Only an acknowledgement or feedback (at most 8 words, nothing else found).
    pub feedback: bool,
}

/// Matches configured phrases on word boundaries of a normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalDetector {
    emergency: Vec<String>,
    negative: Vec<String>,
    feedback: Vec<String>,
}

impl Default for SignalDetector {
    fn default() -> Self {
        Self::new(DEFAULT_EMERGENCY_PHRASES.iter().copied(), DEFAULT_NEGATIVE_PHRASES.iter().copied())
    }
}

impl SignalDetector {
    /// Phrases are normalised like texts; empty phrases are ignored.
    pub fn new<'a>(emergency: impl IntoIterator<Item = &'a str>, negative: impl IntoIterator<Item = &'a str>) -> Self {
        let prep = |it: &mut dyn Iterator<Item = &'a str>| -> Vec<String> {
            it.map(|p| pad(&normalise(p))).filter(|p| !p.trim().is_empty()).collect()
        };
        Self {
            emergency: prep(&mut emergency.into_iter()),
            negative: prep(&mut negative.into_iter()),
            feedback: prep(&mut DEFAULT_FEEDBACK_PHRASES.iter().copied()),
        }
    }

    pub fn detect(&self, text: &str) -> Signals {
        let padded = pad(&normalise(text));
        let hit = |list: &[String]| list.iter().any(|p| padded.contains(p.as_str()));
        let emergency = hit(&self.emergency);
        let negative_sentiment = hit(&self.negative) || has_punctuation_run(text);
        let short = padded.split_whitespace().count() <= 8;
        let feedback = !emergency && !negative_sentiment && short && (hit(&self.feedback) || is_only_emoji(text));
        Signals { emergency, negative_sentiment, feedback }
    }

    /// The first emergency phrase found, for the decision's explanation.
    pub fn emergency_phrase(&self, text: &str) -> Option<&str> {
        let padded = pad(&normalise(text));
        self.emergency.iter().find(|p| padded.contains(p.as_str())).map(|p| p.trim())
    }
}

/// Lowercases, drops apostrophes (`can't` → `cant`) and turns every other
/// non-alphanumeric character into a single space.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        if c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A text made of emoji and spaces only (e.g. "👍").
fn is_only_emoji(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && t.chars().all(|c| c.is_whitespace() || (!c.is_alphanumeric() && !c.is_ascii()))
}

fn pad(s: &str) -> String {
    format!(" {s} ")
}

/// Three or more `?`/`!` in a row (spaces between allowed): "???", "!!!", "?!?".
fn has_punctuation_run(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        match c {
            '?' | '!' | '？' | '！' => {
                run += 1;
                if run >= 3 {
                    return true;
                }
            }
            ' ' => {}
            _ => run = 0,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Signals {
        SignalDetector::default().detect(text)
    }

    #[test]
    fn emergencies_are_found_whatever_the_case_and_punctuation() {
        for t in [
            "FIRE in bay 2",
            "there's smoke!!",
            "someone is hurt.",
            "Smoke, coming from the projector",
            "call 911",
            "EMERGENCY",
        ] {
            assert!(d(t).emergency, "{t}");
        }
        for t in [
            "trackman frozen bay 3",
            "fired up for tonight",
            "the hurting stopped",
            "what are your hours",
            "smokey bbq sauce",
        ] {
            assert!(!d(t).emergency, "{t}");
        }
    }

    #[test]
    fn negative_sentiment_phrases_and_punctuation_runs() {
        for t in [
            "Still not working",
            "still, not working",
            "this is RIDICULOUS",
            "I want a refund",
            "can I speak to someone",
            "hello???",
            "come on!!!",
            "why ?!?",
            "wtf",
        ] {
            assert!(d(t).negative_sentiment, "{t}");
        }
        for t in ["trackman frozen bay 3", "thanks!", "what time do you close?", "is it working now? ok!"] {
            assert!(!d(t).negative_sentiment, "{t}");
        }
    }

    #[test]
    fn feedback_is_short_and_nothing_else() {
        for t in ["thanks!", "Thank you so much", "ok", "👍", "great session tonight", "its working now thx"] {
            assert!(d(t).feedback, "{t}");
        }
        for t in [
            "thanks but the door still wont open and I have been waiting outside for ten minutes now",
            "ok why is it frozen???",
            "thanks, there is smoke",
            "trackman frozen",
        ] {
            assert!(!d(t).feedback, "{t}");
        }
    }

    #[test]
    fn phrase_lists_are_configurable() {
        let det = SignalDetector::new(["code red"], ["meh", ""]);
        assert!(det.detect("CODE RED!").emergency);
        assert!(!det.detect("fire").emergency);
        assert!(det.detect("meh.").negative_sentiment);
        assert_eq!(det.emergency_phrase("we have a code-red"), Some("code red"));
    }

    #[test]
    fn normalise_is_unicode_aware() {
        assert_eq!(normalise("  Can't  OPEN the DOOR!! 🚪 "), "cant open the door");
        assert_eq!(normalise("Café—ÉTÉ"), "café été");
    }
}
