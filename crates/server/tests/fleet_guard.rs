//! The action guard holds across instances: two `App`s on one PostgreSQL
//! schema (two "instances"); while one holds the guard of a location, the
//! other waits, and gets it as soon as it is released — the property that
//! keeps two instances from both passing a device limit.

mod common;

use std::time::{Duration, Instant};

use clubos_config::Config;
use clubos_domain::LocationId;
use clubos_server::lease::ActionGuard;
use clubos_store_postgres::testing;
use common::{Options, config_text, spawn_with};

async fn instance(db: &str) -> common::TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("clubos.db").display());
    let text = config_text(dir.path(), "").replace(&sqlite, db);
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).expect("config");
    spawn_with(config, dir, Options { serve: false, ..Options::default() }).await
}

#[tokio::test]
async fn a_location_s_action_guard_is_held_by_one_instance_at_a_time() {
    let Some(url) = testing::database_url("a_location_s_action_guard_is_held_by_one_instance_at_a_time") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let a = instance(&db).await;
    let b = instance(&db).await;
    assert!(a.app.store.is_shared() && b.app.store.is_shared());
    let here = LocationId::parse("sandbox").expect("location");

    let held = ActionGuard::acquire(&a.app, &here).await.expect("A takes the guard");
    let (b_app, loc) = (b.app.clone(), here.clone());
    let waiter = tokio::spawn(async move {
        let g = ActionGuard::acquire(&b_app, &loc).await.expect("B gets it after A");
        let at = Instant::now();
        g.release().await;
        at
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!waiter.is_finished(), "B waits while A holds the guard");
    let released = Instant::now();
    held.release().await;
    let got = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("B is not stuck").expect("join");
    assert!(got >= released, "B got the guard only after A released it");
    assert!(got.duration_since(released) < Duration::from_secs(1), "and soon after");
    // Another location is independent.
    let other = LocationId::parse("elsewhere").expect("location");
    let g1 = ActionGuard::acquire(&a.app, &here).await.expect("A again");
    let g2 = tokio::time::timeout(Duration::from_secs(2), ActionGuard::acquire(&b.app, &other)).await;
    assert!(g2.is_ok_and(|g| g.is_ok()), "a different location's guard is free");
    g1.release().await;
    a.stop().await;
    b.stop().await;
    testing::drop_schema(&url, &schema).await.ok();
}
