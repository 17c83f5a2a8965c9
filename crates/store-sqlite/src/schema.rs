//! Append-only migrations of the SQLite schema. Never edit a migration that
//! has shipped: add a new one at the end.

use rusqlite::Connection;

/// Each entry runs once, in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: the service's core tables.
    r#"
    CREATE TABLE customers (
        phone       TEXT PRIMARY KEY,
        name        TEXT,
        flags       TEXT NOT NULL DEFAULT '[]',
        updated_at  INTEGER NOT NULL
    );
    CREATE TABLE bookings (
        id              TEXT PRIMARY KEY,
        location        TEXT NOT NULL,
        bay             INTEGER,
        customer_phone  TEXT NOT NULL,
        starts_at       INTEGER NOT NULL,
        ends_at         INTEGER NOT NULL,
        status          TEXT NOT NULL
    );
    CREATE INDEX bookings_by_customer ON bookings(customer_phone, starts_at);
    CREATE TABLE threads (
        id                  INTEGER PRIMARY KEY,
        customer_phone      TEXT NOT NULL,
        location            TEXT NOT NULL,
        bay                 INTEGER,
        status              TEXT NOT NULL,
        priority            INTEGER NOT NULL,
        category            TEXT,
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL,
        last_inbound_at     INTEGER,
        last_outbound_at    INTEGER,
        last_classified_at  INTEGER,
        escalation_reason   TEXT,
        escalation_summary  TEXT,
        proposal            TEXT,
        correlation_id      TEXT NOT NULL
    );
    CREATE INDEX threads_by_customer ON threads(customer_phone, updated_at);
    CREATE INDEX threads_by_status ON threads(status, updated_at);
    CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        thread_id    INTEGER NOT NULL REFERENCES threads(id),
        direction    TEXT NOT NULL,
        body         TEXT NOT NULL,
        at           INTEGER NOT NULL,
        author       TEXT NOT NULL,
        external_id  TEXT,
        processed    INTEGER NOT NULL DEFAULT 0,
        decision_id  INTEGER
    );
    CREATE INDEX messages_by_thread ON messages(thread_id, id);
    CREATE INDEX messages_unprocessed ON messages(thread_id) WHERE processed = 0;
    CREATE TABLE webhook_keys (
        key          TEXT PRIMARY KEY,
        received_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE queue (
        thread_id    INTEGER PRIMARY KEY REFERENCES threads(id),
        priority     INTEGER NOT NULL,
        enqueued_at  INTEGER NOT NULL,
        available_at INTEGER NOT NULL,
        claimed_by   TEXT,
        lease_until  INTEGER,
        dirty        INTEGER NOT NULL DEFAULT 1,
        attempts     INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX queue_order ON queue(priority, enqueued_at, thread_id);
    CREATE TABLE decisions (
        id               INTEGER PRIMARY KEY,
        thread_id        INTEGER NOT NULL REFERENCES threads(id),
        category         TEXT,
        sub_intent       TEXT,
        confidence       REAL,
        verdict          TEXT NOT NULL,
        reason           TEXT,
        matched_sop      TEXT,
        proposed_action  TEXT,
        reply            TEXT,
        model            TEXT NOT NULL,
        tokens_in        INTEGER NOT NULL,
        tokens_out       INTEGER NOT NULL,
        cached           INTEGER NOT NULL,
        latency_ms       INTEGER NOT NULL,
        checks           TEXT NOT NULL,
        at               INTEGER NOT NULL
    );
    CREATE INDEX decisions_by_thread ON decisions(thread_id, id);
    CREATE TABLE actions (
        id               INTEGER PRIMARY KEY,
        decision_id      INTEGER REFERENCES decisions(id),
        thread_id        INTEGER NOT NULL REFERENCES threads(id),
        location         TEXT NOT NULL,
        kind             TEXT NOT NULL,
        target           TEXT NOT NULL,
        status           TEXT NOT NULL,
        triggered_by     TEXT NOT NULL,
        actor            TEXT NOT NULL,
        booking_id       TEXT,
        body             TEXT,
        started_at       INTEGER NOT NULL,
        finished_at      INTEGER,
        error            TEXT,
        override_reason  TEXT
    );
    CREATE UNIQUE INDEX actions_once_per_decision ON actions(decision_id, kind) WHERE decision_id IS NOT NULL;
    CREATE INDEX actions_by_location ON actions(location, started_at);
    CREATE INDEX actions_by_thread ON actions(thread_id, id);
    CREATE INDEX actions_pending ON actions(status) WHERE status = 'pending';
    CREATE TABLE notifications (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        severity    TEXT NOT NULL,
        thread_id   INTEGER,
        title       TEXT NOT NULL,
        body        TEXT NOT NULL,
        dedupe_key  TEXT,
        created_at  INTEGER NOT NULL,
        acked_at    INTEGER,
        acked_by    TEXT
    );
    CREATE UNIQUE INDEX notifications_open_key ON notifications(dedupe_key) WHERE acked_at IS NULL AND dedupe_key IS NOT NULL;
    CREATE TABLE audit (
        id       INTEGER PRIMARY KEY,
        at       INTEGER NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        subject  TEXT NOT NULL,
        detail   TEXT NOT NULL
    );
    CREATE TABLE settings (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE TABLE sops (
        id          TEXT NOT NULL,
        version     INTEGER NOT NULL,
        status      TEXT NOT NULL,
        body        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (id, version)
    );
    "#,
    // 2: the policy's ledger read skips replies; index only device actions.
    r#"
    CREATE INDEX actions_ledger ON actions(location, started_at) WHERE kind != 'send_reply';
    "#,
    // 3: the ledger is read per planned action (latest attempt on a target,
    // a bay's resets in a window, a booking's attempts), not per location.
    r#"
    DROP INDEX actions_ledger;
    DROP INDEX actions_by_location;
    CREATE INDEX actions_by_target ON actions(location, kind, target, started_at);
    CREATE INDEX actions_by_booking ON actions(booking_id, kind) WHERE booking_id IS NOT NULL;
    "#,
    // 4: delivery of notifications to Slack and to the on-call phone. Rows
    // that exist already count as delivered: an upgrade must not replay
    // months of alerts.
    r#"
    ALTER TABLE notifications ADD COLUMN slack_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE notifications ADD COLUMN slack_next_at INTEGER;
    ALTER TABLE notifications ADD COLUMN oncall_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE notifications ADD COLUMN oncall_next_at INTEGER;
    UPDATE notifications SET slack_done = 1, oncall_done = 1;
    CREATE INDEX notifications_slack_due ON notifications(id) WHERE slack_done = 0;
    CREATE INDEX notifications_oncall_due ON notifications(id)
        WHERE oncall_done = 0 AND acked_at IS NULL AND severity = 'critical';
    "#,
    // 5: LLM tokens per location and local day (reservations included).
    r#"
    CREATE TABLE token_use (
        location  TEXT NOT NULL,
        day       TEXT NOT NULL,
        tokens    INTEGER NOT NULL,
        PRIMARY KEY (location, day)
    ) WITHOUT ROWID;
    "#,
    // 6: the SOP knowledge base: who proposed and approved each version, the
    // review queue, and the change log. Existing versions are the starter set.
    r#"
    ALTER TABLE sops ADD COLUMN source TEXT NOT NULL DEFAULT 'starter';
    ALTER TABLE sops ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';
    ALTER TABLE sops ADD COLUMN approved_by TEXT;
    CREATE UNIQUE INDEX sops_one_active ON sops(id) WHERE status = 'active';
    CREATE TABLE sop_proposals (
        id            INTEGER PRIMARY KEY,
        sop_id        TEXT NOT NULL,
        body          TEXT NOT NULL,
        base_version  INTEGER,
        source        TEXT NOT NULL,
        proposed_by   TEXT NOT NULL,
        warnings      TEXT NOT NULL,
        status        TEXT NOT NULL,
        decided_by    TEXT,
        decided_at    INTEGER,
        note          TEXT,
        version       INTEGER,
        created_at    INTEGER NOT NULL
    );
    CREATE INDEX sop_proposals_by_status ON sop_proposals(status, id);
    CREATE TABLE sop_changes (
        id                INTEGER PRIMARY KEY,
        sop_id            TEXT NOT NULL,
        kind              TEXT NOT NULL,
        version           INTEGER,
        previous_version  INTEGER,
        proposal_id       INTEGER,
        proposed_by       TEXT NOT NULL,
        approved_by       TEXT NOT NULL,
        diff              TEXT NOT NULL,
        at                INTEGER NOT NULL
    );
    "#,
    // 7: how each SOP does in use (updated with every decision and outcome).
    r#"
    CREATE TABLE sop_metrics (
        sop_id        TEXT PRIMARY KEY,
        times_used    INTEGER NOT NULL DEFAULT 0,
        successes     INTEGER NOT NULL DEFAULT 0,
        failures      INTEGER NOT NULL DEFAULT 0,
        overrides     INTEGER NOT NULL DEFAULT 0,
        last_used     INTEGER,
        last_success  INTEGER,
        last_failure  INTEGER
    ) WITHOUT ROWID;
    "#,
    // 8: Claude's SOP work queue, run strictly in id order. While a job
    // runs, next_at is the end of its lease.
    r#"
    CREATE TABLE review_jobs (
        id           INTEGER PRIMARY KEY,
        kind         TEXT NOT NULL,
        payload      TEXT NOT NULL,
        status       TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      INTEGER NOT NULL,
        last_error   TEXT,
        created_at   INTEGER NOT NULL,
        finished_at  INTEGER
    );
    CREATE INDEX review_jobs_waiting ON review_jobs(id) WHERE status IN ('queued', 'running');
    "#,
    // 9: a proposal may retire another SOP when accepted (a merge).
    r#"
    ALTER TABLE sop_proposals ADD COLUMN retires TEXT;
    "#,
    // 10: console accounts, sessions (by token hash), login failures,
    // operators' answers to proposals, and decisions by time.
    r#"
    CREATE TABLE accounts (
        id                    INTEGER PRIMARY KEY,
        email                 TEXT NOT NULL UNIQUE,
        role                  TEXT NOT NULL,
        locations             TEXT NOT NULL,
        password_hash         TEXT NOT NULL,
        must_change_password  INTEGER NOT NULL,
        disabled              INTEGER NOT NULL DEFAULT 0,
        created_at            INTEGER NOT NULL,
        password_changed_at   INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash    TEXT PRIMARY KEY,
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csrf_token    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        last_seen_at  INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_account ON sessions(account_id);
    CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at);
    CREATE TABLE login_failures (
        id   INTEGER PRIMARY KEY,
        key  TEXT NOT NULL,
        at   INTEGER NOT NULL
    );
    CREATE INDEX login_failures_by_key ON login_failures(key, at);
    CREATE TABLE proposal_reviews (
        id           INTEGER PRIMARY KEY,
        decision_id  INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
        thread_id    INTEGER NOT NULL,
        location     TEXT NOT NULL,
        category     TEXT NOT NULL,
        confidence   REAL NOT NULL,
        shadow       INTEGER NOT NULL,
        verdict      TEXT NOT NULL,
        actor        TEXT NOT NULL,
        at           INTEGER NOT NULL
    );
    CREATE INDEX proposal_reviews_by_at ON proposal_reviews(at);
    CREATE INDEX decisions_by_at ON decisions(at);
    "#,
    // 11: named leases (the action guard, leadership of background work).
    r#"
    CREATE TABLE leases (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        expires_at  INTEGER NOT NULL
    );
    "#,
];

/// The schema version this build migrates to.
pub(crate) fn version() -> usize {
    MIGRATIONS.len()
}

/// Brings the schema up to date inside one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<usize> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current > MIGRATIONS.len() {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {current} is newer than this build ({}); upgrade ClubOS",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(MIGRATIONS.len() - current)
}
