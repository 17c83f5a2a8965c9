//! What OperatorGPT understood from a message: category, sub-intent,
//! confidence, the matched SOP and the action it proposes.

use std::fmt;

use crate::enums::{ActionKind, Category};
use crate::ids::{BayNumber, DoorId, IdError, SopId};

/// A classifier's confidence, a finite number from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
#[serde(transparent)]
pub struct Confidence(f64);

/// A confidence outside 0..=1 (or not a number).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("confidence must be a number from 0 to 1, got {0}")]
pub struct ConfidenceError(pub f64);

impl Confidence {
    pub const ZERO: Confidence = Confidence(0.0);
    pub const ONE: Confidence = Confidence(1.0);

    pub fn new(x: f64) -> Result<Self, ConfidenceError> {
        if (0.0..=1.0).contains(&x) { Ok(Self(x)) } else { Err(ConfidenceError(x)) }
    }

    /// Clamps into 0..=1 (NaN becomes 0); for scores computed internally.
    pub fn saturating(x: f64) -> Self {
        if x.is_nan() { Self(0.0) } else { Self(x.clamp(0.0, 1.0)) }
    }

    pub const fn get(self) -> f64 {
        self.0
    }
}

impl<'de> serde::Deserialize<'de> for Confidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A finer intent inside a category, e.g. `trackman_frozen`, `hours`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SubIntent(String);

impl SubIntent {
    /// 1–64 characters of lowercase letters, digits and `_`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = |why| IdError { kind: "sub-intent", got: s.to_owned(), why };
        if s.is_empty() || s.len() > 64 {
            return Err(err("must be 1 to 64 characters"));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(err("use lowercase letters, digits and `_` only"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SubIntent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What an action is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionTarget {
    Bay(BayNumber),
    Door(DoorId),
    /// The customer of the thread (replies).
    Customer,
}

impl fmt::Display for ActionTarget {
    /// `bay:3`, `door:front`, `customer` — the stored form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionTarget::Bay(b) => write!(f, "bay:{b}"),
            ActionTarget::Door(d) => write!(f, "door:{d}"),
            ActionTarget::Customer => f.write_str("customer"),
        }
    }
}

impl std::str::FromStr for ActionTarget {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IdError { kind: "action target", got: s.to_owned(), why: "expected bay:N, door:ID or customer" };
        if s == "customer" {
            return Ok(ActionTarget::Customer);
        }
        if let Some(n) = s.strip_prefix("bay:") {
            let n: u16 = n.parse().map_err(|_| err())?;
            return Ok(ActionTarget::Bay(BayNumber::new(n)?));
        }
        if let Some(d) = s.strip_prefix("door:") {
            return Ok(ActionTarget::Door(DoorId::parse(d)?));
        }
        Err(err())
    }
}

impl serde::Serialize for ActionTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ActionTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The action a classifier proposes. Targets may be unknown; the policy fills
/// a missing bay from the customer's booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    ResetTrackman {
        bay: Option<BayNumber>,
    },
    RebootPc {
        bay: Option<BayNumber>,
    },
    UnlockDoor {
        door: Option<DoorId>,
    },
    /// Answer the customer with the classification's reply text.
    Reply,
    /// The SOP or the model says a human must handle this.
    Escalate,
    /// Nothing recognised to do.
    None,
}

impl Proposal {
    /// The device action this proposal needs, if any (replies are not devices).
    pub fn device_action(&self) -> Option<ActionKind> {
        match self {
            Proposal::ResetTrackman { .. } => Some(ActionKind::ResetTrackman),
            Proposal::RebootPc { .. } => Some(ActionKind::RebootPc),
            Proposal::UnlockDoor { .. } => Some(ActionKind::UnlockDoor),
            Proposal::Reply | Proposal::Escalate | Proposal::None => None,
        }
    }

    /// The LLM contract's name: `reset_trackman|unlock_door|reboot_pc|reply|escalate|none`.
    pub fn name(&self) -> &'static str {
        match self {
            Proposal::ResetTrackman { .. } => "reset_trackman",
            Proposal::RebootPc { .. } => "reboot_pc",
            Proposal::UnlockDoor { .. } => "unlock_door",
            Proposal::Reply => "reply",
            Proposal::Escalate => "escalate",
            Proposal::None => "none",
        }
    }
}

/// OperatorGPT's reading of a message (or of a thread's coalesced messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// `None` when the text belongs to no category.
    pub category: Option<Category>,
    pub sub_intent: Option<SubIntent>,
    pub confidence: Confidence,
    pub proposal: Proposal,
    /// Text to send the customer (an SOP answer, or the note sent with an action).
    pub reply: Option<String>,
    pub matched_sop: Option<SopId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_bounds() {
        assert!(Confidence::new(0.0).is_ok());
        assert!(Confidence::new(1.0).is_ok());
        assert!(Confidence::new(1.000_001).is_err());
        assert!(Confidence::new(-0.01).is_err());
        assert!(Confidence::new(f64::NAN).is_err());
        assert_eq!(Confidence::saturating(f64::NAN).get(), 0.0);
        assert_eq!(Confidence::saturating(3.0).get(), 1.0);
        assert!(serde_json::from_str::<Confidence>("1.5").is_err());
    }

    #[test]
    fn targets_round_trip_as_strings() {
        for s in ["bay:3", "door:front", "customer"] {
            let t: ActionTarget = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert!("bay:0".parse::<ActionTarget>().is_err());
        assert!("bay:x".parse::<ActionTarget>().is_err());
        assert!("window:1".parse::<ActionTarget>().is_err());
    }

    #[test]
    fn sub_intents_are_slugs() {
        assert!(SubIntent::parse("trackman_frozen").is_ok());
        assert!(SubIntent::parse("TrackMan").is_err());
        assert!(SubIntent::parse("").is_err());
    }
}
