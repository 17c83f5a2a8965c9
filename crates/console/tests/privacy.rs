//! Forgetting and exporting a customer through the API from a console
//! session: admins only, and a state change needs the session's CSRF token.

mod common;

use clubos_domain::Role;
use common::*;

#[tokio::test]
async fn forgetting_a_customer_needs_an_admin_session_and_its_csrf_token() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    c.account("boss@example.com", Role::Admin, &[]).await;
    let id = c.text("+19025550311", "hello there").await;
    let customer = format!("{}/api/customers/%2B19025550311", c.base);
    let export = format!("{customer}/export");

    let ops = Client::login(&c, "ops@example.com").await;
    let r = ops.http.delete(&customer).header("x-csrf-token", ops.csrf.clone()).send().await.unwrap();
    assert_eq!(r.status(), 403, "an operator may not forget");
    assert_eq!(ops.http.get(&export).send().await.unwrap().status(), 403, "nor export");

    let admin = Client::login(&c, "boss@example.com").await;
    assert_eq!(admin.http.delete(&customer).send().await.unwrap().status(), 403, "no CSRF token");
    let r = admin.http.delete(&customer).header("x-csrf-token", "forged").send().await.unwrap();
    assert_eq!(r.status(), 403, "wrong CSRF token");
    let phone = c.app.store.thread(id).await.unwrap().unwrap().thread.customer_phone;
    assert!(phone.is_some(), "nothing forgotten yet");

    let r = admin.http.get(&export).send().await.unwrap();
    assert_eq!(r.status(), 200, "reading needs no CSRF token");
    let data: serde_json::Value = r.json().await.unwrap();
    assert_eq!(data["threads"][0]["messages"][0]["body"], "hello there");
    let r = admin.http.delete(&customer).header("x-csrf-token", admin.csrf.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let detail = c.app.store.thread(id).await.unwrap().unwrap();
    assert_eq!(detail.thread.customer_phone, None);
    let entry = c.app.store.audit_log(1).await.unwrap().remove(0);
    assert_eq!((entry.actor.as_str(), entry.action.as_str()), ("boss@example.com", "customer.forget"));
    c.stop().await;
}
