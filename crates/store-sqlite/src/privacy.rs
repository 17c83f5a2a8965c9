//! The customer data lifecycle on SQLite ([`PrivacyStore`]): export,
//! forgetting a customer, redacting closed threads after the retention
//! period. A redacted thread's phone is stored as `''` (the column is NOT
//! NULL since migration 1) and read back as `None`.

use async_trait::async_trait;
use clubos_domain::PhoneNumber;
use clubos_store::{
    AuditEntry, CustomerData, Forgotten, PRIVACY_KEY_SETTING, PrivacyStore, REDACTED, Redaction, Result, ThreadId,
    audit_detail,
};
use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::SqliteStore;
use crate::convert::{ms, sql_err};
use crate::reads;

/// The statuses of finished threads (`ThreadStatus::is_closed`).
const CLOSED: &str = "('ai_resolved', 'resolved', 'timeout', 'merged')";
/// The thread ids of a statement, given as a JSON array in `?1`.
const IDS: &str = "(SELECT value FROM json_each(?1))";

#[async_trait]
impl PrivacyStore for SqliteStore {
    async fn customer_data(&self, phone: &PhoneNumber) -> Result<CustomerData> {
        let phone = phone.clone();
        // On the writer: one consistent snapshot (the job changes nothing).
        self.write(move |c| customer_data(c, &phone)).await
    }

    async fn forget_customer(&self, phone: &PhoneNumber, audit: AuditEntry, at: Timestamp) -> Result<Forgotten> {
        let phone = phone.clone();
        self.write(move |c| forget(c, &phone, &audit, at)).await
    }

    async fn redact_closed_before(
        &self,
        before: Timestamp,
        limit: u32,
        audit: AuditEntry,
        at: Timestamp,
    ) -> Result<Redaction> {
        self.write(move |c| redact_closed(c, before, limit, &audit, at)).await
    }

    async fn privacy_key(&self, candidate: &str, at: Timestamp) -> Result<String> {
        let candidate = candidate.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING",
                params![PRIVACY_KEY_SETTING, candidate, ms(at)],
            )
            .map_err(sql_err)?;
            c.query_row("SELECT value FROM settings WHERE key = ?1", [PRIVACY_KEY_SETTING], |r| r.get(0))
                .map_err(sql_err)
        })
        .await
    }
}

fn thread_ids(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<ThreadId>> {
    c.prepare_cached(sql)
        .map_err(sql_err)?
        .query_map(p, |r| r.get(0))
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}

fn customer_data(c: &Connection, phone: &PhoneNumber) -> Result<CustomerData> {
    let customer = reads::customer(c, phone)?;
    let bookings = reads::bookings_for(c, phone, None, Timestamp::MIN, Timestamp::MAX)?;
    let ids =
        thread_ids(c, "SELECT id FROM threads WHERE customer_phone = ?1 ORDER BY created_at, id", [phone.as_str()])?;
    let mut threads = Vec::with_capacity(ids.len());
    for id in &ids {
        threads.extend(reads::thread_detail(c, *id)?);
    }
    let notifications = c
        .prepare_cached(&format!(
            "SELECT id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by FROM notifications
             WHERE thread_id IN {IDS} ORDER BY id"
        ))
        .map_err(sql_err)?
        .query_map([json_ids(&ids)], reads::notification_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    Ok(CustomerData { phone: phone.clone(), customer, bookings, threads, notifications })
}

fn json_ids(ids: &[ThreadId]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

fn forget(c: &Connection, phone: &PhoneNumber, audit: &AuditEntry, at: Timestamp) -> Result<Forgotten> {
    let ids = thread_ids(c, "SELECT id FROM threads WHERE customer_phone = ?1 ORDER BY id", [phone.as_str()])?;
    let json = json_ids(&ids);
    // Nobody can answer a thread without its number: close the open ones.
    c.execute(
        &format!(
            "UPDATE threads SET status = 'resolved', updated_at = ?2 WHERE id IN {IDS} AND status NOT IN {CLOSED}"
        ),
        params![json, ms(at)],
    )
    .map_err(sql_err)?;
    c.execute(&format!("DELETE FROM queue WHERE thread_id IN {IDS}"), [&json]).map_err(sql_err)?;
    let (messages, notifications) = redact_threads(c, &json)?;
    let bookings = c.execute("DELETE FROM bookings WHERE customer_phone = ?1", [phone.as_str()]).map_err(sql_err)?;
    let customer = c.execute("DELETE FROM customers WHERE phone = ?1", [phone.as_str()]).map_err(sql_err)? > 0;
    let done = Forgotten { threads: ids, messages, bookings: bookings as u64, customer, notifications };
    write_audit(c, audit, audit_detail(audit, &done), at)?;
    Ok(done)
}

fn redact_closed(
    c: &Connection,
    before: Timestamp,
    limit: u32,
    audit: &AuditEntry,
    at: Timestamp,
) -> Result<Redaction> {
    let ids = thread_ids(
        c,
        &format!(
            "SELECT id FROM threads WHERE status IN {CLOSED} AND updated_at < ?1 AND customer_phone != ''
             ORDER BY updated_at, id LIMIT ?2"
        ),
        params![ms(before), limit],
    )?;
    let (messages, _) = redact_threads(c, &json_ids(&ids))?;
    let bookings = c.execute("DELETE FROM bookings WHERE ends_at < ?1", [ms(before)]).map_err(sql_err)?;
    let done = Redaction { threads: ids, messages, bookings: bookings as u64 };
    if !done.is_empty() {
        write_audit(c, audit, audit_detail(audit, &done), at)?;
    }
    Ok(done)
}

/// Redacts the threads in `ids` (a JSON array); returns how many messages
/// and notifications it redacted.
fn redact_threads(c: &Connection, ids: &str) -> Result<(u64, u64)> {
    let text = |sql: &str| -> Result<u64> {
        c.prepare_cached(sql).map_err(sql_err)?.execute(params![ids, REDACTED]).map(|n| n as u64).map_err(sql_err)
    };
    text(&format!(
        "UPDATE threads SET customer_phone = '', proposal = NULL,
                escalation_summary = CASE WHEN escalation_summary IS NULL THEN NULL ELSE ?2 END
         WHERE id IN {IDS}"
    ))?;
    let messages = text(&format!("UPDATE messages SET body = ?2, external_id = NULL WHERE thread_id IN {IDS}"))?;
    text(&format!("UPDATE decisions SET reply = ?2 WHERE reply IS NOT NULL AND thread_id IN {IDS}"))?;
    text(&format!("UPDATE actions SET body = ?2 WHERE body IS NOT NULL AND thread_id IN {IDS}"))?;
    let notifications = text(&format!("UPDATE notifications SET body = ?2 WHERE thread_id IN {IDS}"))?;
    // Claude's feedback jobs copy the thread's last messages.
    c.prepare_cached(&format!(
        "UPDATE review_jobs SET payload = json_set(payload, '$.messages', json('[]'))
         WHERE kind = 'feedback' AND json_extract(payload, '$.thread_id') IN {IDS}"
    ))
    .map_err(sql_err)?
    .execute([ids])
    .map_err(sql_err)?;
    Ok((messages, notifications))
}

fn write_audit(c: &Connection, audit: &AuditEntry, detail: serde_json::Value, at: Timestamp) -> Result<()> {
    reads::audit(c, &audit.actor, &audit.action, &audit.subject, &detail, at)
}
