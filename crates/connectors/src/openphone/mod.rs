//! OpenPhone (now "Quo"): inbound webhook verification and payload parsing.

pub mod webhook;
