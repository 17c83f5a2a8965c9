//! The local classifier of the embedded default: keywords, then SOP trigger
//! patterns (exact phrases, regexes, variants, misspellings), then text
//! similarity — combined into a score per SOP, decided with the category
//! precedence rule, with a calibrated confidence. Pure CPU, microseconds.

mod bay;
mod decide;
mod evidence;
mod hash;
mod index;
mod lexicon;
mod regexes;
mod similarity;
mod spell;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;

use clubos_domain::{BayNumber, Classification, Confidence, Proposal};

pub use self::bay::BayExtractor;
use self::decide::{Score, SopMeta, decide};
use self::index::Index;
pub use self::index::{BuildError, SopEvidence};
pub use self::lexicon::NoneKind;
pub use self::text::canonical;
use crate::classifier::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
use crate::sop::Sop;

/// Keyword + trigger + similarity classifier over a set of SOPs. Build it
/// once (tens of milliseconds) and share it (`Send + Sync`); classifying is
/// a few microseconds of CPU and allocates only small buffers.
pub struct LocalClassifier {
    sops: Vec<Sop>,
    meta: Vec<SopMeta>,
    index: Index,
}

impl LocalClassifier {
    /// The `model` name reported in `ClassifierOutput`.
    pub const MODEL: &'static str = "local";

    /// Builds the index (automaton, regex set, speller, similarity) once.
    pub fn new(sops: Vec<Sop>) -> Result<Self, BuildError> {
        let index = Index::new(&sops)?;
        let meta = sops
            .iter()
            .map(|s| SopMeta {
                category: s.category,
                acts_now: s.primary_action.to_proposal(None).device_action().is_some(),
            })
            .collect();
        Ok(Self { sops, meta, index })
    }

    /// The classifier over the embedded starter SOPs.
    pub fn with_starter_sops() -> Self {
        Self::new(crate::sop::load_starter_sops()).expect("the starter SOPs compile (unit-tested)")
    }

    pub fn sops(&self) -> &[Sop] {
        &self.sops
    }

    /// Classifies one text. `booked_bay` only breaks a tie when the text
    /// names several bays; with no bay in the text the proposal's bay is
    /// `None` and the policy falls back to the booking. Only the first
    /// `MAX_TEXT_BYTES` of a text are read.
    pub fn classify_text(&self, text: &str, booked_bay: Option<BayNumber>) -> Classification {
        let ev = self.index.gather(clip(text), booked_bay);
        let d = self.decide(&ev);
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

    fn decide(&self, ev: &index::Evidence) -> decide::Decision {
        decide(ev, &self.meta, &|sop| self.index.regex_spans(ev, sop))
    }

    /// The evidence and the rule behind a classification ("View reasoning",
    /// and the evaluation's `--verbose`).
    pub fn explain(&self, text: &str, booked_bay: Option<BayNumber>) -> Explanation {
        let ev = self.index.gather(clip(text), booked_bay);
        let d = self.decide(&ev);
        let mut candidates: Vec<Candidate> = ev
            .per_sop
            .iter()
            .enumerate()
            .map(|(i, e)| Candidate { sop: self.sops[i].id.to_string(), evidence: *e, score: Score::of(e).total })
            .filter(|c| c.score > 0.0)
            .collect();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        candidates.truncate(5);
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
        Ok(ClassifierOutput {
            classification: self.classify_text(req.text, req.booked_bay),
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
    /// `more_specific_phrase`, `similarity`, `none_lexicon`, `no_match`.
    pub rule: &'static str,
    pub none_weight: f32,
    pub none_kinds: Vec<NoneKind>,
    pub problem_over: bool,
    pub bay: Option<BayNumber>,
    /// The best-scoring SOPs, best first (at most five).
    pub candidates: Vec<Candidate>,
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
        Ok(())
    }
}
