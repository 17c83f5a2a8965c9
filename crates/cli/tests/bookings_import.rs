//! `clubos bookings import`: a CSV into a running server's booking store,
//! seen through what bookings change (a booked customer's text is high
//! priority), idempotent on re-import, all-or-nothing on a bad file.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_bookings_raise_the_priority_of_their_customers_texts() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), "import-token", "[{ number = 1 }, { number = 2 }]").await;
    let clubos = |args: &[&str]| server.clubos(args);

    let now = jiff::Timestamp::now();
    let csv = dir.path().join("bookings.csv");
    let good = format!(
        "customer_phone,location,bay,starts_at,ends_at\n(902) 555-0161,sandbox,2,{},{}\n",
        now - jiff::SignedDuration::from_mins(10),
        now + jiff::SignedDuration::from_mins(50)
    );
    // A bad file sends nothing.
    std::fs::write(&csv, format!("{good}9025550162,sandbox,7,{now},{now}\n")).unwrap();
    let (code, _, err) = clubos(&["bookings", "import", csv.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 3: bay: location `sandbox` has no bay 7") && err.contains("nothing was imported"),
        "{err}"
    );

    std::fs::write(&csv, &good).unwrap();
    for _ in 0..2 {
        let (code, out, err) = clubos(&["bookings", "import", csv.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("1 imported, 0 refused"), "{out}");
    }
    let (code, out, _) = clubos(&["send", "--from", "902-555-0161", "trackman frozen"]);
    assert_eq!(code, 0, "{out}");
    let threads = server.get("/api/threads").await;
    let thread = &threads["threads"][0];
    assert_eq!(thread["customer_phone"], "+19025550161");
    assert_eq!(thread["priority"], "high", "the imported booking is active: {threads:#}");
}
