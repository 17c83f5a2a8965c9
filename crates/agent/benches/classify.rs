//! Criterion benchmark of the local classifier: `classify_text` on typical
//! customer texts (goal: well under 50 µs each), and building the index.
//!
//! `cargo bench -p clubos-agent --bench classify`

use std::hint::black_box;

use clubos_agent::LocalClassifier;
use clubos_agent::sop::load_starter_sops;
use criterion::{Criterion, criterion_group, criterion_main};

const TEXTS: &[(&str, &str)] = &[
    ("short tech", "trackman frozen bay 3"),
    ("access with typo", "dor wont opn, been waiting outside 10 min 😡"),
    (
        "long two-intent",
        "Hi there, we just started our round in simulator 4 and the screen froze on the \
         second hole, nothing happens when we click. Also, what time do you close tonight? Thanks!",
    ),
    ("faq", "do you guys have left handed clubs i can use?"),
    ("none", "perfect, thanks so much!"),
];

fn classify(c: &mut Criterion) {
    let classifier = LocalClassifier::with_starter_sops();
    let mut g = c.benchmark_group("local_classifier");
    for (name, text) in TEXTS {
        g.bench_function(format!("classify_text/{name}"), |b| {
            b.iter(|| classifier.classify_text(black_box(text), None))
        });
    }
    g.bench_function("classify_text/all five", |b| {
        b.iter(|| {
            for (_, text) in TEXTS {
                black_box(classifier.classify_text(black_box(text), None));
            }
        })
    });
    g.finish();

    let sops = load_starter_sops();
    let mut g = c.benchmark_group("local_classifier_build");
    g.sample_size(10);
    g.bench_function("new (33 starter SOPs)", |b| b.iter(|| LocalClassifier::new(black_box(sops.clone())).unwrap()));
    g.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
