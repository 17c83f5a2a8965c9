//! Bookings and customer flags: the facts about the customer the policy weighs.

use std::collections::BTreeSet;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::enums::{UnknownVariant, string_enum};
use crate::ids::{BayNumber, BookingId, IdError, LocationId};
use crate::phone::PhoneNumber;

string_enum! {
    /// State of a booking in the booking system.
    pub enum BookingStatus as "booking status" {
        Confirmed = "confirmed",
        Pending = "pending",
        Cancelled = "cancelled",
    }
}

/// Why a booking was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("booking must end after it starts ({starts_at} .. {ends_at})")]
    EndsBeforeStart { starts_at: Timestamp, ends_at: Timestamp },
    #[error("booking cannot be longer than 24 hours")]
    TooLong,
    #[error(transparent)]
    Id(#[from] IdError),
    #[error(transparent)]
    Status(#[from] UnknownVariant),
}

/// A customer's reservation of a bay at a location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Booking {
    pub id: BookingId,
    pub location: LocationId,
    /// The booked bay, when the booking system assigns one.
    pub bay: Option<BayNumber>,
    pub customer_phone: PhoneNumber,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: BookingStatus,
}

impl Booking {
    /// Builds a booking, checking that its times make sense.
    pub fn new(
        id: BookingId,
        location: LocationId,
        bay: Option<BayNumber>,
        customer_phone: PhoneNumber,
        starts_at: Timestamp,
        ends_at: Timestamp,
        status: BookingStatus,
    ) -> Result<Self, BookingError> {
        if ends_at <= starts_at {
            return Err(BookingError::EndsBeforeStart { starts_at, ends_at });
        }
        if ends_at.duration_since(starts_at) > SignedDuration::from_hours(24) {
            return Err(BookingError::TooLong);
        }
        Ok(Self { id, location, bay, customer_phone, starts_at, ends_at, status })
    }

    /// Confirmed and `now` within `[starts_at - margin, ends_at + margin]`
    /// (both ends inclusive).
    pub fn covers(&self, now: Timestamp, margin: SignedDuration) -> bool {
        self.status == BookingStatus::Confirmed && now >= self.starts_at - margin && now <= self.ends_at + margin
    }
}

/// The booking a message is most likely about: a confirmed one covering
/// `now`, else the next to start, else the last to end. Cancelled bookings
/// are used only when there is nothing confirmed (the policy then refuses).
pub fn nearest(bookings: &[Booking], now: Timestamp) -> Option<&Booking> {
    let pick = |confirmed: bool| {
        let pool = bookings.iter().filter(move |b| (b.status == BookingStatus::Confirmed) == confirmed);
        let current = pool.clone().filter(|b| b.starts_at <= now && now <= b.ends_at).min_by_key(|b| b.starts_at);
        current
            .or_else(|| pool.clone().filter(|b| b.starts_at > now).min_by_key(|b| b.starts_at))
            .or_else(|| pool.filter(|b| b.ends_at < now).max_by_key(|b| b.ends_at))
    };
    pick(true).or_else(|| pick(false))
}

/// A mark an operator put on a customer (e.g. `no_unlock`, `abusive`). Any
/// flag stops rules that say "no flags".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CustomerFlag(String);

impl CustomerFlag {
    /// 1–32 characters of lowercase letters, digits, `_` and `-`
    /// (input is trimmed and lowercased first).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let norm = s.trim().to_lowercase();
        let err = |why| IdError { kind: "customer flag", got: s.to_owned(), why };
        if norm.is_empty() {
            return Err(err("must not be empty"));
        }
        if norm.len() > 32 {
            return Err(err("must be at most 32 characters"));
        }
        if !norm.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
            return Err(err("use letters, digits, `_` and `-` only"));
        }
        Ok(Self(norm))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CustomerFlag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The set of flags on a customer (ordered, without duplicates).
pub type CustomerFlags = BTreeSet<CustomerFlag>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::CountryCode;

    fn booking(start: &str, end: &str) -> Result<Booking, BookingError> {
        Booking::new(
            BookingId::parse("b1").unwrap(),
            LocationId::parse("bedford").unwrap(),
            Some(BayNumber::new(3).unwrap()),
            PhoneNumber::parse("9025550100", CountryCode::NANP).unwrap(),
            start.parse().unwrap(),
            end.parse().unwrap(),
            BookingStatus::Confirmed,
        )
    }

    #[test]
    fn times_are_checked() {
        assert!(booking("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z").is_ok());
        assert!(matches!(
            booking("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"),
            Err(BookingError::EndsBeforeStart { .. })
        ));
        assert_eq!(booking("2026-01-01T10:00:00Z", "2026-01-02T10:00:01Z"), Err(BookingError::TooLong));
    }

    #[test]
    fn covers_is_inclusive_at_both_margins() {
        let b = booking("2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z").unwrap();
        let m = SignedDuration::from_mins(10);
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert!(b.covers(at("2026-01-01T09:50:00Z"), m));
        assert!(!b.covers(at("2026-01-01T09:49:59Z"), m));
        assert!(b.covers(at("2026-01-01T11:10:00Z"), m));
        assert!(!b.covers(at("2026-01-01T11:10:01Z"), m));
        let cancelled = Booking { status: BookingStatus::Cancelled, ..b };
        assert!(!cancelled.covers(at("2026-01-01T10:30:00Z"), m));
    }

    #[test]
    fn nearest_prefers_current_then_next_then_last_confirmed() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let mk = |id: &str, s: &str, e: &str, status| Booking {
            id: BookingId::parse(id).unwrap(),
            status,
            ..booking(s, e).unwrap()
        };
        let past = mk("past", "2026-01-01T08:00:00Z", "2026-01-01T09:00:00Z", BookingStatus::Confirmed);
        let now_b = mk("now", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", BookingStatus::Confirmed);
        let next = mk("next", "2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z", BookingStatus::Confirmed);
        let cancelled = mk("c", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", BookingStatus::Cancelled);
        let all = vec![past.clone(), cancelled.clone(), next.clone(), now_b.clone()];
        assert_eq!(nearest(&all, at("2026-01-01T10:30:00Z")).unwrap().id, now_b.id);
        assert_eq!(nearest(&all, at("2026-01-01T11:30:00Z")).unwrap().id, next.id);
        assert_eq!(nearest(&all, at("2026-01-01T14:00:00Z")).unwrap().id, next.id, "the last to end");
        assert_eq!(nearest(std::slice::from_ref(&cancelled), at("2026-01-01T10:30:00Z")).unwrap().id, cancelled.id);
        assert!(nearest(&[], at("2026-01-01T10:30:00Z")).is_none());
    }

    #[test]
    fn flags_normalise() {
        assert_eq!(CustomerFlag::parse(" No_Unlock ").unwrap().as_str(), "no_unlock");
        assert!(CustomerFlag::parse("").is_err());
        assert!(CustomerFlag::parse("bad flag").is_err());
    }
}
