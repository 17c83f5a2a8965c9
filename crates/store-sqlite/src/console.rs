//! The console's reads on SQLite: the inbox order, operators' answers to
//! proposals, and decision counts per time bucket.

use async_trait::async_trait;
use clubos_domain::{Category, LocationId, ReviewVerdict, Verdict};
use clubos_store::{
    ConsoleStore, DecisionStat, Direction, InboxFilter, InboxRow, LastMessage, NewProposalReview, ProposalReviewRow,
    Result, StoreError,
};
use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::SqliteStore;
use crate::convert::{THREAD_COLUMNS, location, ms, parse, sql_err, thread_row, ts};

fn json_list<T: AsRef<str>>(list: Option<&[T]>) -> Option<String> {
    list.map(|l| serde_json::Value::from(l.iter().map(|x| x.as_ref().to_owned()).collect::<Vec<_>>()).to_string())
}

fn inbox(c: &Connection, f: &InboxFilter) -> Result<Vec<InboxRow>> {
    let limit = if f.limit == 0 { 100 } else { f.limit.min(500) };
    let locations: Option<Vec<&str>> = f.locations.as_ref().map(|l| l.iter().map(LocationId::as_str).collect());
    let statuses: Option<Vec<&str>> = f.statuses.as_ref().map(|s| s.iter().map(|s| s.as_str()).collect());
    let cols = THREAD_COLUMNS.split(',').map(|c| format!("t.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {cols}, m.direction, m.body, m.at FROM (
             SELECT *, CASE WHEN status IN ('escalated', 'awaiting_human') THEN 0
                            WHEN status IN ('in_progress', 'manual_override') THEN 1
                            WHEN status IN ('ai_resolved', 'resolved', 'timeout', 'merged') THEN 3
                            ELSE 2 END AS grp
             FROM threads
             WHERE (?1 IS NULL OR location IN (SELECT value FROM json_each(?1)))
               AND (?2 IS NULL OR status IN (SELECT value FROM json_each(?2)))
         ) t
         LEFT JOIN messages m ON m.id = (SELECT max(id) FROM messages WHERE thread_id = t.id AND direction = 'inbound')
         ORDER BY grp, priority, CASE WHEN grp <= 1 THEN updated_at ELSE -updated_at END, t.id
         LIMIT ?3"
    );
    c.prepare_cached(&sql)
        .map_err(sql_err)?
        .query_map(params![json_list(locations.as_deref()), json_list(statuses.as_deref()), limit], |r| {
            let thread = thread_row(r)?;
            let direction: Option<String> = r.get(15)?;
            let last_message = match direction {
                Some(d) => Some(LastMessage {
                    direction: if d == "outbound" { Direction::Outbound } else { Direction::Inbound },
                    body: r.get(16)?,
                    at: ts(r.get(17)?)?,
                }),
                None => None,
            };
            Ok(InboxRow { thread, last_message })
        })
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}

fn record_review(c: &Connection, r: &NewProposalReview) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO proposal_reviews (decision_id, thread_id, location, category, confidence, shadow, verdict,
                                           actor, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (decision_id) DO NOTHING",
        )
        .map_err(sql_err)?
        .execute(params![
            r.decision_id,
            r.thread_id,
            r.location.as_str(),
            r.category.as_str(),
            r.confidence,
            r.shadow,
            r.verdict.as_str(),
            r.actor,
            ms(r.at)
        ])
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StoreError::NotFound(format!("decision {}", r.decision_id))
            }
            other => sql_err(other),
        })?;
    Ok(n == 1)
}

fn reviews(c: &Connection, since: Timestamp) -> Result<Vec<ProposalReviewRow>> {
    c.prepare_cached(
        "SELECT id, decision_id, thread_id, location, category, confidence, shadow, verdict, actor, at
         FROM proposal_reviews WHERE at >= ?1 ORDER BY at, id",
    )
    .map_err(sql_err)?
    .query_map([ms(since)], |r| {
        Ok(ProposalReviewRow {
            id: r.get(0)?,
            review: NewProposalReview {
                decision_id: r.get(1)?,
                thread_id: r.get(2)?,
                location: location(&r.get::<_, String>(3)?)?,
                category: parse::<Category>(&r.get::<_, String>(4)?)?,
                confidence: r.get(5)?,
                shadow: r.get(6)?,
                verdict: parse::<ReviewVerdict>(&r.get::<_, String>(7)?)?,
                actor: r.get(8)?,
                at: ts(r.get(9)?)?,
            },
        })
    })
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

fn stats(c: &Connection, since: Timestamp, bucket_secs: u32) -> Result<Vec<DecisionStat>> {
    let bucket_ms = i64::from(bucket_secs.max(1)) * 1000;
    c.prepare_cached(
        "SELECT t.location, (d.at / ?2) * ?2 AS bucket, d.verdict, d.model, count(*), sum(d.tokens_in),
                sum(d.tokens_out)
         FROM decisions d JOIN threads t ON t.id = d.thread_id
         WHERE d.at >= ?1
         GROUP BY t.location, bucket, d.verdict, d.model
         ORDER BY bucket, t.location, d.verdict, d.model",
    )
    .map_err(sql_err)?
    .query_map(params![ms(since), bucket_ms], |r| {
        Ok(DecisionStat {
            location: location(&r.get::<_, String>(0)?)?,
            bucket: ts(r.get(1)?)?,
            verdict: parse::<Verdict>(&r.get::<_, String>(2)?)?,
            model: r.get(3)?,
            decisions: r.get::<_, i64>(4)?.max(0) as u64,
            tokens_in: r.get::<_, i64>(5)?.max(0) as u64,
            tokens_out: r.get::<_, i64>(6)?.max(0) as u64,
        })
    })
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

#[async_trait]
impl ConsoleStore for SqliteStore {
    async fn inbox(&self, filter: InboxFilter) -> Result<Vec<InboxRow>> {
        self.read(move |c| inbox(c, &filter)).await
    }
    async fn record_proposal_review(&self, r: NewProposalReview) -> Result<bool> {
        self.write(move |c| record_review(c, &r)).await
    }
    async fn proposal_reviews(&self, since: Timestamp) -> Result<Vec<ProposalReviewRow>> {
        self.read(move |c| reviews(c, since)).await
    }
    async fn decision_stats(&self, since: Timestamp, bucket_secs: u32) -> Result<Vec<DecisionStat>> {
        self.read(move |c| stats(c, since, bucket_secs)).await
    }
}
