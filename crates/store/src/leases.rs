//! Named leases: mutual exclusion across every process that shares the
//! store (the [`LeaseStore`] part of every backend). A lease is a row with a
//! holder and an expiry; taking one is a single conditional upsert, so two
//! processes can never both hold a live lease, and a holder that dies
//! without releasing it blocks others only until it expires.
//!
//! Used for two things: the action guard (`actions:<location>`, held for the
//! milliseconds from the limit check to the recorded intent) and leadership
//! of fleet-wide background work (`scheduler`, `notifier`, `review`,
//! renewed every tick). `now` comes from the caller's clock, so the hosts
//! sharing a database must keep their clocks in sync (NTP): a skew of `s`
//! shortens or lengthens every lease by `s`.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::Result;

#[async_trait]
pub trait LeaseStore {
    /// Takes the lease `name` for `holder` until `now + ttl` when it is free,
    /// expired (`expires_at <= now`) or already `holder`'s (a renewal);
    /// returns false, changing nothing, while another holder's lease is live.
    async fn try_lease(&self, name: &str, holder: &str, now: Timestamp, ttl: SignedDuration) -> Result<bool>;
    /// Gives the lease up if `holder` has it; returns whether it did.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool>;
}
