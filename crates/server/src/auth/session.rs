//! Console sessions: logging in (with throttling per account and per client
//! address), resolving the session cookie to an [`Actor`] with the idle
//! expiry, and logging out. Only the SHA-256 of a session token is stored.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clubos_domain::Email;
use clubos_store::{NewSession, SessionRow, StoreError};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Actor, SessionInfo, password};
use crate::app::App;

/// The session cookie's name.
pub const COOKIE: &str = "clubos_session";
/// Activity is written back at most this often per session.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// A fresh random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session just opened.
#[derive(Clone)]
pub struct Opened {
    /// The cookie's value (shown to nobody else, stored nowhere).
    pub token: String,
    pub actor: Actor,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").field("actor", &self.actor).finish_non_exhaustive()
    }
}

/// Why a login failed. The message never tells which part was wrong.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong e-mail or password")]
    Invalid,
    #[error("too many failed logins; try again after {until}")]
    Throttled { until: Timestamp },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn actor_of(s: &SessionRow) -> Actor {
    Actor {
        name: s.account.email.to_string(),
        account_id: Some(s.account.id),
        role: s.account.role,
        scope: s.account.scope(),
        session: Some(SessionInfo { token_hash: s.token_hash.clone(), csrf_token: s.csrf_token.clone() }),
        must_change_password: s.account.must_change_password,
    }
}

/// Checks the password and opens a session. Failures count against the
/// account and the client address; either one locked refuses the attempt
/// before the password is looked at.
pub async fn login(app: &App, email: &str, pass: &str, client: Option<IpAddr>) -> Result<Opened, LoginError> {
    let now = app.clock.now();
    let throttle = app.config.console.throttle();
    let email = Email::parse(email).map_err(|_| LoginError::Invalid)?;
    let keys: Vec<String> =
        std::iter::once(format!("account:{email}")).chain(client.map(|ip| format!("client:{ip}"))).collect();
    for key in &keys {
        let failures = app.store.login_failures(key, throttle.since(now)).await?;
        if let Some(until) = throttle.locked_until(&failures, now) {
            return Err(LoginError::Throttled { until });
        }
    }
    let account = app.store.account_by_email(&email).await?;
    let phc = account.as_ref().map_or_else(|| password::decoy().to_owned(), |a| a.password_hash.clone());
    let given = pass.to_owned();
    // Why a blocking thread: argon2id takes tens of milliseconds of CPU.
    let matches = tokio::task::spawn_blocking(move || password::verify(&given, &phc)).await.unwrap_or(false);
    let account = match account {
        Some(a) if matches && !a.disabled => a,
        _ => {
            for key in &keys {
                app.store.record_login_failure(key, now).await?;
            }
            app.store.audit(email.as_str(), "login.failed", &format!("account:{email}"), json!({}), now).await?;
            return Err(LoginError::Invalid);
        }
    };
    for key in &keys {
        app.store.clear_login_failures(Some(key), None).await?;
    }
    let token = random_token();
    let session =
        NewSession { token_hash: token_hash(&token), account_id: account.id, csrf_token: random_token(), at: now };
    app.store.create_session(session).await?;
    app.store.audit(email.as_str(), "login", &format!("account:{}", account.id), json!({}), now).await?;
    let row = app.store.session(&token_hash(&token)).await?.ok_or_else(|| StoreError::NotFound("session".into()))?;
    Ok(Opened { token, actor: actor_of(&row) })
}

/// The actor of a session cookie, if the session exists, its account is
/// enabled and it was used within the idle expiry; records the activity.
pub async fn resolve(app: &App, token: &str) -> Result<Option<Actor>, StoreError> {
    let hash = token_hash(token);
    let Some(s) = app.store.session(&hash).await? else {
        return Ok(None);
    };
    let now = app.clock.now();
    let idle = now.duration_since(s.last_seen_at);
    if s.account.disabled || idle > app.config.console.session_idle() {
        app.store.end_session(&hash).await?;
        return Ok(None);
    }
    if idle >= TOUCH_EVERY {
        app.store.touch_session(&hash, now).await?;
    }
    Ok(Some(actor_of(&s)))
}

/// Ends the session of `actor` (if it has one).
pub async fn logout(app: &App, actor: &Actor) -> Result<(), StoreError> {
    if let Some(s) = &actor.session {
        app.store.end_session(&s.token_hash).await?;
        app.store.audit(&actor.name, "logout", &actor.name, json!({}), app.clock.now()).await?;
    }
    Ok(())
}

/// The `Set-Cookie` value that stores the session token.
pub fn cookie(app: &App, token: &str) -> String {
    let secure = if app.config.console.cookie_secure { "; Secure" } else { "" };
    let max_age = app.config.console.session_idle().as_secs();
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(app: &App) -> String {
    let secure = if app.config.console.cookie_secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The session token in a request's `Cookie` headers, if any.
pub fn from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    jar.get(COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
