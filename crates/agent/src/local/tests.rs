//! Unit tests of the local classifier: bays, normalisation, precedence,
//! none texts, emoji, confidence and the async trait.
