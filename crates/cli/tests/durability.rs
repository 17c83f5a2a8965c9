//! Durability across `kill -9`: every webhook answered 2xx is in the database
//! after a restart and gets its decision; nothing is decided twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use jiff::Timestamp;
use serde_json::Value;

const KEY: &str = "Y2x1Ym9zLXRlc3Qtc2lnbmluZy1rZXk=";
const TOKEN: &str = "durability-token";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn start(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(config)
        .env("CLUBOS_API_TOKEN", TOKEN)
        .env("DURABILITY_SECRET", KEY)
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
    panic!("server did not become ready");
}

async fn get(client: &reqwest::Client, url: String) -> Value {
    client.get(url).bearer_auth(TOKEN).send().await.expect("get").json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_webhooks_survive_kill_9_and_are_decided_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("clubos.toml");
    std::fs::write(
        &config,
        format!(
            r#"[server]
listen = "127.0.0.1:{port}"
database_url = "sqlite://{db}"
[connectors.openphone]
mode = "sandbox"
webhook_secret_env = "DURABILITY_SECRET"
[connectors.ninjaone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
[[locations]]
id = "sandbox"
name = "Durability Golf"
timezone = "America/Halifax"
bays = [{{ number = 1 }}, {{ number = 2 }}]
doors = [{{ id = "front" }}]
"#,
            db = dir.path().join("clubos.db").display()
        ),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = start(&config);
    wait_ready(&client, &base).await;

    let secret = WebhookSecret::parse(KEY).unwrap();
    let texts =
        ["what are your hours", "is there parking", "trackman frozen bay 1", "door wont open", "do you rent clubs"];
    let mut sends = Vec::new();
    for i in 0..50u32 {
        let client = client.clone();
        let secret = secret.clone();
        let url = format!("{base}/webhooks/openphone");
        let from = format!("+1902555{:04}", 1000 + i);
        let body = build_message_received_legacy(
            &format!("EVd{i}"),
            &format!("ACd{i}"),
            &from,
            "+19025550100",
            texts[i as usize % texts.len()],
            Timestamp::now(),
        );
        sends.push(tokio::spawn(async move {
            let mut req = client.post(url);
            for (k, v) in secret.signed_headers(&format!("EVd{i}"), Timestamp::now(), &body) {
                req = req.header(k, v);
            }
            req.body(body).send().await.expect("post").status().as_u16()
        }));
    }
    for s in sends {
        assert_eq!(s.await.unwrap(), 200);
    }
    // Every one acknowledged: kill -9 now, whatever the workers were doing.
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let mut child = start(&config);
    wait_ready(&client, &base).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let threads = loop {
        let list = get(&client, format!("{base}/api/threads?limit=1000")).await;
        let threads = list["threads"].as_array().cloned().unwrap_or_default();
        let mut all_decided = threads.len() == 50;
        for t in &threads {
            let d = get(&client, format!("{base}/api/threads/{}", t["id"])).await;
            all_decided &= d["decisions"].as_array().is_some_and(|x| !x.is_empty());
        }
        if all_decided || Instant::now() > deadline {
            break threads;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(threads.len(), 50, "every acknowledged message is present");
    for t in &threads {
        let d = get(&client, format!("{base}/api/threads/{}", t["id"])).await;
        let inbound = d["messages"].as_array().unwrap().iter().filter(|m| m["direction"] == "inbound").count();
        assert_eq!(inbound, 1, "{d:#}");
        let decided: Vec<&Value> = d["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["verdict"] != "defer" && x["model"] != "policy")
            .collect();
        assert_eq!(decided.len(), 1, "exactly one decision for the message: {d:#}");
        let mut kinds: Vec<(&str, Option<i64>)> = d["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["kind"].as_str().unwrap(), a["decision_id"].as_i64()))
            .collect();
        let n = kinds.len();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), n, "no action ran twice for one decision: {d:#}");
        assert!(
            d["actions"].as_array().unwrap().iter().all(|a| a["status"] != "pending"),
            "in-flight actions are reconciled"
        );
    }
    child.kill().ok();
    child.wait().ok();
}
