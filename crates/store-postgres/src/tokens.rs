//! LLM tokens per location and local day: reserve-if-under-cap, and
//! adjustments once the provider reports what a call really used.
//!
//! Why a lock per location: the monthly cap spans a row per day, so no single
//! conditional UPDATE can check it. Each reservation takes the location's
//! advisory lock, reads the usage, checks the caps and adds its estimate
//! before it commits; a concurrent one, on any instance, waits for that
//! commit and reads the usage after it. Concurrent reservations therefore
//! never pass a cap together.

use clubos_domain::policy::{Budget, TokenUsage, token_budget};
use clubos_domain::{LocationId, TokenCaps};
use clubos_store::Result;
use jiff::civil::Date;

use crate::convert::{Tx, exec, get, lock, query_one};

async fn usage(tx: &Tx<'_>, location: &LocationId, day: Date) -> Result<TokenUsage> {
    let row = query_one(
        tx,
        "SELECT coalesce(sum(tokens) FILTER (WHERE day = $2), 0)::bigint, coalesce(sum(tokens), 0)::bigint
         FROM token_use WHERE location = $1 AND day >= $3 AND day <= $2",
        &[&location.as_str(), &day, &day.first_of_month()],
    )
    .await?;
    let (today, month): (i64, i64) = (get(&row, 0)?, get(&row, 1)?);
    Ok(TokenUsage { today: today.max(0) as u64, this_month: month.max(0) as u64 })
}

async fn add(tx: &Tx<'_>, location: &LocationId, day: Date, delta: i64) -> Result<()> {
    exec(
        tx,
        "INSERT INTO token_use (location, day, tokens) VALUES ($1, $2, greatest($3::bigint, 0))
         ON CONFLICT (location, day) DO UPDATE SET tokens = greatest(token_use.tokens + $3, 0)",
        &[&location.as_str(), &day, &delta],
    )
    .await
    .map(drop)
}

fn lock_key(location: &LocationId) -> String {
    format!("tokens:{location}")
}

pub(crate) async fn reserve(
    tx: &Tx<'_>,
    location: &LocationId,
    day: Date,
    caps: TokenCaps,
    estimate: u64,
) -> Result<std::result::Result<TokenUsage, Budget>> {
    lock(tx, &lock_key(location)).await?;
    let used = usage(tx, location, day).await?;
    match token_budget(used, caps, estimate) {
        Budget::Allow => {
            add(tx, location, day, i64::try_from(estimate).unwrap_or(i64::MAX)).await?;
            Ok(Ok(usage(tx, location, day).await?))
        }
        refused => Ok(Err(refused)),
    }
}

pub(crate) async fn adjust(tx: &Tx<'_>, location: &LocationId, day: Date, delta: i64) -> Result<TokenUsage> {
    lock(tx, &lock_key(location)).await?;
    add(tx, location, day, delta).await?;
    usage(tx, location, day).await
}
