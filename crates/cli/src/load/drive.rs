//! Sending the load: `N` signed OpenPhone `message.received` webhooks over
//! `C` keep-alive connections, as fast as possible or on an open-loop
//! schedule of `R` per second, timing each acknowledgement.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use jiff::Timestamp;

use super::mix;
use super::stats::Latencies;

/// A webhook not answered within this long counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The webhook URL of every instance; message `i` goes to `urls[i % n]`.
    pub urls: Vec<String>,
    pub secret: Option<WebhookSecret>,
    /// The facility number the texts go to.
    pub to: String,
    pub messages: u64,
    /// Messages per second; 0 = as fast as the connections allow.
    pub rate: f64,
    pub concurrency: usize,
    /// Moves phone numbers and ids away from an earlier run's.
    pub salt: u64,
}

/// One acknowledged message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub index: u64,
    /// Wall-clock time the request was sent, Unix microseconds (the same
    /// clock the server stamps its records with).
    pub at_us: i64,
    pub thread_id: i64,
}

/// What the sending phase measured.
#[derive(Debug)]
pub struct Outcome {
    pub ack: Latencies,
    /// Accepted messages, in index order.
    pub sent: Vec<Sent>,
    /// Requests that failed or were not answered 2xx `accepted`.
    pub failed: u64,
    /// The first few failures, for the report.
    pub failures: Vec<String>,
    /// From the first request to the last acknowledgement.
    pub elapsed: Duration,
    /// Largest delay of a send behind its schedule (rate mode).
    pub max_lag: Duration,
}

#[derive(Debug, Default)]
struct TaskResult {
    ack: Latencies,
    sent: Vec<Sent>,
    failed: u64,
    failures: Vec<String>,
    max_lag: Duration,
}

/// Sends the plan's messages; returns when every request has been answered.
/// `acked` counts accepted messages as they are acknowledged (for progress).
pub async fn run(client: &reqwest::Client, plan: Plan, acked: Arc<AtomicU64>) -> Outcome {
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(plan.concurrency);
    for _ in 0..plan.concurrency.max(1) {
        let (client, plan, next, acked) = (client.clone(), Arc::clone(&plan), Arc::clone(&next), Arc::clone(&acked));
        tasks.push(tokio::spawn(async move { sender(&client, &plan, &next, &acked, started).await }));
    }
    let mut out = TaskResult::default();
    for t in tasks {
        match t.await {
            Ok(r) => {
                out.ack.merge(&r.ack);
                out.sent.extend(r.sent);
                out.failed += r.failed;
                out.failures.extend(r.failures.into_iter().take(5usize.saturating_sub(out.failures.len())));
                out.max_lag = out.max_lag.max(r.max_lag);
            }
            Err(e) => {
                out.failed += 1;
                out.failures.push(format!("sender task failed: {e}"));
            }
        }
    }
    let elapsed = started.elapsed();
    out.sent.sort_by_key(|s| s.index);
    Outcome { ack: out.ack, sent: out.sent, failed: out.failed, failures: out.failures, elapsed, max_lag: out.max_lag }
}

/// When message `i` is due, relative to the start; `None` without a rate.
pub fn due(i: u64, rate: f64) -> Option<Duration> {
    (rate > 0.0).then(|| Duration::from_secs_f64(i as f64 / rate))
}

async fn sender(
    client: &reqwest::Client,
    plan: &Plan,
    next: &AtomicU64,
    acked: &AtomicU64,
    started: Instant,
) -> TaskResult {
    let mut r = TaskResult::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= plan.messages {
            return r;
        }
        if let Some(due) = due(i, plan.rate) {
            let at = started + due;
            let now = Instant::now();
            if at > now {
                tokio::time::sleep_until(at.into()).await;
            } else {
                r.max_lag = r.max_lag.max(now - at);
            }
        }
        match send_one(client, plan, i).await {
            Ok((sent, took)) => {
                r.ack.record(took);
                r.sent.push(sent);
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Err(why) => {
                r.failed += 1;
                if r.failures.len() < 5 {
                    r.failures.push(format!("message {i}: {why}"));
                }
            }
        }
    }
}

/// Builds, signs and posts message `i`; the acknowledgement's latency is the
/// HTTP round trip (request written to response body read).
async fn send_one(client: &reqwest::Client, plan: &Plan, i: u64) -> Result<(Sent, Duration), String> {
    let m = mix::message(i);
    let from = mix::phone(i, plan.salt);
    let tag = format!("{:08x}{i:016x}", plan.salt);
    let url = &plan.urls[(i % plan.urls.len() as u64) as usize];
    let (at_us, thread_id, took) = post_text(client, url, plan.secret.as_ref(), &tag, &from, &plan.to, &m.text).await?;
    Ok((Sent { index: i, at_us, thread_id }, took))
}

/// Posts one signed `message.received` webhook (ids made from `tag`);
/// returns when it was sent (Unix µs), its thread and the round trip.
pub async fn post_text(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&WebhookSecret>,
    tag: &str,
    from: &str,
    to: &str,
    text: &str,
) -> Result<(i64, i64, Duration), String> {
    let event_id = format!("EVload{tag}");
    let message_id = format!("ACload{tag}");
    let now = Timestamp::now();
    let body = build_message_received_legacy(&event_id, &message_id, from, to, text, now);
    let mut req = client.post(url).header("content-type", "application/json").timeout(REQUEST_TIMEOUT);
    if let Some(secret) = secret {
        for (name, value) in secret.signed_headers(&event_id, now, &body) {
            req = req.header(name, value);
        }
    }
    let t0 = Instant::now();
    let resp = req.body(body).send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| format!("reading the answer: {e}"))?;
    let took = t0.elapsed();
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])));
    }
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("answer is not JSON: {e}"))?;
    match (v["status"].as_str(), v["thread_id"].as_i64()) {
        (Some("accepted"), Some(thread_id)) => Ok((now.as_microsecond(), thread_id, took)),
        _ => Err(format!("HTTP {status} but not accepted: {v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spaces_messages_evenly() {
        assert_eq!(due(0, 500.0), Some(Duration::ZERO));
        assert_eq!(due(500, 500.0), Some(Duration::from_secs(1)));
        assert_eq!(due(1, 500.0), Some(Duration::from_millis(2)));
        assert_eq!(due(10, 0.0), None);
    }
}
