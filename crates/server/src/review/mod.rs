//! Claude's SOP work, off the answering path: a background loop drains the
//! durable review queue (`Store::take_review`) strictly in order while
//! `[llm.anthropic]` is configured. Jobs are queued by uploads (structure
//! the document), acceptances (look for conflicts and merges around the
//! SOP that changed) and operators' flags (propose a change to the SOP a
//! thread was answered from); what Claude returns becomes proposals for a
//! human (`proposed_by: "claude"`).
//!
//! When Claude fails for a reason that would fail any job (overload, rate
//! limit, 5xx, no answer, a refused key) the job keeps its place and is
//! tried again after 30 s, 1, 2, 4 … minutes (at most 30, or what
//! `Retry-After` asks), the jobs behind it wait, the `claude` health
//! component turns degraded/down with the error, and operators get ONE
//! "Knowledge review degraded" notification per outage; when the queue has
//! drained it is acknowledged and a "Knowledge review restored" note is
//! raised. Customers are answered from the active SOPs throughout: nothing
//! in the worker waits on this queue.

mod jobs;
mod outage;
mod queue;

use std::sync::Arc;
use std::time::Duration;

use clubos_agent::review::{Claude, ReviewError, ReviewSettings};
use clubos_config::{Config, Secrets};
use clubos_store::StoreError;
use jiff::SignedDuration;
use tokio::sync::{Notify, watch};

pub use jobs::CLAUDE;
pub use queue::{MAX_NOTE_CHARS, MAX_PART_CHARS, overlapping, queue_feedback, queue_review, queue_upload};

use crate::app::App;
use crate::lease::Leadership;

/// The health component of Claude's SOP work.
pub const COMPONENT: &str = "claude";
/// How long a taken job is Claude's before another run may take it (a
/// process that died mid-call); longer than one call may take.
const LEASE: SignedDuration = SignedDuration::from_mins(10);
/// Pause while the oldest job waits for its retry time.
const POLL: Duration = Duration::from_secs(1);
/// Pause while the queue is empty (queuing a job wakes the loop at once).
const IDLE: Duration = Duration::from_secs(30);
/// First wait after a failure; doubled per attempt up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: SignedDuration = SignedDuration::from_secs(30);
pub const MAX_BACKOFF: SignedDuration = SignedDuration::from_mins(30);
/// How often the `review` lease is checked and renewed, and how long it
/// outlives its last renewal.
const LEAD_EVERY: Duration = Duration::from_secs(3);
const LEAD_TTL: SignedDuration = SignedDuration::from_secs(10);
/// Attempts in all for a job whose answers are unusable, before it fails.
const MAX_UNUSABLE: u32 = 3;

/// Claude for SOP work (when configured) and the loop's wake-up call.
#[derive(Debug, Default)]
pub struct Review {
    claude: Option<Arc<Claude>>,
    wake: Notify,
}

impl Review {
    /// Claude when `[llm.anthropic]` is configured and its key is set.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Self, ReviewError> {
        let claude = match (&config.llm.anthropic, &secrets.anthropic_api_key) {
            (Some(a), Some(key)) => {
                let settings = ReviewSettings::new(a.base_url.as_str(), key.expose(), &a.model);
                Some(Arc::new(Claude::new(settings)?))
            }
            _ => None,
        };
        Ok(Self { claude, wake: Notify::new() })
    }

    /// True when Claude does the SOP work.
    pub fn enabled(&self) -> bool {
        self.claude.is_some()
    }

    /// Makes the loop look at the queue now (a job was queued, or a test
    /// moved the clock).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The wait before attempt `attempts + 1`: 30 s doubled per failed attempt,
/// at most 30 min; never shorter than what the API asked for.
pub fn backoff(attempts: u32, retry_after: Option<Duration>) -> SignedDuration {
    let doubled = FIRST_BACKOFF.as_secs().saturating_mul(1_i64 << attempts.min(16));
    let wait = SignedDuration::from_secs(doubled).min(MAX_BACKOFF);
    let asked = retry_after.and_then(|d| SignedDuration::try_from(d).ok()).unwrap_or(SignedDuration::ZERO);
    wait.max(asked)
}

enum Step {
    /// A job ran (or failed); look again at once.
    Worked,
    /// The oldest job waits for its retry time.
    Waiting,
    Empty,
}

/// Drains the queue until shutdown; returns at once without Claude.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let Some(claude) = app.review.claude.clone() else {
        return;
    };
    // Several instances on one database: only the `review` lease's holder
    // drains the queue (the job lease alone would keep jobs single, but the
    // outage notices are this loop's memory).
    let lead = Leadership::new("review", LEAD_TTL);
    let mut outage = None;
    loop {
        if *shutdown.borrow() {
            lead.resign(&app).await;
            return;
        }
        if !lead.check(&app).await {
            outage = None;
            tokio::select! {
                _ = tokio::time::sleep(LEAD_EVERY) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        if outage.is_none() {
            outage = Some(outage::Outage::resume(&app).await);
        }
        let Some(current) = outage.as_mut() else { continue };
        let step = tokio::select! {
            s = step(&app, &claude, current) => s,
            // A call in flight is abandoned; its job runs again at the next
            // start (SQLite) or when the lease ends.
            _ = shutdown.changed() => {
                lead.resign(&app).await;
                return;
            }
            // Leadership is kept while a job runs.
            _ = renew(&app, &lead) => unreachable!("renews until the step ends"),
        };
        let pause = match step {
            Ok(Step::Worked) => continue,
            Ok(Step::Waiting) => POLL,
            Ok(Step::Empty) => IDLE,
            Err(e) => {
                tracing::error!(error = %e, "knowledge review queue");
                POLL
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = app.review.wake.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Renews leadership every [`LEAD_EVERY`], forever.
async fn renew(app: &App, lead: &Leadership) {
    loop {
        tokio::time::sleep(LEAD_EVERY).await;
        lead.check(app).await;
    }
}

async fn step(app: &App, claude: &Claude, outage: &mut outage::Outage) -> Result<Step, StoreError> {
    if app.store.review_waiting().await? == 0 {
        outage.end(app).await?;
        return Ok(Step::Empty);
    }
    let Some(job) = app.store.take_review(app.clock.now(), LEASE).await? else {
        return Ok(Step::Waiting);
    };
    let result = jobs::execute(app, claude, &job).await;
    let now = app.clock.now();
    match result {
        Ok(done) => {
            app.health.success(COMPONENT, now);
            let ids = app.store.finish_review(job.id, done.proposals, now).await?;
            tracing::info!(job = job.id, kind = job.kind.as_str(), proposals = ids.len(), "knowledge review job done");
            let detail = serde_json::json!({
                "kind": job.kind, "proposals": ids, "problems": done.problems,
                "tokens_in": done.tokens.0, "tokens_out": done.tokens.1,
            });
            app.store.audit(CLAUDE, "knowledge.claude_job", &format!("review_job:{}", job.id), detail, now).await?;
            if app.store.review_waiting().await? == 0 {
                outage.end(app).await?;
            }
        }
        Err(jobs::JobError::Store(e)) => return Err(e),
        Err(jobs::JobError::Payload(why)) => give_up(app, &job, &why).await?,
        Err(jobs::JobError::Claude(e)) if e.is_job_specific() => {
            // Claude answered: the service is fine, this job is not.
            app.health.success(COMPONENT, now);
            let unusable = matches!(e, ReviewError::InvalidOutput(_));
            if unusable && job.attempts + 1 < MAX_UNUSABLE {
                tracing::warn!(job = job.id, error = %e, "Claude's answer was unusable; the job runs again");
                app.store.retry_review(job.id, now + backoff(job.attempts, None), &e.to_string()).await?;
            } else {
                give_up(app, &job, &e.to_string()).await?;
            }
        }
        Err(jobs::JobError::Claude(e)) => {
            let wait = backoff(job.attempts, e.retry_after());
            tracing::warn!(job = job.id, error = %e, retry_in_s = wait.as_secs(), "Claude failed; the job keeps its place");
            let job = app.store.retry_review(job.id, now + wait, &e.to_string()).await?;
            app.health.failure(COMPONENT, &e.to_string(), e.is_transport(), now);
            outage.begin(app, &e, &job).await?;
        }
    }
    Ok(Step::Worked)
}

/// A job that will not succeed: failed with its reason, and an operator told.
async fn give_up(app: &App, job: &clubos_store::ReviewJob, why: &str) -> Result<(), StoreError> {
    let now = app.clock.now();
    tracing::warn!(job = job.id, error = why, "knowledge review job failed");
    app.store.fail_review(job.id, why, now).await?;
    let n = clubos_store::NewNotification {
        kind: "knowledge_review_failed".into(),
        severity: clubos_store::Severity::Warning,
        thread_id: None,
        title: format!("Claude could not do knowledge job #{} ({})", job.id, job.kind.as_str()),
        body: format!("{why}. The job was dropped; the queue goes on. {}", jobs::describe(job)),
        dedupe_key: Some(format!("review-job-failed:{}", job.id)),
    };
    app.store.notify(n, now).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_and_honours_retry_after() {
        let secs = |n| backoff(n, None).as_secs();
        assert_eq!([secs(0), secs(1), secs(2), secs(3)], [30, 60, 120, 240]);
        assert_eq!(secs(6), 1800, "capped at 30 min");
        assert_eq!(secs(40), 1800);
        assert_eq!(backoff(0, Some(Duration::from_secs(90))).as_secs(), 90);
        assert_eq!(backoff(3, Some(Duration::from_secs(5))).as_secs(), 240, "never shorter than the backoff");
    }
}
