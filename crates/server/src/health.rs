//! Health of each component as the service saw it last: fed by action
//! outcomes and probes, read by the policy (`system_unhealthy`) and
//! `GET /api/health`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use clubos_domain::{ComponentState, Connector, Health};
use jiff::Timestamp;
use serde::Serialize;

/// One component's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentHealth {
    pub name: String,
    pub state: ComponentState,
    pub last_error: Option<String>,
    pub updated_at: Option<Timestamp>,
    /// Consecutive failures since the last success.
    #[serde(skip)]
    pub failures: u32,
}

/// Consecutive failures after which a component is `down` (before: `degraded`).
const DOWN_AFTER: u32 = 3;

/// The board every part of the service reports to.
#[derive(Debug, Default)]
pub struct HealthBoard {
    components: Mutex<BTreeMap<String, ComponentHealth>>,
}

impl HealthBoard {
    /// Registers a component as healthy (or down with a reason).
    pub fn register(&self, name: &str, state: ComponentState, last_error: Option<String>) {
        self.lock().insert(
            name.to_owned(),
            ComponentHealth { name: name.to_owned(), state, last_error, updated_at: None, failures: 0 },
        );
    }

    pub fn success(&self, name: &str, at: Timestamp) {
        if let Some(c) = self.lock().get_mut(name) {
            c.state = ComponentState::Healthy;
            c.failures = 0;
            c.updated_at = Some(at);
        }
    }

    pub fn failure(&self, name: &str, error: &str, at: Timestamp) {
        if let Some(c) = self.lock().get_mut(name) {
            c.failures += 1;
            c.state = if c.failures >= DOWN_AFTER { ComponentState::Down } else { ComponentState::Degraded };
            c.last_error = Some(error.to_owned());
            c.updated_at = Some(at);
        }
    }

    pub fn snapshot(&self) -> Vec<ComponentHealth> {
        self.lock().values().cloned().collect()
    }

    pub fn state(&self, name: &str) -> Option<ComponentState> {
        self.lock().get(name).map(|c| c.state)
    }

    /// The policy's view; `configured` says which connectors exist at all.
    pub fn for_policy(&self, configured: impl Fn(Connector) -> bool) -> Health {
        let mut h = Health::ALL_HEALTHY;
        for &c in Connector::ALL {
            let state = configured(c).then(|| self.state(c.as_str()).unwrap_or(ComponentState::Healthy));
            h = h.with_connector(c, state);
        }
        h.llm = self.state("llm").unwrap_or(ComponentState::Healthy);
        h
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ComponentHealth>> {
        self.components.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_degrade_then_take_down_and_success_heals() {
        let b = HealthBoard::default();
        b.register("ninjaone", ComponentState::Healthy, None);
        let t = Timestamp::UNIX_EPOCH;
        b.failure("ninjaone", "500", t);
        assert_eq!(b.state("ninjaone"), Some(ComponentState::Degraded));
        b.failure("ninjaone", "500", t);
        b.failure("ninjaone", "500", t);
        assert_eq!(b.state("ninjaone"), Some(ComponentState::Down));
        let h = b.for_policy(|c| c != Connector::UnifiAccess);
        assert_eq!(h.connector(Connector::Ninjaone), Some(ComponentState::Down));
        assert_eq!(h.connector(Connector::UnifiAccess), None);
        b.success("ninjaone", t);
        assert_eq!(b.state("ninjaone"), Some(ComponentState::Healthy));
    }
}
