//! Ask the model only when the local classifier is unsure.
//!
//! Why 0.85: on the labelled holdout set every text the local classifier
//! scored at or above 0.85 was classified right (docs/CLASSIFIER.md), so
//! those answers cost no tokens and lose nothing. Below it, and for texts
//! it places in no category, the model decides.

use async_trait::async_trait;

use crate::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};

/// The local score at or above which the model is not asked.
pub const LOCAL_TRUSTED: f64 = 0.85;

#[derive(Debug)]
pub struct Tiered<L, M> {
    pub local: L,
    pub model: M,
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
        self.model.classify(req).await
    }
}
