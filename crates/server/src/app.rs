//! The running deployment's shared state: configuration, store, clock,
//! connectors, classifier, live autonomy profile, health and metrics.

use std::sync::{Arc, RwLock};

use clubos_config::{
    Config, ConnectorMode, LocationConfig, NinjaOneConfig, OpenPhoneConfig, Secret, Secrets, UnifiAccessConfig,
};
use clubos_connectors::http::ApiKey;
use clubos_connectors::ninjaone::{Credentials, NinjaConfig, NinjaOne};
use clubos_connectors::openphone::sms::{OpenPhoneSms, SmsConfig};
use clubos_connectors::openphone::webhook::WebhookSecret;
use clubos_connectors::sandbox::Sandbox;
use clubos_connectors::unifi::{Trust, UnifiAccess, UnifiConfig};
use clubos_connectors::{BayControl, ConnectorError, DoorControl, SmsSender};
use clubos_domain::{AutonomyProfile, ComponentState, Connector, Health, LocationId, SignalDetector};
use clubos_store::Store;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::health::HealthBoard;
use crate::metrics::Metrics;

/// The connectors this deployment can use; `None` is not configured.
#[derive(Debug, Clone, Default)]
pub struct Connectors {
    pub bays: Option<Arc<dyn BayControl>>,
    pub doors: Option<Arc<dyn DoorControl>>,
    pub sms: Option<Arc<dyn SmsSender>>,
    /// `[notify.slack]`: where notifications are posted.
    pub slack: Option<clubos_connectors::slack::SlackWebhook>,
    /// The sandbox facility, when any connector runs in sandbox mode (its
    /// devices can be switched to fail or hang through the admin API).
    pub sandbox: Option<Sandbox>,
}

impl Connectors {
    /// The sandbox for every connector whose section says `mode = "sandbox"`,
    /// the live client for each live one (OpenPhone, NinjaOne, UniFi Access).
    pub fn from_config(config: &Config, secrets: &Secrets, sandbox: Sandbox) -> Result<Self, ConnectorError> {
        let c = &config.connectors;
        let sandboxed = |m: Option<ConnectorMode>| m == Some(ConnectorMode::Sandbox);
        let mut out = Connectors::default();
        match &c.ninjaone {
            Some(n) if n.mode == ConnectorMode::Sandbox => out.bays = Some(Arc::new(sandbox.clone())),
            Some(n) => out.bays = live_ninjaone(config, n, secrets)?,
            None => {}
        }
        match &c.unifi_access {
            Some(u) if u.mode == ConnectorMode::Sandbox => out.doors = Some(Arc::new(sandbox.clone())),
            Some(u) => out.doors = live_unifi(config, u, secrets)?,
            None => {}
        }
        match &c.openphone {
            Some(op) if op.mode == ConnectorMode::Sandbox => out.sms = Some(Arc::new(sandbox.clone())),
            Some(op) => out.sms = live_openphone(config, op, secrets)?,
            None => {}
        }
        if let (Some(_), Some(url)) = (&config.notify.slack, &secrets.slack_webhook_url) {
            let hook = clubos_connectors::slack::SlackWebhook::new(ApiKey::new(url.expose()))
                .map_err(|e| ConnectorError::Unavailable { vendor: "slack", message: e.message })?;
            out.slack = Some(hook);
        }
        if out.bays.is_some() || out.doors.is_some() || sandboxed(c.openphone.as_ref().map(|s| s.mode)) {
            out.sandbox = Some(sandbox);
        }
        Ok(out)
    }

    pub fn configured(&self, c: Connector) -> bool {
        match c {
            Connector::Ninjaone => self.bays.is_some(),
            Connector::UnifiAccess => self.doors.is_some(),
            Connector::Openphone => self.sms.is_some(),
        }
    }
}

/// Everything a request handler or worker needs. Shared as `Arc<App>`.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub connectors: Connectors,
    /// The classifier in force (replaced when the active SOPs change).
    pub classifier: crate::knowledge::ClassifierSlot,
    pub detector: SignalDetector,
    pub webhook_secrets: Vec<WebhookSecret>,
    /// Bearer token for `/api/*`; requests are refused when there is none.
    pub api_token: Option<Secret>,
    pub metrics: Metrics,
    pub health: HealthBoard,
    /// Wakes idle workers when a message is queued.
    pub wake: Notify,
    /// Identifies this process's claims in the queue.
    pub instance: String,
    /// This process's side of the action guard ([`crate::lease::ActionGuard`]):
    /// held from the limit check of a device action until its intent is
    /// recorded, so two deciders (workers, operators, instances) cannot both
    /// pass a limit that only one may use.
    pub action_locks: crate::lease::ActionLocks,
    /// One notifier pass at a time in this process (the `notifier` lease,
    /// held by the instance, keeps other instances out).
    pub notifier_lock: tokio::sync::Mutex<()>,
    /// The remote booking source with its cache; `None` for local bookings.
    pub bookings: Option<crate::bookings::BookingLookup>,
    /// Claude's SOP work (`[llm.anthropic]`) and its queue's wake-up call.
    pub review: crate::review::Review,
    profile: Arc<LiveProfile>,
}

/// The autonomy profile in force, replaceable at run time (`PUT
/// /api/autonomy`) and shared with the model tier, which reads each
/// category's `use_cheaper_model` from it.
#[derive(Debug)]
pub struct LiveProfile(RwLock<Arc<AutonomyProfile>>);

impl LiveProfile {
    pub fn new(p: AutonomyProfile) -> Arc<Self> {
        Arc::new(Self(RwLock::new(Arc::new(p))))
    }

    pub fn get(&self) -> Arc<AutonomyProfile> {
        Arc::clone(&self.0.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn set(&self, p: AutonomyProfile) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(p);
    }
}

impl clubos_agent::llm::CheapChoice for LiveProfile {
    fn use_cheaper(&self, category: clubos_domain::Category) -> bool {
        self.get().get(category).use_cheaper_model
    }
}

/// What [`App::new`] needs besides the configuration.
#[derive(Debug)]
pub struct Parts {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub connectors: Connectors,
    pub classifier: crate::knowledge::ClassifierSlot,
    pub secrets: Secrets,
    pub profile: Arc<LiveProfile>,
    /// `[bookings]`'s remote source; `None` for local bookings.
    pub bookings: Option<Arc<dyn clubos_connectors::bookings::BookingSource>>,
}

/// Why the deployment could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("connectors.openphone: the webhook secret in {0} is not a valid signing key: {1}")]
    WebhookSecret(String, String),
    #[error("llm.anthropic: {0}")]
    Claude(#[from] clubos_agent::review::ReviewError),
}

impl App {
    pub fn new(config: Config, parts: Parts) -> Result<Arc<Self>, StartError> {
        let mut webhook_secrets = Vec::new();
        if let Some(secret) = &parts.secrets.openphone_webhook_secret {
            let env = config
                .connectors
                .openphone
                .as_ref()
                .and_then(|o| o.webhook_secret_env.as_ref())
                .map_or_else(String::new, |e| e.as_str().to_owned());
            let parsed =
                WebhookSecret::parse(secret.expose()).map_err(|e| StartError::WebhookSecret(env, e.to_string()))?;
            webhook_secrets.push(parsed);
        }
        let health = HealthBoard::default();
        for &c in Connector::ALL {
            if parts.connectors.configured(c) {
                health.register(c.as_str(), ComponentState::Healthy, None);
            } else {
                health.register(c.as_str(), ComponentState::Down, Some("not configured".into()));
            }
        }
        health.register("llm", ComponentState::Healthy, None);
        let review = crate::review::Review::from_config(&config, &parts.secrets)?;
        if review.enabled() {
            health.register(crate::review::COMPONENT, ComponentState::Healthy, None);
        }
        health.register("database", ComponentState::Healthy, None);
        let timeout = std::time::Duration::from_secs(config.bookings.timeout_seconds);
        let bookings = parts.bookings.map(|s| crate::bookings::BookingLookup::new(s, timeout));
        if bookings.is_some() {
            health.register(crate::bookings::COMPONENT, ComponentState::Healthy, None);
        }
        let detector = config.signals.detector();
        let instance = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        Ok(Arc::new(Self {
            store: parts.store,
            clock: parts.clock,
            connectors: parts.connectors,
            classifier: parts.classifier,
            detector,
            webhook_secrets,
            api_token: parts.secrets.api_token,
            metrics: Metrics::default(),
            health,
            wake: Notify::new(),
            instance,
            action_locks: crate::lease::ActionLocks::new(config.locations.iter().map(|l| &l.id)),
            notifier_lock: tokio::sync::Mutex::new(()),
            bookings,
            review,
            profile: parts.profile,
            config,
        }))
    }

    /// The autonomy profile in force.
    pub fn profile(&self) -> Arc<AutonomyProfile> {
        self.profile.get()
    }

    pub fn set_profile(&self, p: AutonomyProfile) {
        self.profile.set(p);
    }

    pub fn location(&self, id: &LocationId) -> Option<&LocationConfig> {
        self.config.location(id)
    }

    /// The policy's view of component health.
    pub fn policy_health(&self) -> Health {
        self.health.for_policy(|c| self.connectors.configured(c), self.clock.now())
    }
}

/// The live OpenPhone sender; `None` (with a warning) when its base URL or
/// key is missing, which `check-config` reports as an error beforehand.
fn live_openphone(
    config: &Config,
    op: &OpenPhoneConfig,
    secrets: &Secrets,
) -> Result<Option<Arc<dyn SmsSender>>, ConnectorError> {
    let (Some(base), Some(key)) = (&op.base_url, &secrets.openphone_api_key) else {
        tracing::warn!("connectors.openphone: live mode needs base_url and api_key_env; replies escalate");
        return Ok(None);
    };
    let mut sms = SmsConfig::new(base.as_str(), ApiKey::new(key.expose()));
    sms.default_from = op.from_number.clone();
    sms.senders = config.locations.iter().filter_map(|l| Some((l.id.clone(), l.phone_number.clone()?))).collect();
    Ok(Some(Arc::new(OpenPhoneSms::new(sms)?)))
}

/// The live NinjaOne client; `None` (with a warning) when a setting or
/// credential is missing, which `check-config` reports beforehand.
fn live_ninjaone(
    config: &Config,
    n: &NinjaOneConfig,
    secrets: &Secrets,
) -> Result<Option<Arc<dyn BayControl>>, ConnectorError> {
    let (Some(base), Some(id), Some(secret), Some(script)) =
        (&n.base_url, &secrets.ninjaone_client_id, &secrets.ninjaone_client_secret, n.reset_script_id)
    else {
        tracing::warn!(
            "connectors.ninjaone: live mode needs base_url, credentials and reset_script_id; resets escalate"
        );
        return Ok(None);
    };
    let credentials = Credentials { client_id: ApiKey::new(id.expose()), client_secret: ApiKey::new(secret.expose()) };
    let mut ninja = NinjaConfig::new(base.as_str(), credentials, script);
    ninja.reset_parameters = n.reset_script_parameters.clone();
    ninja.devices = config
        .locations
        .iter()
        .flat_map(|l| l.bays.iter().filter_map(|b| Some(((l.id.clone(), b.number), b.ninjaone_device_id?))))
        .collect();
    Ok(Some(Arc::new(NinjaOne::new(ninja)?)))
}

/// The live UniFi Access client; `None` (with a warning) when its base URL
/// or token is missing, which `check-config` reports beforehand.
fn live_unifi(
    config: &Config,
    u: &UnifiAccessConfig,
    secrets: &Secrets,
) -> Result<Option<Arc<dyn DoorControl>>, ConnectorError> {
    let (Some(base), Some(token)) = (&u.base_url, &secrets.unifi_access_token) else {
        tracing::warn!("connectors.unifi_access: live mode needs base_url and token_env; unlocks escalate");
        return Ok(None);
    };
    let bad = |message: String| ConnectorError::Unavailable { vendor: "unifi_access", message };
    let trust = match (&u.ca_file, &u.pinned_sha256, u.insecure_tls) {
        (Some(path), _, _) => {
            Trust::CaPem(std::fs::read(path).map_err(|e| bad(format!("ca_file {}: {e}", path.display())))?)
        }
        (None, Some(pin), _) => Trust::pinned(pin).map_err(|e| bad(format!("pinned_sha256: {e}")))?,
        (None, None, true) => Trust::Insecure,
        (None, None, false) => Trust::Default,
    };
    let doors = config
        .locations
        .iter()
        .flat_map(|l| l.doors.iter().filter_map(|d| Some(((l.id.clone(), d.id.clone()), d.unifi_door_id.clone()?))))
        .collect();
    let client = UnifiAccess::new(UnifiConfig {
        base_url: base.as_str().to_owned(),
        token: ApiKey::new(token.expose()),
        doors,
        trust,
        request_timeout: std::time::Duration::from_secs(10),
    })?;
    Ok(Some(Arc::new(client)))
}
