//! `clubos load --soak-minutes M --rate R`: the service at a steady rate for
//! M minutes while faults come and go — a bay or the door whose vendor
//! answers 500, a bay or the door that never answers (the action timeout
//! fires), the SMS line answering 500, the model answering 500, the model
//! hanging — against a local OpenAI-compatible model server
//! run here. The child's resident memory and open descriptors are read
//! every minute; the report compares the end with the five-minute mark and
//! checks, in the child's database, that the queue drained, every message
//! has a decision and no device action ran twice.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::procfs;

const UP: u8 = 0;
const ERROR: u8 = 1;
const HANG: u8 = 2;

/// The local model server and its current behaviour.
#[derive(Debug, Clone)]
pub struct FakeModel {
    /// `http://127.0.0.1:PORT` (`/v1/chat/completions` answers).
    pub base: String,
    mode: Arc<AtomicU8>,
}

async fn complete(State(mode): State<Arc<AtomicU8>>) -> Response {
    match mode.load(Ordering::Relaxed) {
        ERROR => (StatusCode::INTERNAL_SERVER_ERROR, "soak: injected model failure").into_response(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(300)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        _ => axum::Json(json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "operator_decision",
                 "arguments": "{\"category\":null,\"confidence\":0.4,\"action\":\"escalate\"}"}}]}}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320}
        }))
        .into_response(),
    }
}

/// Starts the model server on a free loopback port.
pub async fn start_model() -> anyhow::Result<FakeModel> {
    let mode = Arc::new(AtomicU8::new(UP));
    let app =
        axum::Router::new().route("/v1/chat/completions", axum::routing::post(complete)).with_state(Arc::clone(&mode));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(FakeModel { base, mode })
}

/// The sandbox devices the faults touch (all set back to working after each).
const FAULTY: [&str; 4] = ["bay:2", "bay:3", "door:front", "sms"];

/// Every `every`, the next fault for half of the period, then all healthy
/// again; until `stop`. Returns what it did, with the run's seconds.
pub async fn faults(
    client: reqwest::Client,
    base: String,
    token: String,
    model: FakeModel,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let started = Instant::now();
    let mut log = Vec::new();
    let device = |device: &'static str, mode: &'static str| {
        let req = client.put(format!("{base}/api/sandbox/devices")).bearer_auth(&token);
        async move { req.json(&json!({"device": device, "mode": mode})).send().await.map(|r| r.status().is_success()) }
    };
    for k in 0u64.. {
        if sleep_or_stop(every / 2, &stop).await {
            break;
        }
        let what = match k % 7 {
            0 => device("bay:2", "fail").await.map(|_| "bay 2 answers 500"),
            1 => device("door:front", "hang").await.map(|_| "the front door never answers"),
            2 => Ok(model.mode.swap(ERROR, Ordering::Relaxed)).map(|_| "model answers 500"),
            3 => device("bay:3", "hang").await.map(|_| "bay 3 never answers"),
            4 => device("sms", "fail").await.map(|_| "the SMS line answers 500"),
            5 => device("door:front", "fail").await.map(|_| "the front door answers 500"),
            _ => Ok(model.mode.swap(HANG, Ordering::Relaxed)).map(|_| "model hangs"),
        };
        log.push(format!("{:>5.0} s  {}", started.elapsed().as_secs_f64(), what.unwrap_or("fault not set")));
        let stopped = sleep_or_stop(every / 2, &stop).await;
        for d in FAULTY {
            let _ = device(d, "succeed").await;
        }
        model.mode.store(UP, Ordering::Relaxed);
        log.push(format!("{:>5.0} s  all healthy", started.elapsed().as_secs_f64()));
        if stopped {
            break;
        }
    }
    log
}

/// Sleeps `d` in steps; true when `stop` was set meanwhile.
async fn sleep_or_stop(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if stop.load(Ordering::Acquire) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.load(Ordering::Acquire)
}

/// One reading of the child.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds into the run.
    pub secs: u64,
    pub rss_kib: u64,
    pub fds: u64,
    /// Of `fds`, the load's own HTTP connections to the child: how many the
    /// load's connection pool holds at that moment (up to --concurrency),
    /// which is the client's choice, not the server's.
    pub load_conns: u64,
}

impl Sample {
    /// The child's descriptors other than the load's connections: its
    /// database files, logs, listener, and connections to vendors.
    pub fn own_fds(&self) -> u64 {
        self.fds.saturating_sub(self.load_conns)
    }
}

/// Reads `pid` (serving on `port`) at the start, every minute, and once more
/// when `stop` is set.
pub async fn watch(pid: String, port: u16, stop: Arc<AtomicBool>, out: Arc<Mutex<Vec<Sample>>>) {
    let started = Instant::now();
    loop {
        let stopped = stop.load(Ordering::Acquire);
        let s = procfs::read(&pid);
        let conns = procfs::accepted_connections(&pid, port);
        if let (Some(rss_kib), Some(fds), Some(load_conns)) = (s.rss_kib, s.open_fds, conns) {
            let sample = Sample { secs: started.elapsed().as_secs(), rss_kib, fds, load_conns };
            out.lock().unwrap_or_else(|p| p.into_inner()).push(sample);
        }
        if stopped {
            return;
        }
        sleep_or_stop(Duration::from_secs(60), &stop).await;
    }
}

/// What the child's database says after the run (SQLite).
#[derive(Debug, Default)]
pub struct Audit {
    pub queue_left: i64,
    pub messages_undecided: i64,
    pub device_actions: i64,
    pub device_actions_twice: i64,
    pub by_status: Vec<(String, i64)>,
}

/// How long [`settled_audit`] waits for the last messages after the run's
/// last decision was counted: a decision is counted when it is recorded, and
/// its reply, the message's `processed` mark and the queue release follow.
const DRAIN_WAIT: Duration = Duration::from_secs(60);

/// [`audit`] once the queue is empty and every message is processed, or
/// after [`DRAIN_WAIT`] with whatever is left then (the report says how long
/// it waited).
pub async fn settled_audit(db: &std::path::Path) -> anyhow::Result<(Audit, Duration)> {
    let started = Instant::now();
    loop {
        let a = audit(db)?;
        let drained = a.queue_left == 0 && a.messages_undecided == 0;
        if drained || started.elapsed() >= DRAIN_WAIT {
            return Ok((a, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub fn audit(db: &std::path::Path) -> anyhow::Result<Audit> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let one = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
    let mut by_status = Vec::new();
    let mut st = c.prepare(
        "SELECT kind || '/' || status, count(*) FROM actions WHERE kind <> 'send_reply' GROUP BY 1 ORDER BY 1",
    )?;
    for row in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        by_status.push(row?);
    }
    Ok(Audit {
        queue_left: one("SELECT count(*) FROM queue")?,
        messages_undecided: one("SELECT count(*) FROM messages WHERE direction = 'inbound' AND NOT processed")?,
        device_actions: one("SELECT count(*) FROM actions WHERE kind <> 'send_reply'")?,
        // The same decision's device action recorded (so run) twice.
        device_actions_twice: one("SELECT count(*) FROM (SELECT decision_id, kind FROM actions
             WHERE decision_id IS NOT NULL AND kind <> 'send_reply' GROUP BY 1, 2 HAVING count(*) > 1)")?,
        by_status,
    })
}

/// The report's lines; false when a soak condition failed.
/// `concurrency` is --concurrency: the load opens at most that many
/// connections for webhooks, plus one for its `/metrics` polls and one for
/// switching faults.
pub fn print(samples: &[Sample], faults: &[String], a: &Audit, waited: Duration, concurrency: usize) -> bool {
    println!("  soak faults        {} changes:", faults.len());
    for f in faults {
        println!("                     {f}");
    }
    for s in samples {
        println!(
            "  soak sample        {:>5} s  RSS {:>7.1} MiB  {} open fds: {} its own + {} the load's connections",
            s.secs,
            s.rss_kib as f64 / 1024.0,
            s.fds,
            s.own_fds(),
            s.load_conns
        );
    }
    let base = samples.iter().find(|s| s.secs >= 300).or(samples.first());
    let last = samples.last();
    let mut ok = true;
    if let (Some(b), Some(l)) = (base, last) {
        let change = |end: u64, start: u64| end as f64 / start.max(1) as f64 - 1.0;
        let (rss, own, all) = (change(l.rss_kib, b.rss_kib), change(l.own_fds(), b.own_fds()), change(l.fds, b.fds));
        // The load's pool opens and drops connections as it likes; the
        // server must never hold more than the load can have open.
        let most = concurrency as u64 + 2;
        let conns_ok = samples.iter().all(|s| s.load_conns <= most);
        let within = rss.abs() <= 0.10 && own.abs() <= 0.10;
        ok &= within && conns_ok;
        println!(
            "  soak resources     end vs {} s: RSS {:+.1} %, own fds {:+.1} % → {}; all fds {:+.1} %; load connections held {}..{} (≤ {most}: {})",
            b.secs,
            rss * 100.0,
            own * 100.0,
            if within { "within 10 %" } else { "NOT within 10 %" },
            all * 100.0,
            samples.iter().map(|s| s.load_conns).min().unwrap_or(0),
            samples.iter().map(|s| s.load_conns).max().unwrap_or(0),
            if conns_ok { "yes" } else { "NO" }
        );
    }
    let clean = a.queue_left == 0 && a.messages_undecided == 0 && a.device_actions_twice == 0;
    ok &= clean;
    println!(
        "  soak database      {:.1} s after the last decision: queue left {}, undecided messages {}, device actions {} ({}), run twice {}",
        waited.as_secs_f64(),
        a.queue_left,
        a.messages_undecided,
        a.device_actions,
        a.by_status.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "),
        a.device_actions_twice
    );
    ok
}
