//! The steps after a decision: execute the action and reply, reply, or
//! escalate; and the follow-up escalation when an action fails.

use std::sync::Arc;

use clubos_agent::ClassifierOutput;
use clubos_domain::policy::{Notice, Proposed};
use clubos_domain::{ActionKind, ActionOutcome, ActionTarget, ReasonCode, Signals, ThreadStatus, TriggeredBy, Verdict};
use clubos_store::{ActionRow, Escalation, NewAction, NewDecision, Severity, StoreError, ThreadRow, ThreadUpdate};
use jiff::Timestamp;
use serde_json::json;

use super::pipeline::{
    ACTION_FAILED_TEXT, base, escalation_notice, escalation_notification, observe, pending_row, proposal_json,
    reply_action,
};
use super::summary;
use crate::actions::execute;
use crate::app::App;

/// Shared context of the steps after the decision.
pub(super) struct Step<'a> {
    pub(super) app: &'a Arc<App>,
    pub(super) thread: &'a ThreadRow,
    /// The worker's queue claim; every decision is committed under it.
    pub(super) claim: &'a str,
    pub(super) text: &'a str,
    pub(super) out: &'a ClassifierOutput,
    pub(super) signals: Signals,
    pub(super) first_at: Timestamp,
}

impl Step<'_> {
    fn understood(&self) -> String {
        let c = &self.out.classification;
        format!(
            "{}/{}, confidence {:.2}{}",
            c.category.map_or("none", |c| c.as_str()),
            c.sub_intent.as_ref().map_or("none", |s| s.as_str()),
            c.confidence.get(),
            c.matched_sop.as_ref().map_or(String::new(), |s| format!(", SOP {s}"))
        )
    }

    pub(super) async fn execute(
        &self,
        mut d: NewDecision,
        action: clubos_domain::PlannedAction,
        reply: Option<String>,
        guard: Option<crate::lease::ActionGuard>,
    ) -> Result<(), StoreError> {
        let app = self.app;
        d.verdict = Verdict::Execute;
        d.thread.status = Some(ThreadStatus::AwaitingAi);
        if let ActionTarget::Bay(b) = &action.target {
            d.thread.bay = Some(*b);
        }
        let new = NewAction {
            kind: action.kind,
            target: action.target.clone(),
            booking: action.booking.clone(),
            triggered_by: TriggeredBy::Ai,
            actor: "ai".into(),
            body: None,
            override_reason: None,
        };
        d.actions.push(new.clone());
        let at = d.at;
        let (did, aids) = app.store.commit_decision(d).await?;
        // The intent is recorded: other deciders now see it in the ledger.
        if let Some(g) = guard {
            g.release().await;
        }
        app.metrics.decision("execute", None);
        observe(app, self.first_at);
        let done = execute(app, &pending_row(aids[0], Some(did), self.thread, &new, at), self.thread).await?;
        let outcome = done.status.outcome().unwrap_or(ActionOutcome::Timeout);
        let attempted = format!(
            "{} {} → {}{}",
            action.kind,
            action.target,
            outcome,
            done.error.as_ref().map_or(String::new(), |e| format!(" ({e})"))
        );
        if matches!(outcome, ActionOutcome::Failed | ActionOutcome::Timeout) {
            let proposal = Proposed::Action(action);
            return self
                .follow_up_escalation(
                    ReasonCode::ActionFailed,
                    Some(proposal),
                    attempted,
                    "the device action did not succeed.",
                    Some(ACTION_FAILED_TEXT),
                    ThreadStatus::AwaitingAi,
                )
                .await;
        }
        // Resolve first (only if the AI still owns the thread), then tell the
        // customer; an operator who took over meanwhile is told instead.
        let resolved = ThreadUpdate {
            status: Some(ThreadStatus::AiResolved),
            expect: vec![ThreadStatus::AwaitingAi],
            ..ThreadUpdate::default()
        };
        match app.store.update_thread(self.thread.id, resolved, app.clock.now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return self.tell_operator(&attempted).await,
            Err(e) => return Err(e),
        }
        let text = reply.unwrap_or_else(|| default_success_text(&done));
        self.send_follow_up_reply(did, text, attempted).await
    }

    /// The AI's action finished after a human took the thread: the human hears.
    async fn tell_operator(&self, attempted: &str) -> Result<(), StoreError> {
        let n = clubos_store::NewNotification {
            kind: "ai_action_finished".into(),
            severity: Severity::Info,
            thread_id: Some(self.thread.id),
            title: format!("Thread #{}: the AI's action finished after you took over", self.thread.id),
            body: attempted.to_owned(),
            dedupe_key: None,
        };
        self.app.store.notify(n, self.app.clock.now()).await.map(|_| ())
    }

    pub(super) async fn reply(&self, mut d: NewDecision, text: String) -> Result<(), StoreError> {
        let app = self.app;
        d.verdict = Verdict::Reply;
        let new = reply_action(text);
        d.actions.push(new.clone());
        let at = d.at;
        let (did, aids) = app.store.commit_decision(d).await?;
        app.metrics.decision("reply", None);
        observe(app, self.first_at);
        let done = execute(app, &pending_row(aids[0], Some(did), self.thread, &new, at), self.thread).await?;
        if succeeded(&done) {
            let update = ThreadUpdate {
                status: Some(ThreadStatus::AiResolved),
                expect: vec![ThreadStatus::AwaitingAi],
                ..ThreadUpdate::default()
            };
            return match app.store.update_thread(self.thread.id, update, app.clock.now()).await {
                Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
                Err(e) => Err(e),
            };
        }
        self.reply_failed(&done, "answered from the SOPs".into(), ThreadStatus::AwaitingAi).await
    }

    async fn send_follow_up_reply(&self, did: i64, text: String, attempted: String) -> Result<(), StoreError> {
        let app = self.app;
        let now = app.clock.now();
        let new = reply_action(text);
        let id = app.store.start_action(self.thread.id, Some(did), new.clone(), now).await?;
        let done = execute(app, &pending_row(id, Some(did), self.thread, &new, now), self.thread).await?;
        if succeeded(&done) {
            return Ok(());
        }
        self.reply_failed(&done, attempted, ThreadStatus::AiResolved).await
    }

    async fn reply_failed(&self, done: &ActionRow, attempted: String, now_in: ThreadStatus) -> Result<(), StoreError> {
        let attempted = format!("{attempted}; reply by SMS → {}", done.error.as_deref().unwrap_or("failed"));
        self.follow_up_escalation(
            ReasonCode::ActionFailed,
            None,
            attempted,
            "the reply could not be sent to the customer.",
            None,
            now_in,
        )
        .await
    }

    /// Records a second decision (escalate) after an action failed, with the
    /// proposal to retry, and tells the customer when SMS still works.
    async fn follow_up_escalation(
        &self,
        reason: ReasonCode,
        proposal: Option<Proposed>,
        attempted: String,
        why: &str,
        customer: Option<&str>,
        expected: ThreadStatus,
    ) -> Result<(), StoreError> {
        let app = self.app;
        let now = app.clock.now();
        let summary = summary(self.text, Some(&self.understood()), &[attempted], Some(reason), why);
        let checks = json!([{"name": "action_outcome", "passed": false, "reason": reason, "detail": summary}]);
        let mut d = base(self.thread, Vec::new(), now, checks, Verdict::Escalate, Some(reason), "policy", false);
        d.proposed_action = proposal.as_ref().map(|p| match p {
            Proposed::Action(a) => a.kind.as_str().to_owned(),
            Proposed::Reply(_) => "reply".to_owned(),
        });
        d.claim = Some(self.claim.to_owned());
        d.thread = ThreadUpdate {
            status: Some(ThreadStatus::Escalated),
            escalation: Some(Escalation {
                reason: Some(reason),
                summary: summary.clone(),
                proposal: proposal.as_ref().map(proposal_json),
            }),
            expect: vec![expected],
            ..ThreadUpdate::default()
        };
        d.notification = Some(escalation_notification(self.thread, reason, &summary, Severity::Critical));
        if let Some(text) = customer {
            d.actions.push(reply_action(text.to_owned()));
        }
        let (did, aids) = match app.store.commit_decision(d).await {
            Ok(r) => r,
            // A human took the thread meanwhile: no status change, no SMS.
            Err(StoreError::Conflict(_)) => return self.tell_operator(&summary).await,
            Err(e) => return Err(e),
        };
        app.metrics.decision("escalate", Some(reason.as_str()));
        if let (Some(text), Some(&id)) = (customer, aids.first()) {
            execute(app, &pending_row(id, Some(did), self.thread, &reply_action(text.to_owned()), now), self.thread)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn escalate(
        &self,
        mut d: NewDecision,
        reason: ReasonCode,
        proposal: Option<Proposed>,
        notice: Option<Notice>,
    ) -> Result<(), StoreError> {
        let app = self.app;
        d.verdict = Verdict::Escalate;
        d.reason = Some(reason);
        if let Some(Proposed::Action(a)) = &proposal {
            d.proposed_action = Some(a.kind.as_str().to_owned());
            if let ActionTarget::Bay(b) = &a.target {
                d.thread.bay = Some(*b);
            }
        }
        let why = match reason {
            ReasonCode::Emergency => "an emergency was reported.".to_owned(),
            ReasonCode::NoMatch => "no automated resolution matched.".to_owned(),
            other => format!("the autonomy policy stopped at `{other}`."),
        };
        let summary = summary(self.text, Some(&self.understood()), &[], Some(reason), &why);
        let severity = match reason {
            ReasonCode::Emergency => Severity::Critical,
            ReasonCode::NoMatch if self.signals.feedback => Severity::Info,
            _ => Severity::Warning,
        };
        d.thread.status = Some(ThreadStatus::Escalated);
        d.thread.escalation = Some(Escalation {
            reason: Some(reason),
            summary: summary.clone(),
            proposal: proposal.as_ref().map(proposal_json),
        });
        d.notification = Some(escalation_notification(self.thread, reason, &summary, severity));
        let customer = escalation_notice(reason, notice, self.signals);
        if let Some(text) = &customer {
            d.actions.push(reply_action(text.clone()));
        }
        let at = d.at;
        let (did, aids) = app.store.commit_decision(d).await?;
        app.metrics.decision("escalate", Some(reason.as_str()));
        observe(app, self.first_at);
        if let (Some(text), Some(&id)) = (customer, aids.first()) {
            execute(app, &pending_row(id, Some(did), self.thread, &reply_action(text), at), self.thread).await?;
        }
        Ok(())
    }
}

fn succeeded(done: &ActionRow) -> bool {
    done.status.outcome().is_some_and(|o| o.may_have_succeeded() && o != ActionOutcome::Timeout)
}

fn default_success_text(done: &ActionRow) -> String {
    match (&done.kind, &done.target) {
        (ActionKind::ResetTrackman, ActionTarget::Bay(b)) => {
            format!("We've reset the TrackMan in bay {b}. Give it about a minute to come back; text us if it doesn't.")
        }
        (ActionKind::UnlockDoor, ActionTarget::Door(d)) if done.status.outcome() == Some(ActionOutcome::Success) => {
            format!("The {d} door is unlocked now. Enjoy your session!")
        }
        (ActionKind::UnlockDoor, ActionTarget::Door(d)) => {
            format!(
                "We've sent the unlock to the {d} door; it should open now. If it doesn't within a minute, text us back."
            )
        }
        _ => "Done. Text us if anything else needs attention.".to_owned(),
    }
}
