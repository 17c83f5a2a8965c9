//! One health view across a fleet: each vendor connector's state is kept in
//! the shared store (setting `health:<connector>`) and every instance merges
//! it with its own board, newest observation wins.
//!
//! Why: probes run on one instance only (see `probe`), and a vendor that
//! went down under one instance's action is down for all of them. Without
//! this, the other instances' policies would go on trusting it (or, after a
//! probe elsewhere proved it back, go on distrusting it). A store of its own
//! (SQLite) has nobody to share with, so nothing is written there.

use clubos_domain::{ComponentState, Connector};
use clubos_store::StoreError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::health::ComponentHealth;

/// What is stored per connector.
#[derive(Debug, Serialize, Deserialize)]
struct Shared {
    state: ComponentState,
    failures: u32,
    last_error: Option<String>,
    updated_at: Timestamp,
}

fn key(c: Connector) -> String {
    format!("health:{}", c.as_str())
}

/// Publishes this board's newer observations and adopts the fleet's; returns
/// how many components changed here. Two instances publishing at once: the
/// later write wins the row, and the other adopts it on its next sync if it
/// is newer — every board converges on the newest observation.
pub async fn sync(app: &App) -> Result<usize, StoreError> {
    if !app.store.is_shared() {
        return Ok(0);
    }
    let mut adopted = 0;
    for &c in Connector::ALL {
        let Some(mine) = app.health.raw(c.as_str()) else { continue };
        let stored = app.store.setting(&key(c)).await?;
        let theirs = stored.as_deref().and_then(|s| match serde_json::from_str::<Shared>(s) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(connector = c.as_str(), error = %e, "unreadable shared health; overwriting it");
                None
            }
        });
        match (mine.updated_at, theirs) {
            (_, Some(t)) if Some(t.updated_at) > mine.updated_at => {
                let theirs = ComponentHealth {
                    name: mine.name.clone(),
                    state: t.state,
                    last_error: t.last_error,
                    updated_at: Some(t.updated_at),
                    failures: t.failures,
                };
                if app.health.adopt(theirs) {
                    adopted += 1;
                }
            }
            (Some(at), t) if t.as_ref().is_none_or(|t| t.updated_at < at) => {
                let v =
                    Shared { state: mine.state, failures: mine.failures, last_error: mine.last_error, updated_at: at };
                let text = serde_json::to_string(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                app.store.put_setting(&key(c), &text, at).await?;
            }
            _ => {}
        }
    }
    Ok(adopted)
}
