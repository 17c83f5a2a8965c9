//! The server under test: a child `clubos serve` with its own temporary
//! directory (config, SQLite database or a PostgreSQL URL, log), a free
//! loopback port, the run's webhook signing key and API token, stopped when
//! dropped.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clubos_connectors::openphone::webhook::WebhookSecret;

/// Environment variable the child reads its webhook signing key from.
pub const SECRET_ENV: &str = "CLUBOS_LOAD_WEBHOOK_SECRET";
/// The facility number the load's texts are sent to.
pub const FACILITY_NUMBER: &str = "+19025550100";

/// The temporary deployment: the demo's sandbox facility, signed webhooks.
/// `database_url` is the SQLite file's URL or a PostgreSQL URL.
/// With `model` (an OpenAI-compatible server's root), the agent asks it
/// about the texts the local classifier is unsure of.
pub fn config_toml(addr: SocketAddr, database_url: &str, workers: u16, model: Option<&str>) -> String {
    let (llm, model) = match model {
        Some(m) => ("openai", format!("[llm.openai]\nbase_url = \"{m}/v1\"\ncomplex_model = \"soak-model\"\n")),
        None => ("local", String::new()),
    };
    format!(
        r#"# Written by `clubos load`: the sandbox facility, signed webhooks.
[server]
listen = "{addr}"
database_url = "{database_url}"
[agent]
llm = "{llm}"
workers = {workers}
[connectors.openphone]
mode = "sandbox"
webhook_secret_env = "{SECRET_ENV}"
[connectors.ninjaone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
[bookings]
provider = "local"
[[locations]]
id = "sandbox"
name = "Sandbox Golf (load test)"
timezone = "America/Halifax"
phone_number = "{FACILITY_NUMBER}"
bays = [ {{ number = 1, ninjaone_device_id = 101 }}, {{ number = 2, ninjaone_device_id = 102 }},
         {{ number = 3, ninjaone_device_id = 103 }}, {{ number = 4, ninjaone_device_id = 104 }} ]
doors = [ {{ id = "front", unifi_door_id = "sandbox-front" }} ]
# A benchmark of the pipeline, not of the rate limits: every webhook, the
# bookings set up through /api and the /metrics polls come from one address.
[http.webhook]
body_limit_bytes = 65536
requests_per_second = 1000000
burst = 1000000
[http.api]
body_limit_bytes = 65536
requests_per_second = 1000000
burst = 1000000
[http.ops]
body_limit_bytes = 1024
requests_per_second = 1000000
burst = 1000000
{model}"#
    )
}

/// A random legacy signing key: 32 base64 characters (24 bytes, no padding,
/// so any characters of the alphabet decode).
pub fn random_legacy_key() -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..32).map(|_| B64[rand::random_range(0..B64.len())] as char).collect()
}

/// A free port on 127.0.0.1 (bound, read, released; the child binds it next).
fn free_port() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(l.local_addr()?)
}

/// The running child server. Dropping it stops the process (SIGTERM, then
/// SIGKILL after 10 s) and removes the directory unless it is kept.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub pid: u32,
    pub base_url: String,
    /// The loopback port it serves on.
    pub port: u16,
    pub secret: WebhookSecret,
    pub dir: PathBuf,
    log: PathBuf,
    tempdir: Option<tempfile::TempDir>,
}

impl Server {
    /// Writes the config and starts `<this binary> serve --config …` on
    /// `database_url`, or on a SQLite file in its directory when `None`.
    /// `key` signs webhooks (see [`random_legacy_key`]); `token` is the API
    /// token. Several children on one database share both.
    pub fn spawn(
        workers: u16,
        keep: bool,
        database_url: Option<&str>,
        key: &str,
        token: &str,
        model: Option<&str>,
    ) -> anyhow::Result<Server> {
        let tempdir =
            tempfile::Builder::new().prefix("clubos-load-").tempdir().context("creating a temporary directory")?;
        let dir = tempdir.path().to_path_buf();
        let addr = free_port()?;
        let url = match database_url {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}", dir.join("clubos.db").display()),
        };
        let config = dir.join("clubos.toml");
        std::fs::write(&config, config_toml(addr, &url, workers, model)).context("writing the load config")?;
        let secret = WebhookSecret::parse(key).map_err(|e| anyhow::anyhow!("webhook key: {e}"))?;
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log).context("creating the server log")?;
        let exe = std::env::current_exe().context("locating the clubos binary")?;
        let child = Command::new(exe)
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .env_remove("CLUBOS_CONFIG")
            .env(SECRET_ENV, key)
            .env("CLUBOS_API_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting `clubos serve`")?;
        let pid = child.id();
        // Kept: the guard is given up, so the directory outlives the run.
        let tempdir = if keep {
            let _ = tempdir.keep();
            None
        } else {
            Some(tempdir)
        };
        Ok(Server { child, pid, base_url: format!("http://{addr}"), port: addr.port(), secret, dir, log, tempdir })
    }

    /// Polls `GET /readyz` until it answers 200 (the database is open and
    /// migrated), the child exits, or `timeout` passes.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, timeout: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let url = format!("{}/readyz", self.base_url);
        while started.elapsed() < timeout {
            if let Some(status) = self.child.try_wait()? {
                bail!("`clubos serve` exited ({status}) before it was ready:\n{}", self.log_tail(2000));
            }
            if let Ok(r) = client.get(&url).timeout(Duration::from_secs(2)).send().await
                && r.status().is_success()
            {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("`clubos serve` was not ready within {timeout:?}:\n{}", self.log_tail(2000))
    }

    /// The last `max` bytes of the server's output.
    pub fn log_tail(&self, max: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let start = text.len().saturating_sub(max);
        let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        text[start..].to_owned()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Stops the child: SIGTERM (graceful: in-flight work finishes), then
    /// SIGKILL if it is still running after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
        // The TempDir guard (when not kept) removes the directory here.
        drop(self.tempdir.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_config_is_a_valid_signed_sandbox_deployment() {
        let dir = std::env::temp_dir();
        let db = format!("sqlite://{}", dir.join("x/clubos.db").display());
        let text = config_toml("127.0.0.1:45678".parse().unwrap(), &db, 3, None);
        let c = clubos_config::Config::parse(&text, &dir.join("clubos.toml")).unwrap();
        assert_eq!(c.server.listen.port(), 45678);
        assert_eq!(c.agent.workers, 3);
        let op = c.connectors.openphone.as_ref().unwrap();
        assert_eq!(op.mode, clubos_config::ConnectorMode::Sandbox);
        assert_eq!(op.webhook_secret_env.as_ref().unwrap().as_str(), SECRET_ENV);
        assert_eq!(c.locations[0].bays.len(), 4);
        assert_eq!(c.locations[0].phone_number.as_ref().unwrap().as_str(), FACILITY_NUMBER);
        let pg = "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dclubos_load_1";
        let c = clubos_config::Config::parse(
            &config_toml("127.0.0.1:1".parse().unwrap(), pg, 3, None),
            &dir.join("c.toml"),
        );
        assert!(matches!(c.unwrap().server.database_url, clubos_config::DatabaseUrl::Postgres(_)));
        // The soak's model: the agent asks it.
        let text = config_toml("127.0.0.1:2".parse().unwrap(), &db, 3, Some("http://127.0.0.1:9"));
        let c = clubos_config::Config::parse(&text, &dir.join("c.toml")).unwrap();
        assert_eq!(c.agent.llm.as_str(), "openai");
    }

    #[test]
    fn generated_keys_parse_as_legacy_keys() {
        for _ in 0..100 {
            let key = random_legacy_key();
            let s = WebhookSecret::parse(&key).unwrap();
            assert_eq!(s.key().len(), 24);
        }
    }
}
