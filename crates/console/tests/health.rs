//! The health and cost page through the real server: components, queues,
//! a cost computed from a decision's tokens and the configured prices, the
//! automation-rate chart, the live region, and acknowledging notifications
//! (operators yes, viewers no).

mod common;

use clubos_domain::{Role, Verdict};
use common::{Client, spawn};
use jiff::SignedDuration;

const PRICES: &str = r#"
[[llm.prices]]
model = "gpt-test"
input_usd_per_million = 2.5
output_usd_per_million = 10.0
"#;

#[tokio::test]
async fn components_queues_cost_and_the_chart() {
    let c = spawn(PRICES).await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    let thread = c.text("+19025550141", "what are your hours").await;
    c.wait_thread(thread, |t| t["status"] != "pending" && t["status"] != "awaiting_ai").await;
    // 1,000,000 in at $2.50 and 200,000 out at $10 per million: $4.50.
    c.decision(thread, Verdict::Reply, "gpt-test", (1_000_000, 200_000)).await;

    let mut viewer = Client::login(&c, "viewer@example.com").await;
    let page = viewer.get("/health").await;
    assert_eq!(page.status, 200);
    let b = &page.body;
    assert!(b.contains("<h2 id=\"components-title\">Components</h2>"), "{b}");
    assert!(b.contains("Database") && b.contains("Healthy"), "{b}");
    assert!(b.contains("<dd id=\"queue-depth\">0"), "{b}");
    assert!(b.contains("<dd id=\"review-waiting\">0"), "{b}");
    assert!(b.contains("data-live=\"5000\""), "the top region refreshes live");
    // Today and this month at the sandbox: the same single priced decision.
    assert_eq!(b.matches("<td class=\"hl-money\">$4.50</td>").count(), 2, "{b}");
    assert!(b.contains("1,200,000"), "tokens in and out: {b}");
    assert!(b.contains("<caption class=\"st-caption\">Test Golf</caption>"));
    assert!(b.contains("<caption class=\"st-caption\">Other Golf</caption>"));
    assert!(b.contains("No cap"));
    // The chart, with its text alternatives.
    assert!(b.contains("<svg class=\"chart hl-chart\""), "{b}");
    assert!(b.contains("role=\"img\" aria-labelledby=\"rate-title rate-desc\""));
    assert!(b.contains("<title id=\"rate-title\">Automation rate per day, last 30 days</title>"));
    let desc = b.split("<desc id=\"rate-desc\">").nth(1).and_then(|s| s.split("</desc>").next()).unwrap_or_default();
    assert!(desc.starts_with("Over the last 30 days the AI handled "), "{desc}");
    assert!(b.contains("class=\"bar\""), "a bar for today");
    assert!(b.contains("The figures by day"));
    assert!(!b.contains("style="), "the CSP forbids inline styles");

    // The live refresh returns only the region.
    let live = viewer.http.get(c.url("/health")).header("x-live", "1").send().await.unwrap().text().await.unwrap();
    assert!(live.contains("id=\"queue-depth\"") && !live.contains("<html") && !live.contains("Tokens and cost"));

    // A model without a price: the cost is unknown, never zero.
    c.clock.advance(SignedDuration::from_hours(24));
    c.decision(thread, Verdict::Escalate, "mystery-model", (1_000, 10)).await;
    let mut viewer = Client::login(&c, "viewer@example.com").await;
    let b = viewer.get("/health").await.body;
    assert!(b.contains("<td class=\"hl-money\">—</td>"), "{b}");
    assert!(b.contains("No price for: <code>mystery-model</code>"), "{b}");
    c.stop().await;
}

#[tokio::test]
async fn costs_without_prices_show_a_dash_and_the_scope_limits_locations() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &["elsewhere"]).await;
    c.account("admin@example.com", Role::Admin, &[]).await;
    let thread = c.text("+19025550142", "what are your hours").await;
    c.wait_thread(thread, |t| t["status"] != "pending" && t["status"] != "awaiting_ai").await;
    c.decision(thread, Verdict::Reply, "gpt-test", (500, 50)).await;
    let mut admin = Client::login(&c, "admin@example.com").await;
    let b = admin.get("/health").await.body;
    assert!(b.contains("No model prices are configured"));
    assert!(b.contains("<td class=\"hl-money\">—</td>"), "{b}");
    let mut ops = Client::login(&c, "ops@example.com").await;
    let b = ops.get("/health").await.body;
    assert!(!b.contains(">Test Golf</caption>"), "another location's cost is not shown");
    assert!(b.contains(">Other Golf</caption>"));
    c.stop().await;
}

#[tokio::test]
async fn operators_acknowledge_notifications_and_viewers_may_not() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    let id = c.notification("Bay 3 PC offline").await;
    let action = format!("/health/notifications/{id}/ack");

    let mut viewer = Client::login(&c, "viewer@example.com").await;
    let page = viewer.get("/health").await;
    assert!(page.body.contains("Bay 3 PC offline"));
    assert!(!page.body.contains(&format!("action=\"{action}\"")), "no button for a viewer");
    assert_eq!(viewer.post(&action, &[]).await.status, 403);
    let open = c.app.store.notifications(true).await.unwrap();
    assert!(open.iter().any(|n| n.id == id), "still unacknowledged");

    let mut ops = Client::login(&c, "ops@example.com").await;
    let page = ops.get("/health").await;
    assert!(page.body.contains(&format!("action=\"{action}\"")), "{}", page.body);
    assert!(page.body.contains("aria-label=\"Acknowledge: Bay 3 PC offline\""));
    let r = ops.post(&action, &[]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/health?notice=acked")), "{}", r.body);
    let open = c.app.store.notifications(true).await.unwrap();
    assert!(!open.iter().any(|n| n.id == id), "acknowledged");
    let all = c.app.store.notifications(false).await.unwrap();
    let n = all.iter().find(|n| n.id == id).unwrap();
    assert_eq!(n.acked_by.as_deref(), Some("ops@example.com"));
    let audit = c.app.store.audit_log(50).await.unwrap();
    assert!(
        audit.iter().any(|a| a.actor == "ops@example.com"
            && a.action == "notification.ack"
            && a.subject == format!("notification:{id}")),
        "{audit:?}"
    );
    let page = ops.get("/health?notice=acked").await;
    assert!(page.body.contains("Notification acknowledged."));
    assert!(!page.body.contains(&format!("action=\"{action}\"")), "gone from the list");
    assert_eq!(ops.post("/health/notifications/999999/ack", &[]).await.status, 404);
    c.stop().await;
}
