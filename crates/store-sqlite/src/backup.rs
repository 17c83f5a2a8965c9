//! Backup and restore of a ClubOS SQLite database, safe while the server
//! runs: SQLite's online backup API copies the database from one read
//! transaction (WAL readers block no writer), into a temporary file that is
//! checked and then renamed over the destination.
//!
//! A restore refuses a database another process has open: it first
//! switches the target out of WAL mode, which SQLite allows only to the
//! last connection (a running `clubos serve` keeps several open), and then
//! copies the backup in through the target's own journal, so a crash
//! mid-restore rolls back to the old database. A file is accepted as a
//! ClubOS database when its `user_version` is a migration this build knows
//! and its core tables exist; it must pass `PRAGMA quick_check`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

/// Why a backup or restore was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}: no such database")]
    Missing(PathBuf),
    #[error("{path}: not a ClubOS database ({why})")]
    NotClubos { path: PathBuf, why: String },
    #[error("{path}: schema version {found} is newer than this build knows ({known}); upgrade ClubOS first")]
    TooNew { path: PathBuf, found: i64, known: usize },
    #[error("{0} is open in another process (a running `clubos serve`?): stop every process using it, then restore")]
    InUse(PathBuf),
    #[error("{0}: the backup file cannot be the database itself")]
    SameFile(PathBuf),
    #[error("{path}: {why}")]
    Sqlite { path: PathBuf, why: String },
    #[error("{path}: {why}")]
    Io { path: PathBuf, why: String },
}

/// What a checked database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbInfo {
    /// Its migration version (`PRAGMA user_version`).
    pub schema_version: i64,
    pub threads: u64,
    pub messages: u64,
}

/// Tables every ClubOS schema has had since migration 1.
const CORE_TABLES: [&str; 8] =
    ["customers", "bookings", "threads", "messages", "decisions", "actions", "audit", "settings"];

/// The migration version of this build.
pub fn schema_version() -> usize {
    crate::schema::version()
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |e| BackupError::Sqlite { path: path.to_owned(), why: e.to_string() }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io { path: path.to_owned(), why: e.to_string() }
}

/// Checks that `c` (the database at `path`) is a ClubOS database this build
/// can open; with `integrity`, runs `PRAGMA quick_check` as well.
fn check(c: &Connection, path: &Path, integrity: bool) -> Result<DbInfo, BackupError> {
    let not = |why: String| BackupError::NotClubos { path: path.to_owned(), why };
    if integrity {
        let verdict: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(|e| not(e.to_string()))?;
        if verdict != "ok" {
            return Err(not(format!("integrity check: {verdict}")));
        }
    }
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| not(e.to_string()))?;
    if version < 1 {
        return Err(not("no ClubOS schema version".into()));
    }
    if version as usize > schema_version() {
        return Err(BackupError::TooNew { path: path.to_owned(), found: version, known: schema_version() });
    }
    for table in CORE_TABLES {
        let n: i64 = c
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
            .map_err(sqlite(path))?;
        if n == 0 {
            return Err(not(format!("no `{table}` table")));
        }
    }
    let count = |table: &str| -> Result<u64, BackupError> {
        c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(sqlite(path))
    };
    Ok(DbInfo { schema_version: version, threads: count("threads")?, messages: count("messages")? })
}

/// Opens `path` read-only and checks it (integrity included).
pub fn verify(path: &Path) -> Result<DbInfo, BackupError> {
    if !path.is_file() {
        return Err(BackupError::Missing(path.to_owned()));
    }
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite(path))?;
    check(&c, path, true)
}

enum CopyError {
    /// Still locked after the retries.
    Busy,
    Failed(rusqlite::Error),
}

/// Copies every page of `src` into `dst` in one step (one read transaction:
/// a consistent copy), retrying up to `retries` times 50 ms apart while a
/// lock is in the way.
fn copy_all(src: &Connection, dst: &mut Connection, retries: u32) -> Result<(), CopyError> {
    use rusqlite::backup::StepResult;
    let b = Backup::new(src, dst).map_err(CopyError::Failed)?;
    let mut left = retries;
    loop {
        match b.step(-1).map_err(CopyError::Failed)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ if left == 0 => return Err(CopyError::Busy),
            _ => {
                left -= 1;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Copies the database at `db` (which a server may be using) to `dest`,
/// replacing `dest` only once the copy is complete and checked.
pub fn backup(db: &Path, dest: &Path) -> Result<DbInfo, BackupError> {
    if !db.is_file() {
        return Err(BackupError::Missing(db.to_owned()));
    }
    if same_file(db, dest) {
        return Err(BackupError::SameFile(dest.to_owned()));
    }
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(sqlite(db))?;
    src.busy_timeout(Duration::from_secs(5)).map_err(sqlite(db))?;
    check(&src, db, false)?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
    let partial = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let copied = (|| {
        let mut dst = Connection::open(&partial).map_err(sqlite(&partial))?;
        // All pages in one step: one read transaction, a consistent copy.
        copy_all(&src, &mut dst, 100).map_err(|e| match e {
            CopyError::Busy => BackupError::Sqlite { path: db.to_owned(), why: "the database stayed locked".into() },
            CopyError::Failed(e) => sqlite(db)(e),
        })?;
        // A single self-contained file, not a WAL database.
        let _: String = dst.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)).map_err(sqlite(&partial))?;
        let info = check(&dst, &partial, true)?;
        drop(dst);
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io(&partial))?;
        std::fs::rename(&partial, dest).map_err(io(dest))?;
        Ok(info)
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copied
}

/// Replaces the database at `db` with the backup at `from`. Refuses when
/// another process has `db` open, when `from` is not a ClubOS database this
/// build can open, and when `db` exists but is not a ClubOS database.
pub fn restore(from: &Path, db: &Path) -> Result<DbInfo, BackupError> {
    let info = verify(from)?;
    if same_file(from, db) {
        return Err(BackupError::SameFile(from.to_owned()));
    }
    let existed = db.is_file() && std::fs::metadata(db).map(|m| m.len() > 0).unwrap_or(false);
    let mut dst = Connection::open(db).map_err(sqlite(db))?;
    dst.busy_timeout(Duration::ZERO).map_err(sqlite(db))?;
    if existed {
        // Leaving WAL mode needs every other connection closed.
        match dst.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("delete") => {}
            Ok(_) => return Err(BackupError::InUse(db.to_owned())),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                return Err(BackupError::InUse(db.to_owned()));
            }
            Err(e) => return Err(sqlite(db)(e)),
        }
        check(&dst, db, false).map_err(|e| match e {
            BackupError::NotClubos { why, .. } => {
                BackupError::NotClubos { path: db.to_owned(), why: format!("{why}; refusing to overwrite it") }
            }
            other => other,
        })?;
    }
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite(from))?;
    copy_all(&src, &mut dst, 0).map_err(|e| match e {
        CopyError::Busy => BackupError::InUse(db.to_owned()),
        CopyError::Failed(e) => sqlite(db)(e),
    })?;
    let _: String = dst.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sqlite(db))?;
    let restored = check(&dst, db, false)?;
    if restored != info {
        return Err(BackupError::Sqlite {
            path: db.to_owned(),
            why: "the restored database differs from the backup".into(),
        });
    }
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SqliteStore, Synchronous};
    use clubos_store::{Ingested, Store};

    async fn text(s: &SqliteStore, n: u32) {
        let mut m =
            clubos_store::conformance::inbound(&format!("b{n}"), 1, i64::from(n), clubos_domain::Priority::Normal);
        m.join_window = jiff::SignedDuration::ZERO;
        assert!(matches!(s.ingest(m).await.unwrap(), Ingested::Stored { .. }));
    }

    /// Restores, retrying while the dropped store's threads close their connections.
    fn restore_when_closed(from: &Path, db: &Path) -> Result<DbInfo, BackupError> {
        for _ in 0..100 {
            match restore(from, db) {
                Err(BackupError::InUse(_)) => std::thread::sleep(Duration::from_millis(20)),
                other => return other,
            }
        }
        restore(from, db)
    }

    #[tokio::test]
    async fn a_backup_of_a_live_database_restores_once_it_is_closed() {
        let dir = tempfile::tempdir().unwrap();
        let (db, copy) = (dir.path().join("clubos.db"), dir.path().join("copy.db"));
        let store = SqliteStore::open(&db, Synchronous::Normal).unwrap();
        for n in 0..3 {
            text(&store, n).await;
        }
        assert!(matches!(backup(&db, &db), Err(BackupError::SameFile(_))));
        let info = backup(&db, &copy).unwrap();
        assert_eq!((info.threads, info.messages, info.schema_version), (3, 3, schema_version() as i64));
        assert!(!dir.path().join("copy.db-wal").exists(), "one self-contained file");
        assert_eq!(verify(&copy).unwrap(), info);
        text(&store, 3).await;
        // The server still has it open: refused, nothing changed.
        assert!(matches!(restore(&copy, &db), Err(BackupError::InUse(_))), "{:?}", restore(&copy, &db));
        assert_eq!(store.list_threads(Default::default()).await.unwrap().len(), 4);
        drop(store);
        assert_eq!(restore_when_closed(&copy, &db).unwrap(), info);
        let store = SqliteStore::open(&db, Synchronous::Normal).unwrap();
        assert_eq!(store.list_threads(Default::default()).await.unwrap().len(), 3, "back to the backup");
    }

    #[test]
    fn only_clubos_databases_are_restored_or_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("notes.txt"), "not a database at all, just some text that is long enough").unwrap();
        assert!(matches!(verify(&p("notes.txt")), Err(BackupError::NotClubos { .. })));
        assert!(matches!(verify(&p("absent.db")), Err(BackupError::Missing(_))));
        let other = Connection::open(p("other.db")).unwrap();
        other.execute_batch("CREATE TABLE photos (id INTEGER); PRAGMA user_version = 3;").unwrap();
        drop(other);
        let err = verify(&p("other.db")).unwrap_err();
        assert!(err.to_string().contains("not a ClubOS database (no `customers` table)"), "{err}");
        // A real one, then one from a newer build.
        crate::schema::migrate(&mut Connection::open(p("real.db")).unwrap()).unwrap();
        assert_eq!(verify(&p("real.db")).unwrap().threads, 0);
        std::fs::copy(p("real.db"), p("newer.db")).unwrap();
        Connection::open(p("newer.db")).unwrap().pragma_update(None, "user_version", 999).unwrap();
        assert!(matches!(restore(&p("newer.db"), &p("target.db")), Err(BackupError::TooNew { found: 999, .. })));
        assert!(!p("target.db").exists(), "nothing written");
        // Never over a database that is not ClubOS's.
        let err = restore(&p("real.db"), &p("other.db")).unwrap_err();
        assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        assert_eq!(restore(&p("real.db"), &p("fresh.db")).unwrap().schema_version, schema_version() as i64);
    }
}
