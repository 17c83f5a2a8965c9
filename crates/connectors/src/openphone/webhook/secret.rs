//! Signing keys of both schemes, and signing itself (HMAC-SHA256, base64).

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Header of the legacy scheme: `hmac;1;<timestamp>;<base64 signature>`.
pub const OPENPHONE_SIGNATURE: &str = "openphone-signature";
/// Standard Webhooks delivery id (stable across retries of one delivery).
pub const WEBHOOK_ID: &str = "webhook-id";
/// Standard Webhooks signing time, integer Unix seconds.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// Standard Webhooks signatures: space-separated `v1,<base64>` entries.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// Prefix of a Standard Webhooks secret; the rest is the base64 key.
const STANDARD_SECRET_PREFIX: &str = "whsec_";

/// Standard base64 alphabet; padding optional on input, always written.
pub(super) const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which of Quo's two signing schemes a delivery (or a secret) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `openphone-signature` header, base64 key without prefix.
    Legacy,
    /// Standard Webhooks headers, `whsec_` key.
    Standard,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Legacy => "legacy (openphone-signature)",
            Scheme::Standard => "Standard Webhooks (webhook-signature)",
        })
    }
}

/// A decoded signing key. `Debug` never shows the key.
#[derive(Clone)]
pub enum WebhookSecret {
    /// Key of a legacy webhook (the app's "Reveal signing secret", base64-decoded).
    Legacy(Vec<u8>),
    /// Key of a new-system webhook (the part after `whsec_`, base64-decoded).
    Standard(Vec<u8>),
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            WebhookSecret::Legacy(_) => "Legacy",
            WebhookSecret::Standard(_) => "Standard",
        };
        write!(f, "WebhookSecret::{name}(<redacted>)")
    }
}

/// Why a configured secret could not be used. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("webhook secret is empty")]
    Empty,
    #[error("webhook secret is not valid base64 (expected `whsec_<base64>` or a base64 legacy key)")]
    NotBase64,
}

impl WebhookSecret {
    /// `whsec_<base64>` is a Standard Webhooks key; anything else is read as
    /// the base64 legacy key. Surrounding whitespace is ignored.
    pub fn parse(s: &str) -> Result<Self, SecretError> {
        let s = s.trim();
        let (scheme, encoded) = match s.strip_prefix(STANDARD_SECRET_PREFIX) {
            Some(rest) => (Scheme::Standard, rest),
            None => (Scheme::Legacy, s),
        };
        if encoded.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = B64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(match scheme {
            Scheme::Legacy => WebhookSecret::Legacy(key),
            Scheme::Standard => WebhookSecret::Standard(key),
        })
    }

    pub fn scheme(&self) -> Scheme {
        match self {
            WebhookSecret::Legacy(_) => Scheme::Legacy,
            WebhookSecret::Standard(_) => Scheme::Standard,
        }
    }

    /// The raw HMAC key bytes.
    pub fn key(&self) -> &[u8] {
        match self {
            WebhookSecret::Legacy(k) | WebhookSecret::Standard(k) => k,
        }
    }

    /// The headers Quo would attach to `body` signed with this secret at
    /// `at`: the legacy header (millisecond timestamp, as Quo sends it), or
    /// the three Standard Webhooks headers with `delivery_id` as `webhook-id`.
    pub fn signed_headers(&self, delivery_id: &str, at: Timestamp, body: &[u8]) -> Vec<(&'static str, String)> {
        match self {
            WebhookSecret::Legacy(key) => vec![(OPENPHONE_SIGNATURE, sign_legacy(key, at.as_millisecond(), body))],
            WebhookSecret::Standard(key) => {
                let secs = at.as_second();
                vec![
                    (WEBHOOK_ID, delivery_id.to_owned()),
                    (WEBHOOK_TIMESTAMP, secs.to_string()),
                    (WEBHOOK_SIGNATURE, sign_standard(key, delivery_id, secs, body)),
                ]
            }
        }
    }
}

pub(super) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC is defined for keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The full `openphone-signature` value for `body`: HMAC-SHA256 over
/// `"<ts>.<body>"`. `ts` is written verbatim; Quo sends Unix milliseconds.
pub fn sign_legacy(key: &[u8], ts: i64, body: &[u8]) -> String {
    let ts = ts.to_string();
    let tag = hmac_sha256(key, &[ts.as_bytes(), b".", body]);
    format!("hmac;1;{ts};{}", B64.encode(tag))
}

/// The `webhook-signature` value (`v1,<base64>`) for `body`: HMAC-SHA256
/// over `"<id>.<ts_secs>.<body>"`.
pub fn sign_standard(key: &[u8], id: &str, ts_secs: i64, body: &[u8]) -> String {
    let ts = ts_secs.to_string();
    let tag = hmac_sha256(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", B64.encode(tag))
}
