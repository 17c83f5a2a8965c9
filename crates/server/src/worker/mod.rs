//! The worker: claims threads from the durable queue (emergencies first,
//! FIFO within a priority), keeps its lease alive while it works, and hands
//! each claim to the pipeline.
//!
//! Why leases: a worker that dies mid-thread (crash, kill -9) leaves its
//! claim behind; once the lease runs out another worker claims the thread
//! again. Because a decision, its processed messages and its action intents
//! are committed together, the retry decides only what was never decided and
//! never runs a recorded action a second time.

mod pipeline;
mod steps;
mod summary;

use std::sync::Arc;
use std::time::Duration;

use clubos_store::Release;
use jiff::SignedDuration;
use tokio::sync::watch;

pub use pipeline::{escalation_notice, process};
pub use summary::summary;

use crate::app::App;

/// How long a claim lasts without renewal.
pub const LEASE: SignedDuration = SignedDuration::from_secs(30);
/// How often a busy worker renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How often an idle worker looks for deferred work coming due.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Runs one worker until `shutdown` turns true. A claim in progress is
/// finished first, so stopping never abandons a half-done thread.
pub async fn run(app: Arc<App>, index: usize, mut shutdown: watch::Receiver<bool>) {
    let worker = format!("{}/{index}", app.instance);
    while !*shutdown.borrow() {
        let now = app.clock.now();
        let asked = std::time::Instant::now();
        let claimed = app.store.claim(&worker, now, LEASE).await;
        app.metrics.queue_claim_seconds.observe(asked.elapsed().as_secs_f64());
        let claim = match claimed {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "queue claim failed");
                app.health.failure("database", &e.to_string(), true, now);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(claim) = claim else {
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        };
        let thread_id = claim.thread_id;
        let renewer = spawn_renewer(Arc::clone(&app), worker.clone(), thread_id);
        // A remote booking system, if any, is asked before the context is read.
        crate::bookings::refresh_for_claim(&app, &claim).await;
        let release = match process(&app, &claim, &worker).await {
            Ok(r) => r,
            Err(e) => {
                // Leave the item for a retry shortly; nothing half-done was
                // committed (every step is its own transaction).
                tracing::error!(thread = thread_id, error = %e, "processing failed; will retry");
                Release::DeferUntil(app.clock.now() + SignedDuration::from_secs(5))
            }
        };
        renewer.abort();
        if let Err(e) = app.store.release(thread_id, &worker, release, app.clock.now()).await {
            tracing::error!(thread = thread_id, error = %e, "queue release failed; the lease will expire");
        }
    }
}

fn spawn_renewer(app: Arc<App>, worker: String, thread_id: i64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let until = app.clock.now() + LEASE;
            match app.store.renew(thread_id, &worker, until).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(thread = thread_id, "lost the claim while working");
                    return;
                }
                Err(e) => tracing::warn!(thread = thread_id, error = %e, "lease renewal failed"),
            }
        }
    })
}
