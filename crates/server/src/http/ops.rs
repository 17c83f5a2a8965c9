//! Operational endpoints: liveness, readiness, Prometheus metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::ApiError;
use crate::app::App;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready when the database answers.
pub async fn readyz(State(app): State<Arc<App>>) -> Result<impl IntoResponse, ApiError> {
    match app.store.queue_depth(app.clock.now()).await {
        Ok(depth) => Ok(Json(json!({"status": "ready", "queue_depth": depth}))),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable("database unavailable".into()))
        }
    }
}

pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    if app.metrics.depth_is_stale(std::time::Instant::now())
        && let Ok(depth) = app.store.queue_depth(app.clock.now()).await
    {
        app.metrics.queue_depth.set(depth as i64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics.render())
}

pub async fn not_found() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Json(json!({"error": {"code": "not_found", "message": "no such endpoint"}})))
}
