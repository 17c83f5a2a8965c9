//! `clubos load --overload-probe`: the load leaves a backlog of normal
//! messages waiting; as soon as the last one is acknowledged, one emergency
//! text and one text from a customer booked right now (high priority) are
//! sent. Measured: the backlog then, each probe's send → decision time (to
//! set beside the normal messages' send → decision, which waited their
//! turn), and the run's queue-overflow alerts (`[limits] queue_max`, one per
//! episode).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clubos_connectors::openphone::webhook::WebhookSecret;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{drive, watch};

/// The booked customer's and the emergency's numbers (outside the load's
/// own range, `mix::phone`).
const HIGH_FROM: &str = "+19025559101";
const EMERGENCY_FROM: &str = "+19025559102";

/// What the probe saw.
#[derive(Debug, Default)]
pub struct Probe {
    /// Accepted minus decided when the probes were sent.
    pub backlog: u64,
    pub emergency: Option<Duration>,
    pub high: Option<Duration>,
}

/// Where to send and read.
#[derive(Debug, Clone)]
pub struct Target {
    pub base: String,
    pub bases: Vec<String>,
    pub token: String,
    pub secret: Option<WebhookSecret>,
    pub to: String,
    pub salt: u64,
}

/// Books [`HIGH_FROM`] into bay 1 now (before the load starts).
pub async fn prepare(client: &reqwest::Client, t: &Target) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let body = json!({
        "customer_phone": HIGH_FROM, "location": "sandbox", "bay": 1, "status": "confirmed",
        "starts_at": (now - SignedDuration::from_mins(30)).to_string(),
        "ends_at": (now + SignedDuration::from_mins(150)).to_string(),
    });
    let r = client.post(format!("{}/api/bookings", t.base)).bearer_auth(&t.token).json(&body).send().await?;
    if !r.status().is_success() {
        bail!("booking the high-priority customer: HTTP {}", r.status());
    }
    Ok(())
}

/// Waits for the last acknowledgement, then sends and follows the probes.
pub async fn run(client: &reqwest::Client, t: &Target, progress: &watch::Progress) -> anyhow::Result<Probe> {
    while !progress.sending_done.load(Ordering::Acquire) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let acked = progress.acked.load(Ordering::Acquire);
    let before = watch::scrape(client, &t.bases).await?.decisions as u64;
    let url = format!("{}/webhooks/openphone", t.base);
    let send = |tag: String, from: &'static str, text: &'static str| {
        let (client, url, secret, to) = (client.clone(), url.clone(), t.secret.clone(), t.to.clone());
        async move { drive::post_text(&client, &url, secret.as_ref(), &tag, from, &to, text).await }
    };
    let sent_at = Instant::now();
    let (_, emergency_thread, _) =
        send(format!("emergency{:08x}", t.salt), EMERGENCY_FROM, "there is smoke coming out of the projector in bay 2")
            .await
            .map_err(|e| anyhow::anyhow!("emergency probe: {e}"))?;
    let (_, high_thread, _) = send(format!("high{:08x}", t.salt), HIGH_FROM, "trackman frozen in bay 1")
        .await
        .map_err(|e| anyhow::anyhow!("high-priority probe: {e}"))?;
    let mut probe = Probe { backlog: acked.saturating_sub(before), ..Probe::default() };
    let deadline = sent_at + Duration::from_secs(120);
    while (probe.emergency.is_none() || probe.high.is_none()) && Instant::now() < deadline {
        if probe.emergency.is_none() && decided(client, t, emergency_thread).await? {
            probe.emergency = Some(sent_at.elapsed());
        }
        if probe.high.is_none() && decided(client, t, high_thread).await? {
            probe.high = Some(sent_at.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(probe)
}

async fn decided(client: &reqwest::Client, t: &Target, thread: i64) -> anyhow::Result<bool> {
    let v: Value = client
        .get(format!("{}/api/threads/{thread}", t.base))
        .bearer_auth(&t.token)
        .send()
        .await?
        .json()
        .await
        .context("reading a probe's thread")?;
    Ok(v["decisions"].as_array().is_some_and(|d| !d.is_empty()))
}

/// Queue-overflow notifications raised in the run, read from the child's
/// SQLite file (the API lists only the newest 500 notifications, and a run
/// raises thousands of escalations after the one overflow alert).
pub fn sqlite_overflow_alerts(db: &std::path::Path) -> anyhow::Result<i64> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(c.query_row("SELECT count(*) FROM notifications WHERE kind = 'queue_overflow'", [], |r| r.get(0))?)
}

/// The report's lines.
pub fn print(p: &Probe, alerts: Option<i64>, workers: u64) {
    let ms = |d: Option<Duration>| {
        d.map_or("not decided in 120 s".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
    };
    println!("  overload probe     backlog {} waiting when sent", p.backlog);
    println!("    emergency        send → decision {}", ms(p.emergency));
    println!("    high priority    send → decision {} ({workers} workers in all)", ms(p.high));
    match alerts {
        Some(n) => println!("    overflow alerts  {n} queue_overflow notification(s) in the run"),
        None => println!("    overflow alerts  not counted (only for a started server)"),
    }
}
