//! Running statements (prepared once per connection) and converting stored
//! columns into domain types.

use clubos_domain::{ActionTarget, BayNumber, Category, LocationId, PhoneNumber, Priority, ReasonCode, ThreadStatus};
use clubos_store::{Result, StoreError, ThreadRow};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

use crate::error::{corrupt, db};

/// Every store function runs inside one transaction.
pub(crate) type Tx<'a> = deadpool_postgres::Transaction<'a>;
/// Statement parameters.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(crate) async fn query(tx: &Tx<'_>, sql: &str, p: Params<'_>) -> Result<Vec<Row>> {
    let st = tx.prepare_cached(sql).await.map_err(db)?;
    tx.query(&st, p).await.map_err(db)
}

pub(crate) async fn query_opt(tx: &Tx<'_>, sql: &str, p: Params<'_>) -> Result<Option<Row>> {
    let st = tx.prepare_cached(sql).await.map_err(db)?;
    tx.query_opt(&st, p).await.map_err(db)
}

pub(crate) async fn query_one(tx: &Tx<'_>, sql: &str, p: Params<'_>) -> Result<Row> {
    let st = tx.prepare_cached(sql).await.map_err(db)?;
    tx.query_one(&st, p).await.map_err(db)
}

/// Runs a statement; returns how many rows it changed.
pub(crate) async fn exec(tx: &Tx<'_>, sql: &str, p: Params<'_>) -> Result<u64> {
    let st = tx.prepare_cached(sql).await.map_err(db)?;
    tx.execute(&st, p).await.map_err(db)
}

/// Serialises the transactions that take the same `key` until they end
/// (an advisory lock, released at commit or rollback). Keys are namespaced
/// strings such as `thread:+19025550001:bedford`; two keys that hash alike
/// only wait for each other.
pub(crate) async fn lock(tx: &Tx<'_>, key: &str) -> Result<()> {
    exec(tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key]).await.map(drop)
}

/// Column `i` of `r`.
pub(crate) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(|e| corrupt(format!("column {i}: {e}")))
}

/// Parses a stored string into a domain type.
pub(crate) fn parse<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| corrupt(format!("`{s}`: {e}")))
}

pub(crate) fn opt_parse<T: std::str::FromStr>(s: Option<String>) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.as_deref().map(parse).transpose()
}

pub(crate) fn phone(s: &str) -> Result<PhoneNumber> {
    PhoneNumber::parse_e164(s).map_err(corrupt)
}

/// A thread's phone: `''` once redacted.
pub(crate) fn redactable_phone(s: &str) -> Result<Option<PhoneNumber>> {
    if s.is_empty() { Ok(None) } else { phone(s).map(Some) }
}

pub(crate) fn location(s: &str) -> Result<LocationId> {
    LocationId::parse(s).map_err(corrupt)
}

pub(crate) fn bay(n: Option<i64>) -> Result<Option<BayNumber>> {
    n.map(|n| u16::try_from(n).ok().and_then(|n| BayNumber::new(n).ok()).ok_or_else(|| corrupt(format!("bay {n}"))))
        .transpose()
}

pub(crate) fn bay_number(b: Option<BayNumber>) -> Option<i64> {
    b.map(|b| i64::from(b.get()))
}

pub(crate) fn target(s: &str) -> Result<ActionTarget> {
    parse(s)
}

pub(crate) fn priority_rank(p: Priority) -> i64 {
    i64::from(p.rank())
}

pub(crate) fn priority(rank: i64) -> Result<Priority> {
    Priority::ALL
        .iter()
        .copied()
        .find(|p| i64::from(p.rank()) == rank)
        .ok_or_else(|| corrupt(format!("priority {rank}")))
}

/// A stored count or size that must fit `u32`.
pub(crate) fn small(n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| corrupt(format!("{n} is out of range")))
}

/// A count or size to store.
pub(crate) fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("encoding JSON: {e}"))
}

pub(crate) const THREAD_COLUMNS: &str = "id, customer_phone, location, bay, status, priority, category, created_at, \
    updated_at, last_inbound_at, last_outbound_at, escalation_reason, escalation_summary, proposal, correlation_id";

pub(crate) fn thread_row(r: &Row) -> Result<ThreadRow> {
    Ok(ThreadRow {
        id: get(r, 0)?,
        customer_phone: redactable_phone(get(r, 1)?)?,
        location: location(get(r, 2)?)?,
        bay: bay(get(r, 3)?)?,
        status: parse::<ThreadStatus>(get(r, 4)?)?,
        priority: priority(get(r, 5)?)?,
        category: opt_parse::<Category>(get(r, 6)?)?,
        created_at: get(r, 7)?,
        updated_at: get(r, 8)?,
        last_inbound_at: get(r, 9)?,
        last_outbound_at: get(r, 10)?,
        escalation_reason: opt_parse::<ReasonCode>(get(r, 11)?)?,
        escalation_summary: get(r, 12)?,
        proposal: get(r, 13)?,
        correlation_id: get(r, 14)?,
    })
}

/// Rows mapped with `f`.
pub(crate) fn rows<T>(rows: &[Row], f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// An optional parsed value whose parse error means corrupt data.
pub(crate) fn corrupt_opt<T, E: std::fmt::Display>(r: Option<std::result::Result<T, E>>) -> Result<Option<T>> {
    r.transpose().map_err(corrupt)
}
