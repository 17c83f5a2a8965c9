//! Admin endpoints of the customer data lifecycle: export everything held
//! about one customer, and forget them (see [`crate::privacy`]).

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use clubos_domain::PhoneNumber;
use serde_json::{Value, json};

use super::ApiError;
use crate::app::App;
use crate::auth::Actor;

fn parse_phone(app: &App, raw: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(raw, app.config.agent.default_country).map_err(|e| ApiError::BadRequest(format!("phone: {e}")))
}

/// `GET /api/customers/{phone}/export`: customer row, bookings, threads
/// (messages, decisions, actions) and notifications, as JSON.
pub async fn export(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Path(phone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let phone = parse_phone(&app, &phone)?;
    let data = crate::privacy::export(app.store.as_ref(), &actor.name, &phone, app.clock.now()).await?;
    Ok(Json(serde_json::to_value(&data).map_err(|e| ApiError::Internal(e.to_string()))?))
}

/// `DELETE /api/customers/{phone}`: forgets the customer; answers what was
/// removed and the reference the audit log names them by.
pub async fn forget(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Path(phone): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let phone = parse_phone(&app, &phone)?;
    let (reference, done) = crate::privacy::forget(app.store.as_ref(), &actor.name, &phone, app.clock.now()).await?;
    Ok(Json(json!({
        "customer_ref": reference,
        "threads": done.threads,
        "messages": done.messages,
        "bookings": done.bookings,
        "customer": done.customer,
        "notifications": done.notifications,
    })))
}
