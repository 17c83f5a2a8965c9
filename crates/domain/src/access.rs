//! Who may do what in the operator console and the API: accounts' e-mail
//! addresses, roles and their permissions, location scopes, and the login
//! throttle. Pure rules; the server enforces them on every request.

use std::fmt;

use jiff::{SignedDuration, Timestamp};

use crate::LocationId;
use crate::enums::{UnknownVariant, string_enum};

string_enum! {
    /// An account's role.
    pub enum Role as "role" {
        /// Everything: settings, knowledge, accounts, and what operators do.
        Admin = "admin",
        /// Works threads at their locations: approve, reply, reset, unlock,
        /// escalate, resolve, take over, acknowledge notifications.
        Operator = "operator",
        /// Reads everything their locations show; changes nothing.
        Viewer = "viewer",
    }
}

/// What a request needs from its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// Read pages and the JSON API.
    View,
    /// Act on threads and notifications.
    Operate,
    /// Change settings, knowledge and accounts.
    Administer,
}

impl Role {
    /// The strongest permission of the role; each permission implies those before it.
    pub const fn grants(self) -> Permission {
        match self {
            Role::Admin => Permission::Administer,
            Role::Operator => Permission::Operate,
            Role::Viewer => Permission::View,
        }
    }

    pub fn allows(self, needed: Permission) -> bool {
        self.grants() >= needed
    }
}

/// The locations an account may see and act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationScope {
    All,
    /// Never empty (an empty list is [`LocationScope::All`]).
    Only(Vec<LocationId>),
}

impl LocationScope {
    pub fn from_list(list: Vec<LocationId>) -> Self {
        if list.is_empty() { LocationScope::All } else { LocationScope::Only(list) }
    }

    pub fn includes(&self, location: &LocationId) -> bool {
        match self {
            LocationScope::All => true,
            LocationScope::Only(list) => list.contains(location),
        }
    }

    /// The list to filter by; `None` means every location.
    pub fn as_filter(&self) -> Option<&[LocationId]> {
        match self {
            LocationScope::All => None,
            LocationScope::Only(list) => Some(list),
        }
    }
}

/// A normalised (trimmed, lowercased) account e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid e-mail address `{got}`: {why}")]
pub struct EmailError {
    pub got: String,
    pub why: &'static str,
}

impl Email {
    /// Accepts `local@domain` (at most 254 characters, no spaces or control
    /// characters); `admin@localhost` is allowed for a first-run account.
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let t = s.trim().to_lowercase();
        let err = |why| EmailError { got: s.chars().take(80).collect(), why };
        if t.is_empty() {
            return Err(err("must not be empty"));
        }
        if t.len() > 254 {
            return Err(err("must be at most 254 characters"));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"') {
            return Err(err("must not contain spaces, quotes or angle brackets"));
        }
        match t.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {
                if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
                    return Err(err("the domain is not valid"));
                }
                Ok(Self(t))
            }
            _ => Err(err("must look like name@example.com")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Login throttling: after `max_failures` failed logins within `window`
/// for one key (an account or a client address), further attempts are
/// refused until `lockout` after the last failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub max_failures: u32,
    pub window: SignedDuration,
    pub lockout: SignedDuration,
}

impl Default for Throttle {
    fn default() -> Self {
        Self { max_failures: 5, window: SignedDuration::from_mins(15), lockout: SignedDuration::from_mins(15) }
    }
}

impl Throttle {
    /// How far back failures matter at `now`.
    pub fn since(&self, now: Timestamp) -> Timestamp {
        now - self.window.max(self.lockout)
    }

    /// Until when attempts are refused, given the key's failure times (any
    /// order); `None` when an attempt may be made now.
    pub fn locked_until(&self, failures: &[Timestamp], now: Timestamp) -> Option<Timestamp> {
        let &last = failures.iter().filter(|&&f| f <= now).max()?;
        let in_window = failures.iter().filter(|&&f| f <= last && f > last - self.window).count();
        let until = last + self.lockout;
        (in_window as u64 >= u64::from(self.max_failures) && until > now).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH + SignedDuration::from_mins(1_000_000 + min)
    }

    #[test]
    fn roles_imply_weaker_permissions() {
        assert!(Role::Admin.allows(Permission::Operate));
        assert!(Role::Operator.allows(Permission::View));
        assert!(!Role::Operator.allows(Permission::Administer));
        assert!(!Role::Viewer.allows(Permission::Operate));
    }

    #[test]
    fn scopes() {
        let a = LocationId::parse("bedford").unwrap();
        let b = LocationId::parse("dartmouth").unwrap();
        assert!(LocationScope::from_list(vec![]).includes(&a));
        let only = LocationScope::from_list(vec![a.clone()]);
        assert!(only.includes(&a) && !only.includes(&b));
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Ops@Example.COM ").unwrap().as_str(), "ops@example.com");
        assert!(Email::parse("admin@localhost").is_ok());
        for bad in ["", "no-at", "@x.com", "a@", "a b@x.com", "a@x..com", "a@b@c", "<a@x.com>"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let th = Throttle::default();
        let four: Vec<_> = (0..4).map(t).collect();
        assert_eq!(th.locked_until(&four, t(4)), None);
        let five: Vec<_> = (0..5).map(t).collect();
        assert_eq!(th.locked_until(&five, t(5)), Some(t(19)));
        assert_eq!(th.locked_until(&five, t(19)), None);
        // Spread over more than the window: no lock.
        let spread: Vec<_> = (0..5).map(|i| t(i * 10)).collect();
        assert_eq!(th.locked_until(&spread, t(41)), None);
    }

    proptest! {
        /// Fewer failures than the limit never lock; a lock always ends
        /// `lockout` after the last failure.
        #[test]
        fn throttle_invariants(mins in proptest::collection::vec(0i64..120, 0..12), now in 0i64..200) {
            let th = Throttle::default();
            let fails: Vec<_> = mins.iter().map(|&m| t(m)).collect();
            let now = t(now);
            let seen = fails.iter().filter(|&&f| f <= now).count() as u32;
            match th.locked_until(&fails, now) {
                None => {}
                Some(until) => {
                    prop_assert!(seen >= th.max_failures);
                    prop_assert!(until > now);
                    let last = fails.iter().filter(|&&f| f <= now).max().copied().unwrap();
                    prop_assert_eq!(until, last + th.lockout);
                }
            }
        }
    }
}
