//! Named leases: one live holder at a time, renewal by the holder, takeover
//! after expiry, release by the holder only.

use jiff::SignedDuration;

use super::t;
use crate::*;

pub(super) async fn one_holder_renewal_takeover_and_release(s: &impl Store) {
    let ttl = SignedDuration::from_mins(1);
    assert!(s.try_lease("actions:downtown", "a", t(0), ttl).await.unwrap(), "a free lease is taken");
    assert!(!s.try_lease("actions:downtown", "b", t(0), ttl).await.unwrap(), "held by a");
    assert!(
        !s.try_lease("actions:downtown", "b", t(0) + SignedDuration::from_secs(59), ttl).await.unwrap(),
        "still live one second before it expires"
    );
    assert!(s.try_lease("actions:other", "b", t(0), ttl).await.unwrap(), "leases are independent by name");
    // The holder renews: the expiry moves to now + ttl.
    assert!(s.try_lease("actions:downtown", "a", t(0) + SignedDuration::from_secs(30), ttl).await.unwrap());
    assert!(
        !s.try_lease("actions:downtown", "b", t(1) + SignedDuration::from_secs(10), ttl).await.unwrap(),
        "renewed until 1:30"
    );
    // Expired (at exactly its expiry): another holder takes it over, and the
    // old holder can no longer renew it.
    assert!(s.try_lease("actions:downtown", "b", t(1) + SignedDuration::from_secs(30), ttl).await.unwrap());
    assert!(!s.try_lease("actions:downtown", "a", t(1) + SignedDuration::from_secs(31), ttl).await.unwrap());
    // Only the holder releases; then anyone may take it at once.
    assert!(!s.release_lease("actions:downtown", "a").await.unwrap(), "a does not hold it");
    assert!(!s.try_lease("actions:downtown", "c", t(2), ttl).await.unwrap());
    assert!(s.release_lease("actions:downtown", "b").await.unwrap());
    assert!(!s.release_lease("actions:downtown", "b").await.unwrap(), "released once");
    assert!(s.try_lease("actions:downtown", "c", t(2), ttl).await.unwrap(), "free after the release");
}

/// Many contenders at the same instant: exactly one wins.
pub(super) async fn concurrent_contenders_one_winner(s: &impl Store) {
    let ttl = SignedDuration::from_secs(10);
    let go = |h: &'static str| s.try_lease("scheduler", h, t(5), ttl);
    let (a, b, c, d, e, f) = tokio::join!(go("h1"), go("h2"), go("h3"), go("h4"), go("h5"), go("h6"));
    let won = [a, b, c, d, e, f].map(Result::unwrap);
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "one winner among concurrent contenders: {won:?}");
}
