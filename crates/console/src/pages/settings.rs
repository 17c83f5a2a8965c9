//! Settings: the autonomy profile per category (toggle, threshold, booking,
//! cooldown, time window, attempts, model, rules), validated by the
//! domain's parser and audited with before and after; what operators'
//! answers over the last 30 days support (trust that grows); and the
//! limits of the config file, read only. Everyone may read; only an admin
//! sees the forms, and only an admin's grant may save.

mod form;
mod trust;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use clubos_domain::{Category, CategoryPolicy, Permission};
use clubos_server::App;
use clubos_server::auth::Administer;
use jiff::SignedDuration;
use maud::{Markup, html};
use serde::Deserialize;

use self::form::{CategoryForm, FieldError, FormView};
use self::trust::CategoryTrust;
use crate::guard::Page;
use crate::layout::{self, Nav};
use crate::view::{ConsoleError, notice};

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/settings", get(show)).route("/settings/autonomy/{category}", post(save))
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    notice: Option<String>,
    /// A category whose form is pre-filled with the trust suggestion.
    suggest: Option<String>,
}

/// A refused form, shown again as the admin left it.
struct Refused {
    category: Category,
    values: CategoryForm,
    error: FieldError,
}

pub async fn show(
    State(app): State<Arc<App>>,
    page: Page,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, ConsoleError> {
    let suggest = q.suggest.as_deref().and_then(|s| s.parse::<Category>().ok());
    let body = render(&app, &page, q.notice.as_deref(), suggest, None).await?;
    Ok(layout::page(&page, Nav::Settings, "Settings", body))
}

/// `POST /settings/autonomy/{category}`: one category's form.
pub async fn save(
    State(app): State<Arc<App>>,
    page: Page,
    Path(category): Path<String>,
    Form(values): Form<CategoryForm>,
) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let category: Category =
        category.parse().map_err(|_| ConsoleError::NotFound(format!("no autonomy category `{category}`")))?;
    let current = app.profile();
    match values.apply(&current, category) {
        Ok(profile) => {
            if profile != *current {
                let note = Some(values.note.trim()).filter(|n| !n.is_empty());
                clubos_server::settings::set_autonomy(&app, &grant, profile, note).await?;
            }
            Ok(Redirect::to(&format!("/settings?notice=saved#cat-{category}")).into_response())
        }
        Err(error) => {
            let refused = Refused { category, values, error };
            let body = render(&app, &page, None, None, Some(refused)).await?;
            let mut resp = layout::page(&page, Nav::Settings, "Settings", body);
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            Ok(resp)
        }
    }
}

async fn render(
    app: &App,
    page: &Page,
    notice_code: Option<&str>,
    suggest: Option<Category>,
    refused: Option<Refused>,
) -> Result<Markup, ConsoleError> {
    let admin = page.actor.may(Permission::Administer);
    let profile = app.profile();
    let now = app.clock.now();
    let reviews = app.store.proposal_reviews(now - SignedDuration::from_hours(24 * trust::DAYS)).await?;
    Ok(html! {
        h1 { "Settings" }
        (notice(notice_code))
        @if let Some(r) = &refused {
            p.error {
                "Not saved — " (r.error.message) @if !r.error.message.ends_with('.') { "." } " Nothing was changed. "
                a href={"#edit-" (r.category)} { "Go to the " (r.category) " form" }
            }
        }
        section aria-labelledby="autonomy-title" {
            h2 #autonomy-title { "Autonomy per category" }
            p.muted {
                "When the AI may act or reply on its own. A change applies to the next decision and is written to \
                 the audit log with the settings before and after."
                @if !admin { " Read only: only an admin can change these." }
            }
            div.st-cats {
                @for &c in Category::ALL {
                    @let policy = profile.get(c);
                    @let t = CategoryTrust::of(&reviews, c, policy);
                    @let refused_here = refused.as_ref().filter(|r| r.category == c);
                    (category_card(page, admin, c, policy, &t, suggest == Some(c), refused_here))
                }
            }
        }
        (limits(app, page))
    })
}

fn title(c: Category) -> &'static str {
    match c {
        Category::Tech => "Tech — TrackMan and bay PCs",
        Category::Booking => "Booking",
        Category::Access => "Access — doors",
        Category::Faq => "FAQ — answers from the SOPs",
    }
}

fn category_card(
    page: &Page,
    admin: bool,
    c: Category,
    policy: &CategoryPolicy,
    t: &CategoryTrust,
    prefill: bool,
    refused: Option<&Refused>,
) -> Markup {
    let current = CategoryForm::of(policy);
    let suggested = prefill.then(|| t.prefill()).flatten();
    let (values, banner) = match (refused, suggested) {
        (Some(r), _) => (r.values.clone(), None),
        (None, Some((on, threshold))) => {
            let mut v = current.clone();
            v.autonomy = on.then(|| "on".to_owned());
            v.confidence_threshold = form::threshold_text(threshold);
            v.note = format!("Suggested by the trust record: autonomy on at {threshold:.2}");
            let banner = html! {
                p.notice role="status" {
                    "Pre-filled with the suggested change: autonomy on, threshold " (form::threshold_text(threshold))
                    ". Nothing changes until you press Save."
                }
            };
            (v, Some(banner))
        }
        (None, None) => (current, None),
    };
    html! {
        article.card.st-cat id={"cat-" (c)} aria-labelledby={"cat-title-" (c)} {
            h2 id={"cat-title-" (c)} {
                (title(c)) " "
                @if policy.autonomy { span.badge.good { "Autonomy on" } } @else { span.badge.muted { "Autonomy off" } }
            }
            (summary(policy))
            (trust::render(t, policy, admin))
            @if admin {
                details.st-edit id={"edit-" (c)} open[refused.is_some() || suggested.is_some()] {
                    summary { "Change " (c) " settings" }
                    (form::render(&FormView {
                        category: c,
                        values: &values,
                        error: refused.map(|r| &r.error),
                        csrf: page.csrf(),
                        banner,
                    }))
                }
            }
        }
    }
}

/// The category's settings as they are, for everyone.
fn summary(p: &CategoryPolicy) -> Markup {
    let yes = |b: bool| if b { "Yes" } else { "No" };
    html! {
        dl.st-dl {
            dt { "Confidence threshold" } dd { (form::threshold_text(p.confidence_threshold)) }
            dt { "Active booking required" } dd { (yes(p.require_booking)) }
            dt { "Cooldown" } dd { @if p.cooldown_seconds == 0 { "None" } @else { (p.cooldown_seconds) " s" } }
            dt { "Time window" } dd { @match p.time_restrictions { Some(w) => (w.to_string()), None => "Any time" } }
            dt { "Attempts per booking" } dd { @match p.max_attempts_per_booking { Some(n) => (n), None => "No limit" } }
            dt { "Further attempts after a failure" } dd { (p.max_fallbacks) }
            dt { "Cheaper model" } dd { (yes(p.use_cheaper_model)) }
            dt { "Rules" } dd {
                @if p.rules.is_empty() { "None" }
                @else { @for (i, r) in p.rules.iter().enumerate() { @if i > 0 { "; " } (r.to_string()) } }
            }
        }
    }
}

/// The config file's limits, read only.
fn limits(app: &App, page: &Page) -> Markup {
    let l = &app.config.limits;
    let t = &l.timeouts;
    let cap = |c: Option<u64>| c.map_or_else(|| "No cap".to_owned(), |n| format!("{n} tokens"));
    let rows: [(&str, String); 7] = [
        ("LLM calls per thread", format!("At most one every {} s", l.thread_llm_interval_seconds)),
        ("TrackMan resets per bay", format!("At most {} in any {} min", l.resets_per_bay, l.reset_window_minutes)),
        ("Door unlocks per booking", format!("{} (a failed unlock does not count)", l.unlocks_per_booking)),
        ("Tokens per response", format!("At most {}", l.max_tokens_per_response)),
        ("Queue alert", format!("When more than {} wait", l.queue_max)),
        ("Active booking", format!("From {0} min before it starts to {0} min after it ends", l.booking_grace_minutes)),
        (
            "Device timeouts",
            format!(
                "Reset {} s · unlock {} s · reboot {} s · reply {} s",
                t.reset_trackman_seconds, t.unlock_door_seconds, t.reboot_pc_seconds, t.send_reply_seconds
            ),
        ),
    ];
    html! {
        section aria-labelledby="limits-title" {
            h2 #limits-title { "Limits" }
            p.muted { "These come from the configuration file (" code { "[limits]" } " and " code { "[[locations]]" }
                "); change them there and restart the service. They are not editable here." }
            dl.st-dl.card { @for (k, v) in &rows { dt { (k) } dd { (v) } } }
            div.scroll {
                table {
                    caption.st-caption { "Token caps per location" }
                    thead { tr { th scope="col" { "Location" } th scope="col" { "Daily" } th scope="col" { "Monthly" } } }
                    tbody {
                        @for loc in app.config.locations.iter().filter(|l| page.actor.scope.includes(&l.id)) {
                            tr { th scope="row" { (loc.name) } td { (cap(loc.token_caps.daily)) } td { (cap(loc.token_caps.monthly)) } }
                        }
                    }
                }
            }
        }
    }
}
