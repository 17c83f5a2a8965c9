//! Knowledge: the review queue first (pending proposals with a readable
//! diff; admins accept or reject with an optional note), then the SOPs with
//! their use metrics and upkeep flags, each linking to its versions, and
//! the upload form (pasted text or a file). Everyone may read; only admins
//! see the buttons, and the server refuses anyone else's posts (403).

#[path = "knowledge_diff.rs"]
mod diff;
#[path = "knowledge_sop.rs"]
mod sop;
#[path = "knowledge_upload.rs"]
mod upload;

use std::sync::Arc;

use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clubos_domain::Permission;
use clubos_server::App;
use clubos_server::auth::Administer;
use clubos_server::knowledge::{self, KnowledgeError, upkeep};
use clubos_store::{ProposalStatus, SopStatus, SopVersion};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, csrf_field, since};

/// Largest document the upload forms take (the API's limit: 1 MiB).
pub(crate) const UPLOAD_LIMIT: usize = 1024 * 1024;
/// Largest upload request: the document plus room for the form's encoding.
const UPLOAD_BODY_LIMIT: usize = 4 * UPLOAD_LIMIT;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/knowledge", get(index))
        .route("/knowledge/upload", post(upload::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .route("/knowledge/proposals/{id}/{op}", post(decide))
        .route("/knowledge/sops/{id}", get(sop::show))
        .route("/knowledge/sops/{id}/{op}", post(sop::change))
}

/// What a knowledge request's refusal looks like in the console.
pub(crate) fn refused(e: KnowledgeError) -> ConsoleError {
    match e {
        KnowledgeError::Invalid(m) => ConsoleError::BadRequest(m),
        KnowledgeError::NotFound(m) => ConsoleError::NotFound(m),
        KnowledgeError::Conflict(m) => ConsoleError::Conflict(m),
        KnowledgeError::Store(s) => s.into(),
    }
}

/// The status of a refusal shown on the page itself; `None`: an internal error.
fn shown_status(e: &ConsoleError) -> Option<StatusCode> {
    match e {
        ConsoleError::BadRequest(_) => Some(StatusCode::BAD_REQUEST),
        ConsoleError::NotFound(_) => Some(StatusCode::NOT_FOUND),
        ConsoleError::Conflict(_) => Some(StatusCode::CONFLICT),
        ConsoleError::Denied(_) => Some(StatusCode::FORBIDDEN),
        ConsoleError::Internal(_) => None,
    }
}

/// Messages after a redirect (codes only, never free text).
pub(crate) fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("accepted") => "Accepted: the SOP is active and answers customers now.",
        Some("rejected") => "Proposal rejected; nothing changed.",
        Some("rolledback") => "Rolled back: a copy of that version is now active.",
        Some("archived") => "Archived: the SOP no longer answers customers.",
        other => return crate::view::notice(other),
    };
    html! { p.notice role="status" { (text) } }
}

#[derive(Debug, Deserialize)]
pub struct IndexQuery {
    notice: Option<String>,
}

pub async fn index(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Query(q): Query<IndexQuery>,
) -> Result<Response, ConsoleError> {
    let top = notice(q.notice.as_deref());
    render(&app, &page, &headers, top, StatusCode::OK).await
}

/// The knowledge page (or its live region) with `top` (a notice, an
/// upload's result, a refusal) above the queue.
pub(crate) async fn render(
    app: &App,
    page: &Page,
    headers: &HeaderMap,
    top: Markup,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let admin = page.actor.may(Permission::Administer);
    let region = html! {
        (queue(app, page, admin).await?)
        (sops(app).await?)
    };
    let mut resp = layout::live_or_page(layout::is_live(headers), page, Nav::Knowledge, "Knowledge", region, |live| {
        html! {
            h1 { "Knowledge" }
            @if admin { p { a href="#upload-title" { "Upload a document ↓" } } }
            (top)
            (live)
            @if admin { (upload::form(page)) }
        }
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Pending proposals, oldest first (the order they came in).
async fn queue(app: &App, page: &Page, admin: bool) -> Result<Markup, ConsoleError> {
    let mut pending = app.store.proposals(Some(ProposalStatus::Pending), 200).await?;
    pending.reverse();
    let now = app.clock.now();
    let mut items = Vec::with_capacity(pending.len());
    for p in &pending {
        items.push(knowledge::with_diff(app, p).await.map_err(refused)?);
    }
    Ok(html! {
        section aria-labelledby="queue-title" {
            h2 #queue-title { "Review queue " span.badge.info { (items.len()) } }
            @if items.is_empty() {
                p.muted { "Nothing to review. Uploads and Claude's suggestions wait here until someone accepts them." }
            }
            @for (p, v) in pending.iter().zip(&items) {
                article.card.proposal aria-labelledby={"p-" (p.id) "-title"} {
                    h3 #{"p-" (p.id) "-title"} {
                        (kind_badge(v)) " "
                        (v["title"].as_str().unwrap_or(&p.sop_id))
                    }
                    p.meta {
                        code { (p.sop_id) }
                        span { (p.source) }
                        span { "by " (p.proposed_by) }
                        span { time datetime=(p.created_at) { (since(p.created_at, now)) " ago" } }
                    }
                    @if !p.warnings.is_empty() {
                        ul.warnings aria-label="Check before accepting" {
                            @for w in &p.warnings { li { span.badge.warn { "Check" } " " (w) } }
                        }
                    }
                    (diff::view(&v["diff"], &format!("p-{}", p.id)))
                    @if admin { (decide_form(page, p.id)) }
                }
            }
        }
    })
}

fn kind_badge(v: &Value) -> Markup {
    match v["kind"].as_str() {
        Some("merge") => {
            html! { span.badge.warn { "Merge, retires " (v["retires"].as_str().unwrap_or("another SOP")) } }
        }
        Some("change") => html! { span.badge.info { "Change to v" (v["current_version"]) } },
        _ => html! { span.badge.good { "New SOP" } },
    }
}

/// Accept (the form's action) or Reject (its second button), with a note.
fn decide_form(page: &Page, id: i64) -> Markup {
    let base = format!("/knowledge/proposals/{id}");
    html! {
        form method="post" action={(base) "/accept"} {
            (csrf_field(page.csrf()))
            label for={"note-" (id)} { "Note (optional, kept with the decision)" }
            input #{"note-" (id)} type="text" name="note" maxlength="500";
            div.actions {
                button.primary type="submit" { "Accept" }
                button.danger type="submit" formaction={(base) "/reject"} { "Reject" }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    note: Option<String>,
}

/// `POST /knowledge/proposals/{id}/accept|reject`.
pub async fn decide(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Path((id, op)): Path<(i64, String)>,
    Form(f): Form<DecideForm>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let note = f.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let result = match op.as_str() {
        "accept" => knowledge::accept(&app, id, None, grant.name(), note).await.map(|_| "accepted"),
        "reject" => knowledge::reject(&app, id, grant.name(), note).await.map(|_| "rejected"),
        _ => return Err(ConsoleError::NotFound(format!("no knowledge action `{op}`"))),
    };
    match result.map_err(refused) {
        Ok(code) => Ok(Redirect::to(&format!("/knowledge?notice={code}")).into_response()),
        Err(e) => match shown_status(&e) {
            Some(status) => {
                let top = html! { p.error role="alert" { "Proposal " (id) " was not " (op) "ed: " (e) } };
                render(&app, &page, &headers, top, status).await
            }
            None => Err(e),
        },
    }
}

/// The SOPs: active ones, then archived ones, with metrics and flags.
async fn sops(app: &App) -> Result<Markup, ConsoleError> {
    let active = app.store.active_sop_versions().await?;
    let archived = archived_sops(app, &active).await?;
    let metrics = app.store.sop_metrics().await?;
    let now = app.clock.now();
    Ok(html! {
        section aria-labelledby="sops-title" {
            h2 #sops-title { "SOPs " span.badge.muted { (active.len()) " active" } }
            @if active.is_empty() && archived.is_empty() { p.muted { "No SOPs yet." } }
            ul.list aria-label="SOPs" {
                @for v in active.iter().chain(&archived) {
                    @let m = metrics.iter().find(|m| m.sop_id == v.sop_id);
                    @let flags = if v.status == SopStatus::Active { upkeep::flags(m, v.created_at, now) } else { vec![] };
                    li {
                        a.row href={"/knowledge/sops/" (v.sop_id)} {
                            span.line1 {
                                span.who { (v.body["title"].as_str().unwrap_or(&v.sop_id)) }
                                (status_badge(v.status))
                                @for f in &flags { (flag_badge(*f)) }
                            }
                            span.line1.muted {
                                code { (v.sop_id) }
                                span { (v.body["category"].as_str().unwrap_or("?")) }
                                span { "v" (v.version) }
                                span { "used " (m.map_or(0, |m| m.times_used)) "×" }
                                span { (rate(m.and_then(upkeep::success_rate))) }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// SOPs whose latest version is archived (retired), newest change first.
async fn archived_sops(app: &App, active: &[SopVersion]) -> Result<Vec<SopVersion>, ConsoleError> {
    let mut ids: Vec<String> = Vec::new();
    for c in app.store.sop_changes(1000).await? {
        if !ids.contains(&c.sop_id) && !active.iter().any(|a| a.sop_id == c.sop_id) {
            ids.push(c.sop_id);
        }
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(latest) = app.store.sop_versions(&id).await?.into_iter().next() {
            out.push(latest);
        }
    }
    Ok(out)
}

pub(crate) fn status_badge(s: SopStatus) -> Markup {
    match s {
        SopStatus::Active => html! { span.badge.good { "Active" } },
        SopStatus::Archived => html! { span.badge.muted { "Archived" } },
    }
}

pub(crate) fn flag_badge(f: upkeep::Flag) -> Markup {
    match f {
        upkeep::Flag::Stale => html! { span.badge.warn title="Unused for 90 days" { "Stale" } },
        upkeep::Flag::Review => html! { span.badge.bad title="Fewer than half of its outcomes succeed" { "Review" } },
        upkeep::Flag::Disputed => {
            html! { span.badge.bad title="Operators overrode it more than 5 times" { "Disputed" } }
        }
    }
}

/// "83 % success", or "no outcomes yet".
pub(crate) fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "no outcomes yet".to_owned(), |r| format!("{:.0} % success", r * 100.0))
}
