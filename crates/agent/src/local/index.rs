//! The compiled SOP index: one Aho-Corasick automaton for every phrase
//! (exact triggers, keywords, misspellings, the none/past lexicons), one
//! regex set for every trigger regex, the speller and the similarity index;
//! and `gather`, which collects all evidence for one text.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use clubos_domain::BayNumber;
use clubos_domain::signals::normalise;
use regex::bytes::{RegexSet, RegexSetBuilder};

use super::bay::BayExtractor;
use super::lexicon::{NONE_PHRASES, NoneKind, OPT_OUT_TEXTS, PAST_PHRASES, STOPWORDS};
use super::similarity::SimIndex;
use super::spell::Speller;
use super::text::{canonical, regex_haystack, slang};
use crate::sop::{REGEX_SIZE_LIMIT, Sop};

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("SOP `{sop}`: trigger regex #{index} does not compile: {error}")]
    Regex {
        sop: String,
        index: usize,
        error: String,
    },
    #[error("phrase automaton: {0}")]
    Phrases(String),
    #[error("too many SOPs for the local classifier (at most {max})", max = u16::MAX)]
    TooMany,
}

/// What one phrase of the automaton stands for.
#[derive(Debug, Clone, Copy)]
enum PhraseRef {
    Exact { sop: u16, words: u8 },
    Keyword { sop: u16, weight: f32 },
    Misspelling { sop: u16 },
    None(NoneKind),
    Past,
}

/// Evidence for one SOP in one text.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SopEvidence {
    /// Distinct exact phrases found, and the longest one's word count.
    pub exact: u8,
    pub exact_words: u8,
    pub regex: u8,
    pub keywords: u8,
    /// Sum of the found keywords' weights (rarer keywords weigh more).
    pub keyword_weight: f32,
    pub misspellings: u8,
    /// Best TF-IDF cosine against the SOP's examples, and how many words
    /// of the text that example shares.
    pub similarity: f32,
    pub similarity_terms: u8,
}

/// Everything the index found in one text.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub per_sop: Vec<SopEvidence>,
    /// Summed weight of none-lexicon phrases, and their kinds.
    pub none_weight: f32,
    pub none_kinds: Vec<NoneKind>,
    /// The text says the problem is over ("yesterday", "we left").
    pub past: bool,
    /// Where exact phrases matched in the corrected text: (SOP, start, end).
    pub exact_spans: Vec<(u16, usize, usize)>,
    /// The canonical text after spelling correction.
    pub corrected: String,
    pub bay: Option<BayNumber>,
}

#[derive(Debug)]
pub struct Index {
    phrases: AhoCorasick,
    phrase_refs: Vec<Vec<PhraseRef>>,
    regexes: RegexSet,
    regex_sop: Vec<u16>,
    /// Patterns that need Unicode semantics, run one by one on the lowercased text.
    unicode_regexes: Vec<(regex::Regex, u16)>,
    speller: Speller,
    sim: SimIndex,
    bays: BayExtractor,
    n_sops: usize,
}

impl Index {
    pub fn new(sops: &[Sop]) -> Result<Self, BuildError> {
        if sops.len() >= usize::from(u16::MAX) {
            return Err(BuildError::TooMany);
        }
        let mut phrase_ids: HashMap<String, usize> = HashMap::new();
        let mut phrase_refs: Vec<Vec<PhraseRef>> = Vec::new();
        let mut add = |phrase: String, r: PhraseRef| {
            if phrase.is_empty() {
                return;
            }
            let next = phrase_refs.len();
            let id = *phrase_ids.entry(phrase).or_insert(next);
            if id == next {
                phrase_refs.push(Vec::new());
            }
            phrase_refs[id].push(r);
        };

        // How many SOPs use each keyword (as a keyword or inside an exact phrase).
        let mut kw_sops: HashMap<String, HashSet<usize>> = HashMap::new();
        for (i, s) in sops.iter().enumerate() {
            for k in &s.keywords {
                kw_sops.entry(canonical(k)).or_default().insert(i);
            }
        }
        for (i, s) in sops.iter().enumerate() {
            for e in &s.triggers.exact {
                for w in canonical(e).split(' ') {
                    if let Some(set) = kw_sops.get_mut(w) {
                        set.insert(i);
                    }
                }
            }
        }

        let mut examples: Vec<(usize, String)> = Vec::new();
        let mut known: HashSet<String> = HashSet::new();
        let mut targets: HashSet<String> = HashSet::new();
        let mut spell_lists = Vec::with_capacity(sops.len());
        for (i, s) in sops.iter().enumerate() {
            let sop = i as u16;
            let mut own: Vec<String> = Vec::new();
            for k in &s.keywords {
                let k = canonical(k);
                let n = kw_sops.get(&k).map_or(1, HashSet::len).max(1) as f32;
                own.extend(k.split(' ').map(str::to_owned));
                add(k, PhraseRef::Keyword { sop, weight: 0.4 / n.sqrt() });
            }
            for e in &s.triggers.exact {
                let e = canonical(e);
                let words = e.split(' ').count().min(255) as u8;
                own.extend(e.split(' ').map(str::to_owned));
                examples.push((i, e.clone()));
                add(e, PhraseRef::Exact { sop, words });
            }
            for m in &s.triggers.misspellings {
                // "hrs" → "hours": slang handles it, and as a misspelling it
                // would fire on the correct word.
                let c = canonical(m);
                if c == *m {
                    add(c, PhraseRef::Misspelling { sop });
                }
            }
            for v in s.triggers.variants.iter().chain(std::iter::once(&s.title)) {
                let v = canonical(v);
                known.extend(v.split(' ').map(str::to_owned));
                examples.push((i, v));
            }
            known.extend(canonical(&s.reply).split(' ').map(str::to_owned));
            own.retain(|w| w.len() > 2 && !STOPWORDS.contains(&w.as_str()));
            own.dedup();
            targets.extend(own.iter().cloned());
            let misspellings: Vec<String> = s.triggers.misspellings.iter().map(|m| canonical(m)).collect();
            spell_lists.push((misspellings, own));
        }
        for (kind, list) in NONE_PHRASES {
            for p in *list {
                known.extend(p.split(' ').map(str::to_owned));
                add((*p).to_owned(), PhraseRef::None(*kind));
            }
        }
        for p in PAST_PHRASES {
            known.extend(p.split(' ').map(str::to_owned));
            add((*p).to_owned(), PhraseRef::Past);
        }
        known.extend(STOPWORDS.iter().map(|w| (*w).to_owned()));
        known.extend(targets.iter().cloned());
        let mut patterns: Vec<String> = vec![String::new(); phrase_ids.len()];
        for (p, id) in phrase_ids {
            patterns[id] = format!(" {p} ");
        }
        let phrases = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| BuildError::Phrases(e.to_string()))?;

        let (regexes, regex_sop, unicode_regexes) = compile_regexes(sops)?;
        Ok(Self {
            phrases,
            phrase_refs,
            regexes,
            regex_sop,
            unicode_regexes,
            speller: Speller::new(known, &targets, &spell_lists),
            sim: SimIndex::new(sops.len(), &examples),
            bays: BayExtractor::new(),
            n_sops: sops.len(),
        })
    }

    /// Collects all evidence for `text`.
    pub fn gather(&self, text: &str, booked: Option<BayNumber>) -> Evidence {
        let hay = regex_haystack(text);
        let plain = normalise(text);
        let canon = canonical(&plain);
        let mut corrected = String::with_capacity(canon.len() + 8);
        for tok in canon.split(' ').filter(|t| !t.is_empty()) {
            if !corrected.is_empty() {
                corrected.push(' ');
            }
            corrected.push_str(self.speller.correct(tok).unwrap_or(tok));
        }

        let mut ev = Evidence {
            per_sop: vec![SopEvidence::default(); self.n_sops],
            bay: self.bays.extract(&hay, booked),
            ..Evidence::default()
        };
        if corrected == canon {
            self.scan_phrases(&corrected, Pass::All, &mut ev);
        } else {
            self.scan_phrases(&corrected, Pass::NotMisspellings, &mut ev);
            self.scan_phrases(&canon, Pass::OnlyMisspellings, &mut ev);
        }
        if OPT_OUT_TEXTS.contains(&canon.as_str()) {
            ev.none_weight += NoneKind::OptOut.weight();
            ev.none_kinds.push(NoneKind::OptOut);
        }

        let mut hits = vec![false; self.regex_sop.len()];
        for i in self.regexes.matches(hay.as_bytes()).iter() {
            hits[i] = true;
        }
        if corrected != plain {
            for i in self.regexes.matches(corrected.as_bytes()).iter() {
                hits[i] = true;
            }
        }
        for (i, hit) in hits.iter().enumerate() {
            if *hit {
                let e = &mut ev.per_sop[self.regex_sop[i] as usize];
                e.regex = e.regex.saturating_add(1);
            }
        }
        if !self.unicode_regexes.is_empty() {
            let lower = text.to_lowercase();
            for (re, sop) in &self.unicode_regexes {
                if re.is_match(&lower) || re.is_match(&corrected) {
                    let e = &mut ev.per_sop[*sop as usize];
                    e.regex = e.regex.saturating_add(1);
                }
            }
        }

        let mut sims = vec![(0.0, 0); self.n_sops];
        let mut scratch = Vec::new();
        self.sim.score(&corrected, &mut scratch, &mut sims);
        for (e, (s, n)) in ev.per_sop.iter_mut().zip(sims) {
            e.similarity = s;
            e.similarity_terms = n;
        }
        ev.corrected = corrected;
        ev
    }

    /// Records every distinct phrase of `text` that the pass counts.
    fn scan_phrases(&self, text: &str, pass: Pass, ev: &mut Evidence) {
        let padded = format!(" {text} ");
        let mut seen = vec![false; self.phrase_refs.len()];
        for m in self.phrases.find_overlapping_iter(&padded) {
            let id = m.pattern().as_usize();
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            for r in &self.phrase_refs[id] {
                match (*r, pass) {
                    (PhraseRef::Misspelling { sop }, Pass::All | Pass::OnlyMisspellings) => {
                        bump(&mut ev.per_sop[sop as usize].misspellings);
                    }
                    (_, Pass::OnlyMisspellings) | (PhraseRef::Misspelling { .. }, _) => {}
                    (PhraseRef::Exact { sop, words }, _) => {
                        ev.exact_spans.push((sop, m.start(), m.end()));
                        let e = &mut ev.per_sop[sop as usize];
                        bump(&mut e.exact);
                        e.exact_words = e.exact_words.max(words);
                    }
                    (PhraseRef::Keyword { sop, weight }, _) => {
                        let e = &mut ev.per_sop[sop as usize];
                        bump(&mut e.keywords);
                        e.keyword_weight += weight;
                    }
                    (PhraseRef::None(kind), _) => {
                        ev.none_weight += kind.weight();
                        ev.none_kinds.push(kind);
                    }
                    (PhraseRef::Past, _) => ev.past = true,
                }
            }
        }
    }

    pub fn n_sops(&self) -> usize {
        self.n_sops
    }
}

/// Which phrases a scan counts: misspellings are looked for in the text as
/// typed, everything else in the corrected text.
#[derive(Debug, Clone, Copy)]
enum Pass {
    All,
    NotMisspellings,
    OnlyMisspellings,
}

fn bump(x: &mut u8) {
    *x = x.saturating_add(1);
}

type CompiledRegexes = (RegexSet, Vec<u16>, Vec<(regex::Regex, u16)>);

/// One byte-level, ASCII-mode set for the patterns that allow it (run on the
/// ASCII haystack); the rest compiled with Unicode semantics.
fn compile_regexes(sops: &[Sop]) -> Result<CompiledRegexes, BuildError> {
    let mut ascii: Vec<String> = Vec::new();
    let mut ascii_sop: Vec<u16> = Vec::new();
    let mut unicode = Vec::new();
    for (i, s) in sops.iter().enumerate() {
        for (j, p) in s.triggers.regex.iter().enumerate() {
            let err = |e: &dyn std::fmt::Display| BuildError::Regex {
                sop: s.id.to_string(),
                index: j,
                error: e.to_string(),
            };
            let p2 = p.replace(['\u{2019}', '\u{2018}'], "'");
            let one = RegexSetBuilder::new([&p2])
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .build();
            if p2.is_ascii() && one.is_ok() {
                ascii.push(p2);
                ascii_sop.push(i as u16);
            } else {
                let re = regex::RegexBuilder::new(p)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| err(&e))?;
                unicode.push((re, i as u16));
            }
        }
    }
    let set = RegexSetBuilder::new(&ascii)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT.saturating_mul(ascii.len().max(1)))
        .dfa_size_limit(8 << 20)
        .build()
        .map_err(|e| BuildError::Regex {
            sop: "(all)".into(),
            index: 0,
            error: e.to_string(),
        })?;
    Ok((set, ascii_sop, unicode))
}
