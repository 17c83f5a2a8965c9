//! Small validated values of the configuration: environment variable names,
//! base URLs, the database URL, the listen address and the closed choices.
//!
//! Error messages never repeat a rejected value that could be a secret
//! (an `*_env` value, a URL with credentials).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, de::Error as _};

use crate::secrets::Secret;

/// The NAME of an environment variable (`OPENPHONE_API_KEY`), never its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvVar(String);

impl EnvVar {
    /// 1–128 ASCII letters, digits and `_`, not starting with a digit.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit();
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            // Never echo the value: it may be the secret itself, pasted by mistake.
            Err("must be the NAME of an environment variable (ASCII letters, digits and `_`, \
                 not starting with a digit), not the secret itself"
                .into())
        }
    }

    /// A name written in this crate's source (defaults and the demo).
    pub(crate) fn known(s: &'static str) -> Self {
        debug_assert!(Self::parse(s).is_ok(), "{s}");
        Self(s.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvVar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(D::Error::custom)
    }
}

/// An `http://` or `https://` URL of a vendor API, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("must start with https:// or http://")?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters".into());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err("must not contain credentials; secrets come from the `*_env` keys".into());
        }
        if authority.is_empty() {
            return Err("has no host name".into());
        }
        Ok(Self(s.trim_end_matches('/').to_owned()))
    }

    /// A URL written in this crate's source (defaults and the demo).
    pub(crate) fn known(s: &'static str) -> Self {
        debug_assert!(Self::parse(s).is_ok(), "{s}");
        Self(s.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(D::Error::custom)
    }
}

/// Where the data lives (`server.database_url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`; a relative path is relative to the process's working directory.
    Sqlite(PathBuf),
    /// `sqlite::memory:` — nothing survives a restart (tests, demos).
    SqliteMemory,
    /// `postgres://…` or `postgresql://…`, as written (never with a password).
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "sqlite::memory:" || s == "sqlite://:memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("needs a file path, such as sqlite://clubos.db".into());
            }
            if path.contains('?') {
                return Err("query parameters are not supported; use `server.sqlite_synchronous`".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let Some(rest) = s.strip_prefix("postgres://").or_else(|| s.strip_prefix("postgresql://")) else {
            return Err("must be sqlite://PATH, sqlite::memory: or postgres://…".into());
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let userinfo = authority.rsplit_once('@').map(|(u, _)| u);
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or_default();
        if userinfo.is_some_and(|u| u.contains(':')) || query.split('&').any(|p| p.starts_with("password=")) {
            return Err("must not contain a password; name the variable that holds it in \
                        `server.database_password_env`"
                .into());
        }
        const SSLMODES: [&str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];
        if let Some(mode) = query.split('&').find_map(|p| p.strip_prefix("sslmode="))
            && !SSLMODES.contains(&mode)
        {
            return Err(format!("has sslmode={mode}; use one of {}", SSLMODES.join(", ")));
        }
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host.is_empty() && !query.contains("host=") {
            return Err("has no host, such as postgres://clubos@db.internal/clubos".into());
        }
        Ok(Self::Postgres(s.to_owned()))
    }

    /// The Postgres connection string with the password (from
    /// `server.database_password_env`) put back in; `None` for SQLite.
    pub fn postgres_with_password(&self, password: Option<&Secret>) -> Option<Secret> {
        let Self::Postgres(url) = self else {
            return None;
        };
        let Some(pw) = password else {
            return Some(Secret::new(url.clone()));
        };
        let encoded = percent_encode(pw.expose());
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let full = match rest[..authority_end].rsplit_once('@') {
            Some((user, _)) => format!("{scheme}://{user}:{encoded}{}", &rest[user.len()..]),
            None if rest.contains('?') => format!("{url}&password={encoded}"),
            None => format!("{url}?password={encoded}"),
        };
        Some(Secret::new(full))
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Self::SqliteMemory => f.write_str("sqlite::memory:"),
            Self::Postgres(url) => f.write_str(url),
        }
    }
}

impl Default for DatabaseUrl {
    fn default() -> Self {
        Self::Sqlite(PathBuf::from("clubos.db"))
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(D::Error::custom)
    }
}

/// `server.listen`: an IP address and a port, no host names.
pub(crate) fn de_listen<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        D::Error::custom(format!("`{s}` is not an IP address and port such as 127.0.0.1:8080 or [::]:8080"))
    })
}

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vm])* #[serde(rename = $s)] $v, )+
        }

        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

    };
}

choice! {
    /// `agent.llm`: who classifies messages.
    LlmChoice {
        /// Keyword + SOP trigger + similarity; no network, no account.
        #[default] Local = "local",
        /// Any OpenAI-compatible server (`[llm.openai]`).
        OpenAi = "openai",
        /// Claude (`[llm.anthropic]`).
        Anthropic = "anthropic",
    }
}

choice! {
    /// `connectors.*.mode`.
    ConnectorMode {
        /// Talk to the vendor's API.
        #[default] Live = "live",
        /// Simulated devices; needs no account.
        Sandbox = "sandbox",
    }
}

choice! {
    /// `bookings.provider`.
    BookingProvider {
        /// Bookings are created through `POST /api/bookings`.
        #[default] Local = "local",
        Skedda = "skedda",
        /// A generic HTTP booking source (`bookings.base_url`).
        Http = "http",
    }
}

choice! {
    /// `server.sqlite_synchronous`: SQLite's `PRAGMA synchronous` in WAL mode.
    SqliteSynchronous {
        /// Durable across a process crash (`kill -9`); the default.
        #[default] Normal = "normal",
        /// Also durable across a power loss, slower.
        Full = "full",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_never_echo_the_value() {
        assert_eq!(EnvVar::parse("OPENAI_API_KEY").unwrap().as_str(), "OPENAI_API_KEY");
        assert!(EnvVar::parse("_X1").is_ok());
        for bad in ["", "1ABC", "sk-live-abc123", "A B", &"A".repeat(129)] {
            let e = EnvVar::parse(bad).unwrap_err();
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
    }

    #[test]
    fn base_urls() {
        assert_eq!(BaseUrl::parse("https://api.openphone.com/").unwrap().as_str(), "https://api.openphone.com");
        assert!(BaseUrl::parse("https://10.0.0.2:12445").is_ok());
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert!(BaseUrl::parse("https://").is_err());
        let e = BaseUrl::parse("https://user:hunter2@x.com").unwrap_err();
        assert!(!e.contains("hunter2"));
    }

    #[test]
    fn database_urls() {
        let p = |s| DatabaseUrl::parse(s);
        assert_eq!(p("sqlite://clubos.db"), Ok(DatabaseUrl::Sqlite("clubos.db".into())));
        assert_eq!(p("sqlite:///var/lib/clubos.db"), Ok(DatabaseUrl::Sqlite("/var/lib/clubos.db".into())));
        assert_eq!(p("sqlite::memory:"), Ok(DatabaseUrl::SqliteMemory));
        assert!(matches!(p("postgres://clubos@db/clubos"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(p("postgresql://db:5432/clubos"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(p("postgres://db/x?sslmode=verify-full"), Ok(DatabaseUrl::Postgres(_))));
        for bad in [
            "sqlite://",
            "mysql://x",
            "postgres://u:pw@db/x",
            "postgres://db/x?password=pw",
            "postgres:///x",
            "sqlite://x.db?mode=rwc",
            "postgres://db/x?sslmode=allow",
        ] {
            let e = p(bad).unwrap_err();
            assert!(!e.contains("pw@"), "{e}");
        }
        assert_eq!(p("sqlite://a.db").unwrap().to_string(), "sqlite://a.db");
        assert_eq!(DatabaseUrl::default().to_string(), "sqlite://clubos.db");
    }

    #[test]
    fn postgres_password_is_put_back_encoded() {
        let pw = Secret::new("p@ss word".into());
        let with =
            |url: &str| DatabaseUrl::parse(url).unwrap().postgres_with_password(Some(&pw)).unwrap().expose().to_owned();
        assert_eq!(with("postgres://clubos@db/x"), "postgres://clubos:p%40ss%20word@db/x");
        assert_eq!(with("postgres://db/x"), "postgres://db/x?password=p%40ss%20word");
        assert_eq!(with("postgres://db/x?sslmode=require"), "postgres://db/x?sslmode=require&password=p%40ss%20word");
        assert!(DatabaseUrl::SqliteMemory.postgres_with_password(Some(&pw)).is_none());
    }
}
