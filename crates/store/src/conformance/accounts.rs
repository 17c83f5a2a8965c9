//! Accounts, sessions, login failures, the inbox order, operators' answers
//! to proposals and decision counts.

use clubos_domain::*;
use jiff::SignedDuration;

use super::{decision, inbound, reset, stored, t};
use crate::*;

fn new_account(email: &str, role: Role, locations: &[&str]) -> NewAccount {
    NewAccount {
        email: Email::parse(email).unwrap(),
        role,
        locations: locations.iter().map(|l| LocationId::parse(l).unwrap()).collect(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change_password: true,
    }
}

pub(super) async fn accounts_sessions_and_failures(s: &impl Store) {
    assert_eq!(s.account_count().await.unwrap(), 0);
    let id = s.create_account(new_account("Ops@Example.com", Role::Operator, &["bedford"]), t(0)).await.unwrap();
    assert!(matches!(
        s.create_account(new_account("ops@example.com", Role::Admin, &[]), t(1)).await,
        Err(StoreError::Conflict(_))
    ));
    let a = s.account_by_email(&Email::parse("OPS@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!((a.id, a.role, a.must_change_password, a.disabled), (id, Role::Operator, true, false));
    assert_eq!(a.locations, vec![LocationId::parse("bedford").unwrap()]);
    s.set_password(id, "new-hash", false, t(2)).await.unwrap();
    assert!(matches!(s.set_password(id + 100, "x", false, t(2)).await, Err(StoreError::NotFound(_))));
    s.update_account(id, Role::Viewer, vec![], true).await.unwrap();
    let a = s.account_by_email(&Email::parse("ops@example.com").unwrap()).await.unwrap().unwrap();
    assert_eq!((a.role, a.locations.len(), a.disabled, a.password_hash.as_str()), (Role::Viewer, 0, true, "new-hash"));
    s.create_account(new_account("admin@localhost", Role::Admin, &[]), t(3)).await.unwrap();
    let all: Vec<String> = s.accounts().await.unwrap().into_iter().map(|a| a.email.to_string()).collect();
    assert_eq!(all, ["admin@localhost", "ops@example.com"]);

    // Sessions: by token hash, touched, ended, pruned.
    let open = |h: &str, at| NewSession { token_hash: h.into(), account_id: id, csrf_token: format!("csrf-{h}"), at };
    s.create_session(open("h1", t(10))).await.unwrap();
    s.create_session(open("h2", t(10))).await.unwrap();
    let row = s.session("h1").await.unwrap().unwrap();
    assert_eq!((row.account.id, row.csrf_token.as_str(), row.last_seen_at), (id, "csrf-h1", t(10)));
    s.touch_session("h1", t(20)).await.unwrap();
    s.touch_session("h1", t(15)).await.unwrap();
    assert_eq!(s.session("h1").await.unwrap().unwrap().last_seen_at, t(20), "activity never goes back");
    assert_eq!(s.prune_sessions(t(15)).await.unwrap(), 1, "h2 idle since 10");
    assert!(s.session("h2").await.unwrap().is_none());
    s.end_session("h1").await.unwrap();
    assert!(s.session("h1").await.unwrap().is_none());
    s.create_session(open("h3", t(30))).await.unwrap();
    s.create_session(open("h4", t(30))).await.unwrap();
    assert_eq!(s.end_sessions_of(id).await.unwrap(), 2);
    assert!(s.session("unknown").await.unwrap().is_none());

    // Login failures per key.
    for m in [40, 41, 42] {
        s.record_login_failure("account:ops@example.com", t(m)).await.unwrap();
    }
    s.record_login_failure("client:10.0.0.1", t(41)).await.unwrap();
    assert_eq!(s.login_failures("account:ops@example.com", t(41)).await.unwrap(), vec![t(41), t(42)]);
    assert_eq!(s.clear_login_failures(Some("account:ops@example.com"), None).await.unwrap(), 3);
    assert!(s.login_failures("account:ops@example.com", t(0)).await.unwrap().is_empty());
    assert_eq!(s.clear_login_failures(None, Some(t(42))).await.unwrap(), 1, "old failures pruned");
}

pub(super) async fn inbox_order_reviews_and_stats(s: &impl Store) {
    let esc = |st| ThreadUpdate { status: Some(st), ..Default::default() };
    // Normal escalated (old), high escalated (new), an AI thread, a closed one, a taken one.
    let (old_esc, _, _) = stored(s.ingest(inbound("i1", 1, 0, Priority::Normal)).await.unwrap());
    s.update_thread(old_esc, esc(ThreadStatus::Escalated), t(1)).await.unwrap();
    let (high_esc, _, _) = stored(s.ingest(inbound("i2", 2, 5, Priority::High)).await.unwrap());
    s.update_thread(high_esc, esc(ThreadStatus::AwaitingHuman), t(6)).await.unwrap();
    let (new_esc, _, _) = stored(s.ingest(inbound("i3", 3, 7, Priority::Normal)).await.unwrap());
    s.update_thread(new_esc, esc(ThreadStatus::Escalated), t(8)).await.unwrap();
    let (ai, ai_mid, _) = stored(s.ingest(inbound("i4", 4, 9, Priority::Emergency)).await.unwrap());
    let (closed, _, _) = stored(s.ingest(inbound("i5", 5, 10, Priority::Normal)).await.unwrap());
    s.update_thread(closed, esc(ThreadStatus::Resolved), t(11)).await.unwrap();
    let (taken, mid, _) = stored(s.ingest(inbound("i6", 6, 12, Priority::Normal)).await.unwrap());
    s.update_thread(taken, esc(ThreadStatus::InProgress), t(13)).await.unwrap();

    let rows = s.inbox(InboxFilter::default()).await.unwrap();
    let order: Vec<_> = rows.iter().map(|r| r.thread.id).collect();
    assert_eq!(order, vec![high_esc, old_esc, new_esc, taken, ai, closed]);
    let last = rows[0].last_message.as_ref().unwrap();
    assert_eq!((last.direction, last.at), (Direction::Inbound, t(5)));
    assert!(last.body.starts_with("text i2"));
    let only = InboxFilter { statuses: Some(NEEDS_HUMAN.to_vec()), limit: 2, ..Default::default() };
    assert_eq!(s.inbox(only).await.unwrap().iter().map(|r| r.thread.id).collect::<Vec<_>>(), vec![high_esc, old_esc]);
    // A reply sent on the thread does not hide what the customer wrote.
    let aid = s.start_action(high_esc, None, reset(ActionKind::SendReply, Some("On our way")), t(7)).await.unwrap();
    s.finish_action(aid, ActionOutcome::Success, None, t(7)).await.unwrap();
    let rows = s.inbox(InboxFilter::default()).await.unwrap();
    let last = rows[0].last_message.as_ref().unwrap();
    assert_eq!((rows[0].thread.id, last.direction, last.at), (high_esc, Direction::Inbound, t(5)));
    let elsewhere = InboxFilter { locations: Some(vec![LocationId::parse("halifax").unwrap()]), ..Default::default() };
    assert!(s.inbox(elsewhere).await.unwrap().is_empty());

    // Operators' answers: the first per decision counts.
    let (did, _) = s.commit_decision(decision(taken, vec![mid], vec![])).await.unwrap();
    let review = |verdict, at| NewProposalReview {
        decision_id: did,
        thread_id: taken,
        location: LocationId::parse("bedford").unwrap(),
        category: Category::Tech,
        confidence: 0.93,
        shadow: true,
        verdict,
        actor: "ops@example.com".into(),
        at,
    };
    assert!(s.record_proposal_review(review(ReviewVerdict::Edited, t(20))).await.unwrap());
    assert!(!s.record_proposal_review(review(ReviewVerdict::Approved, t(21))).await.unwrap());
    let got = s.proposal_reviews(t(0)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].review, review(ReviewVerdict::Edited, t(20)));
    assert!(s.proposal_reviews(t(21)).await.unwrap().is_empty());

    // Decision counts per bucket (the decision helper decides at minute 1).
    let mut d2 = decision(ai, vec![ai_mid], vec![]);
    d2.verdict = Verdict::Escalate;
    d2.model = "gpt-4o-mini".into();
    d2.tokens_in = 120;
    d2.tokens_out = 30;
    d2.at = t(95);
    let (_, _) = s.commit_decision(d2).await.unwrap();
    let stats = s.decision_stats(t(0), 3600).await.unwrap();
    let hour = SignedDuration::from_hours(1);
    assert_eq!(stats.len(), 2, "{stats:?}");
    assert_eq!((stats[0].verdict, stats[0].decisions, stats[0].model.as_str()), (Verdict::Execute, 1, "local"));
    assert_eq!((stats[1].verdict, stats[1].tokens_in, stats[1].tokens_out), (Verdict::Escalate, 120, 30));
    assert_eq!(stats[1].bucket.duration_since(stats[0].bucket), hour);
    assert_eq!(stats[0].bucket.as_second() % 3600, 0);
    assert_eq!(s.decision_stats(t(90), 3600).await.unwrap().len(), 1);
}
