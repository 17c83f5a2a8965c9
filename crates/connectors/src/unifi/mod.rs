//! UniFi Access: door unlocks through the controller's Open API,
//! `PUT {base}/api/v1/developer/doors/{id}/unlock` with a Bearer token.
//! The controller answers `{"code": "SUCCESS", "msg": …, "data": …}`; any
//! other `code` (often with HTTP 200) is a refusal carrying its `msg`.
//!
//! Why no retry: an unlock that may have reached the controller must not be
//! sent twice behind the ledger's back (the per-booking unlock limit counts
//! attempts). Only a connection that never opened is tried once more.

mod tls;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{DoorId, LocationId};
use serde::Deserialize;

pub use tls::Trust;

use crate::http::{ApiKey, client_builder, excerpt};
use crate::{ConnectorError, DeviceOutcome, DoorControl};

const VENDOR: &str = "unifi_access";

/// What the client needs; built from `[connectors.unifi_access]` and the
/// doors' `unifi_door_id`.
#[derive(Debug, Clone)]
pub struct UnifiConfig {
    /// The controller, e.g. `https://10.0.0.2:12445`.
    pub base_url: String,
    pub token: ApiKey,
    /// The controller's id of each door.
    pub doors: HashMap<(LocationId, DoorId), String>,
    pub trust: Trust,
    pub request_timeout: Duration,
}

/// The live UniFi Access client.
#[derive(Debug)]
pub struct UnifiAccess {
    http: reqwest::Client,
    base: String,
    config: UnifiConfig,
}

#[derive(Deserialize)]
struct Reply {
    code: Option<String>,
    msg: Option<String>,
}

impl UnifiAccess {
    pub fn new(config: UnifiConfig) -> Result<Self, ConnectorError> {
        if config.trust == Trust::Insecure {
            tracing::warn!(
                "connectors.unifi_access: insecure_tls = true — the controller's certificate is NOT checked; \
                 anyone on the network path can impersonate it. Use ca_file or pinned_sha256."
            );
        }
        let builder = client_builder(config.request_timeout);
        let unavailable = |message: String| ConnectorError::Unavailable { vendor: VENDOR, message };
        let http = config.trust.apply(builder).map_err(unavailable)?.build().map_err(|e| unavailable(e.to_string()))?;
        let base = config.base_url.trim_end_matches('/').to_owned();
        Ok(Self { http, base, config })
    }

    async fn put_unlock(&self, id: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .put(format!("{}/api/v1/developer/doors/{id}/unlock", self.base))
            .bearer_auth(self.config.token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
    }
}

#[async_trait]
impl DoorControl for UnifiAccess {
    async fn unlock_door(&self, location: &LocationId, door: &DoorId) -> Result<DeviceOutcome, ConnectorError> {
        let id = self
            .config
            .doors
            .get(&(location.clone(), door.clone()))
            .ok_or_else(|| ConnectorError::UnknownDevice(format!("unifi_access: door {door} at {location}")))?;
        let resp = match self.put_unlock(id).await {
            Err(e) if e.is_connect() => self.put_unlock(id).await,
            other => other,
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Err(ConnectorError::Timeout(VENDOR)),
            Err(e) => return Err(ConnectorError::Unavailable { vendor: VENDOR, message: tls_hint(&e) }),
        };
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let reply: Option<Reply> = serde_json::from_str(&body).ok();
        match reply {
            Some(Reply { code: Some(code), .. }) if code == "SUCCESS" && status.is_success() => {
                Ok(DeviceOutcome::Confirmed)
            }
            Some(Reply { code, msg }) if code.is_some() || msg.is_some() => Err(ConnectorError::Rejected {
                vendor: VENDOR,
                message: format!(
                    "{status}: {} {}",
                    code.unwrap_or_default(),
                    msg.map(|m| excerpt(&m, 200)).unwrap_or_default()
                )
                .trim_end()
                .to_owned(),
            }),
            _ if status.is_server_error() => Err(ConnectorError::Unavailable {
                vendor: VENDOR,
                message: format!("{status}: {}", excerpt(&body, 200)),
            }),
            _ => {
                Err(ConnectorError::Rejected { vendor: VENDOR, message: format!("{status}: {}", excerpt(&body, 200)) })
            }
        }
    }

    async fn probe(&self) -> Result<(), ConnectorError> {
        self.check().await
    }
}

impl UnifiAccess {
    /// `GET {base}/api/v1/developer/doors`: the controller answers and the
    /// token may read doors.
    pub async fn check(&self) -> Result<(), ConnectorError> {
        let resp = self
            .http
            .get(format!("{}/api/v1/developer/doors", self.base))
            .bearer_auth(self.config.token.expose())
            .send()
            .await
            .map_err(|e| ConnectorError::Unavailable { vendor: VENDOR, message: tls_hint(&e) })?;
        let status = resp.status();
        let body: Option<Reply> = resp.json().await.ok();
        match body {
            Some(Reply { code: Some(code), .. }) if code == "SUCCESS" && status.is_success() => Ok(()),
            _ if status.is_server_error() => {
                Err(ConnectorError::Unavailable { vendor: VENDOR, message: status.to_string() })
            }
            Some(Reply { code, msg }) => Err(ConnectorError::Rejected {
                vendor: VENDOR,
                message: format!("{status}: {} {}", code.unwrap_or_default(), msg.unwrap_or_default())
                    .trim_end()
                    .to_owned(),
            }),
            None => Err(ConnectorError::Rejected { vendor: VENDOR, message: format!("{status}: unreadable answer") }),
        }
    }
}

/// A transport error, with the certificate problem spelled out when that is
/// what it was (the usual first-day mistake with a self-signed controller).
fn tls_hint(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if text.contains("certificate") || text.contains("UnknownIssuer") {
        text.push_str(" (set connectors.unifi_access.ca_file or pinned_sha256 for a self-signed controller)");
    }
    text
}
