//! Setting up the run: bookings (through `POST /api/bookings`) for a share
//! of the customers who report a frozen TrackMan or a locked door, so their
//! messages run real sandbox device actions (reset, unlock) instead of
//! escalating for want of a booking.

use std::time::Duration;

use anyhow::bail;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::mix::{self, Kind};

/// Is message `i`'s customer booked, at `percent` of the TrackMan and door
/// messages? Spread evenly over the run.
pub fn booked(i: u64, percent: u8) -> bool {
    let kind = mix::message(i).kind;
    matches!(kind, Kind::Trackman | Kind::Door) && (i / 20).wrapping_mul(37) % 100 < u64::from(percent)
}

/// The booking body for message `i`: now −30 min to +90 min, in the bay the
/// message names (a door message: any bay).
pub fn body(i: u64, salt: u64, now: Timestamp) -> serde_json::Value {
    let m = mix::message(i);
    let bay = m.bay.unwrap_or((i % 4) as u16 + 1);
    json!({
        "customer_phone": mix::phone(i, salt),
        "location": "sandbox",
        "bay": bay,
        "starts_at": (now - SignedDuration::from_mins(30)).to_string(),
        "ends_at": (now + SignedDuration::from_mins(90)).to_string(),
        "status": "confirmed",
    })
}

/// Creates the bookings of messages `0..n` (8 requests at a time); returns
/// how many.
pub async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: u64,
    salt: u64,
    percent: u8,
) -> anyhow::Result<u64> {
    let now = Timestamp::now();
    let url = format!("{base}/api/bookings");
    let mut wanted = (0..n).filter(|&i| booked(i, percent));
    let mut set = tokio::task::JoinSet::new();
    let mut made = 0;
    loop {
        while set.len() < 8 {
            let Some(i) = wanted.next() else { break };
            let req = client.post(&url).bearer_auth(token).json(&body(i, salt, now)).timeout(Duration::from_secs(10));
            set.spawn(async move { req.send().await.map(|r| r.status()) });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        match joined {
            Ok(Ok(status)) if status.is_success() => made += 1,
            Ok(Ok(status)) => bail!("POST /api/bookings: HTTP {status}"),
            Ok(Err(e)) => bail!("POST /api/bookings: {e}"),
            Err(e) => bail!("booking task failed: {e}"),
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_trackman_and_door_customers_is_booked() {
        let booked_n = (0..10_000).filter(|&i| booked(i, 20)).count();
        // 45 % of messages are TrackMan or door; 20 % of those.
        assert!((800..=1000).contains(&booked_n), "{booked_n}");
        assert_eq!((0..1000).filter(|&i| booked(i, 0)).count(), 0);
        assert!(
            (0..1000).filter(|&i| booked(i, 100)).all(|i| matches!(mix::message(i).kind, Kind::Trackman | Kind::Door))
        );
        let b = body(1, 0, Timestamp::UNIX_EPOCH + SignedDuration::from_hours(1));
        assert_eq!(b["bay"], 2);
        assert_eq!(b["starts_at"], "1970-01-01T00:30:00Z");
    }
}
