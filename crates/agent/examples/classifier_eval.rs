//! Prints the local classifier's accuracy report for labelled JSONL files.
//!
//! ```text
//! cargo run --release -p clubos-agent --example classifier_eval -- \
//!     data/labelled/dev.jsonl data/labelled/holdout.jsonl [--verbose] [--limit N]
//! ```
//! `--verbose` also lists the worst misclassifications (wrong category first,
//! most confident first) with the evidence behind each; `--explain TEXT`
//! shows the evidence for one text; `--all` shows it for every sample.

use std::process::ExitCode;

use clubos_agent::LocalClassifier;
use clubos_agent::eval::{evaluate, parse_samples};

fn main() -> ExitCode {
    let mut verbose = false;
    let mut limit = 25usize;
    let mut all = false;
    let mut files = Vec::new();
    let classifier = LocalClassifier::with_starter_sops();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--all" => all = true,
            "--explain" => match args.next() {
                Some(t) => {
                    let c = classifier.classify_text(&t, None);
                    println!("{t:?}\n{c:?}\n{}", classifier.explain(&t, None));
                    return ExitCode::SUCCESS;
                }
                None => return usage("--explain needs a text"),
            },
            "--limit" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => limit = n,
                None => return usage("--limit needs a number"),
            },
            "--help" | "-h" => return usage(""),
            f if f.starts_with('-') => return usage(&format!("unknown option {f}")),
            f => files.push(f.to_owned()),
        }
    }
    if files.is_empty() {
        return usage("give at least one labelled .jsonl file");
    }
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let samples = match parse_samples(&text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if all {
            for s in &samples {
                let want = s.category.map_or("none".into(), |c| c.to_string());
                println!("- expected {want}.{}: {:?}", s.sub_intent.as_deref().unwrap_or("-"), s.text);
                print!("{}", classifier.explain(&s.text, None));
            }
        }
        let report = evaluate(&classifier, &samples);
        println!("== {file}\n{report}");
        if verbose {
            println!("worst misclassifications ({} in all):", report.misses.len());
            for m in report.misses.iter().take(limit) {
                let mark = if m.category_wrong { "CATEGORY" } else { "sub-intent" };
                println!("- [{mark}] {:.2} expected {} got {}: {:?}", m.confidence, m.expected, m.got, m.text);
                print!("{}", classifier.explain(&m.text, None));
            }
            println!();
        }
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!("usage: classifier_eval FILE.jsonl... [--verbose] [--limit N] [--all] | --explain TEXT");
    if problem.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) }
}
