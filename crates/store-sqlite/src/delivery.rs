//! Which notifications are due on Slack or on the on-call phone, and
//! recording when they are next due.

use clubos_store::{Channel, Next, NotificationRow, Result, StoreError};
use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::convert::{ms, sql_err};
use crate::reads::notification_row;

const COLUMNS: &str = "id, kind, severity, thread_id, title, body, created_at, acked_at, acked_by";

pub(crate) fn due(c: &Connection, channel: Channel, now: Timestamp, limit: u32) -> Result<Vec<NotificationRow>> {
    let filter = match channel {
        Channel::Slack => "slack_done = 0 AND (slack_next_at IS NULL OR slack_next_at <= ?1)",
        Channel::OnCall => {
            "oncall_done = 0 AND acked_at IS NULL AND severity = 'critical'
             AND (oncall_next_at IS NULL OR oncall_next_at <= ?1)"
        }
    };
    let mut rows = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM notifications WHERE {filter} LIMIT ?2"))
        .map_err(sql_err)?
        .query_map(params![ms(now), limit], notification_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    rows.sort_unstable_by_key(|n| n.id);
    Ok(rows)
}

pub(crate) fn set_next(c: &Connection, id: i64, channel: Channel, next: Next) -> Result<()> {
    let (done, at) = match next {
        Next::Done => (true, None),
        Next::At(t) => (false, Some(ms(t))),
    };
    let sql = match channel {
        Channel::Slack => "UPDATE notifications SET slack_done = ?2, slack_next_at = ?3 WHERE id = ?1",
        Channel::OnCall => "UPDATE notifications SET oncall_done = ?2, oncall_next_at = ?3 WHERE id = ?1",
    };
    let n = c.prepare_cached(sql).map_err(sql_err)?.execute(params![id, done, at]).map_err(sql_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("notification {id}")));
    }
    Ok(())
}
