//! `clubos load`: the service benchmark. Drives N signed OpenPhone webhooks
//! through the real HTTP server (a child `clubos serve` on SQLite with the
//! sandbox facility, or `--url` on loopback) to decisions, sandbox actions
//! and replies, and prints messages/s, acknowledgement and end-to-end
//! latency percentiles, and the server's memory; `--raw-sqlite` measures the
//! same rows written with rusqlite directly. Figures: docs/PERFORMANCE.md.

mod bookings;
mod drive;
mod mix;
mod procfs;
mod raw;
mod report;
mod sample;
mod scrape;
mod server;
mod stats;
mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clubos_connectors::openphone::webhook::WebhookSecret;

/// `clubos load` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Webhooks to send (each from its own customer number).
    #[arg(long, default_value_t = 10_000)]
    pub messages: u64,
    /// Messages per second, on an open-loop schedule; 0 = as fast as the
    /// connections allow.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Drive a server that is already running (loopback only) instead of
    /// starting one. Webhooks are signed with the key in the variable named
    /// by --secret-env when it is set; bookings and thread read-back use
    /// CLUBOS_API_TOKEN.
    #[arg(long)]
    pub url: Option<String>,
    /// With --url: the variable holding the server's webhook signing key.
    #[arg(long, default_value = "OPENPHONE_WEBHOOK_SECRET")]
    pub secret_env: String,
    /// Worker tasks of the started server (`agent.workers`; its default).
    #[arg(long, default_value_t = 16)]
    pub workers: u16,
    /// Percent of the TrackMan and door customers booked before the run,
    /// so their texts run sandbox device actions.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub booked_percent: u8,
    /// Seconds to wait after the last webhook for every decision.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Threads read back after the run for per-message end-to-end latency.
    #[arg(long, default_value_t = 2000)]
    pub sample: usize,
    /// Milliseconds between `/metrics` polls while the load runs.
    #[arg(long, default_value_t = 50)]
    pub poll_ms: u64,
    /// Keep the started server's directory (config, database, log).
    #[arg(long)]
    pub keep: bool,
    /// Measure raw SQLite (the same rows, rusqlite directly) and exit.
    #[arg(long)]
    pub raw_sqlite: bool,
    /// After the service run, run the raw SQLite measurement with the same
    /// number of messages and print the ratio service / raw.
    #[arg(long)]
    pub compare_raw: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.raw_sqlite {
        let dir = tempfile::Builder::new().prefix("clubos-raw-").tempdir()?;
        let raw = raw::run(dir.path(), args.messages)?;
        report::raw(&raw, None);
        return Ok(ExitCode::SUCCESS);
    }
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        bail!("--rate must be a number ≥ 0");
    }
    let service = rt.block_on(service(&args))?;
    if args.compare_raw {
        let dir = tempfile::Builder::new().prefix("clubos-raw-").tempdir()?;
        let raw = raw::run(dir.path(), args.messages)?;
        report::raw(&raw, Some(service.e2e_rate));
    }
    Ok(if service.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// What the caller needs after the service run.
#[derive(Debug)]
struct ServiceRun {
    ok: bool,
    e2e_rate: f64,
}

/// Only loopback addresses may be driven.
fn loopback_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url {url:?}"))?;
    let host = parsed.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
    let loopback = host == "localhost" || ip.is_ok_and(|ip| ip.is_loopback());
    if !loopback || parsed.scheme() != "http" {
        bail!("--url must be http:// on a loopback address (127.0.0.0/8, [::1] or localhost), got {url}");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The target: a started child, or the running server at `--url`.
struct Target {
    base: String,
    token: Option<String>,
    secret: Option<WebhookSecret>,
    pid: Option<u32>,
    child: Option<server::Server>,
}

async fn target(args: &Args, client: &reqwest::Client) -> anyhow::Result<Target> {
    if let Some(url) = &args.url {
        let base = loopback_url(url)?;
        let secret = match std::env::var(&args.secret_env) {
            Ok(v) => Some(WebhookSecret::parse(&v).map_err(|e| anyhow::anyhow!("{}: {e}", args.secret_env))?),
            Err(_) => None,
        };
        let token = std::env::var("CLUBOS_API_TOKEN").ok().filter(|t| !t.is_empty());
        return Ok(Target { base, token, secret, pid: None, child: None });
    }
    let mut child = server::Server::spawn(args.workers, args.keep)?;
    let took = child.wait_ready(client, Duration::from_secs(60)).await?;
    eprintln!(
        "started `clubos serve` (pid {}) on {} in {:.1} s; directory {}",
        child.pid,
        child.base_url,
        took.as_secs_f64(),
        child.dir.display()
    );
    Ok(Target {
        base: child.base_url.clone(),
        token: Some(child.token.clone()),
        secret: Some(child.secret.clone()),
        pid: Some(child.pid),
        child: Some(child),
    })
}

async fn service(args: &Args) -> anyhow::Result<ServiceRun> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(1))
        .tcp_nodelay(true)
        .no_proxy()
        .build()?;
    let mut t = target(args, &client).await?;
    let salt = u64::from(rand::random::<u32>());
    if args.booked_percent > 0 {
        match &t.token {
            Some(token) => {
                let started = Instant::now();
                let made = bookings::create(&client, &t.base, token, args.messages, salt, args.booked_percent).await?;
                eprintln!("setup: {made} bookings in {:.1} s", started.elapsed().as_secs_f64());
            }
            None => eprintln!("setup: no CLUBOS_API_TOKEN, so no bookings (TrackMan and door texts will escalate)"),
        }
    }
    let baseline = watch::scrape(&client, &t.base).await.context("reading the server's /metrics before the run")?;
    let pid = t.pid.map(|p| p.to_string());
    let server_before = pid.as_deref().map(procfs::read);
    let self_before = procfs::read("self");
    let rate = if args.rate > 0.0 { format!("{} msg/s", args.rate) } else { "as fast as possible".to_owned() };
    eprintln!(
        "sending {} webhooks ({rate}, {} connections){}",
        args.messages,
        args.concurrency,
        if t.secret.is_some() { ", signed" } else { ", UNSIGNED" }
    );

    let progress = Arc::new(watch::Progress::default());
    progress.target.store(args.messages, Ordering::Release);
    let started = Instant::now();
    let watcher = {
        let (client, base, progress) = (client.clone(), t.base.clone(), Arc::clone(&progress));
        let (every, timeout) = (Duration::from_millis(args.poll_ms.max(1)), Duration::from_secs(args.timeout));
        tokio::spawn(
            async move { watch::run(&client, &base, baseline.decisions, started, every, timeout, &progress).await },
        )
    };
    let plan = drive::Plan {
        url: format!("{}/webhooks/openphone", t.base),
        secret: t.secret.clone(),
        to: server::FACILITY_NUMBER.to_owned(),
        messages: args.messages,
        rate: args.rate,
        concurrency: args.concurrency.max(1),
        salt,
    };
    let sent = drive::run(&client, plan, Arc::clone(&progress.acked)).await;
    progress.target.store(sent.sent.len() as u64, Ordering::Release);
    progress.sending_done.store(true, Ordering::Release);
    let seen = watcher.await.context("the /metrics watcher failed")?;
    let server_after = pid.as_deref().map(procfs::read);
    let self_after = procfs::read("self");

    let sampled = match &t.token {
        Some(token) if args.sample > 0 => {
            Some(sample::run(&client, &t.base, token, sample::pick(&sent.sent, args.sample)).await)
        }
        _ => None,
    };
    let r = report::Service {
        args,
        sent: &sent,
        seen: &seen,
        baseline: &baseline,
        started,
        sampled: sampled.as_ref(),
        server: server_before.zip(server_after),
        load_cpu: self_before.cpu.zip(self_after.cpu).map(|(a, b)| b.saturating_sub(a)),
    };
    let summary = r.print();
    if let Some(child) = &mut t.child {
        if args.keep {
            eprintln!("kept {} (server log: {})", child.dir.display(), child.log_path().display());
        }
        child.stop(Duration::from_secs(10));
    }
    Ok(ServiceRun { ok: summary.ok, e2e_rate: summary.e2e_rate })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_driven() {
        assert_eq!(loopback_url("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert!(loopback_url("http://127.3.4.5:1").is_ok());
        assert!(loopback_url("http://localhost:8080").is_ok());
        assert!(loopback_url("http://[::1]:8080").is_ok());
        assert!(loopback_url("http://10.0.0.2:8080").is_err());
        assert!(loopback_url("http://example.com").is_err());
        assert!(loopback_url("https://127.0.0.1:8443").is_err());
    }
}
