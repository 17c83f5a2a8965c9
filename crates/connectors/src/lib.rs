//! Vendor connectors: one module per vendor.

pub mod openphone;
