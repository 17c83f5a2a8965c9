//! Connecting: the connection string, the password kept apart from it, TLS
//! (see [`crate::tls`] for what `sslmode` means) and the pool.

use std::path::PathBuf;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

use crate::error::PgError;
use crate::tls::{self, Verify};

/// How to connect, apart from the URL.
#[derive(Clone)]
pub struct PgOptions {
    /// Connections in the pool (`server.database_pool_size`).
    pub max_connections: usize,
    /// Connections kept apart for queue claims and leases (see
    /// [`coordination_pool`]), in addition to `max_connections`.
    pub coordination_connections: usize,
    /// The password, kept out of the URL (`server.database_password_env`).
    pub password: Option<String>,
    /// PEM file of the CA(s) that signed the server's certificate.
    pub ca_file: Option<PathBuf>,
    /// Schema for every connection (`search_path`); tests use one per store.
    pub schema: Option<String>,
    /// How long to wait for a new connection and for a free one.
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            coordination_connections: 4,
            password: None,
            ca_file: None,
            schema: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("max_connections", &self.max_connections)
            .field("coordination_connections", &self.coordination_connections)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("ca_file", &self.ca_file)
            .field("schema", &self.schema)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// What the URL says beyond what tokio-postgres reads: `sslmode=verify-ca`
/// and `verify-full` (given to tokio-postgres as `require`) and
/// `sslrootcert` (taken out).
#[derive(Debug, PartialEq, Eq)]
struct Url {
    url: String,
    verify_ca: bool,
    verify_full: bool,
    root_cert: Option<PathBuf>,
}

fn normalize(url: &str) -> Url {
    let mut out = Url { url: url.to_owned(), verify_ca: false, verify_full: false, root_cert: None };
    let Some((base, query)) = url.split_once('?') else {
        return out;
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", mode @ ("verify-ca" | "verify-full"))) => {
                out.verify_ca = true;
                out.verify_full = mode == "verify-full";
                kept.push("sslmode=require".to_owned());
            }
            Some(("sslrootcert", path)) => out.root_cert = Some(PathBuf::from(path)),
            _ => kept.push(pair.to_owned()),
        }
    }
    out.url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    out
}

/// Whether `s` is a plain lower-case identifier, safe in `search_path`.
fn plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The tokio-postgres configuration, and how to check the server's certificate.
pub(crate) fn pg_config(
    url: &str,
    o: &PgOptions,
) -> Result<(tokio_postgres::Config, Verify, Option<PathBuf>), PgError> {
    let url = normalize(url);
    let mut c: tokio_postgres::Config = url.url.parse().map_err(|e| PgError::Config(format!("database URL: {e}")))?;
    if let Some(pw) = &o.password {
        c.password(pw.as_bytes());
    }
    if let Some(schema) = &o.schema {
        if !plain_identifier(schema) {
            return Err(PgError::Config(format!("schema `{schema}` must be a lower-case identifier")));
        }
        let options = match c.get_options() {
            Some(existing) => format!("{existing} -c search_path={schema}"),
            None => format!("-c search_path={schema}"),
        };
        c.options(&options);
    }
    if c.get_connect_timeout().is_none() {
        c.connect_timeout(o.connect_timeout);
    }
    if c.get_application_name().is_none() {
        c.application_name("clubos");
    }
    let ca_file = o.ca_file.clone().or(url.root_cert);
    // As libpq: a CA file makes `prefer` and `require` check the chain too.
    let verify = match (url.verify_full, url.verify_ca || ca_file.is_some()) {
        (true, _) => Verify::Full,
        (false, true) => Verify::Chain,
        (false, false) => Verify::Nothing,
    };
    Ok((c, verify, ca_file))
}

pub(crate) fn pool(url: &str, o: &PgOptions) -> Result<Pool, PgError> {
    if o.max_connections == 0 {
        return Err(PgError::Config("the pool needs at least one connection".into()));
    }
    build(url, o, o.max_connections, None)
}

/// The connections for queue claims, lease renewals and releases: short
/// statements that every worker runs between messages.
///
/// Why apart: on the main pool a claim waited for a connection held by a
/// transaction waiting for its WAL flush (one flush took ~5 ms on the
/// benchmark machine's disk), so a backlog of commits delayed taking the
/// next item. Why `synchronous_commit = off` here only: losing the last
/// few hundred milliseconds of these on a crash of PostgreSQL itself loses
/// nothing that matters — a lost claim or lease is free again, a lost
/// release is re-claimed after its lease and finds nothing pending — and
/// every durable commit after them (a decision, an action's intent) flushes
/// them too, since the WAL is flushed in order.
pub(crate) fn coordination_pool(url: &str, o: &PgOptions) -> Result<Pool, PgError> {
    build(url, o, o.coordination_connections.max(1), Some("-c synchronous_commit=off"))
}

fn build(url: &str, o: &PgOptions, size: usize, extra_options: Option<&str>) -> Result<Pool, PgError> {
    let (mut config, verify, ca_file) = pg_config(url, o)?;
    if let Some(extra) = extra_options {
        let options = match config.get_options() {
            Some(existing) => format!("{existing} {extra}"),
            None => extra.to_owned(),
        };
        config.options(&options);
    }
    let tls = tls::connector(verify, ca_file.as_deref())?;
    let manager = Manager::from_config(config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(o.connect_timeout))
        .create_timeout(Some(o.connect_timeout))
        .build()
        .map_err(|e| PgError::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_of(url: &str, ca_file: Option<&str>) -> Verify {
        let o = PgOptions { ca_file: ca_file.map(PathBuf::from), ..PgOptions::default() };
        pg_config(url, &o).unwrap().1
    }

    #[test]
    fn libpq_ssl_settings_are_understood() {
        assert_eq!(normalize("postgres://db/x").url, "postgres://db/x");
        let u = normalize("postgres://db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=a");
        assert_eq!(u.url, "postgres://db/x?sslmode=require&application_name=a");
        assert_eq!(u.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(normalize("postgres://db/x?sslrootcert=ca.pem").url, "postgres://db/x");
        let (c, _, _) = pg_config("postgres://u@db/x?sslmode=verify-ca", &PgOptions::default()).unwrap();
        assert_eq!(c.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert!(pg_config("postgres://u@db/x?sslmode=bogus", &PgOptions::default()).is_err());

        assert_eq!(verify_of("postgres://u@db/x", None), Verify::Nothing);
        assert_eq!(verify_of("postgres://u@db/x?sslmode=require", None), Verify::Nothing);
        assert_eq!(verify_of("postgres://u@db/x?sslmode=require", Some("ca.pem")), Verify::Chain);
        assert_eq!(verify_of("postgres://u@db/x?sslmode=verify-ca", None), Verify::Chain);
        assert_eq!(verify_of("postgres://u@db/x?sslmode=verify-full", None), Verify::Full);
        assert_eq!(verify_of("postgres://u@db/x?sslmode=verify-full&sslrootcert=ca.pem", None), Verify::Full);
    }

    #[test]
    fn the_password_and_schema_are_applied_and_not_shown() {
        let o = PgOptions { password: Some("s3cret".into()), schema: Some("t_1".into()), ..PgOptions::default() };
        let (c, _, _) = pg_config("postgres://u@db/x", &o).unwrap();
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(c.get_options(), Some("-c search_path=t_1"));
        assert!(!format!("{o:?}").contains("s3cret"));
        let bad = PgOptions { schema: Some("x; DROP".into()), ..PgOptions::default() };
        assert!(pg_config("postgres://u@db/x", &bad).is_err());
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("clubos-pg-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        assert!(matches!(tls::connector(Verify::Chain, Some(&path)), Err(PgError::Tls(_))));
        assert!(matches!(tls::connector(Verify::Full, Some(&dir.join("missing.pem"))), Err(PgError::Tls(_))));
        assert!(tls::connector(Verify::Full, None).is_ok());
        assert!(tls::connector(Verify::Nothing, Some(&path)).is_ok(), "not read when nothing is checked");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
