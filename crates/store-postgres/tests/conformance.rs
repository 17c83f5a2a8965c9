//! The shared conformance suite, on PostgreSQL: each check on a fresh schema.

use std::sync::Mutex;

use clubos_store_postgres::testing;

#[tokio::test]
async fn conformance_on_postgres() {
    let Some(url) = testing::database_url("conformance_on_postgres") else {
        return;
    };
    let schemas = Mutex::new(Vec::new());
    clubos_store::conformance::run_all(|| {
        let (url, schemas) = (&url, &schemas);
        async move {
            let schema = testing::schema_name();
            testing::create_schema(url, &schema).await.expect("create schema");
            schemas.lock().unwrap().push(schema.clone());
            testing::open(url, &schema, 4).await.expect("connect")
        }
    })
    .await;
    for schema in schemas.into_inner().unwrap() {
        testing::drop_schema(&url, &schema).await.expect("drop schema");
    }
}

/// Where PostgreSQL cannot store what SQLite can: a NUL in a customer's
/// text (PostgreSQL text refuses it) is kept as U+FFFD, so the webhook is
/// stored rather than refused at every retry.
#[tokio::test]
async fn a_nul_in_a_customer_text_is_stored_as_a_replacement_character() {
    use clubos_store::{Ingested, Store};
    let Some(url) = testing::database_url("a_nul_in_a_customer_text_is_stored_as_a_replacement_character") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.unwrap();
    let s = testing::open(&url, &schema, 1).await.unwrap();
    let mut m = clubos_store::conformance::inbound("nul", 1, 0, clubos_domain::Priority::Normal);
    m.body = "bay 2\0 frozen".into();
    let Ingested::Stored { thread_id, .. } = s.ingest(m).await.unwrap() else { panic!("stored") };
    assert_eq!(s.thread(thread_id).await.unwrap().unwrap().messages[0].body, "bay 2\u{FFFD} frozen");
    testing::drop_schema(&url, &schema).await.unwrap();
}
