//! Who is asking, and what they may do: the [`Actor`] behind a request (an
//! operator's session or the admin API token), typed [`Grant`]s that the
//! write paths require, logins with throttling, and account creation.
//!
//! Authorization is a type: a function that changes a thread takes a
//! `&Grant<Operate>`, and the only way to get one is [`Actor::grant`], which
//! checks the role. Location scope is checked on the grant per thread.

pub mod accounts;
pub mod password;
pub mod session;

use std::marker::PhantomData;

use clubos_domain::{LocationId, LocationScope, Permission, Role};

pub use accounts::{AccountError, NewAccountRequest, create_account, first_run_admin};
pub use session::{LoginError, Opened, login, logout, resolve};

/// The actor name recorded for requests made with the API token.
pub const API_TOKEN_ACTOR: &str = "api-token";

/// The session behind a console request.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub token_hash: String,
    pub csrf_token: String,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionInfo { .. }")
    }
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account's e-mail, or [`API_TOKEN_ACTOR`]; what the audit log records.
    pub name: String,
    pub account_id: Option<i64>,
    pub role: Role,
    pub scope: LocationScope,
    /// `None` for the API token.
    pub session: Option<SessionInfo>,
    /// A one-time password is in use: only the password change is allowed.
    pub must_change_password: bool,
}

impl Actor {
    /// The admin bearer token of `/api/*`.
    pub fn api_token() -> Self {
        Actor {
            name: API_TOKEN_ACTOR.into(),
            account_id: None,
            role: Role::Admin,
            scope: LocationScope::All,
            session: None,
            must_change_password: false,
        }
    }

    pub fn may(&self, needed: Permission) -> bool {
        self.role.allows(needed) && !self.must_change_password
    }

    /// The capability `C`, if the role carries it.
    pub fn grant<C: Capability>(&self) -> Result<Grant<C>, Denied> {
        if self.must_change_password {
            return Err(Denied::PasswordChange);
        }
        if self.role.allows(C::NEEDS) {
            Ok(Grant { actor: self.clone(), _c: PhantomData })
        } else {
            Err(Denied::Role { needed: C::NEEDS, role: self.role })
        }
    }
}

/// A capability a role may carry.
pub trait Capability: std::fmt::Debug + Send + Sync + 'static {
    const NEEDS: Permission;
}

/// Read pages and the API.
#[derive(Debug)]
pub struct View;
/// Act on threads and notifications.
#[derive(Debug)]
pub struct Operate;
/// Change settings, knowledge and accounts.
#[derive(Debug)]
pub struct Administer;

impl Capability for View {
    const NEEDS: Permission = Permission::View;
}
impl Capability for Operate {
    const NEEDS: Permission = Permission::Operate;
}
impl Capability for Administer {
    const NEEDS: Permission = Permission::Administer;
}

/// Proof that the actor's role carries `C`. Only [`Actor::grant`] makes one.
#[derive(Debug, Clone)]
pub struct Grant<C> {
    actor: Actor,
    _c: PhantomData<fn() -> C>,
}

impl<C> Grant<C> {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn name(&self) -> &str {
        &self.actor.name
    }

    /// Whether the grant reaches `location`.
    pub fn reaches(&self, location: &LocationId) -> bool {
        self.actor.scope.includes(location)
    }

    /// Refuses a location outside the actor's scope.
    pub fn at(&self, location: &LocationId) -> Result<(), Denied> {
        if self.reaches(location) { Ok(()) } else { Err(Denied::Location(location.clone())) }
    }
}

/// Why a request was refused (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the {role} role may not do this (it needs {needed:?})")]
    Role { needed: Permission, role: Role },
    #[error("this account does not cover location {0}")]
    Location(LocationId),
    #[error("set a new password first")]
    PasswordChange,
    #[error("missing or wrong CSRF token")]
    Csrf,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, locations: &[&str]) -> Actor {
        Actor {
            name: "x@example.com".into(),
            account_id: Some(1),
            role,
            scope: LocationScope::from_list(locations.iter().map(|l| LocationId::parse(l).unwrap()).collect()),
            session: None,
            must_change_password: false,
        }
    }

    #[test]
    fn grants_follow_roles_and_scopes() {
        let viewer = actor(Role::Viewer, &[]);
        assert!(viewer.grant::<View>().is_ok());
        assert!(matches!(viewer.grant::<Operate>(), Err(Denied::Role { .. })));
        let op = actor(Role::Operator, &["bedford"]);
        let g = op.grant::<Operate>().unwrap();
        assert!(g.at(&LocationId::parse("bedford").unwrap()).is_ok());
        assert!(g.at(&LocationId::parse("halifax").unwrap()).is_err());
        assert!(op.grant::<Administer>().is_err());
        assert!(Actor::api_token().grant::<Administer>().is_ok());
        let mut fresh = actor(Role::Admin, &[]);
        fresh.must_change_password = true;
        assert_eq!(fresh.grant::<View>().unwrap_err(), Denied::PasswordChange);
    }
}
