//! The SOP trigger regexes: each pattern compiled on its own (byte-level,
//! ASCII mode, run on the ASCII haystack), behind a literal prefilter. Every
//! match of a pattern starts with one of its prefix literals and ends with
//! one of its suffix literals (both extracted with `regex-syntax`); one
//! Aho-Corasick automaton over all of them picks the few patterns worth
//! running on a text: those whose text has a prefix and a suffix literal
//! (each side only when it has a finite set). Patterns with neither run on
//! every text, as do the few that need Unicode semantics.
//!
//! Why not one `RegexSet`: with thousands of SOPs its lazy DFA outgrows any
//! cache and falls back to the PikeVM, milliseconds per text. The prefilter
//! keeps a text's cost proportional to the patterns it could match.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex as BytesRegex;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

use super::evidence::{Evidence, bump};
use super::index::BuildError;
use super::text::canonical;
use crate::sop::{REGEX_SIZE_LIMIT, Sop};

/// Compiled trigger regexes of every SOP.
#[derive(Debug)]
pub struct TriggerRegexes {
    /// Per ASCII pattern: its SOP, and whether it is lexical (one word of
    /// the SOP's keywords or exact phrases matches it on its own).
    owner: Vec<(u16, bool)>,
    /// Each ASCII pattern, compiled on its own.
    singles: Vec<BytesRegex>,
    /// Every prefix and suffix literal of the ASCII patterns.
    prefilter: AhoCorasick,
    /// Per literal of the prefilter: the patterns it stands for, with
    /// `PREFIX` or `SUFFIX` (or both) for the end it stands at.
    literal_patterns: Vec<Vec<(u32, u8)>>,
    /// Per ASCII pattern: which ends (`PREFIX`, `SUFFIX`) must be seen.
    needs: Vec<u8>,
    /// ASCII patterns with no finite literal set at either end: run on
    /// every text.
    always: Vec<u32>,
    /// Patterns that need Unicode semantics, run one by one.
    unicode: Vec<(regex::Regex, (u16, bool))>,
}

const PREFIX: u8 = 1;
const SUFFIX: u8 = 2;

/// The literals every match of `pattern` starts with (`kind` prefix) or
/// ends with (suffix), or `None` when there is no finite set of non-empty
/// ones.
fn literals(pattern: &str, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
    let seq = Extractor::new().kind(kind).extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

impl TriggerRegexes {
    pub fn new(sops: &[Sop]) -> Result<Self, BuildError> {
        let mut owner = Vec::new();
        let mut singles = Vec::new();
        let mut unicode = Vec::new();
        let mut literal_ids: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut literal_patterns: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut needs = Vec::new();
        let mut always = Vec::new();
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
                        let id = u32::try_from(singles.len()).map_err(|_| BuildError::TooMany)?;
                        let mut need = 0;
                        for (end, kind) in [(PREFIX, ExtractKind::Prefix), (SUFFIX, ExtractKind::Suffix)] {
                            let Some(lits) = literals(&p2, kind) else {
                                continue;
                            };
                            need |= end;
                            for lit in lits {
                                let next = literal_patterns.len();
                                let l = *literal_ids.entry(lit).or_insert(next);
                                if l == next {
                                    literal_patterns.push(Vec::new());
                                }
                                match literal_patterns[l].iter_mut().find(|(p, _)| *p == id) {
                                    Some((_, ends)) => *ends |= end,
                                    None => literal_patterns[l].push((id, end)),
                                }
                            }
                        }
                        if need == 0 {
                            always.push(id);
                        }
                        needs.push(need);
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
        let mut literals: Vec<Vec<u8>> = vec![Vec::new(); literal_ids.len()];
        for (lit, id) in literal_ids {
            literals[id] = lit;
        }
        let prefilter = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| BuildError::Phrases(e.to_string()))?;
        Ok(Self { owner, singles, prefilter, literal_patterns, needs, always, unicode })
    }

    /// The ASCII patterns that may match `hay` (or `corrected`), ascending:
    /// those whose needed literals all occur (a superset of the matches).
    fn candidates(&self, hay: &str, corrected: Option<&str>) -> Vec<u32> {
        let mut seen: Vec<(u32, u8)> = Vec::with_capacity(32);
        for h in std::iter::once(hay).chain(corrected) {
            for m in self.prefilter.find_overlapping_iter(h.as_bytes()) {
                seen.extend_from_slice(&self.literal_patterns[m.pattern().as_usize()]);
            }
        }
        seen.sort_unstable_by_key(|(p, _)| *p);
        let mut out = self.always.clone();
        for run in seen.chunk_by(|a, b| a.0 == b.0) {
            let p = run[0].0;
            let got = run.iter().fold(0, |acc, (_, e)| acc | e);
            if got & self.needs[p as usize] == self.needs[p as usize] {
                out.push(p);
            }
        }
        out.sort_unstable();
        out
    }

    /// Counts the regexes that match the ASCII haystack `hay` (or the
    /// `corrected` text, when spelling or slang changed it) into `ev`.
    /// `text` is the original, for the Unicode patterns.
    pub fn scan(&self, text: &str, hay: &str, corrected: Option<&str>, ev: &mut Evidence) {
        for i in self.candidates(hay, corrected) {
            let re = &self.singles[i as usize];
            if !re.is_match(hay.as_bytes()) && !corrected.is_some_and(|c| re.is_match(c.as_bytes())) {
                continue;
            }
            ev.regex_hits.push(i);
            let (sop, lexical) = self.owner[i as usize];
            let e = ev.sop_mut(sop as usize);
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
                let e = ev.sop_mut(*sop as usize);
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
            .map(|&i| i as usize)
            .filter(|&i| usize::from(self.owner[i].0) == sop)
            .filter_map(|i| self.singles[i].find(padded.as_bytes()))
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::text::regex_haystack;
    use crate::sop::load_starter_sops;

    #[test]
    fn literals_are_what_every_match_starts_or_ends_with() {
        let lits = |p: &str, kind| {
            literals(p, kind).map(|v| v.into_iter().map(|l| String::from_utf8(l).unwrap()).collect::<Vec<_>>())
        };
        let door = r"\b(?:door|gate)\b.{0,20}\bstuck\b";
        assert_eq!(lits(door, ExtractKind::Prefix), Some(vec!["door".into(), "gate".into()]));
        assert_eq!(lits(door, ExtractKind::Suffix), Some(vec!["stuck".into()]));
        assert_eq!(lits(r"^\W*open", ExtractKind::Prefix), None, "a leading class of many bytes has no usable set");
        assert_eq!(lits(r"^\W*open", ExtractKind::Suffix), Some(vec!["open".into()]));
        assert_eq!(lits(r"(?:x)?", ExtractKind::Suffix), None, "may match the empty string");
    }

    fn starter() -> &'static (Vec<Sop>, TriggerRegexes) {
        static R: std::sync::OnceLock<(Vec<Sop>, TriggerRegexes)> = std::sync::OnceLock::new();
        R.get_or_init(|| {
            let sops = load_starter_sops();
            let r = TriggerRegexes::new(&sops).unwrap();
            (sops, r)
        })
    }

    /// The hits of the prefilter equal those of running every pattern.
    fn same_as_brute_force(text: &str) {
        let (sops, r) = starter();
        let hay = regex_haystack(text);
        let corrected = canonical(text);
        let mut ev = Evidence { per_sop: vec![Default::default(); sops.len()], ..Evidence::default() };
        r.scan(text, &hay, Some(&corrected), &mut ev);
        let brute: Vec<u32> = (0..r.singles.len() as u32)
            .filter(|&i| {
                let re = &r.singles[i as usize];
                re.is_match(hay.as_bytes()) || re.is_match(corrected.as_bytes())
            })
            .collect();
        assert_eq!(ev.regex_hits, brute, "{text:?}");
    }

    /// The prefilter never hides a match, over the labelled texts and a few
    /// edge cases.
    #[test]
    fn prefilter_finds_what_running_every_pattern_finds() {
        let (_, r) = starter();
        let (always, n) = (r.always.len(), r.singles.len());
        assert!(always < n / 10, "most patterns have literals: {always} of {n} run on every text");
        let labelled = include_str!("../../../../data/labelled/dev.jsonl");
        for line in labelled.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            same_as_brute_force(v["text"].as_str().unwrap());
        }
        for text in ["", "?", "DOOR WON’T OPEN!!", "b3 frozen", "r u open 2nite"] {
            same_as_brute_force(text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn prefilter_is_exact_for_any_text(text in "[ -~]{0,80}|\\PC{0,40}") {
            same_as_brute_force(&text);
        }
    }
}
