//! `clubos load --raw-sqlite`: the floor under the service. The rows one
//! message writes end to end (webhook keys, thread, message, queue
//! insert/claim/delete, decision, action insert and finish, outbound
//! message, thread updates), written with rusqlite directly, one message
//! after another, one transaction per step as the service commits them, on
//! the service's own schema and pragmas (WAL, synchronous NORMAL).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, params};

/// Transactions per message, as the service commits them on the reply path:
/// ingest, claim, decision, action outcome, thread status, queue release.
pub const TXS_PER_MESSAGE: u64 = 6;
/// Rows inserted, updated or deleted per message (see [`message`]).
pub const ROWS_PER_MESSAGE: u64 = 16;

/// What one raw run measured.
#[derive(Debug, Clone, Copy)]
pub struct RawFigures {
    pub messages: u64,
    pub elapsed: Duration,
    /// The same statements with one transaction per message instead of six.
    pub one_tx_elapsed: Duration,
}

/// A decision's `checks` of the size the policy writes (13 checks, ~1.6 KB).
fn checks_json() -> String {
    let one = r#"{"name":"confidence","passed":true,"reason":null,"detail":{"confidence":0.93,"threshold":0.85,"category":"faq"}}"#;
    format!("[{}]", vec![one; 13].join(","))
}

/// Creates the schema with the service's own migrations, then runs `n`
/// messages twice (six transactions each, then one each) on fresh files.
pub fn run(dir: &Path, n: u64) -> anyhow::Result<RawFigures> {
    let stepwise = time(&dir.join("raw-steps.db"), n, false)?;
    let one_tx = time(&dir.join("raw-onetx.db"), n, true)?;
    Ok(RawFigures { messages: n, elapsed: stepwise, one_tx_elapsed: one_tx })
}

fn time(path: &Path, n: u64, single: bool) -> anyhow::Result<Duration> {
    // The store's open() runs the migrations and sets the same pragmas.
    drop(
        clubos_store_sqlite::SqliteStore::open(path, clubos_store_sqlite::Synchronous::Normal)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let c = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.set_prepared_statement_cache_capacity(128);
    let checks = checks_json();
    let base_ms = jiff::Timestamp::now().as_millisecond();
    let started = Instant::now();
    for i in 0..n {
        message(&c, i, base_ms + (i / 4) as i64, &checks, single)?;
    }
    Ok(started.elapsed())
}

/// `BEGIN IMMEDIATE` (as the service's write transactions) when `on`.
fn begin(c: &Connection, on: bool) -> rusqlite::Result<()> {
    if on {
        c.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    }
    Ok(())
}

fn commit(c: &Connection, on: bool) -> rusqlite::Result<()> {
    if on {
        c.prepare_cached("COMMIT")?.execute([])?;
    }
    Ok(())
}

/// One message through every write of the reply path: six transactions
/// (`single` = false) or one.
fn message(c: &Connection, i: u64, now: i64, checks: &str, single: bool) -> anyhow::Result<()> {
    let each = !single;
    begin(c, single)?;
    let phone = format!("+1902{:07}", 2_000_000 + i);
    // 1. ingest: dedupe keys, open-thread lookup, thread, message, queue, depth.
    begin(c, each)?;
    {
        let mut seen = c.prepare_cached("INSERT OR IGNORE INTO webhook_keys (key, received_at) VALUES (?1, ?2)")?;
        seen.execute(params![format!("event:EVraw{i:016x}"), now])?;
        seen.execute(params![format!("message:ACraw{i:016x}"), now])?;
        let _open: Option<i64> = c
            .prepare_cached(
                "SELECT id FROM threads WHERE customer_phone = ?1 AND location = ?2
                 AND status NOT IN ('resolved', 'timeout', 'merged') AND updated_at >= ?3 ORDER BY updated_at DESC LIMIT 1",
            )?
            .query_row(params![phone, "sandbox", now - 1_800_000], |r| r.get(0))
            .ok();
        c.prepare_cached(
            "INSERT INTO threads (customer_phone, location, status, priority, created_at, updated_at, last_inbound_at, correlation_id)
             VALUES (?1, 'sandbox', 'awaiting_ai', 2, ?2, ?2, ?2, ?3)",
        )?
        .execute(params![phone, now, format!("{i:016x}")])?;
        let thread = c.last_insert_rowid();
        c.prepare_cached("INSERT INTO messages (thread_id, direction, body, at, author, external_id) VALUES (?1, 'inbound', ?2, ?3, 'customer', ?4)")?
            .execute(params![thread, "hi, what are your hours", now, format!("ACraw{i:016x}")])?;
        c.prepare_cached(
            "INSERT INTO queue (thread_id, priority, enqueued_at, available_at, dirty) VALUES (?1, 2, ?2, ?2, 1)",
        )?
        .execute(params![thread, now])?;
        let _depth: i64 = c
            .prepare_cached("SELECT count(*) FROM queue WHERE claimed_by IS NULL OR lease_until < ?1")?
            .query_row([now], |r| r.get(0))?;
    }
    commit(c, each)?;
    // 2. claim.
    begin(c, each)?;
    let (thread, msg) = {
        let thread: i64 = c
            .prepare_cached(
                "SELECT thread_id FROM queue WHERE available_at <= ?1 AND (claimed_by IS NULL OR lease_until < ?1)
                 ORDER BY priority, enqueued_at, thread_id LIMIT 1",
            )?
            .query_row([now], |r| r.get(0))?;
        c.prepare_cached("UPDATE queue SET claimed_by = ?2, lease_until = ?3, dirty = 0, attempts = attempts + 1 WHERE thread_id = ?1")?
            .execute(params![thread, "raw/0", now + 30_000])?;
        let msg: i64 = c
            .prepare_cached("SELECT id FROM messages WHERE thread_id = ?1 AND processed = 0 ORDER BY id")?
            .query_row([thread], |r| r.get(0))?;
        (thread, msg)
    };
    commit(c, each)?;
    // 3. the decision with its action intent.
    begin(c, each)?;
    let action = {
        c.prepare_cached(
            "INSERT INTO decisions (thread_id, category, sub_intent, confidence, verdict, reason, matched_sop, proposed_action,
                reply, model, tokens_in, tokens_out, cached, latency_ms, checks, at)
             VALUES (?1, 'faq', 'hours', 0.93, 'reply', NULL, 'faq.hours', 'send_reply', ?2, 'local', 0, 0, 0, 0, ?3, ?4)",
        )?
        .execute(params![thread, "We're open 24/7 for members.", checks, now])?;
        let decision = c.last_insert_rowid();
        c.prepare_cached("UPDATE messages SET processed = 1, decision_id = ?2 WHERE id = ?1 AND thread_id = ?3")?
            .execute(params![msg, decision, thread])?;
        c.prepare_cached("UPDATE threads SET last_classified_at = ?2 WHERE id = ?1")?.execute(params![thread, now])?;
        c.prepare_cached("UPDATE threads SET status = coalesce(?2, status), category = coalesce(?3, category), updated_at = max(updated_at, ?4) WHERE id = ?1")?
            .execute(params![thread, Option::<&str>::None, "faq", now])?;
        c.prepare_cached(
            "INSERT INTO actions (decision_id, thread_id, location, kind, target, status, triggered_by, actor, booking_id, body, started_at)
             SELECT ?1, ?2, location, 'send_reply', 'customer', 'pending', 'ai', 'ai', NULL, ?3, ?4 FROM threads WHERE id = ?2",
        )?
        .execute(params![decision, thread, "We're open 24/7 for members.", now])?;
        c.last_insert_rowid()
    };
    commit(c, each)?;
    // 4. the action's outcome, the outbound message and the thread's clock.
    begin(c, each)?;
    {
        c.prepare_cached(
            "UPDATE actions SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![action, "success", Option::<&str>::None, now])?;
        let _kind: String =
            c.prepare_cached("SELECT kind FROM actions WHERE id = ?1")?.query_row([action], |r| r.get(0))?;
        c.prepare_cached("INSERT INTO messages (thread_id, direction, body, at, author, processed) VALUES (?1, 'outbound', ?2, ?3, 'ai', 1)")?
            .execute(params![thread, "We're open 24/7 for members.", now])?;
        c.prepare_cached("UPDATE threads SET last_outbound_at = ?2, updated_at = max(updated_at, ?2) WHERE id = ?1")?
            .execute(params![thread, now])?;
    }
    commit(c, each)?;
    // 5. the thread's status.
    begin(c, each)?;
    {
        c.prepare_cached("UPDATE threads SET status = 'ai_resolved', updated_at = max(updated_at, ?2) WHERE id = ?1")?
            .execute(params![thread, now])?;
    }
    commit(c, each)?;
    // 6. release the queue item.
    begin(c, each)?;
    {
        c.prepare_cached("DELETE FROM queue WHERE thread_id = ?1 AND claimed_by = ?2 AND dirty = 0")?
            .execute(params![thread, "raw/0"])?;
    }
    commit(c, each)?;
    commit(c, single)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_writes_the_rows_of_the_reply_path() {
        let dir = tempfile::tempdir().unwrap();
        for single in [false, true] {
            let path = dir.path().join(format!("raw-{single}.db"));
            time(&path, 25, single).unwrap();
            let c = Connection::open(&path).unwrap();
            let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
            assert_eq!(count("SELECT count(*) FROM webhook_keys"), 50);
            assert_eq!(
                count("SELECT count(*) FROM threads WHERE status = 'ai_resolved' AND last_outbound_at IS NOT NULL"),
                25
            );
            assert_eq!(count("SELECT count(*) FROM messages WHERE processed = 1"), 50);
            assert_eq!(count("SELECT count(*) FROM decisions"), 25);
            assert_eq!(count("SELECT count(*) FROM actions WHERE status = 'success'"), 25);
            assert_eq!(count("SELECT count(*) FROM queue"), 0);
        }
    }
}
