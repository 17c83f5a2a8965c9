//! The admin pages through the real server over HTTP: the audit log (admins
//! only, filterable) and accounts (add, change, disable; mistakes are 400
//! and change nothing; no admin can demote or disable themselves).

mod common;

use clubos_domain::{Email, Role};
use common::{Client, Console, PASSWORD, spawn};

async fn admin(c: &Console) -> Client {
    c.account("admin@example.com", Role::Admin, &[]).await;
    Client::login(c, "admin@example.com").await
}

async fn account(c: &Console, email: &str) -> Option<clubos_store::Account> {
    c.app.store.account_by_email(&Email::parse(email).unwrap()).await.unwrap()
}

#[tokio::test]
async fn the_audit_log_is_for_admins_and_names_the_actor() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    assert_eq!(ops.get("/audit").await.status, 403, "an operator may not read the audit log");
    assert!(!ops.get("/").await.body.contains("href=\"/audit\""), "nor see it in the navigation");

    let page = a.get("/audit").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/audit\""));
    // Logins of both, and the account the harness made, newest first.
    assert!(page.body.contains("ops@example.com") && page.body.contains("admin@example.com"), "{}", page.body);
    assert!(page.body.contains(">login<") && page.body.contains("account.create"), "{}", page.body);
    assert!(
        page.body.contains("{&quot;locations&quot;:[],&quot;role&quot;:&quot;operator&quot;}"),
        "compact JSON detail"
    );
    let ops_login = page.body.find("<strong class=\"who\">ops@example.com</strong>").expect("ops' login");
    let admin_login = page.body.find("<strong class=\"who\">admin@example.com</strong>").expect("admin's login");
    assert!(ops_login < admin_login, "newest first");

    let only = a.get("/audit?actor=OPS@&action=log").await;
    assert!(only.body.contains("ops@example.com"));
    assert!(!only.body.contains("<strong class=\"who\">admin@example.com</strong>"), "{}", only.body);
    assert!(!only.body.contains("account.create"));
    let one = a.get("/audit?limit=1").await;
    assert_eq!(one.body.matches("<li class=\"entry\">").count(), 1, "{}", one.body);
    let capped = a.get("/audit?limit=5000").await;
    assert!(capped.body.contains("value=\"1000\""), "the limit is capped at 1000");
    c.stop().await;
}

#[tokio::test]
async fn an_admin_adds_an_operator_for_one_location_who_can_then_sign_in() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    assert_eq!(ops.get("/accounts").await.status, 403, "operators may not manage accounts");
    let r = ops
        .post(
            "/accounts",
            &[("email", "sneaky@example.com"), ("role", "admin"), ("password", "a long enough password")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(account(&c, "sneaky@example.com").await.is_none());

    let page = a.get("/accounts").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ops@example.com") && page.body.contains("Add an account"), "{}", page.body);
    assert!(page.body.contains("name=\"locations\" value=\"sandbox\"") && page.body.contains("value=\"elsewhere\""));

    let new_pass = "bedford nights 2026";
    let fields =
        [("email", "Night@Example.com"), ("role", "operator"), ("locations", "elsewhere"), ("password", new_pass)];
    let r = a.post("/accounts", &fields).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/accounts?notice=created")), "{}", r.body);
    let made = account(&c, "night@example.com").await.expect("created");
    assert_eq!(
        (made.role, made.locations.iter().map(|l| l.as_str()).collect::<Vec<_>>()),
        (Role::Operator, vec!["elsewhere"])
    );
    let page = a.get("/accounts?notice=created").await;
    assert!(page.body.contains("Account added") && page.body.contains("night@example.com"), "{}", page.body);

    let mut night = Client::new(&c);
    assert_eq!(night.try_login("night@example.com", new_pass).await.status, 303, "the new operator signs in");
    assert_eq!(night.get("/").await.status, 200);
    assert_eq!(night.get("/accounts").await.status, 403);
    let audit = c.app.store.audit_log(50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "admin@example.com" && e.action == "account.create" && e.subject.contains("night@"))
    );

    // Mistakes: 400, shown on the page, nothing changes; the form keeps the e-mail.
    let n = c.app.store.accounts().await.unwrap().len();
    for (fields, says) in [
        (vec![("email", "night@example.com"), ("role", "viewer"), ("password", "another long password")], "already"),
        (vec![("email", "short@example.com"), ("role", "viewer"), ("password", "short")], "at least 10 characters"),
        (vec![("email", "not an address"), ("role", "viewer"), ("password", "another long password")], "e-mail"),
        (vec![("email", "x@example.com"), ("role", "owner"), ("password", "another long password")], "role"),
        (
            vec![
                ("email", "x@example.com"),
                ("role", "viewer"),
                ("locations", "atlantis"),
                ("password", "another long password"),
            ],
            "unknown location",
        ),
    ] {
        let r = a.post("/accounts", &fields).await;
        assert_eq!(r.status, 400, "{fields:?}: {}", r.body);
        assert!(r.body.contains("No account was added") && r.body.contains(says), "{fields:?}: {}", r.body);
    }
    assert_eq!(c.app.store.accounts().await.unwrap().len(), n, "nothing was added");
    assert_eq!(account(&c, "night@example.com").await.unwrap().role, Role::Operator, "the duplicate changed nothing");
    c.stop().await;
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_no_admin_can_disable_or_demote_themselves() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    let mut ops = Client::login(&c, "ops@example.com").await;
    assert_eq!(ops.get("/").await.status, 200);

    // A role and location change first, then disabling.
    let r =
        a.post("/accounts/update", &[("email", "ops@example.com"), ("role", "viewer"), ("locations", "sandbox")]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/accounts?notice=updated")), "{}", r.body);
    let changed = account(&c, "ops@example.com").await.unwrap();
    assert_eq!((changed.role, changed.locations.len(), changed.disabled), (Role::Viewer, 1, false));
    assert_eq!(ops.get("/").await.status, 200, "still signed in");

    let fields = [("email", "ops@example.com"), ("role", "operator"), ("disabled", "on")];
    assert_eq!(a.post("/accounts/update", &fields).await.status, 303);
    assert!(account(&c, "ops@example.com").await.unwrap().disabled);
    let r = ops.get("/").await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")), "the session ended");
    assert_eq!(Client::new(&c).try_login("ops@example.com", PASSWORD).await.status, 401, "and no new one");
    let page = a.get("/accounts").await;
    assert!(page.body.contains("Disabled"));

    // Oneself: neither disabled nor demoted.
    for fields in [
        vec![("email", "admin@example.com"), ("role", "admin"), ("disabled", "on")],
        vec![("email", "admin@example.com"), ("role", "operator")],
    ] {
        let r = a.post("/accounts/update", &fields).await;
        assert_eq!(r.status, 400, "{fields:?}");
        assert!(r.body.contains("cannot demote or disable your own account"), "{}", r.body);
    }
    let me = account(&c, "admin@example.com").await.unwrap();
    assert_eq!((me.role, me.disabled), (Role::Admin, false));
    assert_eq!(a.get("/accounts").await.status, 200, "still an admin, still signed in");
    // Another admin may.
    let r = a.post("/accounts/update", &[("email", "nobody@example.com"), ("role", "viewer")]).await;
    assert_eq!(r.status, 404);
    let r =
        a.post("/accounts/update", &[("email", "ops@example.com"), ("role", "viewer"), ("locations", "mars")]).await;
    assert_eq!(r.status, 400);
    c.stop().await;
}
