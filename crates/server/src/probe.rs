//! Periodic health probes of the live vendors: a cheap read each minute, so
//! a vendor that went down is known before a customer needs it, and one that
//! came back is trusted again without waiting for a real action.
//!
//! Unlike the scheduler and the notifier, probes run on every instance, not
//! on one leader: they only read, and what they learn goes to this
//! process's own health board, which its policy reads. A leader probing for
//! all would leave the other instances' boards stale (a vendor marked down
//! after a failed action would stay down there until a real action
//! succeeded). One cheap read per vendor per minute per instance.

use std::sync::Arc;
use std::time::Duration;

use clubos_config::ConnectorMode;
use clubos_connectors::ConnectorError;
use clubos_domain::Connector;
use tokio::sync::watch;

use crate::app::App;

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

/// Runs [`tick`] every minute (the first a minute after start) until shutdown.
pub async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        tick(&app).await;
    }
}
