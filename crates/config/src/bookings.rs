//! `[bookings]`: where bookings come from. `local` is the store itself
//! (`POST /api/bookings`, `clubos bookings import`); `http` is a booking
//! system's JSON API, described here by its address, its key header, its
//! query parameter names, JSON pointers to its fields and a status map.

use std::collections::BTreeMap;
use std::path::Path;

use clubos_domain::BookingStatus;
use serde::Deserialize;

use crate::error::{ConfigError, join};
use crate::values::{BaseUrl, BookingProvider, EnvVar};

/// `[bookings]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingsConfig {
    pub provider: BookingProvider,
    /// Required for `http`.
    pub base_url: Option<BaseUrl>,
    /// Appended to `base_url` (`GET {base_url}{path}`); `""` = `base_url` itself.
    pub path: String,
    /// Absent: no credential header is sent.
    pub api_key_env: Option<EnvVar>,
    /// The header carrying the key (`Authorization`).
    pub auth_header: String,
    /// Written before the key (`Bearer`); `""` sends the key alone.
    pub auth_scheme: String,
    /// One request's limit, and the whole lookup's (retries included).
    pub timeout_seconds: u64,
    /// Signing key of booking webhooks, when the provider sends them.
    pub webhook_secret_env: Option<EnvVar>,
    pub query: BookingQuery,
    pub fields: BookingFields,
    /// The system's status words → `confirmed`, `pending` or `cancelled`.
    pub status_map: BTreeMap<String, String>,
}

impl Default for BookingsConfig {
    fn default() -> Self {
        Self {
            provider: BookingProvider::Local,
            base_url: None,
            path: String::new(),
            api_key_env: None,
            auth_header: "Authorization".into(),
            auth_scheme: "Bearer".into(),
            timeout_seconds: 5,
            webhook_secret_env: None,
            query: BookingQuery::default(),
            fields: BookingFields::default(),
            status_map: BTreeMap::new(),
        }
    }
}

/// `[bookings.query]`: the names of the query parameters; `""` leaves one out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingQuery {
    /// The customer's number, E.164.
    pub phone: String,
    /// The location's `booking_location_id`, else its `id`.
    pub location: String,
    /// Start of the time range, RFC 3339 (UTC).
    pub from: String,
    pub to: String,
}

impl Default for BookingQuery {
    fn default() -> Self {
        Self { phone: "phone".into(), location: "location".into(), from: "from".into(), to: "to".into() }
    }
}

/// `[bookings.fields]`: JSON pointers (RFC 6901). `items` is read from the
/// answer, the others from each item of that array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingFields {
    /// `""`: the answer itself is the array.
    pub items: String,
    pub id: String,
    /// `""`: the system assigns no bays.
    pub bay: String,
    pub phone: String,
    pub starts_at: String,
    pub ends_at: String,
    /// `""`: every booking counts as confirmed.
    pub status: String,
}

impl Default for BookingFields {
    fn default() -> Self {
        let s = |p: &str| p.to_owned();
        Self {
            items: s(""),
            id: s("/id"),
            bay: s("/bay"),
            phone: s("/phone"),
            starts_at: s("/starts_at"),
            ends_at: s("/ends_at"),
            status: s("/status"),
        }
    }
}

impl BookingsConfig {
    /// `status_map` with its targets parsed (they are checked by `validate`).
    pub fn statuses(&self) -> Vec<(String, BookingStatus)> {
        self.status_map.iter().filter_map(|(word, to)| Some((word.clone(), to.parse().ok()?))).collect()
    }

    pub(crate) fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, why: String| Err(ConfigError::at(file, format!("bookings.{key}"), why));
        match self.provider {
            BookingProvider::Skedda => {
                return bad(
                    "provider",
                    "\"skedda\" is not supported: Skedda has no booking-lookup API this build can call; use \
                     provider = \"http\" with base_url and a [bookings.fields] mapping of your booking \
                     system's JSON API (see docs/CONNECTORS.md)"
                        .into(),
                );
            }
            BookingProvider::Http if self.base_url.is_none() => {
                return bad("base_url", "is required when provider is \"http\"".into());
            }
            _ => {}
        }
        if !(self.path.is_empty() || self.path.starts_with('/')) || self.path.contains(['#', ' ']) {
            return bad(
                "path",
                "must be empty or start with \"/\", without spaces or `#` (e.g. \"/v1/bookings\")".into(),
            );
        }
        if !is_token(&self.auth_header) {
            return bad(
                "auth_header",
                format!("{:?} is not an HTTP header name (e.g. \"X-Api-Key\")", self.auth_header),
            );
        }
        if self.auth_scheme.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("auth_scheme", "must be one word such as \"Bearer\", or \"\" for the key alone".into());
        }
        if !(1..=60).contains(&self.timeout_seconds) {
            return bad("timeout_seconds", "must be from 1 to 60".into());
        }
        let q = &self.query;
        for (k, name) in [("phone", &q.phone), ("location", &q.location), ("from", &q.from), ("to", &q.to)] {
            if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return bad(&format!("query.{k}"), "must not contain spaces; \"\" leaves the parameter out".into());
            }
        }
        let f = &self.fields;
        let fields = [
            ("items", &f.items, true),
            ("id", &f.id, false),
            ("bay", &f.bay, true),
            ("phone", &f.phone, false),
            ("starts_at", &f.starts_at, false),
            ("ends_at", &f.ends_at, false),
            ("status", &f.status, true),
        ];
        for (k, ptr, may_be_empty) in fields {
            if let Err(why) = pointer(ptr, may_be_empty) {
                return bad(&format!("fields.{k}"), why);
            }
        }
        for (word, to) in &self.status_map {
            if to.parse::<BookingStatus>().is_err() {
                let key = join("status_map", word);
                return bad(
                    &key,
                    format!("unknown status {to:?}; expected \"confirmed\", \"pending\" or \"cancelled\""),
                );
            }
        }
        Ok(())
    }
}

/// A JSON pointer (RFC 6901): empty, or `/` then tokens where `~` is
/// followed by `0` or `1`.
fn pointer(p: &str, may_be_empty: bool) -> Result<(), String> {
    if p.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            Err("must not be empty: every booking needs it; a JSON pointer such as \"/id\"".into())
        };
    }
    if !p.starts_with('/') {
        return Err(format!(
            "{p:?} is not a JSON pointer: it must start with \"/\"{} (RFC 6901, e.g. \"/data/0/id\" or \"/{p}\")",
            if may_be_empty { " or be empty" } else { "" }
        ));
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!("{p:?} has a `~` not followed by 0 or 1 (write `~0` for `~` and `~1` for `/`)"));
        }
    }
    Ok(())
}

/// An HTTP header name (RFC 9110 token).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers() {
        assert!(pointer("", true).is_ok());
        assert!(pointer("/data/items", true).is_ok());
        assert!(pointer("/a~1b/c~0d", false).is_ok());
        assert!(pointer("", false).unwrap_err().contains("must not be empty"));
        assert!(pointer("data", true).unwrap_err().contains("or be empty"));
        assert!(pointer("/a~2", false).unwrap_err().contains("~0"));
        assert!(pointer("/a~", false).is_err());
    }

    #[test]
    fn header_names() {
        assert!(is_token("Authorization") && is_token("X-Api-Key"));
        assert!(!is_token("") && !is_token("X Api") && !is_token("X:Key"));
    }
}
