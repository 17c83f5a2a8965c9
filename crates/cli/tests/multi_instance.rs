//! Three `clubos serve` instances on one PostgreSQL schema: signed webhooks
//! spread over them (one event sent to two instances at once), reset
//! requests for one bay arriving at all three at once, and one instance
//! killed with SIGKILL while it holds claims. Afterwards nothing is lost,
//! nothing decided or executed twice, the reset limit holds, and the killed
//! instance's claims are finished by the others once their leases end.
//!
//! Runs when `CLUBOS_TEST_DATABASE_URL` is set (skips with a message
//! otherwise). The killed instance ("C") asks a booking system that never
//! answers before deciding, so every claim it takes is still open when it
//! is killed: that is the work the others must finish.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use clubos_domain::{BayNumber, Booking, BookingId, BookingStatus, LocationId, PhoneNumber};
use clubos_store::Store;
use clubos_store_postgres::testing;
use jiff::{SignedDuration, Timestamp};

const KEY: &str = "Y2x1Ym9zLXRlc3Qtc2lnbmluZy1rZXk=";
const TOKEN: &str = "multi-instance-token";
/// General messages, each from its own customer.
const GENERAL: u32 = 45;
/// Customers with a booking on bay 1 asking for a reset, all at once.
const RESETS: u32 = 9;
/// `[limits] resets_per_bay` (the default) within `reset_window_minutes`.
const RESETS_PER_BAY: i64 = 2;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn write_config(dir: &Path, name: &str, port: u16, db: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        r#"[server]
listen = "127.0.0.1:{port}"
database_url = "{db}"
database_pool_size = 4
[agent]
workers = 2
[connectors.openphone]
mode = "sandbox"
webhook_secret_env = "MULTI_SECRET"
[connectors.ninjaone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
{extra}
[[locations]]
id = "sandbox"
name = "Fleet Golf"
timezone = "America/Halifax"
bays = [{{ number = 1 }}, {{ number = 2 }}]
doors = [{{ id = "front" }}]
"#
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn start(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(config)
        .env("CLUBOS_API_TOKEN", TOKEN)
        .env("MULTI_SECRET", KEY)
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start clubos serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become ready");
}

/// Posts one signed message webhook; returns the HTTP status.
async fn post(client: &reqwest::Client, base: &str, event: &str, from: &str, text: &str) -> u16 {
    let secret = WebhookSecret::parse(KEY).unwrap();
    let body =
        build_message_received_legacy(event, &format!("AC{event}"), from, "+19025550100", text, Timestamp::now());
    let mut req = client.post(format!("{base}/webhooks/openphone"));
    for (k, v) in secret.signed_headers(event, Timestamp::now(), &body) {
        req = req.header(k, v);
    }
    req.body(body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

fn phone(n: u32) -> String {
    format!("+1902555{n:04}")
}

/// A listener that accepts connections and never answers (C's booking system).
fn black_hole() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().unwrap().port();
    (l, port)
}

struct Db(tokio_postgres::Client);

impl Db {
    async fn connect(url: &str) -> Self {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(conn);
        Self(client)
    }

    async fn count(&self, sql: &str) -> i64 {
        self.0.query_one(sql, &[]).await.expect(sql).get(0)
    }

    /// Threads claimed by the worker of the process with id `pid`, with the end of each lease.
    async fn claims_of(&self, pid: u32) -> BTreeMap<i64, Timestamp> {
        let rows = self
            .0
            .query("SELECT thread_id, lease_until FROM queue WHERE claimed_by LIKE $1", &[&format!("{pid}-%")])
            .await
            .expect("claims");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_one_database_every_limit_holds() {
    let Some(url) = testing::database_url("three_instances_one_database_every_limit_holds") else { return };
    let started = Instant::now();
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let db_url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    // Migrated here, and used to put the reset customers' bookings in.
    let store = testing::open(&url, &schema, 2).await.expect("store");
    let now = Timestamp::now();
    for i in 0..RESETS {
        let b = Booking::new(
            BookingId::parse(&format!("bk-{i}")).unwrap(),
            LocationId::parse("sandbox").unwrap(),
            BayNumber::new(1).ok(),
            PhoneNumber::parse_e164(&phone(9000 + i)).unwrap(),
            now - SignedDuration::from_mins(10),
            now + SignedDuration::from_mins(50),
            BookingStatus::Confirmed,
        )
        .unwrap();
        store.upsert_booking(&b).await.unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let (_hole, hole_port) = black_hole();
    let c_extra =
        format!("[bookings]\nprovider = \"http\"\nbase_url = \"http://127.0.0.1:{hole_port}\"\ntimeout_seconds = 60");
    let ports = [free_port(), free_port(), free_port()];
    let configs = [
        write_config(dir.path(), "a", ports[0], &db_url, ""),
        write_config(dir.path(), "b", ports[1], &db_url, ""),
        write_config(dir.path(), "c", ports[2], &db_url, &c_extra),
    ];
    let mut children: Vec<Child> = configs.iter().map(|c| start(c)).collect();
    let bases: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let client = reqwest::Client::new();
    for b in &bases {
        wait_ready(&client, b).await;
    }
    let db = Db::connect(&db_url).await;

    // The load: general messages round-robin, every fifth one also sent to
    // the next instance at the same moment (one event, two instances); the
    // reset requests for bay 1 at all three instances at once.
    let texts = ["what are your hours", "is there parking", "do you rent clubs", "how much is a bay", "thanks!"];
    let mut sends = Vec::new();
    for i in 0..GENERAL {
        let (client, event, from) = (client.clone(), format!("EVm{i}"), phone(1000 + i));
        let text = texts[i as usize % texts.len()];
        let mut targets = vec![bases[i as usize % 3].clone()];
        if i % 5 == 0 {
            targets.push(bases[(i as usize + 1) % 3].clone());
        }
        for base in targets {
            let (client, event, from) = (client.clone(), event.clone(), from.clone());
            sends.push(tokio::spawn(async move { (event.clone(), post(&client, &base, &event, &from, text).await) }));
        }
    }
    for i in 0..RESETS {
        let (client, base) = (client.clone(), bases[i as usize % 3].clone());
        let (event, from) = (format!("EVr{i}"), phone(9000 + i));
        sends.push(tokio::spawn(async move {
            (event.clone(), post(&client, &base, &event, &from, "trackman frozen bay 1").await)
        }));
    }
    let mut acked = HashSet::new();
    for s in sends {
        let (event, status) = s.await.unwrap();
        assert_eq!(status, 200, "{event} acknowledged");
        acked.insert(event);
    }
    assert_eq!(acked.len() as u32, GENERAL + RESETS);

    // C takes claims and hangs on its booking system: kill it with them.
    let pid_c = children[2].id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut held = db.claims_of(pid_c).await;
    while held.len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        held = db.claims_of(pid_c).await;
    }
    assert!(!held.is_empty(), "instance C claimed work before it was killed");
    children[2].kill().expect("SIGKILL");
    children[2].wait().unwrap();
    let killed_at = Timestamp::now();
    println!("killed C (pid {pid_c}) holding {} claims after {:?}", held.len(), started.elapsed());

    // More load on the survivors while C's leases run out.
    for i in 0..10u32 {
        let event = format!("EVl{i}");
        assert_eq!(post(&client, &bases[i as usize % 2], &event, &phone(5000 + i), texts[0]).await, 200);
        acked.insert(event);
    }

    // Wait until every message is processed (C's claims: after their leases).
    let deadline = Instant::now() + Duration::from_secs(50);
    loop {
        let left = db.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND NOT processed").await;
        let pending = db.count("SELECT count(*) FROM actions WHERE status = 'pending'").await;
        if left == 0 && pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{left} messages and {pending} actions still open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("all processed after {:?}", started.elapsed());

    // No message lost, none stored twice: one inbound message per acknowledged event.
    let inbound = db.count("SELECT count(*) FROM messages WHERE direction = 'inbound'").await;
    assert_eq!(inbound, acked.len() as i64, "every acknowledged webhook stored once");
    let threads = db.count("SELECT count(*) FROM threads").await;
    assert_eq!(threads, acked.len() as i64, "one customer, one thread");
    // None decided twice: exactly one final decision per thread (its one message).
    let twice = db
        .count(
            "SELECT count(*) FROM (SELECT thread_id FROM decisions WHERE verdict <> 'defer'
             GROUP BY thread_id HAVING count(*) <> 1) x",
        )
        .await;
    assert_eq!(twice, 0, "every thread decided exactly once");
    let undecided = db.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND decision_id IS NULL").await;
    assert_eq!(undecided, 0, "every message belongs to its decision");
    // No action twice: one of each kind per decision (also a unique index),
    // and no device action outside a decision's or an operator's record.
    let dup =
        db.count("SELECT count(*) FROM (SELECT 1 FROM actions GROUP BY decision_id, kind HAVING count(*) > 1) x").await;
    assert_eq!(dup, 0);
    // The limit holds across the three instances.
    let resets = db.count("SELECT count(*) FROM actions WHERE kind = 'reset_trackman' AND target = 'bay:1'").await;
    println!("resets on bay 1: {resets} (limit {RESETS_PER_BAY})");
    assert!((1..=RESETS_PER_BAY).contains(&resets), "resets on bay 1 within the limit: {resets}");
    // C's claims were finished by A or B after their leases ran out.
    for (thread, lease_until) in &held {
        let rows =
            db.0.query("SELECT at FROM decisions WHERE thread_id = $1 AND verdict <> 'defer'", &[thread])
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "thread {thread} claimed by C is decided once");
        let at: Timestamp = rows[0].get(0);
        assert!(at >= killed_at && at >= *lease_until, "thread {thread} decided at {at}, lease until {lease_until}");
    }
    // The scheduler's leadership moved to a survivor.
    let leader: String =
        db.0.query_one("SELECT holder FROM leases WHERE name = 'scheduler'", &[]).await.unwrap().get(0);
    assert!(!leader.starts_with(&format!("{pid_c}-")), "scheduler led by a live instance: {leader}");

    for mut c in children.into_iter().take(2) {
        c.kill().ok();
        c.wait().ok();
    }
    drop(store);
    testing::drop_schema(&url, &schema).await.ok();
    println!("multi-instance test took {:?}", started.elapsed());
}
