//! Named leases on SQLite ([`LeaseStore`]): one conditional upsert each.
//! One process uses a SQLite database, so the server takes these only
//! where a shared store needs them; they behave exactly as on PostgreSQL.

use async_trait::async_trait;
use clubos_store::{LeaseStore, Result};
use jiff::{SignedDuration, Timestamp};
use rusqlite::params;

use crate::SqliteStore;
use crate::convert::{ms, sql_err};

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn try_lease(&self, name: &str, holder: &str, now: Timestamp, ttl: SignedDuration) -> Result<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |c| {
            let changed = c
                .execute(
                    "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4",
                    params![name, holder, ms(now + ttl), ms(now)],
                )
                .map_err(sql_err)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM leases WHERE name = ?1 AND holder = ?2", params![name, holder])
                .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }
}
