//! The SOP trigger regexes: one byte-level regex set (ASCII mode, run on
//! the ASCII haystack, fast lazy DFA), each pattern also on its own for
//! match spans, and the few patterns that need Unicode semantics.

use std::collections::HashSet;

use regex::bytes::{RegexSet, RegexSetBuilder};

use super::evidence::{Evidence, bump};
use super::index::BuildError;
use super::text::canonical;
use crate::sop::{REGEX_SIZE_LIMIT, Sop};

/// Compiled trigger regexes of every SOP.
#[derive(Debug)]
pub struct TriggerRegexes {
    set: RegexSet,
    /// Per pattern of the set: its SOP, and whether it is lexical (one word
    /// of the SOP's keywords or exact phrases matches it on its own).
    owner: Vec<(u16, bool)>,
    /// Each pattern of the set on its own, to find where it matched.
    singles: Vec<regex::bytes::Regex>,
    /// Patterns that need Unicode semantics, run one by one.
    unicode: Vec<(regex::Regex, (u16, bool))>,
}

impl TriggerRegexes {
    pub fn new(sops: &[Sop]) -> Result<Self, BuildError> {
        let mut ascii: Vec<String> = Vec::new();
        let mut owner = Vec::new();
        let mut singles = Vec::new();
        let mut unicode = Vec::new();
        for (i, s) in sops.iter().enumerate() {
            let probes: HashSet<String> = s
                .keywords
                .iter()
                .chain(&s.triggers.exact)
                .flat_map(|p| canonical(p).split(' ').map(str::to_owned).collect::<Vec<_>>())
                .collect();
            for (j, p) in s.triggers.regex.iter().enumerate() {
                // The haystack has straight apostrophes only.
                let p2 = p.replace(['\u{2019}', '\u{2018}'], "'");
                let one = regex::bytes::RegexBuilder::new(&p2).unicode(false).size_limit(REGEX_SIZE_LIMIT).build();
                match one {
                    Ok(one) if p2.is_ascii() => {
                        let lexical = probes.iter().any(|w| one.is_match(w.as_bytes()));
                        ascii.push(p2);
                        owner.push((i as u16, lexical));
                        singles.push(one);
                    }
                    _ => {
                        let re = regex::RegexBuilder::new(p)
                            .size_limit(REGEX_SIZE_LIMIT)
                            .build()
                            .map_err(|e| BuildError::Regex { sop: s.id.to_string(), index: j, error: e.to_string() })?;
                        let lexical = probes.iter().any(|w| re.is_match(w));
                        unicode.push((re, (i as u16, lexical)));
                    }
                }
            }
        }
        let set = RegexSetBuilder::new(&ascii)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT.saturating_mul(ascii.len().max(1)))
            .dfa_size_limit(8 << 20)
            .build()
            .map_err(|e| BuildError::Regex { sop: "(all)".into(), index: 0, error: e.to_string() })?;
        Ok(Self { set, owner, singles, unicode })
    }

    /// Counts the regexes that match the ASCII haystack `hay` (or the
    /// `corrected` text, when spelling or slang changed it) into `ev`.
    /// `text` is the original, for the Unicode patterns.
    pub fn scan(&self, text: &str, hay: &str, corrected: Option<&str>, ev: &mut Evidence) {
        let mut hits: Vec<usize> = self.set.matches(hay.as_bytes()).iter().collect();
        if let Some(c) = corrected {
            hits.extend(self.set.matches(c.as_bytes()).iter());
            hits.sort_unstable();
            hits.dedup();
        }
        for i in hits {
            ev.regex_hits.push(i as u16);
            let (sop, lexical) = self.owner[i];
            let e = &mut ev.per_sop[sop as usize];
            bump(&mut e.regex);
            if lexical {
                bump(&mut e.regex_lexical);
            }
        }
        if self.unicode.is_empty() {
            return;
        }
        let lower = text.to_lowercase();
        for (re, (sop, lexical)) in &self.unicode {
            if re.is_match(&lower) || corrected.is_some_and(|c| re.is_match(c)) {
                let e = &mut ev.per_sop[*sop as usize];
                bump(&mut e.regex);
                if *lexical {
                    bump(&mut e.regex_lexical);
                }
            }
        }
    }

    /// Where `sop`'s matching set regexes match the corrected text, in the
    /// coordinates of `Evidence::exact_spans` (the text padded with spaces).
    /// A regex that matched only the raw text has no span here.
    pub fn spans(&self, ev: &Evidence, sop: usize) -> Vec<(usize, usize)> {
        let padded = format!(" {} ", ev.corrected);
        ev.regex_hits
            .iter()
            .map(|&i| usize::from(i))
            .filter(|&i| usize::from(self.owner[i].0) == sop)
            .filter_map(|i| self.singles[i].find(padded.as_bytes()))
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}
