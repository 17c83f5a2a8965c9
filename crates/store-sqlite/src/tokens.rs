//! LLM tokens per location and local day: atomic reserve-if-under-cap, and
//! adjustments once the provider reports what a call really used.

use clubos_domain::policy::{Budget, TokenUsage, token_budget};
use clubos_domain::{LocationId, TokenCaps};
use clubos_store::Result;
use jiff::civil::Date;
use rusqlite::{Connection, params};

use crate::convert::sql_err;

fn usage(c: &Connection, location: &LocationId, day: Date) -> Result<TokenUsage> {
    let month_start = day.first_of_month().to_string();
    let (today, month): (i64, i64) = c
        .prepare_cached(
            "SELECT coalesce(sum(CASE WHEN day = ?2 THEN tokens END), 0), coalesce(sum(tokens), 0)
             FROM token_use WHERE location = ?1 AND day >= ?3 AND day <= ?2",
        )
        .map_err(sql_err)?
        .query_row(params![location.as_str(), day.to_string(), month_start], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sql_err)?;
    Ok(TokenUsage { today: today.max(0) as u64, this_month: month.max(0) as u64 })
}

fn add(c: &Connection, location: &LocationId, day: Date, delta: i64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO token_use (location, day, tokens) VALUES (?1, ?2, max(?3, 0))
         ON CONFLICT (location, day) DO UPDATE SET tokens = max(tokens + ?3, 0)",
    )
    .map_err(sql_err)?
    .execute(params![location.as_str(), day.to_string(), delta])
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn reserve(
    c: &Connection,
    location: &LocationId,
    day: Date,
    caps: TokenCaps,
    estimate: u64,
) -> Result<std::result::Result<TokenUsage, Budget>> {
    let used = usage(c, location, day)?;
    match token_budget(used, caps, estimate) {
        Budget::Allow => {
            add(c, location, day, i64::try_from(estimate).unwrap_or(i64::MAX))?;
            Ok(Ok(usage(c, location, day)?))
        }
        refused => Ok(Err(refused)),
    }
}

pub(crate) fn adjust(c: &Connection, location: &LocationId, day: Date, delta: i64) -> Result<TokenUsage> {
    add(c, location, day, delta)?;
    usage(c, location, day)
}
