//! Booking systems: the [`BookingSource`] the server asks for a customer's
//! bookings, and the generic HTTP JSON source ([`HttpBookings`]) whose
//! request and answer are described by configuration (query parameter
//! names, JSON pointers, a status map) rather than by one vendor's API.

mod http;
mod mapping;

use async_trait::async_trait;
use clubos_domain::{Booking, LocationId, PhoneNumber};
use jiff::Timestamp;

pub use http::{HttpBookings, HttpBookingsConfig, QueryNames};
pub use mapping::{FieldMap, Mapping, MappingError, Skipped, StatusMap};

use crate::ConnectorError;

/// Where a customer's bookings come from when they are not entered locally.
#[async_trait]
pub trait BookingSource: Send + Sync + std::fmt::Debug {
    /// The customer's bookings at `location` overlapping `[from, to]`. Items
    /// the source cannot read are left out (and logged); only a failed
    /// request or an unreadable answer is an error.
    async fn bookings_for(
        &self,
        location: &LocationId,
        phone: &PhoneNumber,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, ConnectorError>;
}
