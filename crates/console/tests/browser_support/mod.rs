//! Real-browser support: headless Chromium driven through chromedriver with
//! fantoccini. Each test starts its own chromedriver (in its own process
//! group, on a free port) with a fresh profile directory; a guard closes the
//! browser session and ends chromedriver and the browser even when the test
//! panics.
//!
//! Without chromedriver the tests are skipped with a message, unless
//! `CLUBOS_REQUIRE_BROWSER=1` (CI), where they fail.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long an explicit wait lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn chromedriver() -> Option<PathBuf> {
    on_path("chromedriver").or_else(|| Some(PathBuf::from("/usr/bin/chromedriver")).filter(|p| p.is_file()))
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|n| on_path(n)))
}

fn required() -> bool {
    std::env::var("CLUBOS_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("addr").port()
}

/// chromedriver and the browser session it runs. Dropping it deletes the
/// session (chromedriver then quits the browser) and ends chromedriver's
/// process group, which holds any browser process left behind.
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Driver {
    /// A blocking `DELETE /session/{id}`: usable from `drop`, during a panic.
    fn delete_session(&mut self) {
        let Some(id) = self.session.take() else { return };
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
        let req = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        if s.write_all(req.as_bytes()).is_ok() {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.delete_session();
        // The group's id is chromedriver's pid (it was started with
        // `process_group(0)`); only processes this test started are in it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser for one test.
pub struct Browser {
    pub client: Client,
    driver: Driver,
    http: reqwest::Client,
}

/// Starts chromedriver and a headless Chromium session; `None` (after a
/// message) when chromedriver is not installed and the browser is optional.
pub async fn browser() -> Option<Browser> {
    let (Some(driver_bin), Some(chrome)) = (chromedriver(), chromium()) else {
        let msg = "skipping browser tests: chromedriver not found (install chromium and chromium-driver)";
        if required() {
            panic!("CLUBOS_REQUIRE_BROWSER=1 but chromedriver or chromium is missing: {msg}");
        }
        eprintln!("{msg}");
        return None;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    let port = free_port();
    let log = std::fs::File::create(profile.path().join("chromedriver.log")).expect("log file");
    let child = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", driver_bin.display()));
    let mut driver = Driver { child, port, session: None, _profile: profile };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http");
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let ready = http.get(format!("{base}/status")).send().await.ok();
        let ready = match ready {
            Some(r) => r.json::<Value>().await.ok().is_some_and(|v| v["value"]["ready"] == true),
            None => false,
        };
        if ready {
            break;
        }
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!("chromedriver exited early ({status}); see {}", log_path(&driver).display());
        }
        assert!(started.elapsed() < WAIT, "chromedriver did not become ready within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let user_data = driver._profile.path().join("chromium");
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!("--user-data-dir={}", user_data.display()), "--window-size=1440,900".to_owned()])
    .collect::<Vec<_>>();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), json!({"binary": chrome, "args": args}));
    // Both of rustls's providers are compiled in (see Cargo.toml): choose.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&base)
        .await
        .unwrap_or_else(|e| panic!("new browser session: {e}; see {}", log_path(&driver).display()));
    driver.session = client.session_id().await.ok().flatten();
    Some(Browser { client, driver, http })
}

fn log_path(d: &Driver) -> PathBuf {
    d._profile.path().join("chromedriver.log")
}

impl Browser {
    /// Ends the session and chromedriver (the guard does it too on a panic).
    pub async fn close(mut self) {
        let c = self.client.clone();
        if c.close().await.is_ok() {
            self.driver.session = None;
        }
        drop(self);
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let id = self.driver.session.as_deref().expect("a session");
        let url = format!("http://127.0.0.1:{}/session/{id}/goog/cdp/execute", self.driver.port);
        let r = self.http.post(url).json(&json!({"cmd": cmd, "params": params})).send().await.expect("cdp");
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "cdp {cmd}: {status} {v}");
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
        self.wait_js("document.readyState === 'complete'", &format!("{url} to load")).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`).
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `expr` is truthy in the page.
    pub async fn wait_js(&self, expr: &str, what: &str) {
        let started = Instant::now();
        let script = format!("try {{ return !!({expr}); }} catch (e) {{ return false; }}");
        loop {
            // Navigation may be under way: a failed script is just "not yet".
            if let Ok(Value::Bool(true)) = self.client.execute(&script, vec![]).await {
                return;
            }
            if started.elapsed() > WAIT {
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                let text = self.text().await;
                panic!("timed out after {WAIT:?} waiting for {what} ({expr}) at {url}; page text:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's path (and query) is `path`.
    pub async fn wait_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            if let Ok(u) = self.client.current_url().await {
                let here = match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_owned(),
                };
                if here == path {
                    self.wait_js("document.readyState === 'complete'", path).await;
                    return;
                }
            }
            if started.elapsed() > WAIT {
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                panic!("timed out waiting for {path}; at {url}:\n{}", self.text().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        match self.client.execute("return document.body ? document.body.innerText : ''", vec![]).await {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    /// The HTTP status of the current document (Navigation Timing).
    pub async fn status(&self) -> u64 {
        let v = self.js("return performance.getEntriesByType('navigation')[0].responseStatus", vec![]).await;
        v.as_u64().unwrap_or_else(|| panic!("no response status: {v}"))
    }

    pub async fn click(&self, css: &str) {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(el) => el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}")),
            Err(e) => panic!("no element {css}: {e}; page text:\n{}", self.text().await),
        }
    }

    /// Clicks the button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space()='{text}']");
        let el = self.client.wait().at_most(WAIT).for_element(Locator::XPath(&xpath)).await;
        el.unwrap_or_else(|e| panic!("no button “{text}”: {e}")).click().await.expect("click");
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await;
        let el = el.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    /// Signs in through the login form and waits for the inbox.
    pub async fn login(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("main form button[type=submit]").await;
        self.wait_path("/").await;
        self.wait_js("document.getElementById('list-title')", "the inbox").await;
    }

    /// Presses Tab once, as a keyboard user would.
    pub async fn tab(&self) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: Key::Tab.into() })
            .then(KeyAction::Up { value: Key::Tab.into() });
        self.client.perform_actions(keys).await.expect("tab");
    }

    /// Sizes the window so the CSS viewport is `width` × `height`.
    pub async fn viewport(&self, width: u32, height: u32) {
        let (mut w, mut h) = (width, height);
        for _ in 0..4 {
            self.client.set_window_size(w, h).await.expect("window size");
            let v = self.js("return [window.innerWidth, window.innerHeight]", vec![]).await;
            let (iw, ih) = (v[0].as_u64().unwrap_or(0) as i64, v[1].as_u64().unwrap_or(0) as i64);
            if iw == i64::from(width) && ih == i64::from(height) {
                return;
            }
            w = (i64::from(w) + i64::from(width) - iw).max(1) as u32;
            h = (i64::from(h) + i64::from(height) - ih).max(1) as u32;
        }
        // A window manager minimum can stop the window itself: emulate the
        // viewport instead.
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let v = self.js("return [window.innerWidth, window.innerHeight]", vec![]).await;
        assert_eq!(v, json!([width, height]), "the viewport could not be sized");
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("screenshot dir");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// `<target>/screenshots`: `CARGO_TARGET_DIR` (relative to the workspace)
/// or the workspace's `target`.
pub fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if Path::new(&t).is_absolute() => PathBuf::from(t),
        Some(t) => workspace.join(t),
        None => workspace.join("target"),
    };
    target.join("screenshots")
}
