//! Authentication for `/api/*`: the admin bearer token or an operator's
//! session cookie (whose state-changing requests must carry the session's
//! CSRF token in `X-CSRF-Token`), then the permission each route group needs.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use clubos_domain::Permission;
use clubos_store::StoreError;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::app::App;
use crate::auth::{Actor, Denied, session};

/// The header that carries the CSRF token on API calls made from a session.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The actor of a request: the bearer token when one is sent (and must be
/// right), else the session cookie; `None` when neither.
pub async fn actor_of(app: &App, headers: &HeaderMap) -> Result<Option<Actor>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    if let Some(token) = bearer {
        let ok = app.api_token.as_ref().is_some_and(|t| bool::from(token.as_bytes().ct_eq(t.expose().as_bytes())));
        return if ok { Ok(Some(Actor::api_token())) } else { Err(ApiError::Unauthorized) };
    }
    match session::from_headers(headers) {
        Some(token) => Ok(session::resolve(app, &token).await.map_err(|e: StoreError| ApiError::from(e))?),
        None => Ok(None),
    }
}

/// Whether the method changes state (everything but GET, HEAD, OPTIONS).
pub fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares a CSRF token from a request with the session's, in constant time.
pub fn csrf_matches(actor: &Actor, given: Option<&str>) -> bool {
    match (&actor.session, given) {
        (Some(s), Some(g)) => bool::from(g.as_bytes().ct_eq(s.csrf_token.as_bytes())),
        // The API token is not a cookie: a browser cannot be tricked into sending it.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Resolves the actor, refuses a session's state-changing request without
/// its CSRF token, and stores the actor in the request's extensions.
pub async fn authenticate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let actor = actor_of(&app, req.headers()).await?.ok_or(ApiError::Unauthorized)?;
    if changes_state(req.method()) {
        let given = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !csrf_matches(&actor, given) {
            return Err(Denied::Csrf.into());
        }
    }
    if actor.must_change_password {
        return Err(Denied::PasswordChange.into());
    }
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

/// Refuses actors whose role lacks `needed` (403). Runs after [`authenticate`].
pub async fn require(needed: Permission, req: Request, next: Next) -> Result<Response, ApiError> {
    let actor = req.extensions().get::<Actor>().ok_or(ApiError::Unauthorized)?;
    if !actor.may(needed) {
        return Err(Denied::Role { needed, role: actor.role }.into());
    }
    Ok(next.run(req).await)
}
