//! Spacing requests to a vendor's rate limit.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Lets at most one request start per `interval` (10/s = 100 ms), shared by
/// every caller of one client. Callers wait their turn in arrival order.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(n: u32) -> Self {
        Self { interval: Duration::from_secs(1) / n.max(1), next: Mutex::new(None) }
    }

    /// Waits until this caller may start a request.
    pub async fn wait(&self) {
        let slot = {
            // Why reserve under the lock and sleep outside it: the slot is
            // fixed at arrival, so a burst is spread evenly instead of every
            // caller waking at once.
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ten_per_second_spreads_a_burst() {
        let pacer = std::sync::Arc::new(Pacer::per_second(10));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..25 {
            let p = std::sync::Arc::clone(&pacer);
            tasks.push(tokio::spawn(async move {
                p.wait().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap() - start);
        }
        times.sort();
        // 25 requests: the first at once, then one every 100 ms.
        assert_eq!(times[0], Duration::ZERO);
        assert_eq!(times[24], Duration::from_millis(2400));
        for w in times.windows(11) {
            assert!(w[10] - w[0] >= Duration::from_secs(1), "never 11 starts within a second");
        }
    }
}
