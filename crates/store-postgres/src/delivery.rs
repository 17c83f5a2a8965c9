//! Which notifications are due on Slack or on the on-call phone, and
//! recording when they are next due.

use clubos_store::{Channel, Next, NotificationRow, Result, StoreError};
use jiff::Timestamp;

use crate::convert::{Tx, exec, query, rows};
use crate::reads::{NOTIFICATION_COLUMNS, notification_row};

pub(crate) async fn due(tx: &Tx<'_>, channel: Channel, now: Timestamp, limit: u32) -> Result<Vec<NotificationRow>> {
    let filter = match channel {
        Channel::Slack => "NOT slack_done AND (slack_next_at IS NULL OR slack_next_at <= $1)",
        Channel::OnCall => {
            "NOT oncall_done AND acked_at IS NULL AND severity = 'critical'
             AND (oncall_next_at IS NULL OR oncall_next_at <= $1)"
        }
    };
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE {filter} ORDER BY id LIMIT $2");
    rows(&query(tx, &sql, &[&now, &i64::from(limit)]).await?, notification_row)
}

pub(crate) async fn set_next(tx: &Tx<'_>, id: i64, channel: Channel, next: Next) -> Result<()> {
    let (done, at) = match next {
        Next::Done => (true, None),
        Next::At(t) => (false, Some(t)),
    };
    let sql = match channel {
        Channel::Slack => "UPDATE notifications SET slack_done = $2, slack_next_at = $3 WHERE id = $1",
        Channel::OnCall => "UPDATE notifications SET oncall_done = $2, oncall_next_at = $3 WHERE id = $1",
    };
    if exec(tx, sql, &[&id, &done, &at]).await? == 0 {
        return Err(StoreError::NotFound(format!("notification {id}")));
    }
    Ok(())
}
