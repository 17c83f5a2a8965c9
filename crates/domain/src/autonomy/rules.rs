//! Typed autonomy rules parsed from the profile's `rules` strings. A new rule
//! is a new variant here plus its check; callers of the policy never change.

use std::fmt;

use jiff::SignedDuration;

use crate::booking::{Booking, CustomerFlags};
use crate::enums::ReasonCode;
use crate::policy::{Check, CheckName, Detail};
use crate::time::Clock;

/// One rule of a category's `rules` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Allowed from N minutes before the booking starts until N minutes after
    /// it ends (both inclusive). Needs a booking.
    WithinMinutesOfBooking(u32),
    /// The customer carries no flag.
    NoFlags,
}

/// A rule string that is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule `{got}` is not understood; known rules: \"within N min of booking\", \"no flags\"{hint}")]
pub struct RuleError {
    pub got: String,
    pub hint: &'static str,
}

impl Rule {
    /// Parses `"within 10 min of booking"` (also `mins`, `minute(s)`, `of the
    /// booking`, any case and spacing) and `"no flags"`.
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        let lower = s.to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let err = |hint| RuleError { got: s.to_owned(), hint };
        match words.as_slice() {
            ["no", "flags" | "flag"] | ["no", "customer", "flags"] => Ok(Rule::NoFlags),
            ["within", n, unit, "of", rest @ ..]
                if matches!(*unit, "min" | "mins" | "minute" | "minutes")
                    && matches!(rest, ["booking"] | ["the", "booking"]) =>
            {
                match n.parse::<u32>() {
                    Ok(n) if n <= 24 * 60 => Ok(Rule::WithinMinutesOfBooking(n)),
                    Ok(_) => Err(err(" (N must be at most 1440 minutes)")),
                    Err(_) => Err(err(" (N must be a whole number of minutes)")),
                }
            }
            ["within", ..] => Err(err(" (write it as \"within N min of booking\")")),
            _ => Err(err("")),
        }
    }

    /// Evaluates the rule for one decision.
    pub(crate) fn check(&self, clock: &Clock, booking: Option<&Booking>, flags: &CustomerFlags) -> Check {
        match *self {
            Rule::WithinMinutesOfBooking(n) => {
                let margin = SignedDuration::from_mins(i64::from(n));
                let detail = Detail::BookingWindow {
                    minutes: n,
                    starts_at: booking.map(|b| b.starts_at),
                    ends_at: booking.map(|b| b.ends_at),
                    now: clock.now,
                };
                match booking {
                    None => Check::fail(CheckName::Rule(*self), ReasonCode::NoBooking, detail),
                    Some(b) if b.covers(clock.now, margin) => Check::pass(CheckName::Rule(*self), detail),
                    Some(_) => Check::fail(CheckName::Rule(*self), ReasonCode::OutsideBookingWindow, detail),
                }
            }
            Rule::NoFlags => {
                let detail = Detail::Flags { count: flags.len() };
                if flags.is_empty() {
                    Check::pass(CheckName::Rule(*self), detail)
                } else {
                    Check::fail(CheckName::Rule(*self), ReasonCode::CustomerFlagged, detail)
                }
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::WithinMinutesOfBooking(n) => write!(f, "within {n} min of booking"),
            Rule::NoFlags => f.write_str("no flags"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_rules_and_their_variants() {
        assert_eq!(Rule::parse("within 10 min of booking"), Ok(Rule::WithinMinutesOfBooking(10)));
        assert_eq!(Rule::parse("Within 5 mins of booking"), Ok(Rule::WithinMinutesOfBooking(5)));
        assert_eq!(Rule::parse("within 30 minutes of the booking"), Ok(Rule::WithinMinutesOfBooking(30)));
        assert_eq!(Rule::parse("within  1 minute  of booking "), Ok(Rule::WithinMinutesOfBooking(1)));
        assert_eq!(Rule::parse("within 0 min of booking"), Ok(Rule::WithinMinutesOfBooking(0)));
        assert_eq!(Rule::parse("no flags"), Ok(Rule::NoFlags));
        assert_eq!(Rule::parse("No Flags"), Ok(Rule::NoFlags));
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for bad in [
            "",
            "within ten min of booking",
            "within -5 min of booking",
            "within 10 hours of booking",
            "within 10 min",
            "within 2000 min of booking",
            "no fags",
            "always",
        ] {
            let e = Rule::parse(bad).unwrap_err();
            assert!(e.to_string().contains("not understood"), "{bad}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for r in [Rule::WithinMinutesOfBooking(10), Rule::NoFlags] {
            assert_eq!(Rule::parse(&r.to_string()), Ok(r));
        }
    }
}
