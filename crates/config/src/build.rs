//! From TOML text to a [`Config`]: syntax, serde (`deny_unknown_fields`),
//! `[agent]` defaults and the limits it shares with `[limits]`, relative
//! paths, the autonomy profile, the locations; then `Config::validate`.

use std::path::{Path, PathBuf};

use clubos_domain::{AutonomyProfile, CountryCode, Limits};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::Config;
use crate::bookings::BookingsConfig;
use crate::error::{ConfigError, ErrorKind};
use crate::http::HttpConfig;
use crate::location::RawLocation;
use crate::sections::{
    AgentConfig, ConnectorsConfig, ConsoleConfig, LlmConfig, NotifyConfig, ServerConfig, SignalsConfig, TimeRules,
};
use crate::values::LlmChoice;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: ServerConfig,
    #[serde(default)]
    agent: RawAgent,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    time_rules: TimeRules,
    #[serde(default)]
    signals: SignalsConfig,
    #[serde(default)]
    llm: LlmConfig,
    #[serde(default)]
    connectors: ConnectorsConfig,
    #[serde(default)]
    bookings: BookingsConfig,
    #[serde(default)]
    notify: NotifyConfig,
    #[serde(default)]
    console: ConsoleConfig,
    #[serde(default)]
    privacy: crate::privacy::PrivacyConfig,
    #[serde(default)]
    http: HttpConfig,
    #[serde(default)]
    locations: Vec<RawLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawAgent {
    autonomy_profile: Option<PathBuf>,
    llm: LlmChoice,
    llm_timeout_seconds: Option<u64>,
    thread_llm_interval_seconds: Option<u64>,
    max_tokens_per_response: Option<u32>,
    default_country: Option<u16>,
    workers: Option<u32>,
}

/// Keys that live in `[agent]` (DESIGN §4) and are copied into `Limits`.
const SHARED: [&str; 2] = ["thread_llm_interval_seconds", "max_tokens_per_response"];

/// Parses and validates `text`, the contents of `file`. Relative paths in it
/// are resolved against `file`'s directory.
pub(crate) fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
    let doc = DeTable::parse(text).map_err(|e| ConfigError::from_toml(file, text, None, &e))?;
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, Some(doc.get_ref()), &e))?;
    let in_limits = SHARED.map(|k| has_key(doc.get_ref(), "limits", k));
    let dir = file.parent().unwrap_or(Path::new(""));
    let bad = |key: &str, why: String| ConfigError::at(file, key, why);

    let a = raw.agent;
    let mut limits = raw.limits;
    merge(file, SHARED[0], a.thread_llm_interval_seconds, &mut limits.thread_llm_interval_seconds, in_limits[0])?;
    merge(file, SHARED[1], a.max_tokens_per_response, &mut limits.max_tokens_per_response, in_limits[1])?;
    limits.validate().map_err(|why| {
        let (k, reason) = why.split_once(' ').unwrap_or(("", why.as_str()));
        let section = match SHARED.iter().position(|s| *s == k) {
            Some(i) if !in_limits[i] => "agent",
            _ => "limits",
        };
        bad(&format!("{section}.{k}"), reason.to_owned())
    })?;

    let default_country = match a.default_country {
        None => CountryCode::NANP,
        Some(c) => CountryCode::new(c).map_err(|e| bad("agent.default_country", e.to_string()))?,
    };
    let autonomy_profile = match &a.autonomy_profile {
        None => None,
        Some(p) if p.as_os_str().is_empty() => {
            return Err(bad("agent.autonomy_profile", "must not be empty".into()));
        }
        Some(p) => Some(dir.join(p)),
    };
    let autonomy = match &autonomy_profile {
        None => AutonomyProfile::seed(),
        Some(path) => load_profile(file, path)?,
    };
    let agent = AgentConfig {
        autonomy_profile,
        llm: a.llm,
        llm_timeout_seconds: a.llm_timeout_seconds.unwrap_or(10),
        thread_llm_interval_seconds: limits.thread_llm_interval_seconds,
        max_tokens_per_response: limits.max_tokens_per_response,
        default_country,
        workers: a.workers.unwrap_or(16),
    };

    let mut connectors = raw.connectors;
    if let Some(u) = &mut connectors.unifi_access {
        if let Some(ca) = &u.ca_file {
            let path = dir.join(ca);
            if !path.is_file() {
                let why = format!("no such file: {}", path.display());
                return Err(bad("connectors.unifi_access.ca_file", why));
            }
            u.ca_file = Some(path);
        }
        if let Some(pin) = &u.pinned_sha256 {
            let hex: String = pin.chars().filter(|c| *c != ':').collect();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let why = "must be the certificate's SHA-256: 64 hex digits, `:` separators allowed";
                return Err(bad("connectors.unifi_access.pinned_sha256", why.into()));
            }
            u.pinned_sha256 = Some(hex.to_ascii_lowercase());
        }
    }

    let mut server = raw.server;
    if let Some(ca) = &server.database_ca_file {
        if ca.as_os_str().is_empty() {
            return Err(bad("server.database_ca_file", "must not be empty".into()));
        }
        let path = dir.join(ca);
        if !path.is_file() {
            return Err(bad("server.database_ca_file", format!("no such file: {}", path.display())));
        }
        server.database_ca_file = Some(path);
    }
    let mut http = raw.http;
    for (key, f) in [("http.tls_cert_file", &mut http.tls_cert_file), ("http.tls_key_file", &mut http.tls_key_file)] {
        if let Some(p) = f {
            let path = dir.join(&*p);
            if p.as_os_str().is_empty() || !path.is_file() {
                return Err(bad(key, format!("no such file: {}", path.display())));
            }
            *f = Some(path);
        }
    }
    let locations = raw.locations.into_iter().enumerate().map(|(i, l)| l.build(file, i)).collect::<Result<_, _>>()?;
    let config = Config {
        file: Some(file.to_owned()),
        server,
        agent,
        autonomy,
        limits,
        time_rules: raw.time_rules,
        signals: raw.signals,
        llm: raw.llm,
        connectors,
        bookings: raw.bookings,
        notify: raw.notify,
        console: raw.console,
        privacy: raw.privacy,
        http,
        locations,
    };
    config.validate()?;
    Ok(config)
}

/// Copies `agent.<key>` into the limits; refuses two different values.
fn merge<T: Copy + PartialEq + std::fmt::Display>(
    file: &Path,
    key: &str,
    from_agent: Option<T>,
    limit: &mut T,
    set_in_limits: bool,
) -> Result<(), ConfigError> {
    let Some(v) = from_agent else {
        return Ok(());
    };
    if set_in_limits && *limit != v {
        return Err(ConfigError::at(
            file,
            format!("limits.{key}"),
            format!("is {limit} but `agent.{key}` is {v}; set it in one place only ([agent] is the documented one)"),
        ));
    }
    *limit = v;
    Ok(())
}

fn has_key(doc: &DeTable<'_>, table: &str, key: &str) -> bool {
    doc.iter()
        .find(|(k, _)| k.get_ref() == table)
        .and_then(|(_, v)| match v.get_ref() {
            DeValue::Table(t) => Some(t.iter().any(|(k, _)| k.get_ref() == key)),
            _ => None,
        })
        .unwrap_or(false)
}

/// Reads and parses the autonomy profile; its errors name that file.
fn load_profile(file: &Path, path: &Path) -> Result<AutonomyProfile, ConfigError> {
    let text = crate::read_capped(path)
        .map_err(|e| ConfigError::at(file, "agent.autonomy_profile", format!("cannot read {}: {e}", path.display())))?;
    AutonomyProfile::from_json(&text).map_err(|e| ConfigError {
        file: path.to_owned(),
        key: e.key,
        reason: e.problem,
        position: None,
        kind: ErrorKind::AutonomyProfile { category: e.category },
    })
}
