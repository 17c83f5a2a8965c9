//! An OpenAI-compatible provider: `POST {base_url}/chat/completions` with
//! `tools` and `tool_choice` forcing `operator_decision` (DESIGN §4). Works
//! with OpenAI and with local servers (Ollama, vLLM, llama.cpp) that speak
//! the same API; without a key no `Authorization` header is sent.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::tool::{self, TOOL_NAME};
use crate::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};

/// Where and how to call the model.
#[derive(Clone)]
pub struct OpenAiSettings {
    /// API root, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub max_tokens: u32,
}

impl std::fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

#[derive(Debug)]
pub struct OpenAiClassifier {
    http: reqwest::Client,
    url: String,
    settings: OpenAiSettings,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: Function,
}

#[derive(Deserialize)]
struct Function {
    name: String,
    arguments: String,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
}

impl OpenAiClassifier {
    pub fn new(settings: OpenAiSettings) -> Result<Self, ClassifyError> {
        let http = super::http_client()?;
        let url = format!("{}/chat/completions", settings.base_url.trim_end_matches('/'));
        Ok(Self { http, url, settings })
    }
}

#[async_trait]
impl Classifier for OpenAiClassifier {
    fn name(&self) -> &str {
        &self.settings.model
    }

    async fn classify(&self, req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        let body = json!({
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "messages": [
                {"role": "system", "content": tool::system_prompt(req.location.as_str(), req.booked_bay)},
                {"role": "user", "content": req.text},
            ],
            "tools": [{"type": "function", "function": {
                "name": TOOL_NAME,
                "description": tool::TOOL_DESCRIPTION,
                "parameters": tool::parameters(),
            }}],
            "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
        });
        let mut call = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.settings.api_key {
            call = call.bearer_auth(key);
        }
        // The worker wraps this call in `llm_timeout`; a dropped future
        // simply abandons the request.
        let resp = call.send().await.map_err(|e| ClassifyError::Provider(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(super::refusal(resp).await);
        }
        let completion: Completion =
            resp.json().await.map_err(|e| ClassifyError::InvalidOutput(format!("response body: {e}")))?;
        let call = completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.tool_calls.into_iter().find(|t| t.function.name == TOOL_NAME))
            .ok_or_else(|| ClassifyError::InvalidOutput(format!("the model did not call {TOOL_NAME}")))?;
        let classification = tool::parse(&call.function.arguments)?;
        let usage = completion.usage.unwrap_or(Usage { prompt_tokens: 0, completion_tokens: 0 });
        Ok(ClassifierOutput {
            classification,
            model: self.settings.model.clone(),
            tokens_in: usage.prompt_tokens,
            tokens_out: usage.completion_tokens,
            cached: false,
        })
    }
}
