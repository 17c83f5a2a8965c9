//! Sending replies through OpenPhone: `POST {base}/v1/messages` with the API
//! key in `Authorization` (no "Bearer"), `{content, from, to: [one]}`.
//!
//! Why these retry rules: OpenPhone has no idempotency key, so a request
//! that may have reached it is never sent again — a timeout or a connection
//! lost after the request was written is reported, not retried. Refusals
//! that say nothing was sent (429, 5xx) and connections that never opened
//! are retried with backoff, honouring `Retry-After`. Requests are paced to
//! OpenPhone's 10 per second.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{LocationId, PhoneNumber};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::split::{MAX_CHARS, split};
use crate::http::{ApiKey, Backoff, Pacer, build_client, client_builder, excerpt, retry_after};
use crate::{ConnectorError, SmsReceipt, SmsSender};

const VENDOR: &str = "openphone";

/// What the sender needs; built from `[connectors.openphone]`.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    /// API root, e.g. `https://api.openphone.com`.
    pub base_url: String,
    pub api_key: ApiKey,
    /// Each location's own number (its `phone_number`).
    pub senders: HashMap<LocationId, PhoneNumber>,
    /// `from_number`: used for locations without their own.
    pub default_from: Option<PhoneNumber>,
    pub backoff: Backoff,
    /// One request's limit; a request that runs out is not retried (the
    /// text may have been sent).
    pub request_timeout: Duration,
}

impl SmsConfig {
    /// Defaults for the retry and timeout settings.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            senders: HashMap::new(),
            default_from: None,
            backoff: Backoff::DEFAULT,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The live OpenPhone SMS client.
#[derive(Debug)]
pub struct OpenPhoneSms {
    http: reqwest::Client,
    /// `{base}/v1/messages`.
    endpoint: String,
    /// `{base}/v1/phone-numbers` (the health probe).
    numbers: String,
    config: SmsConfig,
    pacer: Pacer,
}

#[derive(Serialize)]
struct Body<'a> {
    content: &'a str,
    from: &'a str,
    to: [&'a str; 1],
}

#[derive(Deserialize)]
struct Sent {
    data: SentData,
}

#[derive(Deserialize)]
struct SentData {
    id: String,
}

#[derive(Deserialize)]
struct VendorError {
    message: Option<String>,
    title: Option<String>,
}

impl OpenPhoneSms {
    pub fn new(config: SmsConfig) -> Result<Self, ConnectorError> {
        let http = build_client(client_builder(config.request_timeout), VENDOR)?;
        let base = config.base_url.trim_end_matches('/');
        let (endpoint, numbers) = (format!("{base}/v1/messages"), format!("{base}/v1/phone-numbers"));
        Ok(Self { http, endpoint, numbers, config, pacer: Pacer::per_second(10) })
    }

    fn sender(&self, location: &LocationId) -> Result<&PhoneNumber, ConnectorError> {
        self.config.senders.get(location).or(self.config.default_from.as_ref()).ok_or_else(|| {
            ConnectorError::UnknownDevice(format!("openphone: no sender number for location {location}"))
        })
    }

    async fn send_part(&self, from: &str, to: &str, content: &str) -> Result<String, ConnectorError> {
        let body = Body { content, from, to: [to] };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pacer.wait().await;
            let sent = self
                .http
                .post(&self.endpoint)
                .header(reqwest::header::AUTHORIZATION, self.config.api_key.expose())
                .json(&body)
                .send()
                .await;
            let (retry, error) = match sent {
                Ok(resp) if resp.status().is_success() => {
                    let sent: Sent = resp.json().await.map_err(|e| ConnectorError::Rejected {
                        vendor: VENDOR,
                        message: format!("accepted, but the answer was unreadable: {e}"),
                    })?;
                    return Ok(sent.data.id);
                }
                Ok(resp) => {
                    let status = resp.status();
                    let wait = retry_after(
                        resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()),
                        jiff::Timestamp::now(),
                    );
                    let text = resp.text().await.unwrap_or_default();
                    let error = refusal(status, &text);
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    (retryable.then_some(wait), error)
                }
                // Never connected: nothing was sent, try again.
                Err(e) if e.is_connect() => {
                    (Some(None), ConnectorError::Unavailable { vendor: VENDOR, message: e.to_string() })
                }
                // The request may have reached OpenPhone: no second send.
                Err(e) if e.is_timeout() => return Err(ConnectorError::Timeout(VENDOR)),
                Err(e) => {
                    return Err(ConnectorError::Unavailable {
                        vendor: VENDOR,
                        message: format!("{e} (the text may have been sent; not retried)"),
                    });
                }
            };
            let pause = retry.and_then(|after| self.config.backoff.pause(attempt, after));
            match pause {
                Some(p) => {
                    tracing::warn!(attempt, pause_ms = p.as_millis() as u64, error = %error, "openphone: retrying");
                    tokio::time::sleep(p).await;
                }
                None => return Err(error),
            }
        }
    }
}

fn refusal(status: StatusCode, body: &str) -> ConnectorError {
    let detail = serde_json::from_str::<VendorError>(body)
        .ok()
        .and_then(|e| e.message.or(e.title))
        .unwrap_or_else(|| excerpt(body, 200));
    let message = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!("the API key was refused ({status}): {detail}"),
        _ => format!("{status}: {detail}"),
    };
    ConnectorError::Rejected { vendor: VENDOR, message }
}

#[async_trait]
impl SmsSender for OpenPhoneSms {
    async fn send_sms(
        &self,
        location: &LocationId,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<SmsReceipt, ConnectorError> {
        let from = self.sender(location)?;
        let parts = split(body, MAX_CHARS);
        if parts.is_empty() {
            return Err(ConnectorError::Rejected { vendor: VENDOR, message: "empty message".into() });
        }
        let mut ids = Vec::with_capacity(parts.len());
        for part in &parts {
            ids.push(self.send_part(from.as_str(), to.as_str(), part).await?);
        }
        Ok(SmsReceipt { provider_id: ids.join(",") })
    }

    /// `GET {base}/v1/phone-numbers`: the key works and OpenPhone answers.
    async fn probe(&self) -> Result<(), ConnectorError> {
        let resp = self
            .http
            .get(&self.numbers)
            .header(reqwest::header::AUTHORIZATION, self.config.api_key.expose())
            .send()
            .await
            .map_err(|e| ConnectorError::Unavailable { vendor: VENDOR, message: e.without_url().to_string() })?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s if s.is_server_error() => Err(ConnectorError::Unavailable { vendor: VENDOR, message: s.to_string() }),
            s => Err(refusal(s, &resp.text().await.unwrap_or_default())),
        }
    }
}
