//! What an operator does to a thread, for the API and the console alike:
//! approve the proposal, act (reset, unlock, reply), reject the proposal,
//! escalate, resolve, take over. Each needs a `Grant<Operate>` that reaches
//! the thread's location, goes through the action wrapper and its limits,
//! is audited under the operator's name, and records how the operator
//! answered the AI's proposal (the trust record of Settings).

use std::sync::Arc;

use clubos_domain::{ActionKind, ActionTarget, BookingId, ReasonCode, ReviewVerdict, ThreadStatus, Verdict};
use clubos_store::{ActionRow, Escalation, NewProposalReview, StoreError, ThreadDetail, ThreadUpdate};
use serde_json::{Value, json};

use crate::actions::{HumanAction, Refused, perform_human};
use crate::app::App;
use crate::auth::{Denied, Grant, Operate};

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperateError {
    #[error("thread {0} not found")]
    NotFound(i64),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("thread {0} has no proposal to approve")]
    NoProposal(i64),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The thread, if the grant reaches its location.
pub async fn thread_for(app: &App, grant: &Grant<Operate>, id: i64) -> Result<ThreadDetail, OperateError> {
    let d = app.store.thread(id).await?.ok_or(OperateError::NotFound(id))?;
    grant.at(&d.thread.location)?;
    Ok(d)
}

/// The action the thread's stored proposal stands for.
pub fn proposed_action(proposal: &Value) -> Option<(ActionKind, ActionTarget, Option<BookingId>, Option<String>)> {
    if let Some(reply) = proposal.get("reply").and_then(Value::as_str) {
        return Some((ActionKind::SendReply, ActionTarget::Customer, None, Some(reply.to_owned())));
    }
    let a = proposal.get("action")?;
    let kind: ActionKind = a.get("kind")?.as_str()?.parse().ok()?;
    let target: ActionTarget = a.get("target")?.as_str()?.parse().ok()?;
    let booking = a.get("booking_id").and_then(Value::as_str).and_then(|b| BookingId::parse(b).ok());
    Some((kind, target, booking, None))
}

/// Runs the thread's proposal as proposed (once).
pub async fn approve(
    app: &Arc<App>,
    grant: &Grant<Operate>,
    id: i64,
    override_reason: Option<String>,
) -> Result<ActionRow, OperateError> {
    let d = thread_for(app, grant, id).await?;
    let proposal = d.thread.proposal.as_ref().ok_or(OperateError::NoProposal(id))?;
    let (kind, target, booking, body) = proposed_action(proposal)
        .ok_or_else(|| StoreError::Corrupt(format!("thread {id}: unreadable proposal {proposal}")))?;
    let req = HumanAction {
        kind,
        target,
        body,
        actor: grant.name().to_owned(),
        override_reason,
        booking,
        consume_proposal: true,
    };
    let row = perform_human(app, id, req).await?;
    review(app, grant, &d, ReviewVerdict::Approved).await?;
    Ok(row)
}

/// Runs an action the operator chose (reset, reboot, unlock, or a reply).
pub async fn act(
    app: &Arc<App>,
    grant: &Grant<Operate>,
    id: i64,
    kind: ActionKind,
    target: ActionTarget,
    body: Option<String>,
    override_reason: Option<String>,
) -> Result<ActionRow, OperateError> {
    let d = thread_for(app, grant, id).await?;
    let verdict = answer_to(d.thread.proposal.as_ref(), kind, &target, body.as_deref());
    let req = HumanAction {
        kind,
        target,
        body,
        actor: grant.name().to_owned(),
        override_reason,
        booking: None,
        consume_proposal: false,
    };
    let row = perform_human(app, id, req).await?;
    if let Some(v) = verdict {
        review(app, grant, &d, v).await?;
    }
    Ok(row)
}

/// How an operator's own action answers the proposal: the same action is
/// an approval, the same kind of reply with other words an edit, another
/// device action a rejection; a reply beside a device proposal says nothing.
fn answer_to(
    proposal: Option<&Value>,
    kind: ActionKind,
    target: &ActionTarget,
    body: Option<&str>,
) -> Option<ReviewVerdict> {
    let (p_kind, p_target, _, p_body) = proposed_action(proposal?)?;
    match (p_kind, kind) {
        (ActionKind::SendReply, ActionKind::SendReply) => {
            let same = p_body.as_deref().map(str::trim) == body.map(str::trim);
            Some(if same { ReviewVerdict::Approved } else { ReviewVerdict::Edited })
        }
        (_, ActionKind::SendReply) => None,
        (pk, k) if pk == k && &p_target == target => Some(ReviewVerdict::Approved),
        _ => Some(ReviewVerdict::Rejected),
    }
}

/// Turns the proposal down without running anything.
pub async fn reject(app: &App, grant: &Grant<Operate>, id: i64, note: Option<String>) -> Result<(), OperateError> {
    let d = thread_for(app, grant, id).await?;
    if d.thread.proposal.is_none() {
        return Err(OperateError::NoProposal(id));
    }
    let now = app.clock.now();
    let update = ThreadUpdate {
        status: Some(ThreadStatus::InProgress),
        clear_proposal: true,
        require_proposal: true,
        ..ThreadUpdate::default()
    };
    app.store.update_thread(id, update, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => OperateError::Refused(Refused::ProposalUsed),
        other => other.into(),
    })?;
    app.store.audit(grant.name(), "proposal.reject", &format!("thread:{id}"), json!({"note": note}), now).await?;
    review(app, grant, &d, ReviewVerdict::Rejected).await
}

/// Moves the thread to `status` (resolved, taken over, escalated to the
/// team); resolving with an unanswered proposal counts as rejecting it.
pub async fn set_status(
    app: &App,
    grant: &Grant<Operate>,
    id: i64,
    status: ThreadStatus,
    note: Option<String>,
) -> Result<ThreadStatus, OperateError> {
    let d = thread_for(app, grant, id).await?;
    let now = app.clock.now();
    let mut update = ThreadUpdate { status: Some(status), ..ThreadUpdate::default() };
    if status == ThreadStatus::Escalated {
        let summary =
            note.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("Escalated by {}", grant.name()));
        update.escalation = Some(Escalation { reason: None, summary, proposal: d.thread.proposal.clone() });
    }
    app.store.update_thread(id, update, now).await?;
    let what = match status {
        ThreadStatus::Resolved => "thread.resolve",
        ThreadStatus::ManualOverride => "thread.take_over",
        ThreadStatus::Escalated => "thread.escalate",
        _ => "thread.status",
    };
    let detail = json!({"from": d.thread.status, "to": status, "note": note});
    app.store.audit(grant.name(), what, &format!("thread:{id}"), detail, now).await?;
    if status == ThreadStatus::ManualOverride {
        // Taking a thread from the AI after it answered from an SOP disputes that SOP.
        let applied = d.decisions.iter().rev().find(|x| matches!(x.verdict, Verdict::Execute | Verdict::Reply));
        if let Some(sop) = applied.and_then(|x| x.matched_sop.as_deref()) {
            app.store.sop_overridden(sop).await?;
        }
    }
    if status == ThreadStatus::Resolved && d.thread.proposal.is_some() {
        review(app, grant, &d, ReviewVerdict::Rejected).await?;
    }
    Ok(status)
}

/// Records the operator's answer to the thread's latest escalated decision
/// that carried a proposal (the first answer per decision counts).
async fn review(
    app: &App,
    grant: &Grant<Operate>,
    d: &ThreadDetail,
    verdict: ReviewVerdict,
) -> Result<(), OperateError> {
    let Some(dec) = d.decisions.iter().rev().find(|x| x.verdict == Verdict::Escalate && x.proposed_action.is_some())
    else {
        return Ok(());
    };
    let (Some(category), Some(confidence)) = (dec.category, dec.confidence) else {
        return Ok(());
    };
    let r = NewProposalReview {
        decision_id: dec.id,
        thread_id: d.thread.id,
        location: d.thread.location.clone(),
        category,
        confidence,
        shadow: dec.reason == Some(ReasonCode::AutonomyDisabled),
        verdict,
        actor: grant.name().to_owned(),
        at: app.clock.now(),
    };
    app.store.record_proposal_review(r).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_to_proposals() {
        let reset = json!({"action": {"kind": "reset_trackman", "target": "bay:3"}});
        let bay3: ActionTarget = "bay:3".parse().unwrap();
        let bay4: ActionTarget = "bay:4".parse().unwrap();
        let r = |p: &Value, k, t: &ActionTarget, b| answer_to(Some(p), k, t, b);
        assert_eq!(r(&reset, ActionKind::ResetTrackman, &bay3, None), Some(ReviewVerdict::Approved));
        assert_eq!(r(&reset, ActionKind::ResetTrackman, &bay4, None), Some(ReviewVerdict::Rejected));
        assert_eq!(r(&reset, ActionKind::SendReply, &ActionTarget::Customer, Some("hi")), None);
        let reply = json!({"reply": "Open 24/7."});
        let c = ActionTarget::Customer;
        assert_eq!(r(&reply, ActionKind::SendReply, &c, Some(" Open 24/7. ")), Some(ReviewVerdict::Approved));
        assert_eq!(r(&reply, ActionKind::SendReply, &c, Some("We are open all day.")), Some(ReviewVerdict::Edited));
        assert_eq!(answer_to(None, ActionKind::ResetTrackman, &bay3, None), None);
    }
}
