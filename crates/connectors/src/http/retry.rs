//! When to try a vendor call again.

use std::time::Duration;

use jiff::Timestamp;

/// Exponential backoff: `base`, `2·base`, `4·base`, … capped at `max`, for
/// at most `attempts` tries in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const DEFAULT: Backoff = Backoff { attempts: 4, base: Duration::from_millis(500), max: Duration::from_secs(8) };

    /// The pause before try number `attempt + 1` (`attempt` counts from 1),
    /// or `None` when the tries are used up. A server's `Retry-After` wins
    /// when given, capped at `max`.
    pub fn pause(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let exp = self.base.saturating_mul(1u32 << (attempt - 1).min(16));
        Some(retry_after.unwrap_or(exp).min(self.max))
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(value: Option<&str>, now: Timestamp) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    Some(at.duration_since(now).try_into().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops() {
        let b = Backoff::DEFAULT;
        assert_eq!(b.pause(1, None), Some(Duration::from_millis(500)));
        assert_eq!(b.pause(2, None), Some(Duration::from_secs(1)));
        assert_eq!(b.pause(3, None), Some(Duration::from_secs(2)));
        assert_eq!(b.pause(4, None), None, "four tries in all");
        assert_eq!(b.pause(1, Some(Duration::from_secs(3))), Some(Duration::from_secs(3)));
        assert_eq!(b.pause(1, Some(Duration::from_secs(60))), Some(Duration::from_secs(8)), "capped");
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now: Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
        assert_eq!(retry_after(Some("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(Some("Thu, 26 Nov 2026 10:00:05 GMT"), now), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(Some("Thu, 26 Nov 2026 09:00:00 GMT"), now), Some(Duration::ZERO), "past");
        assert_eq!(retry_after(Some("soon"), now), None);
        assert_eq!(retry_after(None, now), None);
    }
}
