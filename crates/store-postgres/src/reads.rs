//! Reads for the API and the small writes around them: threads, bookings,
//! customers, notifications, audit, settings and the SOP seed.

use clubos_domain::{Booking, BookingId, BookingStatus, Category, CustomerFlag, CustomerFlags, LocationId};
use clubos_domain::{PhoneNumber, ReasonCode, Verdict};
use clubos_store::{
    AuditRow, CustomerRow, DecisionRow, NewNotification, NotificationRow, Result, Severity, StoreError, ThreadDetail,
    ThreadFilter, ThreadId, ThreadRow, ThreadTimes,
};
use jiff::Timestamp;
use tokio_postgres::Row;

use crate::convert::{
    THREAD_COLUMNS, Tx, bay, bay_number, exec, get, location, lock, opt_parse, parse, phone, query, query_opt, rows,
    small, thread_row,
};
use crate::error::corrupt;
use crate::work::{actions_where, message_row};

pub(crate) async fn list_threads(tx: &Tx<'_>, f: &ThreadFilter) -> Result<Vec<ThreadRow>> {
    let limit = i64::from(if f.limit == 0 { 100 } else { f.limit.min(1000) });
    let found = query(
        tx,
        &format!(
            "SELECT {THREAD_COLUMNS} FROM threads
             WHERE ($1::text IS NULL OR customer_phone = $1) AND ($2::text IS NULL OR status = $2)
             ORDER BY updated_at DESC, id DESC LIMIT $3"
        ),
        &[&f.phone.as_ref().map(|p| p.as_str()), &f.status.map(|s| s.as_str()), &limit],
    )
    .await?;
    rows(&found, thread_row)
}

pub(crate) async fn thread_detail(tx: &Tx<'_>, id: ThreadId) -> Result<Option<ThreadDetail>> {
    let Some(row) = query_opt(tx, &format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = $1"), &[&id]).await? else {
        return Ok(None);
    };
    let thread = thread_row(&row)?;
    let messages = rows(
        &query(tx, "SELECT id, direction, body, at, author FROM messages WHERE thread_id = $1 ORDER BY at, id", &[&id])
            .await?,
        message_row,
    )?;
    let decisions = rows(
        &query(
            tx,
            "SELECT id, category, sub_intent, confidence, verdict, reason, matched_sop, proposed_action, reply, model,
                    tokens_in, tokens_out, cached, latency_ms, checks, at
             FROM decisions WHERE thread_id = $1 ORDER BY id",
            &[&id],
        )
        .await?,
        decision_row,
    )?;
    let actions = actions_where(tx, "thread_id = $1", &[&id]).await?;
    Ok(Some(ThreadDetail { thread, messages, decisions, actions }))
}

fn decision_row(r: &Row) -> Result<DecisionRow> {
    Ok(DecisionRow {
        id: get(r, 0)?,
        category: opt_parse::<Category>(get(r, 1)?)?,
        sub_intent: get(r, 2)?,
        confidence: get(r, 3)?,
        verdict: parse::<Verdict>(get(r, 4)?)?,
        reason: opt_parse::<ReasonCode>(get(r, 5)?)?,
        matched_sop: get(r, 6)?,
        proposed_action: get(r, 7)?,
        reply: get(r, 8)?,
        model: get(r, 9)?,
        tokens_in: small(get(r, 10)?)?,
        tokens_out: small(get(r, 11)?)?,
        cached: get(r, 12)?,
        latency_ms: get::<i64>(r, 13)?.max(0) as u64,
        checks: get(r, 14)?,
        at: get(r, 15)?,
    })
}

pub(crate) async fn thread_times(tx: &Tx<'_>, statuses: &[&str]) -> Result<Vec<ThreadTimes>> {
    let found = query(
        tx,
        "SELECT id, status, created_at, updated_at, last_inbound_at, last_outbound_at FROM threads
         WHERE status = ANY($1) ORDER BY id",
        &[&statuses],
    )
    .await?;
    rows(&found, |r| {
        Ok(ThreadTimes {
            id: get(r, 0)?,
            status: parse(get(r, 1)?)?,
            created_at: get(r, 2)?,
            updated_at: get(r, 3)?,
            last_inbound_at: get(r, 4)?,
            last_outbound_at: get(r, 5)?,
        })
    })
}

pub(crate) async fn upsert_booking(tx: &Tx<'_>, b: &Booking) -> Result<()> {
    exec(
        tx,
        "INSERT INTO bookings (id, location, bay, customer_phone, starts_at, ends_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET location = excluded.location, bay = excluded.bay,
            customer_phone = excluded.customer_phone, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
            status = excluded.status",
        &[
            &b.id.as_str(),
            &b.location.as_str(),
            &bay_number(b.bay),
            &b.customer_phone.as_str(),
            &b.starts_at,
            &b.ends_at,
            &b.status.as_str(),
        ],
    )
    .await
    .map(drop)
}

pub(crate) async fn bookings_for(
    tx: &Tx<'_>,
    phone_no: &PhoneNumber,
    loc: Option<&LocationId>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Booking>> {
    let found = query(
        tx,
        "SELECT id, location, bay, customer_phone, starts_at, ends_at, status FROM bookings
         WHERE customer_phone = $1 AND ($2::text IS NULL OR location = $2) AND ends_at >= $3 AND starts_at <= $4
         ORDER BY starts_at, id COLLATE \"C\"",
        &[&phone_no.as_str(), &loc.map(|l| l.as_str()), &from, &to],
    )
    .await?;
    rows(&found, booking_row)
}

/// Maps `id, location, bay, customer_phone, starts_at, ends_at, status`.
pub(crate) fn booking_row(r: &Row) -> Result<Booking> {
    Ok(Booking {
        id: BookingId::parse(get(r, 0)?).map_err(corrupt)?,
        location: location(get(r, 1)?)?,
        bay: bay(get(r, 2)?)?,
        customer_phone: phone(get(r, 3)?)?,
        starts_at: get(r, 4)?,
        ends_at: get(r, 5)?,
        status: parse::<BookingStatus>(get(r, 6)?)?,
    })
}

pub(crate) async fn set_customer(
    tx: &Tx<'_>,
    p: &PhoneNumber,
    name: Option<String>,
    flags: &CustomerFlags,
    at: Timestamp,
) -> Result<CustomerRow> {
    let flags_json = serde_json::to_value(flags).map_err(crate::convert::json_err)?;
    exec(
        tx,
        "INSERT INTO customers (phone, name, flags, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (phone) DO UPDATE SET name = coalesce(excluded.name, customers.name), flags = excluded.flags,
            updated_at = excluded.updated_at",
        &[&p.as_str(), &name, &flags_json, &at],
    )
    .await?;
    customer(tx, p).await?.ok_or_else(|| StoreError::Backend("customer vanished after upsert".into()))
}

pub(crate) async fn customer(tx: &Tx<'_>, p: &PhoneNumber) -> Result<Option<CustomerRow>> {
    let Some(r) =
        query_opt(tx, "SELECT name, flags, updated_at FROM customers WHERE phone = $1", &[&p.as_str()]).await?
    else {
        return Ok(None);
    };
    let flags: Vec<CustomerFlag> = serde_json::from_value(get(&r, 1)?).map_err(corrupt)?;
    Ok(Some(CustomerRow {
        phone: p.clone(),
        name: get(&r, 0)?,
        flags: flags.into_iter().collect(),
        updated_at: get(&r, 2)?,
    }))
}

/// Inserts a notification unless an unacknowledged one has the same key
/// (the partial unique index decides, also between instances).
pub(crate) async fn notify_tx(tx: &Tx<'_>, n: &NewNotification, at: Timestamp) -> Result<Option<i64>> {
    let row = query_opt(
        tx,
        "INSERT INTO notifications (kind, severity, thread_id, title, body, dedupe_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
        &[&n.kind, &n.severity.as_str(), &n.thread_id, &n.title, &n.body, &n.dedupe_key, &at],
    )
    .await?;
    row.map(|r| get(&r, 0)).transpose()
}

pub(crate) const NOTIFICATION_COLUMNS: &str =
    "id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by";

pub(crate) fn notification_row(r: &Row) -> Result<NotificationRow> {
    let sev: &str = get(r, 2)?;
    Ok(NotificationRow {
        id: get(r, 0)?,
        kind: get(r, 1)?,
        severity: Severity::parse(sev).ok_or_else(|| corrupt(format!("severity {sev}")))?,
        thread_id: get(r, 3)?,
        title: get(r, 4)?,
        body: get(r, 5)?,
        created_at: get(r, 6)?,
        acked_at: get(r, 7)?,
        acked_by: get(r, 8)?,
    })
}

pub(crate) async fn notifications(tx: &Tx<'_>, unacked_only: bool) -> Result<Vec<NotificationRow>> {
    let found = query(
        tx,
        &format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE (NOT $1 OR acked_at IS NULL) ORDER BY id DESC LIMIT 500"
        ),
        &[&unacked_only],
    )
    .await?;
    rows(&found, notification_row)
}

pub(crate) async fn open_notification(tx: &Tx<'_>, key: &str) -> Result<Option<NotificationRow>> {
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE dedupe_key = $1 AND acked_at IS NULL");
    match query_opt(tx, &sql, &[&key]).await? {
        Some(r) => notification_row(&r).map(Some),
        None => Ok(None),
    }
}

pub(crate) async fn ack_notification(tx: &Tx<'_>, id: i64, by: &str, at: Timestamp) -> Result<bool> {
    let exists = query_opt(tx, "SELECT 1 FROM notifications WHERE id = $1", &[&id]).await?.is_some();
    exec(
        tx,
        "UPDATE notifications SET acked_at = $2, acked_by = $3 WHERE id = $1 AND acked_at IS NULL",
        &[&id, &at, &by],
    )
    .await?;
    Ok(exists)
}

pub(crate) async fn audit(
    tx: &Tx<'_>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    at: Timestamp,
) -> Result<()> {
    exec(
        tx,
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&at, &actor, &action, &subject, detail],
    )
    .await
    .map(drop)
}

pub(crate) async fn audit_log(tx: &Tx<'_>, limit: u32) -> Result<Vec<AuditRow>> {
    let limit = i64::from(limit.clamp(1, 1000));
    let found =
        query(tx, "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT $1", &[&limit])
            .await?;
    rows(&found, |r| {
        Ok(AuditRow {
            id: get(r, 0)?,
            at: get(r, 1)?,
            actor: get(r, 2)?,
            action: get(r, 3)?,
            subject: get(r, 4)?,
            detail: get(r, 5)?,
        })
    })
}

pub(crate) async fn setting(tx: &Tx<'_>, key: &str) -> Result<Option<String>> {
    query_opt(tx, "SELECT value FROM settings WHERE key = $1", &[&key]).await?.map(|r| get(&r, 0)).transpose()
}

pub(crate) async fn put_setting(tx: &Tx<'_>, key: &str, value: &str, at: Timestamp) -> Result<()> {
    exec(
        tx,
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        &[&key, &value, &at],
    )
    .await
    .map(drop)
}

pub(crate) async fn active_sops(tx: &Tx<'_>) -> Result<Vec<serde_json::Value>> {
    let found =
        query(tx, "SELECT body FROM sops WHERE status = 'active' ORDER BY id COLLATE \"C\", version", &[]).await?;
    rows(&found, |r| get(r, 0))
}

/// Only into an empty table; instances starting together take turns.
pub(crate) async fn seed_sops(tx: &Tx<'_>, sops: &[(String, serde_json::Value)], at: Timestamp) -> Result<usize> {
    lock(tx, crate::knowledge::SOPS_LOCK).await?;
    if query_opt(tx, "SELECT 1 FROM sops LIMIT 1", &[]).await?.is_some() {
        return Ok(0);
    }
    for (id, body) in sops {
        exec(
            tx,
            "INSERT INTO sops (id, version, status, body, created_at) VALUES ($1, 1, 'active', $2, $3)",
            &[id, body, &at],
        )
        .await?;
    }
    Ok(sops.len())
}
