//! `clubos check-config FILE`: load and validate (config and autonomy
//! profile, nothing from the environment) and describe the deployment briefly.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clubos_domain::{Connector, LocationId};

use crate::Config;
use crate::error::ConfigError;
use crate::secrets::EnvRequirement;
use crate::values::{BookingProvider, ConnectorMode, LlmChoice};

/// What `check-config` prints after "OK".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub file: PathBuf,
    pub listen: SocketAddr,
    pub database: String,
    pub llm: LlmChoice,
    /// `[llm.anthropic]` is configured (Claude does the SOP work).
    pub claude: bool,
    /// The profile file, or `None` for the built-in seed profile.
    pub autonomy_profile: Option<PathBuf>,
    /// Every connector; `None` = not configured.
    pub connectors: Vec<(Connector, Option<ConnectorMode>)>,
    pub bookings: BookingProvider,
    pub locations: Vec<LocationSummary>,
    /// Variables read at start (`serve`); `check-config` does not read them.
    pub env: Vec<EnvRequirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationSummary {
    pub id: LocationId,
    pub name: String,
    pub timezone: String,
    pub bays: usize,
    pub doors: usize,
}

/// Loads `path` (and its autonomy profile) and summarises it. Reads no
/// environment variable.
pub fn check(path: &Path) -> Result<Summary, ConfigError> {
    Config::load(path).map(|c| c.summary())
}

impl Config {
    pub fn summary(&self) -> Summary {
        let c = &self.connectors;
        Summary {
            file: self.display_file(),
            listen: self.server.listen,
            database: self.server.database_url.to_string(),
            llm: self.agent.llm,
            claude: self.llm.anthropic.is_some(),
            autonomy_profile: self.agent.autonomy_profile.clone(),
            connectors: vec![
                (Connector::Openphone, c.openphone.as_ref().map(|x| x.mode)),
                (Connector::Ninjaone, c.ninjaone.as_ref().map(|x| x.mode)),
                (Connector::UnifiAccess, c.unifi_access.as_ref().map(|x| x.mode)),
            ],
            bookings: self.bookings.provider,
            locations: self
                .locations
                .iter()
                .map(|l| LocationSummary {
                    id: l.id.clone(),
                    name: l.name.clone(),
                    timezone: l.timezone_name().to_owned(),
                    bays: l.bays.len(),
                    doors: l.doors.len(),
                })
                .collect(),
            env: self.env_requirements(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: OK", self.file.display())?;
        writeln!(f, "  server: {} (database {})", self.listen, self.database)?;
        let claude = if self.claude { "configured" } else { "not configured" };
        writeln!(f, "  llm: {} (Claude for SOP work: {claude})", self.llm)?;
        match &self.autonomy_profile {
            Some(p) => writeln!(f, "  autonomy profile: {}", p.display())?,
            None => writeln!(f, "  autonomy profile: seed (built in)")?,
        }
        let connectors: Vec<String> = self
            .connectors
            .iter()
            .map(|(c, mode)| match mode {
                Some(m) => format!("{c} {m}"),
                None => format!("{c} not configured"),
            })
            .collect();
        writeln!(f, "  connectors: {}", connectors.join(", "))?;
        writeln!(f, "  bookings: {}", self.bookings)?;
        writeln!(f, "  locations ({}):", self.locations.len())?;
        for l in &self.locations {
            writeln!(
                f,
                "    {} \"{}\" {}, {} bay{}, {} door{}",
                l.id,
                l.name,
                l.timezone,
                l.bays,
                plural(l.bays),
                l.doors,
                plural(l.doors)
            )?;
        }
        if self.env.is_empty() {
            return Ok(());
        }
        writeln!(f, "  environment variables read by `clubos serve`:")?;
        for e in &self.env {
            let need = if e.required { "required" } else { "optional" };
            writeln!(f, "    {} ({need}, from {})", e.var, e.key)?;
        }
        Ok(())
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
