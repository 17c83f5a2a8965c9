//! The generic HTTP booking source: `GET {base_url}{path}` with the
//! customer's phone (E.164), the location's id in the booking system and the
//! time range (RFC 3339) as query parameters, the key in a configurable
//! header (`Authorization: Bearer <key>` by default), and a JSON answer read
//! through a [`Mapping`].
//!
//! Why these retry rules: a lookup only reads, so trying again is always
//! safe. 429 (honouring `Retry-After`), 5xx and connections that never opened
//! are retried with backoff; a request that ran out of time is not, because
//! the caller's time budget is short and it goes on with the bookings it
//! already has. Redirects are not followed (the key must not travel to
//! another host). Errors never carry the URL: its query holds a phone number.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{Booking, LocationId, PhoneNumber};
use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::Value;

use super::{BookingSource, Mapping};
use crate::ConnectorError;
use crate::http::{ApiKey, Backoff, build_client, client_builder, excerpt, retry_after};

const VENDOR: &str = "bookings";

/// The query parameter names; an empty name leaves that parameter out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryNames {
    pub phone: String,
    pub location: String,
    pub from: String,
    pub to: String,
}

impl Default for QueryNames {
    fn default() -> Self {
        Self { phone: "phone".into(), location: "location".into(), from: "from".into(), to: "to".into() }
    }
}

/// What the source needs; built from `[bookings]`.
#[derive(Debug, Clone)]
pub struct HttpBookingsConfig {
    /// API root, e.g. `https://bookings.example.com/api`.
    pub base_url: String,
    /// Appended to `base_url`; `""` requests `base_url` itself.
    pub path: String,
    /// `None`: no credential header is sent.
    pub api_key: Option<ApiKey>,
    /// `Authorization` by default; e.g. `X-Api-Key`.
    pub auth_header: String,
    /// Written before the key with a space (`Bearer`); `""` sends the key alone.
    pub auth_scheme: String,
    pub query: QueryNames,
    pub mapping: Mapping,
    /// A location's id in the booking system where it differs from ours.
    pub location_ids: HashMap<LocationId, String>,
    /// One request's limit.
    pub request_timeout: Duration,
    pub backoff: Backoff,
}

impl HttpBookingsConfig {
    /// Defaults for everything but the address and the key.
    pub fn new(base_url: impl Into<String>, api_key: Option<ApiKey>) -> Self {
        Self {
            base_url: base_url.into(),
            path: String::new(),
            api_key,
            auth_header: "Authorization".into(),
            auth_scheme: "Bearer".into(),
            query: QueryNames::default(),
            mapping: Mapping::default(),
            location_ids: HashMap::new(),
            request_timeout: Duration::from_secs(5),
            backoff: Backoff::DEFAULT,
        }
    }
}

/// The live HTTP booking source. `Debug` shows neither the key nor the header value.
#[derive(Debug)]
pub struct HttpBookings {
    http: reqwest::Client,
    endpoint: String,
    /// The credential header, marked sensitive.
    auth: Option<(HeaderName, HeaderValue)>,
    config: HttpBookingsConfig,
}

impl HttpBookings {
    pub fn new(config: HttpBookingsConfig) -> Result<Self, ConnectorError> {
        let bad = |message: String| ConnectorError::Rejected { vendor: VENDOR, message };
        let http = build_client(client_builder(config.request_timeout), VENDOR)?;
        let auth = match &config.api_key {
            None => None,
            Some(key) => {
                let name = HeaderName::from_bytes(config.auth_header.as_bytes())
                    .map_err(|_| bad(format!("`{}` is not an HTTP header name", config.auth_header)))?;
                let value = match config.auth_scheme.trim() {
                    "" => key.expose().to_owned(),
                    scheme => format!("{scheme} {}", key.expose()),
                };
                let mut value = HeaderValue::from_str(&value)
                    .map_err(|_| bad("the API key or auth_scheme holds characters a header cannot carry".into()))?;
                value.set_sensitive(true);
                Some((name, value))
            }
        };
        let endpoint = format!("{}{}", config.base_url.trim_end_matches('/'), config.path);
        Ok(Self { http, endpoint, auth, config })
    }

    /// One GET with retries; the parsed JSON body of the first 2xx.
    async fn get(&self, params: &[(&str, &str)]) -> Result<Value, ConnectorError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http.get(&self.endpoint).query(params).header(ACCEPT, "application/json");
            if let Some((name, value)) = &self.auth {
                req = req.header(name.clone(), value.clone());
            }
            let (retry, error) = match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.map_err(unavailable)?;
                    return serde_json::from_slice(&bytes).map_err(|e| ConnectorError::Rejected {
                        vendor: VENDOR,
                        message: format!("the answer is not JSON: {e}"),
                    });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let header = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok());
                    let wait = retry_after(header, Timestamp::now());
                    let text = resp.text().await.unwrap_or_default();
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    (retryable.then_some(wait), refusal(status, &text))
                }
                Err(e) if e.is_connect() => (Some(None), unavailable(e)),
                Err(e) if e.is_timeout() => return Err(ConnectorError::Timeout(VENDOR)),
                Err(e) => return Err(unavailable(e)),
            };
            match retry.and_then(|after| self.config.backoff.pause(attempt, after)) {
                Some(p) => {
                    tracing::warn!(attempt, pause_ms = p.as_millis() as u64, error = %error, "bookings: retrying");
                    tokio::time::sleep(p).await;
                }
                None => return Err(error),
            }
        }
    }
}

/// A transport error without its URL (the query holds a phone number),
/// with its causes.
fn unavailable(e: reqwest::Error) -> ConnectorError {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message.push_str(&format!(": {c}"));
        cause = c.source();
    }
    ConnectorError::Unavailable { vendor: VENDOR, message }
}

/// A refusal: 5xx and 429 say the system is unavailable, the rest that it
/// refused this request (401/403: the key). Keeps an excerpt of the body.
fn refusal(status: StatusCode, body: &str) -> ConnectorError {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            ["/message", "/error", "/detail", "/title", "/error/message"]
                .iter()
                .find_map(|p| v.pointer(p).and_then(Value::as_str).map(str::to_owned))
        })
        .unwrap_or_else(|| excerpt(body.trim(), 200));
    let detail = if detail.is_empty() { String::new() } else { format!(": {}", excerpt(&detail, 200)) };
    match status {
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            ConnectorError::Unavailable { vendor: VENDOR, message: format!("{s}{detail}") }
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ConnectorError::Rejected { vendor: VENDOR, message: format!("the API key was refused ({status}){detail}") }
        }
        s => ConnectorError::Rejected { vendor: VENDOR, message: format!("{s}{detail}") },
    }
}

/// RFC 3339 in UTC, whole seconds.
fn rfc3339(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second()).unwrap_or(t).to_string()
}

#[async_trait]
impl BookingSource for HttpBookings {
    async fn bookings_for(
        &self,
        location: &LocationId,
        phone: &PhoneNumber,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, ConnectorError> {
        let external = self.config.location_ids.get(location).map_or(location.as_str(), String::as_str);
        let (from, to) = (rfc3339(from), rfc3339(to));
        let q = &self.config.query;
        let params: Vec<(&str, &str)> = [
            (q.phone.as_str(), phone.as_str()),
            (q.location.as_str(), external),
            (q.from.as_str(), from.as_str()),
            (q.to.as_str(), to.as_str()),
        ]
        .into_iter()
        .filter(|(name, _)| !name.is_empty())
        .collect();
        let body = self.get(&params).await?;
        let all = self
            .config
            .mapping
            .read(&body, location)
            .map_err(|e| ConnectorError::Rejected { vendor: VENDOR, message: e.to_string() })?;
        let total = all.len();
        let mine: Vec<Booking> = all.into_iter().filter(|b| &b.customer_phone == phone).collect();
        if mine.len() < total {
            tracing::warn!(
                others = total - mine.len(),
                "bookings: other customers' bookings in the answer left out (does the API filter by phone?)"
            );
        }
        Ok(mine)
    }
}
