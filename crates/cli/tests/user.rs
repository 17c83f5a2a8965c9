//! `clubos user add` against a deployment's database, and the first-run
//! admin that `clubos serve` creates and prints once.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn config(dir: &std::path::Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("clubos.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{}\"\n\
         [[locations]]\nid = \"bedford\"\nname = \"Bedford\"\ntimezone = \"America/Halifax\"\nbays = [{{ number = 1 }}]\n",
        dir.join("clubos.db").display()
    );
    std::fs::write(&path, text).expect("config");
    path
}

fn user_add(cfg: &std::path::Path, args: &[&str], password: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["user", "add"])
        .args(args)
        .args(["--password-stdin", "--config"])
        .arg(cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run clubos");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn user_add_checks_its_input_and_creates_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 9);
    let (code, out, err) =
        user_add(&cfg, &["Ops@Example.com", "--role", "operator", "--location", "bedford"], "a good password");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ops@example.com") && out.contains("bedford"), "{out}");
    let (code, _, err) = user_add(&cfg, &["ops@example.com", "--role", "viewer"], "another password");
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (_, _, err) = user_add(&cfg, &["v@example.com", "--role", "viewer"], "short");
    assert!(err.contains("at least 10 characters"), "{err}");
    let (_, _, err) = user_add(&cfg, &["v@example.com", "--role", "boss"], "a good password");
    assert!(err.contains("--role") && err.contains("admin, operator, viewer"), "{err}");
    let (_, _, err) =
        user_add(&cfg, &["v@example.com", "--role", "viewer", "--location", "nowhere"], "a good password");
    assert!(err.contains("unknown location `nowhere`") && err.contains("bedford"), "{err}");
    let (_, _, err) = user_add(&cfg, &["not-an-email", "--role", "viewer"], "a good password");
    assert!(err.contains("invalid e-mail"), "{err}");
}

#[tokio::test]
async fn the_first_start_prints_a_one_time_admin_password_that_must_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap();
    let cfg = config(dir.path(), port);
    let mut child = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut password = None;
    while Instant::now() < deadline && password.is_none() {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            password = line.trim().strip_prefix("one-time password: ").map(str::to_owned);
        }
    }
    let password = password.expect("serve printed a one-time password");
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let csrf = page[at..].split('"').next().unwrap().to_owned();
    let form = [("_csrf", csrf.as_str()), ("email", "admin@localhost"), ("password", password.as_str())];
    let r = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/password");
    let _ = child.kill();
    let _ = child.wait();
    // A second start creates nothing and prints no password.
    let mut again = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .env("CLUBOS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let out = again.stdout.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("Operator console") {
            break;
        }
    }
    let _ = again.kill();
    let _ = again.wait();
    assert!(seen.contains("Operator console") && !seen.contains("one-time password"), "{seen}");
}
