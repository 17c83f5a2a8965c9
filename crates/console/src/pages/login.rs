//! Signing in and out, and changing one's password. The login form's CSRF
//! token is a double-submit cookie (there is no session yet); failures are
//! throttled per account and per client address by the server's `auth`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use clubos_server::App;
use clubos_server::auth::{self, LoginError, accounts::change_own_password, session};
use clubos_server::http::limits::client_ip;
use maud::{Markup, html};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::guard::{CSRF_FIELD, Page};
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, csrf_field};

/// The login form's double-submit cookie.
const LOGIN_COOKIE: &str = "clubos_login";

/// The client's address: from the configured proxy header
/// (`[console] client_ip_header`, its last entry) when the TCP peer is one
/// of `trusted_proxies`, else the TCP peer.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<Arc<App>> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let c = &app.config.console;
        let ip = client_ip(c.client_ip_header.as_deref(), &c.trusted_proxies, peer, &parts.headers);
        Ok(ClientAddr(ip))
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site (never `//host` or a URL) may follow a login.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

fn login_page(token: &str, next: &str, error: Option<&str>) -> Markup {
    html! {
        main.narrow {
            h1 { "Sign in" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                label for="email" { "E-mail" }
                input #email type="email" name="email" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                p { button.primary type="submit" { "Sign in" } }
            }
        }
    }
}

fn with_login_cookie(mut resp: Response, token: &str, status: StatusCode) -> Response {
    *resp.status_mut() = status;
    let c = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn form(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    if let Some(t) = session::from_headers(&headers)
        && let Ok(Some(_)) = session::resolve(&app, &t).await
    {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    let token = session::random_token();
    let page = layout::bare("Sign in", login_page(&token, safe_next(q.next.as_deref()), None));
    with_login_cookie(page, &token, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    next: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm").field("email", &self.email).finish_non_exhaustive()
    }
}

pub async fn submit(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&headers);
    let expected = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let given = f.csrf.unwrap_or_default();
    if expected.is_empty() || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return ConsoleError::Denied(auth::Denied::Csrf).into_response();
    }
    let next = safe_next(f.next.as_deref()).to_owned();
    match auth::login(&app, &f.email, &f.password, client).await {
        Ok(opened) => {
            let to = if opened.actor.must_change_password { "/account/password" } else { next.as_str() };
            let mut resp = Redirect::to(to).into_response();
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&session::cookie(&app, &opened.token)) {
                h.append(header::SET_COOKIE, v);
            }
            let clear = format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            if let Ok(v) = HeaderValue::from_str(&clear) {
                h.append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let status = match &e {
                LoginError::Invalid => StatusCode::UNAUTHORIZED,
                LoginError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                LoginError::Store(s) => return ConsoleError::Internal(s.to_string()).into_response(),
            };
            let token = session::random_token();
            let page = layout::bare("Sign in", login_page(&token, &next, Some(&e.to_string())));
            with_login_cookie(page, &token, status)
        }
    }
}

pub async fn logout(State(app): State<Arc<App>>, page: Page) -> Response {
    if let Err(e) = session::logout(&app, &page.actor).await {
        return ConsoleError::Internal(e.to_string()).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie(&app)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn password_page(page: &Page, error: Option<&str>) -> Response {
    let first = page.actor.must_change_password;
    layout::page(
        page,
        Nav::None,
        "Change password",
        html! {
            div.narrow {
                h1 { "Change password" }
                @if first { p.notice role="status" { "Welcome. Set your own password to continue; the one-time password stops working." } }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                form method="post" action="/account/password" {
                    (csrf_field(page.csrf()))
                    label for="current" { @if first { "One-time password" } @else { "Current password" } }
                    input #current type="password" name="current" autocomplete="current-password" required;
                    label for="new" { "New password (at least 10 characters)" }
                    input #new type="password" name="new" autocomplete="new-password" minlength="10" required;
                    label for="confirm" { "New password again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" minlength="10" required;
                    p { button.primary type="submit" { "Change password" } }
                }
            }
        },
    )
}

pub async fn password_form(page: Page) -> Response {
    password_page(&page, None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordForm { .. }")
    }
}

pub async fn change_password(State(app): State<Arc<App>>, page: Page, Form(f): Form<PasswordForm>) -> Response {
    if f.new != f.confirm {
        let mut r = password_page(&page, Some("The two new passwords differ."));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    match change_own_password(&app, &page.actor, &f.current, &f.new).await {
        Ok(()) => Redirect::to("/?notice=password").into_response(),
        Err(auth::AccountError::Store(s)) => ConsoleError::Internal(s.to_string()).into_response(),
        Err(e) => {
            let mut r = password_page(&page, Some(&e.to_string()));
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
    }
}
