//! Printing what `clubos load` measured (stdout), and judging the run: every
//! webhook 2xx and every accepted message decided in time.

use std::time::{Duration, Instant};

use super::Args;
use super::drive::Outcome;
use super::pg::QueueStats;
use super::procfs::{ProcStats, mib};
use super::raw::{ROWS_PER_MESSAGE, RawFigures, TXS_PER_MESSAGE};
use super::sample::Sampled;
use super::scrape::Scrape;
use super::stats::{bucket_percentile, ms, per_second};
use super::watch::{Seen, steady_rate};

/// Everything the service report shows.
#[derive(Debug)]
pub struct Service<'a> {
    pub args: &'a Args,
    pub sent: &'a Outcome,
    pub seen: &'a Seen,
    pub baseline: &'a Scrape,
    pub started: Instant,
    pub sampled: Option<&'a Sampled>,
    /// Each started server process before and after the run.
    pub servers: Vec<(ProcStats, ProcStats)>,
    /// CPU of the PostgreSQL server's processes during the run.
    pub postgres_cpu: Option<Duration>,
    /// The queue table after the run (PostgreSQL).
    pub queue: Option<&'a QueueStats>,
    pub load_cpu: Option<Duration>,
}

/// The verdict of a run.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub ok: bool,
    /// Accepted messages per second, first send to last decision.
    pub e2e_rate: f64,
}

impl Service<'_> {
    pub fn print(&self) -> Verdict {
        let (a, s, seen) = (self.args, self.sent, self.seen);
        let accepted = s.sent.len() as u64;
        let decided = seen.last.decisions - self.baseline.decisions;
        let e2e = seen.done_at.map(|t| t - self.started);
        let e2e_rate = e2e.map_or(0.0, |d| per_second(accepted, d));
        let rate = if a.rate > 0.0 { format!("{} msg/s", a.rate) } else { "max".to_owned() };
        println!();
        let db = if a.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
        println!(
            "clubos load: {} messages, rate {rate}, {} connections, {} instance(s) on {db}, {} workers each",
            a.messages, a.concurrency, a.instances, a.workers
        );
        println!("  webhooks           {accepted} accepted (2xx), {} failed", s.failed);
        for f in &s.failures {
            println!("                     {f}");
        }
        println!(
            "  elapsed            {:.2} s to the last ack, {} to the last decision",
            s.elapsed.as_secs_f64(),
            e2e.map_or_else(|| "—".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
        );
        println!("  ack throughput     {:.0} msg/s", per_second(accepted, s.elapsed));
        let steady = steady_rate(&seen.timeline, accepted as f64, 0.1, 0.9)
            .map_or(String::new(), |r| format!("  (10–90 % of decisions: {r:.0} msg/s)"));
        match e2e {
            Some(_) => println!("  e2e throughput     {e2e_rate:.0} msg/s{steady}"),
            None => println!("  e2e throughput     — (not every message was decided){steady}"),
        }
        println!("  ack latency        {}", s.ack.summary());
        if a.rate > 0.0 {
            println!("  schedule           largest send delay behind schedule {}", ms(s.max_lag));
        }
        if let Some(sm) = self.sampled {
            println!(
                "  e2e → decision     {}   (send → decision record, {} sampled threads, ±1 ms)",
                sm.to_decision.summary(),
                sm.threads
            );
            println!("  e2e → reply        {}   (send → reply SMS recorded)", sm.to_reply.summary());
            if sm.unreplied > 0 {
                println!("                     {} sampled threads have no reply", sm.unreplied);
            }
            for e in sm.errors.iter().take(3) {
                println!("                     {e}");
            }
        }
        let buckets = diff_buckets(&seen.last.processing, &self.baseline.processing);
        if let (Some(p50), Some(p99)) = (bucket_percentile(&buckets, 50.0), bucket_percentile(&buckets, 99.0)) {
            println!(
                "  server histogram   arrival → decision p50 ≈ {} p99 ≈ {}   (clubos_processing_seconds, bucket-interpolated)",
                ms(Duration::from_secs_f64(p50)),
                ms(Duration::from_secs_f64(p99))
            );
        }
        let claim = diff_buckets(&seen.last.claim, &self.baseline.claim);
        if let (Some(p50), Some(p99)) = (bucket_percentile(&claim, 50.0), bucket_percentile(&claim, 99.0)) {
            let over = claim.iter().find(|b| b.0 >= 0.01).map_or(0.0, |b| claim.last().map_or(0.0, |l| l.1) - b.1);
            println!(
                "  queue claim        p50 ≈ {} p99 ≈ {}   ({:.0} claims over every instance; clubos_queue_claim_seconds, \
                 bucket resolution, interpolated; {over:.0} over 10 ms)",
                ms(Duration::from_secs_f64(p50)),
                ms(Duration::from_secs_f64(p99)),
                claim.last().map_or(0.0, |l| l.1),
            );
        }
        println!("  decisions          {decided:.0}: {}", counts(&seen.last.by_decision, &self.baseline.by_decision));
        println!("  actions            {}", counts(&seen.last.actions, &self.baseline.actions));
        let last_poll = seen.timeline.last().map(|t| t.0);
        let wall = e2e.or(last_poll).unwrap_or(s.elapsed).as_secs_f64().max(1e-9);
        let cores = |c: Duration| format!("{:.1} s = {:.2} cores", c.as_secs_f64(), c.as_secs_f64() / wall);
        for (i, (before, after)) in self.servers.iter().enumerate() {
            let cpu = after.cpu.zip(before.cpu).map(|(b, a)| b.saturating_sub(a));
            println!(
                "  server #{}          RSS {} (peak {}), {} threads, {} open fds, CPU {}",
                i + 1,
                mib(after.rss_kib),
                mib(after.peak_rss_kib),
                after.threads.map_or("?".into(), |n| n.to_string()),
                after.open_fds.map_or("?".into(), |n| n.to_string()),
                cpu.map_or("?".into(), cores),
            );
        }
        if let Some(c) = self.postgres_cpu {
            println!("  postgres           CPU {} (every `postgres` process on the machine)", cores(c));
        }
        if let Some(q) = self.queue {
            println!(
                "  queue table        {} dead / {} live tuples at the end (at most {} dead in {} readings during the run), \
                 {} autovacuums, last {}, {} KiB; server autovacuum = {}, naptime {}; options {}",
                q.dead,
                q.live,
                q.max_dead.0,
                q.max_dead.1,
                q.autovacuum_count,
                q.last_autovacuum.as_deref().unwrap_or("never"),
                q.bytes / 1024,
                q.autovacuum,
                q.naptime,
                q.options.as_deref().unwrap_or("(defaults)"),
            );
        }
        if let Some(c) = self.load_cpu {
            println!("  load process       CPU {:.1} s (the sender shares the machine)", c.as_secs_f64());
        }
        let mut ok = true;
        if s.failed > 0 {
            println!("FAIL: {} webhooks were not accepted", s.failed);
            ok = false;
        }
        if seen.done_at.is_none() && seen.drained_short {
            println!(
                "FAIL: the queue is empty but only {decided:.0} of {accepted} messages got an AI decision; the rest were \
                 handed to humans before the AI reached them (e.g. the 5-minute customer-waiting rule during a backlog)"
            );
            ok = false;
        } else if seen.done_at.is_none() {
            println!("FAIL: {decided:.0} of {accepted} messages decided within {} s of the last webhook", a.timeout);
            ok = false;
        }
        if let Some(sm) = self.sampled.filter(|sm| sm.undecided > 0 || !sm.errors.is_empty()) {
            println!("FAIL: {} sampled threads without a decision, {} read errors", sm.undecided, sm.errors.len());
            ok = false;
        }
        Verdict { ok, e2e_rate }
    }
}

/// Cumulative buckets of this run: `after − before`, bound by bound.
pub fn diff_buckets(after: &[(f64, f64)], before: &[(f64, f64)]) -> Vec<(f64, f64)> {
    after.iter().map(|&(le, n)| (le, n - before.iter().find(|b| b.0 == le).map_or(0.0, |b| b.1))).collect()
}

/// `key n, key n` of the counters that moved, largest first.
fn counts(after: &std::collections::BTreeMap<String, f64>, before: &std::collections::BTreeMap<String, f64>) -> String {
    let mut moved: Vec<(&str, f64)> = after
        .iter()
        .map(|(k, v)| (k.as_str(), v - before.get(k).copied().unwrap_or(0.0)))
        .filter(|(_, v)| *v > 0.0)
        .collect();
    moved.sort_by(|a, b| b.1.total_cmp(&a.1));
    moved.iter().map(|(k, v)| format!("{k} {v:.0}")).collect::<Vec<_>>().join(", ")
}

/// The raw SQLite figures, and the ratio to the service's when given.
pub fn raw(r: &RawFigures, service_rate: Option<f64>) {
    let per_msg = per_second(r.messages, r.elapsed);
    println!();
    println!("raw SQLite (rusqlite, WAL, synchronous NORMAL, the service's schema), {} messages", r.messages);
    println!(
        "  6 transactions/message  {:.2} s: {per_msg:.0} messages/s, {:.0} transactions/s, {:.0} rows/s",
        r.elapsed.as_secs_f64(),
        per_msg * TXS_PER_MESSAGE as f64,
        per_msg * ROWS_PER_MESSAGE as f64,
    );
    let one = per_second(r.messages, r.one_tx_elapsed);
    println!(
        "  1 transaction/message   {:.2} s: {one:.0} messages/s, {:.0} rows/s",
        r.one_tx_elapsed.as_secs_f64(),
        one * ROWS_PER_MESSAGE as f64
    );
    if let Some(s) = service_rate {
        println!(
            "  service / raw           {s:.0} / {per_msg:.0} = {:.3} ({:.1}× under the raw limit)",
            s / per_msg,
            per_msg / s.max(1e-9)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_of_the_run_subtract_the_baseline() {
        let before = [(0.001, 2.0), (f64::INFINITY, 3.0)];
        let after = [(0.001, 5.0), (f64::INFINITY, 10.0)];
        assert_eq!(diff_buckets(&after, &before), vec![(0.001, 3.0), (f64::INFINITY, 7.0)]);
        let mut a = std::collections::BTreeMap::new();
        a.insert("reply/none".to_owned(), 5.0);
        a.insert("escalate/no_match".to_owned(), 9.0);
        a.insert("defer/rate_limited".to_owned(), 1.0);
        let mut b = std::collections::BTreeMap::new();
        b.insert("defer/rate_limited".to_owned(), 1.0);
        assert_eq!(counts(&a, &b), "escalate/no_match 9, reply/none 5");
    }
}
