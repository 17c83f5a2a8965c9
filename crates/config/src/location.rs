//! `[[locations]]`: a facility with its time zone, token caps, bays (each a
//! simulator PC known to NinjaOne) and doors (each a UniFi Access door).

use std::path::Path;

use clubos_domain::{BayNumber, DoorId, LocationId, PhoneNumber, TokenCaps};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::error::ConfigError;

/// One facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationConfig {
    pub id: LocationId,
    /// Display name ("Bedford").
    pub name: String,
    /// The IANA zone its local times (autonomy windows, hours) are read in.
    pub timezone: TimeZone,
    pub token_caps: TokenCaps,
    pub bays: Vec<BayConfig>,
    /// The first door is the default one ("the door won't open").
    pub doors: Vec<DoorConfig>,
    /// The facility's OpenPhone number: inbound texts to it route here.
    pub phone_number: Option<PhoneNumber>,
    /// The location's id in the booking system (`[bookings] provider =
    /// "http"`), when it is not `id`.
    pub booking_location_id: Option<String>,
}

impl LocationConfig {
    /// The door meant when a customer does not say which: the first one.
    pub fn default_door(&self) -> Option<&DoorConfig> {
        self.doors.first()
    }

    pub fn bay(&self, number: BayNumber) -> Option<&BayConfig> {
        self.bays.iter().find(|b| b.number == number)
    }

    pub fn door(&self, id: &DoorId) -> Option<&DoorConfig> {
        self.doors.iter().find(|d| &d.id == id)
    }

    /// The zone's IANA name (`America/Halifax`).
    pub fn timezone_name(&self) -> &str {
        self.timezone.iana_name().unwrap_or("UTC")
    }
}

/// A bay (`bays = [{ number = 1, ninjaone_device_id = 101 }]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayConfig {
    pub number: BayNumber,
    /// The bay PC's NinjaOne device id; required when NinjaOne is live.
    pub ninjaone_device_id: Option<u64>,
}

/// A door (`doors = [{ id = "front", unifi_door_id = "…" }]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoorConfig {
    pub id: DoorId,
    /// The door's id in UniFi Access; required when UniFi Access is live.
    pub unifi_door_id: Option<String>,
}

/// `[[locations]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLocation {
    id: LocationId,
    name: String,
    timezone: String,
    daily_token_cap: Option<u64>,
    monthly_token_cap: Option<u64>,
    #[serde(default)]
    bays: Vec<BayConfig>,
    #[serde(default)]
    doors: Vec<DoorConfig>,
    phone_number: Option<PhoneNumber>,
    booking_location_id: Option<String>,
}

impl RawLocation {
    pub(crate) fn build(self, file: &Path, index: usize) -> Result<LocationConfig, ConfigError> {
        let key = |k: &str| format!("locations[{index}].{k}");
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ConfigError::at(file, key("name"), "must be 1 to 100 characters"));
        }
        let timezone = TimeZone::get(&self.timezone).map_err(|_| {
            ConfigError::at(
                file,
                key("timezone"),
                format!("unknown time zone {:?}; use an IANA name such as \"America/Halifax\"", self.timezone),
            )
        })?;
        for (k, cap) in [("daily_token_cap", self.daily_token_cap), ("monthly_token_cap", self.monthly_token_cap)] {
            if cap == Some(0) {
                return Err(ConfigError::at(file, key(k), "must be at least 1; leave it out for no cap"));
            }
        }
        if let (Some(d), Some(m)) = (self.daily_token_cap, self.monthly_token_cap)
            && d > m
        {
            return Err(ConfigError::at(
                file,
                key("daily_token_cap"),
                format!("{d} is more than monthly_token_cap ({m})"),
            ));
        }
        for (i, door) in self.doors.iter().enumerate() {
            if door.unifi_door_id.as_deref().is_some_and(|u| u.trim().is_empty()) {
                return Err(ConfigError::at(file, key(&format!("doors[{i}].unifi_door_id")), "must not be empty"));
            }
        }
        if let Some(b) = &self.booking_location_id
            && (b.trim().is_empty() || b.chars().any(char::is_control))
        {
            return Err(ConfigError::at(file, key("booking_location_id"), "must not be empty"));
        }
        Ok(LocationConfig {
            id: self.id,
            name: name.to_owned(),
            timezone,
            token_caps: TokenCaps { daily: self.daily_token_cap, monthly: self.monthly_token_cap },
            bays: self.bays,
            doors: self.doors,
            phone_number: self.phone_number,
            booking_location_id: self.booking_location_id,
        })
    }
}
