//! The page shell: head (embedded CSS and JS, by content hash), the header
//! with navigation and the theme toggle, a skip link, and the security
//! headers every console page is sent with.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use clubos_domain::Permission;
use maud::{DOCTYPE, Markup, html};

use crate::assets;
use crate::guard::Page;
use crate::view::csrf_field;

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Inbox,
    Escalations,
    Knowledge,
    Settings,
    Health,
    Audit,
    Accounts,
    None,
}

const ENTRIES: &[(Nav, &str, &str, Permission)] = &[
    (Nav::Inbox, "/", "Inbox", Permission::View),
    (Nav::Escalations, "/escalations", "Escalations", Permission::View),
    (Nav::Knowledge, "/knowledge", "Knowledge", Permission::View),
    (Nav::Settings, "/settings", "Settings", Permission::View),
    (Nav::Health, "/health", "Health & cost", Permission::View),
    (Nav::Audit, "/audit", "Audit log", Permission::Administer),
    (Nav::Accounts, "/accounts", "Accounts", Permission::Administer),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            title { (title) " · ClubOS" }
            link rel="stylesheet" href=(assets::url("console.css"));
            // Not deferred: it sets the theme before the first paint.
            script src=(assets::url("console.js")) {}
        }
    }
}

/// A page for a signed-in actor. `live` marks the region that refreshes
/// itself every few seconds (its HTML is what the handler returns when the
/// request carries `X-Live`).
pub fn page(p: &Page, nav: Nav, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" aria-label="ClubOS inbox" { "ClubOS" }
                    nav aria-label="Main" {
                        ul {
                            @for (entry, href, label, needs) in ENTRIES {
                                @if p.actor.may(*needs) {
                                    li { a href=(href) aria-current=[(nav == *entry).then_some("page")] { (label) } }
                                }
                            }
                        }
                    }
                    div.me {
                        button.icon type="button" id="theme" aria-label="Colour theme: follows the system" title="Theme" { "◐" }
                        details.menu {
                            summary aria-label="Account menu" { (p.actor.name) }
                            div.menu-body {
                                p.muted { "Role: " (p.actor.role) }
                                a href="/account/password" { "Change password" }
                                form method="post" action="/logout" {
                                    (csrf_field(p.csrf()))
                                    button type="submit" { "Sign out" }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    };
    secure(markup)
}

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                header.top { span.brand { "ClubOS" } button.icon type="button" id="theme" aria-label="Colour theme: follows the system" { "◐" } }
                (body)
            }
        }
    };
    secure(markup)
}

/// The markup with the console's security headers.
pub fn secure(markup: Markup) -> Response {
    let mut resp = markup.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Either the whole page or, for the live refresh, only the live region.
pub fn live_or_page(
    live: bool,
    p: &Page,
    nav: Nav,
    title: &str,
    region: Markup,
    around: impl FnOnce(Markup) -> Markup,
) -> Response {
    if live {
        secure(region)
    } else {
        let body = around(html! { div #live data-live="5000" { (region) } });
        page(p, nav, title, body)
    }
}

/// Whether the request is the live refresh of a page.
pub fn is_live(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("x-live")
}
