//! ClubOS OperatorGPT agent: SOP records, the `Classifier` contract, and the
//! local classifier of the embedded default (keywords → SOP triggers →
//! similarity) with its accuracy evaluation.

pub mod classifier;
pub mod eval;
pub mod local;
pub mod sop;

pub use classifier::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
pub use local::{BuildError, Explanation, LocalClassifier};
pub use sop::{
    Sop, SopAction, SopContext, SopError, SopLoadError, SopTriggers, load_starter_sops, parse_sops,
    try_load_starter_sops, validate_all,
};
