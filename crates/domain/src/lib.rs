//! ClubOS domain: the types every other crate speaks, and the pure autonomy
//! policy that decides whether OperatorGPT may act, must escalate, or must wait.
//!
//! This crate does no I/O, starts no runtime and never reads the clock: the
//! current time, the booking, the ledger and the health of every component are
//! inputs. That is what lets the policy be tested exhaustively and explained
//! ("View reasoning" shows exactly the checks evaluated here).

pub mod access;
pub mod autonomy;
pub mod booking;
pub mod classification;
pub mod enums;
pub mod health;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod phone;
pub mod policy;
pub mod signals;
pub mod time;
pub mod time_rules;
pub mod trust;

pub use access::{Email, LocationScope, Permission, Role, Throttle};
pub use autonomy::{AutonomyProfile, CategoryPolicy, ProfileError, Rule};
pub use booking::{Booking, BookingStatus, CustomerFlag, CustomerFlags};
pub use classification::{ActionTarget, Classification, Confidence, Proposal, SubIntent};
pub use enums::{
    ActionKind, ActionOutcome, Category, ComponentState, Connector, Priority, ReasonCode, ThreadStatus, TriggeredBy,
    Verdict,
};
pub use health::Health;
pub use ids::{BayNumber, BookingId, DoorId, LocationId, SopId};
pub use ledger::{ActionRecord, Ledger};
pub use limits::{ActionTimeouts, Limits, TokenCaps};
pub use phone::{CountryCode, PhoneError, PhoneNumber};
pub use policy::{Check, Decision, Evaluation, PlannedAction, PolicyInput, Proposed, ThreadFacts, decide};
pub use signals::{SignalDetector, Signals};
pub use time::{Clock, LocalTime, TimeWindow};
pub use time_rules::{ThreadClock, TimeAction, TimeRules};
pub use trust::{ReviewSample, ReviewVerdict, Suggestion, TrustBar, TrustRecord};
