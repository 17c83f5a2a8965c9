//! Signature verification for both Quo webhook schemes.
//!
//! See the module documentation of [`super`] for the wire formats and where
//! they come from.

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use subtle::ConstantTimeEq;

use super::secret::{
    B64, OPENPHONE_SIGNATURE, Scheme, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, WebhookSecret, hmac_sha256,
};

/// Allowed clock skew between the signing time and `now`, either way.
pub const DEFAULT_TOLERANCE: SignedDuration = SignedDuration::from_mins(5);

/// A legacy timestamp at or above this value is read as milliseconds, below
/// it as seconds. 10^11 ms is 1973-03-03; 10^11 s is the year 5138, so the two
/// ranges cannot be confused for any real delivery.
const LEGACY_MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// The signature-related request headers, as received (names are
/// case-insensitive in HTTP; look them up however the server framework does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    pub openphone_signature: Option<&'a str>,
    pub webhook_id: Option<&'a str>,
    pub webhook_timestamp: Option<&'a str>,
    pub webhook_signature: Option<&'a str>,
}

impl<'a> Headers<'a> {
    /// Builds the struct from a lookup by lowercase header name, e.g.
    /// `Headers::from_lookup(|n| map.get(n).and_then(|v| v.to_str().ok()))`.
    pub fn from_lookup(mut get: impl FnMut(&str) -> Option<&'a str>) -> Self {
        Headers {
            openphone_signature: get(OPENPHONE_SIGNATURE),
            webhook_id: get(WEBHOOK_ID),
            webhook_timestamp: get(WEBHOOK_TIMESTAMP),
            webhook_signature: get(WEBHOOK_SIGNATURE),
        }
    }

    /// Builds the struct from `(name, value)` pairs, names matched
    /// case-insensitively; the first occurrence of a name wins.
    pub fn from_pairs<N: AsRef<str>, V: AsRef<str>>(pairs: &'a [(N, V)]) -> Self {
        Headers::from_lookup(|name| {
            pairs.iter().find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
        })
    }
}

/// A delivery whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub scheme: Scheme,
    /// The `webhook-id` header (Standard scheme only): dedupe deliveries on it.
    pub delivery_id: Option<String>,
    /// The signing time carried in the signed headers.
    pub signed_at: Timestamp,
    /// Index into the `secrets` slice of the key that matched.
    pub secret_index: usize,
}

/// Why a delivery was rejected. Every variant means "answer 401".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no signature header (expected `openphone-signature` or `webhook-signature`)")]
    MissingSignature,
    #[error("missing `{0}` header")]
    MissingHeader(&'static str),
    #[error("malformed `{header}` header: {reason}")]
    MalformedHeader { header: &'static str, reason: String },
    #[error("no webhook secret is configured for the {0} scheme")]
    NoSecretForScheme(Scheme),
    #[error("signature timestamp is {age:#} old, beyond the {tolerance:#} tolerance")]
    TimestampTooOld { age: SignedDuration, tolerance: SignedDuration },
    #[error("signature timestamp is {ahead:#} in the future, beyond the {tolerance:#} tolerance")]
    TimestampTooNew { ahead: SignedDuration, tolerance: SignedDuration },
    #[error("signature does not match")]
    BadSignature,
}

fn malformed(header: &'static str, reason: impl Into<String>) -> VerifyError {
    VerifyError::MalformedHeader { header, reason: reason.into() }
}

/// At most 40 characters of an untrusted value, for error messages.
fn snippet(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Checks a delivery's signature against every configured secret of the
/// scheme its headers use, then the signing time against `now ± tolerance`.
///
/// Standard Webhooks headers win if present; the legacy header is tried when
/// they are absent or do not verify. Keys are used only for their own scheme.
/// The signature is checked before the time, so `TimestampTooOld`/`TooNew`
/// mean "authentic but outside the window" (a replay, or a skewed clock).
/// Signature comparisons are constant-time.
pub fn verify(
    secrets: &[WebhookSecret],
    headers: &Headers<'_>,
    raw_body: &[u8],
    now: Timestamp,
    tolerance: SignedDuration,
) -> Result<Verified, VerifyError> {
    let standard_present =
        headers.webhook_signature.is_some() || headers.webhook_id.is_some() || headers.webhook_timestamp.is_some();
    let legacy = headers.openphone_signature;
    let tolerance = tolerance.abs();

    let mut errors = Vec::with_capacity(2);
    if standard_present {
        match verify_standard(secrets, headers, raw_body, now, tolerance) {
            Ok(v) => return Ok(v),
            Err(e) => errors.push(e),
        }
    }
    if let Some(value) = legacy {
        match verify_legacy(secrets, value, raw_body, now, tolerance) {
            Ok(v) => return Ok(v),
            Err(e) => errors.push(e),
        }
    }
    // Prefer the error of a scheme we actually hold a key for.
    let pick = errors.iter().position(|e| !matches!(e, VerifyError::NoSecretForScheme(_))).unwrap_or(0);
    Err(errors.into_iter().nth(pick).unwrap_or(VerifyError::MissingSignature))
}

fn keys_for(secrets: &[WebhookSecret], scheme: Scheme) -> Vec<(usize, &[u8])> {
    secrets.iter().enumerate().filter(|(_, s)| s.scheme() == scheme).map(|(i, s)| (i, s.key())).collect()
}

fn verify_standard(
    secrets: &[WebhookSecret],
    headers: &Headers<'_>,
    body: &[u8],
    now: Timestamp,
    tolerance: SignedDuration,
) -> Result<Verified, VerifyError> {
    let signature = headers.webhook_signature.ok_or(VerifyError::MissingHeader(WEBHOOK_SIGNATURE))?;
    let id = headers.webhook_id.ok_or(VerifyError::MissingHeader(WEBHOOK_ID))?;
    let ts_raw = headers.webhook_timestamp.ok_or(VerifyError::MissingHeader(WEBHOOK_TIMESTAMP))?;
    if id.is_empty() {
        return Err(malformed(WEBHOOK_ID, "empty"));
    }
    let secs = parse_unsigned(ts_raw, WEBHOOK_TIMESTAMP)?;
    let signed_at = Timestamp::from_second(secs).map_err(|_| malformed(WEBHOOK_TIMESTAMP, "timestamp out of range"))?;
    let candidates = parse_standard_signatures(signature)?;

    let keys = keys_for(secrets, Scheme::Standard);
    if keys.is_empty() {
        return Err(VerifyError::NoSecretForScheme(Scheme::Standard));
    }
    for (index, key) in keys {
        let tag = hmac_sha256(key, &[id.as_bytes(), b".", ts_raw.as_bytes(), b".", body]);
        if candidates.iter().any(|c| bool::from(tag.ct_eq(c.as_slice()))) {
            check_skew(signed_at, now, tolerance)?;
            return Ok(Verified {
                scheme: Scheme::Standard,
                delivery_id: Some(id.to_owned()),
                signed_at,
                secret_index: index,
            });
        }
    }
    Err(VerifyError::BadSignature)
}

/// Decoded `v1` signatures; entries of other versions (e.g. the asymmetric
/// `v1a`) are skipped, but at least one `v1` entry must be present.
fn parse_standard_signatures(value: &str) -> Result<Vec<Vec<u8>>, VerifyError> {
    let mut out = Vec::new();
    for entry in value.split(' ').filter(|e| !e.is_empty()) {
        let (version, sig) = entry.split_once(',').ok_or_else(|| {
            malformed(WEBHOOK_SIGNATURE, format!("entry `{}` is not `<version>,<signature>`", snippet(entry)))
        })?;
        if version != "v1" {
            continue;
        }
        let bytes = B64.decode(sig).map_err(|_| malformed(WEBHOOK_SIGNATURE, "v1 signature is not valid base64"))?;
        out.push(bytes);
    }
    if out.is_empty() {
        return Err(malformed(WEBHOOK_SIGNATURE, "no `v1,<signature>` entry"));
    }
    Ok(out)
}

/// One parsed `hmac;1;<ts>;<sig>` entry.
struct LegacyEntry<'a> {
    ts_raw: &'a str,
    signed_at: Timestamp,
    signature: Vec<u8>,
}

fn verify_legacy(
    secrets: &[WebhookSecret],
    value: &str,
    body: &[u8],
    now: Timestamp,
    tolerance: SignedDuration,
) -> Result<Verified, VerifyError> {
    let entries = parse_legacy_header(value)?;
    let keys = keys_for(secrets, Scheme::Legacy);
    if keys.is_empty() {
        return Err(VerifyError::NoSecretForScheme(Scheme::Legacy));
    }
    let mut stale = None;
    for entry in &entries {
        for &(index, key) in &keys {
            let tag = hmac_sha256(key, &[entry.ts_raw.as_bytes(), b".", body]);
            if bool::from(tag.ct_eq(entry.signature.as_slice())) {
                match check_skew(entry.signed_at, now, tolerance) {
                    Ok(()) => {
                        return Ok(Verified {
                            scheme: Scheme::Legacy,
                            delivery_id: None,
                            signed_at: entry.signed_at,
                            secret_index: index,
                        });
                    }
                    Err(e) => stale = stale.or(Some(e)),
                }
            }
        }
    }
    Err(stale.unwrap_or(VerifyError::BadSignature))
}

/// `hmac;1;<ts>;<b64>`, possibly several separated by commas (Quo reserves
/// commas for future multiple signatures). Unknown scheme/version entries are
/// skipped, but at least one `hmac;1` entry must be present.
fn parse_legacy_header(value: &str) -> Result<Vec<LegacyEntry<'_>>, VerifyError> {
    let h = OPENPHONE_SIGNATURE;
    let mut out = Vec::new();
    let mut unsupported = None;
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(';').collect();
        let [scheme, version, ts_raw, sig] = parts.as_slice() else {
            return Err(malformed(
                h,
                format!("expected `hmac;1;<timestamp>;<signature>`, got {} field(s)", parts.len()),
            ));
        };
        if *scheme != "hmac" || *version != "1" {
            unsupported.get_or_insert_with(|| format!("{};{}", snippet(scheme), snippet(version)));
            continue;
        }
        let n = parse_unsigned(ts_raw, h)?;
        let signed_at =
            if n >= LEGACY_MILLIS_THRESHOLD { Timestamp::from_millisecond(n) } else { Timestamp::from_second(n) }
                .map_err(|_| malformed(h, "timestamp out of range"))?;
        if sig.is_empty() {
            return Err(malformed(h, "empty signature"));
        }
        let signature = B64.decode(sig).map_err(|_| malformed(h, "signature is not valid base64"))?;
        out.push(LegacyEntry { ts_raw, signed_at, signature });
    }
    if out.is_empty() {
        return Err(match unsupported {
            Some(v) => malformed(h, format!("unsupported scheme/version `{v}` (expected `hmac;1`)")),
            None => malformed(h, "empty"),
        });
    }
    Ok(out)
}

/// A non-empty run of ASCII digits that fits in an `i64`.
fn parse_unsigned(raw: &str, header: &'static str) -> Result<i64, VerifyError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(header, format!("timestamp `{}` is not an unsigned integer", snippet(raw))));
    }
    raw.parse().map_err(|_| malformed(header, "timestamp out of range"))
}

fn check_skew(signed_at: Timestamp, now: Timestamp, tolerance: SignedDuration) -> Result<(), VerifyError> {
    let age = now.duration_since(signed_at);
    if age > tolerance {
        Err(VerifyError::TimestampTooOld { age, tolerance })
    } else if -age > tolerance {
        Err(VerifyError::TimestampTooNew { ahead: -age, tolerance })
    } else {
        Ok(())
    }
}
