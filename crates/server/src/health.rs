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

/// Consecutive transport failures (timeouts, unreachable) after which a
/// component is `down`; before that, and for refusals of one device, it is
/// `degraded`.
const DOWN_AFTER: u32 = 3;
/// A `down` component is reported `degraded` this long after its last
/// failure, so one attempt can go through and prove it back (half-open).
const RETRY_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

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

    /// Records a failure. Only `transport` failures (no answer, unreachable)
    /// can take the component down: a refusal for one device says nothing
    /// about the others.
    pub fn failure(&self, name: &str, error: &str, transport: bool, at: Timestamp) {
        if let Some(c) = self.lock().get_mut(name) {
            if transport {
                c.failures += 1;
            }
            c.state = if c.failures >= DOWN_AFTER { ComponentState::Down } else { ComponentState::Degraded };
            c.last_error = Some(error.to_owned());
            c.updated_at = Some(at);
        }
    }

    /// One component as recorded (not its effective state): what
    /// `health_share` publishes to the other instances.
    pub fn raw(&self, name: &str) -> Option<ComponentHealth> {
        self.lock().get(name).cloned()
    }

    /// Takes another instance's newer view of a registered component;
    /// returns whether it was newer than this board's.
    pub fn adopt(&self, theirs: ComponentHealth) -> bool {
        let mut board = self.lock();
        match board.get_mut(&theirs.name) {
            Some(mine) if theirs.updated_at > mine.updated_at => {
                *mine = theirs;
                true
            }
            _ => false,
        }
    }

    pub fn snapshot(&self, now: Timestamp) -> Vec<ComponentHealth> {
        self.lock().values().map(|c| ComponentHealth { state: effective(c, now), ..c.clone() }).collect()
    }

    pub fn state(&self, name: &str, now: Timestamp) -> Option<ComponentState> {
        self.lock().get(name).map(|c| effective(c, now))
    }

    /// The policy's view; `configured` says which connectors exist at all.
    pub fn for_policy(&self, configured: impl Fn(Connector) -> bool, now: Timestamp) -> Health {
        let mut h = Health::ALL_HEALTHY;
        for &c in Connector::ALL {
            let state = configured(c).then(|| self.state(c.as_str(), now).unwrap_or(ComponentState::Healthy));
            h = h.with_connector(c, state);
        }
        h.llm = self.state("llm", now).unwrap_or(ComponentState::Healthy);
        h
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ComponentHealth>> {
        self.components.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `down` turns `degraded` once it has been quiet for a while (half-open).
fn effective(c: &ComponentHealth, now: Timestamp) -> ComponentState {
    match (c.state, c.updated_at) {
        (ComponentState::Down, Some(at)) if c.failures > 0 && now.duration_since(at) >= RETRY_AFTER => {
            ComponentState::Degraded
        }
        (state, _) => state,
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
        for _ in 0..5 {
            b.failure("ninjaone", "bay 1 refused: 500", false, t);
        }
        assert_eq!(b.state("ninjaone", t), Some(ComponentState::Degraded), "one device's refusals never take it down");
        b.failure("ninjaone", "timeout", true, t);
        b.failure("ninjaone", "timeout", true, t);
        assert_eq!(b.state("ninjaone", t), Some(ComponentState::Degraded));
        b.failure("ninjaone", "timeout", true, t);
        assert_eq!(b.state("ninjaone", t), Some(ComponentState::Down));
        let h = b.for_policy(|c| c != Connector::UnifiAccess, t);
        assert_eq!(h.connector(Connector::Ninjaone), Some(ComponentState::Down));
        assert_eq!(h.connector(Connector::UnifiAccess), None);
        let later = t + jiff::SignedDuration::from_mins(5);
        assert_eq!(b.state("ninjaone", later), Some(ComponentState::Degraded), "half-open after a quiet spell");
        b.success("ninjaone", later);
        assert_eq!(b.state("ninjaone", later), Some(ComponentState::Healthy));
    }
}
