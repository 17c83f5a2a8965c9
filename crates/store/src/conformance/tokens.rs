//! Token reservations against a location's daily and monthly caps.

use clubos_domain::policy::{Budget, CapPeriod, TokenUsage};
use clubos_domain::{LocationId, TokenCaps};
use jiff::civil::date;

use crate::*;

pub(super) async fn reservations_respect_the_caps(s: &impl Store) {
    let here = LocationId::parse("bedford").unwrap();
    let there = LocationId::parse("halifax").unwrap();
    let caps = TokenCaps { daily: Some(1000), monthly: Some(2200) };
    let d1 = date(2026, 6, 14);
    let d2 = date(2026, 6, 15);

    assert_eq!(s.reserve_tokens(&here, d1, caps, 600).await.unwrap(), Ok(TokenUsage { today: 600, this_month: 600 }));
    // The call used less than reserved: the rest comes back.
    assert_eq!(s.adjust_tokens(&here, d1, -150).await.unwrap(), TokenUsage { today: 450, this_month: 450 });
    assert!(s.reserve_tokens(&here, d1, caps, 550).await.unwrap().is_ok(), "exactly the cap is allowed");
    assert_eq!(
        s.reserve_tokens(&here, d1, caps, 1).await.unwrap(),
        Err(Budget::Exhausted { period: CapPeriod::Daily, used: 1000, cap: 1000 })
    );
    assert!(s.reserve_tokens(&there, d1, caps, 900).await.unwrap().is_ok(), "caps are per location");
    // A new day, the same month.
    assert_eq!(s.reserve_tokens(&here, d2, caps, 900).await.unwrap(), Ok(TokenUsage { today: 900, this_month: 1900 }));
    assert_eq!(
        s.reserve_tokens(&here, date(2026, 6, 16), caps, 400).await.unwrap(),
        Err(Budget::Exhausted { period: CapPeriod::Monthly, used: 1900, cap: 2200 })
    );
    // The next month starts from zero; usage never goes below zero.
    assert_eq!(
        s.reserve_tokens(&here, date(2026, 7, 1), caps, 10).await.unwrap(),
        Ok(TokenUsage { today: 10, this_month: 10 })
    );
    assert_eq!(s.adjust_tokens(&here, date(2026, 7, 1), -50).await.unwrap(), TokenUsage { today: 0, this_month: 0 });
    let uncapped = TokenCaps::default();
    assert!(s.reserve_tokens(&here, d1, uncapped, 1_000_000).await.unwrap().is_ok());
}
