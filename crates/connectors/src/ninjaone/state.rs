//! A bay PC's state as NinjaOne reports it (`GET {base}/v2/device/{id}`),
//! and the rules that decide from successive readings whether a command
//! took effect.
//!
//! What "confirmed" means: for the TrackMan script, the PC's agent is online
//! and has reported to NinjaOne since the script was queued (NinjaOne hands
//! queued scripts to an online agent at once). For a reboot, NinjaOne shows
//! a boot after the command, or the PC was seen going offline and coming
//! back. Anything short of that by the deadline is `success_unconfirmed`.

use serde::Deserialize;

/// The fields of NinjaOne's device record that ClubOS reads.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceState {
    #[serde(default)]
    pub offline: bool,
    /// Epoch seconds (fractional) of the agent's last report.
    pub last_contact: Option<f64>,
    #[serde(default)]
    pub os: Option<Os>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Os {
    /// Epoch seconds of the last boot.
    pub last_boot_time: Option<f64>,
}

impl DeviceState {
    fn last_boot(&self) -> Option<f64> {
        self.os.and_then(|o| o.last_boot_time)
    }
}

/// What is being confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    ScriptDelivered,
    Rebooted,
}

/// Successive readings after a command sent at `sent_at` (epoch seconds).
#[derive(Debug, Clone, Copy)]
pub struct Confirmation {
    expect: Expect,
    sent_at: f64,
    seen_offline: bool,
}

impl Confirmation {
    pub fn new(expect: Expect, sent_at: f64) -> Self {
        Self { expect, sent_at, seen_offline: false }
    }

    /// Takes one reading; `true` once the effect is confirmed.
    pub fn observe(&mut self, s: &DeviceState) -> bool {
        if s.offline {
            self.seen_offline = true;
            return false;
        }
        let reported_since = s.last_contact.is_some_and(|t| t >= self.sent_at);
        match self.expect {
            Expect::ScriptDelivered => reported_since,
            Expect::Rebooted => {
                s.last_boot().is_some_and(|t| t >= self.sent_at) || (self.seen_offline && reported_since)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(json: &str) -> DeviceState {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_ninjaones_device_record() {
        let s = state(
            r#"{"id":101,"organizationId":2,"locationId":3,"nodeClass":"WINDOWS_WORKSTATION","displayName":"BAY-3",
                "offline":false,"lastContact":1795600000.25,"lastUpdate":1795600001.5,
                "os":{"name":"Windows 11 Pro","lastBootTime":1795500000.0},"system":{"name":"BAY-3"}}"#,
        );
        assert!(!s.offline);
        assert_eq!(s.last_contact, Some(1_795_600_000.25));
        assert_eq!(s.last_boot(), Some(1_795_500_000.0));
        let bare = state(r#"{"id":101}"#);
        assert_eq!((bare.offline, bare.last_contact, bare.last_boot()), (false, None, None));
    }

    #[test]
    fn a_script_is_confirmed_by_a_report_after_it_was_queued() {
        let mut c = Confirmation::new(Expect::ScriptDelivered, 1000.0);
        assert!(!c.observe(&state(r#"{"offline":false,"lastContact":999.0}"#)), "report before the command");
        assert!(!c.observe(&state(r#"{"offline":true,"lastContact":1001.0}"#)), "offline");
        assert!(c.observe(&state(r#"{"offline":false,"lastContact":1001.0}"#)));
    }

    #[test]
    fn a_reboot_needs_a_new_boot_or_an_offline_online_cycle() {
        let mut by_boot = Confirmation::new(Expect::Rebooted, 1000.0);
        let before = r#"{"offline":false,"lastContact":1002.0,"os":{"lastBootTime":500.0}}"#;
        assert!(!by_boot.observe(&state(before)), "still the old boot, even though it reported");
        assert!(by_boot.observe(&state(r#"{"offline":false,"lastContact":1040.0,"os":{"lastBootTime":1030.0}}"#)));

        let mut by_cycle = Confirmation::new(Expect::Rebooted, 1000.0);
        assert!(!by_cycle.observe(&state(r#"{"offline":false,"lastContact":1001.0}"#)));
        assert!(!by_cycle.observe(&state(r#"{"offline":true,"lastContact":1001.0}"#)));
        assert!(by_cycle.observe(&state(r#"{"offline":false,"lastContact":1060.0}"#)));
    }
}
