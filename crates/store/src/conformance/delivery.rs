//! Notifications due on Slack (once) and on the on-call phone (critical,
//! repeated until acknowledged).

use super::t;
use crate::*;

fn note(title: &str, severity: Severity) -> NewNotification {
    NewNotification {
        kind: "escalation".into(),
        severity,
        thread_id: None,
        title: title.into(),
        body: "b".into(),
        dedupe_key: None,
    }
}

fn titles(rows: &[NotificationRow]) -> Vec<&str> {
    rows.iter().map(|n| n.title.as_str()).collect()
}

pub(super) async fn slack_once_and_on_call_until_acknowledged(s: &impl Store) {
    let a = s.notify(note("a", Severity::Info), t(0)).await.unwrap().unwrap();
    let b = s.notify(note("b", Severity::Critical), t(0)).await.unwrap().unwrap();
    s.notify(note("c", Severity::Warning), t(0)).await.unwrap().unwrap();

    assert_eq!(titles(&s.due_notifications(Channel::Slack, t(0), 10).await.unwrap()), ["a", "b", "c"]);
    assert_eq!(titles(&s.due_notifications(Channel::Slack, t(0), 2).await.unwrap()), ["a", "b"], "limit");
    s.set_next_delivery(a, Channel::Slack, Next::Done).await.unwrap();
    s.set_next_delivery(b, Channel::Slack, Next::At(t(5))).await.unwrap();
    assert_eq!(titles(&s.due_notifications(Channel::Slack, t(1), 10).await.unwrap()), ["c"], "b waits for its retry");
    assert_eq!(titles(&s.due_notifications(Channel::Slack, t(5), 10).await.unwrap()), ["b", "c"]);

    assert_eq!(titles(&s.due_notifications(Channel::OnCall, t(0), 10).await.unwrap()), ["b"], "critical only");
    s.set_next_delivery(b, Channel::OnCall, Next::At(t(5))).await.unwrap();
    assert!(s.due_notifications(Channel::OnCall, t(4), 10).await.unwrap().is_empty());
    assert_eq!(titles(&s.due_notifications(Channel::OnCall, t(5), 10).await.unwrap()), ["b"], "repeated");
    assert!(s.ack_notification(b, "ops@example.com", t(6)).await.unwrap());
    assert!(s.due_notifications(Channel::OnCall, t(60), 10).await.unwrap().is_empty(), "acknowledged: no more texts");

    assert!(matches!(s.set_next_delivery(999_999, Channel::Slack, Next::Done).await, Err(StoreError::NotFound(_))));
}
