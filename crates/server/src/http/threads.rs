//! `/api/threads`: list, detail, and the operator's one-tap actions.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use clubos_domain::{ActionKind, ActionTarget, PhoneNumber, ThreadStatus};
use clubos_store::ThreadFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Body};
use crate::actions::Refused;
use crate::app::App;
use crate::auth::{Actor, Operate};
use crate::operate::{self, OperateError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    phone: Option<String>,
    status: Option<String>,
    limit: Option<u32>,
}

pub async fn list(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
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
        .filter(|t| actor.scope.includes(&t.location))
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
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    let d = app.store.thread(id).await?.ok_or_else(|| ApiError::NotFound(format!("thread {id} not found")))?;
    if !actor.scope.includes(&d.thread.location) {
        return Err(crate::auth::Denied::Location(d.thread.location.clone()).into());
    }
    Ok(Json(serde_json::to_value(&d).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Run the action even though a limit refuses it; audited.
    override_reason: Option<String>,
}

impl From<OperateError> for ApiError {
    fn from(e: OperateError) -> Self {
        match e {
            OperateError::NotFound(_) => ApiError::NotFound(e.to_string()),
            OperateError::Denied(d) => d.into(),
            OperateError::NoProposal(_) => ApiError::Conflict(e.to_string()),
            OperateError::Refused(Refused::Invalid(m)) => ApiError::BadRequest(m),
            OperateError::Refused(r @ (Refused::Limits(_) | Refused::ProposalUsed)) => {
                ApiError::Conflict(r.to_string())
            }
            OperateError::Refused(Refused::Store(s)) | OperateError::Store(s) => s.into(),
        }
    }
}

/// Runs the thread's proposal (an action or a reply) as the operator.
pub async fn approve(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
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
    let grant = actor.grant::<Operate>()?;
    let done = operate::approve(&app, &grant, id, body.override_reason).await?;
    Ok(Json(json!({"action": done})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
}

pub async fn reply(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    Body(b): Body<ReplyBody>,
) -> Result<Json<Value>, ApiError> {
    let id = thread_id(id)?;
    let grant = actor.grant::<Operate>()?;
    let done =
        operate::act(&app, &grant, id, ActionKind::SendReply, ActionTarget::Customer, Some(b.body), None).await?;
    Ok(Json(json!({"action": done})))
}

pub async fn resolve(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    set_status(&app, &actor, thread_id(id)?, ThreadStatus::Resolved).await
}

pub async fn take_over(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    set_status(&app, &actor, thread_id(id)?, ThreadStatus::ManualOverride).await
}

async fn set_status(app: &App, actor: &Actor, id: i64, status: ThreadStatus) -> Result<Json<Value>, ApiError> {
    let grant = actor.grant::<Operate>()?;
    let status = operate::set_status(app, &grant, id, status, None).await?;
    Ok(Json(json!({"id": id, "status": status})))
}
