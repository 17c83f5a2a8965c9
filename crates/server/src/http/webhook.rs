//! `POST /webhooks/openphone`: verify on the raw bytes, parse, dedupe, store
//! durably, then answer 2xx. Classification happens later in the worker.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use bytes::Bytes;
use clubos_connectors::openphone::webhook::{DEFAULT_TOLERANCE, Headers, WEBHOOK_ID, parse_event, verify};
use clubos_domain::{PhoneNumber, Priority, booking};
use clubos_store::{Ingested, NewInbound};
use serde_json::{Value, json};

use super::ApiError;
use crate::app::App;

pub async fn openphone(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body?;
    let now = app.clock.now();
    let lookup = Headers::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    if !app.webhook_secrets.is_empty() {
        verify(&app.webhook_secrets, &lookup, &body, now, DEFAULT_TOLERANCE).map_err(|e| {
            tracing::warn!(error = %e, "webhook refused");
            ApiError::BadSignature(e.to_string())
        })?;
    }
    let event = parse_event(&body).map_err(|e| ApiError::BadRequest(format!("malformed webhook body: {e}")))?;
    let Some(msg) = event.message else {
        return Ok(Json(json!({"status": "ignored", "type": event.event_type})));
    };
    let from = PhoneNumber::parse(&msg.from, app.config.agent.default_country)
        .map_err(|e| ApiError::BadRequest(format!("data.object.from: {e}")))?;
    let to = PhoneNumber::parse(&msg.to, app.config.agent.default_country).ok();
    let location = to
        .as_ref()
        .and_then(|n| app.config.location_by_phone(n))
        .or_else(|| app.config.locations.first())
        .map(|l| l.id.clone())
        .ok_or_else(|| ApiError::Internal("no location configured".into()))?;
    let priority = priority(&app, &from, &location, &msg.body, now).await?;
    let delivery_id = lookup
        .webhook_id
        .map(str::to_owned)
        .or_else(|| headers.get(WEBHOOK_ID).and_then(|v| v.to_str().ok()).map(str::to_owned));
    let inbound = NewInbound {
        event_id: event.event_id,
        delivery_id,
        message_id: msg.message_id,
        from,
        body: msg.body,
        received_at: now,
        location,
        priority,
        join_window: app.config.time_rules.thread_join(),
        queue_max: u64::from(app.config.limits.queue_max),
        correlation_id: format!("{:016x}", rand::random::<u64>()),
    };
    match app.store.ingest(inbound).await? {
        Ingested::Duplicate => Ok(Json(json!({"status": "duplicate"}))),
        Ingested::Stored { thread_id, queue_depth, .. } => {
            app.metrics.messages_received.inc();
            app.metrics.queue_depth.set(queue_depth as i64);
            app.wake.notify_one();
            Ok(Json(json!({"status": "accepted", "thread_id": thread_id})))
        }
    }
}

/// Emergency phrases > an active booking > normal > feedback. The bookings
/// are the stored ones: a remote booking system is asked by the worker
/// (`crate::bookings`), never here, so the acknowledgement stays fast.
async fn priority(
    app: &App,
    from: &PhoneNumber,
    location: &clubos_domain::LocationId,
    body: &str,
    now: jiff::Timestamp,
) -> Result<Priority, ApiError> {
    let signals = app.detector.detect(body);
    if signals.emergency {
        return Ok(Priority::Emergency);
    }
    let grace = app.config.limits.booking_grace();
    let bookings = app.store.bookings_for(from, Some(location), now - grace, now + grace).await?;
    if booking::nearest(&bookings, now).is_some_and(|b| b.covers(now, grace)) {
        return Ok(Priority::High);
    }
    Ok(if signals.feedback { Priority::Low } else { Priority::Normal })
}
