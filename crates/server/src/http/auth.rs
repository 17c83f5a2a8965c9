//! Bearer-token authentication for `/api/*`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::app::App;

/// Lets the request through only with `Authorization: Bearer <token>` equal
/// to the configured token (compared in constant time).
pub async fn require_token(State(app): State<Arc<App>>, req: Request, next: Next) -> Result<Response, ApiError> {
    let Some(expected) = &app.api_token else {
        return Err(ApiError::Unauthorized);
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match given {
        Some(token) if bool::from(token.as_bytes().ct_eq(expected.expose().as_bytes())) => Ok(next.run(req).await),
        _ => Err(ApiError::Unauthorized),
    }
}
