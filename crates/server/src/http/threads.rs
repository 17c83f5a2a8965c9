//! `/api/threads`: list, detail, and the operator's one-tap actions.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use clubos_domain::{ActionKind, ActionTarget, PhoneNumber, ThreadStatus, Verdict};
use clubos_store::{ThreadFilter, ThreadUpdate};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Body};
use crate::actions::{HumanAction, Refused, perform_human};
use crate::app::App;

/// The actor recorded for requests made with the API token.
pub const API_ACTOR: &str = "api-token";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    phone: Option<String>,
    status: Option<String>,
    limit: Option<u32>,
}

pub async fn list(
    State(app): State<Arc<App>>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let phone = q
        .phone
        .filter(|p| !p.is_empty())
        .map(|p| PhoneNumber::parse(&p, app.config.agent.default_country))
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("phone: {e}")))?;
    let status = q
        .status
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<ThreadStatus>())
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("status: {e}")))?;
    let rows = app.store.list_threads(ThreadFilter { phone, status, limit: q.limit.unwrap_or(100) }).await?;
    let threads: Vec<Value> = rows
        .iter()
        .map(|t| {
            json!({"id": t.id, "customer_phone": t.customer_phone, "location": t.location, "bay": t.bay,
                   "status": t.status, "priority": t.priority, "category": t.category, "updated_at": t.updated_at})
        })
        .collect();
    Ok(Json(json!({ "threads": threads })))
}

fn thread_id(p: Result<Path<i64>, axum::extract::rejection::PathRejection>) -> Result<i64, ApiError> {
    p.map(|Path(id)| id).map_err(|_| ApiError::BadRequest("thread id must be a number".into()))
}

pub async fn detail(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    let d = app.store.thread(id).await?.ok_or_else(|| ApiError::NotFound(format!("thread {id} not found")))?;
    Ok(Json(serde_json::to_value(&d).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Run the action even though a limit refuses it; audited.
    override_reason: Option<String>,
}

/// Runs the thread's proposal (an action or a reply) as the operator.
pub async fn approve(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    raw: bytes::Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    // The body is optional: `{}` or nothing approves as proposed.
    let body: ApproveBody = if raw.iter().all(u8::is_ascii_whitespace) {
        ApproveBody::default()
    } else {
        serde_json::from_slice(&raw).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let d = app.store.thread(id).await?.ok_or_else(|| ApiError::NotFound(format!("thread {id} not found")))?;
    let proposal =
        d.thread.proposal.ok_or_else(|| ApiError::Conflict(format!("thread {id} has no proposal to approve")))?;
    let req = if let Some(reply) = proposal.get("reply").and_then(Value::as_str) {
        HumanAction {
            kind: ActionKind::SendReply,
            target: ActionTarget::Customer,
            body: Some(reply.to_owned()),
            actor: API_ACTOR.into(),
            override_reason: None,
            booking: None,
            consume_proposal: true,
        }
    } else {
        let a = &proposal["action"];
        let kind: ActionKind = a["kind"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e| ApiError::Internal(format!("stored proposal: {e}")))?;
        let target: ActionTarget = a["target"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e| ApiError::Internal(format!("stored proposal: {e}")))?;
        let booking = a["booking_id"].as_str().and_then(|b| clubos_domain::BookingId::parse(b).ok());
        HumanAction {
            kind,
            target,
            body: None,
            actor: API_ACTOR.into(),
            override_reason: body.override_reason,
            booking,
            consume_proposal: true,
        }
    };
    run(&app, id, req).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
}

pub async fn reply(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    Body(b): Body<ReplyBody>,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    let req = HumanAction {
        kind: ActionKind::SendReply,
        target: ActionTarget::Customer,
        body: Some(b.body),
        actor: API_ACTOR.into(),
        override_reason: None,
        booking: None,
        consume_proposal: false,
    };
    run(&app, id, req).await
}

async fn run(app: &Arc<App>, id: i64, req: HumanAction) -> Result<Json<Value>, ApiError> {
    let done = perform_human(app, id, req).await.map_err(|e| match e {
        Refused::Invalid(m) => ApiError::BadRequest(m),
        Refused::Limits(_) | Refused::ProposalUsed => ApiError::Conflict(e.to_string()),
        Refused::Store(s) => s.into(),
    })?;
    Ok(Json(json!({"action": done})))
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    set_status(&app, thread_id(id)?, ThreadStatus::Resolved, "thread.resolve").await
}

pub async fn take_over(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    let out = set_status(&app, id, ThreadStatus::ManualOverride, "thread.take_over").await?;
    // Taking a thread from the AI after it answered from an SOP disputes that SOP.
    if let Some(detail) = app.store.thread(id).await? {
        let applied = detail.decisions.iter().rev().find(|d| matches!(d.verdict, Verdict::Execute | Verdict::Reply));
        if let Some(sop) = applied.and_then(|d| d.matched_sop.as_deref()) {
            app.store.sop_overridden(sop).await?;
        }
    }
    Ok(out)
}

async fn set_status(app: &App, id: i64, status: ThreadStatus, what: &str) -> Result<Json<Value>, ApiError> {
    let now = app.clock.now();
    let before = app.store.thread(id).await?.ok_or_else(|| ApiError::NotFound(format!("thread {id} not found")))?;
    app.store.update_thread(id, ThreadUpdate { status: Some(status), ..ThreadUpdate::default() }, now).await?;
    app.store
        .audit(API_ACTOR, what, &format!("thread:{id}"), json!({"from": before.thread.status, "to": status}), now)
        .await?;
    Ok(Json(json!({"id": id, "status": status})))
}
