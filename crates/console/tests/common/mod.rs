//! Console test harness: the real server with the console on port 0,
//! a fresh SQLite database, the sandbox facility, a manual clock, accounts
//! made through the server's own checks, and a cookie-keeping client that
//! signs in through the login form like a browser.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use clubos_config::Config;
use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use clubos_connectors::sandbox::Sandbox;
use clubos_domain::Role;
use clubos_server::App;
use clubos_server::auth::{NewAccountRequest, create_account};
use clubos_server::bootstrap::{Boot, open_store, start};
use clubos_server::clock::{Clock, ManualClock};
use jiff::Timestamp;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-token-0123456789";
pub const LEGACY_KEY: &str = "Y2x1Ym9zLXRlc3Qtc2lnbmluZy1rZXk=";
pub const PASSWORD: &str = "a long test password";

pub struct Console {
    pub base: String,
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub sandbox: Sandbox,
    secret: WebhookSecret,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn config_text(dir: &std::path::Path, extra: &str) -> String {
    config_text_on(&format!("sqlite://{}", dir.join("clubos.db").display()), extra)
}

/// The test deployment on the database at `database_url`.
pub fn config_text_on(database_url: &str, extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
database_url = "{database_url}"
[agent]
llm_timeout_seconds = 2
workers = 2
[connectors.openphone]
mode = "sandbox"
webhook_secret_env = "TEST_WEBHOOK_SECRET"
[connectors.ninjaone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
[limits.timeouts]
reset_trackman_seconds = 1
unlock_door_seconds = 1
reboot_pc_seconds = 1
send_reply_seconds = 1
[[locations]]
id = "sandbox"
name = "Test Golf"
timezone = "America/Halifax"
phone_number = "+19025550100"
bays = [{{ number = 1 }}, {{ number = 2 }}, {{ number = 3 }}, {{ number = 4 }}]
doors = [{{ id = "front" }}]
[[locations]]
id = "elsewhere"
name = "Other Golf"
timezone = "America/Halifax"
phone_number = "+19025550199"
bays = [{{ number = 1 }}]
doors = [{{ id = "front" }}]
{extra}
"#
    )
}

/// Starts the server and console; `extra` is appended to the config.
pub async fn spawn(extra: &str) -> Console {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text(dir.path(), extra);
    spawn_config(dir, &text).await
}

/// Starts another instance of a deployment on a shared database.
pub async fn spawn_on(database_url: &str, extra: &str) -> Console {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = config_text_on(database_url, extra);
    spawn_config(dir, &text).await
}

async fn spawn_config(dir: tempfile::TempDir, text: &str) -> Console {
    let path = dir.path().join("clubos.toml");
    let config = Config::parse(text, &path).unwrap_or_else(|e| panic!("config: {e}"));
    let env = |name: &str| match name {
        "TEST_WEBHOOK_SECRET" => Some(LEGACY_KEY.to_owned()),
        "CLUBOS_API_TOKEN" => Some(TOKEN.to_owned()),
        _ => None,
    };
    let secrets = config.resolve_secrets(&env).unwrap_or_else(|e| panic!("secrets: {e}"));
    let start_at: Timestamp = "2026-06-15T18:00:00Z".parse().expect("ts");
    let clock = Arc::new(ManualClock::new(start_at));
    let sandbox = Sandbox::default();
    let store = open_store(&config, &secrets).await.expect("store");
    let app = start(Boot { config, secrets, store, clock: clock.clone(), sandbox: sandbox.clone(), classifier: None })
        .await
        .expect("start");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let routes = clubos_console::router(app.clone());
    let task = tokio::spawn(clubos_server::serve_with(app.clone(), listener, routes, async move {
        let _ = rx.await;
    }));
    Console {
        base: format!("http://{addr}"),
        app,
        clock,
        sandbox,
        secret: WebhookSecret::parse(LEGACY_KEY).expect("secret"),
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl Console {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates an account with [`PASSWORD`].
    pub async fn account(&self, email: &str, role: Role, locations: &[&str]) {
        let req = NewAccountRequest {
            email: email.into(),
            role,
            locations: locations.iter().map(|l| (*l).to_owned()).collect(),
            password: PASSWORD.into(),
        };
        create_account(self.app.store.as_ref(), &self.app.config, self.clock.now(), req, "test")
            .await
            .unwrap_or_else(|e| panic!("account {email}: {e}"));
    }

    /// A signed `message.received` from `from`; returns the thread id.
    pub async fn text(&self, from: &str, body: &str) -> i64 {
        let id = format!("{:016x}", rand_id());
        let now = self.clock.now();
        let raw =
            build_message_received_legacy(&format!("EV{id}"), &format!("AC{id}"), from, "+19025550100", body, now);
        let mut req =
            reqwest::Client::new().post(self.url("/webhooks/openphone")).header("content-type", "application/json");
        for (k, v) in self.secret.signed_headers(&format!("EV{id}"), now, &raw) {
            req = req.header(k, v);
        }
        let resp = req.body(raw).send().await.expect("webhook");
        let v: Value = resp.json().await.expect("json");
        v["thread_id"].as_i64().unwrap_or_else(|| panic!("no thread id: {v}"))
    }

    /// Waits (bounded) until the thread satisfies `done`; returns its JSON.
    pub async fn wait_thread(&self, id: i64, done: impl Fn(&Value) -> bool) -> Value {
        let client = reqwest::Client::new();
        for _ in 0..400 {
            let t: Value = client
                .get(self.url(&format!("/api/threads/{id}")))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            if done(&t) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("thread {id} never reached the expected state");
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (t as u64) ^ (N.fetch_add(1, Ordering::Relaxed) << 48)
}

/// A browser-like HTTP client: keeps cookies, follows no redirects, and
/// reads the CSRF token from the pages it gets.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

/// Status, `Location` header and body of a response.
pub struct Resp {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

impl Client {
    pub fn new(c: &Console) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client { http, base: c.base.clone(), csrf: String::new() }
    }

    /// A client whose every request carries `name: value` (a proxy's header).
    pub fn with_header(c: &Console, name: &'static str, value: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(name, reqwest::header::HeaderValue::from_str(value).expect("header value"));
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client");
        Client { http, base: c.base.clone(), csrf: String::new() }
    }

    async fn read(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Resp { status, location, body: r.text().await.unwrap_or_default() }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let r = Self::read(self.http.get(format!("{}{path}", self.base)).send().await.expect("get")).await;
        if let Some(t) = csrf_in(&r.body) {
            self.csrf = t;
        }
        r
    }

    /// Posts a form with the current CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone();
        all.push(("_csrf", &token));
        Self::read(self.http.post(format!("{}{path}", self.base)).form(&all).send().await.expect("post")).await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        Self::read(self.http.post(format!("{}{path}", self.base)).form(fields).send().await.expect("post")).await
    }

    /// Signs in through the login form; panics unless it succeeds.
    pub async fn login(c: &Console, email: &str) -> Self {
        let mut me = Client::new(c);
        let r = me.try_login(email, PASSWORD).await;
        assert_eq!(r.status, 303, "login as {email}: {}", r.body);
        me.get("/").await;
        me
    }

    pub async fn try_login(&mut self, email: &str, password: &str) -> Resp {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)]).await
    }
}

// ---- Helpers for the knowledge and admin tests ----

impl Client {
    /// Posts a `multipart/form-data` form with one file field `file`, as a
    /// browser does; `path` carries any `?_csrf=` itself.
    pub async fn post_file(&mut self, path: &str, file_name: &str, content_type: &str, content: &str) -> Resp {
        let boundary = "clubos-test-boundary-7MA4YWxkTrZu0gW";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        Self::read(req.send().await.expect("post file")).await
    }

    /// The current CSRF token, URL-encoded for a query string.
    pub fn csrf_query(&self) -> String {
        url::form_urlencoded::byte_serialize(self.csrf.as_bytes()).collect()
    }
}

// ---- Helpers of the settings and health tests ----

impl Console {
    /// Records a decision on `thread_id` outside the queue, with the given
    /// verdict, model and tokens, at the clock's now; returns its id.
    pub async fn decision(
        &self,
        thread_id: i64,
        verdict: clubos_domain::Verdict,
        model: &str,
        tokens: (u32, u32),
    ) -> i64 {
        let d = clubos_store::NewDecision {
            thread_id,
            claim: None,
            category: Some(clubos_domain::Category::Faq),
            sub_intent: None,
            confidence: Some(0.9),
            verdict,
            reason: None,
            matched_sop: None,
            proposed_action: None,
            reply: None,
            model: model.into(),
            tokens_in: tokens.0,
            tokens_out: tokens.1,
            cached: false,
            latency_ms: 5,
            checks: serde_json::json!([]),
            at: self.clock.now(),
            message_ids: Vec::new(),
            classified: false,
            thread: clubos_store::ThreadUpdate::default(),
            actions: Vec::new(),
            notification: None,
        };
        self.app.store.commit_decision(d).await.expect("commit decision").0
    }

    /// Raises an operator notification; returns its id.
    pub async fn notification(&self, title: &str) -> i64 {
        let n = clubos_store::NewNotification {
            kind: "test".into(),
            severity: clubos_store::Severity::Warning,
            thread_id: None,
            title: title.into(),
            body: "raised by a test".into(),
            dedupe_key: None,
        };
        self.app.store.notify(n, self.clock.now()).await.expect("notify").expect("not a duplicate")
    }
}
