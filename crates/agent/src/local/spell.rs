//! Spelling correction towards the SOP vocabulary: the SOPs' own
//! `misspellings` lists mapped to the nearest word of their SOP, plus a
//! small edit-distance fallback for longer unknown words.

use std::collections::HashSet;

use super::hash::{FastMap, FastSet};
use super::text::edit_distance;

/// Corrects one canonical token at a time. Built once.
#[derive(Debug, Default)]
pub struct Speller {
    /// Every word the SOPs, replies and lexicons use: never corrected.
    known: FastSet<String>,
    /// Misspelling → correct word, from the SOP lists.
    fixes: FastMap<String, String>,
    /// Fuzzy targets (discriminative SOP words), by first byte.
    targets: Vec<Vec<String>>,
}

/// Words shorter than this are never fuzzily corrected (too many neighbours).
const FUZZY_MIN_LEN: usize = 5;

impl Speller {
    /// `known`: all vocabulary. `targets`: words a typo may be corrected to.
    /// `lists`: per SOP, its misspellings and its own vocabulary (targets
    /// first, preferred on ties).
    pub fn new(known: HashSet<String>, targets: &HashSet<String>, lists: &[(Vec<String>, Vec<String>)]) -> Self {
        let mut fixes = FastMap::default();
        for (misspellings, own_words) in lists {
            for word in misspellings.iter().flat_map(|m| m.split(' ')) {
                if word.len() < 3
                    || known.contains(word)
                    || fixes.contains_key(word)
                    || !word.bytes().any(|b| b.is_ascii_alphabetic())
                {
                    continue;
                }
                let max = if word.len() >= 8 { 3 } else { 2 };
                let best = nearest(word, own_words.iter(), max).or_else(|| nearest(word, targets.iter(), max.min(2)));
                if let Some(t) = best {
                    fixes.insert(word.to_owned(), t.to_owned());
                }
            }
        }
        let mut by_first: Vec<Vec<String>> = vec![Vec::new(); 26];
        for t in targets {
            if t.len() >= FUZZY_MIN_LEN - 1 && t.bytes().all(|b| b.is_ascii_lowercase()) {
                by_first[usize::from(t.as_bytes()[0] - b'a')].push(t.clone());
            }
        }
        for v in &mut by_first {
            v.sort();
        }
        Self { known: known.into_iter().collect(), fixes, targets: by_first }
    }

    /// The correction of `word`, if it is a listed misspelling or an unknown
    /// word of 5+ letters within one edit (two for 8+ letters) of exactly
    /// one target word sharing its first letter.
    pub fn correct(&self, word: &str) -> Option<&str> {
        if let Some(f) = self.fixes.get(word) {
            return Some(f);
        }
        if word.len() < FUZZY_MIN_LEN || self.known.contains(word) || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let max = if word.len() >= 8 { 2 } else { 1 };
        let cands = &self.targets[usize::from(word.as_bytes()[0] - b'a')];
        let mut best_d = usize::MAX;
        let mut best: Vec<&str> = Vec::new();
        for c in cands {
            // "window" → "windows" is inflection, not a typo: leave it.
            if c.len().abs_diff(word.len()) > max || c.starts_with(word) || word.starts_with(c.as_str()) {
                continue;
            }
            if let Some(d) = edit_distance(word, c, max) {
                if d < best_d {
                    best_d = d;
                    best.clear();
                }
                if d == best_d {
                    best.push(c);
                }
            }
        }
        if best.len() > 1 {
            // "frozn": "frozen" (same last letter) rather than "froze".
            let last = word.as_bytes()[word.len() - 1];
            best.retain(|c| c.as_bytes().last() == Some(&last));
        }
        match best.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// The closest candidate within `max` edits; ties keep the earliest.
fn nearest<'a>(word: &str, cands: impl Iterator<Item = &'a String>, max: usize) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    for c in cands {
        if c == word || c.contains(' ') {
            continue;
        }
        if let Some(d) = edit_distance(word, c, max)
            && best.is_none_or(|(_, bd)| d < bd)
        {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> HashSet<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    fn speller() -> Speller {
        let known = set(&["trackman", "frozen", "door", "open", "booking", "the"]);
        let targets = set(&["trackman", "frozen", "froze", "door", "booking", "parking"]);
        let lists = vec![(
            vec!["trakman".to_owned(), "forzen".to_owned(), "dor".to_owned()],
            vec!["trackman".to_owned(), "frozen".to_owned(), "door".to_owned()],
        )];
        Speller::new(known, &targets, &lists)
    }

    #[test]
    fn listed_misspellings_map_to_their_sops_words() {
        let s = speller();
        assert_eq!(s.correct("trakman"), Some("trackman"));
        assert_eq!(s.correct("forzen"), Some("frozen"));
        assert_eq!(s.correct("dor"), Some("door"));
        assert_eq!(s.fixes.len(), 3);
    }

    #[test]
    fn fuzzy_fallback_is_conservative() {
        let s = speller();
        assert_eq!(s.correct("bookng"), Some("booking"));
        assert_eq!(s.correct("trackmna"), Some("trackman"));
        assert_eq!(s.correct("frozen"), None, "known words stay");
        assert_eq!(s.correct("doro"), None, "short words are not guessed");
        assert_eq!(s.correct("xooking"), None, "first letter must match");
        assert_eq!(s.correct("zzzzzzz"), None);
        assert_eq!(s.correct("frozn"), Some("frozen"));
        assert_eq!(s.correct("bookings"), None, "inflections are not typos");
    }
}
