//! Per-message end-to-end latency from the records, after the run: for a
//! sample of the accepted messages, `GET /api/threads/{id}` gives the
//! decision's time and the reply's time (the outbound SMS recorded), stamped
//! by the server's clock; minus the wall-clock time the webhook was sent.
//!
//! Why after the run: reading threads while the load runs would compete
//! with the pipeline for the database and change what is measured. The
//! server stores times in milliseconds, so each value is exact to ±1 ms.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use super::drive::Sent;
use super::stats::Latencies;

/// What the sample showed.
#[derive(Debug, Default)]
pub struct Sampled {
    pub threads: u64,
    /// Send → the decision's timestamp (taken when the worker starts
    /// deciding; the commit follows within the classifier's latency).
    pub to_decision: Latencies,
    /// Send → the first reply SMS recorded as sent (after the decision,
    /// the device action if any, and the sandbox SMS).
    pub to_reply: Latencies,
    /// Sampled messages with no decision yet.
    pub undecided: u64,
    /// Sampled messages without a reply (e.g. no-reply escalations).
    pub unreplied: u64,
    /// `verdict/reason` of the first decision → count.
    pub verdicts: BTreeMap<String, u64>,
    pub errors: Vec<String>,
}

/// Every `len / max`-th message (all of them when `len <= max`).
pub fn pick(sent: &[Sent], max: usize) -> Vec<Sent> {
    if max == 0 || sent.is_empty() {
        return Vec::new();
    }
    let step = sent.len().div_ceil(max);
    sent.iter().step_by(step).copied().collect()
}

/// Fetches the sampled threads (4 at a time) and measures them.
pub async fn run(client: &reqwest::Client, base: &str, token: &str, sample: Vec<Sent>) -> Sampled {
    let mut out = Sampled::default();
    let mut queue = sample.into_iter();
    let mut set = tokio::task::JoinSet::new();
    loop {
        while set.len() < 4 {
            let Some(s) = queue.next() else { break };
            let (client, url, token) =
                (client.clone(), format!("{base}/api/threads/{}", s.thread_id), token.to_owned());
            set.spawn(async move { (s, fetch(&client, &url, &token).await) });
        }
        let Some(joined) = set.join_next().await else {
            break;
        };
        match joined {
            Ok((s, Ok(detail))) => measure(&mut out, &s, &detail),
            Ok((_, Err(e))) => out.errors.push(e),
            Err(e) => out.errors.push(format!("fetch task failed: {e}")),
        }
    }
    out
}

async fn fetch(client: &reqwest::Client, url: &str, token: &str) -> Result<Value, String> {
    let r = client
        .get(url)
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", r.status()));
    }
    r.json::<Value>().await.map_err(|e| format!("GET {url}: {e}"))
}

/// Adds one thread's figures.
pub fn measure(out: &mut Sampled, s: &Sent, detail: &Value) {
    out.threads += 1;
    let at = |v: &Value| v["at"].as_str().and_then(|t| t.parse::<Timestamp>().ok()).map(|t| t.as_microsecond());
    let decisions = detail["decisions"].as_array().map(Vec::as_slice).unwrap_or_default();
    match decisions.iter().find(|d| d["verdict"] != "defer") {
        Some(d) => {
            let key = format!("{}/{}", d["verdict"].as_str().unwrap_or("?"), d["reason"].as_str().unwrap_or("none"));
            *out.verdicts.entry(key).or_default() += 1;
            if let Some(t) = at(d) {
                out.to_decision.record_us((t - s.at_us).max(0) as u64);
            }
        }
        None => out.undecided += 1,
    }
    let messages = detail["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    match messages.iter().find(|m| m["direction"] == "outbound").and_then(at) {
        Some(t) => out.to_reply.record_us((t - s.at_us).max(0) as u64),
        None => out.unreplied += 1,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sent(i: u64, at_us: i64) -> Sent {
        Sent { index: i, at_us, thread_id: i as i64 + 1 }
    }

    #[test]
    fn picks_an_even_sample() {
        let all: Vec<Sent> = (0..10).map(|i| sent(i, 0)).collect();
        assert_eq!(pick(&all, 20).len(), 10);
        let some: Vec<u64> = pick(&all, 3).iter().map(|s| s.index).collect();
        assert_eq!(some, vec![0, 4, 8]);
        assert!(pick(&all, 0).is_empty());
    }

    #[test]
    fn measures_decision_and_reply_from_the_thread_detail() {
        let sent_at: Timestamp = "2026-01-01T12:00:00.000500Z".parse().unwrap();
        let detail = json!({
            "decisions": [
                {"verdict": "defer", "reason": "rate_limited", "at": "2026-01-01T12:00:00.001Z"},
                {"verdict": "reply", "reason": null, "at": "2026-01-01T12:00:00.004Z"}
            ],
            "messages": [
                {"direction": "inbound", "at": "2026-01-01T12:00:00.001Z"},
                {"direction": "outbound", "at": "2026-01-01T12:00:00.007Z"}
            ]
        });
        let mut out = Sampled::default();
        measure(&mut out, &sent(0, sent_at.as_microsecond()), &detail);
        // HdrHistogram reports the top of a value's 3-digit bucket.
        let near = |d: Duration, us: u64| d.as_micros().abs_diff(u128::from(us)) <= u128::from(us / 1000 + 1);
        assert!(near(out.to_decision.percentile(50.0), 3500), "{:?}", out.to_decision.percentile(50.0));
        assert!(near(out.to_reply.percentile(50.0), 6500), "{:?}", out.to_reply.percentile(50.0));
        assert_eq!(out.verdicts["reply/none"], 1);
        measure(&mut out, &sent(1, sent_at.as_microsecond()), &json!({"decisions": [], "messages": []}));
        assert_eq!((out.threads, out.undecided, out.unreplied), (2, 1, 1));
    }
}
