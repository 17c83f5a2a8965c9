//! NinjaOne's OAuth2 client-credentials token: fetched from
//! `POST {base}/ws/oauth/token` (form-encoded), cached until shortly before
//! it expires, and replaced when the API refuses it.
//!
//! Why a mutex around the fetch: when the token runs out while several
//! actions are in flight, only one of them asks for a new token; the others
//! wait for it instead of each spending a token request.

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::VENDOR;
use crate::ConnectorError;
use crate::http::{ApiKey, excerpt};

/// The scopes ClubOS asks for: read device state (`monitoring`), run
/// scripts and reboots (`management`), and `control` as the contract
/// names it.
pub const SCOPE: &str = "monitoring management control";

/// A token is replaced this long before NinjaOne says it expires (or at
/// half its life, if shorter), so a request never leaves with a token that
/// dies on the way.
const EARLY: Duration = Duration::from_secs(60);

/// The client's credentials. `Debug` hides both.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: ApiKey,
    pub client_secret: ApiKey,
}

#[derive(Clone)]
pub(super) struct Token {
    pub value: ApiKey,
    pub generation: u64,
}

#[derive(Debug, Default)]
struct Slot {
    /// The token and when to replace it.
    current: Option<(ApiKey, Instant)>,
    generation: u64,
}

/// Fetches and caches the access token.
#[derive(Debug)]
pub(super) struct TokenCache {
    url: String,
    credentials: Credentials,
    slot: Mutex<Slot>,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    /// Seconds; NinjaOne grants about an hour.
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenCache {
    pub fn new(base: &str, credentials: Credentials) -> Self {
        Self { url: format!("{base}/ws/oauth/token"), credentials, slot: Mutex::default() }
    }

    /// A token that is not about to expire.
    pub async fn get(&self, http: &reqwest::Client) -> Result<Token, ConnectorError> {
        let mut slot = self.slot.lock().await;
        if let Some((value, replace_at)) = &slot.current
            && Instant::now() < *replace_at
        {
            return Ok(Token { value: value.clone(), generation: slot.generation });
        }
        let (value, lifetime) = self.fetch(http).await?;
        slot.generation += 1;
        slot.current = Some((value.clone(), Instant::now() + lifetime - EARLY.min(lifetime / 2)));
        Ok(Token { value, generation: slot.generation })
    }

    /// Forgets `refused` (the API answered 401 to it) unless a newer token
    /// has already replaced it.
    pub async fn refused(&self, refused: &Token) {
        let mut slot = self.slot.lock().await;
        if slot.generation == refused.generation {
            slot.current = None;
        }
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<(ApiKey, Duration), ConnectorError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id.expose()),
            ("client_secret", self.credentials.client_secret.expose()),
            ("scope", SCOPE),
        ];
        let resp = http.post(&self.url).form(&form).send().await.map_err(|e| match e.is_timeout() {
            true => ConnectorError::Timeout(VENDOR),
            false => {
                ConnectorError::Unavailable { vendor: VENDOR, message: format!("token request: {}", e.without_url()) }
            }
        })?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if status.is_success() {
            let granted: Granted = serde_json::from_str(&body).map_err(|e| ConnectorError::Rejected {
                vendor: VENDOR,
                message: format!("token answer unreadable: {e}"),
            })?;
            let lifetime = Duration::from_secs(granted.expires_in.unwrap_or(3600));
            return Ok((ApiKey::new(granted.access_token), lifetime));
        }
        let detail = serde_json::from_str::<OAuthError>(&body)
            .ok()
            .map(|e| [e.error, e.error_description].into_iter().flatten().collect::<Vec<_>>().join(": "))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| excerpt(&body, 200));
        let message = format!("the client credentials were refused ({status}): {detail}");
        Err(match status.is_server_error() {
            true => ConnectorError::Unavailable { vendor: VENDOR, message },
            false => ConnectorError::Rejected { vendor: VENDOR, message },
        })
    }
}
