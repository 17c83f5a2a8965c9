//! Customer text is data, byte for byte: SQL metacharacters, backslashes,
//! `LIKE` wildcards, quotes, unicode, emoji and CR/LF go in through the
//! signed webhook and come out of `GET /api/threads/{id}` unchanged, on
//! SQLite and on PostgreSQL (skipped, saying so, without
//! `CLUBOS_TEST_DATABASE_URL`).

mod common;

use clubos_config::Config;
use clubos_store_postgres::testing;
use common::{Options, TestApp, config_text, spawn, spawn_with};

/// Each from its own customer, so each opens its own thread.
const TEXTS: &[&str] = &[
    "Robert'); DROP TABLE messages;--",
    "it's \"quoted\" `ticked` and ''doubled''",
    "back\\slash \\' \\\" \\\\ \\n (not a newline) \\x00",
    "100% of the_time: % _ %% __ LIKE '%_' ESCAPE '\\'",
    "$1 $$dollar quoted$$ ? ?1 :name @p0 ; -- /* comment */ #",
    "unicode: Ærø ß ﬁ Ωμέγα 中文 العربية עברית \u{200b}zero-width \u{feff}bom",
    "emoji: ⛳🏌️‍♀️👍🏽 🇨🇦 \u{1F600}",
    "line one\r\nline two\rline three\nline four\r\n",
    "tab\there, <script>alert('x')</script> &amp; &lt;",
    "  leading and trailing spaces  ",
];

async fn roundtrip(t: &TestApp) {
    let mut threads = Vec::new();
    for (i, text) in TEXTS.iter().enumerate() {
        let (status, r) = t.text(&format!("+1902555{:04}", 3000 + i), text).await;
        assert_eq!(status, 200, "{text:?}: {r}");
        threads.push((r["thread_id"].as_i64().expect("thread id"), *text));
    }
    for (id, text) in threads {
        let (status, th) = t.get(&format!("/api/threads/{id}")).await;
        assert_eq!(status, 200, "{th}");
        let first = th["messages"].as_array().and_then(|m| m.first()).cloned().unwrap_or_default();
        assert_eq!(first["direction"], "inbound", "{th}");
        assert_eq!(first["body"].as_str(), Some(text), "thread {id} changed the text");
    }
    // The tables are all still there: a new message is stored and read.
    let (status, r) = t.text("+19025554999", "still here").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(t.get("/api/threads").await.0, 200);
}

#[tokio::test]
async fn customer_text_roundtrips_byte_for_byte_on_sqlite() {
    let t = spawn(Options::default()).await;
    roundtrip(&t).await;
    t.stop().await;
}

#[tokio::test]
async fn customer_text_roundtrips_byte_for_byte_on_postgres() {
    let Some(url) = testing::database_url("customer_text_roundtrips_byte_for_byte_on_postgres") else {
        return;
    };
    let schema = testing::schema_name();
    testing::create_schema(&url, &schema).await.expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let pg = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}", dir.path().join("clubos.db").display());
    let text = config_text(dir.path(), "").replace(&sqlite, &pg);
    assert!(text.contains(&pg), "the test config names the PostgreSQL database");
    let config = Config::parse(&text, &dir.path().join("clubos.toml")).expect("config");
    let t = spawn_with(config, dir, Options::default()).await;
    roundtrip(&t).await;
    t.stop().await;
    testing::drop_schema(&url, &schema).await.ok();
}
