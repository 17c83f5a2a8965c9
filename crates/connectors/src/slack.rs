//! Slack incoming webhooks: `POST <webhook url>` with `{"text": …}`; Slack
//! answers `200 ok`, or an error word in the body (`invalid_payload`,
//! `no_service`, `channel_is_archived`, …) with a 4xx, or 429 with
//! `Retry-After` when a channel gets more than about one message a second.

use std::time::Duration;

use serde_json::json;

use crate::http::{ApiKey, excerpt, retry_after};

/// Why a post did not go through, and whether trying later can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("slack: {message}")]
pub struct SlackError {
    pub message: String,
    /// `None`: it will never work (a bad URL, an archived channel) — stop.
    pub retry_in: Option<Duration>,
}

/// A Slack incoming webhook. The URL is the credential, so it is kept as a
/// key and never printed.
#[derive(Debug, Clone)]
pub struct SlackWebhook {
    http: reqwest::Client,
    url: ApiKey,
}

impl SlackWebhook {
    pub fn new(url: ApiKey) -> Result<Self, SlackError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SlackError { message: e.to_string(), retry_in: None })?;
        Ok(Self { http, url })
    }

    /// Posts `text` (Slack's mrkdwn).
    pub async fn post(&self, text: &str) -> Result<(), SlackError> {
        let later = |message: String, wait: Duration| SlackError { message, retry_in: Some(wait) };
        let resp = self
            .http
            .post(self.url.expose())
            .json(&json!({"text": text}))
            .send()
            .await
            .map_err(|e| later(format!("unreachable: {}", e.without_url()), Duration::from_secs(60)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let wait = retry_after(
            resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()),
            jiff::Timestamp::now(),
        );
        let body = excerpt(&resp.text().await.unwrap_or_default(), 200);
        let message = format!("{status}: {body}");
        Err(if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            later(message, wait.unwrap_or(Duration::from_secs(30)))
        } else if status.is_server_error() {
            later(message, Duration::from_secs(60))
        } else {
            SlackError { message, retry_in: None }
        })
    }
}
