//! The customer data lifecycle on PostgreSQL ([`PrivacyStore`]): export,
//! forgetting a customer, redacting closed threads after the retention
//! period. A redacted thread's phone is stored as `''` and read back as
//! `None`.
//!
//! Forgetting and redacting take the advisory lock that `ingest` takes to
//! join a customer's thread at a location (`thread:<phone>:<location>`),
//! in sorted order, so a message arriving meanwhile either lands before the
//! redaction (and is redacted with its thread) or opens a new thread after
//! it — never joins a thread half-redacted.

use async_trait::async_trait;
use clubos_domain::PhoneNumber;
use clubos_store::{
    AuditEntry, CustomerData, Forgotten, PRIVACY_KEY_SETTING, PrivacyStore, REDACTED, Redaction, Result, ThreadId,
    audit_detail,
};
use jiff::Timestamp;

use crate::convert::{Tx, exec, get, lock, query, query_one, rows};
use crate::{PostgresStore, error, reads};

/// The statuses of finished threads (`ThreadStatus::is_closed`).
const CLOSED: &str = "('ai_resolved', 'resolved', 'timeout', 'merged')";

#[async_trait]
impl PrivacyStore for PostgresStore {
    async fn customer_data(&self, phone: &PhoneNumber) -> Result<CustomerData> {
        let mut conn = self.conn().await?;
        // One snapshot for every read.
        let tx = conn
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(error::db)?;
        let data = customer_data(&tx, phone).await?;
        tx.commit().await.map_err(error::db)?;
        Ok(data)
    }

    async fn forget_customer(&self, phone: &PhoneNumber, audit: AuditEntry, at: Timestamp) -> Result<Forgotten> {
        in_tx!(self, |tx| forget(&tx, phone, &audit, at))
    }

    async fn redact_closed_before(
        &self,
        before: Timestamp,
        limit: u32,
        audit: AuditEntry,
        at: Timestamp,
    ) -> Result<Redaction> {
        in_tx!(self, |tx| redact_closed(&tx, before, limit, &audit, at))
    }

    async fn privacy_key(&self, candidate: &str, at: Timestamp) -> Result<String> {
        in_tx!(self, |tx| async {
            exec(
                &tx,
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
                &[&PRIVACY_KEY_SETTING, &candidate, &at],
            )
            .await?;
            let row = query_one(&tx, "SELECT value FROM settings WHERE key = $1", &[&PRIVACY_KEY_SETTING]).await?;
            get::<String>(&row, 0)
        })
    }
}

async fn customer_data(tx: &Tx<'_>, phone: &PhoneNumber) -> Result<CustomerData> {
    let customer = reads::customer(tx, phone).await?;
    let found = query(
        tx,
        "SELECT id, location, bay, customer_phone, starts_at, ends_at, status FROM bookings
         WHERE customer_phone = $1 ORDER BY starts_at, id COLLATE \"C\"",
        &[&phone.as_str()],
    )
    .await?;
    let bookings = rows(&found, reads::booking_row)?;
    let ids =
        ids_of(tx, "SELECT id FROM threads WHERE customer_phone = $1 ORDER BY created_at, id", &[&phone.as_str()])
            .await?;
    let mut threads = Vec::with_capacity(ids.len());
    for id in &ids {
        threads.extend(reads::thread_detail(tx, *id).await?);
    }
    let found = query(
        tx,
        "SELECT id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by FROM notifications
         WHERE thread_id = ANY($1) ORDER BY id",
        &[&ids],
    )
    .await?;
    let notifications = rows(&found, reads::notification_row)?;
    Ok(CustomerData { phone: phone.clone(), customer, bookings, threads, notifications })
}

async fn ids_of(tx: &Tx<'_>, sql: &str, p: crate::convert::Params<'_>) -> Result<Vec<ThreadId>> {
    rows(&query(tx, sql, p).await?, |r| get(r, 0))
}

/// Takes the thread-join locks of these (phone, location) pairs, sorted.
async fn lock_joins(tx: &Tx<'_>, mut keys: Vec<String>) -> Result<()> {
    keys.sort();
    keys.dedup();
    for k in keys {
        lock(tx, &k).await?;
    }
    Ok(())
}

async fn forget(tx: &Tx<'_>, phone: &PhoneNumber, audit: &AuditEntry, at: Timestamp) -> Result<Forgotten> {
    let locations = query(tx, "SELECT DISTINCT location FROM threads WHERE customer_phone = $1", &[&phone.as_str()])
        .await?
        .iter()
        .map(|r| get::<String>(r, 0).map(|l| format!("thread:{phone}:{l}")))
        .collect::<Result<Vec<_>>>()?;
    lock_joins(tx, locations).await?;
    let ids = ids_of(tx, "SELECT id FROM threads WHERE customer_phone = $1 ORDER BY id", &[&phone.as_str()]).await?;
    // Nobody can answer a thread without its number: close the open ones.
    exec(
        tx,
        &format!(
            "UPDATE threads SET status = 'resolved', updated_at = $2 WHERE id = ANY($1) AND status NOT IN {CLOSED}"
        ),
        &[&ids, &at],
    )
    .await?;
    exec(tx, "DELETE FROM queue WHERE thread_id = ANY($1)", &[&ids]).await?;
    let (messages, notifications) = redact_threads(tx, &ids).await?;
    let bookings = exec(tx, "DELETE FROM bookings WHERE customer_phone = $1", &[&phone.as_str()]).await?;
    let customer = exec(tx, "DELETE FROM customers WHERE phone = $1", &[&phone.as_str()]).await? > 0;
    let done = Forgotten { threads: ids, messages, bookings, customer, notifications };
    reads::audit(tx, &audit.actor, &audit.action, &audit.subject, &audit_detail(audit, &done), at).await?;
    Ok(done)
}

async fn redact_closed(
    tx: &Tx<'_>,
    before: Timestamp,
    limit: u32,
    audit: &AuditEntry,
    at: Timestamp,
) -> Result<Redaction> {
    let due = format!("status IN {CLOSED} AND updated_at < $1 AND customer_phone <> ''");
    let found = query(
        tx,
        &format!("SELECT id, customer_phone, location FROM threads WHERE {due} ORDER BY updated_at, id LIMIT $2"),
        &[&before, &i64::from(limit)],
    )
    .await?;
    let mut keys = Vec::with_capacity(found.len());
    let mut candidates: Vec<ThreadId> = Vec::with_capacity(found.len());
    for r in &found {
        candidates.push(get(r, 0)?);
        keys.push(format!("thread:{}:{}", get::<String>(r, 1)?, get::<String>(r, 2)?));
    }
    lock_joins(tx, keys).await?;
    // Checked again under the locks: a message may have reopened a thread.
    let mut ids =
        ids_of(tx, &format!("SELECT id FROM threads WHERE id = ANY($2) AND {due} FOR UPDATE"), &[&before, &candidates])
            .await?;
    ids.sort_unstable();
    let (messages, _) = redact_threads(tx, &ids).await?;
    let bookings = exec(tx, "DELETE FROM bookings WHERE ends_at < $1", &[&before]).await?;
    let done = Redaction { threads: ids, messages, bookings };
    if !done.is_empty() {
        reads::audit(tx, &audit.actor, &audit.action, &audit.subject, &audit_detail(audit, &done), at).await?;
    }
    Ok(done)
}

/// Redacts the threads `ids`; returns how many messages and notifications
/// it redacted.
async fn redact_threads(tx: &Tx<'_>, ids: &[ThreadId]) -> Result<(u64, u64)> {
    let ids = ids.to_vec();
    exec(
        tx,
        "UPDATE threads SET customer_phone = '', proposal = NULL,
                escalation_summary = CASE WHEN escalation_summary IS NULL THEN NULL ELSE $2 END
         WHERE id = ANY($1)",
        &[&ids, &REDACTED],
    )
    .await?;
    let messages =
        exec(tx, "UPDATE messages SET body = $2, external_id = NULL WHERE thread_id = ANY($1)", &[&ids, &REDACTED])
            .await?;
    exec(tx, "UPDATE decisions SET reply = $2 WHERE reply IS NOT NULL AND thread_id = ANY($1)", &[&ids, &REDACTED])
        .await?;
    exec(tx, "UPDATE actions SET body = $2 WHERE body IS NOT NULL AND thread_id = ANY($1)", &[&ids, &REDACTED]).await?;
    let notifications =
        exec(tx, "UPDATE notifications SET body = $2 WHERE thread_id = ANY($1)", &[&ids, &REDACTED]).await?;
    // Claude's feedback jobs copy the thread's last messages.
    exec(
        tx,
        "UPDATE review_jobs SET payload = jsonb_set(payload, '{messages}', '[]'::jsonb)
         WHERE kind = 'feedback' AND payload -> 'thread_id' IN (SELECT to_jsonb(i) FROM unnest($1::bigint[]) i)",
        &[&ids],
    )
    .await?;
    Ok((messages, notifications))
}
