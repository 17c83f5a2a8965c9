//! Notifications leave the app: every one is posted to Slack once; critical
//! ones are texted to the on-call operator, again every 5 minutes until
//! someone acknowledges them. State lives in the store (what is due when),
//! so a restart neither loses nor repeats a delivery it had recorded.
//!
//! Across instances on one database, only the holder of the `notifier`
//! lease delivers. It renews the lease before every delivery and bounds
//! each send to [`SEND_WITHIN`], well inside [`LEAD_TTL`], so the outcome is
//! recorded before another instance could take over; a killed leader is
//! replaced once its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use clubos_connectors::ConnectorError;
use clubos_domain::LocationId;
use clubos_store::{Channel, Next, NotificationRow, StoreError};
use jiff::SignedDuration;
use tokio::sync::watch;

use crate::app::App;
use crate::lease::Leadership;

/// How often an unacknowledged critical notification is texted again.
pub const ON_CALL_REPEAT: SignedDuration = SignedDuration::from_mins(5);
/// A failed text to the on-call phone is tried again this soon.
const ON_CALL_RETRY: SignedDuration = SignedDuration::from_mins(1);
/// How often the notifier looks for due notifications.
const EVERY: Duration = Duration::from_secs(2);
/// Notifications handled per channel per pass.
const BATCH: u32 = 20;
/// How long the `notifier` lease outlives its last renewal.
const LEAD_TTL: SignedDuration = SignedDuration::from_secs(30);
/// The longest one text to the on-call phone may take, with the client's
/// retries (its outcome is then a failure, tried again later).
const SEND_WITHIN: Duration = Duration::from_secs(20);

fn leadership() -> Leadership {
    Leadership::new("notifier", LEAD_TTL)
}

/// One pass: delivers what is due now on each configured channel. Returns
/// how many deliveries succeeded.
pub async fn tick(app: &App) -> Result<usize, StoreError> {
    tick_as(app, &leadership()).await
}

async fn tick_as(app: &App, lead: &Leadership) -> Result<usize, StoreError> {
    let _one_at_a_time = app.notifier_lock.lock().await;
    let now = app.clock.now();
    let mut sent = 0;
    if let Some(slack) = &app.connectors.slack {
        for n in app.store.due_notifications(Channel::Slack, now, BATCH).await? {
            if !lead.check(app).await {
                return Ok(sent);
            }
            // The Slack client gives up after 10 s on its own.
            let next = match slack.post(&slack_text(&n)).await {
                Ok(()) => {
                    sent += 1;
                    Next::Done
                }
                Err(e) => {
                    tracing::warn!(notification = n.id, error = %e, "slack delivery failed");
                    match e.retry_in {
                        Some(wait) => Next::At(now + SignedDuration::try_from(wait).unwrap_or(ON_CALL_RETRY)),
                        None => Next::Done,
                    }
                }
            };
            app.store.set_next_delivery(n.id, Channel::Slack, next).await?;
        }
    }
    if let (Some(sms), Some(on_call)) = (&app.connectors.sms, app.config.notify.sms.as_ref()) {
        for n in app.store.due_notifications(Channel::OnCall, now, BATCH).await? {
            let Some(location) = location_of(app, &n).await else { break };
            if !lead.check(app).await {
                return Ok(sent);
            }
            let text = sms_text(&n);
            let send = sms.send_sms(&location, &on_call.on_call_number, &text);
            let next = match tokio::time::timeout(SEND_WITHIN, send)
                .await
                .unwrap_or(Err(ConnectorError::Timeout("openphone")))
            {
                Ok(_) => {
                    sent += 1;
                    now + ON_CALL_REPEAT
                }
                Err(e) => {
                    tracing::warn!(notification = n.id, error = %e, "on-call text failed");
                    now + ON_CALL_RETRY
                }
            };
            app.store.set_next_delivery(n.id, Channel::OnCall, Next::At(next)).await?;
        }
    }
    Ok(sent)
}

/// Runs [`tick`] every few seconds until shutdown.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    if app.connectors.slack.is_none() && app.config.notify.sms.is_none() {
        return;
    }
    let lead = leadership();
    while !*shutdown.borrow() {
        // Renewed every pass, with or without anything due.
        if lead.check(&app).await
            && let Err(e) = tick_as(&app, &lead).await
        {
            tracing::error!(error = %e, "notification delivery failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
    lead.resign(&app).await;
}

fn slack_text(n: &NotificationRow) -> String {
    let mark = match n.severity.as_str() {
        "critical" => ":rotating_light: ",
        "warning" => ":warning: ",
        _ => "",
    };
    format!("{mark}*{}*\n{}", n.title, n.body)
}

fn sms_text(n: &NotificationRow) -> String {
    let body: String = n.body.chars().take(300).collect();
    format!("ClubOS: {}. {body} (acknowledge in ClubOS to stop these texts)", n.title)
}

/// The location whose number texts the on-call operator: the thread's, else the first.
async fn location_of(app: &App, n: &NotificationRow) -> Option<LocationId> {
    let of_thread = match n.thread_id {
        Some(id) => app.store.thread(id).await.ok().flatten().map(|t| t.thread.location),
        None => None,
    };
    of_thread.or_else(|| app.config.locations.first().map(|l| l.id.clone()))
}
