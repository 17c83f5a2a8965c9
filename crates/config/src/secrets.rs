//! Secrets: the config file names environment variables (`*_env` keys);
//! [`Config::resolve_secrets`] reads them. A value never appears in `Debug`,
//! `Display` or an error message.

use std::fmt;

use crate::Config;
use crate::error::{ConfigError, ErrorKind};
use crate::values::{BookingProvider, ConnectorMode, EnvVar, LlmChoice};

/// A secret value. `Debug` and `Display` print `[redacted]`; read it with
/// [`Secret::expose`] where it is sent, nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Every secret the deployment uses, read from the environment. `None` means
/// not configured, or optional and unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `server.api_token_env`: admin bearer token for `/api/*` (optional).
    pub api_token: Option<Secret>,
    pub database_password: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub anthropic_api_key: Option<Secret>,
    pub openphone_api_key: Option<Secret>,
    pub openphone_webhook_secret: Option<Secret>,
    pub ninjaone_client_id: Option<Secret>,
    pub ninjaone_client_secret: Option<Secret>,
    pub unifi_access_token: Option<Secret>,
    pub bookings_api_key: Option<Secret>,
    pub bookings_webhook_secret: Option<Secret>,
    pub slack_webhook_url: Option<Secret>,
}

/// One environment variable the configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRequirement {
    /// The key that names it (`connectors.openphone.api_key_env`).
    pub key: &'static str,
    pub var: EnvVar,
    /// Missing → [`Config::resolve_secrets`] fails; otherwise it is optional.
    pub required: bool,
}

impl Config {
    /// The environment variables this configuration reads, in a stable order.
    pub fn env_requirements(&self) -> Vec<EnvRequirement> {
        self.slots().into_iter().map(|(_, r)| r).collect()
    }

    /// Reads every named variable through `env` (normally
    /// `&|k| std::env::var(k).ok()`). A required variable that is unset or
    /// empty is an error naming the key and the variable, never a value.
    pub fn resolve_secrets(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Secrets, ConfigError> {
        let mut s = Secrets::default();
        for (slot, req) in self.slots() {
            let value = env(req.var.as_str()).filter(|v| !v.is_empty());
            if value.is_none() && req.required {
                let why = match env(req.var.as_str()) {
                    Some(_) => "is set but empty",
                    None => "is not set",
                };
                return Err(ConfigError {
                    kind: ErrorKind::Environment,
                    ..ConfigError::at(
                        &self.display_file(),
                        req.key,
                        format!("environment variable `{}` {why}", req.var),
                    )
                });
            }
            *slot.of(&mut s) = value.map(Secret);
        }
        Ok(s)
    }

    fn slots(&self) -> Vec<(Slot, EnvRequirement)> {
        use Slot::*;
        let mut out = Vec::new();
        let mut add = |slot, key, var: Option<&EnvVar>, required| {
            if let Some(var) = var {
                out.push((slot, EnvRequirement { key, var: var.clone(), required }));
            }
        };
        add(ApiToken, "server.api_token_env", Some(&self.server.api_token_env), false);
        add(DbPassword, "server.database_password_env", self.server.database_password_env.as_ref(), true);
        if let Some(o) = &self.llm.openai {
            let used = self.agent.llm == LlmChoice::OpenAi;
            add(OpenAi, "llm.openai.api_key_env", o.api_key_env.as_ref(), used);
        }
        if let Some(a) = &self.llm.anthropic {
            add(Anthropic, "llm.anthropic.api_key_env", Some(&a.api_key_env), true);
        }
        let c = &self.connectors;
        if let Some(o) = &c.openphone {
            let live = o.mode == ConnectorMode::Live;
            add(OpenPhoneKey, "connectors.openphone.api_key_env", o.api_key_env.as_ref(), live);
            add(OpenPhoneWebhook, "connectors.openphone.webhook_secret_env", o.webhook_secret_env.as_ref(), live);
        }
        if let Some(n) = &c.ninjaone {
            let live = n.mode == ConnectorMode::Live;
            add(NinjaId, "connectors.ninjaone.client_id_env", n.client_id_env.as_ref(), live);
            add(NinjaSecret, "connectors.ninjaone.client_secret_env", n.client_secret_env.as_ref(), live);
        }
        if let Some(u) = &c.unifi_access {
            let live = u.mode == ConnectorMode::Live;
            add(Unifi, "connectors.unifi_access.token_env", u.token_env.as_ref(), live);
        }
        let b = &self.bookings;
        let external = b.provider != BookingProvider::Local;
        add(BookingsKey, "bookings.api_key_env", b.api_key_env.as_ref(), external);
        add(BookingsWebhook, "bookings.webhook_secret_env", b.webhook_secret_env.as_ref(), external);
        if let Some(sl) = &self.notify.slack {
            add(Slack, "notify.slack.webhook_url_env", Some(&sl.webhook_url_env), true);
        }
        out
    }
}

#[derive(Clone, Copy)]
enum Slot {
    ApiToken,
    DbPassword,
    OpenAi,
    Anthropic,
    OpenPhoneKey,
    OpenPhoneWebhook,
    NinjaId,
    NinjaSecret,
    Unifi,
    BookingsKey,
    BookingsWebhook,
    Slack,
}

impl Slot {
    fn of(self, s: &mut Secrets) -> &mut Option<Secret> {
        match self {
            Slot::ApiToken => &mut s.api_token,
            Slot::DbPassword => &mut s.database_password,
            Slot::OpenAi => &mut s.openai_api_key,
            Slot::Anthropic => &mut s.anthropic_api_key,
            Slot::OpenPhoneKey => &mut s.openphone_api_key,
            Slot::OpenPhoneWebhook => &mut s.openphone_webhook_secret,
            Slot::NinjaId => &mut s.ninjaone_client_id,
            Slot::NinjaSecret => &mut s.ninjaone_client_secret,
            Slot::Unifi => &mut s.unifi_access_token,
            Slot::BookingsKey => &mut s.bookings_api_key,
            Slot::BookingsWebhook => &mut s.bookings_webhook_secret,
            Slot::Slack => &mut s.slack_webhook_url,
        }
    }
}
