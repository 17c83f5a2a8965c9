//! NinjaOne: TrackMan resets (`POST {base}/v2/device/{id}/script/run`) and
//! PC reboots (`POST {base}/v2/device/{id}/reboot/NORMAL`) on the bay PCs,
//! authorised by an OAuth2 client-credentials token, with the outcome read
//! back from the device's state before the action's time runs out.
//!
//! Why only some failures are retried: a command that may have reached
//! NinjaOne is not sent twice (the ledger counts attempts, and a second
//! reboot a minute later is worse than none). 429, 502 and 503 say it was
//! not taken, a connection that never opened sent nothing, and a 401 means
//! the token was refused before the command was looked at (one new token,
//! one more try). A 500, a 504 or a timeout may have queued it: reported,
//! not retried. Reads of the device state are retried freely.

mod state;
mod token;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{BayNumber, LocationId};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

pub use state::{Confirmation, DeviceState, Expect};
pub use token::{Credentials, SCOPE};

use crate::http::{Backoff, build_client, client_builder, excerpt, retry_after};
use crate::{BayControl, ConnectorError, DeviceOutcome};

const VENDOR: &str = "ninjaone";

/// What the client needs; built from `[connectors.ninjaone]` and the bays'
/// `ninjaone_device_id`.
#[derive(Debug, Clone)]
pub struct NinjaConfig {
    /// The instance, e.g. `https://app.ninjarmm.com` (or `eu.`, `ca.`, `oc.`).
    pub base_url: String,
    pub credentials: Credentials,
    /// The NinjaOne device id of each bay PC.
    pub devices: HashMap<(LocationId, BayNumber), u64>,
    /// The script that restarts TrackMan.
    pub reset_script_id: u64,
    /// The script's `parameters` string, when it takes any.
    pub reset_parameters: Option<String>,
    pub backoff: Backoff,
    /// One request's limit (also bounded by the action's deadline).
    pub request_timeout: Duration,
    /// How often the device state is read while confirming.
    pub poll_every: Duration,
}

impl NinjaConfig {
    /// Defaults for the retry, timeout and polling settings.
    pub fn new(base_url: impl Into<String>, credentials: Credentials, reset_script_id: u64) -> Self {
        Self {
            base_url: base_url.into(),
            credentials,
            devices: HashMap::new(),
            reset_script_id,
            reset_parameters: None,
            backoff: Backoff::DEFAULT,
            request_timeout: Duration::from_secs(10),
            poll_every: Duration::from_secs(2),
        }
    }
}

/// The live NinjaOne client.
#[derive(Debug)]
pub struct NinjaOne {
    http: reqwest::Client,
    base: String,
    tokens: token::TokenCache,
    config: NinjaConfig,
}

/// Whether a request may be sent again after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Command,
    Read,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VendorError {
    error_message: Option<String>,
    result_code: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

impl NinjaOne {
    pub fn new(config: NinjaConfig) -> Result<Self, ConnectorError> {
        let http = build_client(client_builder(config.request_timeout), VENDOR)?;
        let base = config.base_url.trim_end_matches('/').to_owned();
        let tokens = token::TokenCache::new(&base, config.credentials.clone());
        Ok(Self { http, base, tokens, config })
    }

    fn device(&self, location: &LocationId, bay: BayNumber) -> Result<u64, ConnectorError> {
        self.config.devices.get(&(location.clone(), bay)).copied().ok_or_else(|| {
            ConnectorError::UnknownDevice(format!("ninjaone: bay {bay} at {location} has no ninjaone_device_id"))
        })
    }

    /// One API call with the token, retries and deadline rules above;
    /// returns the body of a 2xx answer.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        kind: Kind,
        deadline: Instant,
    ) -> Result<String, ConnectorError> {
        let url = format!("{}{path}", self.base);
        let (mut attempt, mut renewed) = (0, false);
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ConnectorError::Timeout(VENDOR));
            }
            let token = self.tokens.get(&self.http).await?;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.value.expose())
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(left.min(self.config.request_timeout));
            if let Some(b) = body {
                req = req.json(b);
            }
            let (retry, error) = match req.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp.text().await.unwrap_or_default()),
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    tracing::info!("ninjaone: token refused; fetching a new one");
                    self.tokens.refused(&token).await;
                    renewed = true;
                    attempt -= 1;
                    continue;
                }
                Ok(resp) => {
                    let status = resp.status();
                    let wait = retry_after(
                        resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()),
                        jiff::Timestamp::now(),
                    );
                    let error = refusal(status, &resp.text().await.unwrap_or_default());
                    let not_taken = matches!(status.as_u16(), 429 | 502 | 503);
                    let retry = not_taken || (kind == Kind::Read && status.is_server_error());
                    (retry.then_some(wait), error)
                }
                Err(e) if e.is_connect() => {
                    (Some(None), ConnectorError::Unavailable { vendor: VENDOR, message: e.without_url().to_string() })
                }
                Err(e) if e.is_timeout() && kind == Kind::Command => return Err(ConnectorError::Timeout(VENDOR)),
                Err(e) if kind == Kind::Command => {
                    return Err(ConnectorError::Unavailable {
                        vendor: VENDOR,
                        message: format!("{} (the command may have been queued; not retried)", e.without_url()),
                    });
                }
                Err(e) => {
                    (Some(None), ConnectorError::Unavailable { vendor: VENDOR, message: e.without_url().to_string() })
                }
            };
            let pause = retry.and_then(|after| self.config.backoff.pause(attempt, after));
            match pause {
                Some(p) if Instant::now() + p < deadline => {
                    tracing::warn!(attempt, pause_ms = p.as_millis() as u64, error = %error, "ninjaone: retrying");
                    tokio::time::sleep(p).await;
                }
                _ => return Err(error),
            }
        }
    }

    /// Sends a command to a bay PC, then reads its state until the effect
    /// shows or the time is up (then `Unconfirmed`).
    async fn command(
        &self,
        device: u64,
        path: String,
        body: Value,
        expect: Expect,
        within: Duration,
    ) -> Result<DeviceOutcome, ConnectorError> {
        // Stop confirming a little before the caller's timeout, so an
        // accepted command is reported as unconfirmed, not as a timeout.
        let deadline = Instant::now() + within.saturating_sub((within / 10).min(Duration::from_secs(2)));
        let sent_at = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
        self.call(Method::POST, &path, Some(&body), Kind::Command, deadline).await?;
        let mut confirmation = Confirmation::new(expect, sent_at);
        let state_path = format!("/v2/device/{device}");
        loop {
            let read = self.call(Method::GET, &state_path, None, Kind::Read, deadline).await;
            match read.map(|b| serde_json::from_str::<DeviceState>(&b)) {
                Ok(Ok(s)) if confirmation.observe(&s) => return Ok(DeviceOutcome::Confirmed),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(device, error = %e, "ninjaone: device state unreadable"),
                Err(e) => tracing::debug!(device, error = %e, "ninjaone: device state not read"),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::info!(device, ?expect, "ninjaone: accepted, effect not confirmed in time");
                return Ok(DeviceOutcome::Unconfirmed);
            }
            tokio::time::sleep(self.config.poll_every.min(left)).await;
        }
    }
}

fn refusal(status: StatusCode, body: &str) -> ConnectorError {
    let detail = serde_json::from_str::<VendorError>(body)
        .ok()
        .and_then(|e| e.error_message.or(e.message).or(e.error).or(e.result_code))
        .unwrap_or_else(|| excerpt(body, 200));
    let message = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            format!("the token was refused ({status}; check the app's scopes): {detail}")
        }
        _ => format!("{status}: {detail}"),
    };
    match status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        true => ConnectorError::Unavailable { vendor: VENDOR, message },
        false => ConnectorError::Rejected { vendor: VENDOR, message },
    }
}

#[async_trait]
impl BayControl for NinjaOne {
    async fn reset_trackman(
        &self,
        location: &LocationId,
        bay: BayNumber,
        within: Duration,
    ) -> Result<DeviceOutcome, ConnectorError> {
        let device = self.device(location, bay)?;
        let mut body = json!({"type": "SCRIPT", "id": self.config.reset_script_id, "runAs": "system"});
        if let Some(p) = &self.config.reset_parameters {
            body["parameters"] = Value::String(p.clone());
        }
        let path = format!("/v2/device/{device}/script/run");
        self.command(device, path, body, Expect::ScriptDelivered, within).await
    }

    async fn reboot_pc(
        &self,
        location: &LocationId,
        bay: BayNumber,
        within: Duration,
    ) -> Result<DeviceOutcome, ConnectorError> {
        let device = self.device(location, bay)?;
        let body = json!({"reason": format!("ClubOS: operator-approved reboot of bay {bay}")});
        let path = format!("/v2/device/{device}/reboot/NORMAL");
        self.command(device, path, body, Expect::Rebooted, within).await
    }

    /// `GET {base}/v2/devices?pageSize=1`: the credentials work and NinjaOne answers.
    async fn probe(&self) -> Result<(), ConnectorError> {
        let deadline = Instant::now() + self.config.request_timeout;
        self.call(Method::GET, "/v2/devices?pageSize=1", None, Kind::Read, deadline).await.map(drop)
    }
}
