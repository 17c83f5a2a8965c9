//! `clubos migrate-db`: a SQLite deployment filled through the real server
//! (signed webhooks, a booking, a customer, an uploaded and approved SOP, an
//! autonomy change, a console account and its logins) is copied into a fresh
//! PostgreSQL schema, reads back the same through the store, logs in with the
//! same password, and gives new rows new ids. Needs CLUBOS_TEST_DATABASE_URL.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use clubos_domain::PhoneNumber;
use clubos_store::{AccountStore, Store, ThreadFilter};
use clubos_store_postgres::testing;
use clubos_store_sqlite::{SqliteStore, Synchronous};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const KEY: &str = "Y2x1Ym9zLXRlc3Qtc2lnbmluZy1rZXk=";
const TOKEN: &str = "migrate-db-token";
const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "a long enough password";
const HOUSE_RULES: &str = "# House rules\n\n## Guest policy\n\n\
    Each bay takes up to six players. Guests must be with the person who booked the bay.\n\n\
    - How many guests can I bring?\n- Can I bring friends?\n";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn write_config(path: &Path, port: u16, database_url: &str) {
    let text = format!(
        r#"[server]
listen = "127.0.0.1:{port}"
database_url = "{database_url}"
[connectors.openphone]
mode = "sandbox"
webhook_secret_env = "MIGRATE_SECRET"
[connectors.ninjaone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
[[locations]]
id = "sandbox"
name = "Migration Golf"
timezone = "America/Halifax"
bays = [{{ number = 1 }}, {{ number = 2 }}]
doors = [{{ id = "front" }}]
"#
    );
    std::fs::write(path, text).expect("config");
}

fn clubos(args: &[&str], config: &Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(args)
        .arg("--config")
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run clubos");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn serve(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(config)
        .env("CLUBOS_API_TOKEN", TOKEN)
        .env("MIGRATE_SECRET", KEY)
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start clubos serve")
}

struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(config: &Path, port: u16) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let s = Self { child: serve(config), base: format!("http://127.0.0.1:{port}"), http };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if s.http.get(format!("{}/readyz", s.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become ready");
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn text(&self, event: &str, from: &str, body: &str) -> u16 {
        let secret = WebhookSecret::parse(KEY).unwrap();
        let payload =
            build_message_received_legacy(event, &format!("AC{event}"), from, "+19025550100", body, Timestamp::now());
        let mut req = self.http.post(format!("{}/webhooks/openphone", self.base));
        for (k, v) in secret.signed_headers(event, Timestamp::now(), &payload) {
            req = req.header(k, v);
        }
        req.body(payload).send().await.expect("post").status().as_u16()
    }

    /// Logs in on the console; returns the status and where it redirects.
    async fn login(&self, password: &str) -> (u16, String) {
        let page = self.http.get(format!("{}/login", self.base)).send().await.unwrap().text().await.unwrap();
        let at = page.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
        let csrf = page[at..].split('"').next().unwrap().to_owned();
        let form = [("_csrf", csrf.as_str()), ("email", EMAIL), ("password", password)];
        let r = self.http.post(format!("{}/login", self.base)).form(&form).send().await.unwrap();
        let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), location)
    }

    /// Waits until every thread has a decision and no action is in flight.
    async fn settled(&self, threads: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, list) = self.api(reqwest::Method::GET, "/api/threads?limit=1000", None).await;
            let list = list["threads"].as_array().cloned().unwrap_or_default();
            let mut done = list.len() == threads;
            for t in &list {
                let (_, d) = self.api(reqwest::Method::GET, &format!("/api/threads/{}", t["id"]), None).await;
                done &= d["decisions"].as_array().is_some_and(|x| !x.is_empty())
                    && d["actions"].as_array().is_some_and(|a| a.iter().all(|a| a["status"] != "pending"));
            }
            if done {
                return;
            }
            assert!(Instant::now() < deadline, "threads did not settle: {list:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Fills a SQLite deployment through the server; returns how many threads.
async fn fill(config: &Path, port: u16) -> usize {
    let out = clubos(
        &["user", "add", EMAIL, "--role", "operator", "--location", "sandbox", "--password-stdin"],
        config,
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    let s = Server::start(config, port).await;
    let now = Timestamp::now();
    let booking = json!({"customer_phone": "+19025550201", "location": "sandbox", "bay": 1, "status": "confirmed",
        "starts_at": (now - SignedDuration::from_mins(5)).to_string(),
        "ends_at": (now + SignedDuration::from_mins(55)).to_string()});
    let (status, b) = s.api(reqwest::Method::POST, "/api/bookings", Some(booking)).await;
    assert_eq!(status, 200, "{b}");
    let (status, c) = s
        .api(reqwest::Method::PUT, "/api/customers/+19025550202", Some(json!({"name": "Pat", "flags": ["no_unlock"]})))
        .await;
    assert_eq!(status, 200, "{c}");
    let (status, up) = s.upload("house-rules.md", HOUSE_RULES).await;
    assert_eq!(status, 200, "{up:#}");
    let pid = up["drafts"][0]["id"].as_i64().unwrap_or_else(|| panic!("a draft: {up:#}"));
    let (status, ok) =
        s.api(reqwest::Method::POST, &format!("/api/knowledge/proposals/{pid}/accept"), Some(json!({}))).await;
    assert_eq!(status, 200, "{ok:#}");
    let autonomy = json!({"faq": {"autonomy": true, "confidence_threshold": 0.7}});
    let (status, a) = s.api(reqwest::Method::PUT, "/api/autonomy", Some(autonomy)).await;
    assert_eq!(status, 200, "{a}");

    let texts = [
        ("+19025550201", "trackman frozen bay 1"),
        ("+19025550202", "the door wont open, im outside"),
        ("+19025550203", "what are your hours"),
        ("+19025550204", "how many guests can i bring?"),
        ("+19025550205", "is there parking"),
        ("+19025550203", "and do you rent clubs"),
    ];
    for (i, (from, body)) in texts.iter().enumerate() {
        assert_eq!(s.text(&format!("EVm{i}"), from, body).await, 200);
    }
    assert_eq!(s.text("EVm0", "+19025550201", "trackman frozen bay 1").await, 200, "a duplicate is acknowledged");
    assert_eq!(s.login("not the password").await.0, 401, "a failed login is recorded");
    let (status, to) = s.login(PASSWORD).await;
    assert_eq!((status, to.as_str()), (303, "/"));
    s.settled(5).await;
    // Stopped hard: the copy must read what the WAL holds too.
    s.stop();
    5
}

impl Server {
    async fn upload(&self, name: &str, body: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/api/knowledge/upload?name={name}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "text/markdown")
            .body(body.to_owned())
            .send()
            .await
            .expect("upload");
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }
}

/// The two stores read back the same.
async fn assert_same(sqlite: &SqliteStore, pg: &dyn Store) {
    let all = ThreadFilter { limit: 1000, ..ThreadFilter::default() };
    let threads = sqlite.list_threads(all.clone()).await.unwrap();
    assert_eq!(threads.len(), 5);
    assert_eq!(pg.list_threads(all).await.unwrap(), threads);
    let (mut messages, mut decisions, mut actions) = (0, 0, 0);
    for t in &threads {
        let detail = sqlite.thread(t.id).await.unwrap().unwrap();
        messages += detail.messages.len();
        decisions += detail.decisions.len();
        actions += detail.actions.len();
        assert_eq!(pg.thread(t.id).await.unwrap().as_ref(), Some(&detail), "thread {}", t.id);
    }
    assert!(messages >= 6 && decisions >= 5 && actions >= 5, "{messages} {decisions} {actions}");
    let audit = sqlite.audit_log(1000).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "autonomy.update"), "{audit:#?}");
    assert_eq!(pg.audit_log(1000).await.unwrap(), audit);
    let accounts = sqlite.accounts().await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(pg.accounts().await.unwrap(), accounts, "password hashes included");
    let versions = sqlite.active_sop_versions().await.unwrap();
    assert!(versions.iter().any(|v| v.source != "starter"), "the approved upload is there");
    assert_eq!(pg.active_sop_versions().await.unwrap(), versions);
    for v in &versions {
        assert_eq!(pg.sop_versions(&v.sop_id).await.unwrap(), sqlite.sop_versions(&v.sop_id).await.unwrap());
    }
    assert_eq!(pg.sop_changes(100).await.unwrap(), sqlite.sop_changes(100).await.unwrap());
    assert_eq!(pg.proposals(None, 100).await.unwrap(), sqlite.proposals(None, 100).await.unwrap());
    assert_eq!(pg.sop_metrics().await.unwrap(), sqlite.sop_metrics().await.unwrap());
    let autonomy = sqlite.setting("autonomy_profile").await.unwrap();
    assert!(autonomy.is_some());
    assert_eq!(pg.setting("autonomy_profile").await.unwrap(), autonomy);
    assert_eq!(pg.notifications(false).await.unwrap(), sqlite.notifications(false).await.unwrap());
    let pat = PhoneNumber::parse_e164("+19025550202").unwrap();
    assert_eq!(pg.customer(&pat).await.unwrap(), sqlite.customer(&pat).await.unwrap());
    assert!(sqlite.customer(&pat).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_moves_to_postgres_with_its_history() {
    let Some(url) = testing::database_url("a_sqlite_deployment_moves_to_postgres_with_its_history") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clubos.db");
    let sqlite_config = dir.path().join("sqlite.toml");
    let port = free_port();
    write_config(&sqlite_config, port, &format!("sqlite://{}", db.display()));
    let threads = fill(&sqlite_config, port).await;

    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let pg_url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let out = clubos(&["migrate-db", "--to", &pg_url], &sqlite_config, None);
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    println!("{report}");
    for table in ["threads", "messages", "decisions", "actions", "audit", "accounts", "sops", "settings", "total"] {
        let line = report.lines().find(|l| l.starts_with(&format!("{table} "))).unwrap_or_else(|| panic!("{report}"));
        assert!(table == "total" || line.ends_with(" ok"), "{line}\n{report}");
    }
    assert!(!report.contains("MISMATCH"), "{report}");

    let again = clubos(&["migrate-db", "--to", &pg_url], &sqlite_config, None);
    assert!(!again.status.success(), "a second copy is refused");
    assert!(text(&again).contains("not empty"), "{}", text(&again));

    let sqlite = SqliteStore::open(&db, Synchronous::Normal).unwrap();
    let pg = testing::open(&url, &schema, 2).await.unwrap();
    assert_same(&sqlite, &pg).await;
    let max_thread = sqlite.list_threads(ThreadFilter { limit: 1000, ..ThreadFilter::default() }).await.unwrap();
    let max_thread = max_thread.iter().map(|t| t.id).max().unwrap();
    let max_audit = sqlite.audit_log(1).await.unwrap()[0].id;
    drop(sqlite);

    // The deployment switched to PostgreSQL: the same login works, and new
    // rows get new ids.
    let pg_config = dir.path().join("postgres.toml");
    let port = free_port();
    write_config(&pg_config, port, &pg_url);
    let s = Server::start(&pg_config, port).await;
    assert_eq!(s.login(PASSWORD).await, (303, "/".to_owned()), "the copied password hash logs in");
    let (_, listed) = s.api(reqwest::Method::GET, "/api/threads?limit=1000", None).await;
    assert_eq!(listed["threads"].as_array().map(Vec::len), Some(threads), "{listed:#}");
    assert_eq!(s.text("EVm0", "+19025550201", "trackman frozen bay 1").await, 200);
    assert_eq!(s.text("EVnew", "+19025550299", "what are your hours").await, 200);
    s.settled(threads + 1).await;
    let (_, listed) = s.api(reqwest::Method::GET, "/api/threads?phone=%2B19025550299", None).await;
    let new_id = listed["threads"][0]["id"].as_i64().unwrap_or_else(|| panic!("{listed:#}"));
    assert_eq!(new_id, max_thread + 1, "the thread sequence continues after the copied ids");
    let (status, _) = s.api(reqwest::Method::PUT, "/api/autonomy", Some(json!({"faq": {"autonomy": true}}))).await;
    assert_eq!(status, 200);
    s.stop();
    let audit = pg.audit_log(1).await.unwrap();
    assert!(audit[0].id > max_audit, "new audit rows get new ids: {audit:#?}");
    drop(pg);
    testing::drop_schema(&url, &schema).await.unwrap();
}
