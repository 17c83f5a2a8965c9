//! Test harness: the real server on port 0 against a fresh SQLite database,
//! the sandbox facility, a manual clock, and an HTTP client.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clubos_agent::{Classifier, ClassifierOutput, ClassifyError, ClassifyRequest};
use clubos_config::Config;
use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use clubos_connectors::sandbox::Sandbox;
use clubos_domain::Classification;
use clubos_server::App;
use clubos_server::bootstrap::{Boot, open_store, start};
use clubos_server::clock::ManualClock;
use jiff::Timestamp;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-token-0123456789";
/// The UniFi Access token live-mode tests configure (`TEST_UNIFI_TOKEN`).
pub const UNIFI_TOKEN: &str = "ua-test-token";
/// The OpenPhone API key live-mode tests configure (`TEST_OPENPHONE_KEY`).
pub const OPENPHONE_KEY: &str = "op-test-key";
/// Legacy OpenPhone signing key (base64 of "clubos-test-signing-key").
pub const LEGACY_KEY: &str = "Y2x1Ym9zLXRlc3Qtc2lnbmluZy1rZXk=";

pub struct Options {
    pub extra_toml: String,
    pub webhook_secret: Option<String>,
    pub classifier: Option<Arc<dyn Classifier>>,
    pub serve: bool,
    pub start: Timestamp,
    /// More environment variables the config may name.
    pub env: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            extra_toml: String::new(),
            webhook_secret: Some(LEGACY_KEY.to_owned()),
            classifier: None,
            serve: true,
            start: "2026-06-15T18:00:00Z".parse().expect("timestamp"),
            env: Vec::new(),
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub sandbox: Sandbox,
    pub secret: Option<WebhookSecret>,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn config_text(dir: &std::path::Path, extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
database_url = "sqlite://{db}"
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
{extra}
"#,
        db = dir.join("clubos.db").display()
    )
}

pub async fn spawn(opts: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clubos.toml");
    let text = config_text(dir.path(), &opts.extra_toml);
    let config = Config::parse(&text, &path).unwrap_or_else(|e| panic!("test config: {e}"));
    spawn_with(config, dir, opts).await
}

pub async fn spawn_with(config: Config, dir: tempfile::TempDir, opts: Options) -> TestApp {
    let secret_value = opts.webhook_secret.clone();
    let extra = opts.env.clone();
    let env = move |name: &str| match name {
        n if extra.iter().any(|(k, _)| *k == n) => extra.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()),
        "TEST_WEBHOOK_SECRET" => secret_value.clone(),
        "CLUBOS_API_TOKEN" => Some(TOKEN.to_owned()),
        "TEST_OPENPHONE_KEY" => Some(OPENPHONE_KEY.to_owned()),
        "TEST_UNIFI_TOKEN" => Some(UNIFI_TOKEN.to_owned()),
        _ => None,
    };
    let secrets = config.resolve_secrets(&env).unwrap_or_else(|e| panic!("secrets: {e}"));
    let clock = Arc::new(ManualClock::new(opts.start));
    let sandbox = Sandbox::default();
    let store = open_store(&config, &secrets).await.expect("store");
    let app = start(Boot {
        config,
        secrets,
        store,
        clock: clock.clone(),
        sandbox: sandbox.clone(),
        classifier: opts.classifier,
    })
    .await
    .expect("start");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, rx) = oneshot::channel::<()>();
    let task = opts.serve.then(|| {
        tokio::spawn(clubos_server::serve(app.clone(), listener, async move {
            let _ = rx.await;
        }))
    });
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        app,
        clock,
        sandbox,
        secret: opts.webhook_secret.map(|s| WebhookSecret::parse(&s).expect("secret")),
        dir,
        stop: Some(stop),
        task,
    }
}

impl TestApp {
    /// Stops the server; returns its directory (the database lives there).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Posts a signed `message.received` like OpenPhone; returns status and JSON.
    pub async fn text(&self, from: &str, body: &str) -> (u16, Value) {
        let id = format!("{:016x}", rand::random::<u64>());
        let raw = build_message_received_legacy(
            &format!("EV{id}"),
            &format!("AC{id}"),
            from,
            "+19025550100",
            body,
            self.clock.now_ts(),
        );
        self.post_webhook(raw, &format!("EV{id}")).await
    }

    pub async fn post_webhook(&self, raw: Vec<u8>, delivery: &str) -> (u16, Value) {
        let mut req = self.client.post(self.url("/webhooks/openphone")).header("content-type", "application/json");
        if let Some(s) = &self.secret {
            for (k, v) in s.signed_headers(delivery, self.clock.now_ts(), &raw) {
                req = req.header(k, v);
            }
        }
        let resp = req.body(raw).send().await.expect("post");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Uploads a document's bytes to the knowledge base as `name` with `content_type`.
    pub async fn upload_file(&self, name: &str, content_type: &str, body: &str) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(&format!("/api/knowledge/upload?name={name}")))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("upload");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.client.get(self.url(path)).bearer_auth(TOKEN).send().await.expect("get");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let resp =
            self.client.request(method, self.url(path)).bearer_auth(TOKEN).json(&body).send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Waits (bounded) until the thread satisfies `done`.
    pub async fn wait_thread(&self, id: i64, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let (_, t) = self.get(&format!("/api/threads/{id}")).await;
            if done(&t) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let (_, t) = self.get(&format!("/api/threads/{id}")).await;
        panic!("thread {id} never reached the expected state: {t:#}");
    }

    /// Books `bay` for `phone` from 20 minutes ago to 40 minutes from now.
    pub async fn book(&self, phone: &str, bay: u16) {
        let now = self.clock.now_ts();
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/api/bookings",
                serde_json::json!({"customer_phone": phone, "location": "sandbox", "bay": bay,
                    "starts_at": (now - jiff::SignedDuration::from_mins(20)).to_string(),
                    "ends_at": (now + jiff::SignedDuration::from_mins(40)).to_string(), "status": "confirmed"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Waits until the thread has `n` decisions and no pending action.
    pub async fn settled(&self, id: i64, decisions: usize) -> Value {
        self.wait_thread(id, |t| {
            t["decisions"].as_array().is_some_and(|d| d.len() >= decisions)
                && t["actions"].as_array().is_some_and(|a| a.iter().all(|a| a["status"] != "pending"))
                && !matches!(t["status"].as_str(), Some("awaiting_ai"))
        })
        .await
    }
}

pub trait NowTs {
    fn now_ts(&self) -> Timestamp;
}

impl NowTs for ManualClock {
    fn now_ts(&self) -> Timestamp {
        use clubos_server::clock::Clock;
        self.now()
    }
}

/// A classifier that returns what the test scripted, or hangs.
#[derive(Debug)]
pub struct Scripted {
    pub output: Option<Classification>,
}

#[async_trait]
impl Classifier for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn classify(&self, _req: &ClassifyRequest<'_>) -> Result<ClassifierOutput, ClassifyError> {
        match &self.output {
            Some(c) => Ok(ClassifierOutput {
                classification: c.clone(),
                model: "scripted".into(),
                tokens_in: 0,
                tokens_out: 0,
                cached: false,
            }),
            None => std::future::pending().await,
        }
    }
}

pub fn thread_id(ack: &Value) -> i64 {
    ack["thread_id"].as_i64().unwrap_or_else(|| panic!("no thread id in {ack}"))
}
