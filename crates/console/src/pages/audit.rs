//! The audit log (admins only): newest first, with the time, actor, action,
//! subject and detail (compact JSON); filtered by actor and action
//! substrings from the query string, `?limit=` rows (at most 1000).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use clubos_server::App;
use clubos_server::auth::Administer;
use clubos_store::AuditRow;
use jiff::tz::TimeZone;
use maud::{Markup, html};
use serde::Deserialize;

use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::ConsoleError;

/// Rows shown without `?limit=`.
const DEFAULT_LIMIT: u32 = 200;
/// Most rows one page shows.
const MAX_LIMIT: u32 = 1000;
/// Detail longer than this is folded behind "more".
const DETAIL_SHOWN: usize = 240;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/audit", get(show))
}

/// The zone people read times in: the first location's, else UTC; and its name.
pub(crate) fn display_zone(app: &App) -> (TimeZone, String) {
    match app.config.locations.first() {
        Some(l) => (l.timezone.clone(), l.timezone.iana_name().unwrap_or("local time").to_owned()),
        None => (TimeZone::UTC, "UTC".to_owned()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    limit: Option<String>,
}

/// The filter: trimmed, lowercased substrings (empty: any).
fn wanted(s: Option<&str>) -> String {
    s.unwrap_or_default().trim().to_lowercase()
}

fn matches(row: &AuditRow, actor: &str, action: &str) -> bool {
    row.actor.to_lowercase().contains(actor) && row.action.to_lowercase().contains(action)
}

/// `?limit=`: a number from 1 to 1000 (larger is capped; junk is the default).
fn limit_of(raw: Option<&str>) -> u32 {
    raw.and_then(|l| l.trim().parse::<u64>().ok()).map_or(DEFAULT_LIMIT, |l| l.clamp(1, u64::from(MAX_LIMIT)) as u32)
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    page.grant::<Administer>()?;
    let (actor, action) = (wanted(q.actor.as_deref()), wanted(q.action.as_deref()));
    let limit = limit_of(q.limit.as_deref());
    let filtered = !actor.is_empty() || !action.is_empty();
    // With a filter, search the most the page may show, then keep `limit`.
    let fetch = if filtered { MAX_LIMIT } else { limit };
    let rows: Vec<AuditRow> = app
        .store
        .audit_log(fetch)
        .await?
        .into_iter()
        .filter(|r| matches(r, &actor, &action))
        .take(limit as usize)
        .collect();
    let (tz, zone) = display_zone(&app);
    let body = html! {
        h1 { "Audit log" }
        form.filters method="get" action="/audit" role="search" aria-label="Filter the audit log" {
            div {
                label for="f-actor" { "Actor contains" }
                input #f-actor type="search" name="actor" value=(q.actor.as_deref().unwrap_or_default()) maxlength="200";
            }
            div {
                label for="f-action" { "Action contains" }
                input #f-action type="search" name="action" value=(q.action.as_deref().unwrap_or_default())
                    maxlength="200" placeholder="e.g. knowledge, account, login";
            }
            div {
                label for="f-limit" { "Rows (up to " (MAX_LIMIT) ")" }
                input #f-limit type="number" name="limit" min="1" max=(MAX_LIMIT) value=(limit);
            }
            div.actions {
                button.primary type="submit" { "Filter" }
                @if filtered { a.button href="/audit" { "Clear" } }
            }
        }
        p.muted {
            (rows.len()) " entries, newest first"
            @if filtered { " (searched the latest " (MAX_LIMIT) ")" }
            ". Times in " (zone) "."
        }
        @if rows.is_empty() { p.muted { "No entries match." } }
        ol.list.audit aria-label="Audit entries" {
            @for r in &rows { li.entry { (entry(r, &tz)) } }
        }
    };
    Ok(layout::page(&page, Nav::Audit, "Audit log", body))
}

fn entry(r: &AuditRow, tz: &TimeZone) -> Markup {
    let detail = if r.detail.as_object().is_some_and(|o| o.is_empty()) || r.detail.is_null() {
        String::new()
    } else {
        r.detail.to_string()
    };
    html! {
        span.line1 {
            time datetime=(r.at) { (r.at.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M:%S")) }
            strong.who { (r.actor) }
        }
        span.line1 {
            code.action { (r.action) }
            span.subject { (r.subject) }
        }
        @if detail.chars().count() > DETAIL_SHOWN {
            details.detail-json {
                summary { code { (detail.chars().take(DETAIL_SHOWN).collect::<String>()) "…" } }
                code { (detail) }
            }
        } @else if !detail.is_empty() {
            code.detail-json { (detail) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_capped_and_filters_are_substrings() {
        assert_eq!(limit_of(None), DEFAULT_LIMIT);
        assert_eq!(limit_of(Some("5")), 5);
        assert_eq!(limit_of(Some("0")), 1);
        assert_eq!(limit_of(Some("99999")), MAX_LIMIT);
        assert_eq!(limit_of(Some("lots")), DEFAULT_LIMIT);
        let row = AuditRow {
            id: 1,
            at: jiff::Timestamp::UNIX_EPOCH,
            actor: "Ops@Example.com".into(),
            action: "knowledge.accept".into(),
            subject: "sop:faq.x".into(),
            detail: serde_json::json!({}),
        };
        assert!(matches(&row, &wanted(Some(" ops@")), &wanted(Some("ACCEPT"))));
        assert!(matches(&row, "", ""));
        assert!(!matches(&row, "admin", ""));
    }
}
