//! Criterion benchmark of the local classifier.
fn main() {}
