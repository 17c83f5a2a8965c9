//! Console accounts, sessions and login failures on SQLite.

use async_trait::async_trait;
use clubos_domain::{Email, LocationId, Role};
use clubos_store::{Account, AccountStore, NewAccount, NewSession, Result, SessionRow, StoreError};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::SqliteStore;
use crate::convert::{conv_err, location, ms, parse, sql_err, ts};

const ACCOUNT_COLUMNS: &str =
    "a.id, a.email, a.role, a.locations, a.password_hash, a.must_change_password, a.disabled, a.created_at";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    let email: String = r.get(1)?;
    let locations: String = r.get(3)?;
    let locations: Vec<String> = serde_json::from_str(&locations).map_err(|e| conv_err(e.to_string()))?;
    Ok(Account {
        id: r.get(0)?,
        email: Email::parse(&email).map_err(|e| conv_err(e.to_string()))?,
        role: parse::<Role>(&r.get::<_, String>(2)?)?,
        locations: locations.iter().map(|l| location(l)).collect::<rusqlite::Result<_>>()?,
        password_hash: r.get(4)?,
        must_change_password: r.get(5)?,
        disabled: r.get(6)?,
        created_at: ts(r.get(7)?)?,
    })
}

fn locations_json(list: &[LocationId]) -> String {
    serde_json::Value::from(list.iter().map(|l| l.as_str().to_owned()).collect::<Vec<_>>()).to_string()
}

fn create(c: &Connection, a: &NewAccount, at: Timestamp) -> Result<i64> {
    let res = c
        .prepare_cached(
            "INSERT INTO accounts (email, role, locations, password_hash, must_change_password, created_at,
                                   password_changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )
        .map_err(sql_err)?
        .execute(params![
            a.email.as_str(),
            a.role.as_str(),
            locations_json(&a.locations),
            a.password_hash,
            a.must_change_password,
            ms(at)
        ]);
    match res {
        Ok(_) => Ok(c.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(StoreError::Conflict(format!("an account for {} already exists", a.email)))
        }
        Err(e) => Err(sql_err(e)),
    }
}

fn by_email(c: &Connection, email: &str) -> Result<Option<Account>> {
    c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.email = ?1"))
        .map_err(sql_err)?
        .query_row([email], account_row)
        .optional()
        .map_err(sql_err)
}

fn all(c: &Connection) -> Result<Vec<Account>> {
    c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.email"))
        .map_err(sql_err)?
        .query_map([], account_row)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}

fn changed(n: usize, what: &str, id: i64) -> Result<()> {
    if n == 0 { Err(StoreError::NotFound(format!("{what} {id}"))) } else { Ok(()) }
}

fn session(c: &Connection, token_hash: &str) -> Result<Option<SessionRow>> {
    c.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS}, s.token_hash, s.csrf_token, s.created_at, s.last_seen_at
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
    ))
    .map_err(sql_err)?
    .query_row([token_hash], |r| {
        Ok(SessionRow {
            account: account_row(r)?,
            token_hash: r.get(8)?,
            csrf_token: r.get(9)?,
            created_at: ts(r.get(10)?)?,
            last_seen_at: ts(r.get(11)?)?,
        })
    })
    .optional()
    .map_err(sql_err)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, a: NewAccount, at: Timestamp) -> Result<i64> {
        self.write(move |c| create(c, &a, at)).await
    }
    async fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        let email = email.as_str().to_owned();
        self.read(move |c| by_email(c, &email)).await
    }
    async fn accounts(&self) -> Result<Vec<Account>> {
        self.read(all).await
    }
    async fn account_count(&self) -> Result<u64> {
        self.read(|c| {
            c.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err)
        })
        .await
    }
    async fn set_password(&self, account_id: i64, hash: &str, must_change: bool, at: Timestamp) -> Result<()> {
        let hash = hash.to_owned();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE accounts SET password_hash = ?2, must_change_password = ?3, password_changed_at = ?4
                     WHERE id = ?1",
                )
                .map_err(sql_err)?
                .execute(params![account_id, hash, must_change, ms(at)])
                .map_err(sql_err)?;
            changed(n, "account", account_id)
        })
        .await
    }
    async fn update_account(&self, id: i64, role: Role, locations: Vec<LocationId>, disabled: bool) -> Result<()> {
        self.write(move |c| {
            let n = c
                .prepare_cached("UPDATE accounts SET role = ?2, locations = ?3, disabled = ?4 WHERE id = ?1")
                .map_err(sql_err)?
                .execute(params![id, role.as_str(), locations_json(&locations), disabled])
                .map_err(sql_err)?;
            changed(n, "account", id)
        })
        .await
    }
    async fn create_session(&self, s: NewSession) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .map_err(sql_err)?
            .execute(params![s.token_hash, s.account_id, s.csrf_token, ms(s.at)])
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let h = token_hash.to_owned();
        self.read(move |c| session(c, &h)).await
    }
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<()> {
        let h = token_hash.to_owned();
        self.write(move |c| {
            c.prepare_cached("UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE token_hash = ?1")
                .map_err(sql_err)?
                .execute(params![h, ms(at)])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
    async fn end_session(&self, token_hash: &str) -> Result<()> {
        let h = token_hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [h]).map_err(sql_err)?;
            Ok(())
        })
        .await
    }
    async fn end_sessions_of(&self, account_id: i64) -> Result<u64> {
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE account_id = ?1", [account_id]).map(|n| n as u64).map_err(sql_err)
        })
        .await
    }
    async fn prune_sessions(&self, idle_before: Timestamp) -> Result<u64> {
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE last_seen_at < ?1", [ms(idle_before)])
                .map(|n| n as u64)
                .map_err(sql_err)
        })
        .await
    }
    async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached("INSERT INTO login_failures (key, at) VALUES (?1, ?2)")
                .map_err(sql_err)?
                .execute(params![key, ms(at)])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
    async fn login_failures(&self, key: &str, since: Timestamp) -> Result<Vec<Timestamp>> {
        let key = key.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT at FROM login_failures WHERE key = ?1 AND at >= ?2 ORDER BY at")
                .map_err(sql_err)?
                .query_map(params![key, ms(since)], |r| ts(r.get(0)?))
                .map_err(sql_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sql_err)
        })
        .await
    }
    async fn clear_login_failures(&self, key: Option<&str>, before: Option<Timestamp>) -> Result<u64> {
        let key = key.map(str::to_owned);
        self.write(move |c| {
            let mut n = 0;
            if let Some(k) = key {
                n += c.execute("DELETE FROM login_failures WHERE key = ?1", [k]).map_err(sql_err)?;
            }
            if let Some(b) = before {
                n += c.execute("DELETE FROM login_failures WHERE at < ?1", [ms(b)]).map_err(sql_err)?;
            }
            Ok(n as u64)
        })
        .await
    }
}
