//! `clubos bookings import`: a CSV into a running server's booking store,
//! seen through what bookings change (a booked customer's text is high
//! priority), idempotent on re-import, all-or-nothing on a bad file.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TOKEN: &str = "import-token";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn clubos(args: &[&str], config: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_clubos"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("CLUBOS_API_TOKEN", TOKEN)
        .output()
        .expect("run clubos");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_bookings_raise_the_priority_of_their_customers_texts() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("clubos.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite://{db}\"\n\
             [connectors.openphone]\nmode = \"sandbox\"\n\
             [[locations]]\nid = \"sandbox\"\nname = \"Import Golf\"\ntimezone = \"America/Halifax\"\n\
             phone_number = \"+19025550100\"\nbays = [{{ number = 1 }}, {{ number = 2 }}]\n",
            db = dir.path().join("clubos.db").display()
        ),
    )
    .unwrap();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_clubos"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("CLUBOS_API_TOKEN", TOKEN)
            .env("CLUBOS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let now = jiff::Timestamp::now();
    let csv = dir.path().join("bookings.csv");
    let good = format!(
        "customer_phone,location,bay,starts_at,ends_at\n(902) 555-0161,sandbox,2,{},{}\n",
        now - jiff::SignedDuration::from_mins(10),
        now + jiff::SignedDuration::from_mins(50)
    );
    // A bad file sends nothing.
    std::fs::write(&csv, format!("{good}9025550162,sandbox,7,{now},{now}\n")).unwrap();
    let (code, _, err) = clubos(&["bookings", "import", csv.to_str().unwrap()], &config);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 3: bay: location `sandbox` has no bay 7") && err.contains("nothing was imported"),
        "{err}"
    );

    std::fs::write(&csv, &good).unwrap();
    for _ in 0..2 {
        let (code, out, err) = clubos(&["bookings", "import", csv.to_str().unwrap()], &config);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("1 imported, 0 refused"), "{out}");
    }
    let (code, out, _) = clubos(&["send", "--from", "902-555-0161", "trackman frozen"], &config);
    assert_eq!(code, 0, "{out}");
    let threads: Value =
        client.get(format!("{base}/api/threads")).bearer_auth(TOKEN).send().await.unwrap().json().await.unwrap();
    let thread = &threads["threads"][0];
    assert_eq!(thread["customer_phone"], "+19025550161");
    assert_eq!(thread["priority"], "high", "the imported booking is active: {threads:#}");
}
