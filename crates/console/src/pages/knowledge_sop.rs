//! One SOP: its metrics and flags, every version (newest first, each record
//! readable field by field) and its change log, with Rollback-to-version
//! and Archive for admins (`POST /knowledge/sops/{id}/rollback|archive`).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use clubos_domain::{Permission, SopId};
use clubos_server::App;
use clubos_server::auth::Administer;
use clubos_server::knowledge::{self, upkeep};
use clubos_store::{SopStatus, SopVersion};
use maud::{Markup, html};
use serde::Deserialize;

use super::{IndexQuery, diff, flag_badge, notice, rate, refused, shown_status, status_badge};
use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::pages::audit::display_zone;
use crate::view::{ConsoleError, csrf_field, local};

fn sop_id(raw: &str) -> Result<SopId, ConsoleError> {
    SopId::parse(raw).map_err(|e| ConsoleError::NotFound(format!("no SOP `{raw}`: {e}")))
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ConsoleError> {
    let id = sop_id(&id)?;
    render(&app, &page, &id, notice(q.notice.as_deref()), StatusCode::OK).await
}

async fn render(app: &App, page: &Page, id: &SopId, top: Markup, status: StatusCode) -> Result<Response, ConsoleError> {
    let versions = app.store.sop_versions(id.as_str()).await?;
    let Some(latest) = versions.first() else {
        return Err(ConsoleError::NotFound(format!("no SOP {id}")));
    };
    let admin = page.actor.may(Permission::Administer);
    let active = versions.iter().find(|v| v.status == SopStatus::Active);
    let metrics = app.store.sop_metrics().await?.into_iter().find(|m| m.sop_id == id.as_str());
    let now = app.clock.now();
    let (tz, zone) = display_zone(app);
    let flags = active.map(|a| upkeep::flags(metrics.as_ref(), a.created_at, now)).unwrap_or_default();
    let changes: Vec<_> = app.store.sop_changes(1000).await?.into_iter().filter(|c| c.sop_id == id.as_str()).collect();
    let title = latest.body["title"].as_str().unwrap_or(id.as_str()).to_owned();
    let body = html! {
        p { a href="/knowledge" { "← Knowledge" } }
        h1 { (title) }
        (top)
        p.meta {
            code { (id) }
            span { (latest.body["category"].as_str().unwrap_or("?")) }
            (status_badge(if active.is_some() { SopStatus::Active } else { SopStatus::Archived }))
            @if let Some(a) = active { span { "version " (a.version) } }
            @for f in &flags { (flag_badge(*f)) }
        }
        section.card aria-label="Use" {
            dl.stats {
                div { dt { "Times used" } dd { (metrics.as_ref().map_or(0, |m| m.times_used)) } }
                div { dt { "Success rate" } dd { (rate(metrics.as_ref().and_then(upkeep::success_rate))) } }
                div { dt { "Overrides" } dd { (metrics.as_ref().map_or(0, |m| m.overrides)) } }
                div { dt { "Last used" } dd { (metrics.as_ref().and_then(|m| m.last_used).map_or("never".into(), |t| local(t, &tz))) } }
            }
            @if admin && active.is_some() {
                form method="post" action={"/knowledge/sops/" (id) "/archive"}
                    data-confirm="Archive this SOP? It stops answering customers until a version is rolled back." {
                    (csrf_field(page.csrf()))
                    button.danger type="submit" { "Archive this SOP" }
                }
            }
        }
        h2 { "Versions" }
        p.muted { "Times in " (zone) "." }
        ol.list.versions aria-label="Versions, newest first" {
            @for v in &versions { li { (version(page, admin, v, &tz)) } }
        }
        h2 { "Change log" }
        @if changes.is_empty() { p.muted { "No changes since the starter set." } }
        ul.list aria-label="Changes, newest first" {
            @for c in &changes {
                li.entry {
                    span.line1 {
                        strong { (c.kind.as_str()) }
                        @if let Some(v) = c.version { span { "→ v" (v) } }
                        @if let Some(p) = c.previous_version { span.muted { "(was v" (p) ")" } }
                        span.muted { "by " (c.approved_by) }
                        time.when datetime=(c.at) { (local(c.at, &tz)) }
                    }
                    @if c.diff.as_array().is_some_and(|d| !d.is_empty()) {
                        details { summary { "What changed" } (diff::view(&c.diff, &format!("c-{}", c.id))) }
                    }
                }
            }
        }
    };
    let mut resp = layout::page(page, Nav::Knowledge, &title, body);
    *resp.status_mut() = status;
    Ok(resp)
}

fn version(page: &Page, admin: bool, v: &SopVersion, tz: &jiff::tz::TimeZone) -> Markup {
    html! {
        article.card aria-labelledby={"v-" (v.version)} {
            h3 #{"v-" (v.version)} { "Version " (v.version) " " (status_badge(v.status)) }
            p.meta {
                span { (v.source) }
                span { "by " (v.created_by) }
                @if let Some(a) = &v.approved_by { span { "approved by " (a) } }
                time datetime=(v.created_at) { (local(v.created_at, tz)) }
            }
            details { summary { "The record" } (diff::record(&v.body)) }
            @if admin && v.status != SopStatus::Active {
                form method="post" action={"/knowledge/sops/" (v.sop_id) "/rollback"}
                    data-confirm={"Make a copy of version " (v.version) " the active version?"} {
                    (csrf_field(page.csrf()))
                    input type="hidden" name="version" value=(v.version);
                    button type="submit" { "Roll back to version " (v.version) }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ChangeForm {
    version: Option<String>,
}

/// `POST /knowledge/sops/{id}/rollback` (field `version`) and `/archive`.
pub async fn change(
    State(app): State<Arc<App>>,
    page: Page,
    Path((id, op)): Path<(String, String)>,
    Form(f): Form<ChangeForm>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let id = sop_id(&id)?;
    let result = match op.as_str() {
        "rollback" => match f.version.as_deref().and_then(|v| v.trim().parse::<i64>().ok()) {
            Some(version) => knowledge::rollback(&app, &id, version, grant.name()).await.map(|_| "rolledback"),
            None => return Err(ConsoleError::BadRequest("choose a version to roll back to".into())),
        },
        "archive" => knowledge::archive(&app, &id, grant.name()).await.map(|()| "archived"),
        _ => return Err(ConsoleError::NotFound(format!("no SOP action `{op}`"))),
    };
    match result.map_err(refused) {
        Ok(code) => Ok(Redirect::to(&format!("/knowledge/sops/{id}?notice={code}")).into_response()),
        Err(e) => match shown_status(&e) {
            Some(status) => {
                let top = html! { p.error role="alert" { "Not done: " (e) } };
                render(&app, &page, &id, top, status).await
            }
            None => Err(e),
        },
    }
}
