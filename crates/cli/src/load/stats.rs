//! Latency and rate arithmetic of `clubos load`: microsecond histograms
//! (HdrHistogram, 3 significant digits), percentiles and messages per second.

use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Highest latency recorded: 10 minutes, in microseconds (larger values are
/// clamped to it).
const MAX_US: u64 = 600_000_000;

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        // Bounds and precision are constants that HdrHistogram accepts.
        Self(Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds"))
    }
}

impl Latencies {
    pub fn record(&mut self, d: Duration) {
        self.record_us(d.as_micros().min(u128::from(MAX_US)) as u64);
    }

    /// Records a value in microseconds; below 1 counts as 1, above the
    /// maximum as the maximum.
    pub fn record_us(&mut self, us: u64) {
        let _ = self.0.record(us.clamp(1, MAX_US));
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The value at percentile `p` (0–100), or zero when empty.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_micros(self.0.value_at_quantile(p / 100.0))
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(if self.0.is_empty() { 0 } else { self.0.max() })
    }

    pub fn summary(&self) -> Summary {
        Summary {
            count: self.count(),
            p50: self.percentile(50.0),
            p90: self.percentile(90.0),
            p99: self.percentile(99.0),
            max: self.max(),
        }
    }
}

/// Percentiles of one histogram, for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: u64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {}  p90 {}  p99 {}  max {}  (n = {})",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            self.count
        )
    }
}

/// A duration in milliseconds with enough digits for sub-millisecond values.
pub fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// Events per second; zero for an empty interval.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s <= 0.0 { 0.0 } else { count as f64 / s }
}

/// The value below which `p` percent of a Prometheus histogram's
/// observations fall, by linear interpolation inside the bucket (as
/// Prometheus' `histogram_quantile` does). `buckets` are cumulative
/// `(upper bound, count)` pairs in increasing order, `+Inf` last. `None`
/// when there is no observation; the last finite bound when the percentile
/// falls in `+Inf`.
pub fn bucket_percentile(buckets: &[(f64, f64)], p: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = total * p / 100.0;
    let mut lower = (0.0, 0.0);
    for &(le, cum) in buckets {
        if cum >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let inside = cum - lower.1;
            let frac = if inside > 0.0 { (rank - lower.1) / inside } else { 1.0 };
            return Some(lower.0 + (le - lower.0) * frac);
        }
        lower = (le, cum);
    }
    Some(lower.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_a_thousand_microseconds() {
        let mut h = Latencies::default();
        for us in 1..=1000 {
            h.record_us(us);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        // Three significant digits: exact below 2048 µs.
        assert_eq!(s.p50, Duration::from_micros(500));
        assert_eq!(s.p90, Duration::from_micros(900));
        assert_eq!(s.p99, Duration::from_micros(990));
        assert_eq!(s.max, Duration::from_micros(1000));
    }

    #[test]
    fn merging_adds_counts_and_large_values_keep_three_digits() {
        let mut a = Latencies::default();
        let mut b = Latencies::default();
        a.record(Duration::from_millis(2));
        b.record(Duration::from_millis(250));
        b.record(Duration::from_secs(3600)); // clamped to 10 minutes
        a.merge(&b);
        assert_eq!(a.count(), 3);
        let p50 = a.percentile(50.0).as_micros() as f64;
        assert!((p50 - 250_000.0).abs() / 250_000.0 < 0.001, "{p50}");
        assert!(a.max() <= Duration::from_secs(601));
        assert_eq!(Latencies::default().percentile(99.0), Duration::ZERO);
    }

    #[test]
    fn rates_and_formatting() {
        assert_eq!(per_second(2000, Duration::from_millis(500)), 4000.0);
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
        assert_eq!(ms(Duration::from_micros(1234)), "1.23 ms");
        assert_eq!(ms(Duration::from_micros(45_670)), "45.7 ms");
        assert_eq!(ms(Duration::from_millis(1500)), "1500 ms");
    }

    #[test]
    fn bucket_percentiles_interpolate_like_prometheus() {
        let b = [(0.001, 0.0), (0.005, 50.0), (0.01, 90.0), (0.1, 100.0), (f64::INFINITY, 100.0)];
        assert_eq!(bucket_percentile(&b, 25.0), Some(0.001 + 0.004 * 0.5));
        let p90 = bucket_percentile(&b, 90.0).unwrap();
        assert!((p90 - 0.01).abs() < 1e-12, "{p90}");
        let p99 = bucket_percentile(&b, 99.0).unwrap();
        assert!((p99 - (0.01 + 0.09 * 0.9)).abs() < 1e-12, "{p99}");
        assert_eq!(bucket_percentile(&[(0.1, 0.0), (f64::INFINITY, 0.0)], 50.0), None);
        assert_eq!(bucket_percentile(&[(0.1, 1.0), (f64::INFINITY, 4.0)], 99.0), Some(0.1));
    }
}
