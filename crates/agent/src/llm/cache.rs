//! The exact-match answer cache: a FAQ text the model already answered for
//! this location and this SOP set is answered again without a paid call.
//!
//! Why only FAQ replies: an answer about hours or prices does not depend on
//! who asks or when; a reset or an unlock does (booking, ledger, health) and
//! is always decided afresh. The key holds the SOP set's version, so a
//! changed SOP set (a new classifier) never serves an old answer.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use clubos_domain::{Category, Classification, LocationId, Proposal};

/// Answers kept per process.
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct AnswerCache {
    sop_version: String,
    entries: Mutex<lru::LruCache<(LocationId, String), Classification>>,
}

impl AnswerCache {
    /// An empty cache for the SOP set identified by `sop_version`.
    pub fn new(sop_version: impl Into<String>) -> Self {
        let cap = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Self { sop_version: sop_version.into(), entries: Mutex::new(lru::LruCache::new(cap)) }
    }

    fn key(&self, location: &LocationId, text: &str) -> Option<(LocationId, String)> {
        let normal = clubos_domain::signals::normalise(text);
        (!normal.trim().is_empty()).then(|| (location.clone(), format!("{}\u{1f}{}", self.sop_version, normal.trim())))
    }

    pub fn get(&self, location: &LocationId, text: &str) -> Option<Classification> {
        let key = self.key(location, text)?;
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned()
    }

    /// Keeps `answer` if it is a FAQ reply.
    pub fn put(&self, location: &LocationId, text: &str, answer: &Classification) {
        let cacheable =
            answer.category == Some(Category::Faq) && answer.proposal == Proposal::Reply && answer.reply.is_some();
        if let (true, Some(key)) = (cacheable, self.key(location, text)) {
            self.entries.lock().unwrap_or_else(|p| p.into_inner()).put(key, answer.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clubos_domain::Confidence;

    fn answer(category: Category, proposal: Proposal) -> Classification {
        Classification {
            category: Some(category),
            sub_intent: None,
            confidence: Confidence::new(0.9).unwrap(),
            proposal,
            reply: Some("We are open 24/7.".into()),
            matched_sop: None,
        }
    }

    #[test]
    fn faq_replies_are_kept_per_location_and_sop_version() {
        let here = LocationId::parse("bedford").unwrap();
        let there = LocationId::parse("halifax").unwrap();
        let cache = AnswerCache::new("v1");
        cache.put(&here, "What are your HOURS?", &answer(Category::Faq, Proposal::Reply));
        assert!(cache.get(&here, "what are your hours").is_some(), "case and punctuation do not matter");
        assert!(cache.get(&there, "what are your hours").is_none(), "per location");
        assert!(AnswerCache::new("v2").get(&here, "what are your hours").is_none(), "per SOP version");
        cache.put(&here, "trackman frozen", &answer(Category::Tech, Proposal::ResetTrackman { bay: None }));
        assert!(cache.get(&here, "trackman frozen").is_none(), "actions are never cached");
    }
}
