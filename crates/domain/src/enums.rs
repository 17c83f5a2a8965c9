//! Closed vocabularies (category, priority, status, action, outcome, reason)
//! with one canonical string each, used verbatim in JSON, SQL and metrics.

/// Error for a string that is not one of an enum's canonical names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{got}`; expected one of: {}", .expected.join(", "))]
pub struct UnknownVariant {
    /// What was being parsed, e.g. "category".
    pub kind: &'static str,
    /// The rejected input.
    pub got: String,
    /// The accepted names.
    pub expected: &'static [&'static str],
}

/// Declares a fieldless enum whose variants map one-to-one to stable strings,
/// with `as_str`, `ALL`, `Display`, `FromStr` and serde through that string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $s:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $( $(#[$vmeta])* $variant, )+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The canonical string of this variant.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err($crate::enums::UnknownVariant {
                        kind: $kind,
                        got: s.to_owned(),
                        expected: &[$($s),+],
                    }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use string_enum;

string_enum! {
    /// What a customer's message is about; the autonomy profile is keyed by it.
    pub enum Category as "category" {
        Tech = "tech",
        Booking = "booking",
        Access = "access",
        Faq = "faq",
    }
}

string_enum! {
    /// Queue priority of a thread, highest first.
    pub enum Priority as "priority" {
        /// Fire, injury, smoke, … — always first and always escalated.
        Emergency = "emergency",
        /// The customer has an active booking that is affected.
        High = "high",
        Normal = "normal",
        /// Feedback and other texts that need no action.
        Low = "low",
    }
}

impl Priority {
    /// Rank used by the queue: lower runs first.
    pub const fn rank(self) -> u8 {
        match self {
            Priority::Emergency => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        }
    }
}

string_enum! {
    /// Lifecycle of a thread (the V3 specification's eleven states).
    pub enum ThreadStatus as "thread status" {
        Pending = "pending",
        AwaitingAi = "awaiting_ai",
        AwaitingResponse = "awaiting_response",
        AwaitingHuman = "awaiting_human",
        AiResolved = "ai_resolved",
        Escalated = "escalated",
        InProgress = "in_progress",
        Resolved = "resolved",
        ManualOverride = "manual_override",
        Timeout = "timeout",
        Merged = "merged",
    }
}

impl ThreadStatus {
    /// A human owns the thread: the AI must neither reply nor act on it.
    pub const fn is_human_owned(self) -> bool {
        matches!(self, ThreadStatus::Escalated | ThreadStatus::InProgress | ThreadStatus::ManualOverride)
    }

    /// The thread is finished; a new message opens a new thread.
    pub const fn is_closed(self) -> bool {
        matches!(self, ThreadStatus::AiResolved | ThreadStatus::Resolved | ThreadStatus::Timeout | ThreadStatus::Merged)
    }
}

string_enum! {
    /// Something ClubOS can do in the world.
    pub enum ActionKind as "action kind" {
        ResetTrackman = "reset_trackman",
        RebootPc = "reboot_pc",
        UnlockDoor = "unlock_door",
        SendReply = "send_reply",
    }
}

impl ActionKind {
    /// The connector this action goes through.
    pub const fn connector(self) -> Connector {
        match self {
            ActionKind::ResetTrackman | ActionKind::RebootPc => Connector::Ninjaone,
            ActionKind::UnlockDoor => Connector::UnifiAccess,
            ActionKind::SendReply => Connector::Openphone,
        }
    }

    /// Actions the AI may only propose; an operator must approve them.
    pub const fn needs_human_approval(self) -> bool {
        matches!(self, ActionKind::RebootPc)
    }
}

string_enum! {
    /// Result of one action attempt, as recorded by the action wrapper.
    pub enum ActionOutcome as "action outcome" {
        Success = "success",
        PartialSuccess = "partial_success",
        /// The device accepted the command but its effect could not be confirmed.
        SuccessUnconfirmed = "success_unconfirmed",
        Failed = "failed",
        /// No answer within the action's timeout: the effect is unknown.
        Timeout = "timeout",
    }
}

impl ActionOutcome {
    /// Only an explicit failure proves the action had no effect; a timeout may
    /// still have opened the door, so it counts as a possible success.
    pub const fn may_have_succeeded(self) -> bool {
        !matches!(self, ActionOutcome::Failed)
    }
}

string_enum! {
    /// Why a decision escalated or deferred. Stable strings: they are an API.
    pub enum ReasonCode as "reason code" {
        AutonomyDisabled = "autonomy_disabled",
        LowConfidence = "low_confidence",
        NoBooking = "no_booking",
        OutsideTimeWindow = "outside_time_window",
        OutsideBookingWindow = "outside_booking_window",
        CustomerFlagged = "customer_flagged",
        Cooldown = "cooldown",
        MaxAttempts = "max_attempts",
        RateLimited = "rate_limited",
        SystemUnhealthy = "system_unhealthy",
        ConnectorUnavailable = "connector_unavailable",
        LlmTimeout = "llm_timeout",
        LlmError = "llm_error",
        TokenCap = "token_cap",
        NegativeSentiment = "negative_sentiment",
        ActionFailed = "action_failed",
        Emergency = "emergency",
        NoMatch = "no_match",
    }
}

string_enum! {
    /// The kind of a decision, as stored and reported.
    pub enum Verdict as "verdict" {
        Execute = "execute",
        Reply = "reply",
        Escalate = "escalate",
        Defer = "defer",
    }
}

string_enum! {
    /// Health of one component (connector, LLM provider, …).
    pub enum ComponentState as "component state" {
        Healthy = "healthy",
        Degraded = "degraded",
        Down = "down",
    }
}

string_enum! {
    /// The external systems actions go through.
    pub enum Connector as "connector" {
        Openphone = "openphone",
        Ninjaone = "ninjaone",
        UnifiAccess = "unifi_access",
    }
}

string_enum! {
    /// Who started an action.
    pub enum TriggeredBy as "trigger" {
        Ai = "ai",
        Human = "human",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_serialise_as_the_contract_strings() {
        let expected = "autonomy_disabled low_confidence no_booking outside_time_window \
            outside_booking_window customer_flagged cooldown max_attempts rate_limited \
            system_unhealthy connector_unavailable llm_timeout llm_error token_cap \
            negative_sentiment action_failed emergency no_match";
        let got: Vec<String> =
            ReasonCode::ALL.iter().map(|r| serde_json::to_value(r).unwrap().as_str().unwrap().to_owned()).collect();
        assert_eq!(got.join(" "), expected);
    }

    #[test]
    fn thread_status_has_the_eleven_states() {
        assert_eq!(ThreadStatus::ALL.len(), 11);
        for s in ThreadStatus::ALL {
            assert_eq!(s.as_str().parse::<ThreadStatus>().unwrap(), *s);
        }
    }

    #[test]
    fn unknown_names_are_rejected_with_the_choices() {
        let err = "Tech".parse::<Category>().unwrap_err();
        assert_eq!(err.to_string(), "unknown category `Tech`; expected one of: tech, booking, access, faq");
        let err = serde_json::from_str::<ActionKind>("\"reboot\"").unwrap_err();
        assert!(err.to_string().contains("reset_trackman"), "{err}");
    }

    #[test]
    fn priority_rank_orders_emergency_first() {
        let mut all = Priority::ALL.to_vec();
        all.reverse();
        all.sort_by_key(|p| p.rank());
        assert_eq!(all, Priority::ALL);
    }

    #[test]
    fn only_failed_proves_no_effect() {
        assert!(!ActionOutcome::Failed.may_have_succeeded());
        assert!(ActionOutcome::Timeout.may_have_succeeded());
        assert!(ActionOutcome::SuccessUnconfirmed.may_have_succeeded());
    }
}
