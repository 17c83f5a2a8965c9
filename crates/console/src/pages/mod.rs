//! The console's pages, one module per page (or pair of pages).

pub mod accounts;
pub mod audit;
pub mod health;
pub mod inbox;
pub mod knowledge;
pub mod login;
pub mod settings;
pub mod thread;
mod thread_ops;

use std::sync::Arc;

use axum::Router;
use clubos_server::App;

/// The pages behind the navigation besides the inbox and threads.
pub fn admin_routes() -> Router<Arc<App>> {
    Router::new()
        .merge(knowledge::routes())
        .merge(settings::routes())
        .merge(health::routes())
        .merge(audit::routes())
        .merge(accounts::routes())
}
