//! One thread: the booking header, the messages (customer left, ClubOS and
//! operators right), the AI's proposal with its one-tap approval, the other
//! one-tap actions, and the decision trail with "View reasoning" (every
//! policy check with what it looked at, and the rule that decided).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use clubos_domain::Permission;
use clubos_server::App;
use clubos_store::{DecisionRow, Direction, ThreadDetail};
use jiff::SignedDuration;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

pub use super::thread_ops::operate;
use super::thread_ops::{action_forms, describe_proposal};
use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, local, notice, priority_badge, status_badge};

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    notice: Option<String>,
}

/// A problem to show above the actions (a refused action, with what to do).
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub message: Option<String>,
    /// The limits refused an action; the operator may override with a reason.
    pub overridable: Option<String>,
    /// The refused form's fields (bay, door), posted again with the override.
    pub fields: Vec<(String, String)>,
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ConsoleError> {
    render(&app, &page, &headers, id, q.notice.as_deref(), Problem::default()).await
}

/// The thread page (or its live region).
pub async fn render(
    app: &App,
    page: &Page,
    headers: &HeaderMap,
    id: i64,
    notice_code: Option<&str>,
    problem: Problem,
) -> Result<Response, ConsoleError> {
    let d = app.store.thread(id).await?.ok_or_else(|| ConsoleError::NotFound(format!("thread {id} not found")))?;
    if !page.actor.scope.includes(&d.thread.location) {
        return Err(clubos_server::auth::Denied::Location(d.thread.location.clone()).into());
    }
    let region = detail(app, page, &d, &problem).await?;
    let list = super::inbox::list(app, page, Some(id), false).await?;
    let title = format!("Thread {id}");
    Ok(layout::live_or_page(layout::is_live(headers), page, Nav::Inbox, &title, region, |live| {
        html! {
            div.split.has-detail {
                section.pane-list aria-label="Threads" { (list) }
                section.detail aria-labelledby="thread-title" {
                    p { a.back href="/" { "← Inbox" } }
                    (notice(notice_code))
                    (live)
                }
            }
        }
    }))
}

async fn detail(app: &App, page: &Page, d: &ThreadDetail, problem: &Problem) -> Result<Markup, ConsoleError> {
    let t = &d.thread;
    let now = app.clock.now();
    let location = app.location(&t.location);
    let tz = location.map_or(jiff::tz::TimeZone::UTC, |l| l.timezone.clone());
    let (bookings, customer) = match &t.customer_phone {
        Some(phone) => {
            let window = SignedDuration::from_hours(12);
            let bookings = app.store.bookings_for(phone, Some(&t.location), now - window, now + window).await?;
            (bookings, app.store.customer(phone).await?)
        }
        None => (Vec::new(), None),
    };
    let may_operate = page.actor.may(Permission::Operate) && !t.status.is_closed();
    Ok(html! {
        h1 #thread-title {
            (customer.as_ref().and_then(|c| c.name.clone()).unwrap_or_else(|| who(t)))
        }
        p.meta {
            (status_badge(t.status)) (priority_badge(t.priority))
            span { (location.map_or(t.location.as_str(), |l| l.name.as_str())) }
            @if let Some(b) = t.bay { span { "Bay " (b) } }
            @if let Some(c) = t.category { span { (c) } }
            span { (who(t)) }
        }
        section.card aria-label="Booking" {
            @match bookings.first() {
                Some(b) => {
                    strong { "Booking " } (b.id) @if let Some(bay) = b.bay { " · Bay " (bay) } " · "
                    (local(b.starts_at, &tz)) "–" (b.ends_at.to_zoned(tz.clone()).strftime("%H:%M").to_string())
                    " · " (b.status)
                }
                None => span.muted { "No booking for this customer within 12 hours." }
            }
            @if let Some(c) = &customer { @if !c.flags.is_empty() { p.error { "Customer flags: " (c.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")) } } }
        }
        @if let Some(summary) = &t.escalation_summary {
            section.card aria-label="Why a human" {
                strong { "Why a human: " }
                @if let Some(r) = t.escalation_reason { code { (r) } " — " }
                (summary)
            }
        }
        @if let Some(m) = &problem.message { p.error role="alert" { (m) } }
        @if let Some(p) = &t.proposal {
            section.card.proposal aria-labelledby="proposal-title" {
                h2 #proposal-title { "The AI proposes" }
                p { (describe_proposal(p)) }
                @if let Some(why) = shadow_note(d) { p.muted { (why) } }
            }
        }
        @if may_operate {
            (action_forms(app, page, d, problem))
        } @else if !page.actor.may(Permission::Operate) {
            p.muted { "Your role can read this thread but not act on it." }
        }
        h2 { "Messages" }
        ol.msgs {
            @for m in &d.messages {
                li class={"msg" @if m.direction == Direction::Outbound { " out" }} {
                    span.by { (author(&m.author)) " · " time datetime=(m.at) { (local(m.at, &tz)) } }
                    (m.body)
                }
            }
        }
        @if !d.actions.is_empty() {
            h2 { "Actions" }
            ul.list {
                @for a in &d.actions {
                    li.row {
                        strong { (a.kind) } " " (a.target) " · " (a.status.as_str()) " · by " (a.actor)
                        " · " (local(a.started_at, &tz))
                        @if let Some(e) = &a.error { br; span.error { (e) } }
                        @if let Some(o) = &a.override_reason { br; span.muted { "Limit overridden: " (o) } }
                    }
                }
            }
        }
        h2 { "Decision trail" }
        @if d.decisions.is_empty() { p.muted { "No decision yet." } }
        @for dec in d.decisions.iter().rev() { (decision(dec, &tz)) }
        @if t.status.is_closed() { p.muted { "This thread is closed; a new text opens a new thread." } }
    })
}

fn author(a: &str) -> &str {
    match a {
        "customer" => "Customer",
        "ai" => "ClubOS",
        other => other,
    }
}

/// With a category's autonomy off the AI still says what it would do.
fn shadow_note(d: &ThreadDetail) -> Option<&'static str> {
    let last = d.decisions.iter().rev().find(|x| x.proposed_action.is_some())?;
    (last.reason == Some(clubos_domain::ReasonCode::AutonomyDisabled))
        .then_some("Autonomy is off for this category: this is what the AI would have done. Your answer counts toward its trust record.")
}

fn decision(d: &DecisionRow, tz: &jiff::tz::TimeZone) -> Markup {
    let checks = d.checks.as_array().cloned().unwrap_or_default();
    let decided = checks.iter().find(|c| c["passed"] == Value::Bool(false));
    html! {
        article.card {
            p.meta {
                strong { (d.verdict) }
                @if let Some(r) = d.reason { code { (r) } }
                @if let Some(c) = d.category { span { (c) } }
                @if let Some(c) = d.confidence { span { "confidence " (format!("{c:.2}")) } }
                span { (d.model) @if d.cached { " (cached)" } }
                span { (d.tokens_in + d.tokens_out) " tokens" }
                span { (d.latency_ms) " ms" }
                time datetime=(d.at) { (local(d.at, tz)) }
            }
            @if let Some(sop) = &d.matched_sop { p.muted { "SOP: " code { (sop) } } }
            @if let Some(r) = &d.reply { p { "Reply: “" (r) "”" } }
            details {
                summary { "View reasoning" }
                p {
                    @match decided {
                        Some(c) => { "Decided by the " strong { (c["name"].as_str().unwrap_or("?")) } " check"
                            @if let Some(r) = c["reason"].as_str() { " (" code { (r) } ")" } "." }
                        None => "Every check passed.",
                    }
                }
                div.scroll {
                    table {
                        thead { tr { th scope="col" { "Check" } th scope="col" { "Result" } th scope="col" { "Looked at" } } }
                        tbody {
                            @for c in &checks {
                                tr {
                                    td { (c["name"].as_str().unwrap_or("?")) }
                                    td { @if c["passed"] == Value::Bool(true) { "passed" } @else { strong { "failed" } } }
                                    td { code { (detail_text(&c["detail"])) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `key: value` pairs of a check's detail, its `kind` left out.
fn detail_text(v: &Value) -> String {
    match v.as_object() {
        Some(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "kind")
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => v.to_string(),
    }
}

/// Who the thread is with: the customer's number, or that it was redacted.
pub fn who(t: &clubos_store::ThreadRow) -> String {
    t.customer_phone.as_ref().map_or_else(|| "(number redacted)".to_owned(), ToString::to_string)
}
