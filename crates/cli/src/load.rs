//! `clubos load`: the service benchmark. Drives N signed OpenPhone webhooks
//! through the real HTTP server (a child `clubos serve` on SQLite with the
//! sandbox facility, `--instances N` children on a fresh PostgreSQL schema
//! with `--database-url`, or `--url` on loopback) to decisions, sandbox
//! actions and replies, and prints messages/s, acknowledgement, end-to-end
//! and queue-claim latency percentiles, and the servers' memory and CPU;
//! `--raw-sqlite` measures the same rows written with rusqlite directly.
//! Figures: docs/PERFORMANCE.md.

mod bookings;
mod drive;
mod mix;
mod overload;
mod pg;
mod procfs;
mod raw;
mod report;
mod sample;
mod scrape;
mod server;
mod soak;
mod stats;
mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Start the servers on this PostgreSQL database (`postgres://…`, no
    /// TLS) instead of SQLite: a fresh schema is created for the run, the
    /// queue table gets docs/DEPLOYMENT.md's autovacuum settings, and the
    /// schema is dropped at the end (kept with --keep).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Servers to start on the one database (needs --database-url when more
    /// than 1); webhooks go to them round-robin.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub instances: u16,
    /// With --database-url: leave the queue table's autovacuum settings at
    /// PostgreSQL's defaults.
    #[arg(long)]
    pub no_queue_tuning: bool,
    /// Worker tasks of each started server (`agent.workers`; its default).
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
    /// Once the last webhook is acknowledged (the backlog still waiting),
    /// send one emergency text and one from a booked customer and report
    /// their send → decision times and the run's overflow alerts.
    #[arg(long)]
    pub overload_probe: bool,
    /// Soak: run for this many minutes at --rate (the message count
    /// follows), with faults injected every --fault-every seconds against a
    /// local model server the agent asks; SQLite only.
    #[arg(long, default_value_t = 0)]
    pub soak_minutes: u64,
    /// With --soak-minutes: seconds between one fault's start and the next.
    #[arg(long, default_value_t = 180)]
    pub fault_every: u64,
    /// Measure raw SQLite (the same rows, rusqlite directly) and exit.
    #[arg(long)]
    pub raw_sqlite: bool,
    /// After the service run, run the raw SQLite measurement with the same
    /// number of messages and print the ratio service / raw.
    #[arg(long)]
    pub compare_raw: bool,
}

pub fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    if args.soak_minutes > 0 {
        args.messages = (args.rate * 60.0 * args.soak_minutes as f64).round() as u64;
    }
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
    if args.soak_minutes > 0 && (args.rate <= 0.0 || args.url.is_some() || args.database_url.is_some()) {
        bail!("--soak-minutes needs --rate and a started SQLite server (no --url, no --database-url)");
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

/// The target: started children, or the running server at `--url`.
struct Target {
    /// Every instance's base URL; the first serves set-up and read-back.
    bases: Vec<String>,
    token: Option<String>,
    secret: Option<WebhookSecret>,
    children: Vec<server::Server>,
    schema: Option<pg::Schema>,
}

async fn target(args: &Args, client: &reqwest::Client, model: Option<&str>) -> anyhow::Result<Target> {
    if let Some(url) = &args.url {
        if args.database_url.is_some() || args.instances > 1 {
            bail!("--url drives a running server: --database-url and --instances start servers");
        }
        let base = loopback_url(url)?;
        let secret = match std::env::var(&args.secret_env) {
            Ok(v) => Some(WebhookSecret::parse(&v).map_err(|e| anyhow::anyhow!("{}: {e}", args.secret_env))?),
            Err(_) => None,
        };
        let token = std::env::var("CLUBOS_API_TOKEN").ok().filter(|t| !t.is_empty());
        return Ok(Target { bases: vec![base], token, secret, children: Vec::new(), schema: None });
    }
    if args.instances > 1 && args.database_url.is_none() {
        bail!("--instances {} needs --database-url (SQLite serves one instance)", args.instances);
    }
    let schema = match &args.database_url {
        Some(url) => Some(pg::Schema::create(url).await?),
        None => None,
    };
    let child_url = schema.as_ref().map(pg::Schema::child_url);
    let key = server::random_legacy_key();
    let token: String = (0..4).map(|_| format!("{:016x}", rand::random::<u64>())).collect();
    let mut t = Target { bases: Vec::new(), token: Some(token.clone()), secret: None, children: Vec::new(), schema };
    for i in 0..args.instances {
        let mut child = server::Server::spawn(args.workers, args.keep, child_url.as_deref(), &key, &token, model)?;
        let took = child.wait_ready(client, Duration::from_secs(60)).await?;
        eprintln!(
            "started `clubos serve` #{} (pid {}) on {} in {:.1} s; directory {}",
            i + 1,
            child.pid,
            child.base_url,
            took.as_secs_f64(),
            child.dir.display()
        );
        // The first instance has run the migrations: tune the queue table
        // before the others start, as compose's `db-tune` does.
        if i == 0
            && let Some(schema) = &t.schema
        {
            if args.no_queue_tuning {
                eprintln!("schema {}: queue table left at PostgreSQL's autovacuum defaults", schema.name);
            } else {
                schema.tune_queue().await?;
                eprintln!("schema {}: queue table tuned as docs/DEPLOYMENT.md recommends", schema.name);
            }
        }
        t.secret = Some(child.secret.clone());
        t.bases.push(child.base_url.clone());
        t.children.push(child);
    }
    Ok(t)
}

async fn service(args: &Args) -> anyhow::Result<ServiceRun> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(1))
        .tcp_nodelay(true)
        .no_proxy()
        .build()?;
    let model = if args.soak_minutes > 0 { Some(soak::start_model().await?) } else { None };
    let mut t = target(args, &client, model.as_ref().map(|m| m.base.as_str())).await?;
    let run = measure(args, &client, &t, model).await;
    for child in &mut t.children {
        if args.keep {
            eprintln!("kept {} (server log: {})", child.dir.display(), child.log_path().display());
        }
        child.stop(Duration::from_secs(10));
    }
    if let Some(schema) = t.schema.take() {
        if args.keep {
            eprintln!("kept schema {}", schema.name);
        } else if let Err(e) = schema.drop().await {
            eprintln!("could not drop the run's schema: {e:#}");
        }
    }
    run
}

async fn measure(
    args: &Args,
    client: &reqwest::Client,
    t: &Target,
    model: Option<soak::FakeModel>,
) -> anyhow::Result<ServiceRun> {
    let salt = u64::from(rand::random::<u32>());
    let base = &t.bases[0];
    if args.booked_percent > 0 {
        match &t.token {
            Some(token) => {
                let started = Instant::now();
                let made = bookings::create(client, base, token, args.messages, salt, args.booked_percent).await?;
                eprintln!("setup: {made} bookings in {:.1} s", started.elapsed().as_secs_f64());
            }
            None => eprintln!("setup: no CLUBOS_API_TOKEN, so no bookings (TrackMan and door texts will escalate)"),
        }
    }
    let baseline = watch::scrape(client, &t.bases).await.context("reading the servers' /metrics before the run")?;
    let pids: Vec<String> = t.children.iter().map(|c| c.pid.to_string()).collect();
    let servers_before: Vec<_> = pids.iter().map(|p| procfs::read(p)).collect();
    let pg_before = t.schema.as_ref().map(|_| pg::postgres_cpu());
    let self_before = procfs::read("self");
    let rate = if args.rate > 0.0 { format!("{} msg/s", args.rate) } else { "as fast as possible".to_owned() };
    eprintln!(
        "sending {} webhooks ({rate}, {} connections, {} instance(s)){}",
        args.messages,
        args.concurrency,
        t.bases.len(),
        if t.secret.is_some() { ", signed" } else { ", UNSIGNED" }
    );

    let progress = Arc::new(watch::Progress::default());
    progress.target.store(args.messages, Ordering::Release);
    let stop_dead = Arc::new(AtomicBool::new(false));
    let dead_watch = t.schema.clone().map(|s| tokio::spawn(s.watch_dead(Arc::clone(&stop_dead))));
    let started = Instant::now();
    let watcher = {
        let (client, bases, progress) = (client.clone(), t.bases.clone(), Arc::clone(&progress));
        let (every, timeout) = (Duration::from_millis(args.poll_ms.max(1)), Duration::from_secs(args.timeout));
        tokio::spawn(async move {
            watch::run(&client, &bases, baseline.decisions, started, every, timeout, &progress).await
        })
    };
    let probe_target = match (&t.token, args.overload_probe) {
        (Some(token), true) => Some(overload::Target {
            base: base.clone(),
            bases: t.bases.clone(),
            token: token.clone(),
            secret: t.secret.clone(),
            to: server::FACILITY_NUMBER.to_owned(),
            salt,
        }),
        (None, true) => bail!("--overload-probe reads threads back: it needs CLUBOS_API_TOKEN with --url"),
        _ => None,
    };
    let plan = drive::Plan {
        urls: t.bases.iter().map(|b| format!("{b}/webhooks/openphone")).collect(),
        secret: t.secret.clone(),
        to: server::FACILITY_NUMBER.to_owned(),
        messages: args.messages,
        rate: args.rate,
        concurrency: args.concurrency.max(1),
        salt,
    };
    let probe = match probe_target {
        Some(pt) => {
            overload::prepare(client, &pt).await?;
            let (client, progress) = (client.clone(), Arc::clone(&progress));
            Some(tokio::spawn(async move { overload::run(&client, &pt, &progress).await }))
        }
        None => None,
    };
    let soak_stop = Arc::new(AtomicBool::new(false));
    let soak_samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let soak_tasks = match (model, &t.token, t.children.first()) {
        (Some(model), Some(token), Some(child)) => {
            let every = Duration::from_secs(args.fault_every.max(2));
            let faults =
                soak::faults(client.clone(), base.clone(), token.clone(), model, every, Arc::clone(&soak_stop));
            let watch =
                soak::watch(child.pid.to_string(), child.port, Arc::clone(&soak_stop), Arc::clone(&soak_samples));
            Some((tokio::spawn(faults), tokio::spawn(watch)))
        }
        _ => None,
    };
    let sent = drive::run(client, plan, Arc::clone(&progress.acked)).await;
    soak_stop.store(true, Ordering::Release);
    let soak_faults = match soak_tasks {
        Some((faults, watch)) => {
            let _ = watch.await;
            Some(faults.await.unwrap_or_default())
        }
        None => None,
    };
    // The probes (if any) are counted too: the watcher waits for them.
    let probes = if probe.is_some() { 2 } else { 0 };
    progress.target.store(sent.sent.len() as u64 + probes, Ordering::Release);
    progress.sending_done.store(true, Ordering::Release);
    let seen = watcher.await.context("the /metrics watcher failed")?;
    let probe = match probe {
        Some(h) => {
            let p = h.await.context("the overload probe failed")??;
            let alerts = match (&t.schema, t.children.first()) {
                (Some(schema), _) => Some(schema.overflow_alerts().await?),
                (None, Some(child)) => Some(overload::sqlite_overflow_alerts(&child.dir.join("clubos.db"))?),
                (None, None) => None,
            };
            Some((alerts, p))
        }
        None => None,
    };
    let servers_after: Vec<_> = pids.iter().map(|p| procfs::read(p)).collect();
    let postgres_cpu = pg_before.map(|before| pg::cpu_between(&before, &pg::postgres_cpu()));
    let self_after = procfs::read("self");
    stop_dead.store(true, Ordering::Release);
    let max_dead = match dead_watch {
        Some(h) => h.await.unwrap_or_default(),
        None => (0, 0),
    };
    let queue = match &t.schema {
        Some(schema) => Some(pg::QueueStats { max_dead, ..schema.queue_stats().await? }),
        None => None,
    };

    let sampled = match &t.token {
        Some(token) if args.sample > 0 => {
            Some(sample::run(client, base, token, sample::pick(&sent.sent, args.sample)).await)
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
        servers: servers_before.into_iter().zip(servers_after).collect(),
        postgres_cpu,
        queue: queue.as_ref(),
        load_cpu: self_before.cpu.zip(self_after.cpu).map(|(a, b)| b.saturating_sub(a)),
    };
    let summary = r.print();
    let mut soak_ok = true;
    if let (Some(faults), Some(child)) = (&soak_faults, t.children.first()) {
        let samples = soak_samples.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (audit, waited) = soak::settled_audit(&child.dir.join("clubos.db")).await?;
        soak_ok = soak::print(&samples, faults, &audit, waited, args.concurrency.max(1));
    }
    if let Some((alerts, p)) = &probe {
        overload::print(p, *alerts, u64::from(args.workers) * t.bases.len() as u64);
    }
    Ok(ServiceRun { ok: summary.ok && soak_ok, e2e_rate: summary.e2e_rate })
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
