//! The console's gate: resolves the session cookie to an actor (or sends
//! the browser to `/login`), holds one-time-password accounts on the
//! password page, and refuses any state-changing request without the
//! session's CSRF token: from the `_csrf` field of a form, the
//! `X-CSRF-Token` header, or (multipart uploads) the `_csrf` query parameter.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use clubos_server::App;
use clubos_server::auth::{Actor, Capability, Denied, Grant, session};
use clubos_server::http::auth::{CSRF_HEADER, changes_state, csrf_matches};

use crate::view::ConsoleError;

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// Largest form body read by the gate (uploads have their own route limit).
const FORM_LIMIT: usize = 1024 * 1024;

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The value of `name` in an `a=b&c=d` string.
pub(crate) fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Middleware on every console route but `/login` and the assets.
pub async fn console_session(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let token = session::from_headers(req.headers());
    let actor = match token {
        Some(t) => match session::resolve(&app, &t).await {
            Ok(a) => a,
            Err(e) => return ConsoleError::Internal(e.to_string()).into_response(),
        },
        None => None,
    };
    let Some(actor) = actor else {
        let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = if req.method() == axum::http::Method::GET && next_path != "/" {
            format!("/login?next={}", url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>())
        } else {
            "/login".to_owned()
        };
        return Redirect::to(&target).into_response();
    };
    let path = req.uri().path();
    if actor.must_change_password && path != "/account/password" && path != "/logout" {
        return Redirect::to("/account/password").into_response();
    }
    let req = if changes_state(req.method()) {
        match check_csrf(&actor, req).await {
            Ok(req) => req,
            Err(resp) => return resp,
        }
    } else {
        req
    };
    let mut req = req;
    req.extensions_mut().insert(actor);
    next.run(req).await
}

/// Passes the request on (its body read and put back) when it carries the
/// session's CSRF token; answers 403 otherwise.
async fn check_csrf(actor: &Actor, req: Request) -> Result<Request, Response> {
    let forbidden = || ConsoleError::Denied(Denied::Csrf).into_response();
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if csrf_matches(actor, Some(h)) { Ok(req) } else { Err(forbidden()) };
    }
    if is_form(req.headers()) {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| ConsoleError::BadRequest("the form is too large".into()).into_response())?;
        let given = form_value(&bytes, CSRF_FIELD);
        if !csrf_matches(actor, given.as_deref()) {
            return Err(forbidden());
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    let given = req.uri().query().and_then(|q| form_value(q.as_bytes(), CSRF_FIELD));
    if csrf_matches(actor, given.as_deref()) { Ok(req) } else { Err(forbidden()) }
}

/// The signed-in actor of a console request, with its CSRF token for the
/// forms the page renders.
#[derive(Debug, Clone)]
pub struct Page {
    pub actor: Actor,
}

impl Page {
    pub fn csrf(&self) -> &str {
        self.actor.session.as_ref().map_or("", |s| s.csrf_token.as_str())
    }

    /// The capability `C`, or the 403 page.
    pub fn grant<C: Capability>(&self) -> Result<Grant<C>, ConsoleError> {
        self.actor.grant::<C>().map_err(ConsoleError::Denied)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Actor>() {
            Some(actor) => Ok(Page { actor: actor.clone() }),
            None => Err((StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_form_fields() {
        assert_eq!(form_value(b"a=1&_csrf=x%2By&b=2", CSRF_FIELD).as_deref(), Some("x+y"));
        assert_eq!(form_value(b"a=1", CSRF_FIELD), None);
    }
}
