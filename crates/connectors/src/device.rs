//! What the action wrapper asks of the outside world, independent of vendor.

use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{BayNumber, DoorId, LocationId, PhoneNumber};

/// What a device said about a command it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// The effect was confirmed (device state read back).
    Confirmed,
    /// The command was accepted but its effect could not be confirmed.
    Unconfirmed,
    /// Only part of the effect was confirmed.
    Partial,
}

/// A connector call that did not work. Messages are for operators' logs; the
/// API never returns them to customers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("no answer from {0} in time")]
    Timeout(&'static str),
    #[error("{vendor} refused the request: {message}")]
    Rejected { vendor: &'static str, message: String },
    #[error("{vendor} is unreachable: {message}")]
    Unavailable { vendor: &'static str, message: String },
    #[error("{0} has no such device configured")]
    UnknownDevice(String),
}

/// Bay PCs (TrackMan): NinjaOne in production. `within` is how long the
/// caller waits: a command accepted but not confirmed by then is
/// [`DeviceOutcome::Unconfirmed`], so a client should stop confirming a
/// little before it.
#[async_trait]
pub trait BayControl: Send + Sync + std::fmt::Debug {
    async fn reset_trackman(
        &self,
        location: &LocationId,
        bay: BayNumber,
        within: Duration,
    ) -> Result<DeviceOutcome, ConnectorError>;
    async fn reboot_pc(
        &self,
        location: &LocationId,
        bay: BayNumber,
        within: Duration,
    ) -> Result<DeviceOutcome, ConnectorError>;
    /// A cheap read that shows the vendor answers (health); `Ok` by default.
    async fn probe(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// Door locks: UniFi Access in production.
#[async_trait]
pub trait DoorControl: Send + Sync + std::fmt::Debug {
    async fn unlock_door(&self, location: &LocationId, door: &DoorId) -> Result<DeviceOutcome, ConnectorError>;
    /// A cheap read that shows the vendor answers (health); `Ok` by default.
    async fn probe(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// Provider's id of a sent SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReceipt {
    pub provider_id: String,
}

/// Outbound SMS: OpenPhone in production.
#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send_sms(&self, location: &LocationId, to: &PhoneNumber, body: &str)
    -> Result<SmsReceipt, ConnectorError>;
    /// A cheap read that shows the vendor answers (health); `Ok` by default.
    async fn probe(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}
