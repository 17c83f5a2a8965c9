//! `[privacy]`: how long customer data is kept before closed threads are
//! redacted (see docs/PRIVACY.md).

use jiff::SignedDuration;
use serde::Deserialize;

/// Longest retention accepted: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// `[privacy]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Days after its last change at which a closed thread's messages and
    /// phone number are redacted (and after which ended bookings are
    /// deleted), 1 to 3650. Absent: kept until a customer is forgotten.
    pub retention_days: Option<u32>,
}

impl PrivacyConfig {
    /// How long closed threads are kept whole; `None`: no automatic redaction.
    pub fn retention(&self) -> Option<SignedDuration> {
        self.retention_days.map(|d| SignedDuration::from_hours(i64::from(d) * 24))
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        match self.retention_days {
            Some(d) if !(1..=MAX_RETENTION_DAYS).contains(&d) => {
                Err(format!("must be from 1 to {MAX_RETENTION_DAYS} days (leave it out to keep data until forgotten)"))
            }
            _ => Ok(()),
        }
    }
}
