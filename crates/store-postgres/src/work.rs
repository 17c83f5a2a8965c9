//! The worker's transactions: its context, decisions with their action
//! intents, action outcomes, the ledger and thread updates.

use clubos_domain::policy::LedgerScope;
use clubos_domain::{ActionKind, ActionOutcome, ActionRecord, BookingId, LocationId, TriggeredBy};
use clubos_store::{
    ActionId, ActionRow, ActionStatus, DecisionId, Direction, MessageRow, NewAction, NewDecision, NewNotification,
    Result, StoreError, ThreadId, ThreadUpdate, WorkContext,
};
use jiff::{SignedDuration, Timestamp};
use tokio_postgres::Row;

use crate::convert::{
    THREAD_COLUMNS, Tx, bay_number, big, corrupt_opt, exec, get, parse, query, query_one, query_opt, rows, target,
    thread_row,
};
use crate::error::{corrupt, db, is_unique_violation};
use crate::reads::{bookings_for, customer, notify_tx};

pub(crate) async fn work_context(tx: &Tx<'_>, thread_id: ThreadId, now: Timestamp) -> Result<WorkContext> {
    let row = query_opt(
        tx,
        &format!("SELECT {THREAD_COLUMNS}, last_classified_at FROM threads WHERE id = $1"),
        &[&thread_id],
    )
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("thread {thread_id}")))?;
    let thread = thread_row(&row)?;
    let last_classified_at: Option<Timestamp> = get(&row, 15)?;
    let failed: i64 = get(
        &query_one(
            tx,
            "SELECT count(*) FROM actions WHERE thread_id = $1 AND triggered_by = 'ai' AND kind <> 'send_reply'
             AND status IN ('failed', 'timeout')",
            &[&thread_id],
        )
        .await?,
        0,
    )?;
    let pending = rows(
        &query(
            tx,
            "SELECT id, direction, body, at, author FROM messages
             WHERE thread_id = $1 AND NOT processed AND direction = 'inbound' ORDER BY id",
            &[&thread_id],
        )
        .await?,
        message_row,
    )?;
    let (flags, bookings) = match &thread.customer_phone {
        Some(phone) => {
            let flags = customer(tx, phone).await?.map(|c| c.flags).unwrap_or_default();
            let window = SignedDuration::from_hours(12);
            (flags, bookings_for(tx, phone, Some(&thread.location), now - window, now + window).await?)
        }
        // Redacted: the customer was forgotten.
        None => Default::default(),
    };
    Ok(WorkContext {
        failed_ai_actions: u32::try_from(failed).unwrap_or(u32::MAX),
        last_classified_at,
        thread,
        pending,
        flags,
        bookings,
    })
}

pub(crate) fn message_row(r: &Row) -> Result<MessageRow> {
    let direction = match get::<&str>(r, 1)? {
        "inbound" => Direction::Inbound,
        "outbound" => Direction::Outbound,
        other => return Err(corrupt(format!("direction {other}"))),
    };
    Ok(MessageRow { id: get(r, 0)?, direction, body: get(r, 2)?, at: get(r, 3)?, author: get(r, 4)? })
}

/// Locks a thread's row until the transaction ends. Every transaction that
/// writes a thread and the rows around it (queue item, SOP metrics) locks the
/// thread first: one order, so two instances never deadlock.
pub(crate) async fn lock_thread(tx: &Tx<'_>, thread_id: ThreadId) -> Result<()> {
    query_opt(tx, "SELECT 1 FROM threads WHERE id = $1 FOR NO KEY UPDATE", &[&thread_id]).await.map(drop)
}

pub(crate) async fn commit_decision(tx: &Tx<'_>, d: &NewDecision) -> Result<(DecisionId, Vec<ActionId>)> {
    lock_thread(tx, d.thread_id).await?;
    if let Some(worker) = &d.claim {
        // FOR SHARE: the claim cannot be taken over (its lease run out) by
        // another instance until this decision is committed.
        let held = query_opt(
            tx,
            "SELECT 1 FROM queue WHERE thread_id = $1 AND claimed_by = $2 AND lease_until >= $3 FOR SHARE",
            &[&d.thread_id, worker, &d.at],
        )
        .await?;
        if held.is_none() {
            return Err(StoreError::Conflict(format!("worker {worker} no longer holds thread {}", d.thread_id)));
        }
    }
    let row = query_one(
        tx,
        "INSERT INTO decisions (thread_id, category, sub_intent, confidence, verdict, reason, matched_sop,
            proposed_action, reply, model, tokens_in, tokens_out, cached, latency_ms, checks, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        &[
            &d.thread_id,
            &d.category.map(|c| c.as_str()),
            &d.sub_intent,
            &d.confidence,
            &d.verdict.as_str(),
            &d.reason.map(|r| r.as_str()),
            &d.matched_sop.as_ref().map(|s| s.as_str()),
            &d.proposed_action,
            &d.reply,
            &d.model,
            &i64::from(d.tokens_in),
            &i64::from(d.tokens_out),
            &d.cached,
            &big(d.latency_ms),
            &d.checks,
            &d.at,
        ],
    )
    .await?;
    let decision_id: DecisionId = get(&row, 0)?;
    crate::sop_metrics::used(tx, d.matched_sop.as_ref().map(|s| s.as_str()), d.verdict, d.at).await?;
    for id in &d.message_ids {
        // A message already decided means another worker got there first
        // (it waits here for that worker's commit, then finds it processed).
        let n = exec(
            tx,
            "UPDATE messages SET processed = true, decision_id = $2 WHERE id = $1 AND thread_id = $3 AND NOT processed",
            &[id, &decision_id, &d.thread_id],
        )
        .await?;
        if n != 1 {
            return Err(StoreError::Conflict(format!("message {id} was already decided")));
        }
    }
    if d.classified {
        exec(tx, "UPDATE threads SET last_classified_at = $2 WHERE id = $1", &[&d.thread_id, &d.at]).await?;
    }
    apply_thread_update(tx, d.thread_id, &d.thread, d.at).await?;
    let mut ids = Vec::with_capacity(d.actions.len());
    for a in &d.actions {
        ids.push(insert_action(tx, d.thread_id, Some(decision_id), a, d.at).await?);
    }
    if let Some(n) = &d.notification {
        notify_tx(tx, n, d.at).await?;
    }
    Ok((decision_id, ids))
}

pub(crate) async fn mark_processed(
    tx: &Tx<'_>,
    thread_id: ThreadId,
    ids: &[i64],
    n: Option<&NewNotification>,
    at: Timestamp,
) -> Result<()> {
    lock_thread(tx, thread_id).await?;
    exec(tx, "UPDATE messages SET processed = true WHERE id = ANY($1) AND thread_id = $2", &[&ids, &thread_id]).await?;
    if let Some(n) = n {
        notify_tx(tx, n, at).await?;
    }
    Ok(())
}

pub(crate) async fn insert_action(
    tx: &Tx<'_>,
    thread_id: ThreadId,
    decision_id: Option<DecisionId>,
    a: &NewAction,
    at: Timestamp,
) -> Result<ActionId> {
    let sql = "INSERT INTO actions (decision_id, thread_id, location, kind, target, status, triggered_by, actor,
            booking_id, body, started_at, override_reason)
         SELECT $1::bigint, $2::bigint, location, $3::text, $4::text, 'pending', $5::text, $6::text, $7::text,
            $8::text, $9::timestamptz, $10::text
         FROM threads WHERE id = $2
         RETURNING id";
    let st = tx.prepare_cached(sql).await.map_err(db)?;
    let row = tx
        .query_opt(
            &st,
            &[
                &decision_id,
                &thread_id,
                &a.kind.as_str(),
                &a.target.to_string(),
                &a.triggered_by.as_str(),
                &a.actor,
                &a.booking.as_ref().map(|b| b.as_str()),
                &a.body,
                &at,
                &a.override_reason,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e, "actions_once_per_decision") {
                StoreError::Conflict(format!("decision {decision_id:?} already has a {} action", a.kind))
            } else {
                db(e)
            }
        })?;
    let row = row.ok_or_else(|| StoreError::NotFound(format!("thread {thread_id}")))?;
    get(&row, 0)
}

const ACTION_COLUMNS: &str = "id, decision_id, thread_id, kind, target, status, triggered_by, actor, booking_id, body, \
    started_at, finished_at, error, override_reason";

pub(crate) fn action_row(r: &Row) -> Result<ActionRow> {
    let status: &str = get(r, 5)?;
    Ok(ActionRow {
        id: get(r, 0)?,
        decision_id: get(r, 1)?,
        thread_id: get(r, 2)?,
        kind: parse::<ActionKind>(get(r, 3)?)?,
        target: target(get(r, 4)?)?,
        status: ActionStatus::parse(status).ok_or_else(|| corrupt(format!("action status {status}")))?,
        triggered_by: parse::<TriggeredBy>(get(r, 6)?)?,
        actor: get(r, 7)?,
        booking_id: corrupt_opt(get::<Option<&str>>(r, 8)?.map(BookingId::parse))?,
        body: get(r, 9)?,
        started_at: get(r, 10)?,
        finished_at: get(r, 11)?,
        error: get(r, 12)?,
        override_reason: get(r, 13)?,
    })
}

/// Actions matching `clause` (over `p`), in id order.
pub(crate) async fn actions_where(
    tx: &Tx<'_>,
    clause: &str,
    p: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<ActionRow>> {
    let sql = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE {clause} ORDER BY id");
    rows(&query(tx, &sql, p).await?, action_row)
}

pub(crate) async fn finish_action(
    tx: &Tx<'_>,
    id: ActionId,
    outcome: ActionOutcome,
    error: Option<String>,
    at: Timestamp,
) -> Result<ActionRow> {
    let n = exec(
        tx,
        "UPDATE actions SET status = $2, error = $3, finished_at = $4 WHERE id = $1 AND status = 'pending'",
        &[&id, &outcome.as_str(), &error, &at],
    )
    .await?;
    let row = actions_where(tx, "id = $1", &[&id])
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("action {id}")))?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("action {id} already finished as {}", row.status.as_str())));
    }
    lock_thread(tx, row.thread_id).await?;
    crate::sop_metrics::outcome(tx, &row, outcome, at).await?;
    if row.kind == ActionKind::SendReply && outcome.may_have_succeeded() {
        let body = row.body.clone().unwrap_or_default();
        exec(
            tx,
            "INSERT INTO messages (thread_id, direction, body, at, author, processed)
             VALUES ($1, 'outbound', $2, $3, $4, true)",
            &[&row.thread_id, &body, &at, &row.actor],
        )
        .await?;
        exec(
            tx,
            "UPDATE threads SET last_outbound_at = $2, updated_at = greatest(updated_at, $2) WHERE id = $1",
            &[&row.thread_id, &at],
        )
        .await?;
    }
    Ok(row)
}

pub(crate) async fn pending_actions(tx: &Tx<'_>) -> Result<Vec<ActionRow>> {
    actions_where(tx, "status = 'pending'", &[]).await
}

/// Exactly `scope.select(..)` of the location's attempts (see [`LedgerScope`]):
/// the latest attempt on the target, the target's attempts in the window,
/// and the booking's attempts of this kind.
pub(crate) async fn ledger(tx: &Tx<'_>, location: &LocationId, scope: &LedgerScope) -> Result<Vec<ActionRecord>> {
    // Three index scans returning whole rows, joined with `UNION ALL` and
    // de-duplicated here. Why not `id IN (…)` or `id = ANY(ARRAY(…))` over
    // the ids: the statement is prepared once per connection, and the
    // generic plan made while the table was young (a handful of rows)
    // fetched those ids with a sequential scan of every action — a read
    // that grew with the history (~1 scan per 2 messages in the load run).
    // Each branch here can only be an index scan whatever the table's size.
    let sql = format!(
        "(SELECT {ACTION_COLUMNS} FROM actions
             WHERE location = $1 AND kind = $2 AND target = $3 AND started_at <= $4
             ORDER BY started_at DESC LIMIT 1)
         UNION ALL
         (SELECT {ACTION_COLUMNS} FROM actions
             WHERE $5::timestamptz IS NOT NULL AND location = $1 AND kind = $2 AND target = $3
               AND started_at >= $5 AND started_at <= $4)
         UNION ALL
         (SELECT {ACTION_COLUMNS} FROM actions WHERE booking_id = $6 AND kind = $2 AND location = $1)"
    );
    let found = query(
        tx,
        &sql,
        &[
            &location.as_str(),
            &scope.kind.as_str(),
            &scope.target.to_string(),
            &scope.until,
            &scope.window_since,
            &scope.booking.as_ref().map(|b| b.as_str()),
        ],
    )
    .await?;
    let mut rows = rows(&found, action_row)?;
    rows.sort_by_key(|r| r.id);
    rows.dedup_by_key(|r| r.id);
    Ok(rows.iter().map(ActionRow::to_record).collect())
}

pub(crate) async fn apply_thread_update(
    tx: &Tx<'_>,
    thread_id: ThreadId,
    u: &ThreadUpdate,
    at: Timestamp,
) -> Result<()> {
    let (reason, summary, proposal) = match &u.escalation {
        Some(e) => (e.reason.map(|r| r.as_str()), Some(e.summary.as_str()), e.proposal.clone()),
        None => (None, None, None),
    };
    let expect: Option<Vec<&str>> = (!u.expect.is_empty()).then(|| u.expect.iter().map(|s| s.as_str()).collect());
    let n = exec(
        tx,
        "UPDATE threads SET
            status = coalesce($2, status),
            category = coalesce($3, category),
            bay = coalesce($4, bay),
            escalation_reason = CASE WHEN $6::text IS NULL THEN escalation_reason ELSE $5 END,
            escalation_summary = CASE WHEN $6::text IS NULL THEN escalation_summary ELSE $6 END,
            proposal = CASE WHEN $10 THEN NULL WHEN $6::text IS NULL THEN proposal ELSE $7 END,
            updated_at = greatest(updated_at, $8)
         WHERE id = $1
           AND ($9::text[] IS NULL OR status = ANY($9))
           AND (NOT $11 OR proposal IS NOT NULL)",
        &[
            &thread_id,
            &u.status.map(|s| s.as_str()),
            &u.category.map(|c| c.as_str()),
            &bay_number(u.bay),
            &reason,
            &summary,
            &proposal,
            &at,
            &expect,
            &u.clear_proposal,
            &u.require_proposal,
        ],
    )
    .await?;
    if n == 0 {
        let exists = query_opt(tx, "SELECT 1 FROM threads WHERE id = $1", &[&thread_id]).await?.is_some();
        return Err(if exists {
            StoreError::Conflict(format!(
                "thread {thread_id} changed (its status or proposal is no longer as expected)"
            ))
        } else {
            StoreError::NotFound(format!("thread {thread_id}"))
        });
    }
    Ok(())
}
