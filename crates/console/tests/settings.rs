//! The settings page through the real server: admins change one category's
//! autonomy (validated, audited with before and after), mistakes come back
//! as a 400 next to the form with nothing changed, other roles read only,
//! and the trust record suggests a change only when it backs it.

mod common;

use clubos_domain::{Category, ReviewVerdict, Role, Verdict};
use clubos_server::clock::Clock;
use clubos_store::NewProposalReview;
use common::{Client, Console, spawn};
use jiff::SignedDuration;

/// The fields of a category's form as the page would post them now.
fn fields(c: &Console, category: Category) -> Vec<(&'static str, String)> {
    let p = c.app.profile().get(category).clone();
    let mut f = vec![
        ("confidence_threshold", p.confidence_threshold.to_string()),
        ("cooldown_seconds", p.cooldown_seconds.to_string()),
        ("window_start", p.time_restrictions.map(|w| w.start.to_string()).unwrap_or_default()),
        ("window_end", p.time_restrictions.map(|w| w.end.to_string()).unwrap_or_default()),
        ("max_attempts_per_booking", p.max_attempts_per_booking.map(|n| n.to_string()).unwrap_or_default()),
        ("max_fallbacks", p.max_fallbacks.to_string()),
        ("rules", p.rules.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
        ("note", String::new()),
    ];
    for (name, on) in
        [("autonomy", p.autonomy), ("require_booking", p.require_booking), ("use_cheaper_model", p.use_cheaper_model)]
    {
        if on {
            f.push((name, "on".into()));
        }
    }
    f
}

fn set(f: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<&str>) {
    f.retain(|(k, _)| *k != name);
    if let Some(v) = value {
        f.push((name, v.to_owned()));
    }
}

async fn post(client: &mut Client, category: &str, f: &[(&'static str, String)]) -> common::Resp {
    let borrowed: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(&format!("/settings/autonomy/{category}"), &borrowed).await
}

async fn autonomy_audits(c: &Console) -> Vec<clubos_store::AuditRow> {
    c.app.store.audit_log(200).await.unwrap().into_iter().filter(|a| a.action == "autonomy.update").collect()
}

#[tokio::test]
async fn an_admin_changes_one_category_and_it_is_audited() {
    let c = spawn("").await;
    c.account("admin@example.com", Role::Admin, &[]).await;
    let mut admin = Client::login(&c, "admin@example.com").await;
    let page = admin.get("/settings").await;
    assert_eq!(page.status, 200);
    for cat in ["tech", "booking", "access", "faq"] {
        assert!(page.body.contains(&format!("action=\"/settings/autonomy/{cat}\"")), "a form per category");
    }
    assert!(page.body.contains("within 10 min of booking"), "the seed's access rules are shown");
    assert!(page.body.contains("come from the configuration file"), "limits are read only");
    assert!(page.body.contains("At most 2 in any 60 min"), "resets per bay per hour");

    let before = c.app.profile();
    let mut f = fields(&c, Category::Tech);
    set(&mut f, "autonomy", None);
    set(&mut f, "confidence_threshold", Some("0.8"));
    set(&mut f, "note", Some("night shift trial"));
    let r = post(&mut admin, "tech", &f).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/settings?notice=saved#cat-tech"));

    let after = c.app.profile();
    let tech = after.get(Category::Tech);
    assert!(!tech.autonomy);
    assert_eq!(tech.confidence_threshold, 0.8);
    assert_eq!(tech.cooldown_seconds, 900, "fields not changed stay as they were");
    assert!(tech.require_booking);
    for other in [Category::Booking, Category::Access, Category::Faq] {
        assert_eq!(after.get(other), before.get(other), "{other} untouched");
    }
    let audits = autonomy_audits(&c).await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    let a = &audits[0];
    assert_eq!(a.actor, "admin@example.com");
    assert_eq!(a.detail["before"]["tech"]["autonomy"], true);
    assert_eq!(a.detail["before"]["tech"]["confidence_threshold"], 0.85);
    assert_eq!(a.detail["after"]["tech"]["autonomy"], false);
    assert_eq!(a.detail["after"]["tech"]["confidence_threshold"], 0.8);
    assert_eq!(a.detail["note"], "night shift trial");

    let page = admin.get("/settings?notice=saved").await;
    assert!(page.body.contains("Saved."));
    assert!(page.body.contains("Autonomy off"));

    // Rules and a time window, one per line; blank lines are ignored.
    let mut f = fields(&c, Category::Faq);
    set(&mut f, "rules", Some("no flags\r\n\r\nwithin 5 minutes of the booking"));
    set(&mut f, "window_start", Some("08:00"));
    set(&mut f, "window_end", Some("23:30"));
    assert_eq!(post(&mut admin, "faq", &f).await.status, 303);
    let faq = c.app.profile().get(Category::Faq).clone();
    assert_eq!(faq.rules.iter().map(ToString::to_string).collect::<Vec<_>>(), ["no flags", "within 5 min of booking"]);
    assert_eq!(faq.time_restrictions.unwrap().to_string(), "08:00–23:30");
    assert_eq!(autonomy_audits(&c).await.len(), 2);
    c.stop().await;
}

#[tokio::test]
async fn mistakes_are_shown_next_to_the_form_and_nothing_changes() {
    let c = spawn("").await;
    c.account("admin@example.com", Role::Admin, &[]).await;
    let mut admin = Client::login(&c, "admin@example.com").await;
    let before = c.app.profile();
    let cases: [(&str, &str, &str); 6] = [
        ("confidence_threshold", "1.5", "Confidence threshold: must be from 0 to 1, got 1.5"),
        ("confidence_threshold", "high", "Confidence threshold: “high” is not a number"),
        ("rules", "no flags\nalways on", "Rules, line 2: rule `always on` is not understood"),
        ("cooldown_seconds", "999999999", "Cooldown (seconds): must be from 0 to 604800, got 999999999"),
        ("max_attempts_per_booking", "0", "Attempts per booking: must be from 1 to 100, got 0"),
        ("window_start", "25:00", "Allowed from:"),
    ];
    for (field, value, message) in cases {
        let mut f = fields(&c, Category::Access);
        set(&mut f, field, Some(value));
        if field == "window_start" {
            set(&mut f, "window_end", Some("10:00"));
        }
        let r = post(&mut admin, "access", &f).await;
        assert_eq!(r.status, 400, "{field}={value}");
        assert!(r.body.contains(message), "{field}={value}: expected {message:?} in\n{}", r.body);
        assert!(r.body.contains("Nothing was changed"));
        assert!(r.body.contains("aria-invalid=\"true\""), "the field is marked");
        assert!(r.body.contains(&format!("value=\"{value}\"")) || field == "rules", "the form keeps what was typed");
        assert!(r.body.contains("<details class=\"st-edit\" id=\"edit-access\" open"), "the refused form is open");
    }
    assert_eq!(c.app.profile(), before, "nothing changed");
    assert!(autonomy_audits(&c).await.is_empty(), "nothing audited");
    let r = post(&mut admin, "weather", &fields(&c, Category::Faq)).await;
    assert_eq!(r.status, 404);
    c.stop().await;
}

#[tokio::test]
async fn only_admins_may_save() {
    let c = spawn("").await;
    c.account("ops@example.com", Role::Operator, &[]).await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    let before = c.app.profile();
    for who in ["ops@example.com", "viewer@example.com"] {
        let mut client = Client::login(&c, who).await;
        let page = client.get("/settings").await;
        assert_eq!(page.status, 200, "{who} reads the settings");
        assert!(page.body.contains("Read only: only an admin can change these."));
        assert!(!page.body.contains("action=\"/settings/autonomy/"), "{who} sees no form");
        assert!(page.body.contains("Confidence threshold") && page.body.contains("Token caps per location"));
        let mut f = fields(&c, Category::Faq);
        set(&mut f, "autonomy", None);
        let r = post(&mut client, "faq", &f).await;
        assert_eq!(r.status, 403, "{who}");
    }
    assert_eq!(c.app.profile(), before);
    assert!(autonomy_audits(&c).await.is_empty());
    c.stop().await;
}

/// Records `n` reviews of booking proposals at `confidence` on real decisions.
async fn reviews(c: &Console, thread: i64, n: usize, confidence: f64, verdict: ReviewVerdict) {
    for _ in 0..n {
        let decision = c.decision(thread, Verdict::Escalate, "local", (0, 0)).await;
        let r = NewProposalReview {
            decision_id: decision,
            thread_id: thread,
            location: clubos_domain::LocationId::parse("sandbox").unwrap(),
            category: Category::Booking,
            confidence,
            shadow: true,
            verdict,
            actor: "ops@example.com".into(),
            at: c.clock.now(),
        };
        assert!(c.app.store.record_proposal_review(r).await.unwrap());
    }
}

#[tokio::test]
async fn the_trust_record_suggests_only_what_it_backs() {
    let c = spawn("").await;
    c.account("admin@example.com", Role::Admin, &[]).await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    let thread = c.text("+19025550131", "what are your hours").await;
    c.wait_thread(thread, |t| t["status"] != "pending" && t["status"] != "awaiting_ai").await;
    let mut admin = Client::login(&c, "admin@example.com").await;
    const SUPPORTED: &str = "Operators approved 24 of 25 proposals unchanged at confidence ≥ 0.95 — turning autonomy \
                             on at 0.95 is supported by this record. Turning it on is your choice.";

    // Too few answers: counts, but no suggestion.
    reviews(&c, thread, 5, 0.97, ReviewVerdict::Approved).await;
    let page = admin.get("/settings").await;
    assert!(page.body.contains("5 reviewed proposals in the last 30 days"), "{}", page.body);
    assert!(!page.body.contains("is supported by this record"));
    assert!(!page.body.contains("Pre-fill this change"));

    reviews(&c, thread, 19, 0.97, ReviewVerdict::Approved).await;
    reviews(&c, thread, 1, 0.97, ReviewVerdict::Edited).await;
    let page = admin.get("/settings").await;
    assert!(page.body.contains(SUPPORTED), "{}", page.body);
    assert!(page.body.contains("Approved unchanged</th><td>24</td><td>0</td>"), "shadow and acting approvals");
    assert!(page.body.contains("Edited</th><td>1</td><td>0</td>"));
    assert!(page.body.contains("href=\"/settings?suggest=booking#edit-booking\""));
    assert!(!page.body.contains("suggest=tech"), "no backing for tech");

    // The one tap only pre-fills the form: nothing changes until Save.
    let before = c.app.profile();
    let pre = admin.get("/settings?suggest=booking").await;
    assert!(pre.body.contains("Nothing changes until you press Save"));
    assert!(pre.body.contains("<details class=\"st-edit\" id=\"edit-booking\" open"));
    assert!(
        pre.body.contains(
            "id=\"booking-confidence_threshold\" type=\"number\" name=\"confidence_threshold\" value=\"0.95\""
        )
    );
    assert_eq!(c.app.profile(), before, "pre-filling changes nothing");
    let mut f = fields(&c, Category::Booking);
    set(&mut f, "autonomy", Some("on"));
    assert_eq!(post(&mut admin, "booking", &f).await.status, 303);
    assert!(c.app.profile().get(Category::Booking).autonomy, "the admin's Save turned it on");

    // A viewer reads the record but gets no pre-fill.
    let mut viewer = Client::login(&c, "viewer@example.com").await;
    let page = viewer.get("/settings").await;
    assert!(page.body.contains("Operators approved 24 of 25"));
    assert!(!page.body.contains("Pre-fill this change"));

    // Answers older than 30 days no longer count.
    c.clock.advance(SignedDuration::from_hours(24 * 31));
    let mut admin = Client::login(&c, "admin@example.com").await;
    let page = admin.get("/settings").await;
    assert!(page.body.contains("0 reviewed proposals in the last 30 days"), "{}", page.body);
    c.stop().await;
}
