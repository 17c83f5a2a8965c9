//! `clubos customer export|forget` and `clubos backup|restore` through the
//! built binary, beside a running `clubos serve` on the same SQLite file.

mod common;

use std::time::{Duration, Instant};

use clubos_store::Store;
use serde_json::Value;

/// Sends a text and waits until its thread has a decision; returns the thread.
async fn texted(server: &common::Server, from: &str, text: &str) -> Value {
    let (code, out, err) = server.clubos(&["send", "--from", from, text]);
    assert_eq!(code, 0, "{out}{err}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = server.get(&format!("/api/threads?phone=%2B1{}", &from[from.len() - 10..])).await;
        if let Some(id) = list["threads"][0]["id"].as_i64() {
            let th = server.get(&format!("/api/threads/{id}")).await;
            if th["decisions"].as_array().is_some_and(|d| !d.is_empty()) {
                return th;
            }
        }
        assert!(Instant::now() < deadline, "no decision for {from}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_forget_a_customer_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), "privacy-token", "[{ number = 1 }]").await;
    let th = texted(&server, "+19025550401", "bay 1 trackman is frozen").await;
    let id = th["id"].as_i64().unwrap();
    texted(&server, "+19025550402", "what are your hours").await;

    let (code, out, err) = server.clubos(&["customer", "export", "(902) 555-0401"]);
    assert_eq!(code, 0, "{err}");
    let data: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(data["phone"], "+19025550401");
    assert_eq!(data["threads"][0]["messages"][0]["body"], "bay 1 trackman is frozen");
    let file = dir.path().join("export.json");
    let (code, _, err) = server.clubos(&["customer", "export", "+19025550401", "--output", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved, data);
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions()) & 0o777,
        0o600
    );
    let (code, _, err) = server.clubos(&["customer", "export", "call me maybe"]);
    assert_eq!(code, 1);
    assert!(err.contains("PHONE:"), "{err}");

    let (code, _, err) = server.clubos(&["customer", "forget", "+19025550401"]);
    assert_eq!(code, 1);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(server.get(&format!("/api/threads/{id}")).await["customer_phone"], "+19025550401", "not yet");
    let (code, out, err) = server.clubos(&["customer", "forget", "+19025550401", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 threads redacted") && out.contains("Audit reference: hmac-sha256:"), "{out}");
    assert!(!out.contains("9025550401"), "the number is not printed whole: {out}");
    // The running server sees it at once.
    let after = server.get(&format!("/api/threads/{id}")).await;
    assert_eq!(after["customer_phone"], Value::Null);
    assert!(after["messages"].as_array().unwrap().iter().all(|m| m["body"] == "[redacted]"), "{after:#}");
    let other = server.get("/api/threads?phone=%2B19025550402").await;
    assert_eq!(other["threads"].as_array().map(Vec::len), Some(1));

    let store = clubos_store_sqlite::SqliteStore::open(&dir.path().join("clubos.db"), Default::default()).unwrap();
    let log = store.audit_log(50).await.unwrap();
    let forget = log.iter().find(|a| a.action == "customer.forget").expect("audited");
    assert!(forget.actor.starts_with("cli"), "{}", forget.actor);
    assert_eq!(forget.detail["threads"], serde_json::json!([id]));
    assert!(!serde_json::to_string(&log).unwrap().contains("9025550401"), "the number is in the audit log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_restore_only_when_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), "backup-token", "[{ number = 1 }]").await;
    texted(&server, "+19025550411", "what are your hours").await;
    texted(&server, "+19025550412", "bay 1 trackman is frozen").await;
    let copy = dir.path().join("backups/clubos-copy.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();

    let (code, out, err) = server.clubos(&["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 threads"), "{out}");
    texted(&server, "+19025550413", "is the door open").await;
    let (code, _, err) = server.clubos(&["restore", copy.to_str().unwrap()]);
    assert_eq!(code, 1, "refused while the server runs");
    assert!(err.contains("open in another process"), "{err}");
    assert_eq!(server.get("/api/threads").await["threads"].as_array().map(Vec::len), Some(3), "nothing changed");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "this is not a database, only words long enough to look like one").unwrap();

    let config = server.config.clone();
    drop(server); // kills and waits for `clubos serve`
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_clubos"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["restore", junk.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("not a ClubOS database"), "{err}");
    let (code, out, err) = run(&["restore", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 threads"), "{out}");
    let store = clubos_store_sqlite::SqliteStore::open(&dir.path().join("clubos.db"), Default::default()).unwrap();
    let threads = store.list_threads(Default::default()).await.unwrap();
    assert_eq!(threads.len(), 2, "the database is the backup again");
    assert!(threads.iter().all(|t| t.customer_phone.as_ref().is_some_and(|p| p.as_str() != "+19025550413")));
}
