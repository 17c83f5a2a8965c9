//! Bookings from a remote booking system (`[bookings] provider = "http"`):
//! before the worker builds a claimed thread's context it asks the system for
//! the customer's bookings at the thread's location and writes them to the
//! store, so the policy, the API and the console read the store unchanged.
//!
//! Why a cache: a customer who texts three times in a minute is looked up
//! once. Each (location, phone) is fetched at most once per [`FRESH_FOR`] by
//! the app's clock; lookups of the same key wait for the one in flight
//! instead of asking again; the keys are held in a bounded LRU.
//!
//! Why failures are swallowed: a booking-system outage must not stop the
//! pipeline. A failed lookup is logged, marks the `bookings` health component
//! failed, and the thread is decided on the bookings the store already holds
//! (usually none: it then escalates with `no_booking`). A failed key is tried
//! again after [`RETRY_FAILED_AFTER`], so an outage does not slow every message.
//!
//! The webhook never calls the booking system (its answer must stay fast): its
//! priority reads the bookings the store holds, refreshed by every lookup.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clubos_config::{BookingProvider, Config, Secrets};
use clubos_connectors::ConnectorError;
use clubos_connectors::bookings::{
    BookingSource, FieldMap, HttpBookings, HttpBookingsConfig, Mapping, QueryNames, StatusMap,
};
use clubos_connectors::http::ApiKey;
use clubos_domain::{LocationId, PhoneNumber, Priority};
use clubos_store::{Claim, ThreadUpdate};
use jiff::{SignedDuration, Timestamp};
use lru::LruCache;

use crate::app::App;

/// The health component that shows the booking system's state.
pub const COMPONENT: &str = "bookings";
/// A successful lookup is trusted this long.
pub const FRESH_FOR: SignedDuration = SignedDuration::from_secs(60);
/// A failed lookup of a key is not repeated sooner than this.
pub const RETRY_FAILED_AFTER: SignedDuration = SignedDuration::from_secs(10);
/// The range asked for around now: the same the worker's context reads.
const WINDOW: SignedDuration = SignedDuration::from_hours(12);
/// (location, phone) pairs remembered.
const CAPACITY: usize = 10_000;

type Key = (LocationId, PhoneNumber);

/// When a key was last fetched, and whether that worked.
#[derive(Debug, Clone, Copy)]
struct Fetched {
    at: Timestamp,
    ok: bool,
}

/// What [`BookingLookup::refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Fetched within the last minute (or failed within the retry pause): not asked.
    Fresh,
    /// Asked; this many bookings were written to the store.
    Fetched(usize),
    /// Asked, and it failed; the store was left as it was.
    Failed,
}

/// The remote source with its per-key cache.
pub struct BookingLookup {
    source: Arc<dyn BookingSource>,
    /// The whole lookup's limit, retries included.
    timeout: Duration,
    entries: Mutex<LruCache<Key, Arc<tokio::sync::Mutex<Option<Fetched>>>>>,
}

impl std::fmt::Debug for BookingLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.entries.lock().map_or(0, |e| e.len());
        f.debug_struct("BookingLookup")
            .field("source", &self.source)
            .field("timeout", &self.timeout)
            .field("cached", &cached)
            .finish()
    }
}

impl BookingLookup {
    pub fn new(source: Arc<dyn BookingSource>, timeout: Duration) -> Self {
        let cap = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Self { source, timeout, entries: Mutex::new(LruCache::new(cap)) }
    }

    /// Brings the store's bookings of `phone` at `location` up to date,
    /// unless they were fetched within [`FRESH_FOR`]. Never fails.
    pub async fn refresh(&self, app: &App, location: &LocationId, phone: &PhoneNumber) -> Refresh {
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let key = (location.clone(), phone.clone());
            Arc::clone(entries.get_or_insert(key, || Arc::new(tokio::sync::Mutex::new(None))))
        };
        // Held across the fetch: a second lookup of this key waits here and
        // then finds it fresh.
        let mut last = slot.lock().await;
        let now = app.clock.now();
        if let Some(f) = *last {
            let pause = if f.ok { FRESH_FOR } else { RETRY_FAILED_AFTER };
            if now >= f.at && now.duration_since(f.at) < pause {
                return Refresh::Fresh;
            }
        }
        let ask = self.source.bookings_for(location, phone, now - WINDOW, now + WINDOW);
        let result = tokio::time::timeout(self.timeout, ask).await.unwrap_or(Err(ConnectorError::Timeout("bookings")));
        let bookings = match result {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(%location, error = %e, "bookings: lookup failed; deciding on the stored bookings");
                let transport = matches!(e, ConnectorError::Timeout(_) | ConnectorError::Unavailable { .. });
                app.health.failure(COMPONENT, &e.to_string(), transport, app.clock.now());
                *last = Some(Fetched { at: now, ok: false });
                return Refresh::Failed;
            }
        };
        for b in &bookings {
            if let Err(e) = app.store.upsert_booking(b).await {
                // Not the booking system's fault: ask again next time.
                tracing::error!(%location, booking = %b.id, error = %e, "bookings: could not store a booking");
                return Refresh::Failed;
            }
        }
        app.health.success(COMPONENT, app.clock.now());
        *last = Some(Fetched { at: now, ok: true });
        tracing::debug!(%location, bookings = bookings.len(), "bookings: looked up");
        Refresh::Fetched(bookings.len())
    }
}

/// Refreshes the bookings of a claimed thread's customer before the worker
/// decides it: only with a remote source, only while the AI may act on the
/// thread and it has undecided messages, and never for an emergency (which
/// waits for nothing). One extra store read per claim, with a remote source.
pub async fn refresh_for_claim(app: &App, claim: &Claim) -> Option<Refresh> {
    let lookup = app.bookings.as_ref()?;
    if claim.priority == Priority::Emergency {
        return None;
    }
    let ctx = match app.store.work_context(claim.thread_id, app.clock.now()).await {
        Ok(ctx) => ctx,
        Err(e) => {
            tracing::warn!(thread = claim.thread_id, error = %e, "bookings: could not read the thread; no lookup");
            return None;
        }
    };
    // A redacted thread (the customer was forgotten) has no number to look up.
    let phone = ctx.thread.customer_phone.as_ref()?;
    let text: Vec<&str> = ctx.pending.iter().map(|m| m.body.as_str()).collect();
    if text.is_empty()
        || !ThreadUpdate::AI_OWNED.contains(&ctx.thread.status)
        || app.detector.detect(&text.join("\n")).emergency
    {
        return None;
    }
    Some(lookup.refresh(app, &ctx.thread.location, phone).await)
}

/// The remote source `[bookings]` describes; `None` for `local`.
pub fn source(config: &Config, secrets: &Secrets) -> Result<Option<Arc<dyn BookingSource>>, ConnectorError> {
    let b = &config.bookings;
    match b.provider {
        BookingProvider::Local => return Ok(None),
        BookingProvider::Skedda => {
            // `check-config` refuses it; a config built in code may still say it.
            tracing::warn!("bookings.provider = \"skedda\" is not supported; bookings are local only");
            return Ok(None);
        }
        BookingProvider::Http => {}
    }
    let Some(base) = &b.base_url else {
        tracing::warn!("bookings.base_url is missing; bookings are local only");
        return Ok(None);
    };
    let key = secrets.bookings_api_key.as_ref().map(|k| ApiKey::new(k.expose()));
    let mut c = HttpBookingsConfig::new(base.as_str(), key);
    c.path = b.path.clone();
    c.auth_header = b.auth_header.clone();
    c.auth_scheme = b.auth_scheme.clone();
    let q = &b.query;
    c.query =
        QueryNames { phone: q.phone.clone(), location: q.location.clone(), from: q.from.clone(), to: q.to.clone() };
    let f = &b.fields;
    c.mapping = Mapping {
        fields: FieldMap {
            items: f.items.clone(),
            id: f.id.clone(),
            bay: f.bay.clone(),
            phone: f.phone.clone(),
            starts_at: f.starts_at.clone(),
            ends_at: f.ends_at.clone(),
            status: f.status.clone(),
        },
        statuses: StatusMap::new(b.statuses()),
        default_country: config.agent.default_country,
    };
    c.location_ids =
        config.locations.iter().filter_map(|l| Some((l.id.clone(), l.booking_location_id.clone()?))).collect();
    c.request_timeout = Duration::from_secs(b.timeout_seconds);
    Ok(Some(Arc::new(HttpBookings::new(c)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_provider_has_no_source() {
        let c = Config::demo();
        assert!(source(&c, &Secrets::default()).unwrap().is_none());
    }
}
