//! PostgreSQL for `clubos load --database-url`: a fresh schema per run
//! (created before the children start, dropped after), the queue table's
//! autovacuum settings from docs/DEPLOYMENT.md, its dead-tuple statistics,
//! and the CPU time of the PostgreSQL server's processes.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio_postgres::NoTls;

/// The per-table settings docs/DEPLOYMENT.md ("PostgreSQL: autovacuum for
/// the queue table") recommends, word for word.
pub const QUEUE_TUNING: &str = "ALTER TABLE queue SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 1000,
    fillfactor = 70
)";

/// The run's schema on the database at `url` (loopback, no TLS: the
/// benchmark's database is local).
#[derive(Debug, Clone)]
pub struct Schema {
    url: String,
    pub name: String,
}

/// `url` with the schema as the children's search path.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

impl Schema {
    /// Creates `clubos_load_<pid>_<random>`.
    pub async fn create(url: &str) -> anyhow::Result<Schema> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("--database-url must be postgres://… or postgresql://…");
        }
        let name = format!("clubos_load_{}_{:08x}", std::process::id(), rand::random::<u32>());
        connect(url).await?.batch_execute(&format!("CREATE SCHEMA {name}")).await.context("CREATE SCHEMA")?;
        Ok(Schema { url: url.to_owned(), name })
    }

    /// The URL the children use.
    pub fn child_url(&self) -> String {
        with_search_path(&self.url, &self.name)
    }

    /// Applies [`QUEUE_TUNING`] (the migrations have run: the first
    /// instance is ready).
    pub async fn tune_queue(&self) -> anyhow::Result<()> {
        connect(&self.child_url()).await?.batch_execute(QUEUE_TUNING).await.context("ALTER TABLE queue")
    }

    /// The queue table's statistics now.
    pub async fn queue_stats(&self) -> anyhow::Result<QueueStats> {
        let c = connect(&self.url).await?;
        let row = c
            .query_one(
                "SELECT n_dead_tup, n_live_tup, last_autovacuum::text, autovacuum_count,
                        pg_total_relation_size(relid), (SELECT reloptions::text FROM pg_class WHERE oid = relid)
                 FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'queue'",
                &[&self.name],
            )
            .await
            .context("reading pg_stat_user_tables")?;
        let naptime: String = c.query_one("SHOW autovacuum_naptime", &[]).await?.get(0);
        let autovacuum: String = c.query_one("SHOW autovacuum", &[]).await?.get(0);
        Ok(QueueStats {
            dead: row.get(0),
            max_dead: (0, 0),
            live: row.get(1),
            last_autovacuum: row.get(2),
            autovacuum_count: row.get(3),
            bytes: row.get(4),
            options: row.get(5),
            naptime,
            autovacuum,
        })
    }

    /// Reads the queue's dead tuples every 2 s until `stop` turns true;
    /// returns the largest count seen and the number of readings.
    pub async fn watch_dead(self, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> (i64, u32) {
        let (mut max, mut n) = (0, 0);
        while !stop.load(std::sync::atomic::Ordering::Acquire) {
            if let Ok(q) = self.queue_stats().await {
                max = max.max(q.dead);
                n += 1;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        (max, n)
    }

    /// Queue-overflow notifications raised in the run.
    pub async fn overflow_alerts(&self) -> anyhow::Result<i64> {
        let c = connect(&self.child_url()).await?;
        Ok(c.query_one("SELECT count(*) FROM notifications WHERE kind = 'queue_overflow'", &[]).await?.get(0))
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) -> anyhow::Result<()> {
        connect(&self.url).await?.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name)).await?;
        Ok(())
    }
}

/// `pg_stat_user_tables` for `queue`, its size and settings.
#[derive(Debug, Clone, Default)]
pub struct QueueStats {
    pub dead: i64,
    /// The most dead tuples seen while the load ran (every 2 s), and the
    /// number of readings.
    pub max_dead: (i64, u32),
    pub live: i64,
    pub last_autovacuum: Option<String>,
    pub autovacuum_count: i64,
    /// Heap, indexes and TOAST.
    pub bytes: i64,
    pub options: Option<String>,
    pub naptime: String,
    /// The server-wide `autovacuum` switch: with `off` the table's settings
    /// do nothing and dead tuples are never reclaimed.
    pub autovacuum: String,
}

/// CPU time of every `postgres` process now, by pid (the server's backends,
/// including other clients' if any are connected).
pub fn postgres_cpu() -> HashMap<u32, Duration> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres"
            && let Some(cpu) = super::procfs::read(&pid.to_string()).cpu
        {
            out.insert(pid, cpu);
        }
    }
    out
}

/// CPU used between two [`postgres_cpu`] readings (a process that ended in
/// between is not counted; one that started counts in full).
pub fn cpu_between(before: &HashMap<u32, Duration>, after: &HashMap<u32, Duration>) -> Duration {
    after.iter().map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or_default())).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_path_goes_into_the_url() {
        assert_eq!(with_search_path("postgres://h/db", "s1"), "postgres://h/db?options=-c%20search_path%3Ds1");
        assert_eq!(
            with_search_path("postgres://h/db?sslmode=disable", "s1"),
            "postgres://h/db?sslmode=disable&options=-c%20search_path%3Ds1"
        );
        let mut before = HashMap::new();
        before.insert(1, Duration::from_secs(2));
        let mut after = before.clone();
        after.insert(1, Duration::from_secs(5));
        after.insert(2, Duration::from_secs(1));
        assert_eq!(cpu_between(&before, &after), Duration::from_secs(4));
    }
}
