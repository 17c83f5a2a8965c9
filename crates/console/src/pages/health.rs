//! Health and cost: each component's state (the database checked on every
//! view), the work queue and the Claude review queue, unacknowledged
//! notifications with an Acknowledge button (operators and admins; audited),
//! tokens and cost per location today and this month, and the automation
//! rate over the last 30 days as a chart. The components, queues and
//! notifications refresh live.

mod chart;
mod cost;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clubos_domain::{ComponentState, Permission};
use clubos_server::App;
use clubos_server::auth::Operate;
use clubos_store::{NotificationRow, Severity};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, csrf_field, notice, since};

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/health", get(show)).route("/health/notifications/{id}/ack", post(ack))
}

#[derive(Debug, Deserialize)]
pub struct HealthQuery {
    notice: Option<String>,
}

/// Notifications listed at most (the rest are counted).
const SHOWN: usize = 50;

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<HealthQuery>,
) -> Result<Response, ConsoleError> {
    let region = live_region(&app, &page).await?;
    let live = layout::is_live(&headers);
    if live {
        return Ok(layout::live_or_page(true, &page, Nav::Health, "Health & cost", region, |m| m));
    }
    let now = app.clock.now();
    let visible: Vec<_> = app.config.locations.iter().filter(|l| page.actor.scope.includes(&l.id)).cloned().collect();
    let tz = visible.first().map_or(jiff::tz::TimeZone::UTC, |l| l.timezone.clone());
    let zone = visible.first().map_or("UTC", |l| l.timezone_name()).to_owned();
    let from = cost::month_start(&visible, now).min(chart::start(now, &tz));
    let stats = app.store.decision_stats(from, 1800).await?;
    let usage = cost::per_location(&visible, &page.actor.scope, &stats, &app.config.llm.prices, now);
    let days = chart::days(&stats, &page.actor.scope, now, &tz);
    let priced = !app.config.llm.prices.is_empty();
    Ok(layout::live_or_page(false, &page, Nav::Health, "Health & cost", region, |live| {
        html! {
            h1 { "Health & cost" }
            @match q.notice.as_deref() {
                Some("acked") => p.notice role="status" { "Notification acknowledged." },
                other => (notice(other)),
            }
            (live)
            (cost::render(&usage, priced))
            (chart::render(&days, &zone))
        }
    }))
}

/// Components, queues and notifications: the part that refreshes itself.
async fn live_region(app: &App, page: &Page) -> Result<Markup, ConsoleError> {
    let now = app.clock.now();
    let depth = match app.store.queue_depth(now).await {
        Ok(d) => {
            app.health.success("database", now);
            Some(d)
        }
        Err(e) => {
            app.health.failure("database", &e.to_string(), true, now);
            None
        }
    };
    let review = app.store.review_waiting().await.ok();
    let components = app.health.snapshot(now);
    let notes = app.store.notifications(true).await.unwrap_or_default();
    let queue_max = u64::from(app.config.limits.queue_max);
    let may_ack = page.actor.may(Permission::Operate);
    let count = |n: Option<u64>| n.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
    Ok(html! {
        div.hl-top {
            section aria-labelledby="components-title" {
                h2 #components-title { "Components" }
                ul.list.hl-components {
                    @for c in &components {
                        li {
                            span.hl-name { (label(&c.name)) }
                            (state_badge(c.state))
                            @if let Some(e) = &c.last_error { @if c.state != ComponentState::Healthy {
                                span.hl-error { (e) }
                            } }
                            @if let Some(at) = c.updated_at { span.hl-when.muted { "checked " (since(at, now)) @if since(at, now) != "just now" { " ago" } } }
                        }
                    }
                }
            }
            section aria-labelledby="queues-title" {
                h2 #queues-title { "Queues" }
                dl.st-dl.card {
                    dt { "Threads waiting for the AI" }
                    dd #queue-depth {
                        (count(depth))
                        @if depth.is_some_and(|d| d > queue_max) { " " span.badge.bad { "Over the alert level of " (queue_max) } }
                    }
                    dt { "Claude review jobs waiting" } dd #review-waiting { (count(review)) }
                }
            }
        }
        section aria-labelledby="notes-title" {
            h2 #notes-title { "Unacknowledged notifications (" (notes.len()) ")" }
            @if notes.is_empty() { p.muted { "Nothing to acknowledge." } }
            ul.list {
                @for n in notes.iter().take(SHOWN) { li { (notification(page, n, may_ack, now)) } }
            }
            @if notes.len() > SHOWN { p.muted { "And " (notes.len() - SHOWN) " older ones." } }
        }
    })
}

fn label(name: &str) -> &str {
    match name {
        "database" => "Database",
        "llm" => "Language model",
        "openphone" => "OpenPhone (texts)",
        "ninjaone" => "NinjaOne (bay PCs)",
        "unifi_access" => "UniFi Access (doors)",
        "claude" | "anthropic" => "Claude (SOP review)",
        other => other,
    }
}

fn state_badge(s: ComponentState) -> Markup {
    match s {
        ComponentState::Healthy => html! { span.badge.good { "Healthy" } },
        ComponentState::Degraded => html! { span.badge.warn { "Degraded" } },
        ComponentState::Down => html! { span.badge.bad { "Down" } },
    }
}

fn notification(page: &Page, n: &NotificationRow, may_ack: bool, now: jiff::Timestamp) -> Markup {
    let (class, word) = match n.severity {
        Severity::Critical => ("bad", "Critical"),
        Severity::Warning => ("warn", "Warning"),
        Severity::Info => ("info", "Info"),
    };
    html! {
        div.hl-note {
            div.hl-note-text {
                span.line1 {
                    span class={"badge " (class)} { (word) }
                    strong { (n.title) }
                    span.muted { time datetime=(n.created_at) { (since(n.created_at, now)) } }
                }
                @if !n.body.is_empty() { p.hl-body { (n.body) } }
                @if let Some(t) = n.thread_id { a href={"/threads/" (t)} { "Open thread " (t) } }
            }
            @if may_ack {
                form method="post" action={"/health/notifications/" (n.id) "/ack"} {
                    (csrf_field(page.csrf()))
                    button type="submit" aria-label={"Acknowledge: " (n.title)} { "Acknowledge" }
                }
            }
        }
    }
}

/// `POST /health/notifications/{id}/ack`: operators and admins.
pub async fn ack(State(app): State<Arc<App>>, page: Page, Path(id): Path<i64>) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Operate>()?;
    let now = app.clock.now();
    if !app.store.ack_notification(id, grant.name(), now).await? {
        return Err(ConsoleError::NotFound(format!("notification {id} not found")));
    }
    app.store.audit(grant.name(), "notification.ack", &format!("notification:{id}"), json!({}), now).await?;
    Ok(Redirect::to("/health?notice=acked").into_response())
}
