//! Small pieces every page uses: the console's error type (an HTML page
//! with the right status; internal details logged, never shown), relative
//! times, status badges, and the CSRF field of forms.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clubos_domain::{Priority, ThreadStatus};
use clubos_server::auth::Denied;
use clubos_store::StoreError;
use jiff::Timestamp;
use maud::{Markup, html};

use crate::guard::CSRF_FIELD;

/// Why a console request failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{0}")]
    Denied(#[from] Denied),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("something went wrong on our side; it has been logged")]
    Internal(String),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(w) => ConsoleError::NotFound(format!("{w} not found")),
            StoreError::Conflict(w) => ConsoleError::Conflict(w),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            ConsoleError::Denied(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            ConsoleError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            ConsoleError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Check the form"),
            ConsoleError::Conflict(_) => (StatusCode::CONFLICT, "Could not do that"),
            ConsoleError::Internal(detail) => {
                tracing::error!(error = %detail, "console request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Error")
            }
        };
        let body = crate::layout::bare(
            title,
            html! {
                main.narrow {
                    h1 { (title) }
                    p.error role="alert" { (self.to_string()) }
                    p { a.button href="/" { "Back to the inbox" } }
                }
            },
        );
        (status, body).into_response()
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// "4 min", "2 h", "3 d" since `then`.
pub fn since(then: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(then).as_secs().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// A time shown to people: `2026-06-15 14:03` in `tz`.
pub fn local(t: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Words and a style class for a thread status.
pub fn status_badge(s: ThreadStatus) -> Markup {
    let (class, text) = match s {
        ThreadStatus::Escalated => ("bad", "Escalated"),
        ThreadStatus::AwaitingHuman => ("bad", "Needs a human"),
        ThreadStatus::InProgress => ("warn", "In progress"),
        ThreadStatus::ManualOverride => ("warn", "Taken over"),
        ThreadStatus::Pending | ThreadStatus::AwaitingAi => ("info", "AI working"),
        ThreadStatus::AwaitingResponse => ("info", "Waiting on customer"),
        ThreadStatus::AiResolved => ("good", "Resolved by AI"),
        ThreadStatus::Resolved => ("good", "Resolved"),
        ThreadStatus::Timeout => ("muted", "Timed out"),
        ThreadStatus::Merged => ("muted", "Merged"),
    };
    html! { span class={"badge " (class)} { (text) } }
}

pub fn priority_badge(p: Priority) -> Markup {
    match p {
        Priority::Emergency => html! { span.badge.bad { "Emergency" } },
        Priority::High => html! { span.badge.warn { "High" } },
        Priority::Normal | Priority::Low => html! {},
    }
}

/// A message shown after a redirect (`?notice=` codes only, never free text).
pub fn notice(code: Option<&str>) -> Markup {
    let text = match code {
        Some("approved") => "Done: the proposal ran.",
        Some("acted") => "Done.",
        Some("replied") => "Reply sent.",
        Some("resolved") => "Thread resolved.",
        Some("taken") => "You have the thread; the AI will not act on it.",
        Some("escalated") => "Escalated to the team.",
        Some("rejected") => "Proposal rejected.",
        Some("saved") => "Saved.",
        Some("password") => "Password changed.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn relative_times() {
        let now = Timestamp::UNIX_EPOCH + SignedDuration::from_hours(1000);
        assert_eq!(since(now, now), "just now");
        assert_eq!(since(now - SignedDuration::from_mins(4), now), "4 min");
        assert_eq!(since(now - SignedDuration::from_hours(5), now), "5 h");
        assert_eq!(since(now - SignedDuration::from_hours(50), now), "2 d");
    }

    #[test]
    fn customer_text_is_escaped() {
        let m = html! { p { ("<script>alert(1)</script>") } };
        assert_eq!(m.into_string(), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    }
}
