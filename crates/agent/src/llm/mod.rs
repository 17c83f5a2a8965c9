//! LLM providers behind the [`crate::Classifier`] trait: the
//! `operator_decision` tool they are forced to call and its strict reading
//! (`tool`), the OpenAI-compatible chat-completions provider (`openai`),
//! Claude through the Messages API (`anthropic`), and the tier that asks the
//! model only when the local classifier is unsure (`tiered`).

pub mod anthropic;
pub mod budget;
pub mod cache;
pub mod openai;
pub mod tiered;
pub mod tool;

pub use anthropic::{AnthropicClassifier, AnthropicSettings};
pub use budget::{CheapChoice, Refused, TokenBudget};
pub use cache::AnswerCache;
pub use openai::{OpenAiClassifier, OpenAiSettings};
pub use tiered::Tiered;
