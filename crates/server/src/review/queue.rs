//! What puts work in Claude's queue: an upload (structure the document,
//! in parts of at most [`MAX_PART_CHARS`]), an acceptance (review the SOP
//! that changed, when active SOPs overlap it) and an operator's flag
//! (feedback on the SOP a thread was answered from). Each job carries what
//! it needs, so it runs the same after a restart.

use clubos_agent::ingest::Format;
use clubos_agent::sop::Sop;
use clubos_domain::Verdict;
use clubos_store::{Direction, Proposal, ReviewKind, StoreError};
use serde_json::json;

use super::jobs::{FeedbackJob, ReviewPayload, StructureJob};
use crate::app::App;
use crate::knowledge::KnowledgeError;

/// Largest part of a document sent in one structure call (characters).
pub const MAX_PART_CHARS: usize = 16_000;
/// Most overlapping SOPs one review compares with.
const MAX_OVERLAPPING: usize = 10;
/// Most messages of a flagged thread sent, the latest; each cut to this many characters.
const MAX_MESSAGES: usize = 12;
const MAX_MESSAGE_CHARS: usize = 600;
/// Longest note an operator may give with a flag.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Queues Claude's structuring of an uploaded document (besides the local
/// drafts, which exist already). JSON uploads are not queued: they are
/// structured records already. Returns the job ids (none without Claude).
pub async fn queue_upload(
    app: &App,
    name: &str,
    format: Format,
    text: &str,
    actor: &str,
) -> Result<Vec<i64>, StoreError> {
    if !app.review.enabled() || format == Format::Json {
        return Ok(Vec::new());
    }
    let parts = split(text, MAX_PART_CHARS);
    let mut ids = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let job = StructureJob {
            document: name.to_owned(),
            part: i + 1,
            parts: parts.len(),
            text: (*part).to_owned(),
            actor: actor.to_owned(),
        };
        ids.push(app.store.enqueue_review(ReviewKind::Structure, to_json(&job)?, app.clock.now()).await?);
    }
    app.review.wake();
    Ok(ids)
}

/// Queues a review of the SOP an accepted proposal made active, when other
/// active SOPs share an exact trigger or a keyword with it. Never fails the
/// acceptance: a problem is logged.
pub async fn queue_review(app: &App, accepted: &Proposal, actor: &str) {
    if !app.review.enabled() {
        return;
    }
    let queued = async {
        let active = crate::knowledge::active(app).await.map_err(|e| e.to_string())?;
        let Some(changed) = active.iter().find(|s| s.id.as_str() == accepted.sop_id) else {
            return Ok(None);
        };
        if overlapping(changed, &active).is_empty() {
            return Ok(None);
        }
        let job = ReviewPayload {
            sop_id: accepted.sop_id.clone(),
            version: accepted.version,
            proposal_id: accepted.id,
            actor: actor.to_owned(),
        };
        let payload = to_json(&job).map_err(|e| e.to_string())?;
        app.store
            .enqueue_review(ReviewKind::Review, payload, app.clock.now())
            .await
            .map(Some)
            .map_err(|e| e.to_string())
    };
    match queued.await {
        Ok(Some(id)) => {
            tracing::info!(job = id, sop = %accepted.sop_id, "queued Claude's review of the accepted SOP");
            app.review.wake();
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, sop = %accepted.sop_id, "could not queue Claude's review"),
    }
}

/// The active SOPs that share an exact trigger or a keyword with `sop`,
/// most shared first (at most 10).
pub fn overlapping(sop: &Sop, active: &[Sop]) -> Vec<Sop> {
    let mut scored: Vec<(usize, &Sop)> = active
        .iter()
        .filter(|o| o.id != sop.id)
        .map(|o| {
            let triggers = sop.triggers.exact.iter().filter(|t| o.triggers.exact.contains(t)).count();
            let keywords = sop.keywords.iter().filter(|k| o.keywords.contains(k)).count();
            (triggers * 10 + keywords, o)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.as_str().cmp(b.1.id.as_str())));
    scored.into_iter().take(MAX_OVERLAPPING).map(|(_, o)| o.clone()).collect()
}

/// An operator flags a thread's outcome: Claude is asked for a change to
/// the SOP its last applied decision named. Returns (job id, SOP id).
pub async fn queue_feedback(
    app: &App,
    thread_id: i64,
    note: &str,
    actor: &str,
) -> Result<(i64, String), KnowledgeError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(KnowledgeError::Invalid(format!("note: say what went wrong, 1 to {MAX_NOTE_CHARS} characters")));
    }
    if !app.review.enabled() {
        return Err(KnowledgeError::Conflict(
            "Claude is not configured ([llm.anthropic]); edit the SOP through the knowledge API instead".into(),
        ));
    }
    let detail = app
        .store
        .thread(thread_id)
        .await?
        .ok_or_else(|| KnowledgeError::NotFound(format!("thread {thread_id} not found")))?;
    let decision = detail.decisions.iter().rev().find(|d| d.matched_sop.is_some()).ok_or_else(|| {
        KnowledgeError::Conflict(format!("no decision of thread {thread_id} names an SOP; there is no SOP to change"))
    })?;
    let sop_id = decision.matched_sop.clone().unwrap_or_default();
    let mut said = format!("{}", decision.verdict);
    if let Some(reason) = decision.reason {
        said.push_str(&format!(" ({reason})"));
    }
    if let Some(action) = &decision.proposed_action {
        said.push_str(&format!(", action {action}"));
    }
    if let (Verdict::Execute | Verdict::Reply, Some(reply)) = (decision.verdict, &decision.reply) {
        said.push_str(&format!(", reply \"{}\"", cut(reply)));
    }
    let outcomes: Vec<String> = detail
        .actions
        .iter()
        .filter(|a| a.decision_id == Some(decision.id))
        .map(|a| format!("{} {}", a.kind, a.status.as_str()))
        .collect();
    if !outcomes.is_empty() {
        said.push_str(&format!("; outcomes: {}", outcomes.join(", ")));
    }
    let skip = detail.messages.len().saturating_sub(MAX_MESSAGES);
    let messages = detail
        .messages
        .iter()
        .skip(skip)
        .map(|m| {
            let who = if m.direction == Direction::Inbound { "customer" } else { "reply" };
            (who.to_owned(), cut(&m.body))
        })
        .collect();
    let job = FeedbackJob {
        thread_id,
        sop_id: sop_id.clone(),
        note: note.to_owned(),
        decision: said,
        messages,
        actor: actor.to_owned(),
    };
    let now = app.clock.now();
    let id = app.store.enqueue_review(ReviewKind::Feedback, to_json(&job)?, now).await?;
    let audit = json!({"job": id, "sop_id": sop_id, "note": note});
    app.store.audit(actor, "thread.flag", &format!("thread:{thread_id}"), audit, now).await?;
    app.review.wake();
    Ok((id, sop_id))
}

fn cut(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_MESSAGE_CHARS).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Backend(format!("review job payload: {e}")))
}

/// Splits `text` into parts of at most `max` characters, at a blank line
/// where there is one in the second half of the window, else at a line
/// break, else anywhere.
pub(crate) fn split(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max {
        let window_end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..window_end];
        let half = window.len() / 2;
        let cut = window
            .rfind("\n\n")
            .filter(|&i| i >= half)
            .or_else(|| window.rfind('\n').filter(|&i| i >= half))
            .unwrap_or(window_end);
        let cut = if cut == 0 { window_end } else { cut };
        parts.push(rest[..cut].trim_end());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_at_blank_lines_within_the_limit() {
        let text = format!("{}\n\n{}\n\n{}", "a".repeat(30), "b".repeat(30), "c".repeat(30));
        let parts = split(&text, 70);
        assert_eq!(parts, [format!("{}\n\n{}", "a".repeat(30), "b".repeat(30)), "c".repeat(30)]);
        assert_eq!(split("short", 70), ["short"]);
        let long = "é".repeat(150);
        let parts = split(&long, 70);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [70, 70, 10],
            "no line breaks: anywhere"
        );
        assert!(split("  ", 70).is_empty());
    }
}
