//! Console accounts, their sessions and login failures: the rows and the
//! [`AccountStore`] part of every backend. Sessions are stored by the hash of
//! their token only, so a copy of the database opens no session.

use async_trait::async_trait;
use clubos_domain::{Email, LocationId, LocationScope, Role};
use jiff::Timestamp;
use serde::Serialize;

use crate::Result;

/// An account to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub email: Email,
    pub role: Role,
    /// Empty: every location.
    pub locations: Vec<LocationId>,
    /// An argon2id PHC string; never the password.
    pub password_hash: String,
    /// The first login must set a new password (a generated one-time password).
    pub must_change_password: bool,
}

/// An account as stored.
#[derive(Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: i64,
    pub email: Email,
    pub role: Role,
    pub locations: Vec<LocationId>,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Account {
    // Why by hand: the password hash stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("locations", &self.locations)
            .field("must_change_password", &self.must_change_password)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn scope(&self) -> LocationScope {
        LocationScope::from_list(self.locations.clone())
    }
}

/// A session to open.
#[derive(Clone, PartialEq)]
pub struct NewSession {
    /// Hex SHA-256 of the cookie's token.
    pub token_hash: String,
    pub account_id: i64,
    /// The token every state-changing request of this session must carry.
    pub csrf_token: String,
    pub at: Timestamp,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

/// An open session with its account.
#[derive(Clone, PartialEq)]
pub struct SessionRow {
    pub token_hash: String,
    pub account: Account,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("account", &self.account)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// Accounts, sessions and login failures.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// `Conflict` when an account with the e-mail exists.
    async fn create_account(&self, a: NewAccount, at: Timestamp) -> Result<i64>;
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>>;
    /// Every account, by e-mail.
    async fn accounts(&self) -> Result<Vec<Account>>;
    async fn account_count(&self) -> Result<u64>;
    /// Sets a new password hash. `NotFound` when there is no such account.
    async fn set_password(&self, account_id: i64, password_hash: &str, must_change: bool, at: Timestamp) -> Result<()>;
    /// Changes role, locations and whether the account is disabled.
    /// `NotFound` when there is no such account.
    async fn update_account(
        &self,
        account_id: i64,
        role: Role,
        locations: Vec<LocationId>,
        disabled: bool,
    ) -> Result<()>;

    async fn create_session(&self, s: NewSession) -> Result<()>;
    /// The session with its account, whatever its age (the server decides
    /// expiry); `None` when unknown.
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>>;
    /// Records activity on the session.
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()>;
    async fn end_session(&self, token_hash: &str) -> Result<()>;
    /// Ends every session of an account (password changed, account
    /// disabled); returns how many.
    async fn end_sessions_of(&self, account_id: i64) -> Result<u64>;
    /// Deletes sessions idle since before `idle_before`; returns how many.
    async fn prune_sessions(&self, idle_before: Timestamp) -> Result<u64>;

    /// Records a failed login for `key` (`account:<email>` or `client:<addr>`).
    async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<()>;
    /// The key's failures at or after `since`.
    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<Vec<Timestamp>>;
    /// Forgets the key's failures (a successful login) and, when `before` is
    /// given, every failure older than it (housekeeping).
    async fn clear_login_failures(&self, key: Option<&str>, before: Option<Timestamp>) -> Result<u64>;
}
