//! Conformance: Claude's review queue is strictly FIFO — a job waiting for
//! its retry holds back the jobs behind it and keeps its place — a lease
//! that ends hands the job out again, and finishing a job queues its
//! proposals with it, once.

use jiff::SignedDuration;
use serde_json::json;

use super::t;
use crate::*;

const LEASE: SignedDuration = SignedDuration::from_mins(10);

fn proposal(id: &str) -> NewProposal {
    NewProposal {
        sop_id: id.into(),
        body: json!({"id": id, "title": id, "reply": "Up to six players per bay."}),
        source: "claude structure (job #1) of an upload: rules.md".into(),
        proposed_by: "claude".into(),
        warnings: vec![],
        retires: None,
    }
}

pub async fn jobs_run_in_order_and_keep_their_place<S: Store>(s: &S) {
    assert_eq!(s.take_review(t(0), LEASE).await.unwrap(), None, "an empty queue");
    let a = s.enqueue_review(ReviewKind::Structure, json!({"document": "rules.md"}), t(0)).await.unwrap();
    let b = s.enqueue_review(ReviewKind::Review, json!({"sop_id": "faq.guests"}), t(1)).await.unwrap();
    let c = s.enqueue_review(ReviewKind::Feedback, json!({"thread_id": 7}), t(2)).await.unwrap();
    assert!(a < b && b < c);
    assert_eq!(s.review_waiting().await.unwrap(), 3);

    // The oldest first; while it runs under its lease nothing else is handed out.
    let first = s.take_review(t(3), LEASE).await.unwrap().expect("the oldest job");
    assert_eq!((first.id, first.kind, first.status), (a, ReviewKind::Structure, ReviewStatus::Running));
    assert_eq!(first.payload["document"], "rules.md");
    assert_eq!(first.next_at, t(3) + LEASE, "the lease");
    assert_eq!(s.take_review(t(4), LEASE).await.unwrap(), None, "one job at a time, in order");

    // A failure puts it back in its place: later jobs wait for its retry.
    let back = s.retry_review(a, t(10), "Claude is overloaded: Overloaded").await.unwrap();
    assert_eq!((back.status, back.attempts, back.next_at), (ReviewStatus::Queued, 1, t(10)));
    assert_eq!(back.last_error.as_deref(), Some("Claude is overloaded: Overloaded"));
    assert_eq!(s.take_review(t(9), LEASE).await.unwrap(), None, "not due yet, and b and c wait behind it");
    let again = s.take_review(t(10), LEASE).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (a, 1));

    // Done with its proposals, atomically; finishing twice is refused.
    let ids = s.finish_review(a, vec![proposal("faq.guest_policy")], t(11)).await.unwrap();
    assert_eq!(ids.len(), 1);
    let p = s.proposal(ids[0]).await.unwrap().unwrap();
    assert_eq!((p.proposed_by.as_str(), p.status), ("claude", ProposalStatus::Pending));
    assert!(matches!(s.finish_review(a, vec![proposal("faq.x")], t(12)).await, Err(StoreError::Conflict(_))));
    assert_eq!(s.proposals(None, 10).await.unwrap().len(), 1, "a refused finish proposes nothing");
    let done = s.review_job(a).await.unwrap().unwrap();
    assert_eq!((done.status, done.finished_at), (ReviewStatus::Done, Some(t(11))));
    assert_eq!(s.review_waiting().await.unwrap(), 2);

    // A lease that ends (the process died) hands the job out again.
    let second = s.take_review(t(12), LEASE).await.unwrap().unwrap();
    assert_eq!(second.id, b);
    assert_eq!(s.take_review(t(12) + LEASE - SignedDuration::from_secs(1), LEASE).await.unwrap(), None);
    let retaken = s.take_review(t(12) + LEASE, LEASE).await.unwrap().unwrap();
    assert_eq!((retaken.id, retaken.attempts), (b, 0), "a crash is not a failed attempt");
    if s.is_shared() {
        // Another instance may be running it: only its lease hands it back.
        assert_eq!(s.release_review_jobs(t(13)).await.unwrap(), 0);
        assert_eq!(s.take_review(t(13), LEASE).await.unwrap(), None, "still under its lease");
    } else {
        // A single-process restart hands it back at once instead of waiting out the lease.
        assert_eq!(s.release_review_jobs(t(13)).await.unwrap(), 1);
        assert_eq!(s.take_review(t(13), LEASE).await.unwrap().map(|j| (j.id, j.attempts)), Some((b, 0)));
        assert_eq!(s.release_review_jobs(t(13)).await.unwrap(), 1);
        assert_eq!(s.release_review_jobs(t(13)).await.unwrap(), 0, "nothing running");
        s.take_review(t(13), LEASE).await.unwrap().unwrap();
    }

    // Given up: failed with its reason, and the next job's turn.
    s.fail_review(b, "Claude's answer is unusable: no tool call", t(30)).await.unwrap();
    let failed = s.review_job(b).await.unwrap().unwrap();
    assert_eq!(failed.status, ReviewStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("Claude's answer is unusable: no tool call"));
    let third = s.take_review(t(30), LEASE).await.unwrap().unwrap();
    assert_eq!((third.id, third.kind), (c, ReviewKind::Feedback));
    s.finish_review(c, vec![], t(31)).await.unwrap();
    assert_eq!(s.review_waiting().await.unwrap(), 0);
    assert_eq!(s.take_review(t(40), LEASE).await.unwrap(), None);
    assert!(matches!(s.retry_review(c, t(50), "x").await, Err(StoreError::Conflict(_))), "only a running job");
    assert!(matches!(s.retry_review(999, t(50), "x").await, Err(StoreError::NotFound(_))));
}
