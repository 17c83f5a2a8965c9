//! Ask the model only when the local classifier is unsure.
//!
//! Why 0.85: on the labelled holdout set every text the local classifier
//! scored at or above 0.85 was classified right (docs/CLASSIFIER.md), so
//! those answers cost no tokens and lose nothing. Below it, and for texts
//! it places in no category, the model decides — if the location's token
//! budget allows the call; if not, the call is refused with `TokenCap` and
//! the thread goes to a human (`token_cap`).

use std::sync::Arc;

use async_trait::async_trait;

use super::budget::{CheapChoice, TokenBudget, estimate};
use super::cache::AnswerCache;
use super::tool;
use crate::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};

/// The local score at or above which the model is not asked.
pub const LOCAL_TRUSTED: f64 = 0.85;

#[derive(Debug)]
pub struct Tiered<L, M> {
    pub local: L,
    pub model: M,
    /// Checked before every model call; `None`: no caps.
    pub budget: Option<Arc<dyn TokenBudget>>,
    /// The model's `max_tokens` (part of each reservation).
    pub max_output: u32,
    /// Repeated FAQ texts answered without a paid call; `None`: no cache.
    pub cache: Option<AnswerCache>,
    /// The cheap model, used for the categories `cheap_for` names (judged
    /// by the local classifier's tentative category); `None`: one model.
    pub cheap: Option<(M, Arc<dyn CheapChoice>)>,
}

#[async_trait]
impl<L: Classifier, M: Classifier> Classifier for Tiered<L, M> {
    fn name(&self) -> &str {
        self.model.name()
    }

    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        let local = self.local.classify(req).await?;
        let c = &local.classification;
        if c.category.is_some() && c.confidence.get() >= LOCAL_TRUSTED {
            return Ok(local);
        }
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(req.location, req.text)) {
            return Ok(ClassifierOutput {
                classification: hit,
                model: self.model.name().to_owned(),
                tokens_in: 0,
                tokens_out: 0,
                cached: true,
            });
        }
        let model = match (&self.cheap, c.category) {
            (Some((cheap, choice)), Some(category)) if choice.use_cheaper(category) => cheap,
            _ => &self.model,
        };
        let result = self.ask_model(model, req).await;
        if let (Ok(out), Some(cache)) = (&result, &self.cache) {
            cache.put(req.location, req.text, &out.classification);
        }
        result
    }
}

impl<L: Classifier, M: Classifier> Tiered<L, M> {
    async fn ask_model(&self, model: &M, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        let Some(budget) = &self.budget else {
            return model.classify(req).await;
        };
        let prompt = tool::system_prompt(req.location.as_str(), req.booked_bay).len() + req.text.len();
        let reserved = estimate(prompt, self.max_output);
        budget.reserve(req.location, reserved).await.map_err(|e| ClassifyError::TokenCap(e.0))?;
        let result = model.classify(req).await;
        let used = result.as_ref().map_or(0, |o| o.tokens_in.saturating_add(o.tokens_out));
        budget.settle(req.location, reserved, used).await;
        result
    }
}
