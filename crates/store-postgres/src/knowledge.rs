//! The SOP knowledge base: versions (append-only), the review queue and the
//! change log. Each function runs inside one transaction, so an acceptance
//! (new version, old one archived, proposal decided, change logged) commits
//! as a whole or not at all. Changes to SOPs take one advisory lock, so two
//! instances never number two versions alike or both seed the starter set.

use clubos_store::{
    ChangeKind, NewProposal, Proposal, ProposalDecision, ProposalStatus, Result, SopChange, SopStatus, SopVersion,
    StoreError,
};
use jiff::Timestamp;
use tokio_postgres::Row;

use crate::convert::{Tx, exec, get, json_err, lock, query, query_one, query_opt, rows};
use crate::error::corrupt;

/// The advisory lock every change to `sops` takes.
pub(crate) const SOPS_LOCK: &str = "sops";

const VERSION_COLUMNS: &str = "id, version, status, body, source, created_by, approved_by, created_at";
const PROPOSAL_COLUMNS: &str = "id, sop_id, body, base_version, source, proposed_by, warnings, status, \
     decided_by, decided_at, note, version, created_at, retires";
const CHANGE_COLUMNS: &str =
    "id, sop_id, kind, version, previous_version, proposal_id, proposed_by, approved_by, diff, at";

fn version_row(r: &Row) -> Result<SopVersion> {
    let status: &str = get(r, 2)?;
    Ok(SopVersion {
        sop_id: get(r, 0)?,
        version: get(r, 1)?,
        status: SopStatus::parse(status).ok_or_else(|| corrupt(format!("unknown SOP status `{status}`")))?,
        body: get(r, 3)?,
        source: get(r, 4)?,
        created_by: get(r, 5)?,
        approved_by: get(r, 6)?,
        created_at: get(r, 7)?,
    })
}

fn proposal_row(r: &Row) -> Result<Proposal> {
    let status: &str = get(r, 7)?;
    Ok(Proposal {
        id: get(r, 0)?,
        sop_id: get(r, 1)?,
        body: get(r, 2)?,
        base_version: get(r, 3)?,
        source: get(r, 4)?,
        proposed_by: get(r, 5)?,
        warnings: serde_json::from_value(get(r, 6)?).map_err(corrupt)?,
        status: ProposalStatus::parse(status).ok_or_else(|| corrupt(format!("unknown proposal status `{status}`")))?,
        decided_by: get(r, 8)?,
        decided_at: get(r, 9)?,
        note: get(r, 10)?,
        version: get(r, 11)?,
        created_at: get(r, 12)?,
        retires: get(r, 13)?,
    })
}

fn change_row(r: &Row) -> Result<SopChange> {
    let kind: &str = get(r, 2)?;
    Ok(SopChange {
        id: get(r, 0)?,
        sop_id: get(r, 1)?,
        kind: ChangeKind::parse(kind).ok_or_else(|| corrupt(format!("unknown change kind `{kind}`")))?,
        version: get(r, 3)?,
        previous_version: get(r, 4)?,
        proposal_id: get(r, 5)?,
        proposed_by: get(r, 6)?,
        approved_by: get(r, 7)?,
        diff: get(r, 8)?,
        at: get(r, 9)?,
    })
}

pub(crate) async fn sop_versions(tx: &Tx<'_>, sop_id: &str) -> Result<Vec<SopVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM sops WHERE id = $1 ORDER BY version DESC");
    rows(&query(tx, &sql, &[&sop_id]).await?, version_row)
}

pub(crate) async fn active_versions(tx: &Tx<'_>) -> Result<Vec<SopVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM sops WHERE status = 'active' ORDER BY id COLLATE \"C\"");
    rows(&query(tx, &sql, &[]).await?, version_row)
}

async fn active_version(tx: &Tx<'_>, sop_id: &str) -> Result<Option<i64>> {
    query_opt(tx, "SELECT version FROM sops WHERE id = $1 AND status = 'active'", &[&sop_id])
        .await?
        .map(|r| get(&r, 0))
        .transpose()
}

pub(crate) async fn propose(tx: &Tx<'_>, proposals: &[NewProposal], at: Timestamp) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(proposals.len());
    for p in proposals {
        let base = active_version(tx, &p.sop_id).await?;
        let warnings = serde_json::to_value(&p.warnings).map_err(json_err)?;
        let row = query_one(
            tx,
            "INSERT INTO sop_proposals (sop_id, body, base_version, source, proposed_by, warnings, status, created_at,
                retires) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id",
            &[&p.sop_id, &p.body, &base, &p.source, &p.proposed_by, &warnings, &at, &p.retires],
        )
        .await?;
        ids.push(get(&row, 0)?);
    }
    Ok(ids)
}

pub(crate) async fn proposals(tx: &Tx<'_>, status: Option<ProposalStatus>, limit: u32) -> Result<Vec<Proposal>> {
    let limit = i64::from(if limit == 0 { 100 } else { limit.min(1000) });
    let sql = format!(
        "SELECT {PROPOSAL_COLUMNS} FROM sop_proposals WHERE ($1::text IS NULL OR status = $1) ORDER BY id DESC LIMIT $2"
    );
    rows(&query(tx, &sql, &[&status.map(ProposalStatus::as_str), &limit]).await?, proposal_row)
}

pub(crate) async fn proposal(tx: &Tx<'_>, id: i64) -> Result<Option<Proposal>> {
    let sql = format!("SELECT {PROPOSAL_COLUMNS} FROM sop_proposals WHERE id = $1");
    query_opt(tx, &sql, &[&id]).await?.as_ref().map(proposal_row).transpose()
}

/// A new active version of `sop_id`; the one it replaces is archived.
/// Returns (new version, previous active version).
async fn activate(
    tx: &Tx<'_>,
    sop_id: &str,
    body: &serde_json::Value,
    source: &str,
    by: (&str, &str),
    at: Timestamp,
) -> Result<(i64, Option<i64>)> {
    let previous = active_version(tx, sop_id).await?;
    let last: i64 =
        get(&query_one(tx, "SELECT coalesce(max(version), 0)::bigint FROM sops WHERE id = $1", &[&sop_id]).await?, 0)?;
    exec(tx, "UPDATE sops SET status = 'archived' WHERE id = $1 AND status = 'active'", &[&sop_id]).await?;
    exec(
        tx,
        "INSERT INTO sops (id, version, status, body, source, created_by, approved_by, created_at)
         VALUES ($1, $2, 'active', $3, $4, $5, $6, $7)",
        &[&sop_id, &(last + 1), body, &source, &by.0, &by.1, &at],
    )
    .await?;
    Ok((last + 1, previous))
}

struct Change<'a> {
    sop_id: &'a str,
    kind: ChangeKind,
    version: Option<i64>,
    previous: Option<i64>,
    proposal: Option<i64>,
    proposed_by: &'a str,
    approved_by: &'a str,
    diff: &'a serde_json::Value,
}

async fn log(tx: &Tx<'_>, ch: &Change<'_>, at: Timestamp) -> Result<()> {
    exec(
        tx,
        "INSERT INTO sop_changes (sop_id, kind, version, previous_version, proposal_id, proposed_by, approved_by,
            diff, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &ch.sop_id,
            &ch.kind.as_str(),
            &ch.version,
            &ch.previous,
            &ch.proposal,
            &ch.proposed_by,
            &ch.approved_by,
            ch.diff,
            &at,
        ],
    )
    .await
    .map(drop)
}

pub(crate) async fn decide(tx: &Tx<'_>, id: i64, d: &ProposalDecision, at: Timestamp) -> Result<Proposal> {
    lock(tx, SOPS_LOCK).await?;
    let p = proposal(tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("proposal {id}")))?;
    if p.status != ProposalStatus::Pending {
        return Err(StoreError::Conflict(format!("proposal {id} is already {}", p.status.as_str())));
    }
    let (status, version) = match &d.accept {
        Some((body, diff)) => {
            let (version, previous) = activate(tx, &p.sop_id, body, &p.source, (&p.proposed_by, &d.actor), at).await?;
            let change = Change {
                sop_id: &p.sop_id,
                kind: ChangeKind::Approve,
                version: Some(version),
                previous,
                proposal: Some(id),
                proposed_by: &p.proposed_by,
                approved_by: &d.actor,
                diff,
            };
            log(tx, &change, at).await?;
            if let Some(other) = p.retires.as_deref().filter(|o| *o != p.sop_id) {
                retire(tx, other, &p, &d.actor, at).await?;
            }
            (ProposalStatus::Accepted, Some(version))
        }
        None => (ProposalStatus::Rejected, None),
    };
    exec(
        tx,
        "UPDATE sop_proposals SET status = $2, decided_by = $3, decided_at = $4, note = $5, version = $6 WHERE id = $1",
        &[&id, &status.as_str(), &d.actor, &at, &d.note, &version],
    )
    .await?;
    proposal(tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("proposal {id}")))
}

/// The other SOP of an accepted merge: archived with the same approval.
async fn retire(tx: &Tx<'_>, sop_id: &str, p: &Proposal, actor: &str, at: Timestamp) -> Result<()> {
    let Some(previous) = active_version(tx, sop_id).await? else {
        return Ok(());
    };
    exec(tx, "UPDATE sops SET status = 'archived' WHERE id = $1 AND status = 'active'", &[&sop_id]).await?;
    let diff = serde_json::json!({"archived": previous, "merged_into": p.sop_id});
    let change = Change {
        sop_id,
        kind: ChangeKind::Archive,
        version: None,
        previous: Some(previous),
        proposal: Some(p.id),
        proposed_by: &p.proposed_by,
        approved_by: actor,
        diff: &diff,
    };
    log(tx, &change, at).await
}

pub(crate) async fn rollback(tx: &Tx<'_>, sop_id: &str, version: i64, actor: &str, at: Timestamp) -> Result<i64> {
    lock(tx, SOPS_LOCK).await?;
    let target = sop_versions(tx, sop_id)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| StoreError::NotFound(format!("SOP {sop_id} version {version}")))?;
    let source = format!("rollback:v{version}");
    let (new, previous) = activate(tx, sop_id, &target.body, &source, (actor, actor), at).await?;
    let diff = serde_json::json!({"rollback_to": version});
    let change = Change {
        sop_id,
        kind: ChangeKind::Rollback,
        version: Some(new),
        previous,
        proposal: None,
        proposed_by: actor,
        approved_by: actor,
        diff: &diff,
    };
    log(tx, &change, at).await?;
    Ok(new)
}

pub(crate) async fn archive(tx: &Tx<'_>, sop_id: &str, actor: &str, at: Timestamp) -> Result<()> {
    lock(tx, SOPS_LOCK).await?;
    let previous =
        active_version(tx, sop_id).await?.ok_or_else(|| StoreError::NotFound(format!("active SOP {sop_id}")))?;
    exec(tx, "UPDATE sops SET status = 'archived' WHERE id = $1 AND status = 'active'", &[&sop_id]).await?;
    let diff = serde_json::json!({"archived": previous});
    let change = Change {
        sop_id,
        kind: ChangeKind::Archive,
        version: None,
        previous: Some(previous),
        proposal: None,
        proposed_by: actor,
        approved_by: actor,
        diff: &diff,
    };
    log(tx, &change, at).await
}

pub(crate) async fn changes(tx: &Tx<'_>, limit: u32) -> Result<Vec<SopChange>> {
    let limit = i64::from(if limit == 0 { 100 } else { limit.min(1000) });
    let sql = format!("SELECT {CHANGE_COLUMNS} FROM sop_changes ORDER BY id DESC LIMIT $1");
    rows(&query(tx, &sql, &[&limit]).await?, change_row)
}
