//! Customer text with markup is escaped in the rendered HTML of the inbox
//! and the thread page (no browser needed; `browser.rs`,
//! `customer_text_is_shown_escaped`, checks the same in Chromium, including
//! that no script ran).

mod common;

use clubos_domain::Role;
use common::{Client, spawn};

#[tokio::test]
async fn customer_markup_is_escaped_in_the_console_html() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let evil = "<script>window.__xss=1</script><img src=x onerror=alert(1)>\"quoted\" & 'single'";
    let id = c.text("+19025550166", evil).await;
    c.wait_thread(id, |t| t["status"] != "awaiting_ai" && t["status"] != "pending").await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    for page in ["/".to_owned(), format!("/threads/{id}")] {
        let r = ops.get(&page).await;
        assert_eq!(r.status, 200, "{page}");
        assert!(!r.body.contains("<script>window.__xss"), "{page}: the customer's script is markup");
        assert!(!r.body.contains("<img src=x"), "{page}: the customer's image tag is markup");
        if page != "/" {
            // maud escapes &, <, > and ": the text is shown as text.
            assert!(r.body.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"), "{page}:\n{}", r.body);
            assert!(r.body.contains("&lt;img src=x onerror=alert(1)&gt;&quot;quoted&quot; &amp; 'single'"), "{page}");
        }
    }
    c.stop().await;
}
