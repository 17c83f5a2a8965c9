//! Named leases on PostgreSQL ([`LeaseStore`]): one conditional upsert each,
//! autocommitted on the coordination connections (see `queue`).
//! `INSERT … ON CONFLICT DO UPDATE … WHERE` locks the row it conflicts with
//! and re-checks the condition on the committed version, so of several
//! instances racing for a free or expired lease exactly one gets it.
//!
//! Why a lease row and not a session advisory lock: an advisory lock lives
//! on one pooled connection, which would have to be kept out of the pool
//! for the whole critical section (or the leadership term) and would tie
//! correctness to connection lifetimes; a row with an expiry works through
//! any connection, behaves the same on SQLite, and a dead holder's lease
//! simply runs out.

use async_trait::async_trait;
use clubos_store::{LeaseStore, Result};
use jiff::{SignedDuration, Timestamp};

use crate::PostgresStore;
use crate::queue::exec;

#[async_trait]
impl LeaseStore for PostgresStore {
    async fn try_lease(&self, name: &str, holder: &str, now: Timestamp, ttl: SignedDuration) -> Result<bool> {
        let until = now + ttl;
        let n = exec(
            &self.coordination_conn().await?,
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
            &[&name, &holder, &until, &now],
        )
        .await?;
        Ok(n == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        let c = self.coordination_conn().await?;
        let n = exec(&c, "DELETE FROM leases WHERE name = $1 AND holder = $2", &[&name, &holder]).await?;
        Ok(n == 1)
    }
}
