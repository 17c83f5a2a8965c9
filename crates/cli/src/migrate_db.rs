//! `clubos migrate-db --to postgres://… [--config FILE | --from sqlite://PATH]`:
//! copies a single-site SQLite deployment into an empty PostgreSQL database,
//! keeping every id, so the history (threads, messages, decisions, actions,
//! audit, accounts, SOP versions, settings, …) carries over unchanged.
//!
//! The SQLite file is opened read-only and read inside one read transaction
//! (a consistent snapshot, even while a server still writes to it); the
//! PostgreSQL side is written inside one transaction that is committed only
//! when the row counts of every table match.

#[path = "migrate_db_copy.rs"]
mod copy;
#[path = "migrate_db_tables.rs"]
pub(crate) mod tables;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clubos_config::{Config, DatabaseUrl};
use clubos_store_postgres::{PgOptions, PostgresStore};
use rusqlite::OpenFlags;

use tables::TABLES;

#[derive(Debug)]
pub struct Args {
    /// The PostgreSQL database (`postgres://…`, without a password).
    pub to: String,
    /// The SQLite database (`sqlite://PATH`); default: the config's.
    pub from: Option<String>,
    pub config: Option<PathBuf>,
    /// The variable holding the PostgreSQL password; default: the config's
    /// `server.database_password_env`.
    pub password_env: Option<String>,
}

/// Where from, where to.
struct Plan {
    source: PathBuf,
    url: String,
    password: Option<String>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let plan = plan(&a)?;
    println!("Copying sqlite://{} into {}", plan.source.display(), plan.url);

    let src = open_source(&plan.source)?;
    // Deferred: the snapshot is taken by the first read and held to the end.
    src.execute_batch("BEGIN").context("starting the read transaction")?;
    copy::check_source(&src)?;
    let expected = TABLES.iter().map(|t| copy::sqlite_count(&src, t)).collect::<anyhow::Result<Vec<u64>>>()?;

    // The schema first (PostgreSQL's migrations, as every instance runs them).
    let options = PgOptions { max_connections: 1, password: plan.password.clone(), ..PgOptions::default() };
    drop(PostgresStore::connect(&plan.url, options).await.map_err(|e| anyhow!("PostgreSQL: {e}"))?);

    let mut client = connect(&plan).await?;
    let tx = client.transaction().await.context("starting the PostgreSQL transaction")?;
    // Nobody else writes while the copy runs (an instance started too early
    // waits, then finds the rows), and a second migrate-db finds them too.
    let names = TABLES.iter().map(|t| format!("\"{}\"", t.name)).collect::<Vec<_>>().join(", ");
    tx.batch_execute(&format!("SET LOCAL lock_timeout = '30s'; LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
        .await
        .map_err(|e| anyhow!("locking the PostgreSQL tables: {}", copy::pg_error(&e)))?;
    refuse_unless_empty(&tx).await?;

    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        copied.push(copy::copy_table(&src, &tx, table).await?);
    }
    for table in TABLES.iter().filter(|t| t.identity) {
        copy::set_sequence(&tx, table).await?;
    }
    let mut found = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        found.push(copy::pg_count(&tx, table).await?);
    }
    print!("{}", report(&expected, &copied, &found));
    if expected != found || expected != copied {
        // Dropping the transaction rolls it back.
        bail!("row counts differ (marked `MISMATCH` above): nothing was written to PostgreSQL");
    }
    tx.commit().await.map_err(|e| anyhow!("committing: {}", copy::pg_error(&e)))?;
    src.execute_batch("COMMIT").ok();
    println!(
        "Copied {} rows in {} tables in {:.1} s; id sequences set past the highest ids. The SQLite file was not changed.",
        found.iter().sum::<u64>(),
        TABLES.len(),
        started.elapsed().as_secs_f64()
    );
    println!("Next: point `server.database_url` at {} and start the instances.", plan.url);
    Ok(ExitCode::SUCCESS)
}

fn plan(a: &Args) -> anyhow::Result<Plan> {
    let config = a.config.as_deref().map(load_config).transpose()?;
    let source = match (&a.from, &config) {
        (Some(from), _) => match DatabaseUrl::parse(from).map_err(|e| anyhow!("--from: {e}"))? {
            DatabaseUrl::Sqlite(path) => path,
            _ => bail!("--from must be sqlite://PATH (the database to copy)"),
        },
        (None, Some(config)) => match &config.server.database_url {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::SqliteMemory => bail!("the config's database is in memory: there is nothing to copy"),
            DatabaseUrl::Postgres(_) => {
                bail!("the config's database is PostgreSQL already; name the SQLite file with --from sqlite://PATH")
            }
        },
        (None, None) => bail!("give --config FILE (the SQLite deployment's config) or --from sqlite://PATH"),
    };
    let url = match DatabaseUrl::parse(&a.to).map_err(|e| anyhow!("--to: {e}"))? {
        DatabaseUrl::Postgres(url) => url,
        _ => bail!("--to must be a postgres://… URL"),
    };
    refuse_tls(&url)?;
    let var = match (&a.password_env, &config) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(c)) => c.server.database_password_env.as_ref().map(|v| v.as_str().to_owned()),
        (None, None) => None,
    };
    let password = match var {
        Some(name) => Some(
            std::env::var(&name)
                .map_err(|_| anyhow!("environment variable `{name}` (the PostgreSQL password) is not set"))?,
        ),
        None => None,
    };
    Ok(Plan { source, url, password })
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| anyhow!("{e}"))
}

/// The copy runs over a plain tokio-postgres connection, which has no TLS:
/// say so rather than send the data unencrypted to a server that wants TLS.
fn refuse_tls(url: &str) -> anyhow::Result<()> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let tls = query.split('&').any(|p| {
        matches!(p, "sslmode=require" | "sslmode=verify-ca" | "sslmode=verify-full") || p.starts_with("sslrootcert=")
    });
    if tls {
        bail!(
            "--to asks for TLS (sslmode/sslrootcert), which migrate-db does not support yet: run it where the \
             database is reachable over a trusted network (on the database host, or through an SSH tunnel) \
             with sslmode=disable or prefer"
        );
    }
    Ok(())
}

fn open_source(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    if !path.is_file() {
        bail!("no SQLite database at {}", path.display());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)
        .with_context(|| format!("opening {} read-only", path.display()))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

async fn connect(plan: &Plan) -> anyhow::Result<tokio_postgres::Client> {
    let mut config: tokio_postgres::Config = plan.url.parse().map_err(|e| anyhow!("--to: {e}"))?;
    if let Some(pw) = &plan.password {
        config.password(pw.as_bytes());
    }
    config.application_name("clubos migrate-db");
    config.connect_timeout(Duration::from_secs(10));
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(|e| anyhow!("connecting to PostgreSQL (without TLS): {}", copy::pg_error(&e)))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("PostgreSQL connection: {e}");
        }
    });
    Ok(client)
}

/// Refuses to copy into a database that holds any ClubOS data already
/// (a deployment started on it, or an earlier migrate-db).
async fn refuse_unless_empty(tx: &tokio_postgres::Transaction<'_>) -> anyhow::Result<()> {
    let mut holding = Vec::new();
    for table in TABLES {
        let row = tx.query_one(&format!("SELECT EXISTS (SELECT 1 FROM \"{}\")", table.name), &[]).await?;
        if row.get::<_, bool>(0) {
            holding.push(table.name);
        }
    }
    if !holding.is_empty() {
        bail!(
            "the PostgreSQL database is not empty (rows in {}): migrate-db only copies into a fresh database. \
             Nothing was changed. If those rows are from an instance started too early, drop and recreate the \
             database (or schema) and run migrate-db before starting any instance on it",
            holding.join(", ")
        );
    }
    Ok(())
}

/// The row counts per table, as a table.
fn report(expected: &[u64], copied: &[u64], found: &[u64]) -> String {
    let mut out = format!("{:<18} {:>10} {:>10}\n", "table", "sqlite", "postgres");
    for (i, t) in TABLES.iter().enumerate() {
        let ok = expected[i] == found[i] && expected[i] == copied[i];
        let mark = if ok { "ok" } else { "MISMATCH" };
        out.push_str(&format!("{:<18} {:>10} {:>10}  {mark}\n", t.name, expected[i], found[i]));
    }
    let (e, f): (u64, u64) = (expected.iter().sum(), found.iter().sum());
    out.push_str(&format!("{:<18} {:>10} {:>10}\n", "total", e, f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(to: &str, from: Option<&str>) -> Args {
        Args { to: to.into(), from: from.map(Into::into), config: None, password_env: None }
    }

    #[test]
    fn source_and_target_are_checked() {
        let e = |a: Args| plan(&a).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(args("postgres://u@db/x", None)).contains("--config FILE"));
        assert!(e(args("postgres://u@db/x", Some("postgres://u@db/y"))).contains("--from must be sqlite://"));
        assert!(e(args("sqlite://b.db", Some("sqlite://a.db"))).contains("--to must be a postgres://"));
        assert!(e(args("postgres://u:pw@db/x", Some("sqlite://a.db"))).contains("must not contain a password"));
        assert!(e(args("postgres://u@db/x?sslmode=verify-full", Some("sqlite://a.db"))).contains("TLS"));
        let p = plan(&args("postgres://u@db/x?sslmode=disable", Some("sqlite://data/a.db"))).unwrap();
        assert_eq!(p.source, PathBuf::from("data/a.db"));
        let mut a = args("postgres://u@db/x", Some("sqlite://a.db"));
        a.password_env = Some("CLUBOS_MIGRATE_TEST_UNSET_VARIABLE".into());
        assert!(e(a).contains("CLUBOS_MIGRATE_TEST_UNSET_VARIABLE"));
    }

    #[test]
    fn the_report_marks_mismatches() {
        let n = TABLES.len();
        let same = vec![2; n];
        let text = report(&same, &same, &same);
        assert!(text.starts_with("table"), "{text}");
        assert!(text.contains("threads") && !text.contains("MISMATCH"), "{text}");
        assert!(text.ends_with(&format!("{:<18} {:>10} {:>10}\n", "total", 2 * n, 2 * n)), "{text}");
        let mut short = same.clone();
        short[0] = 1;
        assert!(report(&same, &same, &short).contains("MISMATCH"));
    }

    #[test]
    fn a_missing_source_is_named() {
        let e = open_source(Path::new("/nonexistent/clubos.db")).err().unwrap().to_string();
        assert_eq!(e, "no SQLite database at /nonexistent/clubos.db");
    }
}
