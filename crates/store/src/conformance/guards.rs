//! Guards that keep the AI off threads a human took and stop two deciders
//! from deciding one message: compare-and-set thread updates, the queue
//! claim on decisions, and "each message is decided once"; and the
//! scheduler's read of the threads its time rules watch.

use clubos_domain::{Priority, ThreadStatus};
use jiff::SignedDuration;

use super::{decision, inbound, stored, t};
use crate::*;

pub(super) async fn compare_and_set_updates(s: &impl Store) {
    let (tid, _, _) = stored(s.ingest(inbound("g1", 40, 0, Priority::Normal)).await.unwrap());
    let take = ThreadUpdate { status: Some(ThreadStatus::ManualOverride), ..ThreadUpdate::default() };
    s.update_thread(tid, take, t(1)).await.unwrap();
    let ai = ThreadUpdate {
        status: Some(ThreadStatus::AiResolved),
        expect: ThreadUpdate::AI_OWNED.to_vec(),
        ..ThreadUpdate::default()
    };
    assert!(matches!(s.update_thread(tid, ai, t(2)).await, Err(StoreError::Conflict(_))), "the AI cannot take it back");
    assert_eq!(s.thread(tid).await.unwrap().unwrap().thread.status, ThreadStatus::ManualOverride);
    let missing = ThreadUpdate { expect: vec![ThreadStatus::Pending], ..ThreadUpdate::default() };
    assert!(matches!(s.update_thread(999_999, missing, t(2)).await, Err(StoreError::NotFound(_))));
    // A proposal is used once.
    let esc = Escalation { reason: None, summary: "s".into(), proposal: Some(serde_json::json!({"reply": "hi"})) };
    s.update_thread(tid, ThreadUpdate { escalation: Some(esc), ..ThreadUpdate::default() }, t(3)).await.unwrap();
    let take_proposal = || ThreadUpdate {
        status: Some(ThreadStatus::InProgress),
        clear_proposal: true,
        require_proposal: true,
        ..ThreadUpdate::default()
    };
    s.update_thread(tid, take_proposal(), t(4)).await.unwrap();
    assert_eq!(s.thread(tid).await.unwrap().unwrap().thread.proposal, None);
    assert!(
        matches!(s.update_thread(tid, take_proposal(), t(5)).await, Err(StoreError::Conflict(_))),
        "second approval"
    );
}

pub(super) async fn decisions_need_the_claim_and_undecided_messages(s: &impl Store) {
    let lease = SignedDuration::from_secs(30);
    let (tid, mid, _) = stored(s.ingest(inbound("g2", 41, 0, Priority::Normal)).await.unwrap());
    let claim = s.claim("w1", t(0), lease).await.unwrap().unwrap();
    assert_eq!((claim.thread_id, claim.attempts), (tid, 1));
    let mut d = decision(tid, vec![mid], Vec::new());
    d.at = t(0);
    d.claim = Some("w2".into());
    assert!(matches!(s.commit_decision(d.clone()).await, Err(StoreError::Conflict(_))), "not this worker's claim");
    d.claim = Some("w1".into());
    d.at = t(1);
    assert!(matches!(s.commit_decision(d.clone()).await, Err(StoreError::Conflict(_))), "the lease has run out");
    d.at = t(0);
    let mut mine = d.clone();
    mine.thread.expect = ThreadUpdate::AI_OWNED.to_vec();
    s.commit_decision(mine).await.unwrap();
    d.claim = None;
    assert!(matches!(s.commit_decision(d).await, Err(StoreError::Conflict(_))), "a message is decided once");
    assert_eq!(s.thread(tid).await.unwrap().unwrap().decisions.len(), 1, "the refused ones wrote nothing");
    s.release(tid, "w1", Release::DeferUntil(t(0)), t(0)).await.unwrap();
    assert_eq!(s.claim("w1", t(0), lease).await.unwrap().unwrap().attempts, 2);
}

pub(super) async fn thread_times_reads_only_the_statuses_asked(s: &impl Store) {
    let mut ids = Vec::new();
    for (n, status) in [(50, None), (51, Some(ThreadStatus::Escalated)), (52, Some(ThreadStatus::Resolved))] {
        let (tid, _, _) = stored(s.ingest(inbound(&format!("tt{n}"), n, 0, Priority::Normal)).await.unwrap());
        if let Some(status) = status {
            s.update_thread(tid, ThreadUpdate { status: Some(status), ..ThreadUpdate::default() }, t(1)).await.unwrap();
        }
        ids.push(tid);
    }
    let found = s.thread_times(&clubos_domain::time_rules::WATCHED).await.unwrap();
    assert_eq!(found.iter().map(|x| x.id).collect::<Vec<_>>(), vec![ids[0]], "only the thread waiting for the AI");
    assert_eq!(
        (found[0].status, found[0].created_at, found[0].last_inbound_at),
        (ThreadStatus::AwaitingAi, t(0), Some(t(0)))
    );
    let found = s.thread_times(&[ThreadStatus::Escalated, ThreadStatus::Resolved]).await.unwrap();
    assert_eq!(
        found.iter().map(|x| (x.id, x.status)).collect::<Vec<_>>(),
        vec![(ids[1], ThreadStatus::Escalated), (ids[2], ThreadStatus::Resolved)]
    );
    assert_eq!(found[0].updated_at, t(1));
    assert!(s.thread_times(&[]).await.unwrap().is_empty(), "no status, no thread");
}
