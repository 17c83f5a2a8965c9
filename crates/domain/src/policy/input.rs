//! Everything the policy weighs for one decision, passed in by the caller.

use crate::booking::{Booking, CustomerFlags};
use crate::classification::{ActionTarget, Classification, Proposal};
use crate::enums::{ActionKind, ThreadStatus};
use crate::health::Health;
use crate::ids::DoorId;
use crate::ledger::Ledger;
use crate::signals::Signals;
use crate::time::Clock;

/// What the policy needs to know about the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadFacts {
    pub status: ThreadStatus,
    /// AI-triggered actions in this thread that ended `failed` or `timeout`.
    pub failed_ai_actions: u32,
}

/// The inputs of one decision. Borrowed, so building it costs nothing.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub classification: &'a Classification,
    /// The customer's current or nearest booking at this location, if any.
    pub booking: Option<&'a Booking>,
    pub flags: &'a CustomerFlags,
    pub clock: crate::time::Clock,
    /// Recent attempts on the candidate targets and on the booking.
    pub ledger: Ledger<'a>,
    pub health: Health,
    pub thread: ThreadFacts,
    pub signals: Signals,
    /// The door an unlock opens when the customer names none.
    pub default_door: Option<&'a DoorId>,
}

impl PolicyInput<'_> {
    /// The device action the policy would weigh for this input, if any: the
    /// classifier's proposal with its target resolved. The caller reads the
    /// ledger for it (see [`super::LedgerScope`]) before calling `decide`.
    pub fn planned_action(&self) -> Option<super::PlannedAction> {
        let kind = self.classification.proposal.device_action()?;
        let (kind, target) = self.resolve_target(kind)?;
        Some(super::PlannedAction { kind, target, booking: self.booking.map(|b| b.id.clone()) })
    }

    /// The target of a device action: the bay the customer named, else the
    /// booked bay; the door named, else the location's default door.
    pub(crate) fn resolve_target(&self, kind: ActionKind) -> Option<(ActionKind, ActionTarget)> {
        let booked_bay = self.booking.and_then(|b| b.bay);
        let target = match &self.classification.proposal {
            Proposal::ResetTrackman { bay } | Proposal::RebootPc { bay } => bay.or(booked_bay).map(ActionTarget::Bay),
            Proposal::UnlockDoor { door } => {
                door.clone().or_else(|| self.default_door.cloned()).map(ActionTarget::Door)
            }
            Proposal::Reply | Proposal::Escalate | Proposal::None => None,
        };
        target.map(|t| (kind, t))
    }

    /// Convenience for tests and callers holding a [`Clock`] separately.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}
