//! Copying one table: rows read from the SQLite snapshot, converted column
//! by column, and inserted into PostgreSQL in batches with their ids kept.

use anyhow::{Context, anyhow, bail};
use rusqlite::types::Value;
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::tables::{Kind, Table};

/// Rows per INSERT (fewer for wide tables: at most 65535 parameters).
const BATCH_ROWS: usize = 500;

type Param = Box<dyn ToSql + Sync + Send>;

/// The source's schema matches what this build copies: no unknown table,
/// and every copied table has exactly the expected columns.
pub(crate) fn check_source(src: &rusqlite::Connection) -> anyhow::Result<()> {
    let mut st = src.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
    let names: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let unknown = super::tables::unknown(names.iter().map(String::as_str));
    if !unknown.is_empty() {
        bail!(
            "the SQLite database has tables this build of clubos does not know ({}): it was written by a newer \
             ClubOS; run migrate-db from that version",
            unknown.join(", ")
        );
    }
    for table in super::tables::TABLES {
        let mut st = src.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let mut have: Vec<String> = st.query_map([table.name], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let mut want: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        have.sort_unstable();
        want.sort_unstable();
        if have != want {
            bail!(
                "the SQLite database's table `{}` has columns [{}], this build expects [{}]: its schema is from \
                 another ClubOS version. Start `clubos serve` of this version on it once (that upgrades the \
                 schema), stop it, and run migrate-db again",
                table.name,
                have.join(", "),
                want.join(", ")
            );
        }
    }
    Ok(())
}

/// Rows in `table` on the SQLite side.
pub(crate) fn sqlite_count(src: &rusqlite::Connection, table: &Table) -> anyhow::Result<u64> {
    let n: i64 = src.query_row(&format!("SELECT count(*) FROM \"{}\"", table.name), [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Rows in `table` on the PostgreSQL side.
pub(crate) async fn pg_count(tx: &Transaction<'_>, table: &Table) -> anyhow::Result<u64> {
    let n: i64 = tx.query_one(&format!("SELECT count(*) FROM \"{}\"", table.name), &[]).await?.get(0);
    Ok(n.max(0) as u64)
}

/// Copies every row of `table`; returns how many.
pub(crate) async fn copy_table(src: &rusqlite::Connection, tx: &Transaction<'_>, table: &Table) -> anyhow::Result<u64> {
    let cols: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let select = format!("SELECT {} FROM \"{}\"", quoted(&cols), table.name);
    let mut st = src.prepare(&select).with_context(|| format!("reading `{}`", table.name))?;
    let mut rows = st.query([])?;
    let per_batch = BATCH_ROWS.min(65_535 / cols.len());
    let full =
        tx.prepare(&insert_sql(table, per_batch)).await.with_context(|| format!("preparing `{}`", table.name))?;
    let mut batch: Vec<Param> = Vec::with_capacity(per_batch * cols.len());
    let mut copied = 0u64;
    loop {
        let row = rows.next().with_context(|| format!("reading `{}`", table.name))?;
        let done = row.is_none();
        if let Some(row) = row {
            for (i, (col, kind)) in table.columns.iter().enumerate() {
                let value: Value = row.get(i)?;
                let param =
                    convert(value, *kind).with_context(|| format!("`{}`.`{col}`, row {}", table.name, copied + 1))?;
                batch.push(param);
            }
            copied += 1;
        }
        let rows_in_batch = batch.len() / cols.len();
        if rows_in_batch == per_batch || (done && rows_in_batch > 0) {
            let params: Vec<&(dyn ToSql + Sync)> = batch.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
            let result = if rows_in_batch == per_batch {
                tx.execute(&full, &params).await
            } else {
                tx.execute(&insert_sql(table, rows_in_batch), &params).await
            };
            result.map_err(|e| anyhow!("writing `{}` (rows up to {copied}): {}", table.name, pg_error(&e)))?;
            batch.clear();
        }
        if done {
            return Ok(copied);
        }
    }
}

/// Sets the identity sequence of `table` so the next new row gets the id
/// after the highest copied one.
pub(crate) async fn set_sequence(tx: &Transaction<'_>, table: &Table) -> anyhow::Result<i64> {
    let sql = format!(
        "SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM \"{t}\"",
        t = table.name
    );
    let next: i64 =
        tx.query_one(&sql, &[]).await.with_context(|| format!("setting the id sequence of `{}`", table.name))?.get(0);
    Ok(next)
}

fn quoted(cols: &[&str]) -> String {
    cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
}

fn insert_sql(table: &Table, rows: usize) -> String {
    let n = table.columns.len();
    let cols: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = (0..rows)
        .map(|r| format!("({})", (1..=n).map(|i| format!("${}", r * n + i)).collect::<Vec<_>>().join(", ")))
        .collect();
    let overriding = if table.identity { " OVERRIDING SYSTEM VALUE" } else { "" };
    format!("INSERT INTO \"{}\" ({}){overriding} VALUES {}", table.name, quoted(&cols), values.join(", "))
}

/// A PostgreSQL error with its detail (which row, which key).
pub(crate) fn pg_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    }
}

/// One SQLite value as the PostgreSQL parameter of its column's type
/// (NULL stays NULL, typed).
fn convert(v: Value, kind: Kind) -> anyhow::Result<Param> {
    let wrong = |v: &Value| anyhow!("expected {kind:?}, found {}", type_name(v));
    Ok(match (kind, v) {
        (Kind::Text, Value::Null) => Box::new(None::<String>),
        (Kind::Text, Value::Text(s)) => Box::new(Some(s)),
        (Kind::Int, Value::Null) => Box::new(None::<i64>),
        (Kind::Int, Value::Integer(n)) => Box::new(Some(n)),
        (Kind::Real, Value::Null) => Box::new(None::<f64>),
        (Kind::Real, Value::Real(x)) => Box::new(Some(x)),
        (Kind::Real, Value::Integer(n)) => Box::new(Some(n as f64)),
        (Kind::Bool, Value::Null) => Box::new(None::<bool>),
        (Kind::Bool, Value::Integer(n @ (0 | 1))) => Box::new(Some(n == 1)),
        (Kind::Time, Value::Null) => Box::new(None::<jiff::Timestamp>),
        (Kind::Time, Value::Integer(ms)) => Box::new(Some(jiff::Timestamp::from_millisecond(ms)?)),
        (Kind::Json, Value::Null) => Box::new(None::<serde_json::Value>),
        (Kind::Json, Value::Text(s)) => Box::new(Some(serde_json::from_str::<serde_json::Value>(&s)?)),
        (Kind::TextArray, Value::Null) => Box::new(None::<Vec<String>>),
        (Kind::TextArray, Value::Text(s)) => Box::new(Some(serde_json::from_str::<Vec<String>>(&s)?)),
        (Kind::Date, Value::Null) => Box::new(None::<jiff::civil::Date>),
        (Kind::Date, Value::Text(s)) => Box::new(Some(s.parse::<jiff::civil::Date>()?)),
        (_, v) => return Err(wrong(&v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate_db::tables::TABLES;

    #[test]
    fn values_convert_to_their_postgres_types_and_wrong_ones_are_refused() {
        assert!(convert(Value::Integer(1_700_000_000_123), Kind::Time).is_ok());
        assert!(convert(Value::Text(r#"["bedford","truro"]"#.into()), Kind::TextArray).is_ok());
        assert!(convert(Value::Text("2025-03-04".into()), Kind::Date).is_ok());
        assert!(convert(Value::Null, Kind::Json).is_ok());
        assert!(convert(Value::Integer(2), Kind::Bool).is_err(), "only 0 and 1 are booleans");
        assert!(convert(Value::Text("{not json".into()), Kind::Json).is_err());
        assert!(convert(Value::Text("[1, 2]".into()), Kind::TextArray).is_err(), "locations are strings");
        let e = convert(Value::Blob(vec![1]), Kind::Text).err().unwrap().to_string();
        assert_eq!(e, "expected Text, found a blob");
    }

    #[test]
    fn inserts_keep_ids_of_identity_tables() {
        let threads = TABLES.iter().find(|t| t.name == "threads").unwrap();
        let sql = insert_sql(threads, 2);
        assert!(sql.starts_with("INSERT INTO \"threads\" (\"id\", \"customer_phone\""), "{sql}");
        assert!(sql.contains(") OVERRIDING SYSTEM VALUE VALUES ($1, $2,"), "{sql}");
        assert!(sql.ends_with("$31, $32)"), "{sql}");
        let settings = TABLES.iter().find(|t| t.name == "settings").unwrap();
        assert_eq!(
            insert_sql(settings, 1),
            "INSERT INTO \"settings\" (\"key\", \"value\", \"updated_at\") VALUES ($1, $2, $3)"
        );
    }
}
