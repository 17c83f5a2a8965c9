//! Shared by the CLI tests that need a running server: `clubos serve` as a
//! child process on a free port with a fresh SQLite database, and `clubos`
//! runs against it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `clubos serve` child, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub config: PathBuf,
    pub token: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server in `dir` with one sandbox location that has `bays`
/// (TOML, e.g. `[{ number = 1 }]`), and waits until it is ready.
pub async fn start(dir: &Path, token: &'static str, bays: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("clubos.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{db}\"\n\
             [connectors.openphone]\nmode = \"sandbox\"\n\
             [[locations]]\nid = \"sandbox\"\nname = \"Import Golf\"\ntimezone = \"America/Halifax\"\n\
             phone_number = \"+19025550100\"\nbays = {bays}\n",
            db = dir.join("clubos.db").display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("CLUBOS_API_TOKEN", token)
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}"), config, token };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

impl Server {
    /// Runs `clubos ARGS --config …` with the server's token; (exit code, stdout, stderr).
    pub fn clubos(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_clubos"))
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .env("CLUBOS_API_TOKEN", self.token)
            .output()
            .expect("run clubos");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    /// GET `path` with the token, as JSON.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let resp = reqwest::Client::new().get(format!("{}{path}", self.base)).bearer_auth(self.token).send().await;
        resp.unwrap().json().await.unwrap()
    }
}
