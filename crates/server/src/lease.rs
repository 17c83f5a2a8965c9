//! What holds across instances that share one database: the action guard
//! ("read the ledger → check the limits → record the intent" as one critical
//! section per location) and leadership of the background work that must run
//! once across the fleet (time rules, housekeeping, notifications, Claude's
//! review queue). Both rest on the store's named leases
//! ([`clubos_store::LeaseStore`]).
//!
//! Design: a lease row per name, taken by one conditional upsert, with a
//! TTL so a killed holder blocks the others for seconds at most. The
//! alternative — a PostgreSQL advisory lock inside one store method that
//! reads the ledger, checks and records — would move the policy's limit
//! checks (and the re-decision on a fresh ledger) into the store; the guard
//! keeps the policy in the server and the store generic, and works the same
//! on both backends.
//!
//! A lease is not a fence: a holder that stalls longer than the TTL inside
//! its critical section could overlap with the next one. The action
//! section is a ledger read and one insert (milliseconds, against a 10 s
//! TTL); the notifier renews before every delivery and bounds each send
//! well inside its TTL.
//!
//! On a store used by one process only ([`clubos_store::Store::is_shared`]
//! false: SQLite) the process mutexes suffice, so no lease is written: the
//! database round trips would buy nothing, and SQLite has a single writer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clubos_domain::LocationId;
use clubos_store::{Store, StoreError};
use jiff::SignedDuration;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::app::App;

/// How long an action lease lasts if its holder dies without releasing it.
pub const ACTION_TTL: SignedDuration = SignedDuration::from_secs(10);
/// How long a decider waits for the action lease before giving up (the
/// worker then retries the thread a few seconds later).
pub const ACTION_WAIT: Duration = Duration::from_secs(5);

/// The per-location action locks of this process.
#[derive(Debug, Default)]
pub struct ActionLocks {
    by_location: HashMap<LocationId, Arc<Mutex<()>>>,
    /// For a location no longer in the configuration.
    other: Arc<Mutex<()>>,
}

impl ActionLocks {
    pub fn new<'a>(locations: impl IntoIterator<Item = &'a LocationId>) -> Self {
        let by_location = locations.into_iter().map(|l| (l.clone(), Arc::new(Mutex::new(())))).collect();
        Self { by_location, other: Arc::default() }
    }

    fn local(&self, location: &LocationId) -> Arc<Mutex<()>> {
        Arc::clone(self.by_location.get(location).unwrap_or(&self.other))
    }
}

/// Held from a device action's limit check until its intent is recorded:
/// the process's mutex for the location and, on a shared store, the lease
/// `actions:<location>`. Release it with [`ActionGuard::release`]; dropping
/// it releases the lease in the background.
#[derive(Debug)]
pub struct ActionGuard {
    /// Why the process mutex as well: deciders in one process queue on it
    /// instead of polling the database, so only one per process contends
    /// for the lease.
    _local: OwnedMutexGuard<()>,
    lease: Option<(Arc<dyn Store>, String, String)>,
}

impl ActionGuard {
    /// Takes the guard for `location`, waiting at most [`ACTION_WAIT`] for
    /// another instance's lease (short jittered backoff); after that an
    /// error the worker treats as a transient failure.
    pub async fn acquire(app: &App, location: &LocationId) -> Result<Self, StoreError> {
        let local = app.action_locks.local(location).lock_owned().await;
        if !app.store.is_shared() {
            return Ok(Self { _local: local, lease: None });
        }
        let name = format!("actions:{location}");
        let holder = format!("{}/{:08x}", app.instance, rand::random::<u32>());
        let deadline = Instant::now() + ACTION_WAIT;
        let mut pause = Duration::from_millis(2);
        loop {
            if app.store.try_lease(&name, &holder, app.clock.now(), ACTION_TTL).await? {
                let lease = Some((Arc::clone(&app.store), name, holder));
                return Ok(Self { _local: local, lease });
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Backend(format!("{name} stayed busy for {} s", ACTION_WAIT.as_secs())));
            }
            let jitter = 0.5 + rand::random::<f64>() / 2.0;
            tokio::time::sleep(pause.mul_f64(jitter)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Gives the lease back now (the intent is recorded, or nothing will be).
    pub async fn release(mut self) {
        if let Some((store, name, holder)) = self.lease.take()
            && let Err(e) = store.release_lease(&name, &holder).await
        {
            tracing::warn!(lease = %name, error = %e, "releasing the action lease failed; it will expire");
        }
    }
}

impl Drop for ActionGuard {
    fn drop(&mut self) {
        // An early return (an error) between acquire and release.
        if let (Some((store, name, holder)), Ok(rt)) = (self.lease.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                let _ = store.release_lease(&name, &holder).await;
            });
        }
    }
}

/// Leadership of one kind of background work: held by one instance at a
/// time, renewed on every check, taken over when the leader stops renewing
/// (killed) and its TTL runs out.
#[derive(Debug)]
pub struct Leadership {
    name: &'static str,
    ttl: SignedDuration,
    leading: AtomicBool,
}

impl Leadership {
    pub const fn new(name: &'static str, ttl: SignedDuration) -> Self {
        Self { name, ttl, leading: AtomicBool::new(false) }
    }

    /// Whether this instance leads now (always, on a store of its own). A
    /// database error counts as "no": better a pass skipped than run twice.
    pub async fn check(&self, app: &App) -> bool {
        let lead = if app.store.is_shared() {
            match app.store.try_lease(self.name, &app.instance, app.clock.now(), self.ttl).await {
                Ok(held) => held,
                Err(e) => {
                    tracing::warn!(lease = self.name, error = %e, "leadership check failed");
                    false
                }
            }
        } else {
            true
        };
        if lead != self.leading.swap(lead, Ordering::Relaxed) && app.store.is_shared() {
            tracing::info!(lease = self.name, instance = %app.instance, lead, "leadership changed");
        }
        lead
    }

    /// Hands leadership over at shutdown, so another instance takes it at once.
    pub async fn resign(&self, app: &App) {
        if app.store.is_shared() && self.leading.swap(false, Ordering::Relaxed) {
            let _ = app.store.release_lease(self.name, &app.instance).await;
        }
    }
}
