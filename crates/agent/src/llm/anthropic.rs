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

/// The parts of a Messages API answer ClubOS reads.
#[derive(Deserialize)]
pub(crate) struct Reply {
    content: Vec<Block>,
    pub stop_reason: Option<String>,
    pub usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    input: Option<Value>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

impl Reply {
    /// The input of the `tool_use` block that called `tool`, if any.
    pub(crate) fn tool_input(&mut self, tool: &str) -> Option<Value> {
        let i = self.content.iter().position(|b| b.kind == "tool_use" && b.name.as_deref() == Some(tool))?;
        self.content.swap_remove(i).input
    }
}

/// A Messages API request that forces the model to call `tool`.
pub(crate) fn forced_tool_request(
    model: &str,
    max_tokens: u32,
    system: &str,
    user: &str,
    tool: (&str, &str, Value),
) -> Value {
    let (name, description, schema) = tool;
    json!({
        "model": model,
        "max_tokens": max_tokens,
        "system": system,
        "messages": [{"role": "user", "content": user}],
        "tools": [{"name": name, "description": description, "input_schema": schema}],
        "tool_choice": {"type": "tool", "name": name},
    })
}

/// `POST {url}` with the key and API version headers.
pub(crate) fn post(http: &reqwest::Client, url: &str, api_key: &str, body: &Value) -> reqwest::RequestBuilder {
    http.post(url).header("x-api-key", api_key).header("anthropic-version", API_VERSION).json(body)
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
        let s = &self.settings;
        let system = tool::system_prompt(req.location.as_str(), req.booked_bay);
        let tool = (TOOL_NAME, tool::TOOL_DESCRIPTION, tool::parameters());
        let body = forced_tool_request(&s.model, s.max_tokens, &system, req.text, tool);
        let resp = post(&self.http, &self.url, &s.api_key, &body)
            .send()
            .await
            .map_err(|e| ClassifyError::Provider(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(super::refusal(resp).await);
        }
        let mut reply: Reply =
            resp.json().await.map_err(|e| ClassifyError::InvalidOutput(format!("response body: {e}")))?;
        let input = reply
            .tool_input(TOOL_NAME)
            .ok_or_else(|| ClassifyError::InvalidOutput(format!("the model did not call {TOOL_NAME}")))?;
        let classification = tool::parse_value(input)?;
        let usage = reply.usage.unwrap_or_default();
        Ok(ClassifierOutput {
            classification,
            model: self.settings.model.clone(),
            tokens_in: usage.input_tokens,
            tokens_out: usage.output_tokens,
            cached: false,
        })
    }
}
