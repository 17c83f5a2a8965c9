//! The compiled SOP index: one Aho-Corasick automaton for every phrase
//! (exact triggers, keywords, misspellings, the none/past lexicons), the
//! trigger regexes, keyword stems, the speller and the similarity index;
//! and `gather`, which collects all evidence for one text.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use clubos_domain::BayNumber;

use super::bay::BayExtractor;
use super::evidence::bump;
pub use super::evidence::{Evidence, SopEvidence};
use super::hash::{FastMap, FastSet};
use super::lexicon::is_stopword;
use super::lexicon::{NONE_PHRASES, NoneKind, OPT_OUT_TEXTS, PAST_PHRASES, STOPWORDS};
use super::regexes::TriggerRegexes;
use super::similarity::SimIndex;
use super::spell::Speller;
use super::text::{canonical, canonicalise, normalise_fast, regex_haystack, stem};
use crate::sop::Sop;

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("SOP `{sop}`: trigger regex #{index} does not compile: {error}")]
    Regex { sop: String, index: usize, error: String },
    #[error("phrase automaton: {0}")]
    Phrases(String),
    #[error("too many SOPs for the local classifier (at most {max})", max = u16::MAX)]
    TooMany,
    #[error("{0}")]
    FullText(String),
}

/// Weight of a keyword used by one SOP; shared keywords weigh less (÷√n).
const KEYWORD_WEIGHT: f32 = 0.4;

/// What one phrase of the automaton stands for.
#[derive(Debug, Clone, Copy)]
enum PhraseRef {
    Exact { sop: u16, words: u8 },
    Keyword { sop: u16, weight: f32 },
    Misspelling { sop: u16 },
    None(NoneKind),
    Past,
}

#[derive(Debug)]
pub struct Index {
    phrases: AhoCorasick,
    phrase_refs: Vec<Vec<PhraseRef>>,
    /// Per SOP: the stems of every word of its title, triggers and keywords.
    sop_vocab: Vec<FastSet<String>>,
    /// Single-word keywords by stem ("crashes" finds "crash").
    keyword_stems: FastMap<String, Vec<(u16, f32)>>,
    regexes: TriggerRegexes,
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

        // How many SOPs use each keyword stem (as a keyword or inside an
        // exact phrase): rarer keywords weigh more.
        let mut kw_sops: HashMap<String, HashSet<usize>> = HashMap::new();
        for (i, s) in sops.iter().enumerate() {
            for k in &s.keywords {
                kw_sops.entry(stem(&canonical(k)).to_owned()).or_default().insert(i);
            }
        }
        for (i, s) in sops.iter().enumerate() {
            for e in &s.triggers.exact {
                for w in canonical(e).split(' ') {
                    if let Some(set) = kw_sops.get_mut(stem(w)) {
                        set.insert(i);
                    }
                }
            }
        }
        let mut keyword_stems: FastMap<String, Vec<(u16, f32)>> = FastMap::default();

        let mut examples: Vec<(usize, String)> = Vec::new();
        let mut known: HashSet<String> = HashSet::new();
        let mut targets: HashSet<String> = HashSet::new();
        let mut spell_lists = Vec::with_capacity(sops.len());
        let mut sop_vocab: Vec<FastSet<String>> = Vec::with_capacity(sops.len());
        for (i, s) in sops.iter().enumerate() {
            let sop = i as u16;
            let mut own: Vec<String> = Vec::new();
            for k in &s.keywords {
                let k = canonical(k);
                own.extend(k.split(' ').map(str::to_owned));
                if k.contains(' ') {
                    add(k, PhraseRef::Keyword { sop, weight: KEYWORD_WEIGHT });
                    continue;
                }
                let st = stem(&k).to_owned();
                let n = kw_sops.get(&st).map_or(1, HashSet::len).max(1) as f32;
                let refs = keyword_stems.entry(st).or_default();
                if !refs.iter().any(|(x, _)| *x == sop) {
                    refs.push((sop, KEYWORD_WEIGHT / n.sqrt()));
                }
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
            let mut vocab: FastSet<String> = own.iter().map(|w| stem(w).to_owned()).collect();
            for v in s.triggers.variants.iter().chain(std::iter::once(&s.title)) {
                let v = canonical(v);
                known.extend(v.split(' ').map(str::to_owned));
                vocab.extend(v.split(' ').map(|w| stem(w).to_owned()));
                examples.push((i, v));
            }
            sop_vocab.push(vocab);
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

        let regexes = TriggerRegexes::new(sops)?;
        Ok(Self {
            phrases,
            phrase_refs,
            sop_vocab,
            keyword_stems,
            regexes,
            speller: Speller::new(known, &targets, &spell_lists),
            sim: SimIndex::new(sops.len(), &examples),
            bays: BayExtractor::new(),
            n_sops: sops.len(),
        })
    }

    /// Collects all evidence for `text`.
    pub fn gather(&self, text: &str, booked: Option<BayNumber>) -> Evidence {
        let hay = regex_haystack(text);
        let plain = normalise_fast(text);
        let canon = canonicalise(&plain);
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
        let mut stems: Vec<&str> = Vec::with_capacity(16);
        for tok in corrected.split(' ') {
            let st = stem(tok);
            if stems.contains(&st) {
                continue;
            }
            stems.push(st);
            for &(sop, weight) in self.keyword_stems.get(st).into_iter().flatten() {
                let e = ev.sop_mut(sop as usize);
                bump(&mut e.keywords);
                e.keyword_weight += weight;
            }
        }
        if OPT_OUT_TEXTS.contains(&canon.as_str()) {
            ev.none_weight += NoneKind::OptOut.weight();
            ev.none_kinds.push(NoneKind::OptOut);
        }

        self.regexes.scan(text, &hay, (corrected != plain).then_some(corrected.as_str()), &mut ev);

        let content: Vec<&str> = corrected.split(' ').filter(|w| is_content_word(w)).map(stem).collect();
        let mut fired = ev.touched.clone();
        fired.sort_unstable();
        fired.dedup();
        for i in fired.into_iter().map(|i| i as usize) {
            let e = &mut ev.per_sop[i];
            if e.exact > 0 || e.regex > 0 {
                let known = content.iter().filter(|w| self.sop_vocab[i].contains(**w)).count();
                e.coverage = if content.is_empty() { 1.0 } else { known as f32 / content.len() as f32 };
            }
        }

        let mut sims = Vec::new();
        SIM_SCRATCH.with_borrow_mut(|scratch| self.sim.score(&corrected, scratch, &mut sims));
        for (sop, s, n) in sims {
            let e = ev.sop_mut(usize::from(sop));
            e.similarity = s;
            e.similarity_terms = n;
        }
        ev.corrected = corrected;
        ev.typed = canon;
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
                        bump(&mut ev.sop_mut(sop as usize).misspellings);
                    }
                    (_, Pass::OnlyMisspellings) | (PhraseRef::Misspelling { .. }, _) => {}
                    (PhraseRef::Exact { sop, words }, _) => {
                        ev.exact_spans.push((sop, m.start(), m.end()));
                        let e = ev.sop_mut(sop as usize);
                        bump(&mut e.exact);
                        e.exact_words = e.exact_words.max(words);
                    }
                    (PhraseRef::Keyword { sop, weight }, _) => {
                        let e = ev.sop_mut(sop as usize);
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

    /// Where `sop`'s regexes match the corrected text (see `TriggerRegexes::spans`).
    pub fn regex_spans(&self, ev: &Evidence, sop: usize) -> Vec<(usize, usize)> {
        self.regexes.spans(ev, sop)
    }
}

thread_local! {
    /// Per-example sums of the similarity stage, kept zeroed between texts
    /// so a text costs what it touches, not the size of the SOP set.
    static SIM_SCRATCH: std::cell::RefCell<Vec<(f32, u8)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Which phrases a scan counts: misspellings are looked for in the text as
/// typed, everything else in the corrected text.
#[derive(Debug, Clone, Copy)]
enum Pass {
    All,
    NotMisspellings,
    OnlyMisspellings,
}

/// Words that carry meaning for coverage: not stopwords, numbers or the
/// words that only name a bay.
fn is_content_word(w: &str) -> bool {
    w.len() > 1
        && !w.bytes().all(|b| b.is_ascii_digit())
        && !matches!(w, "bay" | "box" | "sorry" | "guys")
        && !is_stopword(w)
}
