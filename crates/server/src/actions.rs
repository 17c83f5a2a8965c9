//! The action wrapper: every action, the AI's or an operator's, runs through
//! here. It checks prerequisites and limits (operators may override with a
//! reason, which is audited), records the intent before the device is called
//! (the AI's intents are recorded with their decision), applies the
//! per-action timeout, and records the outcome.

use std::sync::Arc;

use clubos_connectors::{ConnectorError, DeviceOutcome};
use clubos_domain::policy::{Check, LedgerScope, PlannedAction, PolicyInput, ThreadFacts, limit_checks};
use clubos_domain::{
    ActionKind, ActionOutcome, ActionTarget, Category, Classification, Clock as DomainClock, Confidence, Ledger,
    Proposal, Signals, ThreadStatus, TriggeredBy, booking,
};
use clubos_store::{ActionRow, NewAction, StoreError, ThreadRow, ThreadUpdate};

use crate::app::App;

/// Why an operator's action was not run.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Invalid(String),
    #[error("refused by limits: {}; retry with an override reason to run it anyway", .0.join("; "))]
    Limits(Vec<String>),
    #[error("the proposal was already approved or replaced")]
    ProposalUsed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs an action whose intent is already recorded: calls the connector
/// under the action's timeout and records the outcome.
pub async fn execute(app: &App, action: &ActionRow, thread: &ThreadRow) -> Result<ActionRow, StoreError> {
    let timeout = app.config.limits.timeouts.for_action(action.kind);
    let call = call_connector(app, action, thread, timeout.unsigned_abs());
    let result = match tokio::time::timeout(timeout.unsigned_abs(), call).await {
        Ok(r) => r,
        Err(_) => Err(ConnectorError::Timeout(connector_name(action.kind))),
    };
    let transport = matches!(result, Err(ConnectorError::Timeout(_) | ConnectorError::Unavailable { .. }));
    let (outcome, error) = match result {
        Ok(DeviceOutcome::Confirmed) => (ActionOutcome::Success, None),
        Ok(DeviceOutcome::Unconfirmed) => (ActionOutcome::SuccessUnconfirmed, None),
        Ok(DeviceOutcome::Partial) => (ActionOutcome::PartialSuccess, None),
        Err(ConnectorError::Timeout(v)) => {
            (ActionOutcome::Timeout, Some(format!("no answer from {v} within {} s", timeout.as_secs())))
        }
        Err(e) => (ActionOutcome::Failed, Some(e.to_string())),
    };
    let now = app.clock.now();
    let component = action.kind.connector().as_str();
    match &error {
        None => app.health.success(component, now),
        Some(e) => {
            tracing::warn!(action = action.id, kind = %action.kind, target = %action.target, error = %e, "action failed");
            app.health.failure(component, e, transport, now);
        }
    }
    app.metrics.action(action.kind.as_str(), outcome.as_str());
    let done = app.store.finish_action(action.id, outcome, error, now).await?;
    Ok(done)
}

async fn call_connector(
    app: &App,
    action: &ActionRow,
    thread: &ThreadRow,
    within: std::time::Duration,
) -> Result<DeviceOutcome, ConnectorError> {
    let c = &app.connectors;
    let missing =
        || ConnectorError::Unavailable { vendor: connector_name(action.kind), message: "not configured".into() };
    let loc = &thread.location;
    match (action.kind, &action.target) {
        (ActionKind::ResetTrackman, ActionTarget::Bay(bay)) => {
            c.bays.as_ref().ok_or_else(missing)?.reset_trackman(loc, *bay, within).await
        }
        (ActionKind::RebootPc, ActionTarget::Bay(bay)) => {
            c.bays.as_ref().ok_or_else(missing)?.reboot_pc(loc, *bay, within).await
        }
        (ActionKind::UnlockDoor, ActionTarget::Door(door)) => {
            c.doors.as_ref().ok_or_else(missing)?.unlock_door(loc, door).await
        }
        (ActionKind::SendReply, _) => {
            let body = action.body.as_deref().unwrap_or_default();
            let to = thread.customer_phone.as_ref().ok_or_else(|| {
                ConnectorError::UnknownDevice("the thread is redacted: the customer's number is gone".into())
            })?;
            c.sms.as_ref().ok_or_else(missing)?.send_sms(loc, to, body).await.map(|_| DeviceOutcome::Confirmed)
        }
        (kind, target) => Err(ConnectorError::UnknownDevice(format!("{kind} cannot target {target}"))),
    }
}

fn connector_name(kind: ActionKind) -> &'static str {
    kind.connector().as_str()
}

/// An operator's action request.
#[derive(Debug, Clone)]
pub struct HumanAction {
    pub kind: ActionKind,
    pub target: ActionTarget,
    pub body: Option<String>,
    pub actor: String,
    pub override_reason: Option<String>,
    /// The booking the proposal was made for (else the nearest one).
    pub booking: Option<clubos_domain::BookingId>,
    /// Approving the thread's proposal: it is used up, once.
    pub consume_proposal: bool,
}

/// Checks, records and runs an operator's action on a thread. The thread
/// becomes `in_progress` (a human's) before the device is called.
pub async fn perform_human(app: &Arc<App>, thread_id: i64, req: HumanAction) -> Result<ActionRow, Refused> {
    let ctx = app.store.work_context(thread_id, app.clock.now()).await?;
    // Held from the limit check until the intent is recorded (see lease.rs).
    let guard = crate::lease::ActionGuard::acquire(app, &ctx.thread.location).await?;
    let now = app.clock.now();
    let ctx = app.store.work_context(thread_id, now).await?;
    let thread = &ctx.thread;
    let location = app
        .location(&thread.location)
        .ok_or_else(|| Refused::Invalid(format!("location {} is no longer configured", thread.location)))?;
    validate_target(location, &req)?;
    let booking = match &req.booking {
        Some(id) => ctx.bookings.iter().find(|b| &b.id == id).cloned(),
        None => booking::nearest(&ctx.bookings, now).cloned(),
    };
    let failed: Vec<String> = if req.kind == ActionKind::SendReply {
        Vec::new()
    } else {
        let planned = PlannedAction {
            kind: req.kind,
            target: req.target.clone(),
            booking: booking.as_ref().map(|b| b.id.clone()),
        };
        let scope = LedgerScope::for_action(&planned, &app.config.limits, now);
        let ledger = app.store.ledger(&thread.location, &scope).await?;
        human_checks(app, &ctx, &ledger, &planned, booking.as_ref(), location)
    };
    let override_reason = req.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if !failed.is_empty() {
        let Some(why) = override_reason else {
            return Err(Refused::Limits(failed));
        };
        app.store
            .audit(&req.actor, "action.override", &format!("thread:{thread_id}"), serde_json::json!({"action": req.kind, "target": req.target.to_string(), "failed_checks": failed, "reason": why}), now)
            .await?;
    }
    let take = ThreadUpdate {
        status: Some(ThreadStatus::InProgress),
        clear_proposal: req.consume_proposal,
        require_proposal: req.consume_proposal,
        ..ThreadUpdate::default()
    };
    match app.store.update_thread(thread_id, take, now).await {
        Err(StoreError::Conflict(_)) => return Err(Refused::ProposalUsed),
        other => other?,
    }
    let new = NewAction {
        kind: req.kind,
        target: req.target.clone(),
        booking: booking.as_ref().map(|b| b.id.clone()),
        triggered_by: TriggeredBy::Human,
        actor: req.actor.clone(),
        body: req.body.clone(),
        override_reason: override_reason.filter(|_| !failed.is_empty()).map(str::to_owned),
    };
    let id = app.store.start_action(thread_id, None, new, now).await?;
    guard.release().await;
    let row = ActionRow {
        id,
        decision_id: None,
        thread_id,
        kind: req.kind,
        target: req.target.clone(),
        status: clubos_store::ActionStatus::Pending,
        triggered_by: TriggeredBy::Human,
        actor: req.actor.clone(),
        booking_id: booking.as_ref().map(|b| b.id.clone()),
        body: req.body.clone(),
        started_at: now,
        finished_at: None,
        error: None,
        override_reason: None,
    };
    app.store
        .audit(
            &req.actor,
            &format!("action.{}", req.kind),
            &format!("thread:{thread_id}"),
            serde_json::json!({"action_id": id, "target": req.target.to_string()}),
            now,
        )
        .await?;
    Ok(execute(app, &row, thread).await?)
}

fn validate_target(location: &clubos_config::LocationConfig, req: &HumanAction) -> Result<(), Refused> {
    match (req.kind, &req.target) {
        (ActionKind::ResetTrackman | ActionKind::RebootPc, ActionTarget::Bay(b)) if location.bay(*b).is_some() => {
            Ok(())
        }
        (ActionKind::UnlockDoor, ActionTarget::Door(d)) if location.door(d).is_some() => Ok(()),
        (ActionKind::SendReply, ActionTarget::Customer) => match req.body.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() && b.chars().count() <= 1600 => Ok(()),
            _ => Err(Refused::Invalid("a reply needs a body of 1 to 1600 characters".into())),
        },
        (kind, target) => Err(Refused::Invalid(format!("{kind} cannot target {target} at location {}", location.id))),
    }
}

/// Prerequisites (booking active, customer not flagged, the booked bay) and
/// the deployment's limits, as for the AI; returns what failed, readably.
fn human_checks(
    app: &App,
    ctx: &clubos_store::WorkContext,
    ledger: &[clubos_domain::ActionRecord],
    planned: &PlannedAction,
    booking: Option<&clubos_domain::Booking>,
    location: &clubos_config::LocationConfig,
) -> Vec<String> {
    let now = app.clock.now();
    let limits = &app.config.limits;
    let category = if planned.kind == ActionKind::UnlockDoor { Category::Access } else { Category::Tech };
    let profile = app.profile();
    let policy = profile.get(category);
    let classification = Classification {
        category: Some(category),
        sub_intent: None,
        confidence: Confidence::ONE,
        proposal: Proposal::None,
        reply: None,
        matched_sop: None,
    };
    let input = PolicyInput {
        classification: &classification,
        booking,
        flags: &ctx.flags,
        clock: DomainClock::new(now, &location.timezone),
        ledger: Ledger(ledger),
        health: app.policy_health(),
        thread: ThreadFacts { status: ctx.thread.status, failed_ai_actions: 0 },
        signals: Signals::default(),
        default_door: None,
    };
    let mut checks = Vec::new();
    limit_checks(planned, &input, policy, limits, &mut checks);
    let mut failed: Vec<String> = checks
        .iter()
        .filter(|c: &&Check| !c.passed && c.name != clubos_domain::policy::CheckName::Fallbacks)
        .map(ToString::to_string)
        .collect();
    let mut prereq = |ok: bool, text: String| {
        if !ok {
            failed.push(format!("✗ {text}"));
        }
    };
    prereq(
        booking.is_some_and(|b| b.covers(now, limits.booking_grace())),
        "booking_active: no booking covers now".into(),
    );
    prereq(ctx.flags.is_empty(), format!("customer_not_flagged: {} flag(s)", ctx.flags.len()));
    if let (ActionTarget::Bay(bay), Some(Some(booked))) = (&planned.target, booking.map(|b| b.bay)) {
        prereq(*bay == booked, format!("booked bay: booking is for bay {booked}, not bay {bay}"));
    }
    failed
}
