//! The console's reads on PostgreSQL: the inbox order, operators' answers
//! to proposals, and decision counts per time bucket.

use clubos_domain::{Category, ReviewVerdict, Verdict};
use clubos_store::{
    DecisionStat, Direction, InboxFilter, InboxRow, LastMessage, NewProposalReview, ProposalReviewRow, Result,
    StoreError,
};
use jiff::Timestamp;

use crate::convert::{THREAD_COLUMNS, Tx, get, location, parse, query, rows, thread_row};
use crate::error::db;

pub(crate) async fn inbox(tx: &Tx<'_>, f: &InboxFilter) -> Result<Vec<InboxRow>> {
    let limit = i64::from(if f.limit == 0 { 100 } else { f.limit.min(500) });
    let locations: Option<Vec<String>> =
        f.locations.as_ref().map(|l| l.iter().map(|x| x.as_str().to_owned()).collect());
    let statuses: Option<Vec<String>> = f.statuses.as_ref().map(|s| s.iter().map(|x| x.as_str().to_owned()).collect());
    let cols = THREAD_COLUMNS.split(',').map(|c| format!("t.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {cols}, m.direction, m.body, m.at FROM (
             SELECT *, CASE WHEN status IN ('escalated', 'awaiting_human') THEN 0
                            WHEN status IN ('in_progress', 'manual_override') THEN 1
                            WHEN status IN ('ai_resolved', 'resolved', 'timeout', 'merged') THEN 3
                            ELSE 2 END AS grp
             FROM threads
             WHERE ($1::text[] IS NULL OR location = ANY ($1)) AND ($2::text[] IS NULL OR status = ANY ($2))
         ) t
         LEFT JOIN LATERAL (
             SELECT direction, body, at FROM messages WHERE thread_id = t.id AND direction = 'inbound' ORDER BY id DESC LIMIT 1
         ) m ON true
         ORDER BY grp, priority,
                  CASE WHEN grp <= 1 THEN extract(epoch FROM updated_at) ELSE -extract(epoch FROM updated_at) END,
                  t.id
         LIMIT $3"
    );
    let found = query(tx, &sql, &[&locations, &statuses, &limit]).await?;
    rows(&found, |r| {
        let direction: Option<String> = get(r, 15)?;
        let last_message = match direction {
            Some(d) => Some(LastMessage {
                direction: if d == "outbound" { Direction::Outbound } else { Direction::Inbound },
                body: get(r, 16)?,
                at: get(r, 17)?,
            }),
            None => None,
        };
        Ok(InboxRow { thread: thread_row(r)?, last_message })
    })
}

pub(crate) async fn record_review(tx: &Tx<'_>, r: &NewProposalReview) -> Result<bool> {
    let st = tx
        .prepare_cached(
            "INSERT INTO proposal_reviews (decision_id, thread_id, location, category, confidence, shadow, verdict,
                                           actor, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (decision_id) DO NOTHING",
        )
        .await
        .map_err(db)?;
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
        &r.decision_id,
        &r.thread_id,
        &r.location.as_str(),
        &r.category.as_str(),
        &r.confidence,
        &r.shadow,
        &r.verdict.as_str(),
        &r.actor,
        &r.at,
    ];
    match tx.execute(&st, &p).await {
        Ok(n) => Ok(n == 1),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
            Err(StoreError::NotFound(format!("decision {}", r.decision_id)))
        }
        Err(e) => Err(db(e)),
    }
}

pub(crate) async fn reviews(tx: &Tx<'_>, since: Timestamp) -> Result<Vec<ProposalReviewRow>> {
    let found = query(
        tx,
        "SELECT id, decision_id, thread_id, location, category, confidence, shadow, verdict, actor, at
         FROM proposal_reviews WHERE at >= $1 ORDER BY at, id",
        &[&since],
    )
    .await?;
    rows(&found, |r| {
        Ok(ProposalReviewRow {
            id: get(r, 0)?,
            review: NewProposalReview {
                decision_id: get(r, 1)?,
                thread_id: get(r, 2)?,
                location: location(get(r, 3)?)?,
                category: parse::<Category>(get(r, 4)?)?,
                confidence: get(r, 5)?,
                shadow: get(r, 6)?,
                verdict: parse::<ReviewVerdict>(get(r, 7)?)?,
                actor: get(r, 8)?,
                at: get(r, 9)?,
            },
        })
    })
}

pub(crate) async fn stats(tx: &Tx<'_>, since: Timestamp, bucket_secs: u32) -> Result<Vec<DecisionStat>> {
    let bucket = f64::from(bucket_secs.max(1));
    let found = query(
        tx,
        "SELECT t.location, to_timestamp(floor(extract(epoch FROM d.at)::double precision / $2::double precision) * $2::double precision) AS bucket, d.verdict, d.model,
                count(*)::bigint, coalesce(sum(d.tokens_in), 0)::bigint, coalesce(sum(d.tokens_out), 0)::bigint
         FROM decisions d JOIN threads t ON t.id = d.thread_id
         WHERE d.at >= $1
         GROUP BY 1, 2, 3, 4
         ORDER BY bucket, t.location COLLATE \"C\", d.verdict COLLATE \"C\", d.model COLLATE \"C\"",
        &[&since, &bucket],
    )
    .await?;
    rows(&found, |r| {
        Ok(DecisionStat {
            location: location(get(r, 0)?)?,
            bucket: get(r, 1)?,
            verdict: parse::<Verdict>(get(r, 2)?)?,
            model: get(r, 3)?,
            decisions: get::<i64>(r, 4)?.max(0) as u64,
            tokens_in: get::<i64>(r, 5)?.max(0) as u64,
            tokens_out: get::<i64>(r, 6)?.max(0) as u64,
        })
    })
}
