//! One "Knowledge review degraded" notification per outage of Claude, not
//! one per failed attempt; when the queue has drained, that notification is
//! acknowledged and a "Knowledge review restored" note is raised. The
//! outage is read back from the unacknowledged notification at start-up,
//! so a restart neither repeats the notice nor forgets to clear it.

use clubos_agent::review::ReviewError;
use clubos_store::{NewNotification, ReviewJob, Severity, StoreError};

use crate::app::App;

pub(crate) const DEGRADED: &str = "knowledge_review_degraded";
pub(crate) const RESTORED: &str = "knowledge_review_restored";

#[derive(Debug)]
pub(crate) struct Outage {
    open: bool,
}

impl Outage {
    /// The outage a previous process left open, if any.
    pub(crate) async fn resume(app: &App) -> Self {
        // By its key, not by scanning the newest notifications: during an
        // outage escalations keep coming and can bury the notice.
        let open = match app.store.open_notification(DEGRADED).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read notifications; assuming no knowledge review outage");
                false
            }
        };
        Self { open }
    }

    /// A failure that would fail any job: tells operators once per outage.
    pub(crate) async fn begin(&mut self, app: &App, error: &ReviewError, job: &ReviewJob) -> Result<(), StoreError> {
        if self.open {
            return Ok(());
        }
        self.open = true;
        let waiting = app.store.review_waiting().await?;
        let n = NewNotification {
            kind: DEGRADED.into(),
            severity: Severity::Warning,
            thread_id: None,
            title: "Knowledge review degraded".into(),
            body: format!(
                "Claude is not answering ({error}). {waiting} knowledge job(s) wait and will run in order when it \
                 is back (job #{} is next, tried again with backoff). Customers are still answered from the \
                 active SOPs; uploads still give local drafts.",
                job.id
            ),
            dedupe_key: Some(DEGRADED.into()),
        };
        app.store.notify(n, app.clock.now()).await.map(drop)
    }

    /// The queue has drained: clears the notice and says so.
    pub(crate) async fn end(&mut self, app: &App) -> Result<(), StoreError> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        let now = app.clock.now();
        if let Some(n) = app.store.open_notification(DEGRADED).await? {
            app.store.ack_notification(n.id, "system", now).await?;
        }
        let n = NewNotification {
            kind: RESTORED.into(),
            severity: Severity::Info,
            thread_id: None,
            title: "Knowledge review restored".into(),
            body: "Claude answers again and the knowledge jobs that waited have run; their proposals are in the \
                   review queue."
                .into(),
            dedupe_key: None,
        };
        app.store.notify(n, now).await.map(drop)
    }
}
