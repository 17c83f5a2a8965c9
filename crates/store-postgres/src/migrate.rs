//! Append-only migrations, embedded in the binary: `migrations/NNNN_name.sql`,
//! each listed here once. Never edit one that has shipped (its checksum is
//! recorded and checked at every start); add the next one at the end.
//!
//! All pending migrations run in one transaction under an advisory lock, so
//! instances starting together migrate once and never see half a schema.

use deadpool_postgres::Object;

use crate::error::PgError;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "init", sql: include_str!("../migrations/0001_init.sql") },
    Migration { version: 2, name: "console", sql: include_str!("../migrations/0002_console.sql") },
    Migration { version: 3, name: "leases", sql: include_str!("../migrations/0003_leases.sql") },
    Migration { version: 4, name: "sop_metric_events", sql: include_str!("../migrations/0004_sop_metric_events.sql") },
];

/// FNV-1a: a stable fingerprint of a migration's text.
fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Brings the schema (the connection's `search_path`) up to date; returns how
/// many migrations ran.
pub(crate) async fn migrate(conn: &mut Object) -> Result<usize, PgError> {
    let tx = conn.transaction().await?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('clubos.migrate.' || coalesce(current_schema(), ''), 0));
         CREATE TABLE IF NOT EXISTS clubos_migrations (
            version     bigint PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let applied = tx.query("SELECT version, name, checksum FROM clubos_migrations ORDER BY version", &[]).await?;
    for row in &applied {
        let (version, name, sum): (i64, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let Some(known) = MIGRATIONS.iter().find(|m| m.version == version) else {
            return Err(PgError::Migrate(format!(
                "the database has migration {version} ({name}), newer than this build knows ({}); upgrade ClubOS",
                MIGRATIONS.len()
            )));
        };
        if checksum(known.sql) != sum {
            return Err(PgError::Migrate(format!(
                "migration {version} ({name}) differs from the one that ran on this database; \
                 migrations are append-only: restore it and add a new one"
            )));
        }
    }
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| !applied.iter().any(|r| r.get::<_, i64>(0) == m.version)) {
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| PgError::Migrate(format!("{} ({}): {}", m.version, m.name, PgError::Sql(e))))?;
        tx.execute(
            "INSERT INTO clubos_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &checksum(m.sql)],
        )
        .await?;
        ran += 1;
    }
    tx.commit().await?;
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_once_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|m| format!("{:04}_{}.sql", m.version, m.name)).collect();
        assert_eq!(files, listed);
        assert!(MIGRATIONS.iter().enumerate().all(|(i, m)| m.version == i as i64 + 1), "numbered 1, 2, 3, …");
    }

    #[test]
    fn checksums_are_stable() {
        // A change here means the function changed: every database would
        // then refuse to start. Do not change `checksum`.
        assert_eq!(checksum(""), "cbf29ce484222325");
        assert_eq!(checksum("a"), "af63dc4c8601ec8c");
    }

    /// Every variant the domain knows is allowed by the schema's CHECKs: a
    /// new variant needs a migration that widens its constraint.
    #[tokio::test]
    async fn every_domain_variant_passes_the_checks() {
        use clubos_domain::{ActionKind, ActionOutcome, BookingStatus, Category, ReasonCode, ThreadStatus, Verdict};
        use clubos_store::{ChangeKind, ProposalStatus, ReviewKind, ReviewStatus, Severity, SopStatus};

        let Some(url) = crate::testing::database_url("every_domain_variant_passes_the_checks") else {
            return;
        };
        let schema = crate::testing::schema_name();
        crate::testing::create_schema(&url, &schema).await.unwrap();
        let store = crate::testing::open(&url, &schema, 1).await.unwrap();
        let mut conn = store.pool.get().await.unwrap();
        assert_eq!(migrate(&mut conn).await.unwrap(), 0, "migrated once");
        fn strs<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| f(*v)).collect()
        }
        let action_statuses: Vec<&str> =
            std::iter::once("pending").chain(strs(ActionOutcome::ALL, ActionOutcome::as_str)).collect();
        let checks: Vec<(&str, Vec<&str>)> = vec![
            ("threads_status_known", strs(ThreadStatus::ALL, ThreadStatus::as_str)),
            ("threads_category_known", strs(Category::ALL, Category::as_str)),
            ("decisions_category_known", strs(Category::ALL, Category::as_str)),
            ("threads_reason_known", strs(ReasonCode::ALL, ReasonCode::as_str)),
            ("decisions_reason_known", strs(ReasonCode::ALL, ReasonCode::as_str)),
            ("decisions_verdict_known", strs(Verdict::ALL, Verdict::as_str)),
            ("bookings_status_known", strs(BookingStatus::ALL, BookingStatus::as_str)),
            ("actions_kind_known", strs(ActionKind::ALL, ActionKind::as_str)),
            ("actions_status_known", action_statuses),
            ("actions_trigger_known", vec!["ai", "human"]),
            (
                "notifications_severity_known",
                strs(&[Severity::Info, Severity::Warning, Severity::Critical], Severity::as_str),
            ),
            ("sops_status_known", strs(&[SopStatus::Active, SopStatus::Archived], SopStatus::as_str)),
            (
                "sop_proposals_status_known",
                strs(
                    &[ProposalStatus::Pending, ProposalStatus::Accepted, ProposalStatus::Rejected],
                    ProposalStatus::as_str,
                ),
            ),
            (
                "sop_changes_kind_known",
                strs(&[ChangeKind::Approve, ChangeKind::Rollback, ChangeKind::Archive], ChangeKind::as_str),
            ),
            (
                "review_jobs_kind_known",
                strs(&[ReviewKind::Structure, ReviewKind::Review, ReviewKind::Feedback], ReviewKind::as_str),
            ),
            (
                "review_jobs_status_known",
                strs(
                    &[ReviewStatus::Queued, ReviewStatus::Running, ReviewStatus::Done, ReviewStatus::Failed],
                    ReviewStatus::as_str,
                ),
            ),
        ];
        for (name, values) in checks {
            let row = conn
                .query_one(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1 AND connamespace = $2::text::regnamespace",
                    &[&name, &schema],
                )
                .await
                .unwrap();
            let def: String = row.get(0);
            for v in values {
                assert!(def.contains(&format!("'{v}'")), "{name} does not allow `{v}`: {def}");
            }
        }
        drop(conn);
        crate::testing::drop_schema(&url, &schema).await.unwrap();
    }
}
