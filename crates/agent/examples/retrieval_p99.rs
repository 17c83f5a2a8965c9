//! Latency percentiles of one SOP retrieval (a full local classification)
//! against the starter SOPs plus 5,000 synthetic ones: builds the
//! classifier once, warms up, then times `N` queries one by one (a mix of
//! exact hits, misspellings, paraphrases, starter texts and texts for no
//! SOP), at a location at noon, and prints p50/p90/p99/p99.9/max, overall
//! and per kind.
//!
//! ```text
//! cargo run --release -p clubos-agent --example retrieval_p99 -- [--sops 5000] [--queries 10000]
//! ```

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clubos_agent::LocalClassifier;
use clubos_agent::local::Situation;
use clubos_domain::LocationId;

fn main() -> ExitCode {
    let mut n_sops = 5_000usize;
    let mut n_queries = 10_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), value) {
            ("--sops", Some(v)) if v > 0 => n_sops = v,
            ("--queries", Some(v)) => n_queries = v,
            _ => {
                eprintln!("usage: retrieval_p99 [--sops N (at least 1)] [--queries N]");
                return ExitCode::from(2);
            }
        }
    }
    let (sops, topics) = synthetic::sops(n_sops);
    let total = sops.len();
    let t = Instant::now();
    let classifier = LocalClassifier::new(sops).expect("the synthetic set compiles");
    println!(
        "built the classifier over {total} SOPs in {:.2} s; resident memory now {}",
        t.elapsed().as_secs_f64(),
        rss().unwrap_or_else(|| "unknown".into())
    );
    let queries = synthetic::queries(&topics, 1_000);
    // A location some synthetic SOPs are limited to, at noon: the context
    // filter has work to do.
    let location = LocationId::parse(synthetic::LOCATIONS[0]).expect("slug");
    let at = Situation { location: Some(&location), local: Some(jiff::civil::date(2026, 7, 1).at(12, 0, 0, 0)) };
    // What the mix retrieves (one pass, also the warm-up): per kind, the
    // texts answered with an SOP, and with the SOP they were written from.
    let mut outcomes: Vec<(&str, usize, usize, usize, usize)> = Vec::new();
    for q in queries.iter().chain(&queries) {
        let got = classifier.classify_in(&q.text, None, &at).matched_sop.map(|s| s.to_string());
        let tie = classifier.explain_in(&q.text, None, &at).tie;
        let row = match outcomes.iter().position(|o| o.0 == q.kind) {
            Some(k) => &mut outcomes[k],
            None => {
                outcomes.push((q.kind, 0, 0, 0, 0));
                outcomes.last_mut().expect("just pushed")
            }
        };
        row.1 += 1;
        row.2 += usize::from(got.is_some());
        row.3 += usize::from(got.is_some() && got == q.target);
        row.4 += usize::from(tie);
    }
    println!(
        "the mix (texts; answered with an SOP; with the SOP the text was written from; \
         ties, where classify_in runs BM25):"
    );
    for (kind, n, answered, intended, ties) in &outcomes {
        let intended =
            if matches!(*kind, "exact" | "misspelling" | "paraphrase") { intended.to_string() } else { "-".into() };
        println!("  {kind:<12} {n:>5} {answered:>5} {intended:>5} {ties:>5}");
    }
    let mut all = Vec::with_capacity(n_queries);
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    for q in queries.iter().cycle().take(n_queries) {
        let t = Instant::now();
        black_box(classifier.classify_in(black_box(&q.text), None, &at));
        let d = t.elapsed();
        all.push(d);
        match by_kind.iter_mut().find(|(k, _)| *k == q.kind) {
            Some((_, v)) => v.push(d),
            None => by_kind.push((q.kind, vec![d])),
        }
    }
    println!("classify_in: {n_queries} queries, one at a time, against {total} SOPs (times in µs):");
    report("all", &mut all);
    for (kind, v) in &mut by_kind {
        report(kind, v);
    }
    // The same texts with the full-text stage on every text (as
    // `explain_in` runs it), building the explanation too: an upper bound.
    let mut all = Vec::with_capacity(n_queries);
    for q in queries.iter().cycle().take(n_queries) {
        let t = Instant::now();
        black_box(classifier.explain_in(black_box(&q.text), None, &at));
        all.push(t.elapsed());
    }
    println!("explain_in (BM25 on every text, plus the explanation):");
    report("all", &mut all);
    ExitCode::SUCCESS
}

fn report(what: &str, d: &mut [Duration]) {
    d.sort_unstable();
    let at = |p: f64| d[((d.len() as f64 * p).ceil() as usize).clamp(1, d.len()) - 1];
    let us = |x: Duration| x.as_secs_f64() * 1e6;
    println!(
        "  {what:<12} n={:<6} p50 {:>7.1}  p90 {:>7.1}  p99 {:>7.1}  p99.9 {:>7.1}  max {:>7.1}",
        d.len(),
        us(at(0.50)),
        us(at(0.90)),
        us(at(0.99)),
        us(at(0.999)),
        us(d[d.len() - 1]),
    );
}

/// This process's resident memory (Linux), e.g. "61 MB".
fn rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(format!("{} MB", kb / 1024))
}
