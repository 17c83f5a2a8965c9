//! Periodic health probes of the live vendors: a cheap read each minute, so
//! a vendor that went down is known before a customer needs it, and one that
//! came back is trusted again without waiting for a real action.
//!
//! Probes run once across a fleet: on the holder of the `prober` lease
//! (always this process on a store of its own). What any instance learns —
//! from a probe or from a real action — reaches the others through
//! `health_share`, synced every few seconds, so every instance's policy sees
//! the same vendors up or down.

use std::sync::Arc;
use std::time::Duration;

use clubos_config::ConnectorMode;
use clubos_connectors::ConnectorError;
use clubos_domain::Connector;
use tokio::sync::watch;

use crate::app::App;
use crate::lease::Leadership;

const EVERY: Duration = Duration::from_secs(60);

/// Probes every live connector once and records the result in the health board.
pub async fn tick(app: &App) {
    let c = &app.config.connectors;
    let live = |m: Option<ConnectorMode>| m == Some(ConnectorMode::Live);
    let mut results: Vec<(Connector, Result<(), ConnectorError>)> = Vec::new();
    if let (true, Some(sms)) = (live(c.openphone.as_ref().map(|s| s.mode)), &app.connectors.sms) {
        results.push((Connector::Openphone, sms.probe().await));
    }
    if let (true, Some(doors)) = (live(c.unifi_access.as_ref().map(|s| s.mode)), &app.connectors.doors) {
        results.push((Connector::UnifiAccess, doors.probe().await));
    }
    if let (true, Some(bays)) = (live(c.ninjaone.as_ref().map(|s| s.mode)), &app.connectors.bays) {
        results.push((Connector::Ninjaone, bays.probe().await));
    }
    let now = app.clock.now();
    for (connector, result) in results {
        match result {
            Ok(()) => app.health.success(connector.as_str(), now),
            Err(e) => {
                let transport = matches!(e, ConnectorError::Timeout(_) | ConnectorError::Unavailable { .. });
                tracing::warn!(connector = connector.as_str(), error = %e, "health probe failed");
                app.health.failure(connector.as_str(), &e.to_string(), transport, now);
            }
        }
    }
}

/// How often this instance merges its health board with the fleet's (and
/// checks whether it leads the probes).
const SYNC_EVERY: Duration = Duration::from_secs(5);
/// How long the `prober` lease outlives its last renewal.
const LEAD_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(20);

/// Until shutdown: every few seconds, syncs the health board with the fleet
/// and, on the instance that leads the probes, runs [`tick`] every minute
/// (the first a minute after it took the lead).
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let lead = Leadership::new("prober", LEAD_TTL);
    let mut last_probe: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SYNC_EVERY) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            lead.resign(&app).await;
            return;
        }
        if lead.check(&app).await {
            let started = *last_probe.get_or_insert_with(std::time::Instant::now);
            if started.elapsed() >= EVERY {
                last_probe = Some(std::time::Instant::now());
                tick(&app).await;
            }
        } else {
            last_probe = None;
        }
        if let Err(e) = crate::health_share::sync(&app).await {
            tracing::warn!(error = %e, "sharing health with the fleet failed");
        }
    }
}
