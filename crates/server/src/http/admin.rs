//! Admin endpoints: bookings, customers, the autonomy profile, health,
//! notifications, and the sandbox's device modes.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use clubos_connectors::sandbox::{Device, Mode};
use clubos_domain::{
    AutonomyProfile, BayNumber, Booking, BookingId, BookingStatus, CustomerFlag, CustomerFlags, DoorId, LocationId,
    PhoneNumber,
};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use axum::Extension;

use super::{ApiError, Body};
use crate::app::App;
use crate::auth::Actor;

/// Settings key of the autonomy profile set through the API.
pub use crate::settings::AUTONOMY_SETTING;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    name: Option<String>,
    #[serde(default)]
    flags: Vec<String>,
}

pub async fn put_customer(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Path(phone): Path<String>,
    Body(b): Body<CustomerBody>,
) -> Result<Json<Value>, ApiError> {
    let phone = PhoneNumber::parse(&phone, app.config.agent.default_country)
        .map_err(|e| ApiError::BadRequest(format!("phone: {e}")))?;
    let flags: CustomerFlags = b
        .flags
        .iter()
        .map(|f| CustomerFlag::parse(f))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::BadRequest(format!("flags: {e}")))?;
    if b.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(ApiError::BadRequest("name: at most 200 characters".into()));
    }
    let now = app.clock.now();
    let row = app.store.set_customer(&phone, b.name, flags, now).await?;
    app.store
        .audit(
            &actor.name,
            "customer.update",
            &format!("customer:{}", phone.redacted()),
            json!({"flags": row.flags}),
            now,
        )
        .await?;
    Ok(Json(serde_json::to_value(&row).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingBody {
    id: Option<String>,
    customer_phone: String,
    location: String,
    bay: Option<u16>,
    starts_at: String,
    ends_at: String,
    #[serde(default = "confirmed")]
    status: String,
}

fn confirmed() -> String {
    "confirmed".into()
}

pub async fn post_booking(State(app): State<Arc<App>>, Body(b): Body<BookingBody>) -> Result<Json<Value>, ApiError> {
    let bad = |field: &str, e: &dyn std::fmt::Display| ApiError::BadRequest(format!("{field}: {e}"));
    let phone = PhoneNumber::parse(&b.customer_phone, app.config.agent.default_country)
        .map_err(|e| bad("customer_phone", &e))?;
    let location = LocationId::parse(&b.location).map_err(|e| bad("location", &e))?;
    let loc = app
        .location(&location)
        .ok_or_else(|| ApiError::BadRequest(format!("location: `{location}` is not configured")))?;
    let bay = b.bay.map(BayNumber::new).transpose().map_err(|e| bad("bay", &e))?;
    if let Some(bay) = bay.filter(|n| loc.bay(*n).is_none()) {
        return Err(ApiError::BadRequest(format!("bay: location `{location}` has no bay {bay}")));
    }
    let starts_at: Timestamp =
        b.starts_at.parse().map_err(|e| bad("starts_at (RFC 3339, e.g. 2026-06-15T18:00:00Z)", &e))?;
    let ends_at: Timestamp = b.ends_at.parse().map_err(|e| bad("ends_at (RFC 3339)", &e))?;
    let status: BookingStatus = b.status.parse().map_err(|e| bad("status", &e))?;
    let id = match b.id {
        Some(id) => BookingId::parse(&id).map_err(|e| bad("id", &e))?,
        None => BookingId::parse(&format!("local-{:012x}", rand::random::<u64>() >> 16)).map_err(|e| bad("id", &e))?,
    };
    let booking = Booking::new(id, location, bay, phone, starts_at, ends_at, status)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    app.store.upsert_booking(&booking).await?;
    Ok(Json(json!({"id": booking.id})))
}

pub async fn get_autonomy(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.profile().to_json())
}

pub async fn put_autonomy(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    body: bytes::Bytes,
) -> Result<Json<Value>, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("body must be UTF-8 JSON".into()))?;
    let profile = AutonomyProfile::from_json(text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let grant = actor.grant::<crate::auth::Administer>()?;
    let after = crate::settings::set_autonomy(&app, &grant, profile, None).await?;
    Ok(Json(after))
}

pub async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    let now = app.clock.now();
    match app.store.queue_depth(now).await {
        Ok(_) => app.health.success("database", now),
        Err(e) => app.health.failure("database", &e.to_string(), true, now),
    }
    let components: Vec<Value> = app
        .health
        .snapshot(now)
        .into_iter()
        .map(|c| json!({"name": c.name, "state": c.state, "last_error": c.last_error}))
        .collect();
    Json(json!({ "components": components }))
}

pub async fn notifications(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let rows = app.store.notifications(false).await?;
    Ok(Json(json!({ "notifications": rows })))
}

pub async fn ack_notification(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest("notification id must be a number".into()))?;
    let now = app.clock.now();
    if !app.store.ack_notification(id, &actor.name, now).await? {
        return Err(ApiError::NotFound(format!("notification {id} not found")));
    }
    app.store.audit(&actor.name, "notification.ack", &format!("notification:{id}"), json!({}), now).await?;
    Ok(Json(json!({"id": id, "acked": true})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// `bay:N`, `door:ID` or `sms`.
    device: String,
    /// Defaults to the first location.
    location: Option<String>,
    mode: Mode,
}

/// Makes a sandbox device succeed, fail, hang or go unconfirmed.
pub async fn sandbox_device(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Body(b): Body<DeviceBody>,
) -> Result<Json<Value>, ApiError> {
    let sandbox = app
        .connectors
        .sandbox
        .as_ref()
        .ok_or_else(|| ApiError::Conflict("no connector runs in sandbox mode".into()))?;
    let location = match &b.location {
        Some(l) => LocationId::parse(l).map_err(|e| ApiError::BadRequest(format!("location: {e}")))?,
        None => app.config.locations[0].id.clone(),
    };
    let loc = app
        .location(&location)
        .ok_or_else(|| ApiError::BadRequest(format!("location: `{location}` is not configured")))?;
    let device = if b.device == "sms" {
        Device::Sms
    } else if let Some(n) = b.device.strip_prefix("bay:") {
        let bay = n.parse::<u16>().ok().and_then(|n| BayNumber::new(n).ok()).filter(|b| loc.bay(*b).is_some());
        Device::Bay(
            location.clone(),
            bay.ok_or_else(|| ApiError::BadRequest(format!("device: no bay {n} at {location}")))?,
        )
    } else if let Some(d) = b.device.strip_prefix("door:") {
        let door = DoorId::parse(d).ok().filter(|d| loc.door(d).is_some());
        Device::Door(
            location.clone(),
            door.ok_or_else(|| ApiError::BadRequest(format!("device: no door {d} at {location}")))?,
        )
    } else {
        return Err(ApiError::BadRequest("device: expected bay:N, door:ID or sms".into()));
    };
    sandbox.set_mode(device, b.mode);
    app.store
        .audit(&actor.name, "sandbox.mode", &b.device, json!({"mode": b.mode, "location": location}), app.clock.now())
        .await?;
    Ok(Json(json!({"device": b.device, "location": location, "mode": b.mode})))
}
