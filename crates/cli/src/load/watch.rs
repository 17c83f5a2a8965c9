//! Watching the pipeline finish: polls `GET /metrics` of every instance and
//! reads the sum of `clubos_decisions_total` until every accepted message
//! has its decision (each instance counts the decisions its own workers made).
//!
//! Why `/metrics`: it answers from in-process counters (plus one small queue
//! count), so polling it every few tens of milliseconds barely touches the
//! database the pipeline is writing; the end-to-end throughput is exact to
//! one poll interval. Per-message latencies come from the records afterwards
//! (see `sample`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::scrape::{Scrape, parse};

/// What the watcher saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// When the decision count first covered every accepted message.
    pub done_at: Option<Instant>,
    /// The last scrape (counters include the baseline).
    pub last: Scrape,
    /// `(since start, decisions since the baseline)` at each poll.
    pub timeline: Vec<(Duration, f64)>,
    pub polls: u64,
    /// The queue emptied and the decisions stopped short of the target.
    pub drained_short: bool,
}

/// How long an empty queue with no new decision ends the wait (longer than
/// the default LLM timeout, so a thread still being classified is waited for).
const DRAINED_FOR: Duration = Duration::from_secs(15);

/// Shared between the sender and the watcher.
#[derive(Debug, Default)]
pub struct Progress {
    /// Messages acknowledged so far.
    pub acked: Arc<AtomicU64>,
    /// Set when sending is over; `target` is then final.
    pub sending_done: AtomicBool,
    /// Decisions to wait for (the accepted messages).
    pub target: AtomicU64,
}

/// One scrape of every instance's `/metrics`, merged (see [`Scrape::merge`]).
pub async fn scrape(client: &reqwest::Client, bases: &[String]) -> anyhow::Result<Scrape> {
    let mut all = Scrape::default();
    for s in scrape_each(client, bases).await {
        all.merge(&s?);
    }
    Ok(all)
}

async fn scrape_each(client: &reqwest::Client, bases: &[String]) -> Vec<anyhow::Result<Scrape>> {
    let mut set = tokio::task::JoinSet::new();
    for base in bases {
        let (client, base) = (client.clone(), base.clone());
        set.spawn(async move { scrape_one(&client, &base).await });
    }
    let mut out = Vec::with_capacity(bases.len());
    while let Some(r) = set.join_next().await {
        out.push(r.map_err(anyhow::Error::from).and_then(|r| r));
    }
    out
}

async fn scrape_one(client: &reqwest::Client, base: &str) -> anyhow::Result<Scrape> {
    let text = client
        .get(format!("{base}/metrics"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .context("GET /metrics")?
        .error_for_status()
        .context("GET /metrics")?
        .text()
        .await?;
    Ok(parse(&text))
}

/// Polls until the decisions since `baseline` reach the target after sending
/// ended, or `timeout` after sending ended. Prints progress every 2 s.
pub async fn run(
    client: &reqwest::Client,
    bases: &[String],
    baseline: f64,
    started: Instant,
    every: Duration,
    timeout: Duration,
    p: &Progress,
) -> Seen {
    let mut seen = Seen::default();
    let mut sending_ended: Option<Instant> = None;
    let mut last_print = Instant::now();
    let mut last_change = Instant::now();
    loop {
        let done_sending = p.sending_done.load(Ordering::Acquire);
        if done_sending && sending_ended.is_none() {
            sending_ended = Some(Instant::now());
        }
        if let Ok(s) = scrape(client, bases).await {
            let now = Instant::now();
            seen.polls += 1;
            let decided = s.decisions - baseline;
            seen.timeline.push((now - started, decided));
            if last_print.elapsed() >= Duration::from_secs(2) {
                last_print = now;
                eprintln!(
                    "  {:>6.1} s  acknowledged {:>7}  decided {:>7.0}  queue {:>6.0}",
                    (now - started).as_secs_f64(),
                    p.acked.load(Ordering::Relaxed),
                    decided,
                    s.queue_depth
                );
            }
            if s.decisions != seen.last.decisions || s.queue_depth > 0.0 {
                last_change = now;
            }
            seen.last = s;
            if done_sending && decided >= p.target.load(Ordering::Acquire) as f64 {
                seen.done_at = Some(now);
                return seen;
            }
            // Nothing waits and nothing has been decided for a while: the
            // missing decisions will not come (e.g. the time rules handed
            // the threads to a human before the AI reached them).
            if done_sending && now - last_change >= DRAINED_FOR {
                seen.drained_short = true;
                return seen;
            }
        }
        if sending_ended.is_some_and(|t| t.elapsed() > timeout) {
            return seen;
        }
        tokio::time::sleep(every).await;
    }
}

/// Decisions per second between the moments `from` and `to` fractions of
/// `total` were decided (e.g. 10 % and 90 %: the steady state, without the
/// start and the drain). `None` if the timeline does not cover them.
pub fn steady_rate(timeline: &[(Duration, f64)], total: f64, from: f64, to: f64) -> Option<f64> {
    let at = |frac: f64| timeline.iter().find(|(_, d)| *d >= total * frac).copied();
    let (t0, d0) = at(from)?;
    let (t1, d1) = at(to)?;
    let secs = (t1 - t0).as_secs_f64();
    (secs > 0.0).then(|| (d1 - d0) / secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_uses_the_middle_of_the_run() {
        let t = |ms| Duration::from_millis(ms);
        let timeline =
            [(t(0), 0.0), (t(500), 50.0), (t(1000), 100.0), (t(1500), 600.0), (t(2000), 900.0), (t(3000), 1000.0)];
        // 10 % (100) first reached at 1.0 s, 90 % (900) at 2.0 s.
        assert_eq!(steady_rate(&timeline, 1000.0, 0.1, 0.9), Some(800.0));
        assert_eq!(steady_rate(&timeline, 2000.0, 0.1, 0.9), None);
    }
}
