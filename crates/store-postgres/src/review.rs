//! Claude's review queue (`review_jobs`): strictly FIFO — only the oldest
//! unfinished job can be taken, so a job that waits for a retry holds back
//! the ones behind it — with a lease stored in `next_at` while a job runs.
//!
//! With several instances, `take` locks the head of the queue (`FOR UPDATE`,
//! waiting rather than skipping: skipping would hand out the second job while
//! the first is being taken, breaking the order). An instance that waited
//! then sees the head running under its new lease, and takes nothing.

use clubos_store::{NewProposal, Result, ReviewJob, ReviewKind, ReviewStatus, StoreError};
use jiff::{SignedDuration, Timestamp};
use tokio_postgres::Row;

use crate::convert::{Tx, exec, get, query_one, query_opt, small};
use crate::error::corrupt;

const COLUMNS: &str = "id, kind, payload, status, attempts, next_at, last_error, created_at, finished_at";

fn job_row(r: &Row) -> Result<ReviewJob> {
    let kind: &str = get(r, 1)?;
    let status: &str = get(r, 3)?;
    Ok(ReviewJob {
        id: get(r, 0)?,
        kind: ReviewKind::parse(kind).ok_or_else(|| corrupt(format!("unknown review job kind `{kind}`")))?,
        payload: get(r, 2)?,
        status: ReviewStatus::parse(status).ok_or_else(|| corrupt(format!("unknown review status `{status}`")))?,
        attempts: small(get(r, 4)?)?,
        next_at: get(r, 5)?,
        last_error: get(r, 6)?,
        created_at: get(r, 7)?,
        finished_at: get(r, 8)?,
    })
}

pub(crate) async fn job(tx: &Tx<'_>, id: i64) -> Result<Option<ReviewJob>> {
    query_opt(tx, &format!("SELECT {COLUMNS} FROM review_jobs WHERE id = $1"), &[&id])
        .await?
        .as_ref()
        .map(job_row)
        .transpose()
}

/// The job, locked until the transaction ends.
async fn locked(tx: &Tx<'_>, id: i64) -> Result<ReviewJob> {
    let row = query_opt(tx, &format!("SELECT {COLUMNS} FROM review_jobs WHERE id = $1 FOR UPDATE"), &[&id]).await?;
    row.as_ref().map(job_row).transpose()?.ok_or_else(|| StoreError::NotFound(format!("review job {id}")))
}

pub(crate) async fn enqueue(tx: &Tx<'_>, kind: ReviewKind, payload: &serde_json::Value, at: Timestamp) -> Result<i64> {
    let row = query_one(
        tx,
        "INSERT INTO review_jobs (kind, payload, status, attempts, next_at, created_at)
         VALUES ($1, $2, 'queued', 0, $3, $3) RETURNING id",
        &[&kind.as_str(), payload, &at],
    )
    .await?;
    get(&row, 0)
}

pub(crate) async fn take(tx: &Tx<'_>, now: Timestamp, lease: SignedDuration) -> Result<Option<ReviewJob>> {
    let head = query_opt(
        tx,
        &format!(
            "SELECT {COLUMNS} FROM review_jobs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 1 FOR UPDATE"
        ),
        &[],
    )
    .await?;
    // Queued: due at next_at; running: its lease ends at next_at.
    let Some(head) = head.as_ref().map(job_row).transpose()?.filter(|j| j.next_at <= now) else {
        return Ok(None);
    };
    let row = query_one(
        tx,
        &format!("UPDATE review_jobs SET status = 'running', next_at = $2 WHERE id = $1 RETURNING {COLUMNS}"),
        &[&head.id, &(now + lease)],
    )
    .await?;
    job_row(&row).map(Some)
}

async fn running(tx: &Tx<'_>, id: i64) -> Result<ReviewJob> {
    let j = locked(tx, id).await?;
    if j.status != ReviewStatus::Running {
        return Err(StoreError::Conflict(format!("review job {id} is {}, not running", j.status.as_str())));
    }
    Ok(j)
}

pub(crate) async fn finish(tx: &Tx<'_>, id: i64, proposals: &[NewProposal], at: Timestamp) -> Result<Vec<i64>> {
    running(tx, id).await?;
    let ids = crate::knowledge::propose(tx, proposals, at).await?;
    exec(tx, "UPDATE review_jobs SET status = 'done', finished_at = $2 WHERE id = $1", &[&id, &at]).await?;
    Ok(ids)
}

pub(crate) async fn fail(tx: &Tx<'_>, id: i64, error: &str, at: Timestamp) -> Result<()> {
    locked(tx, id).await?;
    exec(
        tx,
        "UPDATE review_jobs SET status = 'failed', attempts = attempts + 1, last_error = $2, finished_at = $3
         WHERE id = $1",
        &[&id, &error, &at],
    )
    .await
    .map(drop)
}

pub(crate) async fn retry(tx: &Tx<'_>, id: i64, next_at: Timestamp, error: &str) -> Result<ReviewJob> {
    running(tx, id).await?;
    let row = query_one(
        tx,
        &format!(
            "UPDATE review_jobs SET status = 'queued', attempts = attempts + 1, next_at = $2, last_error = $3
             WHERE id = $1 RETURNING {COLUMNS}"
        ),
        &[&id, &next_at, &error],
    )
    .await?;
    job_row(&row)
}

pub(crate) async fn waiting(tx: &Tx<'_>) -> Result<u64> {
    let row = query_one(tx, "SELECT count(*) FROM review_jobs WHERE status IN ('queued', 'running')", &[]).await?;
    Ok(get::<i64>(&row, 0)?.max(0) as u64)
}
