//! What `clubos migrate-db` copies: every table of the SQLite schema, in an
//! order that satisfies PostgreSQL's foreign keys, each column with the
//! conversion from its SQLite storage to its PostgreSQL type.

/// How a column is stored in SQLite and what it becomes in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// TEXT → text.
    Text,
    /// INTEGER → bigint.
    Int,
    /// REAL → double precision.
    Real,
    /// INTEGER 0/1 → boolean.
    Bool,
    /// INTEGER milliseconds since the epoch → timestamptz.
    Time,
    /// TEXT holding JSON → jsonb.
    Json,
    /// TEXT holding a JSON array of strings → text[].
    TextArray,
    /// TEXT `YYYY-MM-DD` → date.
    Date,
}

/// A table copied as is (same name, same columns on both sides).
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// Has a `bigint GENERATED ALWAYS AS IDENTITY` column `id` on PostgreSQL:
    /// rows keep their ids (`OVERRIDING SYSTEM VALUE`) and the sequence is
    /// set past the highest one afterwards.
    pub identity: bool,
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::*;

const fn table(name: &'static str, identity: bool, columns: &'static [(&'static str, Kind)]) -> Table {
    Table { name, identity, columns }
}

/// Every table, parents before children.
pub(crate) const TABLES: &[Table] = &[
    table("customers", false, &[("phone", Text), ("name", Text), ("flags", Json), ("updated_at", Time)]),
    table(
        "bookings",
        false,
        &[
            ("id", Text),
            ("location", Text),
            ("bay", Int),
            ("customer_phone", Text),
            ("starts_at", Time),
            ("ends_at", Time),
            ("status", Text),
        ],
    ),
    table(
        "threads",
        true,
        &[
            ("id", Int),
            ("customer_phone", Text),
            ("location", Text),
            ("bay", Int),
            ("status", Text),
            ("priority", Int),
            ("category", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("last_inbound_at", Time),
            ("last_outbound_at", Time),
            ("last_classified_at", Time),
            ("escalation_reason", Text),
            ("escalation_summary", Text),
            ("proposal", Json),
            ("correlation_id", Text),
        ],
    ),
    table(
        "decisions",
        true,
        &[
            ("id", Int),
            ("thread_id", Int),
            ("category", Text),
            ("sub_intent", Text),
            ("confidence", Real),
            ("verdict", Text),
            ("reason", Text),
            ("matched_sop", Text),
            ("proposed_action", Text),
            ("reply", Text),
            ("model", Text),
            ("tokens_in", Int),
            ("tokens_out", Int),
            ("cached", Bool),
            ("latency_ms", Int),
            ("checks", Json),
            ("at", Time),
        ],
    ),
    table(
        "messages",
        true,
        &[
            ("id", Int),
            ("thread_id", Int),
            ("direction", Text),
            ("body", Text),
            ("at", Time),
            ("author", Text),
            ("external_id", Text),
            ("processed", Bool),
            ("decision_id", Int),
        ],
    ),
    table("webhook_keys", false, &[("key", Text), ("received_at", Time)]),
    table(
        "queue",
        false,
        &[
            ("thread_id", Int),
            ("priority", Int),
            ("enqueued_at", Time),
            ("available_at", Time),
            ("claimed_by", Text),
            ("lease_until", Time),
            ("dirty", Bool),
            ("attempts", Int),
        ],
    ),
    table(
        "actions",
        true,
        &[
            ("id", Int),
            ("decision_id", Int),
            ("thread_id", Int),
            ("location", Text),
            ("kind", Text),
            ("target", Text),
            ("status", Text),
            ("triggered_by", Text),
            ("actor", Text),
            ("booking_id", Text),
            ("body", Text),
            ("started_at", Time),
            ("finished_at", Time),
            ("error", Text),
            ("override_reason", Text),
        ],
    ),
    table(
        "notifications",
        true,
        &[
            ("id", Int),
            ("kind", Text),
            ("severity", Text),
            ("thread_id", Int),
            ("title", Text),
            ("body", Text),
            ("dedupe_key", Text),
            ("created_at", Time),
            ("acked_at", Time),
            ("acked_by", Text),
            ("slack_done", Bool),
            ("slack_next_at", Time),
            ("oncall_done", Bool),
            ("oncall_next_at", Time),
        ],
    ),
    table(
        "audit",
        true,
        &[("id", Int), ("at", Time), ("actor", Text), ("action", Text), ("subject", Text), ("detail", Json)],
    ),
    table("settings", false, &[("key", Text), ("value", Text), ("updated_at", Time)]),
    table("token_use", false, &[("location", Text), ("day", Date), ("tokens", Int)]),
    table(
        "sops",
        false,
        &[
            ("id", Text),
            ("version", Int),
            ("status", Text),
            ("body", Json),
            ("source", Text),
            ("created_by", Text),
            ("approved_by", Text),
            ("created_at", Time),
        ],
    ),
    table(
        "sop_proposals",
        true,
        &[
            ("id", Int),
            ("sop_id", Text),
            ("body", Json),
            ("base_version", Int),
            ("source", Text),
            ("proposed_by", Text),
            ("warnings", Json),
            ("status", Text),
            ("decided_by", Text),
            ("decided_at", Time),
            ("note", Text),
            ("version", Int),
            ("created_at", Time),
            ("retires", Text),
        ],
    ),
    table(
        "sop_changes",
        true,
        &[
            ("id", Int),
            ("sop_id", Text),
            ("kind", Text),
            ("version", Int),
            ("previous_version", Int),
            ("proposal_id", Int),
            ("proposed_by", Text),
            ("approved_by", Text),
            ("diff", Json),
            ("at", Time),
        ],
    ),
    table(
        "sop_metrics",
        false,
        &[
            ("sop_id", Text),
            ("times_used", Int),
            ("successes", Int),
            ("failures", Int),
            ("overrides", Int),
            ("last_used", Time),
            ("last_success", Time),
            ("last_failure", Time),
        ],
    ),
    table(
        "review_jobs",
        true,
        &[
            ("id", Int),
            ("kind", Text),
            ("payload", Json),
            ("status", Text),
            ("attempts", Int),
            ("next_at", Time),
            ("last_error", Text),
            ("created_at", Time),
            ("finished_at", Time),
        ],
    ),
    table(
        "accounts",
        true,
        &[
            ("id", Int),
            ("email", Text),
            ("role", Text),
            ("locations", TextArray),
            ("password_hash", Text),
            ("must_change_password", Bool),
            ("disabled", Bool),
            ("created_at", Time),
            ("password_changed_at", Time),
        ],
    ),
    table(
        "sessions",
        false,
        &[
            ("token_hash", Text),
            ("account_id", Int),
            ("csrf_token", Text),
            ("created_at", Time),
            ("last_seen_at", Time),
        ],
    ),
    table("login_failures", true, &[("id", Int), ("key", Text), ("at", Time)]),
    table(
        "proposal_reviews",
        true,
        &[
            ("id", Int),
            ("decision_id", Int),
            ("thread_id", Int),
            ("location", Text),
            ("category", Text),
            ("confidence", Real),
            ("shadow", Bool),
            ("verdict", Text),
            ("actor", Text),
            ("at", Time),
        ],
    ),
];

/// Tables deliberately not copied, and why. A table may be listed here
/// before the SQLite schema has it.
pub(crate) const SKIPPED: &[(&str, &str)] =
    &[("leases", "held by running processes only; the new instances take their own")];

/// The SQLite tables this build does not know what to do with (neither
/// copied nor skipped). Internal `sqlite_*` tables are not data.
pub(crate) fn unknown<'a>(sqlite_tables: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    sqlite_tables
        .into_iter()
        .filter(|t| !t.starts_with("sqlite_"))
        .filter(|t| !TABLES.iter().any(|k| k.name == *t) && !SKIPPED.iter().any(|(s, _)| s == t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables and columns of a SQLite database freshly migrated by this
    /// build's store.
    fn fresh_schema() -> Vec<(String, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.db");
        drop(clubos_store_sqlite::SqliteStore::open(&path, clubos_store_sqlite::Synchronous::Normal).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
        let names: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        names
            .into_iter()
            .map(|t| {
                let mut st = conn.prepare(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid")).unwrap();
                let cols = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
                (t, cols)
            })
            .collect()
    }

    /// Fails when a SQLite migration adds a table (or a column) that
    /// `migrate-db` would silently leave behind: add it to [`TABLES`] (or,
    /// for state that must not move, to [`SKIPPED`]).
    #[test]
    fn every_table_and_column_of_the_sqlite_schema_is_covered() {
        let schema = fresh_schema();
        let unknown = unknown(schema.iter().map(|(t, _)| t.as_str()));
        assert!(unknown.is_empty(), "tables migrate-db does not know: {unknown:?}; add them to TABLES or SKIPPED");
        for table in TABLES {
            let Some((_, cols)) = schema.iter().find(|(t, _)| t == table.name) else {
                panic!("TABLES lists `{}`, which the SQLite schema does not have", table.name);
            };
            let mut have: Vec<&str> = cols.iter().map(String::as_str).collect();
            let mut want: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            have.sort_unstable();
            want.sort_unstable();
            assert_eq!(have, want, "columns of `{}`", table.name);
        }
    }

    #[test]
    fn tables_are_listed_once_and_identity_tables_start_with_their_id() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(TABLES[..i].iter().all(|o| o.name != t.name), "`{}` listed twice", t.name);
            assert!(!SKIPPED.iter().any(|(s, _)| *s == t.name), "`{}` both copied and skipped", t.name);
            if t.identity {
                assert_eq!(t.columns.first(), Some(&("id", Int)), "{}", t.name);
            }
        }
        assert_eq!(unknown(["sqlite_sequence", "threads", "leases", "mystery"]), vec!["mystery"]);
    }
}
