//! The evidence the index collects for one text, per SOP and overall.

use clubos_domain::BayNumber;

use super::context::Excluded;
use super::fulltext::Hit;
use super::lexicon::NoneKind;

/// Evidence for one SOP in one text.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SopEvidence {
    /// Distinct exact phrases found, and the longest one's word count.
    pub exact: u8,
    pub exact_words: u8,
    /// Trigger regexes that matched, and how many of those are lexical
    /// (match a single word, like `\bpark(?:ing|ed)?\b`).
    pub regex: u8,
    pub regex_lexical: u8,
    pub keywords: u8,
    /// Sum of the found keywords' weights (rarer keywords weigh more).
    pub keyword_weight: f32,
    pub misspellings: u8,
    /// Best TF-IDF cosine against the SOP's examples, and how many words
    /// of the text that example shares.
    pub similarity: f32,
    pub similarity_terms: u8,
    /// Share of the text's content words the SOP's vocabulary knows
    /// (computed for SOPs whose triggers fired).
    pub coverage: f32,
    /// BM25 score when the SOP is among the full-text hits (only breaks
    /// ties between equally scored SOPs).
    pub fulltext: f32,
}

impl SopEvidence {
    /// No stage found anything for this SOP.
    pub fn is_empty(&self) -> bool {
        self.exact == 0
            && self.regex == 0
            && self.keywords == 0
            && self.misspellings == 0
            && self.similarity == 0.0
            && self.fulltext == 0.0
    }
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
    /// Which ASCII trigger regexes matched (indexes of `TriggerRegexes`).
    pub regex_hits: Vec<u32>,
    /// The canonical text after spelling correction, and as typed.
    pub corrected: String,
    pub typed: String,
    pub bay: Option<BayNumber>,
    /// The full-text (BM25) hits, best first, before the context filter.
    pub fulltext: Vec<Hit>,
    /// SOPs with evidence that the context filter dropped, and why.
    pub excluded: Vec<(u16, Excluded)>,
    /// Every SOP whose evidence a stage touched (with repeats).
    pub touched: Vec<u32>,
    /// The SOPs with any evidence after the context filter, ascending.
    pub active: Vec<u32>,
}

impl Evidence {
    /// SOP `i`'s evidence, to add to (recorded as touched).
    pub fn sop_mut(&mut self, i: usize) -> &mut SopEvidence {
        self.touched.push(i as u32);
        &mut self.per_sop[i]
    }

    /// Sets `active` from what the stages touched: the SOPs with evidence.
    pub fn collect_active(&mut self) {
        let mut a = std::mem::take(&mut self.active);
        a.clear();
        a.extend_from_slice(&self.touched);
        a.sort_unstable();
        a.dedup();
        a.retain(|&i| self.per_sop.get(i as usize).is_some_and(|e| !e.is_empty()));
        self.active = a;
    }
}

pub(crate) fn bump(x: &mut u8) {
    *x = x.saturating_add(1);
}
