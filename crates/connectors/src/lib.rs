//! Vendor connectors: one module per vendor, behind the traits the action
//! wrapper calls ([`BayControl`], [`DoorControl`], [`SmsSender`]), plus the
//! sandbox facility that behaves like real devices for the demo and tests.

pub mod bookings;
mod device;
pub mod http;
pub mod ninjaone;
pub mod openphone;
pub mod sandbox;
pub mod slack;
pub mod unifi;

pub use device::{BayControl, ConnectorError, DeviceOutcome, DoorControl, SmsReceipt, SmsSender};
