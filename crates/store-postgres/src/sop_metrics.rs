//! SOP use metrics, written inside the transactions that record a decision
//! and an action's outcome, so they can never disagree with them.

use clubos_domain::{ActionKind, ActionOutcome, Verdict};
use clubos_store::{ActionRow, Result, SopMetrics};
use jiff::Timestamp;

use crate::convert::{Tx, exec, get, query, query_one, query_opt, rows};

/// A decision applied `sop` (its action ran or its reply was sent).
pub(crate) async fn used(tx: &Tx<'_>, sop: Option<&str>, verdict: Verdict, at: Timestamp) -> Result<()> {
    let Some(sop) = sop.filter(|_| matches!(verdict, Verdict::Execute | Verdict::Reply)) else {
        return Ok(());
    };
    exec(
        tx,
        "INSERT INTO sop_metrics (sop_id, times_used, last_used) VALUES ($1, 1, $2)
         ON CONFLICT (sop_id) DO UPDATE SET times_used = sop_metrics.times_used + 1, last_used = $2",
        &[&sop, &at],
    )
    .await
    .map(drop)
}

/// The outcome of an AI action: counted for the decision's SOP when it is
/// the decision's main action (its device action, else its reply).
pub(crate) async fn outcome(tx: &Tx<'_>, row: &ActionRow, outcome: ActionOutcome, at: Timestamp) -> Result<()> {
    let Some(decision) = row.decision_id else {
        return Ok(());
    };
    let sop: Option<String> =
        match query_opt(tx, "SELECT matched_sop FROM decisions WHERE id = $1", &[&decision]).await? {
            Some(r) => get(&r, 0)?,
            None => None,
        };
    let Some(sop) = sop else {
        return Ok(());
    };
    if row.kind == ActionKind::SendReply {
        let devices: i64 = get(
            &query_one(
                tx,
                "SELECT count(*) FROM actions WHERE decision_id = $1 AND kind <> 'send_reply'",
                &[&decision],
            )
            .await?,
            0,
        )?;
        if devices > 0 {
            return Ok(());
        }
    }
    let ok =
        matches!(outcome, ActionOutcome::Success | ActionOutcome::SuccessUnconfirmed | ActionOutcome::PartialSuccess);
    let sql = if ok {
        "INSERT INTO sop_metrics (sop_id, successes, last_success) VALUES ($1, 1, $2)
         ON CONFLICT (sop_id) DO UPDATE SET successes = sop_metrics.successes + 1, last_success = $2"
    } else {
        "INSERT INTO sop_metrics (sop_id, failures, last_failure) VALUES ($1, 1, $2)
         ON CONFLICT (sop_id) DO UPDATE SET failures = sop_metrics.failures + 1, last_failure = $2"
    };
    exec(tx, sql, &[&sop, &at]).await.map(drop)
}

pub(crate) async fn overridden(tx: &Tx<'_>, sop: &str) -> Result<()> {
    exec(
        tx,
        "INSERT INTO sop_metrics (sop_id, overrides) VALUES ($1, 1)
         ON CONFLICT (sop_id) DO UPDATE SET overrides = sop_metrics.overrides + 1",
        &[&sop],
    )
    .await
    .map(drop)
}

pub(crate) async fn all(tx: &Tx<'_>) -> Result<Vec<SopMetrics>> {
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
