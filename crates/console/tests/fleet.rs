//! Several instances on one PostgreSQL database: an operator signed in on
//! one instance sees, without reloading, what another instance received and
//! did, and the same session works on every instance (sessions live in the
//! database, so the load balancer needs no sticky sessions).

mod common;

use clubos_domain::Role;
use clubos_store_postgres::testing;
use common::{Client, spawn_on};

#[tokio::test]
async fn an_operator_on_one_instance_sees_what_another_did() {
    let Some(url) = testing::database_url("an_operator_on_one_instance_sees_what_another_did") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let a = spawn_on(&db, "").await;
    let b = spawn_on(&db, "").await;
    a.account("ops@example.com", Role::Operator, &[]).await;

    // Signed in through instance A; the same cookie works on B.
    let mut ops = Client::login(&a, "ops@example.com").await;
    let on_a = ops.base.clone();
    ops.base = b.base.clone();
    assert_eq!(ops.get("/").await.status, 200, "the session is valid on every instance");
    ops.base = on_a;

    // A text arrives at B; the page on A refreshes with it (the live region).
    let id = b.text("+19025550140", "trackman frozen in bay 3").await;
    b.wait_thread(id, |t| !t["proposal"].is_null()).await;
    let live = ops
        .http
        .get(format!("{}/", a.base))
        .header("x-live", "1")
        .send()
        .await
        .expect("live")
        .text()
        .await
        .expect("body");
    assert!(live.contains(&format!("/threads/{id}\"")), "A's live inbox shows B's thread: {live}");

    // Resolved on A; B's thread page shows it.
    ops.get(&format!("/threads/{id}")).await;
    let r = ops.post(&format!("/threads/{id}/resolve"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    ops.base = b.base.clone();
    let page = ops.get(&format!("/threads/{id}")).await;
    assert!(page.body.contains("badge good\">Resolved<"), "{}", page.body);
    a.stop().await;
    b.stop().await;
    testing::drop_schema(&url, &schema).await.ok();
}
