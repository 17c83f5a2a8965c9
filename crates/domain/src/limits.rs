//! Deployment limits (seed [1.5]): rate limits, per-action caps, token caps,
//! queue size and per-action timeouts. Every one is configurable.

use jiff::SignedDuration;

use crate::enums::ActionKind;

/// Limits that apply to the whole deployment. Deserialises from the config's
/// `[limits]` table; every key is optional and defaults to the seed's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// At most one LLM call per thread in this many seconds (seed: 15).
    pub thread_llm_interval_seconds: u64,
    /// At most this many TrackMan resets per bay … (seed: 2)
    pub resets_per_bay: u32,
    /// … in any rolling window of this many minutes (seed: 60).
    pub reset_window_minutes: u32,
    /// Successful door unlocks per booking; failed ones do not count (seed: 1).
    pub unlocks_per_booking: u32,
    /// Maximum tokens of one LLM response (seed: 500).
    pub max_tokens_per_response: u32,
    /// Waiting queue items above which an operator is alerted (default 100).
    pub queue_max: u32,
    /// "Active booking" means now within the booking ± this many minutes (10).
    pub booking_grace_minutes: u32,
    pub timeouts: ActionTimeouts,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            thread_llm_interval_seconds: 15,
            resets_per_bay: 2,
            reset_window_minutes: 60,
            unlocks_per_booking: 1,
            max_tokens_per_response: 500,
            queue_max: 100,
            booking_grace_minutes: 10,
            timeouts: ActionTimeouts::default(),
        }
    }
}

impl Limits {
    pub fn thread_llm_interval(&self) -> SignedDuration {
        SignedDuration::from_secs(self.thread_llm_interval_seconds as i64)
    }

    pub fn reset_window(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.reset_window_minutes))
    }

    pub fn booking_grace(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.booking_grace_minutes))
    }

    /// Refuses values that would make the service unusable.
    pub fn validate(&self) -> Result<(), String> {
        if self.reset_window_minutes == 0 {
            return Err("reset_window_minutes must be at least 1".into());
        }
        if self.max_tokens_per_response == 0 {
            return Err("max_tokens_per_response must be at least 1".into());
        }
        if self.queue_max == 0 {
            return Err("queue_max must be at least 1".into());
        }
        self.timeouts.validate()
    }
}

/// How long the action wrapper waits for a device to confirm.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionTimeouts {
    pub reset_trackman_seconds: u32,
    pub unlock_door_seconds: u32,
    pub reboot_pc_seconds: u32,
    pub send_reply_seconds: u32,
}

impl Default for ActionTimeouts {
    fn default() -> Self {
        Self { reset_trackman_seconds: 30, unlock_door_seconds: 5, reboot_pc_seconds: 120, send_reply_seconds: 10 }
    }
}

impl ActionTimeouts {
    pub fn for_action(&self, kind: ActionKind) -> SignedDuration {
        let s = match kind {
            ActionKind::ResetTrackman => self.reset_trackman_seconds,
            ActionKind::UnlockDoor => self.unlock_door_seconds,
            ActionKind::RebootPc => self.reboot_pc_seconds,
            ActionKind::SendReply => self.send_reply_seconds,
        };
        SignedDuration::from_secs(i64::from(s))
    }

    fn validate(&self) -> Result<(), String> {
        for kind in ActionKind::ALL {
            let t = self.for_action(*kind);
            if t.is_zero() || t > SignedDuration::from_mins(10) {
                return Err(format!("timeouts.{kind}_seconds must be from 1 to 600"));
            }
        }
        Ok(())
    }
}

/// A location's LLM token caps; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TokenCaps {
    pub daily: Option<u64>,
    pub monthly: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seeds() {
        let l = Limits::default();
        assert_eq!(l.thread_llm_interval(), SignedDuration::from_secs(15));
        assert_eq!((l.resets_per_bay, l.reset_window_minutes, l.unlocks_per_booking), (2, 60, 1));
        assert_eq!((l.max_tokens_per_response, l.queue_max), (500, 100));
        assert_eq!(l.timeouts.for_action(ActionKind::ResetTrackman), SignedDuration::from_secs(30));
        assert_eq!(l.timeouts.for_action(ActionKind::UnlockDoor), SignedDuration::from_secs(5));
        assert_eq!(l.timeouts.for_action(ActionKind::RebootPc), SignedDuration::from_secs(120));
        assert!(l.validate().is_ok());
    }

    #[test]
    fn partial_config_keeps_defaults_and_unknown_keys_fail() {
        let l: Limits =
            serde_json::from_str(r#"{"resets_per_bay": 3, "timeouts": {"unlock_door_seconds": 8}}"#).unwrap();
        assert_eq!(l.resets_per_bay, 3);
        assert_eq!(l.timeouts.unlock_door_seconds, 8);
        assert_eq!(l.timeouts.reset_trackman_seconds, 30);
        assert!(serde_json::from_str::<Limits>(r#"{"resets_per_hour": 3}"#).is_err());
        let bad =
            Limits { timeouts: ActionTimeouts { unlock_door_seconds: 0, ..Default::default() }, ..Default::default() };
        assert_eq!(bad.validate().unwrap_err(), "timeouts.unlock_door_seconds must be from 1 to 600");
    }
}
