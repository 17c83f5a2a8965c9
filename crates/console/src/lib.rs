//! The operator console: server-rendered HTML (maud) for the phone first,
//! then a desktop split pane; a little plain JavaScript for live updates and
//! the theme toggle; CSS and JS embedded in the binary. Every page needs a
//! session (else a redirect to `/login`), every state-changing request its
//! session's CSRF token (else 403), and every write a typed grant from the
//! server's `auth` module, so roles hold on the server whatever the page shows.

mod assets;
mod guard;
mod layout;
mod pages;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use clubos_server::App;

pub use guard::{CSRF_FIELD, Page};

/// The console's routes, to mount beside the API with
/// `clubos_server::serve_with`.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    let pages = Router::new()
        .route("/", get(pages::inbox::inbox))
        .route("/escalations", get(pages::inbox::escalations))
        .route("/threads/{id}", get(pages::thread::show))
        .route("/threads/{id}/{op}", post(pages::thread::operate))
        .route("/logout", post(pages::login::logout))
        .route("/account/password", get(pages::login::password_form).post(pages::login::change_password))
        .merge(pages::admin_routes())
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&app), guard::console_session));
    Router::new()
        .route("/login", get(pages::login::form).post(pages::login::submit))
        .route("/assets/{name}", get(assets::serve))
        .merge(pages)
}
