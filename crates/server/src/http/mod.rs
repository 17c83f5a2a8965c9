//! The HTTP surface: the OpenPhone webhook, the JSON API under `/api`
//! (bearer token), and the operational endpoints.

mod admin;
mod auth;
mod error;
mod knowledge;
mod ops;
mod review;
mod threads;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::routing::{get, post, put};

pub use error::ApiError;

/// Settings key under which `PUT /api/autonomy` stores the profile.
pub fn admin_setting_key() -> &'static str {
    admin::AUTONOMY_SETTING
}

use crate::app::App;

/// Largest request body accepted anywhere (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// JSON body extractor whose failures are [`ApiError`]s with the reason.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// The whole application router.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/threads", get(threads::list))
        .route("/threads/{id}", get(threads::detail))
        .route("/threads/{id}/approve", post(threads::approve))
        .route("/threads/{id}/reply", post(threads::reply))
        .route("/threads/{id}/resolve", post(threads::resolve))
        .route("/threads/{id}/take-over", post(threads::take_over))
        .route("/threads/{id}/flag", post(review::flag))
        .route("/customers/{phone}", put(admin::put_customer))
        .route("/bookings", post(admin::post_booking))
        .route("/autonomy", get(admin::get_autonomy).put(admin::put_autonomy))
        .route("/health", get(admin::health))
        .route("/notifications", get(admin::notifications))
        .route("/notifications/{id}/ack", post(admin::ack_notification))
        .route("/sandbox/devices", put(admin::sandbox_device))
        .route("/knowledge/upload", post(knowledge::upload).layer(DefaultBodyLimit::max(knowledge::UPLOAD_LIMIT)))
        .route("/knowledge/proposals", get(knowledge::proposals))
        .route("/knowledge/proposals/decide", post(knowledge::bulk))
        .route("/knowledge/proposals/{id}", get(knowledge::proposal))
        .route("/knowledge/proposals/{id}/accept", post(knowledge::accept))
        .route("/knowledge/proposals/{id}/reject", post(knowledge::reject))
        .route("/knowledge/changes", get(knowledge::changes))
        // The names of DESIGN §4 for the same review queue.
        .route("/sop-proposals", get(knowledge::proposals))
        .route("/sop-proposals/{id}", get(knowledge::proposal))
        .route("/sop-proposals/{id}/approve", post(knowledge::accept))
        .route("/sop-proposals/{id}/reject", post(knowledge::reject))
        .route("/sops", get(knowledge::sops))
        .route("/sops/{id}", get(knowledge::sop))
        .route("/sops/{id}/rollback", post(knowledge::rollback))
        .route("/sops/{id}/archive", post(knowledge::archive))
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&app), auth::require_token));
    Router::new()
        .route("/webhooks/openphone", post(webhook::openphone))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .nest("/api", api)
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}
