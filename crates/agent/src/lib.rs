//! ClubOS OperatorGPT agent: SOP records, the `Classifier` contract, the
//! local classifier of the embedded default (exact phrases, regexes,
//! variants and misspellings → similarity and BM25 → context and
//! dependencies) with its accuracy evaluation, the LLM providers, the local
//! ingestion of uploaded documents and Claude's SOP review tasks.
//!
//! ```
//! use clubos_agent::LocalClassifier;
//! use clubos_domain::{Category, Proposal};
//!
//! let c = LocalClassifier::with_starter_sops();
//! let got = c.classify_text("trackman frozen bay 3", None);
//! assert_eq!(got.category, Some(Category::Tech));
//! assert!(matches!(got.proposal, Proposal::ResetTrackman { bay: Some(b) } if b.get() == 3));
//! assert!(got.confidence.get() >= 0.85);
//! ```
//!
//! Accuracy on the labelled sets:
//! `cargo run --release -p clubos-agent --example classifier_eval -- data/labelled/dev.jsonl data/labelled/holdout.jsonl`.

pub mod classifier;
pub mod eval;
pub mod ingest;
pub mod llm;
pub mod local;
pub mod review;
pub mod sop;

pub use classifier::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
pub use local::{BuildError, Explanation, LocalClassifier};
pub use sop::{
    Sop, SopAction, SopContext, SopError, SopLoadError, SopTriggers, load_starter_sops, parse_sops,
    try_load_starter_sops, validate_all,
};
