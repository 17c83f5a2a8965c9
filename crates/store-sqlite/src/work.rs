//! The worker's transactions: its context, decisions with their action
//! intents, action outcomes, and thread updates.

use clubos_domain::policy::LedgerScope;
use clubos_domain::{
    ActionKind, ActionOutcome, ActionRecord, Booking, BookingId, CustomerFlags, LocationId, TriggeredBy,
};
use clubos_store::{
    ActionId, ActionRow, ActionStatus, DecisionId, Direction, MessageRow, NewAction, NewDecision, NewNotification,
    Result, StoreError, ThreadId, ThreadUpdate, WorkContext,
};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{THREAD_COLUMNS, conv_err, ms, opt_ts, parse, sql_err, target, thread_row, ts};
use crate::reads::{bookings_for, customer, notify_tx};

/// Sorted in Rust rather than with ORDER BY: see `crate::plans`.
pub(crate) const PENDING_SQL: &str = "SELECT id, direction, body, at, author FROM messages WHERE thread_id = ?1 AND processed = 0 AND direction = 'inbound'";

pub(crate) fn work_context(c: &Connection, thread_id: ThreadId, now: Timestamp) -> Result<WorkContext> {
    let thread = c
        .prepare_cached(&format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1"))
        .map_err(sql_err)?
        .query_row([thread_id], thread_row)
        .optional()
        .map_err(sql_err)?
        .ok_or_else(|| StoreError::NotFound(format!("thread {thread_id}")))?;
    let (failed, last_classified): (i64, Option<i64>) = c
        .prepare_cached(
            "SELECT (SELECT count(*) FROM actions WHERE thread_id = ?1 AND triggered_by = 'ai' AND kind != 'send_reply'
                     AND status IN ('failed', 'timeout')),
                    last_classified_at FROM threads WHERE id = ?1",
        )
        .map_err(sql_err)?
        .query_row([thread_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sql_err)?;
    let mut pending = c
        .prepare_cached(PENDING_SQL)
        .map_err(sql_err)?
        .query_map([thread_id], message_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    pending.sort_unstable_by_key(|m| m.id);
    let (flags, bookings) = match &thread.customer_phone {
        Some(phone) => {
            let flags = customer(c, phone)?.map(|c| c.flags).unwrap_or_default();
            let window = SignedDuration::from_hours(12);
            let bookings: Vec<Booking> = bookings_for(c, phone, Some(&thread.location), now - window, now + window)?;
            (flags, bookings)
        }
        // Redacted: the customer was forgotten.
        None => Default::default(),
    };
    Ok(WorkContext {
        failed_ai_actions: failed as u32,
        last_classified_at: opt_ts(last_classified).map_err(sql_err)?,
        thread,
        pending,
        flags: CustomerFlags::from_iter(flags),
        bookings,
    })
}

pub(crate) fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    let direction = match r.get::<_, String>(1)?.as_str() {
        "inbound" => Direction::Inbound,
        "outbound" => Direction::Outbound,
        other => return Err(conv_err(format!("direction {other}"))),
    };
    Ok(MessageRow { id: r.get(0)?, direction, body: r.get(2)?, at: ts(r.get(3)?)?, author: r.get(4)? })
}

pub(crate) fn commit_decision(c: &Connection, d: &NewDecision) -> Result<(DecisionId, Vec<ActionId>)> {
    let tx = c;
    let at = ms(d.at);
    if let Some(worker) = &d.claim {
        let held: i64 = tx
            .prepare_cached("SELECT count(*) FROM queue WHERE thread_id = ?1 AND claimed_by = ?2 AND lease_until >= ?3")
            .map_err(sql_err)?
            .query_row(params![d.thread_id, worker, at], |r| r.get(0))
            .map_err(sql_err)?;
        if held == 0 {
            return Err(StoreError::Conflict(format!("worker {worker} no longer holds thread {}", d.thread_id)));
        }
    }
    tx.prepare_cached(
        "INSERT INTO decisions (thread_id, category, sub_intent, confidence, verdict, reason, matched_sop, proposed_action,
            reply, model, tokens_in, tokens_out, cached, latency_ms, checks, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )
    .map_err(sql_err)?
    .execute(params![
        d.thread_id,
        d.category.map(|c| c.as_str()),
        d.sub_intent,
        d.confidence,
        d.verdict.as_str(),
        d.reason.map(|r| r.as_str()),
        d.matched_sop.as_ref().map(|s| s.as_str()),
        d.proposed_action,
        d.reply,
        d.model,
        d.tokens_in,
        d.tokens_out,
        d.cached,
        d.latency_ms as i64,
        d.checks.to_string(),
        at,
    ])
    .map_err(sql_err)?;
    let decision_id = tx.last_insert_rowid();
    crate::sop_metrics::used(tx, d.matched_sop.as_ref().map(|s| s.as_str()), d.verdict, d.at)?;
    {
        let mut mark = tx
            .prepare_cached(
                "UPDATE messages SET processed = 1, decision_id = ?2 WHERE id = ?1 AND thread_id = ?3 AND processed = 0",
            )
            .map_err(sql_err)?;
        for id in &d.message_ids {
            // A message already decided means another worker got there first.
            if mark.execute(params![id, decision_id, d.thread_id]).map_err(sql_err)? != 1 {
                return Err(StoreError::Conflict(format!("message {id} was already decided")));
            }
        }
    }
    if d.classified {
        tx.prepare_cached("UPDATE threads SET last_classified_at = ?2 WHERE id = ?1")
            .map_err(sql_err)?
            .execute(params![d.thread_id, at])
            .map_err(sql_err)?;
    }
    apply_thread_update(tx, d.thread_id, &d.thread, d.at)?;
    let mut ids = Vec::with_capacity(d.actions.len());
    for a in &d.actions {
        ids.push(insert_action(tx, d.thread_id, Some(decision_id), a, d.at)?);
    }
    if let Some(n) = &d.notification {
        notify_tx(tx, n, d.at)?;
    }
    Ok((decision_id, ids))
}

pub(crate) fn mark_processed(
    c: &Connection,
    thread_id: ThreadId,
    ids: &[i64],
    n: Option<&NewNotification>,
    at: Timestamp,
) -> Result<()> {
    let tx = c;
    {
        let mut mark =
            tx.prepare_cached("UPDATE messages SET processed = 1 WHERE id = ?1 AND thread_id = ?2").map_err(sql_err)?;
        for id in ids {
            mark.execute(params![id, thread_id]).map_err(sql_err)?;
        }
    }
    if let Some(n) = n {
        notify_tx(tx, n, at)?;
    }
    Ok(())
}

fn insert_action(
    tx: &Connection,
    thread_id: ThreadId,
    decision_id: Option<DecisionId>,
    a: &NewAction,
    at: Timestamp,
) -> Result<ActionId> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO actions (decision_id, thread_id, location, kind, target, status, triggered_by, actor, booking_id, body,
                started_at, override_reason)
             SELECT ?1, ?2, location, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?10 FROM threads WHERE id = ?2",
        )
        .map_err(sql_err)?
        .execute(params![
            decision_id,
            thread_id,
            a.kind.as_str(),
            a.target.to_string(),
            a.triggered_by.as_str(),
            a.actor,
            a.booking.as_ref().map(|b| b.as_str()),
            a.body,
            ms(at),
            a.override_reason,
        ])
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::Conflict(format!("decision {decision_id:?} already has a {} action", a.kind))
            }
            other => sql_err(other),
        })?;
    if inserted == 0 {
        return Err(StoreError::NotFound(format!("thread {thread_id}")));
    }
    Ok(tx.last_insert_rowid())
}

pub(crate) fn start_action(
    c: &Connection,
    thread_id: ThreadId,
    decision_id: Option<DecisionId>,
    a: &NewAction,
    at: Timestamp,
) -> Result<ActionId> {
    let tx = c;
    let id = insert_action(tx, thread_id, decision_id, a, at)?;
    Ok(id)
}

const ACTION_COLUMNS: &str = "id, decision_id, thread_id, kind, target, status, triggered_by, actor, booking_id, body, \
    started_at, finished_at, error, override_reason";

pub(crate) fn action_row(r: &Row<'_>) -> rusqlite::Result<ActionRow> {
    let status: String = r.get(5)?;
    Ok(ActionRow {
        id: r.get(0)?,
        decision_id: r.get(1)?,
        thread_id: r.get(2)?,
        kind: parse::<ActionKind>(&r.get::<_, String>(3)?)?,
        target: target(&r.get::<_, String>(4)?)?,
        status: ActionStatus::parse(&status).ok_or_else(|| conv_err(format!("action status {status}")))?,
        triggered_by: parse::<TriggeredBy>(&r.get::<_, String>(6)?)?,
        actor: r.get(7)?,
        booking_id: r
            .get::<_, Option<String>>(8)?
            .map(|b| BookingId::parse(&b).map_err(|e| conv_err(e.to_string())))
            .transpose()?,
        body: r.get(9)?,
        started_at: ts(r.get(10)?)?,
        finished_at: opt_ts(r.get(11)?)?,
        error: r.get(12)?,
        override_reason: r.get(13)?,
    })
}

pub(crate) fn actions_sql(clause: &str) -> String {
    format!("SELECT {ACTION_COLUMNS} FROM actions WHERE {clause}")
}

pub(crate) fn actions_where(c: &Connection, clause: &str, p: impl rusqlite::Params) -> Result<Vec<ActionRow>> {
    // Sorted here, not with ORDER BY: see `crate::plans`.
    let mut rows = c
        .prepare_cached(&actions_sql(clause))
        .map_err(sql_err)?
        .query_map(p, action_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    rows.sort_unstable_by_key(|r| r.id);
    Ok(rows)
}

pub(crate) fn finish_action(
    c: &Connection,
    id: ActionId,
    outcome: ActionOutcome,
    error: Option<String>,
    at: Timestamp,
) -> Result<ActionRow> {
    let tx = c;
    let n = tx
        .prepare_cached(
            "UPDATE actions SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1 AND status = 'pending'",
        )
        .map_err(sql_err)?
        .execute(params![id, outcome.as_str(), error, ms(at)])
        .map_err(sql_err)?;
    let row = actions_where(tx, "id = ?1", [id])?.pop().ok_or_else(|| StoreError::NotFound(format!("action {id}")))?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("action {id} already finished as {}", row.status.as_str())));
    }
    crate::sop_metrics::outcome(tx, &row, outcome, at)?;
    if row.kind == ActionKind::SendReply && outcome.may_have_succeeded() {
        let body = row.body.clone().unwrap_or_default();
        tx.prepare_cached(
            "INSERT INTO messages (thread_id, direction, body, at, author, processed) VALUES (?1, 'outbound', ?2, ?3, ?4, 1)",
        )
        .map_err(sql_err)?
        .execute(params![row.thread_id, body, ms(at), row.actor])
        .map_err(sql_err)?;
        tx.prepare_cached("UPDATE threads SET last_outbound_at = ?2, updated_at = max(updated_at, ?2) WHERE id = ?1")
            .map_err(sql_err)?
            .execute(params![row.thread_id, ms(at)])
            .map_err(sql_err)?;
    }
    Ok(row)
}

pub(crate) fn pending_actions(c: &Connection) -> Result<Vec<ActionRow>> {
    actions_where(c, "status = 'pending'", [])
}

/// Exactly `scope.select(..)` of the location's attempts (see [`LedgerScope`]).
pub(crate) fn ledger(c: &Connection, location: &LocationId, scope: &LedgerScope) -> Result<Vec<ActionRecord>> {
    let rows = actions_where(
        c,
        "id IN (
            SELECT id FROM (SELECT id FROM actions
                WHERE location = ?1 AND kind = ?2 AND target = ?3 AND started_at <= ?4
                ORDER BY started_at DESC LIMIT 1)
            UNION SELECT id FROM actions
                WHERE ?5 IS NOT NULL AND location = ?1 AND kind = ?2 AND target = ?3
                  AND started_at >= ?5 AND started_at <= ?4
            UNION SELECT id FROM actions
                WHERE booking_id = ?6 AND kind = ?2 AND location = ?1)",
        params![
            location.as_str(),
            scope.kind.as_str(),
            scope.target.to_string(),
            ms(scope.until),
            scope.window_since.map(ms),
            scope.booking.as_ref().map(|b| b.as_str()),
        ],
    )?;
    Ok(rows.iter().map(ActionRow::to_record).collect())
}

pub(crate) fn apply_thread_update(tx: &Connection, thread_id: ThreadId, u: &ThreadUpdate, at: Timestamp) -> Result<()> {
    let (reason, summary, proposal) = match &u.escalation {
        Some(e) => (e.reason.map(|r| r.as_str()), Some(e.summary.as_str()), e.proposal.as_ref().map(|p| p.to_string())),
        None => (None, None, None),
    };
    let expect = (!u.expect.is_empty())
        .then(|| serde_json::to_string(&u.expect.iter().map(|s| s.as_str()).collect::<Vec<_>>()).unwrap_or_default());
    let n = tx
        .prepare_cached(
            "UPDATE threads SET
                status = coalesce(?2, status),
                category = coalesce(?3, category),
                bay = coalesce(?4, bay),
                escalation_reason = CASE WHEN ?6 IS NULL THEN escalation_reason ELSE ?5 END,
                escalation_summary = CASE WHEN ?6 IS NULL THEN escalation_summary ELSE ?6 END,
                proposal = CASE WHEN ?10 THEN NULL WHEN ?6 IS NULL THEN proposal ELSE ?7 END,
                updated_at = max(updated_at, ?8)
             WHERE id = ?1
               AND (?9 IS NULL OR status IN (SELECT value FROM json_each(?9)))
               AND (NOT ?11 OR proposal IS NOT NULL)",
        )
        .map_err(sql_err)?
        .execute(params![
            thread_id,
            u.status.map(|s| s.as_str()),
            u.category.map(|c| c.as_str()),
            u.bay.map(|b| i64::from(b.get())),
            reason,
            summary,
            proposal,
            ms(at),
            expect,
            u.clear_proposal,
            u.require_proposal,
        ])
        .map_err(sql_err)?;
    if n == 0 {
        let exists: i64 =
            tx.query_row("SELECT count(*) FROM threads WHERE id = ?1", [thread_id], |r| r.get(0)).map_err(sql_err)?;
        return Err(if exists == 0 {
            StoreError::NotFound(format!("thread {thread_id}"))
        } else {
            StoreError::Conflict(format!(
                "thread {thread_id} changed (its status or proposal is no longer as expected)"
            ))
        });
    }
    Ok(())
}
