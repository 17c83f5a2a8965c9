//! Conformance: the SOP knowledge base — versions are append-only with one
//! active version per SOP, proposals wait for a human, acceptance and
//! rollback make new versions and log who proposed and who approved.

use serde_json::json;

use super::t;
use crate::*;

fn sop(id: &str, reply: &str) -> serde_json::Value {
    json!({"id": id, "title": id, "reply": reply})
}

fn proposal(id: &str, reply: &str) -> NewProposal {
    NewProposal {
        sop_id: id.into(),
        body: sop(id, reply),
        source: "upload:rules.md § Guests".into(),
        proposed_by: "local-ingest".into(),
        warnings: vec!["trigger `guest` is already a trigger of faq.guests".into()],
        retires: None,
    }
}

pub async fn proposals_versions_and_the_change_log<S: Store>(s: &S) {
    s.seed_sops(vec![("faq.hours".into(), sop("faq.hours", "Open 24/7."))], t(0)).await.unwrap();
    let ids = s
        .propose_sops(
            vec![proposal("faq.guests", "Two guests per bay."), proposal("faq.hours", "Open 24 hours.")],
            t(1),
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let pending = s.proposals(Some(ProposalStatus::Pending), 10).await.unwrap();
    assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), vec![ids[1], ids[0]], "newest first");
    let change = s.proposal(ids[1]).await.unwrap().unwrap();
    assert_eq!((change.base_version, change.status), (Some(1), ProposalStatus::Pending));
    assert_eq!(change.warnings.len(), 1);
    assert_eq!(s.proposal(ids[0]).await.unwrap().unwrap().base_version, None, "a new SOP has no base");
    assert_eq!(s.active_sops().await.unwrap().len(), 1, "nothing proposed is active");

    // Accept the change (edited by the reviewer) and reject the new SOP.
    let edited = sop("faq.hours", "Open 24 hours, every day.");
    let accept = ProposalDecision {
        accept: Some((edited.clone(), json!([{"field": "reply"}]))),
        actor: "ops@example.test".into(),
        note: Some("wording".into()),
    };
    let done = s.decide_proposal(ids[1], accept.clone(), t(2)).await.unwrap();
    assert_eq!(
        (done.status, done.version, done.decided_by.as_deref()),
        (ProposalStatus::Accepted, Some(2), Some("ops@example.test"))
    );
    assert!(matches!(s.decide_proposal(ids[1], accept, t(3)).await, Err(StoreError::Conflict(_))), "decided once");
    let reject = ProposalDecision { accept: None, actor: "ops@example.test".into(), note: None };
    assert_eq!(s.decide_proposal(ids[0], reject, t(3)).await.unwrap().status, ProposalStatus::Rejected);
    assert!(s.proposals(Some(ProposalStatus::Pending), 10).await.unwrap().is_empty());

    let versions = s.sop_versions("faq.hours").await.unwrap();
    assert_eq!(
        versions.iter().map(|v| (v.version, v.status)).collect::<Vec<_>>(),
        vec![(2, SopStatus::Active), (1, SopStatus::Archived)]
    );
    assert_eq!(versions[0].body, edited);
    assert_eq!(
        (versions[0].created_by.as_str(), versions[0].approved_by.as_deref()),
        ("local-ingest", Some("ops@example.test"))
    );
    assert_eq!(versions[1].source, "starter");
    assert_eq!(s.active_sops().await.unwrap(), vec![edited.clone()]);

    // Rollback is a new version with the old body; archive retires the SOP.
    assert_eq!(s.rollback_sop("faq.hours", 1, "admin@example.test", t(4)).await.unwrap(), 3);
    let active = s.active_sop_versions().await.unwrap();
    assert_eq!((active.len(), active[0].version, active[0].body["reply"].as_str()), (1, 3, Some("Open 24/7.")));
    assert!(matches!(s.rollback_sop("faq.hours", 9, "a", t(5)).await, Err(StoreError::NotFound(_))));
    s.archive_sop("faq.hours", "admin@example.test", t(5)).await.unwrap();
    assert!(s.active_sops().await.unwrap().is_empty());
    assert!(matches!(s.archive_sop("faq.hours", "a", t(6)).await, Err(StoreError::NotFound(_))));
    assert_eq!(s.sop_versions("faq.hours").await.unwrap().len(), 3, "versions are kept");

    // A merge retires the other SOP with the same approval (faq.hours is
    // brought back first: a rollback also revives an archived SOP).
    let mut merge = proposal("faq.guests", "Two guests per bay, drinks at the bar.");
    merge.retires = Some("faq.hours".into());
    s.rollback_sop("faq.hours", 1, "admin@example.test", t(6)).await.unwrap();
    let id = s.propose_sops(vec![merge], t(7)).await.unwrap()[0];
    assert_eq!(s.proposal(id).await.unwrap().unwrap().retires.as_deref(), Some("faq.hours"));
    let accept =
        ProposalDecision { accept: Some((sop("faq.guests", "merged"), json!([]))), actor: "ops".into(), note: None };
    s.decide_proposal(id, accept, t(8)).await.unwrap();
    let active: Vec<String> = s.active_sop_versions().await.unwrap().into_iter().map(|v| v.sop_id).collect();
    assert_eq!(active, vec!["faq.guests".to_owned()], "the merged-away SOP is archived");
    let merged = s.sop_changes(2).await.unwrap();
    assert_eq!(
        (merged[0].kind, merged[0].sop_id.as_str(), merged[0].proposal_id),
        (ChangeKind::Archive, "faq.hours", Some(id))
    );
    let log: Vec<SopChange> = s.sop_changes(100).await.unwrap().into_iter().skip(3).collect();
    let kinds: Vec<_> = log.iter().map(|c| (c.kind, c.version, c.previous_version)).collect();
    assert_eq!(
        kinds,
        vec![
            (ChangeKind::Archive, None, Some(3)),
            (ChangeKind::Rollback, Some(3), Some(2)),
            (ChangeKind::Approve, Some(2), Some(1))
        ]
    );
    assert_eq!(
        (log[2].proposed_by.as_str(), log[2].approved_by.as_str(), log[2].proposal_id),
        ("local-ingest", "ops@example.test", Some(ids[1]))
    );
}

pub async fn metrics_follow_decisions_and_outcomes<S: Store>(s: &S) {
    use super::{decision, inbound, reset, stored};
    use clubos_domain::{ActionKind, ActionOutcome, Priority, Verdict};
    // Applied: the device action's outcome counts, the reply alongside it does not.
    let (tid, mid, _) = stored(s.ingest(inbound("m1", 41, 0, Priority::Normal)).await.unwrap());
    let d = decision(
        tid,
        vec![mid],
        vec![reset(ActionKind::ResetTrackman, None), reset(ActionKind::SendReply, Some("ok"))],
    );
    let (_, aids) = s.commit_decision(d).await.unwrap();
    s.finish_action(aids[0], ActionOutcome::Success, None, t(2)).await.unwrap();
    s.finish_action(aids[1], ActionOutcome::Success, None, t(2)).await.unwrap();
    // Totals read (or folded) part-way are added to, never counted again.
    s.fold_sop_metrics().await.unwrap();
    let early = s.sop_metrics().await.unwrap();
    assert_eq!(early.iter().map(|m| (m.times_used, m.successes, m.failures)).collect::<Vec<_>>(), [(1, 1, 0)]);
    // Escalated with the SOP matched: not a use.
    let (tid, mid, _) = stored(s.ingest(inbound("m2", 42, 0, Priority::Normal)).await.unwrap());
    let mut d = decision(tid, vec![mid], vec![]);
    d.verdict = Verdict::Escalate;
    s.commit_decision(d).await.unwrap();
    // A reply-only answer whose text failed.
    let (tid, mid, _) = stored(s.ingest(inbound("m3", 43, 0, Priority::Normal)).await.unwrap());
    let mut d = decision(tid, vec![mid], vec![reset(ActionKind::SendReply, Some("ok"))]);
    d.verdict = Verdict::Reply;
    d.at = t(3);
    let (_, aids) = s.commit_decision(d).await.unwrap();
    s.finish_action(aids[0], ActionOutcome::Failed, Some("refused".into()), t(4)).await.unwrap();
    s.sop_overridden("tech.trackman_frozen").await.unwrap();

    let m = s.sop_metrics().await.unwrap();
    assert_eq!(s.fold_sop_metrics().await.unwrap(), 0, "reading folded every event");
    assert_eq!(s.sop_metrics().await.unwrap(), m, "reading twice counts nothing twice");
    assert_eq!(m.len(), 1, "{m:?}");
    let m = &m[0];
    assert_eq!(m.sop_id, "tech.trackman_frozen");
    assert_eq!((m.times_used, m.successes, m.failures, m.overrides), (2, 1, 1, 1));
    assert_eq!((m.last_used, m.last_success, m.last_failure), (Some(t(3)), Some(t(2)), Some(t(4))));
}
