//! The bay a customer names in a text: "bay 3", "simulator 3", "sim 4",
//! "box 3", "#2", "bay three", or "b3" when nothing else names a bay.

use clubos_domain::BayNumber;
use regex::Regex;

const NUMBER_WORDS: &[&str] =
    &["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/// Finds bay numbers in a text. Built once (two small regexes).
#[derive(Debug, Clone)]
pub struct BayExtractor {
    named: Regex,
    short: Regex,
}

impl Default for BayExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl BayExtractor {
    pub fn new() -> Self {
        let words = NUMBER_WORDS.join("|");
        let named = format!(
            r"(?:\b(?:bay|sim|simulator|simulater|box|booth)\s*(?:#|no\.?|number|num\.?)?\s*|#\s*)(\d{{1,3}}|{words})\b"
        );
        Self {
            named: Regex::new(&named).expect("static bay regex"),
            short: Regex::new(r"\bb(\d{1,2})\b(\s*\d)?").expect("static bay regex"),
        }
    }

    /// The one bay the text names. Several different bays: the booked bay
    /// if it is one of them, else `None` (the policy then uses the booking).
    /// `haystack` is the lowercased ASCII text (`text::regex_haystack`).
    pub fn extract(&self, haystack: &str, booked: Option<BayNumber>) -> Option<BayNumber> {
        let mut found: Vec<BayNumber> = Vec::new();
        for c in self.named.captures_iter(haystack) {
            if let Some(b) = parse_number(&c[1]) {
                push_unique(&mut found, b);
            }
        }
        for c in self.short.captures_iter(haystack) {
            // "b4 6pm" is "before", not bay 4.
            if c.get(2).is_none()
                && let Some(b) = parse_number(&c[1])
            {
                push_unique(&mut found, b);
            }
        }
        match found.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => booked.filter(|b| many.contains(b)),
        }
    }
}

fn push_unique(v: &mut Vec<BayNumber>, b: BayNumber) {
    if !v.contains(&b) {
        v.push(b);
    }
}

fn parse_number(s: &str) -> Option<BayNumber> {
    let n = match s.parse::<u16>() {
        Ok(n) => n,
        Err(_) => NUMBER_WORDS.iter().position(|w| *w == s)? as u16 + 1,
    };
    BayNumber::new(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::text::regex_haystack;

    fn bay(text: &str) -> Option<u16> {
        BayExtractor::new().extract(&regex_haystack(text), None).map(BayNumber::get)
    }

    #[test]
    fn finds_the_named_bay() {
        for (text, want) in [
            ("trackman frozen bay 3", 3),
            ("Bay 3 frozen", 3),
            ("the simulator 3 is stuck", 3),
            ("SIM 4 IS FROZEN", 4),
            ("sim4 frozen", 4),
            ("box 3 not working", 3),
            ("frozen again 😡 #2", 2),
            ("we're in bay #1", 1),
            ("bay three is black", 3),
            ("b3 frozen", 3),
            ("bay no. 12 has no sound", 12),
            ("bay 2 froze, bay 2 still frozen", 2),
        ] {
            assert_eq!(bay(text), Some(want), "{text}");
        }
    }

    #[test]
    fn no_bay_or_an_ambiguous_one_is_none() {
        for text in [
            "trackman frozen",
            "my 7 iron is going 250",
            "booking at 7",
            "hole 12 froze",
            "moved from bay 2 to bay 3, frozen",
            "bay 0 is frozen",
            "can we come b4 6",
            "b3 or bay 4?",
            "bay 1000",
        ] {
            assert_eq!(bay(text), None, "{text}");
        }
    }

    #[test]
    fn booked_bay_breaks_a_tie() {
        let x = BayExtractor::new();
        let hay = regex_haystack("moved from bay 2 to bay 3, frozen");
        let b3 = BayNumber::new(3).ok();
        assert_eq!(x.extract(&hay, b3), b3);
        assert_eq!(x.extract(&hay, BayNumber::new(5).ok()), None);
    }
}
