//! `POST /api/threads/{id}/flag {"note"}`: an operator flags a bad outcome;
//! Claude is asked (through its queue) for a change to the SOP the thread
//! was answered from. The flag is audited; the answer arrives later as a
//! proposal in the review queue.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use axum::Extension;

use super::{ApiError, Body};
use crate::app::App;
use crate::auth::Actor;
use crate::review::queue_feedback;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// What went wrong, in the operator's words.
    note: String,
}

pub async fn flag(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    Body(b): Body<FlagBody>,
) -> Result<Json<Value>, ApiError> {
    let id = id.map(|Path(id)| id).map_err(|_| ApiError::BadRequest("thread id must be a number".into()))?;
    let (job, sop_id) = queue_feedback(&app, id, &b.note, &actor.name).await?;
    Ok(Json(json!({"thread_id": id, "sop_id": sop_id, "job": job, "status": "queued"})))
}
