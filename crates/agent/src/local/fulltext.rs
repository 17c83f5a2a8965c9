//! Full-text relevance, the stage after exact phrases, regexes, variants and
//! misspellings: BM25 (tantivy, an in-RAM index built once per SOP set)
//! over each SOP's title, triggers (exact, variants, misspellings),
//! keywords and reply.
//!
//! Both sides are prepared by the classifier's own text functions
//! (normalised as `clubos_domain::signals::normalise`, slang expanded,
//! spelling corrected on the query side, stopwords out, lightly stemmed);
//! tantivy's analyzer then only splits on spaces, lowercases and folds to
//! ASCII, so "café" and "cafe" meet.
//!
//! A BM25 score is unbounded and depends on the set, so it is never turned
//! into a confidence: `decide` uses it only to order SOPs the earlier
//! stages scored equally (docs/CLASSIFIER.md says why).

use std::fmt;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::hash::FastMap;
use super::similarity::terms;
use super::text::canonical;
use crate::sop::Sop;

/// Why the full-text index could not be built.
#[derive(Debug, thiserror::Error)]
#[error("full-text index: {0}")]
pub struct FullTextError(String);

impl From<tantivy::TantivyError> for FullTextError {
    fn from(e: tantivy::TantivyError) -> Self {
        Self(e.to_string())
    }
}

const TOKENIZER: &str = "clubos";
/// Fields, in this order, with their BM25 boosts: the reply says more than
/// the SOP is about, so it counts half.
const FIELDS: [(&str, f32); 4] = [("title", 1.0), ("triggers", 1.0), ("keywords", 1.0), ("reply", 0.5)];
/// Hits kept per text (before the context filter).
pub const TOP_K: usize = 8;
/// Distinct terms of a text that are looked up (texts are clipped anyway).
const MAX_QUERY_TERMS: usize = 32;

/// One SOP the full-text stage retrieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub sop: u32,
    /// Tantivy's BM25 score (summed over the boosted fields).
    pub score: f32,
}

/// The in-RAM BM25 index of one SOP set.
pub struct FullText {
    searcher: Searcher,
    fields: [Field; 4],
    analyzer: TextAnalyzer,
    /// Per segment, per document: the SOP index.
    doc_sop: Vec<Vec<u32>>,
    /// Every indexed term, with the fields it occurs in (bit `k` for
    /// `FIELDS[k]`): a text's other words match nothing and are not asked.
    terms: FastMap<String, u8>,
}

impl fmt::Debug for FullText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FullText").field("terms", &self.terms.len()).finish_non_exhaustive()
    }
}

/// The classifier's preparation of one field's text: canonical terms,
/// stopwords out, stemmed, joined by spaces.
fn prepare<'a>(texts: impl IntoIterator<Item = &'a String>) -> String {
    let mut out = String::new();
    for t in texts {
        for term in terms(&canonical(t)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(term);
        }
    }
    out
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WhitespaceTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build()
}

/// The tokens tantivy indexes for `prepared` text.
fn tokens(analyzer: &mut TextAnalyzer, prepared: &str, out: &mut Vec<String>) {
    let mut stream = analyzer.token_stream(prepared);
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
}

impl FullText {
    pub fn new(sops: &[Sop]) -> Result<Self, FullTextError> {
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs)
            .set_fieldnorms(true);
        let text = TextOptions::default().set_indexing_options(indexing);
        let fields = FIELDS.map(|(name, _)| schema.add_text_field(name, text.clone()));
        let sop_field = schema.add_u64_field("sop", FAST);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER, analyzer());

        let mut analyzer = analyzer();
        let mut terms: FastMap<String, u8> = FastMap::default();
        let mut own: Vec<String> = Vec::new();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
        for (i, s) in sops.iter().enumerate() {
            let t = &s.triggers;
            let texts = [
                prepare([&s.title]),
                prepare(t.exact.iter().chain(&t.variants).chain(&t.misspellings)),
                prepare(&s.keywords),
                prepare([&s.reply]),
            ];
            let mut doc = TantivyDocument::default();
            for (k, (field, text)) in fields.iter().zip(&texts).enumerate() {
                doc.add_text(*field, text);
                own.clear();
                tokens(&mut analyzer, text, &mut own);
                for t in own.drain(..) {
                    *terms.entry(t).or_default() |= 1 << k;
                }
            }
            doc.add_u64(sop_field, i as u64);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;

        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let mut doc_sop = Vec::with_capacity(searcher.segment_readers().len());
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("sop")?;
            let ids: Option<Vec<u32>> =
                (0..seg.max_doc()).map(|d| col.first(d).and_then(|v| u32::try_from(v).ok())).collect();
            doc_sop.push(ids.ok_or_else(|| FullTextError("a document without its SOP".into()))?);
        }
        Ok(Self { searcher, fields, analyzer, doc_sop, terms })
    }

    /// The best `TOP_K` SOPs for a text, best first. `corrected` is the
    /// canonical, spelling-corrected text; `typed` the canonical text as
    /// typed (its misspellings can meet an SOP's `misspellings`).
    pub fn search(&self, corrected: &str, typed: &str) -> Vec<Hit> {
        let mut analyzer = self.analyzer.clone();
        let mut prepared = String::with_capacity(corrected.len() + typed.len() + 1);
        for text in [corrected, typed] {
            for t in terms(text) {
                prepared.push_str(t);
                prepared.push(' ');
            }
            if typed == corrected {
                break;
            }
        }
        let mut q: Vec<String> = Vec::with_capacity(16);
        tokens(&mut analyzer, &prepared, &mut q);
        let mut seen: Vec<&str> = Vec::with_capacity(q.len());
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in &q {
            if seen.contains(&t.as_str()) || seen.len() >= MAX_QUERY_TERMS {
                continue;
            }
            seen.push(t);
            let Some(&mask) = self.terms.get(t.as_str()) else {
                continue;
            };
            // Only the fields that have the term: the others match nothing.
            for (k, (field, (_, boost))) in self.fields.iter().zip(FIELDS).enumerate() {
                if mask & (1 << k) == 0 {
                    continue;
                }
                let tq = TermQuery::new(Term::from_field_text(*field, t), IndexRecordOption::WithFreqs);
                let q: Box<dyn Query> =
                    if boost == 1.0 { Box::new(tq) } else { Box::new(BoostQuery::new(Box::new(tq), boost)) };
                clauses.push((Occur::Should, q));
            }
        }
        if clauses.is_empty() {
            return Vec::new();
        }
        let query = BooleanQuery::new(clauses);
        let Ok(top) = self.searcher.search(&query, &TopDocs::with_limit(TOP_K).order_by_score()) else {
            return Vec::new();
        };
        top.into_iter()
            .filter_map(|(score, addr)| {
                let sop = *self.doc_sop.get(addr.segment_ord as usize)?.get(addr.doc_id as usize)?;
                Some(Hit { sop, score })
            })
            .collect()
    }
}
