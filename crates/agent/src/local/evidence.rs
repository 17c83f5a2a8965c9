//! The evidence the index collects for one text, per SOP and overall.

use clubos_domain::BayNumber;

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
    /// Which patterns of the regex set matched.
    pub regex_hits: Vec<u16>,
    /// The canonical text after spelling correction.
    pub corrected: String,
    pub bay: Option<BayNumber>,
}

pub(crate) fn bump(x: &mut u8) {
    *x = x.saturating_add(1);
}
