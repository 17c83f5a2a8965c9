//! Rules that involve more than one key: at least one location, unique ids,
//! the LLM section `agent.llm` needs, what a live connector needs, bounds.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;

use crate::Config;
use crate::error::ConfigError;
use crate::sections::TimeRules;
use crate::values::{ConnectorMode, DatabaseUrl, LlmChoice};

type Result<T = ()> = std::result::Result<T, ConfigError>;

const LIVE: &str = "is required when the connector's mode is \"live\" (or set mode = \"sandbox\")";

impl Config {
    /// Checks every rule that spans keys. [`Config::load`] calls it; call it
    /// again after changing a `Config` in code.
    pub fn validate(&self) -> Result {
        let file = self.display_file();
        let bad = |key: String, why: String| Err(ConfigError::at(&file, key, why));
        self.validate_locations(&file)?;
        self.validate_connectors(&file)?;
        self.validate_database(&file)?;

        let a = &self.agent;
        if !(1..=600).contains(&a.llm_timeout_seconds) {
            return bad("agent.llm_timeout_seconds".into(), "must be from 1 to 600".into());
        }
        if !(1..=256).contains(&a.workers) {
            return bad("agent.workers".into(), "must be from 1 to 256".into());
        }
        if a.thread_llm_interval_seconds != self.limits.thread_llm_interval_seconds
            || a.max_tokens_per_response != self.limits.max_tokens_per_response
        {
            return bad("agent".into(), "differs from [limits]; keep them equal".into());
        }
        if let Err(why) = self.limits.validate() {
            let (k, reason) = why.split_once(' ').unwrap_or(("", why.as_str()));
            return bad(format!("limits.{k}"), reason.to_owned());
        }
        let (section, missing) = match a.llm {
            LlmChoice::OpenAi => ("openai", self.llm.openai.is_none()),
            LlmChoice::Anthropic => ("anthropic", self.llm.anthropic.is_none()),
            LlmChoice::Local => ("", false),
        };
        if missing {
            return bad("agent.llm".into(), format!("is \"{section}\" but there is no [llm.{section}] section"));
        }
        if let Some(o) = &self.llm.openai {
            nonempty(&file, "llm.openai.complex_model", Some(&o.complex_model))?;
            nonempty(&file, "llm.openai.cheap_model", o.cheap_model.as_ref())?;
        }
        if let Some(c) = &self.llm.anthropic {
            nonempty(&file, "llm.anthropic.model", Some(&c.model))?;
        }
        for (k, v) in TimeRules::KEYS.iter().zip(self.time_rules.values()) {
            if !(1..=10_080).contains(&v) {
                return bad(format!("time_rules.{k}"), "must be from 1 to 10080 (a week)".into());
            }
        }
        for (k, list) in [
            ("emergency_phrases", &self.signals.emergency_phrases),
            ("negative_phrases", &self.signals.negative_phrases),
        ] {
            let Some(list) = list else { continue };
            if list.is_empty() {
                return bad(
                    format!("signals.{k}"),
                    "must not be empty; leave the key out for the built-in list".into(),
                );
            }
            if let Some(i) = list.iter().position(|p| !p.chars().any(char::is_alphanumeric)) {
                return bad(format!("signals.{k}[{i}]"), "must contain a letter or digit".into());
            }
        }
        self.bookings.validate(&file)?;
        let co = &self.console;
        if !(5..=10_080).contains(&co.session_idle_minutes) {
            return bad("console.session_idle_minutes".into(), "must be from 5 to 10080 (a week)".into());
        }
        if !(1..=100).contains(&co.login_max_failures) {
            return bad("console.login_max_failures".into(), "must be from 1 to 100".into());
        }
        if !(1..=1440).contains(&co.login_lockout_minutes) {
            return bad("console.login_lockout_minutes".into(), "must be from 1 to 1440 (a day)".into());
        }
        if let Some(h) = &co.client_ip_header
            && invalid_header_name(h)
        {
            return bad("console.client_ip_header".into(), format!("`{h}` is not an HTTP header name"));
        }
        if let Err(why) = self.privacy.validate() {
            return bad("privacy.retention_days".into(), why);
        }
        if co.client_ip_header.is_some() == co.trusted_proxies.is_empty() {
            let why = "set both client_ip_header and trusted_proxies (the proxies' addresses), or neither";
            return bad("console.trusted_proxies".into(), why.into());
        }
        if let Err((key, why)) = self.http.check() {
            return bad(key, why);
        }
        if self.notify.sms.is_some() && self.connectors.openphone.is_none() {
            return bad(
                "notify.sms".into(),
                "sends through OpenPhone, but [connectors.openphone] is not configured".into(),
            );
        }
        Ok(())
    }

    fn validate_database(&self, file: &Path) -> Result {
        let s = &self.server;
        let postgres = matches!(s.database_url, DatabaseUrl::Postgres(_));
        if !(1..=1000).contains(&s.database_pool_size) {
            return Err(ConfigError::at(file, "server.database_pool_size", "must be from 1 to 1000"));
        }
        if s.database_ca_file.is_some() && !postgres {
            return Err(ConfigError::at(file, "server.database_ca_file", "applies to a postgres:// database only"));
        }
        Ok(())
    }

    fn validate_locations(&self, file: &Path) -> Result {
        if self.locations.is_empty() {
            return Err(ConfigError::at(file, "locations", "at least one [[locations]] table is required"));
        }
        let mut ids = Seen::default();
        let mut phones = Seen::default();
        let mut devices = Seen::default();
        let mut unifi_doors = Seen::default();
        for (i, l) in self.locations.iter().enumerate() {
            let at = |k: &str| format!("locations[{i}].{k}");
            ids.once(file, &l.id, at("id"), "location id")?;
            if let Some(p) = &l.phone_number {
                phones.once(file, p, at("phone_number"), "phone number")?;
            }
            let mut bays = Seen::default();
            for (j, b) in l.bays.iter().enumerate() {
                bays.once(file, &b.number, at(&format!("bays[{j}].number")), "bay number")?;
                if let Some(d) = b.ninjaone_device_id {
                    let key = at(&format!("bays[{j}].ninjaone_device_id"));
                    devices.once(file, &d, key, "NinjaOne device id")?;
                }
            }
            let mut doors = Seen::default();
            for (j, d) in l.doors.iter().enumerate() {
                doors.once(file, &d.id, at(&format!("doors[{j}].id")), "door id")?;
                if let Some(u) = &d.unifi_door_id {
                    let key = at(&format!("doors[{j}].unifi_door_id"));
                    unifi_doors.once(file, u, key, "UniFi door id")?;
                }
            }
        }
        Ok(())
    }

    fn validate_connectors(&self, file: &Path) -> Result {
        let c = &self.connectors;
        let need = |ok: bool, key: &str| {
            if ok { Ok(()) } else { Err(ConfigError::at(file, format!("connectors.{key}"), LIVE)) }
        };
        if let Some(o) = c.openphone.as_ref().filter(|o| o.mode == ConnectorMode::Live) {
            need(o.base_url.is_some(), "openphone.base_url")?;
            need(o.api_key_env.is_some(), "openphone.api_key_env")?;
            let no_number = self.locations.iter().position(|l| l.phone_number.is_none());
            if let (None, Some(i)) = (&o.from_number, no_number) {
                return Err(ConfigError::at(
                    file,
                    "connectors.openphone.from_number",
                    format!(
                        "is required for a live connector unless every location has a \
                         phone_number (locations[{i}] has none)"
                    ),
                ));
            }
        }
        if let Some(n) = c.ninjaone.as_ref().filter(|n| n.mode == ConnectorMode::Live) {
            need(n.base_url.is_some(), "ninjaone.base_url")?;
            need(n.client_id_env.is_some(), "ninjaone.client_id_env")?;
            need(n.client_secret_env.is_some(), "ninjaone.client_secret_env")?;
            need(n.reset_script_id.is_some(), "ninjaone.reset_script_id")?;
            for (i, l) in self.locations.iter().enumerate() {
                if let Some(j) = l.bays.iter().position(|b| b.ninjaone_device_id.is_none()) {
                    return Err(ConfigError::at(
                        file,
                        format!("locations[{i}].bays[{j}].ninjaone_device_id"),
                        "is required when [connectors.ninjaone] is live",
                    ));
                }
            }
        }
        if let Some(u) = &c.unifi_access {
            if u.insecure_tls && (u.ca_file.is_some() || u.pinned_sha256.is_some()) {
                return Err(ConfigError::at(
                    file,
                    "connectors.unifi_access.insecure_tls",
                    "cannot be true together with ca_file or pinned_sha256; choose one way to \
                     trust the controller",
                ));
            }
            if u.mode == ConnectorMode::Live {
                need(u.base_url.is_some(), "unifi_access.base_url")?;
                need(u.token_env.is_some(), "unifi_access.token_env")?;
                for (i, l) in self.locations.iter().enumerate() {
                    if let Some(j) = l.doors.iter().position(|d| d.unifi_door_id.is_none()) {
                        return Err(ConfigError::at(
                            file,
                            format!("locations[{i}].doors[{j}].unifi_door_id"),
                            "is required when [connectors.unifi_access] is live",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn nonempty(file: &Path, key: &str, v: Option<&String>) -> Result {
    match v {
        Some(s) if s.trim().is_empty() => Err(ConfigError::at(file, key, "must not be empty")),
        _ => Ok(()),
    }
}

/// Remembers where each value was first seen, to name both places of a duplicate.
struct Seen<T>(HashMap<T, String>);

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<T: Hash + Eq + Clone + std::fmt::Display> Seen<T> {
    fn once(&mut self, file: &Path, value: &T, key: String, what: &str) -> Result {
        if let Some(first) = self.0.get(value) {
            return Err(ConfigError::at(file, key, format!("duplicate {what} `{value}` (already used at `{first}`)")));
        }
        self.0.insert(value.clone(), key);
        Ok(())
    }
}

/// Whether `h` is not a valid HTTP header name (token characters only).
fn invalid_header_name(h: &str) -> bool {
    h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
