//! Start-up: open and migrate the store, seed the starter SOPs, build the
//! classifier, restore the autonomy profile set through the API, and
//! reconcile actions a previous process left in flight.

use std::sync::Arc;

use clubos_agent::{Classifier, LocalClassifier, Sop, load_starter_sops};
use clubos_config::{Config, DatabaseUrl, Secrets, SqliteSynchronous};
use clubos_connectors::sandbox::Sandbox;
use clubos_domain::{ActionOutcome, AutonomyProfile, ReasonCode, ThreadStatus};
use clubos_store::{Escalation, NewNotification, Severity, Store, ThreadUpdate};
use clubos_store_postgres::{PgOptions, PostgresStore};
use clubos_store_sqlite::{SqliteStore, Synchronous};
use jiff::Timestamp;
use serde_json::json;

use crate::app::{App, Connectors, Parts, StartError};
use crate::clock::Clock;
use crate::http::admin_setting_key;

/// Why start-up failed; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("database: {0}")]
    Store(#[from] clubos_store::StoreError),
    #[error("database (PostgreSQL): {0}")]
    Postgres(#[from] clubos_store_postgres::PgError),
    #[error("SOPs: {0}")]
    Sops(String),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("connectors: {0}")]
    Connector(#[from] clubos_connectors::ConnectorError),
    #[error("llm: {0}")]
    Llm(String),
}

/// Opens the configured database (creating and migrating it): the one place
/// where the backend is chosen. PostgreSQL takes its password from
/// `server.database_password_env` (never from the URL).
pub async fn open_store(config: &Config, secrets: &Secrets) -> Result<Arc<dyn Store>, BootError> {
    let sync = match config.server.sqlite_synchronous {
        SqliteSynchronous::Full => Synchronous::Full,
        _ => Synchronous::Normal,
    };
    match &config.server.database_url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path, sync)?)),
        DatabaseUrl::SqliteMemory => Ok(Arc::new(SqliteStore::open_in_memory()?)),
        DatabaseUrl::Postgres(url) => {
            let options = PgOptions {
                max_connections: config.server.database_pool_size.try_into().unwrap_or(usize::MAX),
                password: secrets.database_password.as_ref().map(|p| p.expose().to_owned()),
                ca_file: config.server.database_ca_file.clone(),
                ..PgOptions::default()
            };
            Ok(Arc::new(PostgresStore::connect(url, options).await?))
        }
    }
}

/// Everything [`start`] needs from outside.
#[derive(Debug)]
pub struct Boot {
    pub config: Config,
    pub secrets: Secrets,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub sandbox: Sandbox,
    /// Replaces the local classifier (tests; later, LLM providers).
    pub classifier: Option<Arc<dyn Classifier>>,
}

/// Prepares the deployment and returns the shared state.
pub async fn start(b: Boot) -> Result<Arc<App>, BootError> {
    let now = b.clock.now();
    let starter: Vec<(String, serde_json::Value)> = load_starter_sops()
        .iter()
        .map(|s| Ok((s.id.to_string(), serde_json::to_value(s).map_err(|e| BootError::Sops(e.to_string()))?)))
        .collect::<Result<_, BootError>>()?;
    let seeded = b.store.seed_sops(starter, now).await?;
    if seeded > 0 {
        tracing::info!(sops = seeded, "starter SOPs loaded");
    }
    let sops: Vec<Sop> = b
        .store
        .active_sops()
        .await?
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|e| BootError::Sops(format!("stored SOP is invalid: {e}"))))
        .collect::<Result<_, _>>()?;
    let profile = match b.store.setting(admin_setting_key()).await? {
        Some(json) => match AutonomyProfile::from_json(&json) {
            Ok(p) => {
                tracing::info!("autonomy profile: the one last set through the API (it overrides the file)");
                p
            }
            Err(e) => {
                tracing::error!(error = %e, "stored autonomy profile is invalid; using the configured one");
                b.config.autonomy.clone()
            }
        },
        None => b.config.autonomy.clone(),
    };
    let profile = crate::app::LiveProfile::new(profile);
    let classifier = match b.classifier {
        Some(c) => crate::knowledge::ClassifierSlot::new(c, None),
        None => {
            let budget: Arc<dyn clubos_agent::llm::TokenBudget> =
                Arc::new(crate::budget::StoreBudget::new(&b.config, b.store.clone(), b.clock.clone()));
            let (config, secrets, profile) = (b.config.clone(), b.secrets.clone(), profile.clone());
            // SOP time windows and `valid_until` are judged in each location's local time.
            let zones: std::collections::HashMap<_, _> =
                b.config.locations.iter().map(|l| (l.id.clone(), l.timezone.clone())).collect();
            let clock = b.clock.clone();
            let local_now: clubos_agent::local::LocalNow =
                Arc::new(move |loc| zones.get(loc).map(|tz| clubos_domain::time::Clock::new(clock.now(), tz).local));
            // The same tier, rebuilt whenever the active SOPs change.
            let build = move |sops: Vec<Sop>| -> Result<Arc<dyn Classifier>, BootError> {
                let cache = clubos_agent::llm::AnswerCache::new(sop_version(&sops));
                let local = LocalClassifier::new(sops)
                    .map_err(|e| BootError::Sops(e.to_string()))?
                    .with_local_time(local_now.clone());
                let tier = Tier { local, budget: budget.clone(), cache, profile: profile.clone() };
                model_tier(&config, &secrets, tier)
            };
            let first = build(sops)?;
            let rebuild: crate::knowledge::Rebuild = Box::new(move |sops| build(sops).map_err(|e| e.to_string()));
            crate::knowledge::ClassifierSlot::new(first, Some(rebuild))
        }
    };
    // One process per SQLite database: claims left by a previous process
    // are dead, so free them now instead of waiting out their leases. (A
    // shared database must not do this: other instances may be alive; their
    // claims and review jobs are taken over when their leases run out.)
    if !b.store.is_shared() {
        let released = b.store.release_all_claims().await?;
        if released > 0 {
            tracing::info!(released, "freed queue claims of the previous process");
        }
        let jobs = b.store.release_review_jobs(now).await?;
        if jobs > 0 {
            tracing::info!(jobs, "Claude's interrupted review jobs are queued again");
        }
    }
    let connectors = Connectors::from_config(&b.config, &b.secrets, b.sandbox)?;
    let bookings = crate::bookings::source(&b.config, &b.secrets)?;
    let app = App::new(
        b.config,
        Parts { store: b.store, clock: b.clock, connectors, classifier, secrets: b.secrets, profile, bookings },
    )?;
    reconcile(&app).await?;
    Ok(app)
}

/// Identifies the SOP set the classifiers were built from (for the answer
/// cache: a different set never serves an old answer).
fn sop_version(sops: &[Sop]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(sops).unwrap_or_default().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The local classifier alone (`agent.llm = "local"`), or in front of the
/// configured model, which it asks only when unsure (`llm::Tiered`).
/// What every model tier shares.
struct Tier {
    local: LocalClassifier,
    budget: Arc<dyn clubos_agent::llm::TokenBudget>,
    cache: clubos_agent::llm::AnswerCache,
    profile: Arc<crate::app::LiveProfile>,
}

fn model_tier(
    config: &clubos_config::Config,
    secrets: &clubos_config::Secrets,
    tier: Tier,
) -> Result<Arc<dyn Classifier>, BootError> {
    let Tier { local, budget, cache, profile } = tier;
    let max_output = config.limits.max_tokens_per_response;
    use clubos_agent::llm::{
        AnthropicClassifier, AnthropicSettings, Breaker, OpenAiClassifier, OpenAiSettings, Tiered,
    };
    match (config.agent.llm, &config.llm.openai) {
        (clubos_config::LlmChoice::OpenAi, Some(o)) => {
            let openai = |model: &str| {
                OpenAiClassifier::new(OpenAiSettings {
                    base_url: o.base_url.as_str().to_owned(),
                    api_key: secrets.openai_api_key.as_ref().map(|k| k.expose().to_owned()),
                    model: model.to_owned(),
                    max_tokens: max_output,
                })
                .map(Breaker::new)
                .map_err(|e| BootError::Llm(e.to_string()))
            };
            let model = openai(&o.complex_model)?;
            let cheap = match &o.cheap_model {
                Some(name) if name != &o.complex_model => {
                    Some((openai(name)?, profile as Arc<dyn clubos_agent::llm::CheapChoice>))
                }
                _ => None,
            };
            Ok(Arc::new(Tiered { local, model, budget: Some(budget), max_output, cache: Some(cache), cheap }))
        }
        (clubos_config::LlmChoice::Anthropic, _) => match (&config.llm.anthropic, &secrets.anthropic_api_key) {
            (Some(a), Some(key)) => {
                let model = AnthropicClassifier::new(AnthropicSettings {
                    base_url: a.base_url.as_str().to_owned(),
                    api_key: key.expose().to_owned(),
                    model: a.model.clone(),
                    max_tokens: config.limits.max_tokens_per_response,
                })
                .map(Breaker::new)
                .map_err(|e| BootError::Llm(e.to_string()))?;
                Ok(Arc::new(Tiered { local, model, budget: Some(budget), max_output, cache: Some(cache), cheap: None }))
            }
            _ => Err(BootError::Llm("agent.llm = \"anthropic\" needs [llm.anthropic] and its key".into())),
        },
        (clubos_config::LlmChoice::OpenAi, None) => {
            Err(BootError::Llm("agent.llm = \"openai\" needs [llm.openai]".into()))
        }
        (clubos_config::LlmChoice::Local, _) => Ok(Arc::new(local)),
    }
}

/// Actions recorded as started but never finished: the process stopped
/// while the device was being called. Their effect is unknown, so they are
/// never repeated: they are closed as `timeout` and a human is asked.
///
/// On a shared store the others' in-flight actions are alive: only those
/// started before [`stale_after`] are a dead instance's (the scheduler's
/// leader looks for them on every pass).
pub async fn reconcile(app: &App) -> Result<usize, clubos_store::StoreError> {
    if app.store.is_shared() {
        return reconcile_before(app, app.clock.now() - stale_after(app)).await;
    }
    reconcile_before(app, Timestamp::MAX).await
}

/// How old an unfinished action must be to be abandoned: longer than any
/// action may run (its timeout), with a minute to record the outcome.
pub fn stale_after(app: &App) -> jiff::SignedDuration {
    let t = &app.config.limits.timeouts;
    let longest = clubos_domain::ActionKind::ALL.iter().map(|k| t.for_action(*k)).max().unwrap_or_default();
    longest + jiff::SignedDuration::from_mins(1)
}

/// [`reconcile`] for the unfinished actions started before `cutoff`.
pub async fn reconcile_before(app: &App, cutoff: Timestamp) -> Result<usize, clubos_store::StoreError> {
    let mut pending = app.store.pending_actions().await?;
    pending.retain(|a| a.started_at < cutoff);
    let now = app.clock.now();
    for a in &pending {
        let error =
            "interrupted: ClubOS stopped before the outcome was recorded; the action was not repeated".to_owned();
        match app.store.finish_action(a.id, ActionOutcome::Timeout, Some(error), now).await {
            // Finished meanwhile (by its instance, or reconciled by another).
            Err(clubos_store::StoreError::Conflict(_)) => continue,
            other => other?,
        };
        let summary = format!(
            "{} on {} was in flight when ClubOS stopped; whether it took effect is unknown. Check the device and the customer.",
            a.kind, a.target
        );
        let update = ThreadUpdate {
            status: Some(ThreadStatus::Escalated),
            escalation: Some(Escalation {
                reason: Some(ReasonCode::ActionFailed),
                summary: summary.clone(),
                proposal: None,
            }),
            ..ThreadUpdate::default()
        };
        app.store.update_thread(a.thread_id, update, now).await?;
        let n = NewNotification {
            kind: "reconciled".into(),
            severity: Severity::Critical,
            thread_id: Some(a.thread_id),
            title: format!("Thread #{}: interrupted {}", a.thread_id, a.kind),
            body: summary,
            dedupe_key: None,
        };
        app.store.notify(n, now).await?;
        app.store
            .audit(
                "system",
                "action.reconcile",
                &format!("action:{}", a.id),
                json!({"kind": a.kind, "target": a.target.to_string()}),
                now,
            )
            .await?;
    }
    if !pending.is_empty() {
        tracing::warn!(actions = pending.len(), "reconciled actions interrupted by the last stop");
    }
    Ok(pending.len())
}
