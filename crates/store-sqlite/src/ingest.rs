//! Ingest (dedupe, thread join, message, enqueue) and the priority queue:
//! claims with leases, release, deferral.

use clubos_domain::{Priority, ThreadStatus};

/// Rank of an emergency in the queue (the SQL below un-defers on it).
const EMERGENCY: i64 = Priority::Emergency.rank() as i64;
use clubos_store::{Claim, Ingested, NewInbound, Release, Result, Severity, ThreadId};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::convert::{ms, parse, priority, priority_rank, sql_err, ts};
use crate::reads::notify_tx;

/// Statuses whose thread a new message cannot join.
const CLOSED: &str = "('resolved', 'timeout', 'merged')";
/// Statuses of a thread a human owns: joined whatever its age, so a customer
/// a human is handling never lands in a fresh AI thread.
const HUMAN: &str = "('escalated', 'in_progress', 'manual_override', 'awaiting_human')";

pub(crate) fn ingest(c: &Connection, m: &NewInbound) -> Result<Ingested> {
    let tx = c;
    let now = ms(m.received_at);
    let keys = [
        Some(format!("event:{}", m.event_id)),
        m.delivery_id.as_ref().map(|d| format!("delivery:{d}")),
        Some(format!("message:{}", m.message_id)),
    ];
    // Every key is checked before any is stored, so a duplicate leaves no
    // trace (each store job commits whatever it wrote when it returns Ok).
    {
        let mut seen =
            tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM webhook_keys WHERE key = ?1)").map_err(sql_err)?;
        for key in keys.iter().flatten() {
            if seen.query_row([key], |r| r.get::<_, bool>(0)).map_err(sql_err)? {
                return Ok(Ingested::Duplicate);
            }
        }
        let mut insert = tx
            .prepare_cached("INSERT OR IGNORE INTO webhook_keys (key, received_at) VALUES (?1, ?2)")
            .map_err(sql_err)?;
        for key in keys.iter().flatten() {
            insert.execute(params![key, now]).map_err(sql_err)?;
        }
    }
    let phone = m.from.as_str();
    let since = ms(m.received_at - m.join_window);
    let open: Option<(ThreadId, String, i64)> = tx
        .prepare_cached(&format!(
            "SELECT id, status, priority FROM threads
             WHERE customer_phone = ?1 AND location = ?2 AND status NOT IN {CLOSED}
               AND (updated_at >= ?3 OR status IN {HUMAN})
             ORDER BY updated_at DESC LIMIT 1"
        ))
        .map_err(sql_err)?
        .query_row(params![phone, m.location.as_str(), since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(sql_err)?;
    let rank = priority_rank(m.priority);
    let (thread_id, new_thread) = match open {
        Some((id, status, old_rank)) => {
            let status: ThreadStatus = parse(&status).map_err(sql_err)?;
            // A thread the AI had answered is reopened for the AI; one a human
            // owns stays with the human.
            let next = if status.is_human_owned() || status == ThreadStatus::AwaitingHuman {
                status
            } else {
                ThreadStatus::AwaitingAi
            };
            tx.prepare_cached(
                "UPDATE threads SET status = ?2, priority = ?3, updated_at = ?4, last_inbound_at = ?4 WHERE id = ?1",
            )
            .map_err(sql_err)?
            .execute(params![id, next.as_str(), rank.min(old_rank), now])
            .map_err(sql_err)?;
            (id, false)
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO threads (customer_phone, location, status, priority, created_at, updated_at, last_inbound_at, correlation_id)
                 VALUES (?1, ?2, 'awaiting_ai', ?3, ?4, ?4, ?4, ?5)",
            )
            .map_err(sql_err)?
            .execute(params![phone, m.location.as_str(), rank, now, m.correlation_id])
            .map_err(sql_err)?;
            (tx.last_insert_rowid(), true)
        }
    };
    tx.prepare_cached(
        "INSERT INTO messages (thread_id, direction, body, at, author, external_id) VALUES (?1, 'inbound', ?2, ?3, 'customer', ?4)",
    )
    .map_err(sql_err)?
    .execute(params![thread_id, m.body, now, m.message_id])
    .map_err(sql_err)?;
    let message_id = tx.last_insert_rowid();
    // One queue item per thread. A new message marks it dirty so the worker
    // looks again; a deferred item stays deferred (its messages are handled
    // together) unless this message is an emergency.
    tx.prepare_cached(
        "INSERT INTO queue (thread_id, priority, enqueued_at, available_at, dirty) VALUES (?1, ?2, ?3, ?3, 1)
         ON CONFLICT (thread_id) DO UPDATE SET
            dirty = 1,
            priority = min(priority, excluded.priority),
            available_at = CASE WHEN excluded.priority = ?4 THEN min(available_at, excluded.available_at) ELSE available_at END",
    )
    .map_err(sql_err)?
    .execute(params![thread_id, rank, now, EMERGENCY])
    .map_err(sql_err)?;
    // Counting stops just past the limit: the check costs the same with a
    // backlog of 100 or of 100,000 (the exact depth is `queue_depth`).
    let depth = bounded_depth(tx, now, m.queue_max + 1)?;
    if depth > m.queue_max {
        notify_tx(
            tx,
            &clubos_store::NewNotification {
                kind: "queue_overflow".into(),
                severity: Severity::Critical,
                thread_id: None,
                title: "Message queue is backing up".into(),
                body: format!(
                    "{depth} threads are waiting (limit {}). Nothing is dropped; replies are delayed.",
                    m.queue_max
                ),
                dedupe_key: Some("queue_overflow".into()),
            },
            m.received_at,
        )?;
    }
    Ok(Ingested::Stored { thread_id, message_id, new_thread, queue_depth: depth })
}

fn bounded_depth(c: &Connection, now: i64, cap: u64) -> Result<u64> {
    // The cap is written into the SQL (one cached statement per deployment):
    // with `LIMIT ?` SQLite re-prepares the statement at every execution.
    c.prepare_cached(&format!(
        "SELECT count(*) FROM (SELECT 1 FROM queue WHERE claimed_by IS NULL OR lease_until < ?1 LIMIT {cap})"
    ))
    .map_err(sql_err)?
    .query_row(params![now], |r| r.get::<_, i64>(0))
    .map(|n| n as u64)
    .map_err(sql_err)
}

fn depth_tx(c: &Connection, now: i64) -> Result<u64> {
    c.prepare_cached("SELECT count(*) FROM queue WHERE claimed_by IS NULL OR lease_until < ?1")
        .map_err(sql_err)?
        .query_row([now], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(sql_err)
}

pub(crate) fn queue_depth(c: &Connection, now: Timestamp) -> Result<u64> {
    depth_tx(c, ms(now))
}

pub(crate) fn claim(c: &Connection, worker: &str, now: Timestamp, lease: SignedDuration) -> Result<Option<Claim>> {
    let tx = c;
    let now_ms = ms(now);
    let next: Option<(ThreadId, i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT thread_id, priority, enqueued_at, attempts FROM queue
             WHERE available_at <= ?1 AND (claimed_by IS NULL OR lease_until < ?1)
             ORDER BY priority, enqueued_at, thread_id LIMIT 1",
        )
        .map_err(sql_err)?
        .query_row([now_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
        .map_err(sql_err)?;
    let Some((thread_id, rank, enqueued, attempts)) = next else {
        return Ok(None);
    };
    let lease_until = now + lease;
    tx.prepare_cached(
        "UPDATE queue SET claimed_by = ?2, lease_until = ?3, dirty = 0, attempts = attempts + 1 WHERE thread_id = ?1",
    )
    .map_err(sql_err)?
    .execute(params![thread_id, worker, ms(lease_until)])
    .map_err(sql_err)?;
    Ok(Some(Claim {
        thread_id,
        priority: priority(rank).map_err(sql_err)?,
        enqueued_at: ts(enqueued).map_err(sql_err)?,
        lease_until,
        attempts: u32::try_from(attempts + 1).unwrap_or(u32::MAX),
    }))
}

pub(crate) fn renew(c: &Connection, thread_id: ThreadId, worker: &str, until: Timestamp) -> Result<bool> {
    let n = c
        .prepare_cached("UPDATE queue SET lease_until = ?3 WHERE thread_id = ?1 AND claimed_by = ?2")
        .map_err(sql_err)?
        .execute(params![thread_id, worker, ms(until)])
        .map_err(sql_err)?;
    Ok(n == 1)
}

pub(crate) fn release(c: &Connection, thread_id: ThreadId, worker: &str, how: Release, now: Timestamp) -> Result<()> {
    let tx = c;
    match how {
        Release::Done => {
            let deleted = tx
                .prepare_cached("DELETE FROM queue WHERE thread_id = ?1 AND claimed_by = ?2 AND dirty = 0")
                .map_err(sql_err)?
                .execute(params![thread_id, worker])
                .map_err(sql_err)?;
            if deleted == 0 {
                // New messages arrived while we worked: hand the item back.
                tx.prepare_cached(
                    "UPDATE queue SET claimed_by = NULL, lease_until = NULL, available_at = min(available_at, ?3)
                     WHERE thread_id = ?1 AND claimed_by = ?2",
                )
                .map_err(sql_err)?
                .execute(params![thread_id, worker, ms(now)])
                .map_err(sql_err)?;
            }
        }
        Release::DeferUntil(until) => {
            tx.prepare_cached(
                "UPDATE queue SET claimed_by = NULL, lease_until = NULL, available_at = ?3 WHERE thread_id = ?1 AND claimed_by = ?2",
            )
            .map_err(sql_err)?
            .execute(params![thread_id, worker, ms(until)])
            .map_err(sql_err)?;
        }
    }
    Ok(())
}

pub(crate) fn release_all(c: &Connection) -> Result<u64> {
    c.execute("UPDATE queue SET claimed_by = NULL, lease_until = NULL WHERE claimed_by IS NOT NULL", [])
        .map(|n| n as u64)
        .map_err(sql_err)
}
