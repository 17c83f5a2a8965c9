//! OpenPhone (now "Quo"): inbound webhook verification and payload parsing,
//! and outbound SMS.

pub mod sms;
pub mod split;
pub mod webhook;
