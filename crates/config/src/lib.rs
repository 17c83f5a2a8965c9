//! ClubOS deployment configuration: a TOML file turned into a validated,
//! typed [`Config`], or a [`ConfigError`] naming the file, the key and why.
//!
//! - [`Config::load`] reads the file; every table refuses unknown keys; the
//!   autonomy profile (`agent.autonomy_profile`, relative to the config
//!   file) is loaded with `AutonomyProfile::from_json`, or the seed profile.
//! - [`Config::demo`] is the embedded sandbox deployment.
//! - The file never holds secrets, only the NAMES of environment variables
//!   (`*_env`); [`Config::resolve_secrets`] reads them into [`Secrets`].
//! - [`check`] backs `clubos check-config FILE`.
//!
//! Every key, its type, default and meaning: `docs/CONFIGURATION.md`.

mod bookings;
mod build;
mod demo;
mod error;
mod http;
mod location;
mod privacy;
mod secrets;
mod sections;
mod summary;
mod validate;
mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use clubos_domain::{AutonomyProfile, Limits, LocationId, PhoneNumber};

pub use bookings::{BookingFields, BookingQuery, BookingsConfig};
pub use demo::{DEMO_NAME, DEMO_TOML};
pub use error::{ConfigError, ErrorKind, Position};
pub use http::{HttpConfig, IpRange, RouteLimit};
pub use location::{BayConfig, DoorConfig, LocationConfig};
pub use privacy::{MAX_RETENTION_DAYS, PrivacyConfig};
pub use secrets::{EnvRequirement, Secret, Secrets};
pub use sections::{
    AgentConfig, AnthropicConfig, ConnectorsConfig, ConsoleConfig, LlmConfig, ModelPrice, NinjaOneConfig, NotifyConfig,
    OpenAiConfig, OpenPhoneConfig, ServerConfig, SignalsConfig, SlackConfig, SmsConfig, TimeRules, UnifiAccessConfig,
    Usd,
};
pub use summary::{LocationSummary, Summary, check};
pub use values::{BaseUrl, BookingProvider, ConnectorMode, DatabaseUrl, EnvVar, LlmChoice, SqliteSynchronous};

/// A validated deployment. Holds no secret (only variable names), so its
/// `Debug` is safe to log.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was loaded from; `None` for [`Config::demo`].
    pub file: Option<PathBuf>,
    pub server: ServerConfig,
    pub agent: AgentConfig,
    /// Loaded from `agent.autonomy_profile`, or the seed profile.
    pub autonomy: AutonomyProfile,
    /// `[limits]`, with `agent.thread_llm_interval_seconds` and
    /// `agent.max_tokens_per_response` copied in.
    pub limits: Limits,
    pub time_rules: TimeRules,
    pub signals: SignalsConfig,
    pub llm: LlmConfig,
    pub connectors: ConnectorsConfig,
    pub bookings: BookingsConfig,
    pub notify: NotifyConfig,
    pub console: ConsoleConfig,
    /// `[privacy]`: the retention period.
    pub privacy: PrivacyConfig,
    /// `[http]`: direct HTTPS, body size and rate limits.
    pub http: HttpConfig,
    /// At least one; ids unique.
    pub locations: Vec<LocationConfig>,
}

impl Config {
    /// Reads, parses and validates `path`, then loads the autonomy profile.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_capped(path).map_err(|e| ConfigError::read(path, &e))?;
        Self::parse(&text, path)
    }

    /// Like [`Config::load`] for text already read; `path` names the file in
    /// errors and relative paths are resolved against its directory.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        build::parse(text, path)
    }

    pub fn location(&self, id: &LocationId) -> Option<&LocationConfig> {
        self.locations.iter().find(|l| &l.id == id)
    }

    /// The location whose `phone_number` is `number` (where inbound texts to
    /// that number belong).
    pub fn location_by_phone(&self, number: &PhoneNumber) -> Option<&LocationConfig> {
        self.locations.iter().find(|l| l.phone_number.as_ref() == Some(number))
    }
}

/// The largest config or autonomy-profile file read (real ones are a few
/// KiB): a path pointed at a device or a huge file fails at once with a
/// clear error instead of stalling the start-up.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads `path` as UTF-8, refusing more than [`MAX_FILE_BYTES`].
pub(crate) fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} KiB; is it the right file?", MAX_FILE_BYTES / 1024),
        ));
    }
    Ok(text)
}
