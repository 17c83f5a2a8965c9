//! The classifier contract OperatorGPT calls: text in, a `Classification`
//! plus the model, token usage and cache status out. The local classifier
//! and the LLM providers implement it.

use clubos_domain::{BayNumber, Classification, LocationId};

/// One thing to classify.
#[derive(Debug, Clone, Copy)]
pub struct ClassifyRequest<'a> {
    /// The customer's text (several coalesced messages joined by "\n").
    pub text: &'a str,
    pub location: &'a LocationId,
    /// The bay of the customer's active booking, if any.
    pub booked_bay: Option<BayNumber>,
}

/// A classification and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOutput {
    pub classification: Classification,
    /// `"local"` for the local classifier, else the provider's model name.
    pub model: String,
    /// 0 for the local classifier.
    pub tokens_in: u32,
    pub tokens_out: u32,
    /// Answered from a cache rather than by the model.
    pub cached: bool,
}

/// Why a classifier gave no classification.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("classifier timed out")]
    Timeout,
    #[error("provider error: {0}")]
    Provider(String),
    #[error("invalid model output: {0}")]
    InvalidOutput(String),
    /// The location's token budget does not allow the model call.
    #[error("token budget: {0}")]
    TokenCap(String),
}

/// Something that turns a customer's text into a `Classification`.
#[async_trait::async_trait]
pub trait Classifier: Send + Sync + std::fmt::Debug {
    /// Short name for logs and the decision record (`local`, `openai`, …).
    fn name(&self) -> &str;
    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError>;
}
