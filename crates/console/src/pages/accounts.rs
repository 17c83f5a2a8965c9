//! Accounts (admins only): every account with its role, locations and
//! status; a form to add one (checked by the server's `create_account`:
//! e-mail, password rules, known locations, no duplicates) and, per
//! account, a form to change its role, locations or disabled status
//! (`update_account` ends a disabled account's sessions at once). Mistakes
//! are shown with 400 and change nothing; an admin cannot demote or disable
//! their own account.

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clubos_domain::{Email, LocationId, Role};
use clubos_server::App;
use clubos_server::auth::accounts::update_account;
use clubos_server::auth::{AccountError, Administer, NewAccountRequest, create_account};
use clubos_store::{Account, StoreError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, csrf_field, local};

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/accounts", get(show).post(add)).route("/accounts/update", post(update))
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    notice: Option<String>,
}

/// What the add form shows: empty, or what was posted (never the password).
#[derive(Debug, Clone)]
struct Draft {
    email: String,
    role: Role,
    locations: Vec<String>,
}

impl Default for Draft {
    fn default() -> Self {
        Draft { email: String::new(), role: Role::Operator, locations: Vec::new() }
    }
}

/// A refusal to show above the forms; `for_email` opens that account's form.
#[derive(Debug, Default)]
struct Problem {
    message: String,
    for_email: Option<String>,
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ConsoleError> {
    page.grant::<Administer>()?;
    let top = match q.notice.as_deref() {
        Some("created") => {
            html! { p.notice role="status" { "Account added. Give them the password privately; they can change it from their menu." } }
        }
        Some("updated") => html! { p.notice role="status" { "Account updated." } },
        _ => html! {},
    };
    render(&app, &page, top, None, Draft::default(), StatusCode::OK).await
}

async fn render(
    app: &App,
    page: &Page,
    top: Markup,
    problem: Option<Problem>,
    draft: Draft,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let accounts = app.store.accounts().await?;
    let (tz, _) = super::audit::display_zone(app);
    let open_for = problem.as_ref().and_then(|p| p.for_email.clone());
    let body = html! {
        h1 { "Accounts" }
        (top)
        @if let Some(p) = &problem { p.error role="alert" { (p.message) } }
        div.grid.accounts {
            section.card aria-labelledby="add-title" { (add_form(app, page, &draft)) }
        }
        h2 #list-title { "Everyone " span.badge.muted { (accounts.len()) } }
        ul.list.accounts aria-labelledby="list-title" {
            @for a in &accounts {
                li { (account(app, page, a, &tz, open_for.as_deref() == Some(a.email.as_str()))) }
            }
        }
    };
    let mut resp = layout::page(page, Nav::Accounts, "Accounts", body);
    *resp.status_mut() = status;
    Ok(resp)
}

fn role_select(id: &str, current: Role) -> Markup {
    html! {
        select #(id) name="role" {
            @for r in Role::ALL { option value=(r) selected[*r == current] { (r) } }
        }
    }
}

/// Location checkboxes; none ticked means every location.
fn location_boxes(app: &App, key: &str, ticked: &[String]) -> Markup {
    html! {
        fieldset.locations {
            legend { "Locations (none ticked: all)" }
            @for l in &app.config.locations {
                label.check {
                    input type="checkbox" name="locations" value=(l.id) id={(key) "-" (l.id)}
                        checked[ticked.iter().any(|t| t == l.id.as_str())];
                    (l.name) " " span.muted { "(" (l.id) ")" }
                }
            }
        }
    }
}

fn add_form(app: &App, page: &Page, d: &Draft) -> Markup {
    html! {
        h2 #add-title { "Add an account" }
        form method="post" action="/accounts" autocomplete="off" {
            (csrf_field(page.csrf()))
            label for="new-email" { "E-mail" }
            input #new-email type="email" name="email" value=(d.email) required maxlength="254" autocomplete="off";
            label for="new-role" { "Role" }
            (role_select("new-role", d.role))
            (location_boxes(app, "new-loc", &d.locations))
            label for="new-password" { "Initial password (at least 10 characters; hand it over privately)" }
            input #new-password type="password" name="password" required minlength="10" autocomplete="new-password";
            p { button.primary type="submit" { "Add account" } }
        }
    }
}

fn account(app: &App, page: &Page, a: &Account, tz: &jiff::tz::TimeZone, open: bool) -> Markup {
    let me = a.email.as_str() == page.actor.name;
    let ticked: Vec<String> = a.locations.iter().map(|l| l.to_string()).collect();
    let key = format!("acct-{}", a.id);
    html! {
        article.account aria-labelledby={(key) "-title"} {
            h3 #{(key) "-title"} { (a.email) }
            p.meta {
                span.badge.info { (a.role) }
                @if a.disabled { span.badge.bad { "Disabled" } }
                @if a.must_change_password { span.badge.warn { "Must change password" } }
                @if me { span.badge.muted { "You" } }
                span { "Locations: " @if ticked.is_empty() { "all" } @else { (ticked.join(", ")) } }
                span { "since " (local(a.created_at, tz)) }
            }
            details open[open] {
                summary { "Change role, locations or status" }
                form method="post" action="/accounts/update" {
                    (csrf_field(page.csrf()))
                    input type="hidden" name="email" value=(a.email);
                    label for={(key) "-role"} { "Role" }
                    (role_select(&format!("{key}-role"), a.role))
                    (location_boxes(app, &format!("{key}-loc"), &ticked))
                    label.check {
                        input type="checkbox" name="disabled" value="on" id={(key) "-disabled"} checked[a.disabled];
                        "Disabled (signs them out at once)"
                    }
                    @if me { p.muted { "This is your account: you cannot demote or disable it yourself." } }
                    p { button type="submit" { "Save " (a.email) } }
                }
            }
        }
    }
}

/// The posted fields (checkboxes repeat `locations`).
fn field<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn draft_of(f: &[(String, String)]) -> Result<Draft, String> {
    let role = field(f, "role").unwrap_or_default();
    Ok(Draft {
        email: field(f, "email").unwrap_or_default().trim().to_owned(),
        role: role.parse::<Role>().map_err(|e| e.to_string())?,
        locations: f.iter().filter(|(k, _)| k == "locations").map(|(_, v)| v.trim().to_owned()).collect(),
    })
}

/// `POST /accounts`: adds an account.
pub async fn add(
    State(app): State<Arc<App>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let refuse = |message: String, draft: Draft| {
        let problem = Problem { message: format!("No account was added: {message}"), for_email: None };
        (problem, draft)
    };
    let (problem, draft) = match draft_of(&f) {
        Err(m) => refuse(m, Draft::default()),
        Ok(draft) => {
            let req = NewAccountRequest {
                email: draft.email.clone(),
                role: draft.role,
                locations: draft.locations.clone(),
                password: field(&f, "password").unwrap_or_default().to_owned(),
            };
            match create_account(app.store.as_ref(), &app.config, app.clock.now(), req, grant.name()).await {
                Ok(_) => return Ok(Redirect::to("/accounts?notice=created").into_response()),
                Err(AccountError::Store(s)) => return Err(s.into()),
                Err(AccountError::Hash(h)) => return Err(ConsoleError::Internal(h)),
                Err(e) => refuse(e.to_string(), draft),
            }
        }
    };
    render(&app, &page, html! {}, Some(problem), draft, StatusCode::BAD_REQUEST).await
}

/// The checked inputs of the update form.
fn checked_update(
    app: &App,
    page: &Page,
    f: &[(String, String)],
) -> Result<(Email, Role, Vec<LocationId>, bool), String> {
    let email = Email::parse(field(f, "email").unwrap_or_default()).map_err(|e| e.to_string())?;
    let d = draft_of(f)?;
    let mut locations = Vec::new();
    for l in &d.locations {
        match LocationId::parse(l).ok().filter(|id| app.config.locations.iter().any(|c| &c.id == id)) {
            Some(id) => locations.push(id),
            None => return Err(format!("unknown location `{l}`")),
        }
    }
    let disabled = field(f, "disabled").is_some_and(|v| !v.is_empty() && v != "off");
    if email.as_str() == page.actor.name && (d.role != Role::Admin || disabled) {
        return Err("you cannot demote or disable your own account; ask another admin".into());
    }
    Ok((email, d.role, locations, disabled))
}

/// `POST /accounts/update`: changes an account's role, locations or status.
pub async fn update(
    State(app): State<Arc<App>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let for_email = field(&f, "email").map(|e| e.trim().to_lowercase());
    let message = match checked_update(&app, &page, &f) {
        Ok((email, role, locations, disabled)) => {
            match update_account(&app, &grant, &email, role, locations, disabled).await {
                Ok(()) => return Ok(Redirect::to("/accounts?notice=updated").into_response()),
                Err(AccountError::Store(StoreError::NotFound(_))) => {
                    return Err(ConsoleError::NotFound(format!("no account {email}")));
                }
                Err(AccountError::Store(s)) => return Err(s.into()),
                Err(e) => e.to_string(),
            }
        }
        Err(m) => m,
    };
    let problem = Problem { message: format!("Nothing changed: {message}"), for_email };
    render(&app, &page, html! {}, Some(problem), Draft::default(), StatusCode::BAD_REQUEST).await
}
