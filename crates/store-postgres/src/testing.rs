//! Helpers for tests that run against a real PostgreSQL: the database named
//! by `CLUBOS_TEST_DATABASE_URL`, and a fresh schema per store.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{PgError, PgOptions, PostgresStore, connect};

/// The variable naming the test database.
pub const TEST_DATABASE_URL: &str = "CLUBOS_TEST_DATABASE_URL";

/// The test database's URL; `None` (after saying so on stdout) when
/// `CLUBOS_TEST_DATABASE_URL` is not set, so the test can return early.
pub fn database_url(test: &str) -> Option<String> {
    match std::env::var(TEST_DATABASE_URL) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!("{test}: skipping: {TEST_DATABASE_URL} not set");
            None
        }
    }
}

/// A new, unique schema name.
pub fn schema_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("clubos_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn admin(url: &str, sql: &str) -> Result<(), PgError> {
    let pool = connect::pool(url, &PgOptions { max_connections: 1, ..PgOptions::default() })?;
    pool.get().await?.batch_execute(sql).await?;
    Ok(())
}

/// Creates `schema` (see [`schema_name`]).
pub async fn create_schema(url: &str, schema: &str) -> Result<(), PgError> {
    admin(url, &format!("CREATE SCHEMA \"{schema}\"")).await
}

/// Drops `schema` and everything in it.
pub async fn drop_schema(url: &str, schema: &str) -> Result<(), PgError> {
    admin(url, &format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await
}

/// A store of its own in the existing `schema` (another "instance" when
/// several are opened on one schema), migrated.
pub async fn open(url: &str, schema: &str, max_connections: usize) -> Result<PostgresStore, PgError> {
    let options = PgOptions { max_connections, schema: Some(schema.to_owned()), ..PgOptions::default() };
    PostgresStore::connect(url, options).await
}
