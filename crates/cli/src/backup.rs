//! `clubos backup FILE` and `clubos restore FILE`: the embedded SQLite
//! database, copied consistently while the server runs, and put back only
//! while no process has it open (see `clubos_store_sqlite::backup`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clubos_config::DatabaseUrl;

fn database(config: Option<&Path>) -> anyhow::Result<PathBuf> {
    let config = crate::load_config(config)?;
    match &config.server.database_url {
        DatabaseUrl::Sqlite(path) => Ok(path.clone()),
        DatabaseUrl::SqliteMemory => {
            anyhow::bail!("the database is in memory (sqlite::memory:): there is nothing to back up")
        }
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "backup and restore handle the embedded SQLite database; back PostgreSQL up with its own tools \
             (pg_dump / pg_restore, see docs/PRIVACY.md)"
        ),
    }
}

pub fn backup(file: &Path, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let db = database(config)?;
    let info = clubos_store_sqlite::backup::backup(&db, file)?;
    println!(
        "Backed up {} to {} (schema version {}, {} threads, {} messages).",
        db.display(),
        file.display(),
        info.schema_version,
        info.threads,
        info.messages
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore(file: &Path, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let db = database(config)?;
    let info = clubos_store_sqlite::backup::restore(file, &db)?;
    println!(
        "Restored {} from {} (schema version {}, {} threads, {} messages); start the server.",
        db.display(),
        file.display(),
        info.schema_version,
        info.threads,
        info.messages
    );
    Ok(ExitCode::SUCCESS)
}
