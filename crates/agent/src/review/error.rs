//! What can go wrong when Claude is asked to do SOP work, typed so the
//! caller can tell an outage (wait and try the same job again) from an
//! answer that will not get better (give up on that job).

use std::time::Duration;

/// Why a review call gave no usable answer. Never holds the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// HTTP 529, or an error body of type `overloaded_error`.
    #[error("Claude is overloaded: {0}")]
    Overloaded(String),
    /// HTTP 429; `retry_after` from the `Retry-After` header when sent.
    #[error("rate limited by Anthropic{}: {message}", retry_note(*retry_after))]
    RateLimited { retry_after: Option<Duration>, message: String },
    /// Any other 5xx.
    #[error("Anthropic server error {status}: {message}")]
    Server { status: u16, message: String },
    /// No complete answer within the call's time limit.
    #[error("no answer from Anthropic in time")]
    Timeout,
    /// The API could not be reached (connection refused, DNS, TLS, reset).
    #[error("Anthropic unreachable: {0}")]
    Unavailable(String),
    /// A 4xx other than 429: the request was refused (a revoked key, an
    /// unknown model, no credit, a request too large).
    #[error("refused by Anthropic ({status} {kind}): {message}")]
    Refused { status: u16, kind: String, message: String },
    /// Claude answered, but not with the forced tool and its schema.
    #[error("Claude's answer is unusable: {0}")]
    InvalidOutput(String),
}

fn retry_note(after: Option<Duration>) -> String {
    after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default()
}

impl ReviewError {
    /// How long the API asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ReviewError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when the failure belongs to this request, not to the service:
    /// an unusable answer, or a request refused for its size. Everything
    /// else (overload, limits, outages, a bad key, no credit) would fail
    /// the next request the same way, so the job should wait its turn again.
    pub fn is_job_specific(&self) -> bool {
        match self {
            ReviewError::InvalidOutput(_) => true,
            ReviewError::Refused { status: 413, .. } => true,
            ReviewError::Refused { status: 400, message, .. } => {
                let m = message.to_ascii_lowercase();
                m.contains("too long") || m.contains("too large")
            }
            _ => false,
        }
    }

    /// True when the service did not answer at all or could not (overload,
    /// 5xx, timeout, unreachable): what counts toward it being *down*.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ReviewError::Overloaded(_)
                | ReviewError::Server { .. }
                | ReviewError::Timeout
                | ReviewError::Unavailable(_)
        )
    }
}
