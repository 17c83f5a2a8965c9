//! One Messages API call with a forced tool: the request, the mapping of
//! Anthropic's statuses and error bodies (`{"type":"error","error":{"type",
//! "message"}}`) to [`ReviewError`], and the forced tool's `input`.

use std::time::Duration;

use serde_json::Value;

use super::ReviewError;
use crate::llm::anthropic::{Reply, forced_tool_request, post};

/// What one call sends besides the model settings.
pub(crate) struct Call<'a> {
    pub system: String,
    pub user: String,
    pub tool: &'a str,
    pub description: &'a str,
    pub schema: Value,
}

/// The forced tool's input and the tokens the call used.
pub(crate) struct ToolInput {
    pub input: Value,
    pub tokens_in: u32,
    pub tokens_out: u32,
}

pub(crate) async fn call(claude: &super::Claude, c: Call<'_>) -> Result<ToolInput, ReviewError> {
    let s = &claude.settings;
    let body = forced_tool_request(&s.model, s.max_tokens, &c.system, &c.user, (c.tool, c.description, c.schema));
    let resp = post(&claude.http, &claude.url, &s.api_key, &body).send().await.map_err(transport)?;
    let status = resp.status();
    if !status.is_success() {
        let retry_after = retry_after(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()));
        let text = resp.text().await.unwrap_or_default();
        return Err(refusal(status.as_u16(), &text, retry_after));
    }
    let text = resp.text().await.map_err(transport)?;
    let mut reply: Reply =
        serde_json::from_str(&text).map_err(|e| ReviewError::InvalidOutput(format!("response body: {e}")))?;
    if reply.stop_reason.as_deref() == Some("max_tokens") {
        return Err(ReviewError::InvalidOutput(format!(
            "the answer was cut off at max_tokens ({}); the input is too big for one call",
            s.max_tokens
        )));
    }
    let usage = reply.usage.take().unwrap_or_default();
    let input = reply
        .tool_input(c.tool)
        .ok_or_else(|| ReviewError::InvalidOutput(format!("Claude did not call {}", c.tool)))?;
    Ok(ToolInput { input, tokens_in: usage.input_tokens, tokens_out: usage.output_tokens })
}

/// A request that got no HTTP answer. `without_url`: the URL is not secret,
/// but errors stay short and uniform.
fn transport(e: reqwest::Error) -> ReviewError {
    if e.is_timeout() { ReviewError::Timeout } else { ReviewError::Unavailable(e.without_url().to_string()) }
}

/// Maps an error status and body to the error kind.
pub(crate) fn refusal(status: u16, body: &str, retry_after: Option<Duration>) -> ReviewError {
    let (kind, message) = crate::llm::error_body(body);
    if status == 529 || kind.as_deref() == Some("overloaded_error") {
        return ReviewError::Overloaded(message);
    }
    match status {
        429 => ReviewError::RateLimited { retry_after, message },
        500..=599 => ReviewError::Server { status, message },
        _ => ReviewError::Refused { status, kind: kind.unwrap_or_else(|| "error".into()), message },
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(value: Option<&str>) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    Some(at.duration_since(jiff::Timestamp::now()).try_into().unwrap_or(Duration::ZERO))
}
