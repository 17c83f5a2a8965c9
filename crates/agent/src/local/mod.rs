//! The local classifier of the embedded default, retrieving SOPs in the
//! specification's order: exact phrases, regexes, variants and misspellings
//! (with keywords and text similarity), then full-text relevance (BM25),
//! then the context filter (location, local time window, valid until) and
//! dependencies — combined into a score per SOP, decided with the category
//! precedence rule, with a calibrated confidence; only the best SOP that
//! applies, above a threshold, is used. Pure CPU, well under a millisecond
//! even with thousands of SOPs (docs/PERFORMANCE.md).

mod bay;
mod context;
mod decide;
mod evidence;
mod fulltext;
mod hash;
mod index;
mod lexicon;
mod regexes;
mod similarity;
mod spell;
mod text;

#[cfg(test)]
mod retrieval_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use clubos_domain::{BayNumber, Classification, Confidence, LocationId, Proposal};
use jiff::civil::DateTime;

pub use self::bay::BayExtractor;
use self::context::Gates;
pub use self::context::{Excluded, Situation};
use self::decide::{Score, SopMeta, decide};
use self::fulltext::FullText;
use self::index::Index;
pub use self::index::{BuildError, SopEvidence};
pub use self::lexicon::NoneKind;
pub use self::text::canonical;
use crate::classifier::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
use crate::sop::Sop;

/// The wall-clock time at a location, now: what the context filter checks
/// time windows and `valid_until` dates against. The server builds it from
/// its clock and the location's IANA zone; `None` for an unknown location.
pub type LocalNow = Arc<dyn Fn(&LocationId) -> Option<DateTime> + Send + Sync>;

/// Keyword + trigger + similarity + full-text classifier over a set of
/// SOPs. Build it once (tens of milliseconds for the starter set, about a
/// second for 5,000 SOPs) and share it (`Send + Sync`); classifying is
/// microseconds of CPU.
pub struct LocalClassifier {
    sops: Vec<Sop>,
    meta: Vec<SopMeta>,
    index: Index,
    fulltext: FullText,
    gates: Gates,
    local_now: Option<LocalNow>,
}

impl LocalClassifier {
    /// The `model` name reported in `ClassifierOutput`.
    pub const MODEL: &'static str = "local";

    /// Builds the indexes (automaton, regexes, speller, similarity, the
    /// BM25 index, the context filter) once.
    pub fn new(sops: Vec<Sop>) -> Result<Self, BuildError> {
        let index = Index::new(&sops)?;
        let fulltext = FullText::new(&sops).map_err(|e| BuildError::FullText(e.to_string()))?;
        let gates = Gates::new(&sops);
        let meta = sops
            .iter()
            .map(|s| SopMeta {
                category: s.category,
                acts_now: s.primary_action.to_proposal(None).device_action().is_some(),
            })
            .collect();
        Ok(Self { sops, meta, index, fulltext, gates, local_now: None })
    }

    /// Gives `Classifier::classify` the local time at the request's
    /// location. Without it, SOPs with a time window or a `valid_until`
    /// date are never used there (the filter does not guess the time).
    pub fn with_local_time(mut self, local_now: LocalNow) -> Self {
        self.local_now = Some(local_now);
        self
    }

    /// The classifier over the embedded starter SOPs.
    pub fn with_starter_sops() -> Self {
        Self::new(crate::sop::load_starter_sops()).expect("the starter SOPs compile (unit-tested)")
    }

    pub fn sops(&self) -> &[Sop] {
        &self.sops
    }

    /// Classifies one text where and when nothing is known: SOPs limited
    /// to locations, a time window or a date are not used (see
    /// `classify_in`).
    pub fn classify_text(&self, text: &str, booked_bay: Option<BayNumber>) -> Classification {
        self.classify_in(text, booked_bay, &Situation::default())
    }

    /// Classifies one text that arrived in `situation`. `booked_bay` only
    /// breaks a tie when the text names several bays; with no bay in the
    /// text the proposal's bay is `None` and the policy falls back to the
    /// booking. Only the first `MAX_TEXT_BYTES` of a text are read.
    pub fn classify_in(&self, text: &str, booked_bay: Option<BayNumber>, situation: &Situation<'_>) -> Classification {
        let (ev, d) = self.retrieve(text, booked_bay, situation, false);
        let confidence = Confidence::saturating(d.confidence);
        match d.sop {
            None => Classification {
                category: None,
                sub_intent: None,
                confidence,
                proposal: Proposal::None,
                reply: None,
                matched_sop: None,
            },
            Some(i) => {
                let sop = &self.sops[i];
                Classification {
                    category: Some(sop.category),
                    sub_intent: Some(sop.subcategory.clone()),
                    confidence,
                    proposal: sop.primary_action.to_proposal(ev.bay),
                    reply: Some(sop.reply.clone()),
                    matched_sop: Some(sop.id.clone()),
                }
            }
        }
    }

    /// The stages in order: exact phrases, regexes, variants, misspellings,
    /// keywords and similarity (`Index::gather`); full-text relevance; the
    /// context filter and dependencies; then the decision. Full-text
    /// relevance only breaks ties between equally scored SOPs, so unless
    /// `fulltext` asks for it (explanations), it runs when the decision
    /// met such a tie, and the decision is made again: the same outcome as
    /// running it on every text, at a fraction of the cost.
    fn retrieve(
        &self,
        text: &str,
        booked_bay: Option<BayNumber>,
        situation: &Situation<'_>,
        fulltext: bool,
    ) -> (index::Evidence, decide::Decision) {
        let mut ev = self.index.gather(clip(text), booked_bay);
        if fulltext {
            self.fulltext_stage(&mut ev);
        }
        ev.collect_active();
        self.gates.apply(&mut ev, situation);
        let d = decide(&ev, &self.meta, &self.gates, &|sop| self.index.regex_spans(&ev, sop));
        if fulltext || !d.tie {
            return (ev, d);
        }
        self.fulltext_stage(&mut ev);
        ev.collect_active();
        self.gates.apply(&mut ev, situation);
        let d = decide(&ev, &self.meta, &self.gates, &|sop| self.index.regex_spans(&ev, sop));
        (ev, d)
    }

    /// BM25 over the SOPs (not those the context filter already dropped).
    fn fulltext_stage(&self, ev: &mut index::Evidence) {
        let hits = self.fulltext.search(&ev.corrected, &ev.typed);
        for h in &hits {
            let dropped = ev.excluded.iter().any(|(i, _)| u32::from(*i) == h.sop);
            if !dropped && (h.sop as usize) < ev.per_sop.len() {
                ev.sop_mut(h.sop as usize).fulltext = h.score;
            }
        }
        ev.fulltext = hits;
    }

    /// The evidence and the rule behind a classification ("View reasoning",
    /// and the evaluation's `--verbose`), where and when nothing is known.
    pub fn explain(&self, text: &str, booked_bay: Option<BayNumber>) -> Explanation {
        self.explain_in(text, booked_bay, &Situation::default())
    }

    /// `explain` for a text that arrived in `situation`.
    pub fn explain_in(&self, text: &str, booked_bay: Option<BayNumber>, situation: &Situation<'_>) -> Explanation {
        let (ev, d) = self.retrieve(text, booked_bay, situation, true);
        let mut best: Vec<(usize, f32)> = ev
            .active
            .iter()
            .map(|&i| (i as usize, Score::of(&ev.per_sop[i as usize]).total))
            .filter(|(_, score)| *score > 0.0)
            .collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        let candidates: Vec<Candidate> = best
            .into_iter()
            .take(5)
            .map(|(i, score)| Candidate { sop: self.sops[i].id.to_string(), evidence: ev.per_sop[i], score })
            .collect();
        Explanation {
            corrected: ev.corrected,
            chosen: d.sop.map(|i| self.sops[i].id.to_string()),
            confidence: d.confidence,
            rule: d.rule,
            none_weight: ev.none_weight,
            none_kinds: ev.none_kinds,
            problem_over: ev.past,
            bay: ev.bay,
            candidates,
            tie: d.tie,
            fulltext: ev.fulltext.iter().take(3).map(|h| (self.sops[h.sop as usize].id.to_string(), h.score)).collect(),
            excluded: ev
                .excluded
                .iter()
                .map(|&(i, why)| {
                    let why = match why {
                        Excluded::Dependency(d) => {
                            format!("builds on {}, which does not apply", self.sops[usize::from(d)].id)
                        }
                        other => other.to_string(),
                    };
                    (self.sops[usize::from(i)].id.to_string(), why)
                })
                .collect(),
        }
    }
}

/// Longest text classified; SMS threads are far shorter, and the bound
/// keeps the worst case in microseconds.
pub const MAX_TEXT_BYTES: usize = 4096;

fn clip(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl fmt::Debug for LocalClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalClassifier").field("sops", &self.sops.len()).finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Classifier for LocalClassifier {
    fn name(&self) -> &str {
        Self::MODEL
    }

    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        let local = self.local_now.as_ref().and_then(|f| f(req.location));
        let situation = Situation { location: Some(req.location), local };
        Ok(ClassifierOutput {
            classification: self.classify_in(req.text, req.booked_bay, &situation),
            model: Self::MODEL.to_owned(),
            tokens_in: 0,
            tokens_out: 0,
            cached: false,
        })
    }
}

/// Why the local classifier decided what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The text as matched: normalised, slang expanded, spelling corrected.
    pub corrected: String,
    pub chosen: Option<String>,
    pub confidence: f64,
    /// `triggers`, `triggers_over_rival`, `precedence`, `problem_over`,
    /// `more_specific_phrase`, `builds_on`, `similarity`, `none_lexicon`,
    /// `no_match`.
    pub rule: &'static str,
    pub none_weight: f32,
    pub none_kinds: Vec<NoneKind>,
    pub problem_over: bool,
    pub bay: Option<BayNumber>,
    /// The best-scoring SOPs, best first (at most five).
    pub candidates: Vec<Candidate>,
    /// The best full-text hits: SOP and BM25 score (at most three).
    pub fulltext: Vec<(String, f32)>,
    /// Equally scored SOPs met; full-text relevance broke the tie (only
    /// then does `classify_in` run the full-text stage).
    pub tie: bool,
    /// SOPs with evidence that the context filter dropped, and why.
    pub excluded: Vec<(String, String)>,
}

/// One SOP's evidence in an explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub sop: String,
    pub evidence: SopEvidence,
    pub score: f32,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  matched as: \"{}\"\n  chose {} ({:.2}) by {}; none weight {:.1} {:?}{}",
            self.corrected,
            self.chosen.as_deref().unwrap_or("none"),
            self.confidence,
            self.rule,
            self.none_weight,
            self.none_kinds,
            if self.problem_over { "; problem over" } else { "" },
        )?;
        for c in &self.candidates {
            let e = &c.evidence;
            writeln!(
                f,
                "    {:<28} {:>5.2}  exact {} (len {}) regex {} kw {} ({:.2}) missp {} sim {:.2} ({} words)",
                c.sop,
                c.score,
                e.exact,
                e.exact_words,
                e.regex,
                e.keywords,
                e.keyword_weight,
                e.misspellings,
                e.similarity,
                e.similarity_terms
            )?;
        }
        if !self.fulltext.is_empty() {
            let hits: Vec<String> = self.fulltext.iter().map(|(s, b)| format!("{s} {b:.2}")).collect();
            let tie = if self.tie { " (broke a tie)" } else { "" };
            writeln!(f, "    full text{tie}: {}", hits.join(", "))?;
        }
        for (sop, why) in &self.excluded {
            writeln!(f, "    dropped {sop}: {why}")?;
        }
        Ok(())
    }
}
