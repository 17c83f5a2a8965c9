//! The inbox (home page) and the escalations list: threads that need a
//! human first, by priority then age, with status, customer, location and
//! bay, the last message and the time since. On a desktop the list stays
//! on the left and the thread opens beside it.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use clubos_server::App;
use clubos_store::{InboxFilter, InboxRow, NEEDS_HUMAN};
use maud::{Markup, html};
use serde::Deserialize;

use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, notice, priority_badge, since, status_badge};

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    notice: Option<String>,
}

/// Which rows a group shows.
fn group_of(r: &InboxRow) -> &'static str {
    let s = r.thread.status;
    if NEEDS_HUMAN.contains(&s) {
        "Needs a human"
    } else if s.is_human_owned() {
        "With an operator"
    } else if s.is_closed() {
        "Closed"
    } else {
        "AI handling"
    }
}

/// The thread list, grouped; `current` is highlighted.
pub async fn list(
    app: &App,
    page: &Page,
    current: Option<i64>,
    only_needing_human: bool,
) -> Result<Markup, ConsoleError> {
    let filter = InboxFilter {
        locations: page.actor.scope.as_filter().map(<[_]>::to_vec),
        statuses: only_needing_human.then(|| NEEDS_HUMAN.to_vec()),
        limit: 200,
    };
    let rows = app.store.inbox(filter).await?;
    let now = app.clock.now();
    Ok(html! {
        @if rows.is_empty() {
            p.muted { @if only_needing_human { "Nothing needs a human right now." } @else { "No threads yet." } }
        }
        ul.list aria-label="Threads" {
            @for (i, r) in rows.iter().enumerate() {
                @let g = group_of(r);
                @if i == 0 || group_of(&rows[i - 1]) != g {
                    li.group role="presentation" { (g) }
                }
                li { (row(app, r, current, now)) }
            }
        }
    })
}

fn row(app: &App, r: &InboxRow, current: Option<i64>, now: jiff::Timestamp) -> Markup {
    let t = &r.thread;
    let place = app.location(&t.location).map_or(t.location.as_str(), |l| l.name.as_str());
    let when = r.last_message.as_ref().map_or(t.updated_at, |m| m.at);
    html! {
        a.row href={"/threads/" (t.id)} aria-current=[(current == Some(t.id)).then_some("page")] {
            span.line1 {
                (status_badge(t.status))
                (priority_badge(t.priority))
                span.who { (crate::pages::thread::who(t)) }
                span.when { time datetime=(when) { (since(when, now)) } }
            }
            span.line1.muted {
                (place)
                @if let Some(b) = t.bay { " · Bay " (b) }
                @if let Some(c) = t.category { " · " (c) }
            }
            @if let Some(m) = &r.last_message {
                span.last { @if m.direction == clubos_store::Direction::Outbound { "Sent: " } (m.body) }
            }
        }
    }
}

async fn render(
    app: Arc<App>,
    page: Page,
    headers: HeaderMap,
    notice_code: Option<String>,
    only: bool,
) -> Result<Response, ConsoleError> {
    let region = list(&app, &page, None, only).await?;
    let (nav, title) = if only { (Nav::Escalations, "Escalations") } else { (Nav::Inbox, "Inbox") };
    Ok(layout::live_or_page(layout::is_live(&headers), &page, nav, title, region, |live| {
        html! {
            div.split {
                section.pane-list aria-labelledby="list-title" {
                    h1 #list-title { (title) }
                    (notice(notice_code.as_deref()))
                    (live)
                }
                section.detail {
                    p.muted { "Choose a thread to see its messages, the AI's reasoning and the one-tap actions." }
                }
            }
        }
    }))
}

pub async fn inbox(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Response, ConsoleError> {
    render(app, page, headers, q.notice, false).await
}

pub async fn escalations(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Response, ConsoleError> {
    render(app, page, headers, q.notice, true).await
}
