//! Health of the components a decision depends on, as the policy sees it.

use crate::enums::{ComponentState, Connector};

/// Each connector's state (`None`: not configured) and the LLM's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    connectors: [Option<ComponentState>; 3],
    pub llm: ComponentState,
}

impl Health {
    /// Every connector configured and healthy.
    pub const ALL_HEALTHY: Health =
        Health { connectors: [Some(ComponentState::Healthy); 3], llm: ComponentState::Healthy };

    /// No connector configured.
    pub const NOTHING_CONFIGURED: Health = Health { connectors: [None; 3], llm: ComponentState::Healthy };

    pub fn connector(&self, c: Connector) -> Option<ComponentState> {
        self.connectors[index(c)]
    }

    pub fn with_connector(mut self, c: Connector, state: Option<ComponentState>) -> Self {
        self.connectors[index(c)] = state;
        self
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::ALL_HEALTHY
    }
}

fn index(c: Connector) -> usize {
    match c {
        Connector::Openphone => 0,
        Connector::Ninjaone => 1,
        Connector::UnifiAccess => 2,
    }
}
