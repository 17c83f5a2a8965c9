//! Every route of `clubos serve` (API, webhook, console, ops) has a body
//! size limit (413) and a rate limit per client (429 with `Retry-After`),
//! from `[http]`; the forwarded address counts only from a trusted proxy;
//! and with `[http] tls_cert_file` the server speaks HTTPS.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every route class with one or more of its routes: (method, path).
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/webhooks/openphone"),
    ("GET", "/api/threads"),
    ("POST", "/api/bookings"),
    ("POST", "/api/knowledge/upload?name=a.md"),
    ("POST", "/knowledge/upload"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/"),
    ("GET", "/threads/1"),
    ("GET", "/assets/console.css"),
    ("GET", "/no/such/page"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[http.<class>]` for every class with these values.
fn every_class(body: usize, rate: u32, burst: u32) -> String {
    ["webhook", "api", "upload", "login", "console", "ops"]
        .map(|c| format!("[http.{c}]\nbody_limit_bytes = {body}\nrequests_per_second = {rate}\nburst = {burst}\n"))
        .concat()
}

async fn start(extra: &str, tls: Option<(&Path, &Path)>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tls_keys = tls
        .map(|(c, k)| format!("tls_cert_file = \"{}\"\ntls_key_file = \"{}\"\n", c.display(), k.display()))
        .unwrap_or_default();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{db}\"\n[connectors.openphone]\nmode = \"sandbox\"\n\
         [[locations]]\nid = \"sandbox\"\nname = \"Limits Golf\"\ntimezone = \"America/Halifax\"\nphone_number = \"+19025550100\"\n\
         [http]\n{tls_keys}{extra}",
        db = dir.path().join("c.db").display()
    );
    std::fs::write(dir.path().join("clubos.toml"), config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(dir.path().join("clubos.toml"))
        .env("CLUBOS_API_TOKEN", "limits-token")
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let server = Server { child, base: format!("{scheme}://127.0.0.1:{port}"), _dir: dir };
    // Wait for the port without spending a request of any class.
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn send(base: &str, method: &str, path: &str, body: Vec<u8>, header: Option<(&str, &str)>) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req =
        client.request(method.parse().unwrap(), format!("{base}{path}")).bearer_auth("limits-token").body(body);
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_route_refuses_a_body_over_its_limit() {
    let s = start(&every_class(100, 1000, 1000), None).await;
    for (method, path) in ROUTES {
        let r = send(&s.base, method, path, vec![b'x'; 101], None).await;
        assert_eq!(r.status(), 413, "{method} {path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_large", "{method} {path}");
        // At the limit, the size is not what refuses it.
        let r = send(&s.base, method, path, vec![b'x'; 100], None).await;
        assert_ne!(r.status(), 413, "{method} {path} at the limit");
    }
    // A chunked body (no Content-Length) is cut off while it is read.
    let mut tcp = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap();
    let chunk = "x".repeat(80);
    let req = format!(
        "POST /webhooks/openphone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n50\r\n{chunk}\r\n50\r\n{chunk}\r\n0\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn every_route_is_rate_limited_per_client_with_retry_after() {
    let s = start(&every_class(65_536, 1, 2), None).await;
    // One class spent leaves the others alone.
    for _ in 0..2 {
        send(&s.base, "GET", "/api/threads", vec![], None).await;
    }
    assert_eq!(send(&s.base, "GET", "/api/threads", vec![], None).await.status(), 429);
    assert_eq!(send(&s.base, "GET", "/healthz", vec![], None).await.status(), 200);
    for (method, path) in ROUTES {
        let mut limited = None;
        for _ in 0..4 {
            let r = send(&s.base, method, path, vec![], None).await;
            if r.status() == 429 {
                limited = Some(r);
                break;
            }
        }
        let r = limited.unwrap_or_else(|| panic!("{method} {path} was never rate limited"));
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=2).contains(&retry), "{method} {path}: Retry-After {retry}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{method} {path}");
    }
    // A second later the bucket holds a token again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(send(&s.base, "GET", "/healthz", vec![], None).await.status(), 200);
}

#[tokio::test]
async fn the_forwarded_address_counts_only_from_a_trusted_proxy() {
    let limits = "[http.api]\nbody_limit_bytes = 65536\nrequests_per_second = 1\nburst = 2\n";
    let proxy = "[console]\nclient_ip_header = \"x-forwarded-for\"\n";
    for (trusted, separate) in [("127.0.0.1", true), ("10.0.0.0/8", false)] {
        let s = start(&format!("{limits}{proxy}trusted_proxies = [\"{trusted}\"]\n"), None).await;
        let get = |ip: &'static str| send(&s.base, "GET", "/api/threads", vec![], Some(("x-forwarded-for", ip)));
        for _ in 0..2 {
            assert_eq!(get("198.51.100.1").await.status(), 200);
        }
        assert_eq!(get("198.51.100.1").await.status(), 429);
        let other = get("198.51.100.2").await.status();
        // Through a trusted proxy each client has its own bucket; from an
        // untrusted peer the header is ignored, so it cannot buy a new one.
        assert_eq!(other == 200, separate, "trusted_proxies = {trusted}: {other}");
    }
}

#[tokio::test]
async fn with_a_certificate_the_server_speaks_https() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let s = start("", Some((&cert_path, &key_path))).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = client.get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(format!("{}/login", s.base)).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("Sign in"));
    // Plain HTTP on the same port gets no answer; an unknown CA is refused.
    let plain = s.base.replace("https://", "http://");
    assert!(
        reqwest::Client::new().get(format!("{}/healthz", s.base)).send().await.is_err(),
        "untrusted certificate accepted"
    );
    assert!(
        !reqwest::get(format!("{plain}/healthz")).await.is_ok_and(|r| r.status().is_success()),
        "plain HTTP answered on the HTTPS port"
    );
}
