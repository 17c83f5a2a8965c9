//! Conversions between stored columns and domain types.

use clubos_domain::{ActionTarget, BayNumber, Category, LocationId, PhoneNumber, Priority, ReasonCode, ThreadStatus};
use clubos_store::{StoreError, ThreadRow};
use jiff::Timestamp;
use rusqlite::Row;

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| conv_err(e.to_string()))
}

pub(crate) fn opt_ts(ms: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    ms.map(ts).transpose()
}

pub(crate) fn conv_err(msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, msg.into())
}

/// Parses a stored string into a domain type.
pub(crate) fn parse<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| conv_err(format!("`{s}`: {e}")))
}

pub(crate) fn opt_parse<T: std::str::FromStr>(s: Option<String>) -> rusqlite::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.as_deref().map(parse).transpose()
}

pub(crate) fn phone(s: &str) -> rusqlite::Result<PhoneNumber> {
    PhoneNumber::parse_e164(s).map_err(|e| conv_err(e.to_string()))
}

/// A thread's phone: `''` once redacted.
pub(crate) fn redactable_phone(s: &str) -> rusqlite::Result<Option<PhoneNumber>> {
    if s.is_empty() { Ok(None) } else { phone(s).map(Some) }
}

pub(crate) fn location(s: &str) -> rusqlite::Result<LocationId> {
    LocationId::parse(s).map_err(|e| conv_err(e.to_string()))
}

pub(crate) fn bay(n: Option<i64>) -> rusqlite::Result<Option<BayNumber>> {
    n.map(|n| u16::try_from(n).ok().and_then(|n| BayNumber::new(n).ok()).ok_or_else(|| conv_err(format!("bay {n}"))))
        .transpose()
}

pub(crate) fn target(s: &str) -> rusqlite::Result<ActionTarget> {
    parse(s)
}

pub(crate) fn priority_rank(p: Priority) -> i64 {
    i64::from(p.rank())
}

pub(crate) fn priority(rank: i64) -> rusqlite::Result<Priority> {
    Priority::ALL
        .iter()
        .copied()
        .find(|p| i64::from(p.rank()) == rank)
        .ok_or_else(|| conv_err(format!("priority {rank}")))
}

pub(crate) fn json(s: Option<String>) -> rusqlite::Result<Option<serde_json::Value>> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| conv_err(e.to_string()))).transpose()
}

pub(crate) const THREAD_COLUMNS: &str = "id, customer_phone, location, bay, status, priority, category, created_at, \
    updated_at, last_inbound_at, last_outbound_at, escalation_reason, escalation_summary, proposal, correlation_id";

pub(crate) fn thread_row(r: &Row<'_>) -> rusqlite::Result<ThreadRow> {
    Ok(ThreadRow {
        id: r.get(0)?,
        customer_phone: redactable_phone(&r.get::<_, String>(1)?)?,
        location: location(&r.get::<_, String>(2)?)?,
        bay: bay(r.get(3)?)?,
        status: parse::<ThreadStatus>(&r.get::<_, String>(4)?)?,
        priority: priority(r.get(5)?)?,
        category: opt_parse::<Category>(r.get(6)?)?,
        created_at: ts(r.get(7)?)?,
        updated_at: ts(r.get(8)?)?,
        last_inbound_at: opt_ts(r.get(9)?)?,
        last_outbound_at: opt_ts(r.get(10)?)?,
        escalation_reason: opt_parse::<ReasonCode>(r.get(11)?)?,
        escalation_summary: r.get(12)?,
        proposal: json(r.get(13)?)?,
        correlation_id: r.get(14)?,
    })
}

/// Maps a conversion failure to a corrupt-data error, anything else to a backend error.
pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, msg) => StoreError::Corrupt(msg.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}
