//! Reads for the API and the small writes around them: threads, bookings,
//! customers, notifications, audit, settings and SOPs.

use clubos_domain::{Booking, BookingId, Category};
use clubos_domain::{BookingStatus, CustomerFlag, CustomerFlags, LocationId, PhoneNumber, ReasonCode, Verdict};
use clubos_store::{
    AuditRow, CustomerRow, DecisionRow, NewNotification, NotificationRow, Result, Severity, StoreError, ThreadDetail,
    ThreadFilter, ThreadId, ThreadRow, ThreadTimes,
};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{
    THREAD_COLUMNS, bay, conv_err, location, ms, opt_parse, opt_ts, parse, phone, sql_err, thread_row, ts,
};
use crate::work::{actions_where, message_row};

pub(crate) fn list_threads(c: &Connection, f: &ThreadFilter) -> Result<Vec<ThreadRow>> {
    let limit = if f.limit == 0 { 100 } else { f.limit.min(1000) };
    c.prepare_cached(&format!(
        "SELECT {THREAD_COLUMNS} FROM threads
         WHERE (?1 IS NULL OR customer_phone = ?1) AND (?2 IS NULL OR status = ?2)
         ORDER BY updated_at DESC, id DESC LIMIT ?3"
    ))
    .map_err(sql_err)?
    .query_map(params![f.phone.as_ref().map(|p| p.as_str()), f.status.map(|s| s.as_str()), limit], thread_row)
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

pub(crate) fn thread_detail(c: &Connection, id: ThreadId) -> Result<Option<ThreadDetail>> {
    let Some(thread) = c
        .prepare_cached(&format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1"))
        .map_err(sql_err)?
        .query_row([id], thread_row)
        .optional()
        .map_err(sql_err)?
    else {
        return Ok(None);
    };
    let messages = c
        .prepare_cached("SELECT id, direction, body, at, author FROM messages WHERE thread_id = ?1 ORDER BY at, id")
        .map_err(sql_err)?
        .query_map([id], message_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    let decisions = c
        .prepare_cached(
            "SELECT id, category, sub_intent, confidence, verdict, reason, matched_sop, proposed_action, reply, model,
                    tokens_in, tokens_out, cached, latency_ms, checks, at
             FROM decisions WHERE thread_id = ?1 ORDER BY id",
        )
        .map_err(sql_err)?
        .query_map([id], decision_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    let actions = actions_where(c, "thread_id = ?1", [id])?;
    Ok(Some(ThreadDetail { thread, messages, decisions, actions }))
}

fn decision_row(r: &Row<'_>) -> rusqlite::Result<DecisionRow> {
    let checks: String = r.get(14)?;
    Ok(DecisionRow {
        id: r.get(0)?,
        category: opt_parse::<Category>(r.get(1)?)?,
        sub_intent: r.get(2)?,
        confidence: r.get(3)?,
        verdict: parse::<Verdict>(&r.get::<_, String>(4)?)?,
        reason: opt_parse::<ReasonCode>(r.get(5)?)?,
        matched_sop: r.get(6)?,
        proposed_action: r.get(7)?,
        reply: r.get(8)?,
        model: r.get(9)?,
        tokens_in: r.get(10)?,
        tokens_out: r.get(11)?,
        cached: r.get(12)?,
        latency_ms: r.get::<_, i64>(13)? as u64,
        checks: serde_json::from_str(&checks).map_err(|e| conv_err(e.to_string()))?,
        at: ts(r.get(15)?)?,
    })
}

pub(crate) fn thread_times(c: &Connection, statuses: &[&str]) -> Result<Vec<ThreadTimes>> {
    // The statuses as one JSON array: one cached statement whatever their
    // number, and the IN list still walks `threads_by_status`.
    let statuses = serde_json::to_string(statuses).map_err(|e| StoreError::Backend(e.to_string()))?;
    c.prepare_cached(
        "SELECT id, status, created_at, updated_at, last_inbound_at, last_outbound_at FROM threads
         WHERE status IN (SELECT value FROM json_each(?1)) ORDER BY id",
    )
    .map_err(sql_err)?
    .query_map([statuses], |r| {
        Ok(ThreadTimes {
            id: r.get(0)?,
            status: parse(&r.get::<_, String>(1)?)?,
            created_at: ts(r.get(2)?)?,
            updated_at: ts(r.get(3)?)?,
            last_inbound_at: opt_ts(r.get(4)?)?,
            last_outbound_at: opt_ts(r.get(5)?)?,
        })
    })
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

pub(crate) fn upsert_booking(c: &Connection, b: &Booking) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO bookings (id, location, bay, customer_phone, starts_at, ends_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET location = excluded.location, bay = excluded.bay, customer_phone = excluded.customer_phone,
            starts_at = excluded.starts_at, ends_at = excluded.ends_at, status = excluded.status",
    )
    .map_err(sql_err)?
    .execute(params![
        b.id.as_str(),
        b.location.as_str(),
        b.bay.map(|b| i64::from(b.get())),
        b.customer_phone.as_str(),
        ms(b.starts_at),
        ms(b.ends_at),
        b.status.as_str()
    ])
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) const BOOKINGS_SQL: &str =
    "SELECT id, location, bay, customer_phone, starts_at, ends_at, status FROM bookings
     WHERE customer_phone = ?1 AND (?2 IS NULL OR location = ?2) AND ends_at >= ?3 AND starts_at <= ?4";

pub(crate) fn bookings_for(
    c: &Connection,
    phone_no: &PhoneNumber,
    loc: Option<&LocationId>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Booking>> {
    let mut rows = c
        .prepare_cached(BOOKINGS_SQL)
        .map_err(sql_err)?
        .query_map(params![phone_no.as_str(), loc.map(|l| l.as_str()), ms(from), ms(to)], |r| {
            let id: String = r.get(0)?;
            Ok(Booking {
                id: BookingId::parse(&id).map_err(|e| conv_err(e.to_string()))?,
                location: location(&r.get::<_, String>(1)?)?,
                bay: bay(r.get(2)?)?,
                customer_phone: phone(&r.get::<_, String>(3)?)?,
                starts_at: ts(r.get(4)?)?,
                ends_at: ts(r.get(5)?)?,
                status: parse::<BookingStatus>(&r.get::<_, String>(6)?)?,
            })
        })
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<Booking>>>()
        .map_err(sql_err)?;
    // Sorted here: an ORDER BY made SQLite re-prepare this statement at
    // nearly every run (see `crate::plans`, which checks it does not).
    rows.sort_by_key(|b| (b.starts_at, b.id.as_str().to_owned()));
    Ok(rows)
}

pub(crate) fn set_customer(
    c: &Connection,
    p: &PhoneNumber,
    name: Option<String>,
    flags: &CustomerFlags,
    at: Timestamp,
) -> Result<CustomerRow> {
    let flags_json = serde_json::to_string(flags).map_err(|e| StoreError::Backend(e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO customers (phone, name, flags, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (phone) DO UPDATE SET name = coalesce(excluded.name, name), flags = excluded.flags, updated_at = excluded.updated_at",
    )
    .map_err(sql_err)?
    .execute(params![p.as_str(), name, flags_json, ms(at)])
    .map_err(sql_err)?;
    customer(c, p)?.ok_or_else(|| StoreError::Backend("customer vanished after upsert".into()))
}

pub(crate) fn customer(c: &Connection, p: &PhoneNumber) -> Result<Option<CustomerRow>> {
    c.prepare_cached("SELECT name, flags, updated_at FROM customers WHERE phone = ?1")
        .map_err(sql_err)?
        .query_row([p.as_str()], |r| {
            let flags: String = r.get(1)?;
            let flags: Vec<CustomerFlag> = serde_json::from_str(&flags).map_err(|e| conv_err(e.to_string()))?;
            Ok(CustomerRow {
                phone: p.clone(),
                name: r.get(0)?,
                flags: flags.into_iter().collect(),
                updated_at: ts(r.get(2)?)?,
            })
        })
        .optional()
        .map_err(sql_err)
}

/// Inserts a notification unless an unacknowledged one has the same key.
pub(crate) fn notify_tx(c: &Connection, n: &NewNotification, at: Timestamp) -> Result<Option<i64>> {
    let inserted = c
        .prepare_cached(
            "INSERT OR IGNORE INTO notifications (kind, severity, thread_id, title, body, dedupe_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(sql_err)?
        .execute(params![n.kind, n.severity.as_str(), n.thread_id, n.title, n.body, n.dedupe_key, ms(at)])
        .map_err(sql_err)?;
    Ok((inserted == 1).then(|| c.last_insert_rowid()))
}

pub(crate) fn notify(c: &Connection, n: &NewNotification, at: Timestamp) -> Result<Option<i64>> {
    notify_tx(c, n, at)
}

/// Maps `id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by`.
pub(crate) fn notification_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NotificationRow> {
    let sev: String = r.get(2)?;
    Ok(NotificationRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        severity: Severity::parse(&sev).ok_or_else(|| conv_err(format!("severity {sev}")))?,
        thread_id: r.get(3)?,
        title: r.get(4)?,
        body: r.get(5)?,
        created_at: ts(r.get(6)?)?,
        acked_at: opt_ts(r.get(7)?)?,
        acked_by: r.get(8)?,
    })
}

pub(crate) fn notifications(c: &Connection, unacked_only: bool) -> Result<Vec<NotificationRow>> {
    c.prepare_cached(
        "SELECT id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by FROM notifications
         WHERE (?1 = 0 OR acked_at IS NULL) ORDER BY id DESC LIMIT 500",
    )
    .map_err(sql_err)?
    .query_map([unacked_only], notification_row)
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

pub(crate) fn open_notification(c: &Connection, key: &str) -> Result<Option<NotificationRow>> {
    c.prepare_cached(
        "SELECT id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by FROM notifications
         WHERE dedupe_key = ?1 AND acked_at IS NULL",
    )
    .map_err(sql_err)?
    .query_row([key], notification_row)
    .optional()
    .map_err(sql_err)
}

pub(crate) fn ack_notification(c: &Connection, id: i64, by: &str, at: Timestamp) -> Result<bool> {
    let exists: bool = c
        .query_row("SELECT count(*) FROM notifications WHERE id = ?1", [id], |r| r.get::<_, i64>(0))
        .map_err(sql_err)?
        > 0;
    c.execute(
        "UPDATE notifications SET acked_at = ?2, acked_by = ?3 WHERE id = ?1 AND acked_at IS NULL",
        params![id, ms(at), by],
    )
    .map_err(sql_err)?;
    Ok(exists)
}

pub(crate) fn audit(
    c: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    at: Timestamp,
) -> Result<()> {
    c.prepare_cached("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(sql_err)?
        .execute(params![ms(at), actor, action, subject, detail.to_string()])
        .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn audit_log(c: &Connection, limit: u32) -> Result<Vec<AuditRow>> {
    c.prepare_cached("SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?1")
        .map_err(sql_err)?
        .query_map([limit.clamp(1, 1000)], |r| {
            let detail: String = r.get(5)?;
            Ok(AuditRow {
                id: r.get(0)?,
                at: ts(r.get(1)?)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: serde_json::from_str(&detail).map_err(|e| conv_err(e.to_string()))?,
            })
        })
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}

pub(crate) fn setting(c: &Connection, key: &str) -> Result<Option<String>> {
    c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(sql_err)
}

pub(crate) fn put_setting(c: &Connection, key: &str, value: &str, at: Timestamp) -> Result<()> {
    c.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, ms(at)],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn active_sops(c: &Connection) -> Result<Vec<serde_json::Value>> {
    c.prepare_cached("SELECT body FROM sops WHERE status = 'active' ORDER BY id, version")
        .map_err(sql_err)?
        .query_map([], |r| {
            let body: String = r.get(0)?;
            serde_json::from_str(&body).map_err(|e| conv_err(e.to_string()))
        })
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}

pub(crate) fn seed_sops(c: &Connection, sops: &[(String, serde_json::Value)], at: Timestamp) -> Result<usize> {
    let tx = c;
    let existing: i64 = tx.query_row("SELECT count(*) FROM sops", [], |r| r.get(0)).map_err(sql_err)?;
    if existing > 0 {
        return Ok(0);
    }
    for (id, body) in sops {
        tx.execute(
            "INSERT INTO sops (id, version, status, body, created_at) VALUES (?1, 1, 'active', ?2, ?3)",
            params![id, body.to_string(), ms(at)],
        )
        .map_err(sql_err)?;
    }
    Ok(sops.len())
}
