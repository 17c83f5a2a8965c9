//! `clubos sop import`: documents and a directory of them into a running
//! server's review queue (drafts, never active SOPs); a file the server
//! cannot read makes the command fail and says why.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_become_drafts_in_the_review_queue() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), "sop-import-token", "[{ number = 1 }]").await;
    let clubos = |args: &[&str]| server.clubos(args);

    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("rules.md"), "## Guest policy\n\nUp to six players per bay.\n\n- Can I bring friends?\n")
        .unwrap();
    std::fs::write(docs.join("prices.csv"), "title,answer\nClub rentals,Rental clubs are free for every booking.\n")
        .unwrap();
    std::fs::write(docs.join("ignored.docx"), "not a document we read").unwrap();
    let (code, out, err) = clubos(&["sop", "import", docs.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 file(s): 2 draft SOP(s) in the review queue"), "{out}");

    let queue = server.get("/api/knowledge/proposals?status=pending").await;
    let titles: Vec<&str> =
        queue["proposals"].as_array().unwrap().iter().filter_map(|p| p["body"]["title"].as_str()).collect();
    assert!(titles.contains(&"Guest policy") && titles.contains(&"Club rentals"), "{queue:#}");
    let active = server.get("/api/sops").await;
    assert!(!active["sops"].as_array().unwrap().iter().any(|s| s["title"] == "Guest policy"), "drafts are not active");

    let bad = dir.path().join("empty.md");
    std::fs::write(&bad, "   \n").unwrap();
    let (code, out, err) = clubos(&["sop", "import", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("refused") && err.contains("empty"), "{out}{err}");
}
