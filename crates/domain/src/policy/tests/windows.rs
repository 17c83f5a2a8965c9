//! Booking, time-of-day and booking-window rules at their boundaries.

use jiff::SignedDuration;

use super::*;
use crate::booking::BookingStatus;

#[test]
fn require_booking_needs_an_active_booking_within_the_grace() {
    let mut c = Case::tech();
    c.booking = None;
    c.class.proposal = Proposal::ResetTrackman { bay: Some(bay(3)) };
    assert_eq!(c.reason(), Some(ReasonCode::NoBooking));
    // Booking 14:00–15:00, grace 10 min.
    for (now, want) in [
        ("2026-06-15T13:50", None),
        ("2026-06-15T13:49", Some(ReasonCode::NoBooking)),
        ("2026-06-15T15:10", None),
        ("2026-06-15T15:11", Some(ReasonCode::NoBooking)),
    ] {
        let mut c = Case::tech();
        c.now = local(now);
        assert_eq!(c.reason(), want, "{now}");
    }
    let mut cancelled = Case::tech();
    cancelled.booking.as_mut().unwrap().status = BookingStatus::Cancelled;
    assert_eq!(cancelled.reason(), Some(ReasonCode::NoBooking));
}

#[test]
fn time_restrictions_use_local_time_start_inclusive_end_exclusive() {
    let profile = r#"{"booking": {"autonomy": true, "confidence_threshold": 0.5,
        "time_restrictions": {"start": "08:00", "end": "22:00"}}}"#;
    for (now, want) in [
        ("2026-06-15T07:59", Some(ReasonCode::OutsideTimeWindow)),
        ("2026-06-15T08:00", None),
        ("2026-06-15T21:59", None),
        ("2026-06-15T22:00", Some(ReasonCode::OutsideTimeWindow)),
    ] {
        let mut c = Case::faq(0.9).with_profile(profile);
        c.class.category = Some(Category::Booking);
        c.now = local(now);
        assert_eq!(c.reason(), want, "{now}");
    }
}

#[test]
fn time_windows_across_midnight() {
    let profile = r#"{"faq": {"autonomy": true, "confidence_threshold": 0.5,
        "time_restrictions": {"start": "22:00", "end": "06:00"}}}"#;
    for (now, want) in [
        ("2026-06-15T21:59", Some(ReasonCode::OutsideTimeWindow)),
        ("2026-06-15T22:00", None),
        ("2026-06-16T00:00", None),
        ("2026-06-16T05:59", None),
        ("2026-06-16T06:00", Some(ReasonCode::OutsideTimeWindow)),
    ] {
        let mut c = Case::faq(0.9).with_profile(profile);
        c.now = local(now);
        assert_eq!(c.reason(), want, "{now}");
    }
}

#[test]
fn time_windows_on_dst_change_days_in_halifax() {
    let profile = r#"{"faq": {"autonomy": true, "confidence_threshold": 0.5,
        "time_restrictions": {"start": "08:00", "end": "22:00"}}}"#;
    // 2026-03-08: clocks go 02:00 → 03:00 (AST UTC-4 → ADT UTC-3).
    // 2026-11-01: clocks go 02:00 → 01:00 (ADT UTC-3 → AST UTC-4).
    for (utc, wall, want) in [
        ("2026-03-08T10:59:00Z", "07:59", Some(ReasonCode::OutsideTimeWindow)), // ADT
        ("2026-03-08T11:00:00Z", "08:00", None),
        ("2026-03-09T00:59:00Z", "21:59", None),
        ("2026-03-09T01:00:00Z", "22:00", Some(ReasonCode::OutsideTimeWindow)),
        ("2026-11-01T11:59:00Z", "07:59", Some(ReasonCode::OutsideTimeWindow)), // AST
        ("2026-11-01T12:00:00Z", "08:00", None),
        ("2026-11-02T01:59:00Z", "21:59", None),
        ("2026-11-02T02:00:00Z", "22:00", Some(ReasonCode::OutsideTimeWindow)),
    ] {
        let mut c = Case::faq(0.9).with_profile(profile);
        c.now = utc.parse().unwrap();
        let local = Clock::new(c.now, &tz()).local.time();
        assert_eq!(local.strftime("%H:%M").to_string(), wall, "{utc}");
        assert_eq!(c.reason(), want, "{utc}");
    }
    // The same UTC instant is outside the window before the change and
    // inside after it: the policy follows the zone's rules, not a fixed offset.
    let mut before = Case::faq(0.9).with_profile(profile);
    before.now = "2026-03-07T11:30:00Z".parse().unwrap(); // 07:30 AST
    assert_eq!(before.reason(), Some(ReasonCode::OutsideTimeWindow));
    let mut after = Case::faq(0.9).with_profile(profile);
    after.now = "2026-03-08T11:30:00Z".parse().unwrap(); // 08:30 ADT
    assert_eq!(after.reason(), None);
}

#[test]
fn within_n_minutes_of_booking_boundaries() {
    let start = local("2026-06-15T14:00");
    let end = local("2026-06-15T15:00");
    let m = SignedDuration::from_mins;
    for (now, want) in [
        (start - m(10), None),
        (start - m(11), Some(ReasonCode::OutsideBookingWindow)),
        (end + m(10), None),
        (end + m(11), Some(ReasonCode::OutsideBookingWindow)),
        (start + m(30), None),
    ] {
        let mut c = Case::access();
        c.now = now;
        assert_eq!(c.reason(), want, "{now}");
    }
    let mut none = Case::access();
    none.booking = None;
    assert_eq!(none.reason(), Some(ReasonCode::NoBooking));
}
