//! Creating accounts (`clubos user add`, the admin's accounts page, the
//! first-run admin) and changing passwords, with the checks at the edge.

use clubos_config::Config;
use clubos_domain::{Email, LocationId, Role};
use clubos_store::{NewAccount, Store, StoreError};
use jiff::Timestamp;
use serde_json::json;

use super::password::{self, WeakPassword};
use super::{Actor, Administer, Grant};
use crate::app::App;

/// The e-mail of the account made on first run.
pub const FIRST_ADMIN: &str = "admin@localhost";

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Email(#[from] clubos_domain::access::EmailError),
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error("unknown location `{0}`; the configured ones are {1}")]
    UnknownLocation(String, String),
    /// The store's message names the account.
    #[error("{0}")]
    Exists(String),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the new password must differ from the current one")]
    SamePassword,
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AccountError::Exists(m),
            other => AccountError::Store(other),
        }
    }
}

/// An account as asked for, before checks.
#[derive(Clone)]
pub struct NewAccountRequest {
    pub email: String,
    pub role: Role,
    pub locations: Vec<String>,
    pub password: String,
}

impl std::fmt::Debug for NewAccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccountRequest")
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

async fn hash(pass: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || password::hash(&pass))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .map_err(AccountError::Hash)
}

/// Checks and stores a new account; `actor` is recorded in the audit log.
/// Takes the store and config (not a running `App`) so that `clubos user
/// add` can use it against the deployment's database.
pub async fn create_account(
    store: &dyn Store,
    config: &Config,
    now: Timestamp,
    req: NewAccountRequest,
    actor: &str,
) -> Result<i64, AccountError> {
    let email = Email::parse(&req.email)?;
    password::check(&req.password, email.as_str())?;
    let mut locations = Vec::new();
    for l in &req.locations {
        let id = LocationId::parse(l.trim()).ok().filter(|id| config.locations.iter().any(|c| &c.id == id));
        let Some(id) = id else {
            let known: Vec<&str> = config.locations.iter().map(|l| l.id.as_str()).collect();
            return Err(AccountError::UnknownLocation(l.clone(), known.join(", ")));
        };
        locations.push(id);
    }
    let password_hash = hash(req.password).await?;
    let account = NewAccount {
        email: email.clone(),
        role: req.role,
        locations: locations.clone(),
        password_hash,
        must_change_password: false,
    };
    let id = store.create_account(account, now).await?;
    let detail = json!({"role": req.role, "locations": locations});
    store.audit(actor, "account.create", &format!("account:{email}"), detail, now).await?;
    Ok(id)
}

/// On a deployment with no account yet, creates `admin@localhost` with a
/// one-time password that must be changed at the first login, and returns
/// it to be shown once. `None` when accounts exist (also when another
/// instance made the first one at the same moment).
pub async fn first_run_admin(store: &dyn Store, now: Timestamp) -> Result<Option<(Email, String)>, AccountError> {
    if store.account_count().await? > 0 {
        return Ok(None);
    }
    let email = Email::parse(FIRST_ADMIN)?;
    let one_time = password::one_time();
    let password_hash = hash(one_time.clone()).await?;
    let account = NewAccount {
        email: email.clone(),
        role: Role::Admin,
        locations: vec![],
        password_hash,
        must_change_password: true,
    };
    match store.create_account(account, now).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    store.audit("system", "account.first_admin", &format!("account:{email}"), json!({}), now).await?;
    Ok(Some((email, one_time)))
}

/// Changes the actor's own password after checking the current one; ends
/// the account's other sessions.
pub async fn change_own_password(app: &App, actor: &Actor, current: &str, new: &str) -> Result<(), AccountError> {
    let email = Email::parse(&actor.name)?;
    let account = app.store.account_by_email(&email).await?.ok_or(AccountError::WrongPassword)?;
    let (given, phc) = (current.to_owned(), account.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify(&given, &phc)).await.unwrap_or(false);
    if !ok {
        return Err(AccountError::WrongPassword);
    }
    password::check(new, email.as_str())?;
    if new == current {
        return Err(AccountError::SamePassword);
    }
    let hashed = hash(new.to_owned()).await?;
    let now = app.clock.now();
    app.store.set_password(account.id, &hashed, false, now).await?;
    // Other sessions (a stolen cookie among them) end; this one stays.
    let keep = actor.session.as_ref().map(|s| s.token_hash.clone());
    app.store.end_sessions_of(account.id).await?;
    if let (Some(hash), Some(s)) = (keep, &actor.session) {
        app.store
            .create_session(clubos_store::NewSession {
                token_hash: hash,
                account_id: account.id,
                csrf_token: s.csrf_token.clone(),
                at: now,
            })
            .await?;
    }
    app.store.audit(&actor.name, "account.password", &format!("account:{email}"), json!({}), now).await?;
    Ok(())
}

/// An admin changes another account's role, locations or status; a
/// disabled account's sessions end at once.
pub async fn update_account(
    app: &App,
    grant: &Grant<Administer>,
    email: &Email,
    role: Role,
    locations: Vec<LocationId>,
    disabled: bool,
) -> Result<(), AccountError> {
    let account = app
        .store
        .account_by_email(email)
        .await?
        .ok_or_else(|| AccountError::Store(StoreError::NotFound(format!("account {email}"))))?;
    app.store.update_account(account.id, role, locations.clone(), disabled).await?;
    if disabled {
        app.store.end_sessions_of(account.id).await?;
    }
    let detail = json!({"role": role, "locations": locations, "disabled": disabled});
    app.store.audit(grant.name(), "account.update", &format!("account:{email}"), detail, app.clock.now()).await?;
    Ok(())
}
