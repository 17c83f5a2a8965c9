//! Claude through Anthropic's Messages API: `POST {base_url}/v1/messages`
//! with `x-api-key`, `anthropic-version`, the `operator_decision` tool and
//! `tool_choice` forcing it; the answer is a `tool_use` content block.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::tool::{self, TOOL_NAME};
use crate::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};

/// The API version this client speaks.
pub const API_VERSION: &str = "2023-06-01";

#[derive(Clone)]
pub struct AnthropicSettings {
    /// API root, e.g. `https://api.anthropic.com`.
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    pub max_tokens: u32,
}

impl std::fmt::Debug for AnthropicSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

#[derive(Debug)]
pub struct AnthropicClassifier {
    http: reqwest::Client,
    url: String,
    settings: AnthropicSettings,
}

#[derive(Deserialize)]
struct Reply {
    content: Vec<Block>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    input: Option<Value>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
}

impl AnthropicClassifier {
    pub fn new(settings: AnthropicSettings) -> Result<Self, ClassifyError> {
        let http = super::http_client()?;
        let url = format!("{}/v1/messages", settings.base_url.trim_end_matches('/'));
        Ok(Self { http, url, settings })
    }
}

#[async_trait]
impl Classifier for AnthropicClassifier {
    fn name(&self) -> &str {
        &self.settings.model
    }

    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        let body = json!({
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "system": tool::system_prompt(req.location.as_str(), req.booked_bay),
            "messages": [{"role": "user", "content": req.text}],
            "tools": [{
                "name": TOOL_NAME,
                "description": tool::TOOL_DESCRIPTION,
                "input_schema": tool::parameters(),
            }],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
        });
        let resp = self
            .http
            .post(&self.url)
            .header("x-api-key", &self.settings.api_key)
            .header("anthropic-version", API_VERSION)
            .json(&body)
            .send()
            .await
            .map_err(|e| ClassifyError::Provider(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(super::refusal(resp).await);
        }
        let reply: Reply =
            resp.json().await.map_err(|e| ClassifyError::InvalidOutput(format!("response body: {e}")))?;
        let input = reply
            .content
            .into_iter()
            .find(|b| b.kind == "tool_use" && b.name.as_deref() == Some(TOOL_NAME))
            .and_then(|b| b.input)
            .ok_or_else(|| ClassifyError::InvalidOutput(format!("the model did not call {TOOL_NAME}")))?;
        let classification = tool::parse_value(input)?;
        let usage = reply.usage.unwrap_or(Usage { input_tokens: 0, output_tokens: 0 });
        Ok(ClassifierOutput {
            classification,
            model: self.settings.model.clone(),
            tokens_in: usage.input_tokens,
            tokens_out: usage.output_tokens,
            cached: false,
        })
    }
}
