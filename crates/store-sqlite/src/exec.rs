//! Where SQLite work runs: one writer thread that commits jobs in groups,
//! reader threads on their own connections, and a checkpointer.
//!
//! Why a single writer with group commit: SQLite admits one writer at a time,
//! and on this class of machine the commit (WAL append, lock hand-over) costs
//! more than the statements of a typical job. The writer takes every job that
//! is waiting, runs each inside its own savepoint (so a job that fails leaves
//! no trace and does not disturb the others), commits them together, and only
//! then answers their callers. A caller is therefore never told "done" before
//! its rows are committed — the webhook's 2xx still follows its commit — but
//! 50 concurrent webhooks cost one commit, not 50.
//!
//! Why readers apart: WAL lets readers see the last commit while the writer
//! works, so reads (the worker's context, the API) use the second core instead
//! of queueing behind writes. A read issued after a write returned sees it.
//!
//! Why a checkpointer: a checkpoint copies the WAL back into the database and
//! syncs it; done inside a commit it stalls every job of that group. Here a
//! separate connection checkpoints passively, off the request path.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use clubos_store::{Result, StoreError};
use rusqlite::Connection;

/// Most jobs in one commit; bounds the latency a large group adds.
const MAX_GROUP: usize = 256;
/// How often the checkpointer looks at the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Answers a job's caller once its group has committed (or failed to).
type Finish = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// A write job: runs on the writer's connection inside a savepoint and says
/// whether to keep its changes.
/// It is given the error instead when its group could not begin.
type WriteJob = Box<dyn FnOnce(std::result::Result<&Connection, &StoreError>) -> (bool, Finish) + Send>;
type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// Handles to the threads; dropping the last one stops them (their channels close).
#[derive(Debug)]
pub(crate) struct Exec {
    writer: Sender<WriteJob>,
    /// `None` for an in-memory database, whose data only the writer's
    /// connection can see: reads then run on the writer too.
    readers: Option<Sender<ReadJob>>,
    /// Dropped with `Exec`, which tells the checkpointer to stop.
    _stop: Option<SyncSender<()>>,
}

impl Exec {
    /// Starts the writer on `writer`, one reader thread per connection in
    /// `readers`, and the checkpointer on `checkpointer` if given.
    pub(crate) fn start(
        writer: Connection,
        readers: Vec<Connection>,
        checkpointer: Option<Connection>,
    ) -> std::io::Result<Self> {
        let (wtx, wrx) = mpsc::channel::<WriteJob>();
        thread::Builder::new().name("sqlite-writer".into()).spawn(move || writer_loop(&writer, &wrx))?;
        let readers = if readers.is_empty() {
            None
        } else {
            let (rtx, rrx) = mpsc::channel::<ReadJob>();
            let rrx = Arc::new(Mutex::new(rrx));
            for (i, conn) in readers.into_iter().enumerate() {
                let rrx = Arc::clone(&rrx);
                thread::Builder::new().name(format!("sqlite-reader-{i}")).spawn(move || reader_loop(&conn, &rrx))?;
            }
            Some(rtx)
        };
        let stop = match checkpointer {
            Some(conn) => {
                let (stx, srx) = mpsc::sync_channel::<()>(0);
                thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || checkpoint_loop(&conn, &srx))?;
                Some(stx)
            }
            None => None,
        };
        Ok(Self { writer: wtx, readers, _stop: stop })
    }

    /// Runs `f` atomically on the writer; returns once it is committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |c| {
            let r = match c {
                Ok(c) => f(c),
                Err(e) => Err(e.clone()),
            };
            let keep = r.is_ok();
            let finish: Finish = Box::new(move |commit| {
                let r = match (r, commit) {
                    (Ok(_), Some(e)) => Err(e.clone()),
                    (r, _) => r,
                };
                // The caller may have gone away (a dropped request); nothing to do.
                let _ = tx.send(r);
            });
            (keep, finish)
        });
        self.writer.send(job).map_err(|_| stopped())?;
        rx.await.map_err(|_| failed())?
    }

    /// Runs `f` on a reader (the writer for an in-memory database).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.write(f).await;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: ReadJob = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        readers.send(job).map_err(|_| stopped())?;
        rx.await.map_err(|_| failed())?
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the storage threads have stopped".into())
}

fn failed() -> StoreError {
    StoreError::Backend("a storage job failed unexpectedly (see the log)".into())
}

fn exec(c: &Connection, sql: &str) -> Result<()> {
    c.prepare_cached(sql).and_then(|mut s| s.execute([])).map(drop).map_err(crate::backend)
}

fn writer_loop(c: &Connection, jobs: &Receiver<WriteJob>) {
    let mut group: Vec<Finish> = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = jobs.recv() {
        if let Err(e) = exec(c, "BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "sqlite: cannot begin a transaction");
            // Tell this job and every waiting one; the next job tries again.
            let mut waiting = vec![first];
            waiting.extend(jobs.try_iter());
            for job in waiting {
                refuse(job, &e);
            }
            continue;
        }
        group.extend(run_one(c, first));
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.extend(run_one(c, job)),
                Err(_) => break,
            }
        }
        let outcome = exec(c, "COMMIT").err();
        if let Some(e) = &outcome {
            tracing::error!(error = %e, jobs = group.len(), "sqlite: commit failed; the group is rolled back");
            let _ = exec(c, "ROLLBACK");
        }
        for finish in group.drain(..) {
            finish(outcome.as_ref());
        }
    }
}

/// Answers a job that could not run at all with `e`.
fn refuse(job: WriteJob, e: &StoreError) {
    let (_, finish) = job(Err(e));
    finish(None);
}

/// Runs one job in its own savepoint; `None` if it panicked (its caller then
/// sees an error because its answer channel was dropped).
fn run_one(c: &Connection, job: WriteJob) -> Option<Finish> {
    if let Err(e) = exec(c, "SAVEPOINT job") {
        refuse(job, &e);
        return None;
    }
    match catch_unwind(AssertUnwindSafe(|| job(Ok(c)))) {
        Ok((true, finish)) => match exec(c, "RELEASE job") {
            Ok(()) => Some(finish),
            Err(e) => {
                rollback_job(c);
                Some(Box::new(move |_| finish(Some(&e))))
            }
        },
        Ok((false, finish)) => {
            rollback_job(c);
            Some(finish)
        }
        Err(_) => {
            tracing::error!("sqlite: a write job panicked; its changes were rolled back");
            rollback_job(c);
            None
        }
    }
}

fn rollback_job(c: &Connection) {
    if let Err(e) = exec(c, "ROLLBACK TO job").and_then(|()| exec(c, "RELEASE job")) {
        tracing::error!(error = %e, "sqlite: cannot roll back a failed job");
    }
}

fn reader_loop(c: &Connection, jobs: &Mutex<Receiver<ReadJob>>) {
    loop {
        // Why hold the lock while waiting: only one idle reader needs to be
        // parked on the channel; the others wait for the lock instead.
        let job = match jobs.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if catch_unwind(AssertUnwindSafe(|| job(c))).is_err() {
            tracing::error!("sqlite: a read job panicked");
        }
    }
}

fn checkpoint_loop(c: &Connection, stop: &Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        // PASSIVE copies what no reader still needs and never blocks the writer.
        let r = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)));
        if let Err(e) = r {
            tracing::warn!(error = %e, "sqlite: checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &std::path::Path) -> Exec {
        let path = dir.join("t.db");
        let w = Connection::open(&path).unwrap();
        w.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER PRIMARY KEY)").unwrap();
        let r = Connection::open(&path).unwrap();
        Exec::start(w, vec![r], Some(Connection::open(&path).unwrap())).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_job_leaves_no_trace_and_does_not_disturb_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let exec = Arc::new(store(dir.path()));
        let mut tasks = Vec::new();
        for n in 0..400i64 {
            let exec = Arc::clone(&exec);
            tasks.push(tokio::spawn(async move {
                exec.write(move |c| {
                    c.execute("INSERT INTO t (n) VALUES (?1)", [n]).map_err(crate::backend)?;
                    if n % 3 == 0 { Err(StoreError::Conflict(format!("{n}"))) } else { Ok(n) }
                })
                .await
            }));
        }
        for (n, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap();
            assert_eq!(r.is_ok(), n % 3 != 0, "job {n}: {r:?}");
        }
        // Read on a reader connection: every acknowledged write is visible.
        let rows: Vec<i64> = exec
            .read(|c| {
                let mut s = c.prepare("SELECT n FROM t ORDER BY n").unwrap();
                Ok(s.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect())
            })
            .await
            .unwrap();
        let want: Vec<i64> = (0..400).filter(|n| n % 3 != 0).collect();
        assert_eq!(rows, want);
    }

    #[tokio::test]
    async fn a_panicking_job_is_rolled_back_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let exec = store(dir.path());
        let r: Result<()> = exec
            .write(|c| {
                c.execute("INSERT INTO t (n) VALUES (1)", []).unwrap();
                panic!("boom");
            })
            .await;
        assert!(matches!(r, Err(StoreError::Backend(_))));
        exec.write(|c| c.execute("INSERT INTO t (n) VALUES (2)", []).map(drop).map_err(crate::backend)).await.unwrap();
        let n: i64 = exec.read(|c| Ok(c.query_row("SELECT sum(n) FROM t", [], |r| r.get(0)).unwrap())).await.unwrap();
        assert_eq!(n, 2);
    }

    #[tokio::test]
    async fn a_read_after_a_write_sees_it() {
        let dir = tempfile::tempdir().unwrap();
        let exec = store(dir.path());
        for n in 0..50i64 {
            exec.write(move |c| c.execute("INSERT INTO t (n) VALUES (?1)", [n]).map(drop).map_err(crate::backend))
                .await
                .unwrap();
            let seen: i64 =
                exec.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap())).await.unwrap();
            assert_eq!(seen, n + 1);
        }
    }
}
