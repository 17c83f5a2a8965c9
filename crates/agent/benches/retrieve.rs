//! Criterion benchmark of SOP retrieval at scale (issue 5): one local
//! classification — exact phrases, regexes, variants and misspellings,
//! full-text relevance (BM25), the context filter and dependencies — over
//! the starter SOPs plus 5,000 synthetic ones, for each kind of text
//! (exact hit, misspelling, paraphrase, starter text, no SOP), and a cycle
//! through 1,000 mixed texts. Goal: p99 under 1 ms per query; criterion
//! reports means and medians, `examples/retrieval_p99.rs` the percentiles.
//!
//! `cargo bench -p clubos-agent --bench retrieve`

#[path = "synthetic/mod.rs"]
mod synthetic;

use std::hint::black_box;

use clubos_agent::LocalClassifier;
use clubos_agent::local::Situation;
use clubos_domain::LocationId;
use criterion::{Criterion, criterion_group, criterion_main};

fn retrieve(c: &mut Criterion) {
    let (sops, topics) = synthetic::sops(5_000);
    let n = sops.len();
    let classifier = LocalClassifier::new(sops).expect("the synthetic set compiles");
    let queries = synthetic::queries(&topics, 1_000);
    let location = LocationId::parse(synthetic::LOCATIONS[0]).expect("slug");
    let at = Situation { location: Some(&location), local: Some(jiff::civil::date(2026, 7, 1).at(12, 0, 0, 0)) };

    let mut g = c.benchmark_group(format!("retrieve_{n}_sops"));
    for kind in ["exact", "misspelling", "paraphrase", "starter", "none"] {
        let texts: Vec<&str> = queries.iter().filter(|q| q.kind == kind).map(|q| q.text.as_str()).collect();
        let mut i = 0;
        g.bench_function(format!("classify_in/{kind}"), |b| {
            b.iter(|| {
                i = (i + 1) % texts.len();
                classifier.classify_in(black_box(texts[i]), None, &at)
            })
        });
    }
    let mut i = 0;
    g.bench_function("classify_in/mixed", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            classifier.classify_in(black_box(&queries[i].text), None, &at)
        })
    });
    g.finish();

    let (sops, _) = synthetic::sops(5_000);
    let mut g = c.benchmark_group("retrieve_build");
    g.sample_size(10);
    g.bench_function(format!("new ({n} SOPs)"), |b| b.iter(|| LocalClassifier::new(black_box(sops.clone())).unwrap()));
    g.finish();
}

criterion_group!(benches, retrieve);
criterion_main!(benches);
