//! The SOP knowledge base at work: uploads become draft proposals in the
//! review queue (never active SOPs), a human accepts (as is or edited),
//! rejects, rolls back or archives, every change is validated by the same
//! code as the starter set, audited, and the classifier is rebuilt from the
//! active SOPs at once. With Claude configured, uploads and acceptances also
//! queue Claude's work (`crate::review`).

mod diff;
mod slot;
pub mod upkeep;

use clubos_agent::ingest::{self, Format};
use clubos_agent::sop::{Sop, validate_all};
use clubos_domain::SopId;
use clubos_store::{NewProposal, Proposal, ProposalDecision, StoreError};
use serde_json::{Value, json};

pub use diff::diff;
pub use slot::{ClassifierSlot, Rebuild};

use crate::app::App;

/// Who proposes what the local ingestion path drafts.
pub const LOCAL_INGEST: &str = "local-ingest";

/// Why a knowledge request was refused.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for KnowledgeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => KnowledgeError::NotFound(m),
            StoreError::Conflict(m) => KnowledgeError::Conflict(m),
            other => KnowledgeError::Store(other),
        }
    }
}

/// What an upload produced.
#[derive(Debug, serde::Serialize)]
pub struct Uploaded {
    pub proposals: Vec<Value>,
    pub problems: Vec<Value>,
    /// Claude's structuring of the same document, queued (`[llm.anthropic]`):
    /// its proposals follow when the jobs have run.
    pub claude_jobs: Vec<i64>,
}

/// The active SOPs as records.
pub async fn active(app: &App) -> Result<Vec<Sop>, KnowledgeError> {
    app.store
        .active_sops()
        .await?
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|e| KnowledgeError::Store(StoreError::Corrupt(e.to_string()))))
        .collect()
}

/// Drafts SOPs from an uploaded document and queues them for review.
pub async fn upload(
    app: &App,
    name: &str,
    format: Format,
    text: &str,
    actor: &str,
) -> Result<Uploaded, KnowledgeError> {
    let existing = active(app).await?;
    let out = ingest::ingest(name, format, text, &existing);
    let now = app.clock.now();
    let mut proposals = Vec::with_capacity(out.drafts.len());
    for d in &out.drafts {
        let body = serde_json::to_value(&d.sop).map_err(|e| KnowledgeError::Invalid(e.to_string()))?;
        proposals.push(NewProposal {
            sop_id: d.sop.id.to_string(),
            body,
            source: format!("upload by {actor}: {}", d.origin),
            proposed_by: LOCAL_INGEST.into(),
            warnings: d.warnings.clone(),
            retires: None,
        });
    }
    let ids = app.store.propose_sops(proposals, now).await?;
    let summary: Vec<Value> = out
        .drafts
        .iter()
        .zip(&ids)
        .map(|(d, id)| json!({"id": id, "sop_id": d.sop.id, "title": d.sop.title, "origin": d.origin, "warnings": d.warnings}))
        .collect();
    let problems: Vec<Value> = out.problems.iter().map(|p| json!({"origin": p.origin, "message": p.message})).collect();
    let claude_jobs = crate::review::queue_upload(app, name, format, text, actor).await?;
    let detail = json!({"name": name, "drafts": ids, "problems": problems.len(), "claude_jobs": claude_jobs});
    app.store.audit(actor, "knowledge.upload", &format!("upload:{name}"), detail, now).await?;
    Ok(Uploaded { proposals: summary, problems, claude_jobs })
}

/// A proposal with its diff against the SOP's current active version.
pub async fn with_diff(app: &App, p: &Proposal) -> Result<Value, KnowledgeError> {
    let current =
        app.store.sop_versions(&p.sop_id).await?.into_iter().find(|v| v.status == clubos_store::SopStatus::Active);
    let mut v = serde_json::to_value(p).map_err(|e| KnowledgeError::Invalid(e.to_string()))?;
    v["current_version"] = json!(current.as_ref().map(|c| c.version));
    v["title"] = p.body["title"].clone();
    // What the proposal does: a new SOP, a new version, or a merge.
    v["kind"] = json!(match (&p.retires, &current) {
        (Some(_), _) => "merge",
        (None, Some(_)) => "change",
        (None, None) => "new",
    });
    v["diff"] = diff(current.as_ref().map(|c| &c.body), &p.body);
    Ok(v)
}

/// Accepts a pending proposal (with the reviewer's edit, if any): validated
/// against the active set, stored as the SOP's next active version, audited,
/// and the classifier rebuilt.
pub async fn accept(
    app: &App,
    id: i64,
    edited: Option<Value>,
    actor: &str,
    note: Option<String>,
) -> Result<Proposal, KnowledgeError> {
    let p = app.store.proposal(id).await?.ok_or_else(|| KnowledgeError::NotFound(format!("no proposal {id}")))?;
    let body = edited.unwrap_or_else(|| p.body.clone());
    let sop: Sop = serde_json::from_value(body.clone())
        .map_err(|e| KnowledgeError::Invalid(format!("the SOP record is not valid: {e}")))?;
    if sop.id.as_str() != p.sop_id {
        return Err(KnowledgeError::Invalid(format!("an edit cannot change the SOP id ({} → {})", p.sop_id, sop.id)));
    }
    // A merge retires its other SOP: the set must hold together without it.
    let retired = p.retires.as_deref();
    let mut next: Vec<Sop> =
        active(app).await?.into_iter().filter(|s| s.id != sop.id && Some(s.id.as_str()) != retired).collect();
    next.push(sop);
    validate_all(&next).map_err(|e| KnowledgeError::Invalid(e.to_string()))?;
    let current = app.store.active_sops().await?.into_iter().find(|v| v["id"] == Value::String(p.sop_id.clone()));
    let change = diff(current.as_ref(), &body);
    let decision = ProposalDecision { accept: Some((body, change.clone())), actor: actor.to_owned(), note };
    let done = app.store.decide_proposal(id, decision, app.clock.now()).await?;
    let detail = json!({"proposal": id, "version": done.version, "diff": change});
    app.store.audit(actor, "knowledge.accept", &format!("sop:{}", p.sop_id), detail, app.clock.now()).await?;
    reload(app).await?;
    crate::review::queue_review(app, &done, actor).await;
    Ok(done)
}

/// Rejects a pending proposal.
pub async fn reject(app: &App, id: i64, actor: &str, note: Option<String>) -> Result<Proposal, KnowledgeError> {
    let decision = ProposalDecision { accept: None, actor: actor.to_owned(), note: note.clone() };
    let done = app.store.decide_proposal(id, decision, app.clock.now()).await?;
    let detail = json!({"proposal": id, "note": note});
    app.store.audit(actor, "knowledge.reject", &format!("sop:{}", done.sop_id), detail, app.clock.now()).await?;
    Ok(done)
}

/// Makes a copy of an older version active again (an explicit operator action).
pub async fn rollback(app: &App, sop_id: &SopId, version: i64, actor: &str) -> Result<i64, KnowledgeError> {
    let target = app
        .store
        .sop_versions(sop_id.as_str())
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| KnowledgeError::NotFound(format!("SOP {sop_id} has no version {version}")))?;
    let sop: Sop = serde_json::from_value(target.body)
        .map_err(|e| KnowledgeError::Invalid(format!("version {version} is not a valid SOP any more: {e}")))?;
    let mut next: Vec<Sop> = active(app).await?.into_iter().filter(|s| &s.id != sop_id).collect();
    next.push(sop);
    validate_all(&next).map_err(|e| KnowledgeError::Invalid(format!("version {version} no longer fits: {e}")))?;
    let new = app.store.rollback_sop(sop_id.as_str(), version, actor, app.clock.now()).await?;
    let detail = json!({"to_version": version, "new_version": new});
    app.store.audit(actor, "knowledge.rollback", &format!("sop:{sop_id}"), detail, app.clock.now()).await?;
    reload(app).await?;
    Ok(new)
}

/// Retires an SOP; refused while another active SOP depends on it.
pub async fn archive(app: &App, sop_id: &SopId, actor: &str) -> Result<(), KnowledgeError> {
    let rest: Vec<Sop> = active(app).await?.into_iter().filter(|s| &s.id != sop_id).collect();
    if let Some(d) = rest.iter().find(|s| s.dependencies.contains(sop_id)) {
        return Err(KnowledgeError::Conflict(format!("{} depends on {sop_id}; change it first", d.id)));
    }
    app.store.archive_sop(sop_id.as_str(), actor, app.clock.now()).await?;
    app.store.audit(actor, "knowledge.archive", &format!("sop:{sop_id}"), json!({}), app.clock.now()).await?;
    reload(app).await
}

/// Rebuilds the classifier from the active SOPs.
pub async fn reload(app: &App) -> Result<(), KnowledgeError> {
    let sops = active(app).await?;
    let n = sops.len();
    app.classifier.reload(sops).map_err(KnowledgeError::Invalid)?;
    tracing::info!(sops = n, "knowledge base changed; classifier rebuilt");
    Ok(())
}
