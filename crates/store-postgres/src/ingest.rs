//! Ingest (dedupe, thread join, message, enqueue) and the priority queue:
//! claims with leases, release, deferral — safe with several instances on
//! one database.

use clubos_domain::{Priority, ThreadStatus};
use clubos_store::{Ingested, NewInbound, Result, Severity, ThreadId};
use jiff::Timestamp;

use crate::convert::{Tx, exec, get, lock, parse, priority_rank, query_one, query_opt};
use crate::reads::notify_tx;

/// Rank of an emergency in the queue (the SQL below un-defers on it).
const EMERGENCY: i64 = Priority::Emergency.rank() as i64;
/// Statuses whose thread a new message cannot join.
const CLOSED: &str = "('resolved', 'timeout', 'merged')";
/// Statuses of a thread a human owns: joined whatever its age, so a customer
/// a human is handling never lands in a fresh AI thread.
const HUMAN: &str = "('escalated', 'in_progress', 'manual_override', 'awaiting_human')";

pub(crate) async fn ingest(tx: &Tx<'_>, m: &NewInbound) -> Result<Ingested> {
    let keys: Vec<String> = [
        Some(format!("event:{}", m.event_id)),
        m.delivery_id.as_ref().map(|d| format!("delivery:{d}")),
        Some(format!("message:{}", m.message_id)),
    ]
    .into_iter()
    .flatten()
    .collect();
    // The keys' primary key decides between two instances that got the same
    // delivery: the second waits for the first to commit, then finds its keys.
    // Any key seen before makes the whole delivery a duplicate; the caller
    // rolls back, so a duplicate leaves no trace.
    let inserted = exec(
        tx,
        "INSERT INTO webhook_keys (key, received_at) SELECT DISTINCT k, $2::timestamptz FROM unnest($1::text[]) AS k
         ON CONFLICT (key) DO NOTHING",
        &[&keys, &m.received_at],
    )
    .await?;
    let distinct = keys.iter().collect::<std::collections::HashSet<_>>().len() as u64;
    if inserted < distinct {
        return Ok(Ingested::Duplicate);
    }
    let phone = m.from.as_str();
    let location = m.location.as_str();
    // One customer's messages at a location join threads one at a time, so two
    // instances never open two threads for one conversation.
    lock(tx, &format!("thread:{phone}:{location}")).await?;
    let since = m.received_at - m.join_window;
    let open = query_opt(
        tx,
        &format!(
            "SELECT id, status, priority FROM threads
             WHERE customer_phone = $1 AND location = $2 AND status NOT IN {CLOSED}
               AND (updated_at >= $3 OR status IN {HUMAN})
             ORDER BY updated_at DESC LIMIT 1"
        ),
        &[&phone, &location, &since],
    )
    .await?;
    let rank = priority_rank(m.priority);
    let (thread_id, new_thread): (ThreadId, bool) = match open {
        Some(row) => {
            let id: ThreadId = get(&row, 0)?;
            let status: ThreadStatus = parse(get(&row, 1)?)?;
            let old_rank: i64 = get(&row, 2)?;
            // A thread the AI had answered is reopened for the AI; one a human
            // owns stays with the human.
            let next = if status.is_human_owned() || status == ThreadStatus::AwaitingHuman {
                status
            } else {
                ThreadStatus::AwaitingAi
            };
            exec(
                tx,
                "UPDATE threads SET status = $2, priority = $3, updated_at = $4, last_inbound_at = $4 WHERE id = $1",
                &[&id, &next.as_str(), &rank.min(old_rank), &m.received_at],
            )
            .await?;
            (id, false)
        }
        None => {
            let row = query_one(
                tx,
                "INSERT INTO threads (customer_phone, location, status, priority, created_at, updated_at,
                    last_inbound_at, correlation_id)
                 VALUES ($1, $2, 'awaiting_ai', $3, $4, $4, $4, $5) RETURNING id",
                &[&phone, &location, &rank, &m.received_at, &m.correlation_id],
            )
            .await?;
            (get(&row, 0)?, true)
        }
    };
    // PostgreSQL text cannot hold NUL: a customer's text with one would be
    // refused at every retry of the webhook. It is stored as U+FFFD instead.
    let body = if m.body.contains('\0') { m.body.replace('\0', "\u{FFFD}") } else { m.body.clone() };
    let row = query_one(
        tx,
        "INSERT INTO messages (thread_id, direction, body, at, author, external_id)
         VALUES ($1, 'inbound', $2, $3, 'customer', $4) RETURNING id",
        &[&thread_id, &body, &m.received_at, &m.message_id],
    )
    .await?;
    let message_id: i64 = get(&row, 0)?;
    // One queue item per thread. A new message marks it dirty so the worker
    // looks again; a deferred item stays deferred (its messages are handled
    // together) unless this message is an emergency.
    exec(
        tx,
        "INSERT INTO queue (thread_id, priority, enqueued_at, available_at, dirty) VALUES ($1, $2, $3, $3, true)
         ON CONFLICT (thread_id) DO UPDATE SET
            dirty = true,
            priority = least(queue.priority, excluded.priority),
            available_at = CASE WHEN excluded.priority = $4
                THEN least(queue.available_at, excluded.available_at) ELSE queue.available_at END",
        &[&thread_id, &rank, &m.received_at, &EMERGENCY],
    )
    .await?;
    // Counting stops just past the limit: the check costs the same with a
    // backlog of 100 or of 100,000 (the exact depth is `queue_depth`).
    let depth = bounded_depth(tx, m.received_at, m.queue_max.saturating_add(1)).await?;
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
        )
        .await?;
    }
    Ok(Ingested::Stored { thread_id, message_id, new_thread, queue_depth: depth })
}

async fn bounded_depth(tx: &Tx<'_>, now: Timestamp, cap: u64) -> Result<u64> {
    let cap = i64::try_from(cap).unwrap_or(i64::MAX);
    let row = query_one(
        tx,
        "SELECT count(*) FROM (SELECT 1 FROM queue WHERE claimed_by IS NULL OR lease_until < $1 LIMIT $2) AS q",
        &[&now, &cap],
    )
    .await?;
    Ok(get::<i64>(&row, 0)?.max(0) as u64)
}

pub(crate) async fn queue_depth(tx: &Tx<'_>, now: Timestamp) -> Result<u64> {
    let row = query_one(tx, "SELECT count(*) FROM queue WHERE claimed_by IS NULL OR lease_until < $1", &[&now]).await?;
    Ok(get::<i64>(&row, 0)?.max(0) as u64)
}
