//! What every live vendor client shares: request pacing, retry timing
//! (exponential backoff, `Retry-After`), and an API key that never prints.

mod pace;
mod retry;

pub use pace::Pacer;
pub use retry::{Backoff, retry_after};

/// A vendor credential. `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How every vendor client starts: a connect limit of 5 s (or the request
/// limit, if shorter), the request limit, ClubOS's user agent, and no
/// redirects (a credential must never follow one to another host).
pub(crate) fn client_builder(request_timeout: std::time::Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5).min(request_timeout))
        .timeout(request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("clubos/", env!("CARGO_PKG_VERSION")))
}

/// Builds a client from [`client_builder`]; the error names the vendor.
pub(crate) fn build_client(
    builder: reqwest::ClientBuilder,
    vendor: &'static str,
) -> Result<reqwest::Client, crate::ConnectorError> {
    builder.build().map_err(|e| crate::ConnectorError::Unavailable { vendor, message: e.to_string() })
}

/// The first `max` characters of a vendor's error body, for the log.
pub(crate) fn excerpt(body: &str, max: usize) -> String {
    let mut out: String = body.chars().take(max).collect();
    if body.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_print() {
        let k = ApiKey::new("sk-very-secret");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        assert_eq!(k.expose(), "sk-very-secret");
    }

    #[test]
    fn excerpts_cut_on_characters() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("ok", 10), "ok");
    }
}
