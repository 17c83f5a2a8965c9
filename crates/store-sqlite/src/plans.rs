//! Statement plans that must stay prepared, and a WAL that must stay small.
//!
//! Why this exists: with `ORDER BY`, SQLite (as bundled, with STAT4) re-
//! prepared some hot statements at nearly every run when the index range
//! they searched was empty — a full parse and plan per webhook, measured at
//! about a fifth of the server's CPU under load. Those statements now sort in
//! Rust; these tests fail if a hot statement starts re-preparing again.
//! They also check that the WAL does not grow without bound while readers
//! and the checkpointer are busy (it only starts over after a checkpoint
//! that copied every frame; see `WAL_RESTART_PAGES`).

#[cfg(test)]
mod tests {
    use clubos_domain::*;
    use clubos_store::conformance::{inbound, t};
    use clubos_store::*;
    use jiff::SignedDuration;
    use rusqlite::{Connection, StatementStatus};

    use crate::{Synchronous, configure, ingest, reads, schema, work};

    fn phone(n: u16) -> PhoneNumber {
        PhoneNumber::parse(&format!("902555{n:04}"), CountryCode::NANP).unwrap()
    }

    #[test]
    fn hot_statements_are_not_re_prepared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db");
        let mut w = Connection::open(&path).unwrap();
        w.pragma_update(None, "journal_mode", "WAL").unwrap();
        configure(&w, Synchronous::Normal).unwrap();
        schema::migrate(&mut w).unwrap();
        let r = Connection::open(&path).unwrap();
        configure(&r, Synchronous::Normal).unwrap();
        let loc = LocationId::parse("bedford").unwrap();
        // A few customers with bookings and threads; most look-ups below
        // find nothing, as most webhooks' do.
        for n in 0..5u16 {
            let b = Booking::new(
                BookingId::parse(&format!("bk-{n}")).unwrap(),
                loc.clone(),
                BayNumber::new(1).ok(),
                phone(n),
                t(0),
                t(60),
                BookingStatus::Confirmed,
            )
            .unwrap();
            reads::upsert_booking(&w, &b).unwrap();
            ingest::ingest(&w, &inbound(&format!("h{n}"), n, i64::from(n), Priority::Normal)).unwrap();
        }
        for n in 0..40u16 {
            let at = t(i64::from(n));
            reads::bookings_for(&r, &phone(n), Some(&loc), at - SignedDuration::from_mins(10), at).unwrap();
            work::work_context(&r, i64::from(n % 5) + 1, at).unwrap();
            work::actions_where(&r, "id = ?1", [i64::from(n)]).unwrap();
        }
        for sql in [reads::BOOKINGS_SQL.to_owned(), work::PENDING_SQL.to_owned(), work::actions_sql("id = ?1")] {
            let s = r.prepare_cached(&sql).unwrap();
            assert!(s.get_status(StatementStatus::Run) >= 40, "ran through the cache: {sql}");
            assert_eq!(s.get_status(StatementStatus::RePrepare), 0, "re-prepared: {sql}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_wal_starts_over_under_a_steady_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let store = crate::SqliteStore::open(&path, Synchronous::Normal).unwrap();
        let wal = dir.path().join("wal.db-wal");
        // Eight writers that never pause (the background checkpointer alone
        // would let the WAL restart whenever writes pause).
        let mut tasks = Vec::new();
        for w in 0..8u16 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..500u16 {
                    let n = w * 1000 + i;
                    s.ingest(inbound(&format!("w{n}"), n, i64::from(i), Priority::Normal)).await.unwrap();
                    if i % 10 == 0 {
                        s.queue_depth(t(0)).await.unwrap();
                    }
                }
            }));
        }
        let mut largest = 0;
        while tasks.iter().any(|t| !t.is_finished()) {
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        // 4,000 commits of several pages each would be tens of MB if the WAL
        // never started over; it must stay near the restart threshold.
        let bound = (crate::WAL_RESTART_PAGES * crate::PAGE_SIZE) as u64 * 2;
        assert!(largest > 0, "the WAL was used");
        assert!(largest < bound, "WAL reached {largest} bytes (bound {bound})");
    }
}
