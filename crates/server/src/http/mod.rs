//! The HTTP surface: the OpenPhone webhook, the JSON API under `/api`
//! (bearer token or an operator session, with a permission per route
//! group), and the operational endpoints.

mod admin;
pub mod auth;
mod error;
mod knowledge;
pub mod limits;
mod ops;
mod privacy;
mod review;
mod threads;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::{get, post, put};
use clubos_domain::Permission;

pub use error::ApiError;

/// Settings key under which `PUT /api/autonomy` stores the profile.
pub fn admin_setting_key() -> &'static str {
    admin::AUTONOMY_SETTING
}

use crate::app::App;

/// JSON body extractor whose failures are [`ApiError`]s with the reason.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// The whole application router.
pub fn router(app: Arc<App>) -> Router {
    router_with(app, Router::new())
}

// One middleware per permission: route groups below layer the one they need.
async fn need_view(req: Request, next: Next) -> Result<Response, ApiError> {
    auth::require(Permission::View, req, next).await
}
async fn need_operate(req: Request, next: Next) -> Result<Response, ApiError> {
    auth::require(Permission::Operate, req, next).await
}
async fn need_admin(req: Request, next: Next) -> Result<Response, ApiError> {
    auth::require(Permission::Administer, req, next).await
}

/// The application router with `extra` routes (the operator console)
/// mounted beside the API, under the same limits (`limits.rs`: a body size
/// and a rate per route class and client) and tracing.
pub fn router_with(app: Arc<App>, extra: Router<Arc<App>>) -> Router {
    // Reading: every role (viewers included).
    let view = Router::new()
        .route("/threads", get(threads::list))
        .route("/threads/{id}", get(threads::detail))
        .route("/autonomy", get(admin::get_autonomy))
        .route("/health", get(admin::health))
        .route("/notifications", get(admin::notifications))
        .route("/knowledge/proposals", get(knowledge::proposals))
        .route("/knowledge/proposals/{id}", get(knowledge::proposal))
        .route("/knowledge/changes", get(knowledge::changes))
        // The names of DESIGN §4 for the same review queue.
        .route("/sop-proposals", get(knowledge::proposals))
        .route("/sop-proposals/{id}", get(knowledge::proposal))
        .route("/sops", get(knowledge::sops))
        .route("/sops/{id}", get(knowledge::sop))
        .route_layer(from_fn(need_view));
    // Working threads: operators and admins (location scope checked per thread).
    let operate = Router::new()
        .route("/threads/{id}/approve", post(threads::approve))
        .route("/threads/{id}/reply", post(threads::reply))
        .route("/threads/{id}/resolve", post(threads::resolve))
        .route("/threads/{id}/take-over", post(threads::take_over))
        .route("/threads/{id}/flag", post(review::flag))
        .route("/notifications/{id}/ack", post(admin::ack_notification))
        .route_layer(from_fn(need_operate));
    // Changing the deployment: admins.
    let administer = Router::new()
        .route("/customers/{phone}", put(admin::put_customer).delete(privacy::forget))
        .route("/customers/{phone}/export", get(privacy::export))
        .route("/bookings", post(admin::post_booking))
        .route("/autonomy", put(admin::put_autonomy))
        .route("/sandbox/devices", put(admin::sandbox_device))
        .route("/knowledge/upload", post(knowledge::upload).layer(DefaultBodyLimit::max(knowledge::UPLOAD_LIMIT)))
        .route("/knowledge/proposals/decide", post(knowledge::bulk))
        .route("/knowledge/proposals/{id}/accept", post(knowledge::accept))
        .route("/knowledge/proposals/{id}/reject", post(knowledge::reject))
        .route("/sop-proposals/{id}/approve", post(knowledge::accept))
        .route("/sop-proposals/{id}/reject", post(knowledge::reject))
        .route("/sops/{id}/rollback", post(knowledge::rollback))
        .route("/sops/{id}/archive", post(knowledge::archive))
        .route_layer(from_fn(need_admin));
    let api = view
        .merge(operate)
        .merge(administer)
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&app), auth::authenticate));
    let limiter = Arc::new(limits::Limiter::new(&app.config));
    Router::new()
        .route("/webhooks/openphone", post(webhook::openphone))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .nest("/api", api)
        .merge(extra)
        .fallback(ops::not_found)
        // `limits::enforce` bounds every body by its class; the upload
        // routes keep their own tighter caps.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(limiter, limits::enforce))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}
