//! The one-tap actions of a thread page and the handler they post to. Every
//! action goes through the server's `operate` functions (the same action
//! wrapper, limits and audit as the API); a limit may be overridden only
//! with a written reason.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use clubos_domain::{ActionKind, ActionTarget, BayNumber, DoorId, ThreadStatus};
use clubos_server::App;
use clubos_server::actions::Refused;
use clubos_server::auth::Operate;
use clubos_server::operate::{self, OperateError, proposed_action};
use clubos_store::ThreadDetail;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::thread::{Problem, render};
use crate::guard::Page;
use crate::view::{ConsoleError, csrf_field};

/// "Reset TrackMan on bay 3", "Reply: …".
pub fn describe_proposal(p: &Value) -> String {
    match proposed_action(p) {
        Some((ActionKind::SendReply, _, _, Some(body))) => format!("Reply: “{body}”"),
        Some((kind, target, _, _)) => format!("{} — {}", label(kind), target_label(&target)),
        None => "An action this console cannot read".into(),
    }
}

fn label(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::ResetTrackman => "Reset TrackMan",
        ActionKind::RebootPc => "Reboot the bay PC",
        ActionKind::UnlockDoor => "Unlock the door",
        ActionKind::SendReply => "Reply",
    }
}

fn target_label(t: &ActionTarget) -> String {
    match t {
        ActionTarget::Bay(b) => format!("bay {b}"),
        ActionTarget::Door(d) => format!("door {d}"),
        ActionTarget::Customer => "the customer".into(),
    }
}

/// A one-button form posting to `/threads/{id}/{op}`.
fn button(page: &Page, id: i64, op: &str, text: &str, class: &str, confirm: Option<&str>) -> Markup {
    html! {
        form method="post" action={"/threads/" (id) "/" (op)} data-confirm=[confirm] {
            (csrf_field(page.csrf()))
            button type="submit" class=(class) { (text) }
        }
    }
}

/// Approve, reset, unlock, reply, escalate, resolve, take over, reject.
pub fn action_forms(app: &App, page: &Page, d: &ThreadDetail, problem: &Problem) -> Markup {
    let t = &d.thread;
    let id = t.id;
    let location = app.location(&t.location);
    let bays: Vec<BayNumber> = location.map(|l| l.bays.iter().map(|b| b.number).collect()).unwrap_or_default();
    let doors: Vec<DoorId> = location.map(|l| l.doors.iter().map(|d| d.id.clone()).collect()).unwrap_or_default();
    let reply_text = t.proposal.as_ref().and_then(|p| p.get("reply")).and_then(Value::as_str).unwrap_or_default();
    html! {
        section aria-labelledby="act-title" {
            h2 #act-title { "Actions" }
            @if let Some(op) = &problem.overridable {
                form.card method="post" action={"/threads/" (id) "/" (op)} {
                    (csrf_field(page.csrf()))
                    label for="override" { "Run it anyway — why? (recorded in the audit log)" }
                    input #override type="text" name="override_reason" required maxlength="500";
                    @for (k, v) in &problem.fields { input type="hidden" name=(k) value=(v); }
                    p { button.danger type="submit" { "Override the limit and run" } }
                }
            }
            div.actions {
                @if t.proposal.is_some() {
                    (button(page, id, "approve", "Approve proposal", "primary", None))
                    (button(page, id, "reject", "Reject proposal", "", None))
                }
                @if !t.status.is_human_owned() { (button(page, id, "take-over", "Take over", "", None)) }
                (button(page, id, "resolve", "Resolve", "", None))
            }
            @if !bays.is_empty() {
                form.actions method="post" action={"/threads/" (id) "/reset"} {
                    (csrf_field(page.csrf()))
                    label.sr for="bay" { "Bay" }
                    select #bay name="bay" {
                        @for b in &bays { option value=(b) selected[t.bay == Some(*b)] { "Bay " (b) } }
                    }
                    button type="submit" { "Reset TrackMan" }
                }
            }
            @if !doors.is_empty() {
                form.actions method="post" action={"/threads/" (id) "/unlock"} data-confirm="Unlock this door for the customer?" {
                    (csrf_field(page.csrf()))
                    label.sr for="door" { "Door" }
                    select #door name="door" { @for dr in &doors { option value=(dr) { "Door " (dr) } } }
                    button type="submit" { "Unlock door" }
                }
            }
            form method="post" action={"/threads/" (id) "/reply"} {
                (csrf_field(page.csrf()))
                label for="reply" { "Reply to the customer" }
                textarea #reply name="body" maxlength="1600" required { (reply_text) }
                p.actions { button.primary type="submit" { "Send reply" } }
            }
            details {
                summary { "Escalate to the team" }
                form method="post" action={"/threads/" (id) "/escalate"} {
                    (csrf_field(page.csrf()))
                    label for="note" { "Note for the team" }
                    input #note type="text" name="note" maxlength="500";
                    p { button type="submit" { "Escalate" } }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OpForm {
    override_reason: Option<String>,
    bay: Option<String>,
    door: Option<String>,
    body: Option<String>,
    note: Option<String>,
}

fn bad(m: impl Into<String>) -> ConsoleError {
    ConsoleError::BadRequest(m.into())
}

/// `POST /threads/{id}/{op}`.
pub async fn operate(
    State(app): State<Arc<App>>,
    page: Page,
    headers: HeaderMap,
    Path((id, op)): Path<(i64, String)>,
    Form(f): Form<OpForm>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Operate>()?;
    let over = f.override_reason.filter(|r| !r.trim().is_empty());
    // Kept for the override form if a limit refuses the action.
    let fields: Vec<(String, String)> = [("bay", &f.bay), ("door", &f.door)]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
        .collect();
    let result: Result<&str, OperateError> = match op.as_str() {
        "approve" => operate::approve(&app, &grant, id, over).await.map(|_| "approved"),
        "reset" => {
            let bay = f.bay.as_deref().unwrap_or_default().parse::<u16>().ok().and_then(|b| BayNumber::new(b).ok());
            let bay = bay.ok_or_else(|| bad("choose a bay"))?;
            operate::act(&app, &grant, id, ActionKind::ResetTrackman, ActionTarget::Bay(bay), None, over)
                .await
                .map(|_| "acted")
        }
        "unlock" => {
            let door = DoorId::parse(f.door.as_deref().unwrap_or_default()).map_err(|e| bad(e.to_string()))?;
            operate::act(&app, &grant, id, ActionKind::UnlockDoor, ActionTarget::Door(door), None, over)
                .await
                .map(|_| "acted")
        }
        "reply" => {
            let body = f.body.filter(|b| !b.trim().is_empty()).ok_or_else(|| bad("write a reply first"))?;
            operate::act(&app, &grant, id, ActionKind::SendReply, ActionTarget::Customer, Some(body), None)
                .await
                .map(|_| "replied")
        }
        "reject" => operate::reject(&app, &grant, id, f.note).await.map(|_| "rejected"),
        "resolve" => operate::set_status(&app, &grant, id, ThreadStatus::Resolved, f.note).await.map(|_| "resolved"),
        "take-over" => {
            operate::set_status(&app, &grant, id, ThreadStatus::ManualOverride, f.note).await.map(|_| "taken")
        }
        "escalate" => operate::set_status(&app, &grant, id, ThreadStatus::Escalated, f.note).await.map(|_| "escalated"),
        _ => return Err(ConsoleError::NotFound(format!("no action `{op}`"))),
    };
    match result {
        Ok(code) => Ok(Redirect::to(&format!("/threads/{id}?notice={code}")).into_response()),
        Err(OperateError::Refused(Refused::Limits(failed))) => {
            let problem = Problem {
                message: Some(format!("Refused by limits: {}.", failed.join("; "))),
                overridable: Some(op.clone()),
                fields,
            };
            let mut resp = render(&app, &page, &headers, id, None, problem).await?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(match e {
            OperateError::NotFound(_) => ConsoleError::NotFound(e.to_string()),
            OperateError::Denied(d) => ConsoleError::Denied(d),
            OperateError::NoProposal(_) | OperateError::Refused(Refused::ProposalUsed) => {
                ConsoleError::Conflict(e.to_string())
            }
            OperateError::Refused(Refused::Invalid(m)) => ConsoleError::BadRequest(m),
            OperateError::Refused(Refused::Store(s)) | OperateError::Store(s) => s.into(),
            OperateError::Refused(Refused::Limits(_)) => ConsoleError::Conflict(e.to_string()),
        }),
    }
}
