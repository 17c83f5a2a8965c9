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
