//! The settings page (being built).

use std::sync::Arc;

use axum::Router;
use clubos_server::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
}
