//! No secret in any log line or error response: `clubos serve` runs with
//! known secrets (API token, webhook signing key, OpenAI, Anthropic,
//! OpenPhone, NinjaOne and UniFi credentials, the Slack webhook URL) against
//! fake vendors that answer 500, gets bad signatures, a bad token, a bad
//! login and an upload, logs at `debug`; then every captured byte of its
//! stdout, stderr and our responses is searched for every secret. The fake
//! vendors must have received the secrets (so they were in use), and the
//! log must hold the failures we caused (so the capture works).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use jiff::Timestamp;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_TOKEN: &str = "canary-api-token-5b2f9e1d7c3a";
/// base64 of `WHK-canary-7c1e5d92a4b6f`.
const WEBHOOK_KEY: &str = "V0hLLWNhbmFyeS03YzFlNWQ5MmE0YjZm";
const OPENAI_KEY: &str = "sk-canary-openai-81d0c4f2";
const ANTHROPIC_KEY: &str = "sk-ant-canary-anthropic-3e9a7b";
const OPENPHONE_KEY: &str = "canary-openphone-key-6f4d2a";
const NINJA_ID: &str = "canary-ninja-client-id-90ab";
const NINJA_SECRET: &str = "canary-ninja-secret-c7e1f3";
const UNIFI_TOKEN: &str = "canary-unifi-token-2d8b5e";
const SLACK_PATH: &str = "/services/T0CANARY/B0CANARY/slackcanary9d8e7f";
const DB_PASSWORD: &str = "canary-db-password-4a6c";

/// Every form a secret could leak in.
fn secrets() -> Vec<String> {
    let mut all: Vec<String> = [
        API_TOKEN,
        WEBHOOK_KEY,
        OPENAI_KEY,
        ANTHROPIC_KEY,
        OPENPHONE_KEY,
        NINJA_ID,
        NINJA_SECRET,
        UNIFI_TOKEN,
        "slackcanary9d8e7f",
        DB_PASSWORD,
    ]
    .map(str::to_owned)
    .to_vec();
    // The webhook key's decoded bytes, as text and as hex.
    all.push("WHK-canary-7c1e5d92a4b6f".into());
    all.push("57484b2d63616e6172792d37633165356439326134623666".into());
    all
}

fn leaks(text: &str) -> Vec<String> {
    secrets().into_iter().filter(|s| text.contains(s.as_str())).collect()
}

#[test]
fn the_leak_check_finds_a_secret_when_there_is_one() {
    assert!(leaks("all clear").is_empty());
    assert_eq!(leaks(&format!("Authorization: Bearer {OPENAI_KEY}")), vec![OPENAI_KEY.to_owned()]);
    assert_eq!(leaks("key bytes WHK-canary-7c1e5d92a4b6f!").len(), 1);
}

/// A child `clubos serve` whose stdout and stderr go to files.
struct Child {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Child {
    fn start(config: &str, env: &[(&str, String)]) -> Child {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clubos.toml"),
            config.replace("{DB}", &dir.path().join("c.db").display().to_string()),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clubos"));
        cmd.args(["serve", "--config"]).arg(dir.path().join("clubos.toml"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .env("CLUBOS_LOG", "debug")
            .stdout(Stdio::from(std::fs::File::create(dir.path().join("out.log")).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(dir.path().join("err.log")).unwrap()))
            .spawn()
            .unwrap();
        Child { child, dir }
    }

    /// Stops the child; everything it printed.
    fn finish(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!("{}\n{}", read("out.log"), read("err.log"))
    }
}

fn config(port: u16, vendor: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
database_url = "sqlite://{{DB}}"
api_token_env = "T_API"
[agent]
llm = "openai"
llm_timeout_seconds = 2
workers = 2
[llm.openai]
base_url = "{vendor}/v1"
api_key_env = "T_OPENAI"
complex_model = "gpt-canary"
[llm.anthropic]
base_url = "{vendor}"
api_key_env = "T_ANTHROPIC"
model = "claude-canary"
[connectors.openphone]
mode = "live"
base_url = "{vendor}"
api_key_env = "T_OPENPHONE"
webhook_secret_env = "T_WEBHOOK"
[connectors.ninjaone]
mode = "live"
base_url = "{vendor}"
client_id_env = "T_NINJA_ID"
client_secret_env = "T_NINJA_SECRET"
reset_script_id = 7
[connectors.unifi_access]
mode = "live"
base_url = "{vendor}"
token_env = "T_UNIFI"
[notify.slack]
webhook_url_env = "T_SLACK"
[[locations]]
id = "canary"
name = "Canary Golf"
timezone = "America/Halifax"
phone_number = "+19025550100"
bays = [{{ number = 1, ninjaone_device_id = 101 }}, {{ number = 2, ninjaone_device_id = 102 }}]
doors = [{{ id = "front", unifi_door_id = "door-1" }}]
"#
    )
}

fn env(vendor: &str) -> Vec<(&'static str, String)> {
    vec![
        ("T_API", API_TOKEN.into()),
        ("T_WEBHOOK", WEBHOOK_KEY.into()),
        ("T_OPENAI", OPENAI_KEY.into()),
        ("T_ANTHROPIC", ANTHROPIC_KEY.into()),
        ("T_OPENPHONE", OPENPHONE_KEY.into()),
        ("T_NINJA_ID", NINJA_ID.into()),
        ("T_NINJA_SECRET", NINJA_SECRET.into()),
        ("T_UNIFI", UNIFI_TOKEN.into()),
        ("T_SLACK", format!("{vendor}{SLACK_PATH}")),
    ]
}

/// Which secrets the fake vendors have received (headers and bodies).
async fn received(vendor: &MockServer) -> String {
    let reqs = vendor.received_requests().await.unwrap_or_default();
    reqs.iter().map(|r| format!("{} {:?} {}\n", r.url, r.headers, String::from_utf8_lossy(&r.body))).collect()
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_or_an_error_response() {
    let vendor = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(500).set_body_string("vendor exploded")).mount(&vendor).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Child::start(&config(port, &vendor.uri()), &env(&vendor.uri()));
    let base = format!("http://127.0.0.1:{port}");
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answers = String::new();
    let mut note = |what: &str, status: u16, body: String| answers.push_str(&format!("{what}: {status} {body}\n"));

    // A webhook with a bad signature, one unsigned, and two good ones whose
    // handling calls the (failing) vendors.
    let secret = WebhookSecret::parse(WEBHOOK_KEY).unwrap();
    let wrong = WebhookSecret::parse("d3JvbmctY2FuYXJ5LWtleS0xMjM0NTY3OA==").unwrap();
    for (i, (body, key)) in [
        ("the trackman in bay 2 is frozen", Some(&wrong)),
        ("hello", None),
        ("the trackman in bay 2 is frozen, please reset it", Some(&secret)),
        ("I'm at the front door and it's locked, can you let me in", Some(&secret)),
        // Nothing the local classifier is sure of: OpenAI is asked.
        ("hmm, the thing on the wall keeps beeping at us, what do we do", Some(&secret)),
    ]
    .into_iter()
    .enumerate()
    {
        let from = format!("+1902555012{i}");
        let raw = build_message_received_legacy(
            &format!("EV{i}"),
            &format!("AC{i}"),
            &from,
            "+19025550100",
            body,
            Timestamp::now(),
        );
        let mut req = http.post(format!("{base}/webhooks/openphone")).header("content-type", "application/json");
        for (k, v) in key.map(|k| k.signed_headers(&format!("EV{i}"), Timestamp::now(), &raw)).unwrap_or_default() {
            req = req.header(k, v);
        }
        let r = req.body(raw).send().await.unwrap();
        note("webhook", r.status().as_u16(), r.text().await.unwrap());
    }
    // An operator approves what the AI proposed (a reset, an unlock): the
    // devices' vendors fail.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list: serde_json::Value =
            http.get(format!("{base}/api/threads")).bearer_auth(API_TOKEN).send().await.unwrap().json().await.unwrap();
        let threads = list["threads"].as_array().cloned().unwrap_or_default();
        if threads.len() >= 3 && threads.iter().all(|t| t["status"] == "escalated") || Instant::now() > deadline {
            for t in threads {
                let url = format!("{base}/api/threads/{}/approve", t["id"]);
                let body = serde_json::json!({"override_reason": "secrets test"});
                let r = http.post(url).bearer_auth(API_TOKEN).json(&body).send().await.unwrap();
                note("approve", r.status().as_u16(), r.text().await.unwrap());
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A wrong API token, then an upload (Claude's review fails at the vendor).
    let r = http.get(format!("{base}/api/threads")).bearer_auth("not-the-token").send().await.unwrap();
    assert_eq!(r.status(), 401);
    note("bad token", 401, r.text().await.unwrap());
    let r = http
        .post(format!("{base}/api/knowledge/upload?name=rules.md"))
        .bearer_auth(API_TOKEN)
        .header("content-type", "text/markdown")
        .body("# Door\n\nIf the door is locked, unlock it for a customer with a booking.\n")
        .send()
        .await
        .unwrap();
    note("upload", r.status().as_u16(), r.text().await.unwrap());
    // A bad login through the form (CSRF cookie and token first).
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"_csrf\" value=\"").expect("csrf field") + "name=\"_csrf\" value=\"".len();
    let csrf = page[at..].split('"').next().unwrap().to_owned();
    let form = [("email", "admin@localhost"), ("password", "wrong password, canary"), ("_csrf", &csrf)];
    let r = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
    note("bad login", r.status().as_u16(), r.text().await.unwrap());
    let r = http.get(format!("{base}/metrics")).send().await.unwrap();
    note("metrics", r.status().as_u16(), r.text().await.unwrap());

    // Wait until every vendor has been called with its secret.
    let uses = [OPENPHONE_KEY, NINJA_SECRET, UNIFI_TOKEN, ANTHROPIC_KEY, OPENAI_KEY, "slackcanary9d8e7f"];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = received(&vendor).await;
    while uses.iter().any(|s| !seen.contains(s)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = received(&vendor).await;
    }
    let r = http.get(format!("{base}/api/threads")).bearer_auth(API_TOKEN).send().await.unwrap();
    note("threads", r.status().as_u16(), r.text().await.unwrap());
    let log = server.finish();

    let unused: Vec<_> = uses.iter().filter(|s| !seen.contains(*s)).collect();
    assert!(
        unused.is_empty(),
        "the fake vendors never received {unused:?}, so the test proves less than it says:\n{answers}"
    );
    // The capture holds what we caused: else a silent log would pass.
    for expected in ["webhook refused", "vendor exploded", "\"code\":\"bad_signature\"", "\"code\":\"unauthorized\""] {
        assert!(
            log.contains(expected) || answers.contains(expected),
            "`{expected}` is in neither the log nor the answers"
        );
    }
    assert!(log.lines().count() > 20, "too little was logged to mean anything:\n{log}");
    assert_eq!(leaks(&log), Vec::<String>::new(), "secrets in the server's output:\n{log}");
    assert_eq!(leaks(&answers), Vec::<String>::new(), "secrets in the HTTP answers:\n{answers}");
}

#[tokio::test]
async fn the_database_password_stays_out_of_a_failed_start() {
    // Nothing listens on port 1: the connection fails and is reported.
    let cfg = "[server]\nlisten = \"127.0.0.1:0\"\ndatabase_url = \"postgres://clubos@127.0.0.1:1/clubos\"\n\
               database_password_env = \"T_DB\"\n[[locations]]\nid = \"x\"\nname = \"X\"\ntimezone = \"America/Halifax\"\n";
    let server = Child::start(cfg, &[("T_DB", DB_PASSWORD.into())]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut server = server;
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "clubos serve did not give up on an unreachable database");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = server.finish();
    assert!(log.contains("127.0.0.1") || log.to_lowercase().contains("connect"), "no connection error shown:\n{log}");
    assert_eq!(leaks(&log), Vec::<String>::new(), "{log}");
}
