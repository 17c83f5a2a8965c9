//! LLM providers behind the [`crate::Classifier`] trait: the
//! `operator_decision` tool they are forced to call and its strict reading
//! (`tool`), the OpenAI-compatible chat-completions provider (`openai`),
//! Claude through the Messages API (`anthropic`), the circuit breaker each
//! provider sits behind (`breaker`), and the tier that asks the model only
//! when the local classifier is unsure (`tiered`).

pub mod anthropic;
pub mod breaker;
pub mod budget;
pub mod cache;
pub mod openai;
pub mod tiered;
pub mod tool;

pub use anthropic::{AnthropicClassifier, AnthropicSettings};
pub use breaker::Breaker;
pub use budget::{CheapChoice, Refused, TokenBudget};
pub use cache::AnswerCache;
pub use openai::{OpenAiClassifier, OpenAiSettings};
pub use tiered::Tiered;

/// The HTTP client every provider uses (the call's deadline is the worker's
/// `llm_timeout`, so only connecting has its own limit here).
pub(crate) fn http_client() -> Result<reqwest::Client, crate::ClassifyError> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| crate::ClassifyError::Provider(e.to_string()))
}

/// A provider's refusal: its `error.message` (OpenAI and Anthropic both
/// answer `{"error": {"message": …}}`), else the start of the body.
pub(crate) async fn refusal(resp: reqwest::Response) -> crate::ClassifyError {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let (_, message) = error_body(&text);
    crate::ClassifyError::Provider(format!("{status}: {message}"))
}

/// An error body's `error.type` (Anthropic: `overloaded_error`, …) and
/// `error.message`, else the start of the body as the message.
pub(crate) fn error_body(text: &str) -> (Option<String>, String) {
    let v = serde_json::from_str::<serde_json::Value>(text).ok();
    let kind = v.as_ref().and_then(|v| v["error"]["type"].as_str().map(str::to_owned));
    let message = v
        .as_ref()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect());
    (kind, message)
}
