//! Claude's review queue on SQLite (`review_jobs`, migration 8): strictly
//! FIFO — only the oldest unfinished job can be taken, so a job that waits
//! for a retry holds back the ones behind it — with a lease stored in
//! `next_at` while a job runs.

use clubos_store::{NewProposal, Result, ReviewJob, ReviewKind, ReviewStatus, StoreError};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{conv_err, ms, opt_ts, sql_err, ts};

const COLUMNS: &str = "id, kind, payload, status, attempts, next_at, last_error, created_at, finished_at";

fn job_row(r: &Row<'_>) -> rusqlite::Result<ReviewJob> {
    let kind: String = r.get(1)?;
    let status: String = r.get(3)?;
    Ok(ReviewJob {
        id: r.get(0)?,
        kind: ReviewKind::parse(&kind).ok_or_else(|| conv_err(format!("unknown review job kind `{kind}`")))?,
        payload: serde_json::from_str(&r.get::<_, String>(2)?).map_err(|e| conv_err(e.to_string()))?,
        status: ReviewStatus::parse(&status).ok_or_else(|| conv_err(format!("unknown review status `{status}`")))?,
        attempts: r.get(4)?,
        next_at: ts(r.get(5)?)?,
        last_error: r.get(6)?,
        created_at: ts(r.get(7)?)?,
        finished_at: opt_ts(r.get(8)?)?,
    })
}

pub(crate) fn job(c: &Connection, id: i64) -> Result<Option<ReviewJob>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM review_jobs WHERE id = ?1"))
        .map_err(sql_err)?
        .query_row([id], job_row)
        .optional()
        .map_err(sql_err)
}

fn existing(c: &Connection, id: i64) -> Result<ReviewJob> {
    job(c, id)?.ok_or_else(|| StoreError::NotFound(format!("review job {id}")))
}

pub(crate) fn enqueue(c: &Connection, kind: ReviewKind, payload: &serde_json::Value, at: Timestamp) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO review_jobs (kind, payload, status, attempts, next_at, created_at) \
         VALUES (?1, ?2, 'queued', 0, ?3, ?3)",
    )
    .map_err(sql_err)?
    .execute(params![kind.as_str(), payload.to_string(), ms(at)])
    .map_err(sql_err)?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn take(c: &Connection, now: Timestamp, lease: SignedDuration) -> Result<Option<ReviewJob>> {
    let head = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM review_jobs WHERE status IN ('queued', 'running') ORDER BY id LIMIT 1"
        ))
        .map_err(sql_err)?
        .query_row([], job_row)
        .optional()
        .map_err(sql_err)?;
    // Queued: due at next_at; running: its lease ends at next_at.
    let Some(head) = head.filter(|j| j.next_at <= now) else {
        return Ok(None);
    };
    c.prepare_cached("UPDATE review_jobs SET status = 'running', next_at = ?2 WHERE id = ?1")
        .map_err(sql_err)?
        .execute(params![head.id, ms(now + lease)])
        .map_err(sql_err)?;
    job(c, head.id)
}

fn running(c: &Connection, id: i64) -> Result<ReviewJob> {
    let j = existing(c, id)?;
    if j.status != ReviewStatus::Running {
        return Err(StoreError::Conflict(format!("review job {id} is {}, not running", j.status.as_str())));
    }
    Ok(j)
}

pub(crate) fn finish(c: &Connection, id: i64, proposals: &[NewProposal], at: Timestamp) -> Result<Vec<i64>> {
    running(c, id)?;
    let ids = crate::knowledge::propose(c, proposals, at)?;
    c.prepare_cached("UPDATE review_jobs SET status = 'done', finished_at = ?2 WHERE id = ?1")
        .map_err(sql_err)?
        .execute(params![id, ms(at)])
        .map_err(sql_err)?;
    Ok(ids)
}

pub(crate) fn fail(c: &Connection, id: i64, error: &str, at: Timestamp) -> Result<()> {
    existing(c, id)?;
    c.prepare_cached(
        "UPDATE review_jobs SET status = 'failed', attempts = attempts + 1, last_error = ?2, finished_at = ?3 \
         WHERE id = ?1",
    )
    .map_err(sql_err)?
    .execute(params![id, error, ms(at)])
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn retry(c: &Connection, id: i64, next_at: Timestamp, error: &str) -> Result<ReviewJob> {
    running(c, id)?;
    c.prepare_cached(
        "UPDATE review_jobs SET status = 'queued', attempts = attempts + 1, next_at = ?2, last_error = ?3 \
         WHERE id = ?1",
    )
    .map_err(sql_err)?
    .execute(params![id, ms(next_at), error])
    .map_err(sql_err)?;
    existing(c, id)
}

pub(crate) fn release_running(c: &Connection, now: Timestamp) -> Result<u64> {
    c.prepare_cached("UPDATE review_jobs SET status = 'queued', next_at = ?1 WHERE status = 'running'")
        .map_err(sql_err)?
        .execute(params![ms(now)])
        .map(|n| n as u64)
        .map_err(sql_err)
}

pub(crate) fn waiting(c: &Connection) -> Result<u64> {
    c.prepare_cached("SELECT COUNT(*) FROM review_jobs WHERE status IN ('queued', 'running')")
        .map_err(sql_err)?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
        .map_err(sql_err)
}

#[cfg(test)]
mod tests {
    use clubos_store::Store;

    use super::*;
    use crate::{SqliteStore, Synchronous};

    #[tokio::test]
    async fn the_queue_and_a_running_job_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clubos.db");
        let t0 = Timestamp::UNIX_EPOCH;
        let lease = SignedDuration::from_mins(10);
        let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        let a = s.enqueue_review(ReviewKind::Structure, serde_json::json!({"document": "a.md"}), t0).await.unwrap();
        let b = s.enqueue_review(ReviewKind::Review, serde_json::json!({"sop_id": "faq.x"}), t0).await.unwrap();
        assert_eq!(s.take_review(t0, lease).await.unwrap().map(|j| j.id), Some(a));
        drop(s); // the process dies while `a` runs

        let s = SqliteStore::open(&path, Synchronous::Normal).unwrap();
        assert_eq!(s.review_waiting().await.unwrap(), 2);
        assert_eq!(s.take_review(t0 + lease, lease).await.unwrap().map(|j| j.id), Some(a), "run again, first");
        s.finish_review(a, vec![], t0 + lease).await.unwrap();
        assert_eq!(s.take_review(t0 + lease, lease).await.unwrap().map(|j| j.id), Some(b));
    }
}
