//! SOP use metrics on SQLite, written inside the transactions that record
//! a decision and an action's outcome, so they can never disagree with them.

use clubos_domain::{ActionKind, ActionOutcome, Verdict};
use clubos_store::{ActionRow, Result, SopMetrics};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::convert::{ms, opt_ts, sql_err};

/// A decision applied `sop` (its action ran or its reply was sent).
pub(crate) fn used(c: &Connection, sop: Option<&str>, verdict: Verdict, at: Timestamp) -> Result<()> {
    let Some(sop) = sop.filter(|_| matches!(verdict, Verdict::Execute | Verdict::Reply)) else {
        return Ok(());
    };
    c.prepare_cached(
        "INSERT INTO sop_metrics (sop_id, times_used, last_used) VALUES (?1, 1, ?2)
         ON CONFLICT(sop_id) DO UPDATE SET times_used = times_used + 1, last_used = ?2",
    )
    .map_err(sql_err)?
    .execute(params![sop, ms(at)])
    .map_err(sql_err)
    .map(drop)
}

/// The outcome of an AI action: counted for the decision's SOP when it is
/// the decision's main action (its device action, else its reply).
pub(crate) fn outcome(c: &Connection, row: &ActionRow, outcome: ActionOutcome, at: Timestamp) -> Result<()> {
    let Some(decision) = row.decision_id else {
        return Ok(());
    };
    let sop: Option<String> = c
        .prepare_cached("SELECT matched_sop FROM decisions WHERE id = ?1")
        .map_err(sql_err)?
        .query_row([decision], |r| r.get(0))
        .optional()
        .map_err(sql_err)?
        .flatten();
    let Some(sop) = sop else {
        return Ok(());
    };
    if row.kind == ActionKind::SendReply {
        let devices: i64 = c
            .prepare_cached("SELECT count(*) FROM actions WHERE decision_id = ?1 AND kind != 'send_reply'")
            .map_err(sql_err)?
            .query_row([decision], |r| r.get(0))
            .map_err(sql_err)?;
        if devices > 0 {
            return Ok(());
        }
    }
    let ok =
        matches!(outcome, ActionOutcome::Success | ActionOutcome::SuccessUnconfirmed | ActionOutcome::PartialSuccess);
    let sql = if ok {
        "INSERT INTO sop_metrics (sop_id, successes, last_success) VALUES (?1, 1, ?2)
         ON CONFLICT(sop_id) DO UPDATE SET successes = successes + 1, last_success = ?2"
    } else {
        "INSERT INTO sop_metrics (sop_id, failures, last_failure) VALUES (?1, 1, ?2)
         ON CONFLICT(sop_id) DO UPDATE SET failures = failures + 1, last_failure = ?2"
    };
    c.prepare_cached(sql).map_err(sql_err)?.execute(params![sop, ms(at)]).map_err(sql_err).map(drop)
}

pub(crate) fn overridden(c: &Connection, sop: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO sop_metrics (sop_id, overrides) VALUES (?1, 1)
         ON CONFLICT(sop_id) DO UPDATE SET overrides = overrides + 1",
    )
    .map_err(sql_err)?
    .execute([sop])
    .map_err(sql_err)
    .map(drop)
}

pub(crate) fn all(c: &Connection) -> Result<Vec<SopMetrics>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT sop_id, times_used, successes, failures, overrides, last_used, last_success, last_failure
             FROM sop_metrics ORDER BY sop_id",
        )
        .map_err(sql_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SopMetrics {
                sop_id: r.get(0)?,
                times_used: r.get(1)?,
                successes: r.get(2)?,
                failures: r.get(3)?,
                overrides: r.get(4)?,
                last_used: opt_ts(r.get(5)?)?,
                last_success: opt_ts(r.get(6)?)?,
                last_failure: opt_ts(r.get(7)?)?,
            })
        })
        .map_err(sql_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
}
