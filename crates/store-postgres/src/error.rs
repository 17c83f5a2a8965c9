//! Errors of the PostgreSQL backend and how they map to [`StoreError`].

use clubos_store::StoreError;

/// What can go wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid connection settings: {0}")]
    Config(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot get a database connection: {0}")]
    Pool(String),
    #[error("{}", describe(.0))]
    Sql(#[from] tokio_postgres::Error),
    #[error("migrations: {0}")]
    Migrate(String),
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => PgError::Sql(e),
            other => PgError::Pool(other.to_string()),
        }
    }
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// A readable message: tokio-postgres says only "db error" for a server
/// error, the detail is in its `DbError`.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// Any database error as a backend error.
pub(crate) fn db(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

/// Whether `e` is a unique violation of the constraint or index `name`.
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error, name: &str) -> bool {
    e.as_db_error()
        .is_some_and(|d| *d.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION && d.constraint() == Some(name))
}

/// A stored value that does not convert into the domain type.
pub(crate) fn corrupt(msg: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(msg.to_string())
}
