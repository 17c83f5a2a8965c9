//! SOP use metrics, written inside the transactions that record a decision
//! and an action's outcome, so they can never disagree with them.
//!
//! Why events: every decision and outcome used to upsert its SOP's one
//! `sop_metrics` row, so all workers of all instances queued on a handful of
//! row locks held until each commit's WAL flush. Now the hot path appends a
//! row to `sop_metric_events` (inserts never wait on each other) and
//! [`fold`] adds the pending events into `sop_metrics` — on every read, and
//! from the scheduler's housekeeping so the event table stays small.

use clubos_domain::{ActionKind, ActionOutcome, Verdict};
use clubos_store::{ActionRow, Result, SopMetrics};
use jiff::Timestamp;

use crate::convert::{Tx, exec, get, query, rows};

/// A decision applied `sop` (its action ran or its reply was sent).
pub(crate) async fn used(tx: &Tx<'_>, sop: Option<&str>, verdict: Verdict, at: Timestamp) -> Result<()> {
    let Some(sop) = sop.filter(|_| matches!(verdict, Verdict::Execute | Verdict::Reply)) else {
        return Ok(());
    };
    exec(tx, "INSERT INTO sop_metric_events (sop_id, kind, at) VALUES ($1, 'used', $2)", &[&sop, &at]).await.map(drop)
}

/// The outcome of an AI action: counted for the decision's SOP when it is
/// the decision's main action (its device action, else its reply). One
/// statement: the SOP lookup and the "has a device action" check run in the
/// database.
pub(crate) async fn outcome(tx: &Tx<'_>, row: &ActionRow, outcome: ActionOutcome, at: Timestamp) -> Result<()> {
    let Some(decision) = row.decision_id else {
        return Ok(());
    };
    let ok =
        matches!(outcome, ActionOutcome::Success | ActionOutcome::SuccessUnconfirmed | ActionOutcome::PartialSuccess);
    let kind = if ok { "success" } else { "failure" };
    let sql = if row.kind == ActionKind::SendReply {
        "INSERT INTO sop_metric_events (sop_id, kind, at)
         SELECT d.matched_sop, $2, $3 FROM decisions d
         WHERE d.id = $1 AND d.matched_sop IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.decision_id = $1 AND a.kind <> 'send_reply')"
    } else {
        "INSERT INTO sop_metric_events (sop_id, kind, at)
         SELECT d.matched_sop, $2, $3 FROM decisions d WHERE d.id = $1 AND d.matched_sop IS NOT NULL"
    };
    exec(tx, sql, &[&decision, &kind, &at]).await.map(drop)
}

pub(crate) async fn overridden(tx: &Tx<'_>, sop: &str) -> Result<()> {
    exec(tx, "INSERT INTO sop_metric_events (sop_id, kind) VALUES ($1, 'override')", &[&sop]).await.map(drop)
}

/// Moves every pending event into the per-SOP totals; returns how many
/// events it folded. Concurrent folds never count an event twice: a second
/// `DELETE` waits for the first and then skips the rows it removed.
pub(crate) async fn fold(tx: &Tx<'_>) -> Result<u64> {
    let folded = query(
        tx,
        "WITH moved AS (DELETE FROM sop_metric_events RETURNING sop_id, kind, at),
         totals AS (
             SELECT sop_id,
                    count(*) FILTER (WHERE kind = 'used') AS used,
                    count(*) FILTER (WHERE kind = 'success') AS successes,
                    count(*) FILTER (WHERE kind = 'failure') AS failures,
                    count(*) FILTER (WHERE kind = 'override') AS overrides,
                    max(at) FILTER (WHERE kind = 'used') AS last_used,
                    max(at) FILTER (WHERE kind = 'success') AS last_success,
                    max(at) FILTER (WHERE kind = 'failure') AS last_failure,
                    count(*) AS events
             FROM moved GROUP BY sop_id),
         applied AS (
             INSERT INTO sop_metrics AS m
                 (sop_id, times_used, successes, failures, overrides, last_used, last_success, last_failure)
             SELECT sop_id, used, successes, failures, overrides, last_used, last_success, last_failure FROM totals
             ON CONFLICT (sop_id) DO UPDATE SET
                 times_used = m.times_used + EXCLUDED.times_used,
                 successes = m.successes + EXCLUDED.successes,
                 failures = m.failures + EXCLUDED.failures,
                 overrides = m.overrides + EXCLUDED.overrides,
                 last_used = GREATEST(m.last_used, EXCLUDED.last_used),
                 last_success = GREATEST(m.last_success, EXCLUDED.last_success),
                 last_failure = GREATEST(m.last_failure, EXCLUDED.last_failure))
         SELECT coalesce(sum(events), 0)::bigint FROM totals",
        &[],
    )
    .await?;
    let n: i64 = folded.first().map(|r| get(r, 0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The totals per SOP, after folding the pending events in.
pub(crate) async fn all(tx: &Tx<'_>) -> Result<Vec<SopMetrics>> {
    fold(tx).await?;
    let found = query(
        tx,
        "SELECT sop_id, times_used, successes, failures, overrides, last_used, last_success, last_failure
         FROM sop_metrics ORDER BY sop_id COLLATE \"C\"",
        &[],
    )
    .await?;
    rows(&found, |r| {
        Ok(SopMetrics {
            sop_id: get(r, 0)?,
            times_used: get(r, 1)?,
            successes: get(r, 2)?,
            failures: get(r, 3)?,
            overrides: get(r, 4)?,
            last_used: get(r, 5)?,
            last_success: get(r, 6)?,
            last_failure: get(r, 7)?,
        })
    })
}
