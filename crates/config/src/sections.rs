//! The typed sections of the configuration that deserialise straight from
//! TOML (`deny_unknown_fields` everywhere). Cross-key rules live in
//! `validate.rs`; `[agent]` and `[[locations]]` are built in `build.rs`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clubos_domain::{PhoneNumber, SignalDetector};
use jiff::SignedDuration;
use serde::Deserialize;

use crate::values::{BaseUrl, ConnectorMode, DatabaseUrl, EnvVar, LlmChoice, SqliteSynchronous, de_listen};

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// IP address and port of the HTTP server (`127.0.0.1:8080`).
    #[serde(deserialize_with = "de_listen")]
    pub listen: SocketAddr,
    /// `sqlite://clubos.db` by default.
    pub database_url: DatabaseUrl,
    /// Names the variable holding the Postgres password (never in the URL).
    pub database_password_env: Option<EnvVar>,
    /// Names the variable whose value is the admin bearer token for `/api/*`.
    pub api_token_env: EnvVar,
    /// SQLite only; ignored for Postgres.
    pub sqlite_synchronous: SqliteSynchronous,
    /// PostgreSQL only: connections in each instance's pool (1 to 1000).
    pub database_pool_size: u32,
    /// PostgreSQL only: PEM file of the CA that signed the database's
    /// certificate, resolved against the config file's directory. With it
    /// the certificate chain is checked (as libpq's `sslrootcert`).
    pub database_ca_file: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            database_url: DatabaseUrl::default(),
            database_password_env: None,
            api_token_env: EnvVar::known("CLUBOS_API_TOKEN"),
            sqlite_synchronous: SqliteSynchronous::Normal,
            database_pool_size: 10,
            database_ca_file: None,
        }
    }
}

/// `[agent]`, after the autonomy path is resolved and the limits merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// The autonomy profile file, resolved against the config file's
    /// directory; `None` means the seed profile.
    pub autonomy_profile: Option<PathBuf>,
    pub llm: LlmChoice,
    pub llm_timeout_seconds: u64,
    /// Same value as `Limits::thread_llm_interval_seconds`.
    pub thread_llm_interval_seconds: u64,
    /// Same value as `Limits::max_tokens_per_response`.
    pub max_tokens_per_response: u32,
    /// Country code for phone numbers written without one (1 = North America).
    pub default_country: clubos_domain::CountryCode,
    /// Worker tasks that process the queue.
    pub workers: u32,
}

impl AgentConfig {
    pub fn llm_timeout(&self) -> SignedDuration {
        SignedDuration::from_secs(i64::try_from(self.llm_timeout_seconds).unwrap_or(i64::MAX))
    }
}

/// `[time_rules]`: the scheduler's escalation clocks, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeRules {
    /// Escalate a thread with no resolution after this long (15).
    pub no_resolution_minutes: u32,
    /// Escalate when a customer has waited for an answer this long (5).
    pub customer_waiting_minutes: u32,
    /// Time out a thread idle this long (30).
    pub idle_timeout_minutes: u32,
    /// Same phone, similar intent within this long joins the open thread (30).
    pub thread_join_minutes: u32,
}

impl Default for TimeRules {
    fn default() -> Self {
        Self {
            no_resolution_minutes: 15,
            customer_waiting_minutes: 5,
            idle_timeout_minutes: 30,
            thread_join_minutes: 30,
        }
    }
}

impl TimeRules {
    pub(crate) const KEYS: [&'static str; 4] =
        ["no_resolution_minutes", "customer_waiting_minutes", "idle_timeout_minutes", "thread_join_minutes"];

    pub(crate) fn values(&self) -> [u32; 4] {
        [self.no_resolution_minutes, self.customer_waiting_minutes, self.idle_timeout_minutes, self.thread_join_minutes]
    }

    pub fn no_resolution(&self) -> SignedDuration {
        mins(self.no_resolution_minutes)
    }
    pub fn customer_waiting(&self) -> SignedDuration {
        mins(self.customer_waiting_minutes)
    }
    pub fn idle_timeout(&self) -> SignedDuration {
        mins(self.idle_timeout_minutes)
    }
    pub fn thread_join(&self) -> SignedDuration {
        mins(self.thread_join_minutes)
    }
}

fn mins(m: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(m))
}

/// `[signals]`: phrase lists that replace the built-in defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalsConfig {
    pub emergency_phrases: Option<Vec<String>>,
    pub negative_phrases: Option<Vec<String>>,
}

impl SignalsConfig {
    /// The detector these lists (or the defaults) describe.
    pub fn detector(&self) -> SignalDetector {
        use clubos_domain::signals::{DEFAULT_EMERGENCY_PHRASES, DEFAULT_NEGATIVE_PHRASES};
        let pick = |list: &Option<Vec<String>>, default: &'static [&'static str]| -> Vec<String> {
            list.clone().unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect())
        };
        let (e, n) = (
            pick(&self.emergency_phrases, DEFAULT_EMERGENCY_PHRASES),
            pick(&self.negative_phrases, DEFAULT_NEGATIVE_PHRASES),
        );
        SignalDetector::new(e.iter().map(String::as_str), n.iter().map(String::as_str))
    }
}

/// `[llm.*]`: LLM providers; absent = not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub openai: Option<OpenAiConfig>,
    pub anthropic: Option<AnthropicConfig>,
    /// `[[llm.prices]]`: what each model costs, for the cost metric.
    pub prices: Vec<ModelPrice>,
}

/// `[[llm.prices]]`: a model's price per million tokens, in US dollars.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub model: String,
    pub input_usd_per_million: Usd,
    pub output_usd_per_million: Usd,
}

impl ModelPrice {
    /// The dollars `tokens_in` + `tokens_out` cost at this price.
    pub fn cost(&self, tokens_in: u32, tokens_out: u32) -> f64 {
        (f64::from(tokens_in) * self.input_usd_per_million.dollars()
            + f64::from(tokens_out) * self.output_usd_per_million.dollars())
            / 1_000_000.0
    }
}

/// An amount of US dollars, held in millionths so configs compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usd(u64);

impl Usd {
    pub fn dollars(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        if !x.is_finite() || !(0.0..=100_000.0).contains(&x) {
            return Err(serde::de::Error::custom(format!("{x} is not a price from 0 to 100000 dollars")));
        }
        Ok(Usd((x * 1_000_000.0).round() as u64))
    }
}

/// `[llm.openai]`: any OpenAI-compatible `/chat/completions` server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiConfig {
    #[serde(default = "openai_url")]
    pub base_url: BaseUrl,
    /// Absent: no `Authorization` header (a local server).
    pub api_key_env: Option<EnvVar>,
    /// Model for complex cases.
    pub complex_model: String,
    /// Model for FAQ and look-ups; defaults to `complex_model`.
    pub cheap_model: Option<String>,
}

impl OpenAiConfig {
    pub fn cheap_model(&self) -> &str {
        self.cheap_model.as_deref().unwrap_or(&self.complex_model)
    }
}

/// `[llm.anthropic]`: Claude, for SOP work (and classification when `agent.llm = "anthropic"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnthropicConfig {
    #[serde(default = "anthropic_url")]
    pub base_url: BaseUrl,
    pub api_key_env: EnvVar,
    pub model: String,
}

fn openai_url() -> BaseUrl {
    BaseUrl::known("https://api.openai.com/v1")
}

fn anthropic_url() -> BaseUrl {
    BaseUrl::known("https://api.anthropic.com")
}

/// `[connectors.*]`: absent = not configured (actions needing it escalate).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectorsConfig {
    pub openphone: Option<OpenPhoneConfig>,
    pub ninjaone: Option<NinjaOneConfig>,
    pub unifi_access: Option<UnifiAccessConfig>,
}

/// `[connectors.openphone]`: SMS in (webhook) and out. Live needs
/// `base_url`, `api_key_env` and a sender (`from_number` or every location's
/// `phone_number`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenPhoneConfig {
    pub mode: ConnectorMode,
    pub base_url: Option<BaseUrl>,
    pub api_key_env: Option<EnvVar>,
    /// Default sender; a location's `phone_number` wins for its threads.
    pub from_number: Option<PhoneNumber>,
    /// Webhook signing key; absent = signatures are not checked.
    pub webhook_secret_env: Option<EnvVar>,
}

/// `[connectors.ninjaone]`: TrackMan resets and PC reboots. Live needs
/// `base_url`, `client_id_env`, `client_secret_env` and `reset_script_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NinjaOneConfig {
    pub mode: ConnectorMode,
    pub base_url: Option<BaseUrl>,
    pub client_id_env: Option<EnvVar>,
    pub client_secret_env: Option<EnvVar>,
    /// The NinjaOne script that restarts TrackMan on a bay PC.
    pub reset_script_id: Option<u64>,
    /// The script's `parameters` string, when it takes any.
    pub reset_script_parameters: Option<String>,
}

/// `[connectors.unifi_access]`: door unlocks. Live needs `base_url` and `token_env`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnifiAccessConfig {
    pub mode: ConnectorMode,
    pub base_url: Option<BaseUrl>,
    pub token_env: Option<EnvVar>,
    /// PEM CA bundle for the controller's self-signed certificate; resolved
    /// against the config file's directory.
    pub ca_file: Option<PathBuf>,
    /// SHA-256 of the controller's certificate: 64 hex digits (`:` allowed),
    /// normalised to lowercase without separators.
    pub pinned_sha256: Option<String>,
    /// Skip certificate checks entirely (lab use only).
    pub insecure_tls: bool,
}

/// `[notify.*]`: where operator alerts go besides the in-app list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    pub slack: Option<SlackConfig>,
    pub sms: Option<SmsConfig>,
}

/// `[notify.slack]`: an incoming-webhook URL (a secret, so from the environment).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub webhook_url_env: EnvVar,
}

/// `[notify.sms]`: texts the on-call operator through OpenPhone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub on_call_number: PhoneNumber,
}

/// `[console]`: the operator console's sessions and logins.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Mark the session cookie `Secure` (set it when browsers reach ClubOS
    /// over HTTPS, directly or through a proxy).
    pub cookie_secure: bool,
    /// A session ends after this long without a request (480 = 8 h).
    pub session_idle_minutes: u32,
    /// Failed logins per account or client address before a lockout (5).
    pub login_max_failures: u32,
    /// How long failures count and a lockout lasts, in minutes (15).
    pub login_lockout_minutes: u32,
    /// Behind a reverse proxy or load balancer: the header it sets to the
    /// client's address (e.g. `x-forwarded-for`; its last entry is used,
    /// the one the proxy appended). Unset: the TCP peer's address. Set it
    /// only when ClubOS is reachable through the proxy alone.
    pub client_ip_header: Option<String>,
    /// The proxies' addresses (or CIDR ranges): `client_ip_header` is read
    /// only from a TCP peer in one of them, else the peer itself counts.
    /// Required with `client_ip_header`.
    pub trusted_proxies: Vec<crate::http::IpRange>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            cookie_secure: false,
            session_idle_minutes: 480,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            client_ip_header: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl ConsoleConfig {
    pub fn session_idle(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.session_idle_minutes))
    }

    pub fn throttle(&self) -> clubos_domain::Throttle {
        let m = SignedDuration::from_mins(i64::from(self.login_lockout_minutes));
        clubos_domain::Throttle { max_failures: self.login_max_failures, window: m, lockout: m }
    }
}
