//! Time as an input: the clock a decision is made at, local times of day and
//! daily windows that may cross midnight.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;

/// The instant a decision is made at, and the wall-clock time at the location.
///
/// Built at the edge from the real clock (or a test clock) and the location's
/// IANA time zone; the policy never reads a clock itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: Timestamp,
    pub local: DateTime,
}

impl Clock {
    /// `now` seen from `tz` (pure: the zone's rules are data).
    pub fn new(now: Timestamp, tz: &TimeZone) -> Self {
        Self { now, local: tz.to_datetime(now) }
    }
}

/// A wall-clock time of day written `HH:MM` (24-hour, 00:00–23:59).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(Time);

/// Why a time of day was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{got}` is not a time of day in HH:MM form (00:00 to 23:59): {why}")]
pub struct LocalTimeError {
    pub got: String,
    pub why: &'static str,
}

impl LocalTime {
    pub fn parse(s: &str) -> Result<Self, LocalTimeError> {
        let err = |why| LocalTimeError { got: s.to_owned(), why };
        let b = s.as_bytes();
        if b.len() != 5 || b[2] != b':' {
            return Err(err("expected two digits, a colon, two digits"));
        }
        let two = |i: usize| -> Option<i8> {
            let (h, l) = (b[i], b[i + 1]);
            (h.is_ascii_digit() && l.is_ascii_digit()).then(|| ((h - b'0') * 10 + (l - b'0')) as i8)
        };
        let (Some(h), Some(m)) = (two(0), two(3)) else {
            return Err(err("hours and minutes must be digits"));
        };
        if h > 23 {
            return Err(err("hours run from 00 to 23"));
        }
        if m > 59 {
            return Err(err("minutes run from 00 to 59"));
        }
        Ok(Self(Time::constant(h, m, 0, 0)))
    }

    pub const fn time(self) -> Time {
        self.0
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

/// A daily window of local time: `start` inclusive, `end` exclusive. When
/// `end` is earlier than `start` the window crosses midnight (22:00–06:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub start: LocalTime,
    pub end: LocalTime,
}

impl TimeWindow {
    /// Refuses an empty window (start equal to end).
    pub fn new(start: LocalTime, end: LocalTime) -> Result<Self, &'static str> {
        if start == end {
            return Err("start and end are equal; use null for no restriction");
        }
        Ok(Self { start, end })
    }

    /// Whether the wall-clock time `t` falls inside the window.
    pub fn contains(&self, t: Time) -> bool {
        let (s, e) = (self.start.time(), self.end.time());
        if s < e { t >= s && t < e } else { t >= s || t < e }
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        s.parse().unwrap()
    }

    #[test]
    fn parses_strict_hh_mm() {
        assert_eq!(LocalTime::parse("08:00").unwrap().to_string(), "08:00");
        assert_eq!(LocalTime::parse("23:59").unwrap().to_string(), "23:59");
        for bad in ["8:00", "24:00", "12:60", "12-00", "ab:cd", "", "08:00:00", "０８:00"] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
        let e = LocalTime::parse("25:00").unwrap_err();
        assert!(e.to_string().contains("hours run from 00 to 23"), "{e}");
    }

    #[test]
    fn day_window_is_start_inclusive_end_exclusive() {
        let w = TimeWindow::new(LocalTime::parse("08:00").unwrap(), LocalTime::parse("22:00").unwrap()).unwrap();
        assert!(!w.contains(t("07:59:59")));
        assert!(w.contains(t("08:00")));
        assert!(w.contains(t("21:59")));
        assert!(w.contains(t("21:59:59.999")));
        assert!(!w.contains(t("22:00")));
    }

    #[test]
    fn night_window_crosses_midnight() {
        let w = TimeWindow::new(LocalTime::parse("22:00").unwrap(), LocalTime::parse("06:00").unwrap()).unwrap();
        assert!(!w.contains(t("21:59")));
        assert!(w.contains(t("22:00")));
        assert!(w.contains(t("00:00")));
        assert!(w.contains(t("05:59")));
        assert!(!w.contains(t("06:00")));
        assert!(!w.contains(t("12:00")));
    }

    #[test]
    fn empty_window_is_refused() {
        let a = LocalTime::parse("08:00").unwrap();
        assert!(TimeWindow::new(a, a).is_err());
    }

    #[test]
    fn clock_converts_to_local_time_across_dst() {
        let tz = TimeZone::get("America/Halifax").unwrap();
        // 2026-03-08 02:00 local, clocks jump to 03:00 (ADT, UTC-3).
        let before = Clock::new("2026-03-08T05:59:00Z".parse().unwrap(), &tz);
        assert_eq!(before.local.time(), t("01:59"));
        let after = Clock::new("2026-03-08T06:00:00Z".parse().unwrap(), &tz);
        assert_eq!(after.local.time(), t("03:00"));
    }
}
