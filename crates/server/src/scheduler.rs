//! The scheduler: applies the time rules (no resolution within 15 min,
//! customer waiting more than 5 min, idle more than 30 min) to open threads.
//! Each pass is a plain function of `now`, so tests drive it with a manual
//! clock and no sleeping.

use std::sync::Arc;
use std::time::Duration;

use clubos_domain::ThreadStatus;
use clubos_domain::time_rules::{ThreadClock, TimeAction, TimeRules, evaluate};
use clubos_store::{Escalation, NewNotification, Severity, StoreError, ThreadUpdate};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::watch;

use crate::app::App;

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
    for t in app.store.open_thread_times().await? {
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

/// How often expired console sessions and old login failures are deleted.
const HOUSEKEEPING_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// Deletes console sessions past their idle expiry and login failures
/// older than a day (they no longer count toward any lockout).
pub async fn housekeeping(app: &App, now: Timestamp) -> Result<(u64, u64), StoreError> {
    let sessions = app.store.prune_sessions(now - app.config.console.session_idle()).await?;
    let failures = app.store.clear_login_failures(None, Some(now - jiff::SignedDuration::from_hours(24))).await?;
    Ok((sessions, failures))
}

/// Runs the rules every few seconds until shutdown.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut last_housekeeping: Option<Timestamp> = None;
    while !*shutdown.borrow() {
        let now = app.clock.now();
        if let Err(e) = run_time_rules(&app, now).await {
            tracing::error!(error = %e, "time rules failed");
        }
        if last_housekeeping.is_none_or(|t| now.duration_since(t) >= HOUSEKEEPING_EVERY) {
            last_housekeeping = Some(now);
            if let Err(e) = housekeeping(&app, now).await {
                tracing::error!(error = %e, "console housekeeping failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}
