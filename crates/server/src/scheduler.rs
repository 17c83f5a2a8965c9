//! The scheduler: applies the time rules (no resolution within 15 min,
//! customer waiting more than 5 min, idle more than 30 min) to open threads.
//! Each pass is a plain function of `now`, so tests drive it with a manual
//! clock and no sleeping. With several instances on one database only the
//! holder of the `scheduler` lease runs the passes (see [`run`]).

use std::sync::Arc;
use std::time::Duration;

use clubos_domain::ThreadStatus;
use clubos_domain::time_rules::{ThreadClock, TimeAction, TimeRules, WATCHED, evaluate};
use clubos_store::{Escalation, NewNotification, Severity, StoreError, ThreadUpdate};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::watch;

use crate::app::App;
use crate::lease::Leadership;

/// How often the rules run.
const EVERY: Duration = Duration::from_secs(15);

pub fn rules(app: &App) -> TimeRules {
    let r = &app.config.time_rules;
    TimeRules {
        no_resolution_minutes: r.no_resolution_minutes,
        customer_waiting_minutes: r.customer_waiting_minutes,
        idle_timeout_minutes: r.idle_timeout_minutes,
    }
}

/// One pass over the open threads at `now`; returns how many changed.
pub async fn run_time_rules(app: &App, now: Timestamp) -> Result<usize, StoreError> {
    let rules = rules(app);
    let mut changed = 0;
    for t in app.store.thread_times(&WATCHED).await? {
        let clock = ThreadClock {
            status: t.status,
            created_at: t.created_at,
            updated_at: t.updated_at,
            last_inbound_at: t.last_inbound_at,
            last_outbound_at: t.last_outbound_at,
        };
        match evaluate(&clock, now, &rules) {
            None => continue,
            Some(TimeAction::Escalate(why)) => {
                let update = ThreadUpdate {
                    status: Some(ThreadStatus::Escalated),
                    escalation: Some(Escalation { reason: None, summary: why.clone(), proposal: None }),
                    expect: vec![t.status],
                    ..ThreadUpdate::default()
                };
                if !applied(app.store.update_thread(t.id, update, now).await)? {
                    continue;
                }
                let n = NewNotification {
                    kind: "time_rule".into(),
                    severity: Severity::Warning,
                    thread_id: Some(t.id),
                    title: format!("Thread #{} needs a human", t.id),
                    body: why.clone(),
                    dedupe_key: Some(format!("thread:{}:time_rule", t.id)),
                };
                app.store.notify(n, now).await?;
                app.store
                    .audit("scheduler", "thread.escalate", &format!("thread:{}", t.id), json!({"why": why}), now)
                    .await?;
            }
            Some(TimeAction::Timeout) => {
                let update = ThreadUpdate {
                    status: Some(ThreadStatus::Timeout),
                    expect: vec![t.status],
                    ..ThreadUpdate::default()
                };
                if !applied(app.store.update_thread(t.id, update, now).await)? {
                    continue;
                }
                app.store
                    .audit(
                        "scheduler",
                        "thread.timeout",
                        &format!("thread:{}", t.id),
                        json!({"idle_since": t.updated_at}),
                        now,
                    )
                    .await?;
            }
        }
        changed += 1;
    }
    Ok(changed)
}

/// Ok(false) when the thread changed since it was read (a human acted).
fn applied(r: Result<(), StoreError>) -> Result<bool, StoreError> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How often expired console sessions and old login failures are deleted,
/// closed threads past `[privacy] retention_days` redacted, and SOP metric
/// events folded into their totals.
const HOUSEKEEPING_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// Deletes console sessions past their idle expiry and login failures
/// older than a day (they no longer count toward any lockout), and folds the
/// SOP metric events recorded since the last pass so their log stays short.
pub async fn housekeeping(app: &App, now: Timestamp) -> Result<(u64, u64), StoreError> {
    let sessions = app.store.prune_sessions(now - app.config.console.session_idle()).await?;
    let failures = app.store.clear_login_failures(None, Some(now - jiff::SignedDuration::from_hours(24))).await?;
    let folded = app.store.fold_sop_metrics().await?;
    tracing::debug!(sessions, failures, folded, "housekeeping done");
    Ok((sessions, failures))
}

/// How often leadership of the scheduler is checked (and renewed).
const LEAD_EVERY: Duration = Duration::from_secs(3);
/// How long the `scheduler` lease outlives its last renewal: a killed
/// leader is replaced within this (plus one check).
const LEAD_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(10);

/// Runs the rules every 15 s until shutdown — on one instance of the fleet
/// at a time: the holder of the `scheduler` lease (on a store of its own,
/// always this process).
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let lead = Leadership::new("scheduler", LEAD_TTL);
    let mut last_rules: Option<std::time::Instant> = None;
    let mut last_housekeeping: Option<Timestamp> = None;
    while !*shutdown.borrow() {
        if !lead.check(&app).await {
            // A new leader starts with a full pass.
            (last_rules, last_housekeeping) = (None, None);
        } else if last_rules.is_none_or(|t| t.elapsed() >= EVERY) {
            last_rules = Some(std::time::Instant::now());
            let now = app.clock.now();
            if let Err(e) = run_time_rules(&app, now).await {
                tracing::error!(error = %e, "time rules failed");
            }
            if app.store.is_shared() {
                // Another instance's in-flight actions are its own; only those
                // older than any action can run were left by a dead instance.
                if let Err(e) =
                    crate::bootstrap::reconcile_before(&app, now - crate::bootstrap::stale_after(&app)).await
                {
                    tracing::error!(error = %e, "reconciling abandoned actions failed");
                }
            }
            if last_housekeeping.is_none_or(|t| now.duration_since(t) >= HOUSEKEEPING_EVERY) {
                last_housekeeping = Some(now);
                if let Err(e) = housekeeping(&app, now).await {
                    tracing::error!(error = %e, "console housekeeping failed");
                }
                if let Err(e) = crate::privacy::retention_pass(&app, now).await {
                    tracing::error!(error = %e, "retention (redacting old closed threads) failed");
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(LEAD_EVERY.min(EVERY)) => {}
            _ = shutdown.changed() => {}
        }
    }
    lead.resign(&app).await;
}
