//! The worker's queue operations — claim, renew, release — and the named
//! leases' statements, each ONE autocommitted statement on the coordination
//! connections (`connect::coordination_pool`: asynchronous commit).
//!
//! Why one statement and no `BEGIN`/`COMMIT`: a statement is atomic on its
//! own, and every round trip a claim makes is one more wait for a busy
//! server's scheduler; a claim is one round trip here instead of three.

use clubos_store::{Claim, Release, Result, ThreadId};
use deadpool_postgres::Object;
use jiff::{SignedDuration, Timestamp};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::convert::{get, priority, small};
use crate::error::db;

async fn query_opt(c: &Object, sql: &str, p: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
    let st = c.prepare_cached(sql).await.map_err(db)?;
    c.query_opt(&st, p).await.map_err(db)
}

/// Runs one statement; returns how many rows it changed.
pub(crate) async fn exec(c: &Object, sql: &str, p: &[&(dyn ToSql + Sync)]) -> Result<u64> {
    let st = c.prepare_cached(sql).await.map_err(db)?;
    c.execute(&st, p).await.map_err(db)
}

/// The next due item, highest priority first and FIFO within a priority.
/// `SKIP LOCKED`: an item another instance is claiming right now is passed
/// over, not waited for; a claimed item under a live lease is not due.
pub(crate) async fn claim(c: &Object, worker: &str, now: Timestamp, lease: SignedDuration) -> Result<Option<Claim>> {
    let lease_until = now + lease;
    let row = query_opt(
        c,
        "WITH next AS (
            SELECT thread_id FROM queue
            WHERE available_at <= $1 AND (claimed_by IS NULL OR lease_until < $1)
            ORDER BY priority, enqueued_at, thread_id
            LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE queue SET claimed_by = $2, lease_until = $3, dirty = false, attempts = queue.attempts + 1
         FROM next WHERE queue.thread_id = next.thread_id
         RETURNING queue.thread_id, queue.priority, queue.enqueued_at, queue.attempts",
        &[&now, &worker, &lease_until],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Claim {
        thread_id: get(&row, 0)?,
        priority: priority(get(&row, 1)?)?,
        enqueued_at: get(&row, 2)?,
        lease_until,
        attempts: small(get(&row, 3)?)?,
    }))
}

pub(crate) async fn renew(c: &Object, thread_id: ThreadId, worker: &str, until: Timestamp) -> Result<bool> {
    let n = exec(
        c,
        "UPDATE queue SET lease_until = $3 WHERE thread_id = $1 AND claimed_by = $2",
        &[&thread_id, &worker, &until],
    )
    .await?;
    Ok(n == 1)
}

/// Done: the item goes, unless new messages arrived while the worker held
/// it (`dirty`), in which case it is handed back, due now. Deferred: handed
/// back, due at `until`.
pub(crate) async fn release(c: &Object, thread_id: ThreadId, worker: &str, how: Release, now: Timestamp) -> Result<()> {
    match how {
        Release::Done => {
            exec(
                c,
                "WITH gone AS (
                     DELETE FROM queue WHERE thread_id = $1 AND claimed_by = $2 AND NOT dirty RETURNING thread_id)
                 UPDATE queue SET claimed_by = NULL, lease_until = NULL, available_at = least(available_at, $3)
                 WHERE thread_id = $1 AND claimed_by = $2 AND NOT EXISTS (SELECT 1 FROM gone)",
                &[&thread_id, &worker, &now],
            )
            .await?;
        }
        Release::DeferUntil(until) => {
            exec(
                c,
                "UPDATE queue SET claimed_by = NULL, lease_until = NULL, available_at = $3
                 WHERE thread_id = $1 AND claimed_by = $2",
                &[&thread_id, &worker, &until],
            )
            .await?;
        }
    }
    Ok(())
}
