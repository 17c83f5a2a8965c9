//! The sandbox facility: bays, doors and an SMS line that behave like devices
//! (with latency, failures and hangs on demand) so the whole pipeline runs on
//! one machine with no accounts, and failure paths can be shown and tested.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use clubos_domain::{BayNumber, DoorId, LocationId, PhoneNumber};

use crate::device::{BayControl, ConnectorError, DeviceOutcome, DoorControl, SmsReceipt, SmsSender};

/// How a sandbox device behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Works and confirms.
    #[default]
    Succeed,
    /// Accepts the command but cannot confirm its effect.
    Unconfirmed,
    /// Refuses with an error, like a vendor API returning 500.
    Fail,
    /// Never answers (the action wrapper's timeout must fire).
    Hang,
}

/// A device of the sandbox, as addressed by the admin endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Device {
    Bay(LocationId, BayNumber),
    Door(LocationId, DoorId),
    Sms,
}

/// One call the sandbox received (for tests and the demo's log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    ResetTrackman(LocationId, BayNumber),
    RebootPc(LocationId, BayNumber),
    UnlockDoor(LocationId, DoorId),
    Sms { location: LocationId, to: PhoneNumber, body: String },
}

#[derive(Debug, Default)]
struct State {
    modes: HashMap<Device, Mode>,
    calls: Vec<Call>,
    sent: u64,
}

/// The sandbox facility. Clones share state.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    state: Arc<Mutex<State>>,
    latency: Duration,
}

/// Calls kept for inspection; older ones are dropped so a long demo run does
/// not grow without bound.
const KEEP_CALLS: usize = 10_000;

impl Sandbox {
    /// A sandbox whose devices answer after `latency` (default: immediately).
    pub fn new(latency: Duration) -> Self {
        Self { state: Arc::default(), latency }
    }

    pub fn set_mode(&self, device: Device, mode: Mode) {
        self.lock().modes.insert(device, mode);
    }

    pub fn mode(&self, device: &Device) -> Mode {
        self.lock().modes.get(device).copied().unwrap_or_default()
    }

    /// Calls received so far, oldest first (at most the last 10,000).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Device commands received (SMS excluded), all time.
    pub fn device_calls(&self) -> Vec<Call> {
        self.lock().calls.iter().filter(|c| !matches!(c, Call::Sms { .. })).cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, call: Call) {
        let mut s = self.lock();
        if s.calls.len() >= KEEP_CALLS {
            s.calls.drain(..KEEP_CALLS / 2);
        }
        s.calls.push(call);
    }

    async fn behave(&self, device: Device, what: &'static str) -> Result<DeviceOutcome, ConnectorError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        match self.mode(&device) {
            Mode::Succeed => Ok(DeviceOutcome::Confirmed),
            Mode::Unconfirmed => Ok(DeviceOutcome::Unconfirmed),
            Mode::Fail => Err(ConnectorError::Rejected {
                vendor: "sandbox",
                message: format!("{what}: simulated device error (HTTP 500)"),
            }),
            Mode::Hang => std::future::pending().await,
        }
    }
}

#[async_trait]
impl BayControl for Sandbox {
    async fn reset_trackman(
        &self,
        location: &LocationId,
        bay: BayNumber,
        _: Duration,
    ) -> Result<DeviceOutcome, ConnectorError> {
        self.record(Call::ResetTrackman(location.clone(), bay));
        self.behave(Device::Bay(location.clone(), bay), "reset_trackman").await
    }

    async fn reboot_pc(
        &self,
        location: &LocationId,
        bay: BayNumber,
        _: Duration,
    ) -> Result<DeviceOutcome, ConnectorError> {
        self.record(Call::RebootPc(location.clone(), bay));
        self.behave(Device::Bay(location.clone(), bay), "reboot_pc").await
    }
}

#[async_trait]
impl DoorControl for Sandbox {
    async fn unlock_door(&self, location: &LocationId, door: &DoorId) -> Result<DeviceOutcome, ConnectorError> {
        self.record(Call::UnlockDoor(location.clone(), door.clone()));
        self.behave(Device::Door(location.clone(), door.clone()), "unlock_door").await
    }
}

#[async_trait]
impl SmsSender for Sandbox {
    async fn send_sms(
        &self,
        location: &LocationId,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<SmsReceipt, ConnectorError> {
        self.record(Call::Sms { location: location.clone(), to: to.clone(), body: body.to_owned() });
        self.behave(Device::Sms, "send_sms").await?;
        let mut s = self.lock();
        s.sent += 1;
        Ok(SmsReceipt { provider_id: format!("sandbox-{}", s.sent) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn modes_succeed_fail_and_hang() {
        let sb = Sandbox::default();
        let loc = LocationId::parse("sandbox").unwrap();
        let bay = BayNumber::new(2).unwrap();
        assert_eq!(sb.reset_trackman(&loc, bay, Duration::from_secs(1)).await, Ok(DeviceOutcome::Confirmed));
        sb.set_mode(Device::Bay(loc.clone(), bay), Mode::Fail);
        assert!(matches!(
            sb.reset_trackman(&loc, bay, Duration::from_secs(1)).await,
            Err(ConnectorError::Rejected { .. })
        ));
        sb.set_mode(Device::Bay(loc.clone(), bay), Mode::Hang);
        let hung =
            tokio::time::timeout(Duration::from_millis(20), sb.reboot_pc(&loc, bay, Duration::from_secs(1))).await;
        assert!(hung.is_err(), "hang never answers");
        let door = DoorId::parse("front").unwrap();
        sb.set_mode(Device::Door(loc.clone(), door.clone()), Mode::Unconfirmed);
        assert_eq!(sb.unlock_door(&loc, &door).await, Ok(DeviceOutcome::Unconfirmed));
        assert_eq!(sb.device_calls().len(), 4);
        let to = PhoneNumber::parse_e164("+19025550100").unwrap();
        assert_eq!(sb.send_sms(&loc, &to, "hi").await.unwrap().provider_id, "sandbox-1");
        assert!(matches!(sb.calls().last(), Some(Call::Sms { body, .. }) if body == "hi"));
    }
}
