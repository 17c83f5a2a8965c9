//! Console accounts, sessions and login failures on PostgreSQL.

use clubos_domain::{Email, LocationId, Role};
use clubos_store::{Account, NewAccount, NewSession, Result, SessionRow, StoreError};
use jiff::Timestamp;
use tokio_postgres::Row;

use crate::convert::{Tx, exec, get, location, parse, query, query_one, query_opt, rows};
use crate::error::{corrupt, db, is_unique_violation};

const ACCOUNT_COLUMNS: &str =
    "a.id, a.email, a.role, a.locations, a.password_hash, a.must_change_password, a.disabled, a.created_at";

fn account_row(r: &Row) -> Result<Account> {
    let email: String = get(r, 1)?;
    let locations: Vec<String> = get(r, 3)?;
    Ok(Account {
        id: get(r, 0)?,
        email: Email::parse(&email).map_err(corrupt)?,
        role: parse::<Role>(get(r, 2)?)?,
        locations: locations.iter().map(|l| location(l)).collect::<Result<_>>()?,
        password_hash: get(r, 4)?,
        must_change_password: get(r, 5)?,
        disabled: get(r, 6)?,
        created_at: get(r, 7)?,
    })
}

fn names(list: &[LocationId]) -> Vec<String> {
    list.iter().map(|l| l.as_str().to_owned()).collect()
}

pub(crate) async fn create(tx: &Tx<'_>, a: &NewAccount, at: Timestamp) -> Result<i64> {
    let st = tx
        .prepare_cached(
            "INSERT INTO accounts (email, role, locations, password_hash, must_change_password, created_at,
                                   password_changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .await
        .map_err(db)?;
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
        [&a.email.as_str(), &a.role.as_str(), &names(&a.locations), &a.password_hash, &a.must_change_password, &at];
    match tx.query_one(&st, &p).await {
        Ok(r) => get(&r, 0),
        Err(e) if is_unique_violation(&e, "accounts_email_unique") => {
            Err(StoreError::Conflict(format!("an account for {} already exists", a.email)))
        }
        Err(e) => Err(db(e)),
    }
}

pub(crate) async fn by_email(tx: &Tx<'_>, email: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = $1");
    query_opt(tx, &sql, &[&email]).await?.map(|r| account_row(&r)).transpose()
}

pub(crate) async fn all(tx: &Tx<'_>) -> Result<Vec<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.email COLLATE \"C\"");
    rows(&query(tx, &sql, &[]).await?, account_row)
}

pub(crate) async fn count(tx: &Tx<'_>) -> Result<u64> {
    let r = query_one(tx, "SELECT count(*) FROM accounts", &[]).await?;
    Ok(get::<i64>(&r, 0)?.max(0) as u64)
}

fn changed(n: u64, id: i64) -> Result<()> {
    if n == 0 { Err(StoreError::NotFound(format!("account {id}"))) } else { Ok(()) }
}

pub(crate) async fn set_password(tx: &Tx<'_>, id: i64, hash: &str, must_change: bool, at: Timestamp) -> Result<()> {
    let n = exec(
        tx,
        "UPDATE accounts SET password_hash = $2, must_change_password = $3, password_changed_at = $4 WHERE id = $1",
        &[&id, &hash, &must_change, &at],
    )
    .await?;
    changed(n, id)
}

pub(crate) async fn update(tx: &Tx<'_>, id: i64, role: Role, locations: &[LocationId], disabled: bool) -> Result<()> {
    let n = exec(
        tx,
        "UPDATE accounts SET role = $2, locations = $3, disabled = $4 WHERE id = $1",
        &[&id, &role.as_str(), &names(locations), &disabled],
    )
    .await?;
    changed(n, id)
}

pub(crate) async fn create_session(tx: &Tx<'_>, s: &NewSession) -> Result<()> {
    exec(
        tx,
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
        &[&s.token_hash, &s.account_id, &s.csrf_token, &s.at],
    )
    .await
    .map(drop)
}

pub(crate) async fn session(tx: &Tx<'_>, token_hash: &str) -> Result<Option<SessionRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, s.token_hash, s.csrf_token, s.created_at, s.last_seen_at
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
    );
    let Some(r) = query_opt(tx, &sql, &[&token_hash]).await? else {
        return Ok(None);
    };
    Ok(Some(SessionRow {
        account: account_row(&r)?,
        token_hash: get(&r, 8)?,
        csrf_token: get(&r, 9)?,
        created_at: get(&r, 10)?,
        last_seen_at: get(&r, 11)?,
    }))
}

pub(crate) async fn touch(tx: &Tx<'_>, token_hash: &str, at: Timestamp) -> Result<()> {
    exec(tx, "UPDATE sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE token_hash = $1", &[&token_hash, &at])
        .await
        .map(drop)
}

pub(crate) async fn end(tx: &Tx<'_>, token_hash: &str) -> Result<()> {
    exec(tx, "DELETE FROM sessions WHERE token_hash = $1", &[&token_hash]).await.map(drop)
}

pub(crate) async fn end_of(tx: &Tx<'_>, account_id: i64) -> Result<u64> {
    exec(tx, "DELETE FROM sessions WHERE account_id = $1", &[&account_id]).await
}

pub(crate) async fn prune(tx: &Tx<'_>, idle_before: Timestamp) -> Result<u64> {
    exec(tx, "DELETE FROM sessions WHERE last_seen_at < $1", &[&idle_before]).await
}

pub(crate) async fn failure(tx: &Tx<'_>, key: &str, at: Timestamp) -> Result<()> {
    exec(tx, "INSERT INTO login_failures (key, at) VALUES ($1, $2)", &[&key, &at]).await.map(drop)
}

pub(crate) async fn failures(tx: &Tx<'_>, key: &str, since: Timestamp) -> Result<Vec<Timestamp>> {
    let found =
        query(tx, "SELECT at FROM login_failures WHERE key = $1 AND at >= $2 ORDER BY at", &[&key, &since]).await?;
    rows(&found, |r| get(r, 0))
}

pub(crate) async fn clear(tx: &Tx<'_>, key: Option<&str>, before: Option<Timestamp>) -> Result<u64> {
    let mut n = 0;
    if let Some(k) = key {
        n += exec(tx, "DELETE FROM login_failures WHERE key = $1", &[&k]).await?;
    }
    if let Some(b) = before {
        n += exec(tx, "DELETE FROM login_failures WHERE at < $1", &[&b]).await?;
    }
    Ok(n)
}
