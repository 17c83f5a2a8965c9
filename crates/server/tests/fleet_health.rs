//! One health view across instances: two `App`s on one PostgreSQL schema.
//! Only A talks to the door controller (A probes it and finds it down); B
//! learns it from the shared store, and learns the recovery the same way.

mod common;

use clubos_config::Config;
use clubos_server::health_share;
use clubos_store_postgres::testing;
use common::{Options, UNIFI_TOKEN, config_text, spawn_with};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn instance(db: &str, controller: &str) -> common::TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("clubos.db").display());
    let text = config_text(dir.path(), "").replace(&sqlite, db).replace(
        "[connectors.unifi_access]\nmode = \"sandbox\"",
        &format!(
            "[connectors.unifi_access]\nmode = \"live\"\nbase_url = \"{controller}\"\ntoken_env = \"TEST_UNIFI_TOKEN\""
        ),
    );
    let text =
        text.replace("doors = [{ id = \"front\" }]", "doors = [{ id = \"front\", unifi_door_id = \"front-door\" }]");
    assert!(text.contains(controller), "the live controller is configured");
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).expect("config");
    spawn_with(config, dir, Options { serve: false, ..Options::default() }).await
}

/// The door controller's state on `t`'s board, as its policy sees it.
async fn door_state(t: &common::TestApp) -> String {
    let now = t.app.clock.now();
    t.app.health.state("unifi_access", now).expect("registered").as_str().to_owned()
}

#[tokio::test]
async fn what_one_instance_learns_of_a_vendor_reaches_the_others() {
    let Some(url) = testing::database_url("what_one_instance_learns_of_a_vendor_reaches_the_others") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let controller = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/developer/doors"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(3)
        .mount(&controller)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/developer/doors"))
        .and(header("authorization", format!("Bearer {UNIFI_TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "SUCCESS", "msg": "ok", "data": []})))
        .mount(&controller)
        .await;
    let a = instance(&db, &controller.uri()).await;
    let b = instance(&db, &controller.uri()).await;

    for _ in 0..3 {
        clubos_server::probe::tick(&a.app).await;
    }
    assert_eq!(door_state(&a).await, "down");
    assert_eq!(door_state(&b).await, "healthy", "B has not heard yet");
    assert_eq!(health_share::sync(&a.app).await.unwrap(), 0, "A publishes, adopts nothing");
    assert_eq!(health_share::sync(&b.app).await.unwrap(), 1, "B adopts A's observation");
    assert_eq!(door_state(&b).await, "down");
    assert_eq!(health_share::sync(&b.app).await.unwrap(), 0, "nothing new the second time");

    // A minute later (each instance has its own clock; both move on).
    for t in [&a, &b] {
        t.clock.advance(jiff::SignedDuration::from_mins(1));
    }
    clubos_server::probe::tick(&a.app).await;
    assert_eq!(door_state(&a).await, "healthy", "the controller answers again");
    health_share::sync(&a.app).await.unwrap();
    health_share::sync(&b.app).await.unwrap();
    assert_eq!(door_state(&b).await, "healthy", "B trusts it again without a probe of its own");
    let probes = controller.received_requests().await.unwrap_or_default().len();
    assert_eq!(probes, 4, "only A called the controller");
    a.stop().await;
    b.stop().await;
    testing::drop_schema(&url, &schema).await.ok();
}
