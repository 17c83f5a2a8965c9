//! One claimed thread through OperatorGPT: gate, classify, decide, record,
//! act, reply — or escalate with a reason, a proposal and a summary.

use std::sync::Arc;
use std::time::Instant;

use clubos_agent::{ClassifierOutput, ClassifyError, ClassifyRequest};
use clubos_domain::policy::{
    Decision, Gate, LedgerScope, Notice, PolicyInput, Proposed, ThreadFacts, decide, llm_gate,
};
use clubos_domain::{
    ActionKind, ActionTarget, Classification, Clock as DomainClock, Confidence, Ledger, Proposal, ReasonCode, Signals,
    ThreadStatus, TriggeredBy, Verdict, booking,
};
use clubos_store::{
    ActionRow, ActionStatus, Claim, Escalation, NewAction, NewDecision, NewNotification, Release, Severity, StoreError,
    ThreadRow, ThreadUpdate,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::steps::Step;
use super::summary;
use crate::actions::execute;
use crate::app::App;

/// What the customer hears when a human takes over.
pub const ACK_TEXT: &str = "Thanks for your message. A team member has been notified and will text you back shortly.";
pub(super) const ACTION_FAILED_TEXT: &str =
    "Sorry, we couldn't fix that automatically. A team member has been alerted and will text you back shortly.";

/// Claims attempted this many times without a decision are given to a human.
const MAX_ATTEMPTS: u32 = 5;

/// Processes a claimed thread; returns how to hand the queue item back.
pub async fn process(app: &Arc<App>, claim: &Claim, worker: &str) -> Result<Release, StoreError> {
    match decide_thread(app, claim, worker).await {
        // The thread changed under us (a human acted, or the claim was lost)
        // and nothing was written: look at it again from scratch.
        Err(StoreError::Conflict(why)) => {
            tracing::info!(thread = claim.thread_id, %why, "thread changed while deciding; looking again");
            Ok(Release::DeferUntil(app.clock.now()))
        }
        other => other,
    }
}

async fn decide_thread(app: &Arc<App>, claim: &Claim, worker: &str) -> Result<Release, StoreError> {
    let now = app.clock.now();
    let ctx = app.store.work_context(claim.thread_id, now).await?;
    if ctx.pending.is_empty() {
        return Ok(Release::Done);
    }
    let ids: Vec<i64> = ctx.pending.iter().map(|m| m.id).collect();
    let thread = ctx.thread.clone();
    let status = thread.status;
    let text: String = ctx.pending.iter().map(|m| m.body.as_str()).collect::<Vec<_>>().join("\n");
    let signals = app.detector.detect(&text);
    let ai_may_act = ThreadUpdate::AI_OWNED.contains(&status);
    if !ai_may_act {
        // A human owns (or closed) the thread: the AI stays out, but the
        // operator hears about the new message — loudly if it is an emergency.
        let n = human_notification(thread.id, &text, signals.emergency);
        app.store.mark_processed(thread.id, ids, Some(n), now).await?;
        return Ok(Release::Done);
    }
    let Some(location) = app.location(&thread.location) else {
        return give_up(app, &thread, ids, &text, "its location is no longer in the configuration.").await;
    };
    if claim.attempts > MAX_ATTEMPTS {
        return give_up(app, &thread, ids, &text, "processing failed repeatedly; see the service log.").await;
    }
    let first_at = ctx.pending[0].at;
    let booking = booking::nearest(&ctx.bookings, now);
    let (out, latency_ms, classified) = if signals.emergency {
        // An emergency waits for nothing: no LLM interval, no classifier.
        (emergency_reading(), 0, false)
    } else {
        if let Gate::DeferUntil(until) = llm_gate(ctx.last_classified_at, now, app.config.limits.thread_llm_interval())
        {
            let checks = json!([{"name": "llm_interval", "passed": false, "reason": "rate_limited",
                "detail": {"last_call": ctx.last_classified_at, "interval_seconds": app.config.limits.thread_llm_interval_seconds, "until": until}}]);
            let mut d =
                base(&thread, Vec::new(), now, checks, Verdict::Defer, Some(ReasonCode::RateLimited), "none", false);
            d.claim = Some(worker.to_owned());
            app.store.commit_decision(d).await?;
            app.metrics.decision("defer", Some("rate_limited"));
            return Ok(Release::DeferUntil(until));
        }
        let req = ClassifyRequest { text: &text, location: &thread.location, booked_bay: booking.and_then(|b| b.bay) };
        let started = Instant::now();
        let timeout = app.config.agent.llm_timeout().unsigned_abs();
        let out = match tokio::time::timeout(timeout, app.classifier.get().classify(&req)).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => return llm_failure(app, &thread, worker, ids, &text, e, first_at).await,
            Err(_) => return llm_failure(app, &thread, worker, ids, &text, ClassifyError::Timeout, first_at).await,
        };
        app.health.success("llm", now);
        let price = app.config.llm.prices.iter().find(|p| p.model == out.model);
        app.metrics.llm_call(thread.location.as_str(), &out.model, out.tokens_in, out.tokens_out, price);
        (out, started.elapsed().as_millis() as u64, true)
    };
    let input = PolicyInput {
        classification: &out.classification,
        booking,
        flags: &ctx.flags,
        clock: DomainClock::new(now, &location.timezone),
        ledger: Ledger::EMPTY,
        health: app.policy_health(),
        thread: ThreadFacts { status, failed_ai_actions: ctx.failed_ai_actions },
        signals,
        default_door: location.default_door().map(|d| &d.id),
    };
    let (profile, limits) = (app.profile(), &app.config.limits);
    // The ledger is read for the planned action only: a few index lookups.
    let ledger = match LedgerScope::for_input(&input, limits) {
        Some(scope) => app.store.ledger(&thread.location, &scope).await?,
        None => Vec::new(),
    };
    let mut eval = decide(&PolicyInput { ledger: Ledger(&ledger), ..input }, &profile, limits);
    let mut guard = None;
    let fresh;
    if matches!(eval.decision, Decision::Execute { .. }) {
        // Why a guard: the limits were checked against a ledger read earlier;
        // another worker, instance or operator may have acted since. Deciding
        // again on a fresh ledger, at a fresh "now" (so attempts that started
        // while we classified count), and recording the intent under the
        // location's guard makes "check, then record" atomic across every
        // instance sharing the database (see lease.rs).
        guard = Some(crate::lease::ActionGuard::acquire(app, &thread.location).await?);
        let input = PolicyInput { clock: DomainClock::new(app.clock.now(), &location.timezone), ..input };
        fresh = match LedgerScope::for_input(&input, limits) {
            Some(scope) => app.store.ledger(&thread.location, &scope).await?,
            None => Vec::new(),
        };
        eval = decide(&PolicyInput { ledger: Ledger(&fresh), ..input }, &profile, limits);
        if !matches!(eval.decision, Decision::Execute { .. })
            && let Some(g) = guard.take()
        {
            // No intent to record: replies and escalations run without it.
            g.release().await;
        }
    }
    let mut d = base(&thread, ids, now, checks_json(&eval.checks), Verdict::Escalate, None, &out.model, classified);
    d.claim = Some(worker.to_owned());
    fill_classification(&mut d, &out, latency_ms);
    let step = Step { app, thread: &thread, claim: worker, text: &text, out: &out, signals, first_at };
    match eval.decision {
        Decision::Execute { action, reply } => step.execute(d, action, reply, guard).await?,
        Decision::Reply { text } => step.reply(d, text).await?,
        Decision::Escalate { reason, proposal, notice } => step.escalate(d, reason, proposal, notice).await?,
        Decision::Defer { until, reason } => {
            d.verdict = Verdict::Defer;
            d.reason = Some(reason);
            d.message_ids.clear();
            app.store.commit_decision(d).await?;
            app.metrics.decision("defer", Some(reason.as_str()));
            return Ok(Release::DeferUntil(until));
        }
        Decision::LeaveToHuman => app.store.mark_processed(thread.id, d.message_ids, None, now).await?,
    }
    Ok(Release::Done)
}

/// Each check with its inputs and a sentence, for "View reasoning".
fn checks_json(checks: &[clubos_domain::Check]) -> Value {
    Value::Array(
        checks
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                v["text"] = Value::String(c.to_string());
                v
            })
            .collect(),
    )
}

/// What the policy sees for an emergency: no classification at all, so the
/// emergency check decides (escalate, safety notice).
fn emergency_reading() -> ClassifierOutput {
    ClassifierOutput {
        classification: Classification {
            category: None,
            sub_intent: None,
            confidence: Confidence::ZERO,
            proposal: Proposal::None,
            reply: None,
            matched_sop: None,
        },
        model: "none".into(),
        tokens_in: 0,
        tokens_out: 0,
        cached: false,
    }
}

fn human_notification(thread_id: i64, text: &str, emergency: bool) -> NewNotification {
    NewNotification {
        kind: if emergency { "emergency" } else { "customer_message" }.into(),
        severity: if emergency { Severity::Critical } else { Severity::Info },
        thread_id: Some(thread_id),
        title: if emergency {
            format!("EMERGENCY reported on thread #{thread_id}")
        } else {
            format!("New message on thread #{thread_id} (with a human)")
        },
        body: text.to_owned(),
        dedupe_key: (!emergency).then(|| format!("thread:{thread_id}:message")),
    }
}

/// Hands a thread the worker cannot process to a human, so nothing waits forever.
async fn give_up(app: &App, thread: &ThreadRow, ids: Vec<i64>, text: &str, why: &str) -> Result<Release, StoreError> {
    let now = app.clock.now();
    tracing::error!(thread = thread.id, why, "giving the thread to a human");
    let summary = summary(text, None, &[], None, why);
    let update = ThreadUpdate {
        status: Some(ThreadStatus::Escalated),
        escalation: Some(Escalation { reason: None, summary: summary.clone(), proposal: None }),
        expect: ThreadUpdate::AI_OWNED.to_vec(),
        ..ThreadUpdate::default()
    };
    match app.store.update_thread(thread.id, update, now).await {
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e),
    }
    let n = NewNotification {
        kind: "processing_failed".into(),
        severity: Severity::Critical,
        thread_id: Some(thread.id),
        title: format!("Thread #{} could not be processed", thread.id),
        body: summary,
        dedupe_key: None,
    };
    app.store.mark_processed(thread.id, ids, Some(n), now).await?;
    Ok(Release::Done)
}

/// A decision skeleton; the caller fills what the verdict needs.
#[allow(clippy::too_many_arguments)]
pub(super) fn base(
    thread: &ThreadRow,
    ids: Vec<i64>,
    at: Timestamp,
    checks: Value,
    verdict: Verdict,
    reason: Option<ReasonCode>,
    model: &str,
    classified: bool,
) -> NewDecision {
    NewDecision {
        thread_id: thread.id,
        claim: None,
        category: None,
        sub_intent: None,
        confidence: None,
        verdict,
        reason,
        matched_sop: None,
        proposed_action: None,
        reply: None,
        model: model.to_owned(),
        tokens_in: 0,
        tokens_out: 0,
        cached: false,
        latency_ms: 0,
        checks,
        at,
        message_ids: ids,
        classified,
        thread: ThreadUpdate::default(),
        actions: Vec::new(),
        notification: None,
    }
}

fn fill_classification(d: &mut NewDecision, out: &ClassifierOutput, latency_ms: u64) {
    let c = &out.classification;
    d.category = c.category;
    d.sub_intent = c.sub_intent.as_ref().map(|s| s.as_str().to_owned());
    d.confidence = Some(c.confidence.get());
    d.matched_sop = c.matched_sop.clone();
    d.proposed_action = Some(c.proposal.name().to_owned());
    d.reply = c.reply.clone();
    d.tokens_in = out.tokens_in;
    d.tokens_out = out.tokens_out;
    d.cached = out.cached;
    d.latency_ms = latency_ms;
    d.thread.category = c.category;
    d.thread.expect = ThreadUpdate::AI_OWNED.to_vec();
}

pub(super) fn reply_action(body: String) -> NewAction {
    NewAction {
        kind: ActionKind::SendReply,
        target: ActionTarget::Customer,
        booking: None,
        triggered_by: TriggeredBy::Ai,
        actor: "ai".into(),
        body: Some(body),
        override_reason: None,
    }
}

pub(super) fn pending_row(
    id: i64,
    decision_id: Option<i64>,
    thread: &ThreadRow,
    a: &NewAction,
    at: Timestamp,
) -> ActionRow {
    ActionRow {
        id,
        decision_id,
        thread_id: thread.id,
        kind: a.kind,
        target: a.target.clone(),
        status: ActionStatus::Pending,
        triggered_by: a.triggered_by,
        actor: a.actor.clone(),
        booking_id: a.booking.clone(),
        body: a.body.clone(),
        started_at: at,
        finished_at: None,
        error: None,
        override_reason: a.override_reason.clone(),
    }
}

/// The proposal as stored on the thread, for the operator's one tap.
pub fn proposal_json(p: &Proposed) -> Value {
    match p {
        Proposed::Action(a) => {
            json!({"action": {"kind": a.kind, "target": a.target.to_string(), "booking_id": a.booking}})
        }
        Proposed::Reply(text) => json!({"reply": text}),
    }
}

/// The text the customer gets with an escalation, if any.
pub fn escalation_notice(reason: ReasonCode, notice: Option<Notice>, signals: Signals) -> Option<String> {
    match notice {
        Some(n) => Some(n.to_string()),
        None if signals.feedback && reason == ReasonCode::NoMatch => None,
        None => Some(ACK_TEXT.to_owned()),
    }
}

async fn llm_failure(
    app: &App,
    thread: &ThreadRow,
    worker: &str,
    ids: Vec<i64>,
    text: &str,
    e: ClassifyError,
    first_at: Timestamp,
) -> Result<Release, StoreError> {
    let now = app.clock.now();
    let reason = match e {
        ClassifyError::Timeout => ReasonCode::LlmTimeout,
        ClassifyError::TokenCap(_) => ReasonCode::TokenCap,
        _ => ReasonCode::LlmError,
    };
    tracing::warn!(thread = thread.id, error = %e, "classifier failed; handing to a human");
    // A spent budget is a decision, not a failure of the model.
    if reason != ReasonCode::TokenCap {
        app.health.failure("llm", &e.to_string(), true, now);
    }
    let why = format!("the classifier failed ({e}).");
    let summary = summary(text, None, &[], Some(reason), &why);
    let checks = json!([{"name": "classifier", "passed": false, "reason": reason, "detail": e.to_string()}]);
    let mut d = base(thread, ids, now, checks, Verdict::Escalate, Some(reason), app.classifier.get().name(), true);
    d.claim = Some(worker.to_owned());
    d.thread = ThreadUpdate {
        status: Some(ThreadStatus::AwaitingHuman),
        escalation: Some(Escalation { reason: Some(reason), summary: summary.clone(), proposal: None }),
        expect: ThreadUpdate::AI_OWNED.to_vec(),
        ..ThreadUpdate::default()
    };
    d.notification = Some(escalation_notification(thread, reason, &summary, Severity::Warning));
    d.actions.push(reply_action(ACK_TEXT.to_owned()));
    let (did, aids) = app.store.commit_decision(d).await?;
    app.metrics.decision("escalate", Some(reason.as_str()));
    observe(app, first_at);
    let row = pending_row(aids[0], Some(did), thread, &reply_action(ACK_TEXT.to_owned()), now);
    execute(app, &row, thread).await?;
    Ok(Release::Done)
}

pub(super) fn escalation_notification(
    thread: &ThreadRow,
    reason: ReasonCode,
    summary: &str,
    severity: Severity,
) -> NewNotification {
    NewNotification {
        kind: "escalation".into(),
        severity,
        thread_id: Some(thread.id),
        title: format!("Thread #{} needs a human: {reason}", thread.id),
        body: summary.to_owned(),
        dedupe_key: None,
    }
}

pub(super) fn observe(app: &App, first_at: Timestamp) {
    let secs = app.clock.now().duration_since(first_at).as_secs_f64().max(0.0);
    app.metrics.processing_seconds.observe(secs);
}
