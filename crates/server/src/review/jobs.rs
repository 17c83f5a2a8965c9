//! Running one queued job: ask Claude, then check what it returned with the
//! same code as uploads (`ingest::check_records`: schema, ids, regexes,
//! dependencies against the active SOPs, collision warnings) and turn each
//! valid record into a proposal for a human. Records that fail the checks
//! are listed in the job's audit entry, never proposed.

use std::collections::HashMap;

use clubos_agent::ingest;
use clubos_agent::review::{Claude, FeedbackCase, FindingKind, ReviewError};
use clubos_agent::sop::Sop;
use clubos_store::{NewProposal, ProposalStatus, ReviewJob, ReviewKind, StoreError};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::knowledge::KnowledgeError;

/// Who proposes what Claude returns.
pub const CLAUDE: &str = "claude";
/// Replies longer than this go out as several texts: the reviewer is warned.
const LONG_REPLY: usize = clubos_agent::ingest::MAX_REPLY_CHARS;

/// A structure job: one part of an uploaded document.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StructureJob {
    pub document: String,
    pub part: usize,
    pub parts: usize,
    pub text: String,
    pub actor: String,
}

/// A review job: the SOP an accepted proposal made active.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReviewPayload {
    pub sop_id: String,
    pub version: Option<i64>,
    pub proposal_id: i64,
    pub actor: String,
}

/// A feedback job: a flagged thread as it was when flagged.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FeedbackJob {
    pub thread_id: i64,
    pub sop_id: String,
    pub note: String,
    pub decision: String,
    pub messages: Vec<(String, String)>,
    pub actor: String,
}

#[derive(Debug)]
pub(crate) enum JobError {
    Claude(ReviewError),
    /// The stored payload does not read: the job can never run.
    Payload(String),
    Store(StoreError),
}

impl From<ReviewError> for JobError {
    fn from(e: ReviewError) -> Self {
        JobError::Claude(e)
    }
}

impl From<KnowledgeError> for JobError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::Store(s) => JobError::Store(s),
            other => JobError::Store(StoreError::Corrupt(other.to_string())),
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Store(e)
    }
}

/// What a job gives: proposals, the records that failed the checks, tokens.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub proposals: Vec<NewProposal>,
    pub problems: Vec<String>,
    pub tokens: (u32, u32),
}

fn payload<T: serde::de::DeserializeOwned>(job: &ReviewJob) -> Result<T, JobError> {
    serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Payload(format!("job #{} payload: {e}", job.id)))
}

/// One line saying what a job was about, for notifications.
pub(crate) fn describe(job: &ReviewJob) -> String {
    let p = &job.payload;
    match job.kind {
        ReviewKind::Structure => format!("It structured the upload {}.", p["document"]),
        ReviewKind::Review => format!("It reviewed {} after proposal #{} was accepted.", p["sop_id"], p["proposal_id"]),
        ReviewKind::Feedback => format!("It processed the flag on thread #{} ({}).", p["thread_id"], p["sop_id"]),
    }
}

pub(crate) async fn execute(app: &App, claude: &Claude, job: &ReviewJob) -> Result<Done, JobError> {
    match job.kind {
        ReviewKind::Structure => structure(app, claude, job).await,
        ReviewKind::Review => review(app, claude, job).await,
        ReviewKind::Feedback => feedback(app, claude, job).await,
    }
}

async fn structure(app: &App, claude: &Claude, job: &ReviewJob) -> Result<Done, JobError> {
    let p: StructureJob = payload(job)?;
    let active = crate::knowledge::active(app).await?;
    let name =
        if p.parts > 1 { format!("{} (part {} of {})", p.document, p.part, p.parts) } else { p.document.clone() };
    let answer = claude.structure(&name, &p.text, &active).await?;
    let source = format!("claude: structure job #{} of the upload of {name} by {}", job.id, p.actor);
    let records = answer.value.into_iter().map(|s| {
        let origin = format!("{name} → {}", s.id);
        Proposed { sop: s, origin, source: source.clone(), notes: Vec::new(), retires: None }
    });
    let mut done = propose(app, &name, records.collect(), &active).await?;
    done.tokens = (answer.tokens_in, answer.tokens_out);
    Ok(done)
}

async fn review(app: &App, claude: &Claude, job: &ReviewJob) -> Result<Done, JobError> {
    let p: ReviewPayload = payload(job)?;
    let active = crate::knowledge::active(app).await?;
    let Some(changed) = active.iter().find(|s| s.id.as_str() == p.sop_id) else {
        return Ok(Done {
            problems: vec![format!("{} is no longer active; nothing to review", p.sop_id)],
            ..Done::default()
        });
    };
    let overlapping = super::overlapping(changed, &active);
    if overlapping.is_empty() {
        return Ok(Done::default());
    }
    let answer = claude.review(changed, &overlapping).await?;
    let version = p.version.map_or_else(String::new, |v| format!(" v{v}"));
    let mut records = Vec::with_capacity(answer.value.len());
    for (i, f) in answer.value.into_iter().enumerate() {
        let [a, b] = &f.sops;
        let (what, notes, retires) = match f.kind {
            FindingKind::Conflict => {
                ("conflict", vec![format!("Claude: conflict between {a} and {b}: {}", f.explanation)], None)
            }
            FindingKind::Merge => {
                let other = if &f.sop.id == a { b } else { a };
                let notes = vec![
                    format!("Claude: merge {a} and {b}: {}", f.explanation),
                    format!("accepting it also archives {other}"),
                ];
                ("merge", notes, Some(other.to_string()))
            }
        };
        let source = format!(
            "claude: review job #{} after proposal #{} made {}{version} active — {what} of {a} and {b}",
            job.id, p.proposal_id, p.sop_id
        );
        let origin = format!("finding {} ({what} of {a} and {b})", i + 1);
        records.push(Proposed { sop: f.sop, origin, source, notes, retires });
    }
    let mut done = propose(app, &format!("review of {}", p.sop_id), records, &active).await?;
    done.tokens = (answer.tokens_in, answer.tokens_out);
    Ok(done)
}

async fn feedback(app: &App, claude: &Claude, job: &ReviewJob) -> Result<Done, JobError> {
    let p: FeedbackJob = payload(job)?;
    let active = crate::knowledge::active(app).await?;
    let Some(sop) = active.iter().find(|s| s.id.as_str() == p.sop_id) else {
        return Ok(Done {
            problems: vec![format!("{} is no longer active; nothing to change", p.sop_id)],
            ..Done::default()
        });
    };
    let case = FeedbackCase {
        sop: sop.clone(),
        decision: p.decision.clone(),
        messages: p.messages.clone(),
        note: p.note.clone(),
    };
    let answer = claude.feedback(&case).await?;
    let tokens = (answer.tokens_in, answer.tokens_out);
    let (change, why) = answer.value;
    let Some(change) = change else {
        return Ok(Done {
            problems: vec![format!("Claude proposes no change to {}: {why}", p.sop_id)],
            tokens,
            ..Done::default()
        });
    };
    let note: String = p.note.chars().take(200).collect();
    let source = format!("claude: feedback job #{} on thread #{} flagged by {}: {note}", job.id, p.thread_id, p.actor);
    let origin = format!("feedback on thread #{}", p.thread_id);
    let records = vec![Proposed { sop: change, origin, source, notes: vec![format!("Claude: {why}")], retires: None }];
    let mut done = propose(app, &format!("feedback on thread #{}", p.thread_id), records, &active).await?;
    done.tokens = tokens;
    Ok(done)
}

/// What Claude proposes, before the upload checks.
struct Proposed {
    sop: Sop,
    origin: String,
    source: String,
    /// Notes for the reviewer (first among the proposal's warnings).
    notes: Vec<String>,
    /// The SOP a merge retires when accepted.
    retires: Option<String>,
}

/// (record, origin, source, notes for the reviewer) → proposals, after the
/// upload checks. Notes come first among a proposal's warnings; a pending
/// proposal for the same SOP (e.g. the local draft of the same upload) is
/// pointed out.
async fn propose(app: &App, name: &str, records: Vec<Proposed>, active: &[Sop]) -> Result<Done, JobError> {
    if records.is_empty() {
        return Ok(Done::default());
    }
    let mut extra: HashMap<String, (String, Vec<String>, Option<String>)> = HashMap::new();
    let mut checked = Vec::with_capacity(records.len());
    for Proposed { sop, origin, source, notes, retires } in records {
        extra.insert(origin.clone(), (source, notes, retires));
        checked.push((sop, origin));
    }
    let out = ingest::check_records(name, checked, active);
    let pending = app.store.proposals(Some(ProposalStatus::Pending), 1000).await?;
    let mut proposals = Vec::with_capacity(out.drafts.len());
    for d in out.drafts {
        let (source, mut warnings, retires) = extra.remove(&d.origin).unwrap_or_default();
        warnings.extend(d.warnings);
        for other in pending.iter().filter(|o| o.sop_id == d.sop.id.as_str()) {
            warnings.push(format!(
                "proposal #{} ({}) also proposes {}; accept one of them",
                other.id, other.proposed_by, other.sop_id
            ));
        }
        let chars = d.sop.reply.chars().count();
        if chars > LONG_REPLY {
            warnings.push(format!("the reply is {chars} characters; over {LONG_REPLY} it goes out as several texts"));
        }
        let body = serde_json::to_value(&d.sop).map_err(|e| JobError::Payload(e.to_string()))?;
        proposals.push(NewProposal {
            sop_id: d.sop.id.to_string(),
            body,
            source,
            proposed_by: CLAUDE.into(),
            warnings,
            retires,
        });
    }
    let problems = out.problems.into_iter().map(|p| format!("{}: {}", p.origin, p.message)).collect();
    Ok(Done { proposals, problems, tokens: (0, 0) })
}
