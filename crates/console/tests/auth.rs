//! Accounts, sessions, CSRF, throttling, roles and location scope, through
//! the real server over HTTP, as a browser would use them.

mod common;

use clubos_domain::Role;
use common::{Client, PASSWORD, spawn};
use jiff::SignedDuration;

/// A text that the sandbox escalates with a one-tap proposal (no booking).
async fn escalated_thread(c: &common::Console, from: &str) -> i64 {
    let id = c.text(from, "trackman frozen in bay 2").await;
    c.wait_thread(id, |t| !t["proposal"].is_null() && t["status"] != "awaiting_ai" && t["status"] != "pending").await;
    id
}

#[tokio::test]
async fn sign_in_see_the_inbox_approve_and_the_audit_names_the_operator() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &["sandbox"]).await;
    let id = escalated_thread(&c, "+19025550123").await;

    let mut anon = Client::new(&c);
    let r = anon.get("/").await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")), "no session: to the login page");

    let mut ops = Client::login(&c, "ops@example.com").await;
    let inbox = ops.get("/").await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.body.contains(&format!("href=\"/threads/{id}\"")), "{}", inbox.body);
    assert!(inbox.body.contains("Needs a human") || inbox.body.contains("Escalated"));
    let page = ops.get(&format!("/threads/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("The AI proposes") && page.body.contains("View reasoning"), "{}", page.body);

    // No booking: the limits refuse; the operator overrides with a reason.
    let r = ops.post(&format!("/threads/{id}/approve"), &[]).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("Refused by limits") && r.body.contains("Override the limit"), "{}", r.body);
    let r =
        ops.post(&format!("/threads/{id}/approve"), &[("override_reason", "customer is on site, booking lost")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("/threads/{id}?notice=approved").as_str()));
    let t = c
        .wait_thread(id, |t| t["actions"].as_array().is_some_and(|a| a.iter().any(|a| a["status"] == "success")))
        .await;
    let action = t["actions"].as_array().unwrap().iter().find(|a| a["kind"] == "reset_trackman").cloned().unwrap();
    assert_eq!(action["actor"], "ops@example.com");
    let audit = c.app.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|a| a.actor == "ops@example.com" && a.action == "action.reset_trackman"), "{audit:?}");
    assert!(audit.iter().any(|a| a.actor == "ops@example.com" && a.action == "login"));
    let over = audit.iter().find(|a| a.action == "action.override").expect("the override is audited");
    assert_eq!(over.detail["reason"], "customer is on site, booking lost");
    let reviews = c.app.store.proposal_reviews(jiff::Timestamp::UNIX_EPOCH).await.unwrap();
    assert_eq!(reviews.len(), 1, "the approval counts toward the trust record");
    assert_eq!(reviews[0].review.verdict, clubos_domain::ReviewVerdict::Approved);
    c.stop().await;
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let id = escalated_thread(&c, "+19025550124").await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    let r = ops.post_raw(&format!("/threads/{id}/resolve"), &[]).await;
    assert_eq!(r.status, 403, "no token");
    let r = ops.post_raw(&format!("/threads/{id}/resolve"), &[("_csrf", "forged")]).await;
    assert_eq!(r.status, 403, "wrong token");
    // The JSON API from a session needs the header too.
    let api = |m: reqwest::Method| ops.http.request(m, format!("{}/api/threads/{id}/resolve", c.base));
    assert_eq!(api(reqwest::Method::POST).send().await.unwrap().status(), 403);
    let ok = api(reqwest::Method::POST).header("x-csrf-token", ops.csrf.clone()).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    // The login form refuses a post without its cookie's token.
    let mut fresh = Client::new(&c);
    let r = fresh.post_raw("/login", &[("email", "ops@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, 403);
    c.stop().await;
}

#[tokio::test]
async fn roles_and_locations_are_enforced_on_the_server() {
    let c = spawn("").await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    c.account("ops@example.com", Role::Operator, &["elsewhere"]).await;
    let id = escalated_thread(&c, "+19025550125").await; // at "sandbox"

    let mut viewer = Client::login(&c, "viewer@example.com").await;
    assert_eq!(viewer.get(&format!("/threads/{id}")).await.status, 200, "a viewer reads");
    assert_eq!(viewer.post(&format!("/threads/{id}/approve"), &[]).await.status, 403, "but may not act");
    let api =
        viewer.http.post(format!("{}/api/threads/{id}/approve", c.base)).header("x-csrf-token", viewer.csrf.clone());
    assert_eq!(api.send().await.unwrap().status(), 403);
    let put =
        viewer.http.put(format!("{}/api/autonomy", c.base)).header("x-csrf-token", viewer.csrf.clone()).body("{}");
    assert_eq!(put.send().await.unwrap().status(), 403, "admin-only API");

    let mut ops = Client::login(&c, "ops@example.com").await;
    let inbox = ops.get("/").await;
    assert!(!inbox.body.contains(&format!("/threads/{id}\"")), "another location's thread is not listed");
    assert_eq!(ops.get(&format!("/threads/{id}")).await.status, 403);
    assert_eq!(ops.post(&format!("/threads/{id}/resolve"), &[]).await.status, 403);
    let listed: serde_json::Value =
        ops.http.get(format!("{}/api/threads", c.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["threads"].as_array().unwrap().len(), 0, "{listed}");
    let status = c.app.store.thread(id).await.unwrap().unwrap().thread.status;
    assert_ne!(status, clubos_domain::ThreadStatus::Resolved, "nothing changed");
    c.stop().await;
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    c.clock.advance(SignedDuration::from_hours(7));
    assert_eq!(ops.get("/").await.status, 200, "used within 8 hours");
    c.clock.advance(SignedDuration::from_hours(7));
    assert_eq!(ops.get("/").await.status, 200, "idle time counts from the last request");
    c.clock.advance(SignedDuration::from_hours(8) + SignedDuration::from_mins(1));
    use clubos_server::clock::Clock;
    let (pruned, _) = clubos_server::scheduler::housekeeping(&c.app, c.clock.now()).await.unwrap();
    assert_eq!(pruned, 1, "the scheduler deletes expired sessions");
    let r = ops.get("/").await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")), "expired after 8 h idle");
    c.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_login() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let mut who = Client::new(&c);
    for _ in 0..5 {
        assert_eq!(who.try_login("ops@example.com", "wrong password!").await.status, 401);
    }
    let r = who.try_login("ops@example.com", PASSWORD).await;
    assert_eq!(r.status, 429, "locked even with the right password");
    assert!(r.body.contains("too many failed logins"));
    c.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(who.try_login("ops@example.com", PASSWORD).await.status, 303, "the lock ends");
    c.stop().await;
}

#[tokio::test]
async fn behind_a_proxy_the_lockout_counts_per_forwarded_client() {
    let c = spawn("[console]\nclient_ip_header = \"x-forwarded-for\"\ntrusted_proxies = [\"127.0.0.1\"]").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    c.account("other@example.com", Role::Operator, &[]).await;
    let mut attacker = Client::with_header(&c, "x-forwarded-for", "198.51.100.1, 10.0.0.7");
    for _ in 0..5 {
        assert_eq!(attacker.try_login("ops@example.com", "wrong password!").await.status, 401);
    }
    // The attacker's address is locked, for any account.
    assert_eq!(attacker.try_login("other@example.com", PASSWORD).await.status, 429);
    // Everyone else behind the same proxy (same TCP peer) still signs in.
    let mut colleague = Client::with_header(&c, "x-forwarded-for", "203.0.113.9");
    assert_eq!(colleague.try_login("other@example.com", PASSWORD).await.status, 303);
    // The attacked account itself stays locked whatever the address.
    let mut elsewhere = Client::with_header(&c, "x-forwarded-for", "203.0.113.10");
    assert_eq!(elsewhere.try_login("ops@example.com", PASSWORD).await.status, 429);
    c.stop().await;
}

#[tokio::test]
async fn a_one_time_password_must_be_replaced_first() {
    let c = spawn("").await;
    let (email, otp) =
        clubos_server::auth::first_run_admin(c.app.store.as_ref(), jiff::Timestamp::now()).await.unwrap().unwrap();
    assert!(
        clubos_server::auth::first_run_admin(c.app.store.as_ref(), jiff::Timestamp::now()).await.unwrap().is_none()
    );
    let mut admin = Client::new(&c);
    let r = admin.try_login(email.as_str(), &otp).await;
    assert_eq!(r.location.as_deref(), Some("/account/password"));
    let r = admin.get("/escalations").await;
    assert_eq!(r.location.as_deref(), Some("/account/password"), "held on the password page");
    admin.get("/account/password").await;
    let r = admin.post("/account/password", &[("current", &otp), ("new", "short"), ("confirm", "short")]).await;
    assert_eq!(r.status, 400);
    let new = "a brand new admin password";
    let r = admin.post("/account/password", &[("current", &otp), ("new", new), ("confirm", new)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(admin.get("/").await.status, 200);
    let mut again = Client::new(&c);
    assert_eq!(again.try_login(email.as_str(), &otp).await.status, 401, "the one-time password is gone");
    assert_eq!(again.try_login(email.as_str(), new).await.status, 303);
    c.stop().await;
}
