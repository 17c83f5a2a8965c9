//! The SOP knowledge base on SQLite: versions (append-only), the review
//! queue and the change log. Each function runs inside one writer job or
//! one read, so an acceptance (new version, old one archived, proposal
//! decided, change logged) commits as a whole or not at all.

use clubos_store::{
    ChangeKind, NewProposal, Proposal, ProposalDecision, ProposalStatus, Result, SopChange, SopStatus, SopVersion,
    StoreError,
};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::convert::{conv_err, ms, opt_ts, sql_err, ts};

const VERSION_COLUMNS: &str = "id, version, status, body, source, created_by, approved_by, created_at";
const PROPOSAL_COLUMNS: &str = "id, sop_id, body, base_version, source, proposed_by, warnings, status, \
     decided_by, decided_at, note, version, created_at, retires";
const CHANGE_COLUMNS: &str =
    "id, sop_id, kind, version, previous_version, proposal_id, proposed_by, approved_by, diff, at";

fn json(s: &str) -> rusqlite::Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| conv_err(e.to_string()))
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<SopVersion> {
    let status: String = r.get(2)?;
    Ok(SopVersion {
        sop_id: r.get(0)?,
        version: r.get(1)?,
        status: SopStatus::parse(&status).ok_or_else(|| conv_err(format!("unknown SOP status `{status}`")))?,
        body: json(&r.get::<_, String>(3)?)?,
        source: r.get(4)?,
        created_by: r.get(5)?,
        approved_by: r.get(6)?,
        created_at: ts(r.get(7)?)?,
    })
}

fn proposal_row(r: &Row<'_>) -> rusqlite::Result<Proposal> {
    let status: String = r.get(7)?;
    let warnings: Vec<String> = serde_json::from_str(&r.get::<_, String>(6)?).map_err(|e| conv_err(e.to_string()))?;
    Ok(Proposal {
        id: r.get(0)?,
        sop_id: r.get(1)?,
        body: json(&r.get::<_, String>(2)?)?,
        base_version: r.get(3)?,
        source: r.get(4)?,
        proposed_by: r.get(5)?,
        warnings,
        status: ProposalStatus::parse(&status)
            .ok_or_else(|| conv_err(format!("unknown proposal status `{status}`")))?,
        decided_by: r.get(8)?,
        decided_at: opt_ts(r.get(9)?)?,
        note: r.get(10)?,
        version: r.get(11)?,
        created_at: ts(r.get(12)?)?,
        retires: r.get(13)?,
    })
}

fn change_row(r: &Row<'_>) -> rusqlite::Result<SopChange> {
    let kind: String = r.get(2)?;
    Ok(SopChange {
        id: r.get(0)?,
        sop_id: r.get(1)?,
        kind: ChangeKind::parse(&kind).ok_or_else(|| conv_err(format!("unknown change kind `{kind}`")))?,
        version: r.get(3)?,
        previous_version: r.get(4)?,
        proposal_id: r.get(5)?,
        proposed_by: r.get(6)?,
        approved_by: r.get(7)?,
        diff: json(&r.get::<_, String>(8)?)?,
        at: ts(r.get(9)?)?,
    })
}

pub(crate) fn sop_versions(c: &Connection, sop_id: &str) -> Result<Vec<SopVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM sops WHERE id = ?1 ORDER BY version DESC");
    let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt.query_map([sop_id], version_row).map_err(sql_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
}

pub(crate) fn active_versions(c: &Connection) -> Result<Vec<SopVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM sops WHERE status = 'active' ORDER BY id");
    let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt.query_map([], version_row).map_err(sql_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
}

fn active_version(c: &Connection, sop_id: &str) -> Result<Option<i64>> {
    c.prepare_cached("SELECT version FROM sops WHERE id = ?1 AND status = 'active'")
        .map_err(sql_err)?
        .query_row([sop_id], |r| r.get(0))
        .optional()
        .map_err(sql_err)
}

pub(crate) fn propose(c: &Connection, proposals: &[NewProposal], at: Timestamp) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(proposals.len());
    for p in proposals {
        let base = active_version(c, &p.sop_id)?;
        let warnings = serde_json::to_string(&p.warnings).map_err(|e| StoreError::Backend(e.to_string()))?;
        c.prepare_cached(
            "INSERT INTO sop_proposals (sop_id, body, base_version, source, proposed_by, warnings, status, created_at, \
             retires) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8)",
        )
        .map_err(sql_err)?
        .execute(params![p.sop_id, p.body.to_string(), base, p.source, p.proposed_by, warnings, ms(at), p.retires])
        .map_err(sql_err)?;
        ids.push(c.last_insert_rowid());
    }
    Ok(ids)
}

pub(crate) fn proposals(c: &Connection, status: Option<ProposalStatus>, limit: u32) -> Result<Vec<Proposal>> {
    let limit = if limit == 0 { 100 } else { limit.min(1000) };
    let sql = format!(
        "SELECT {PROPOSAL_COLUMNS} FROM sop_proposals WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC LIMIT ?2"
    );
    let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt.query_map(params![status.map(ProposalStatus::as_str), limit], proposal_row).map_err(sql_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
}

pub(crate) fn proposal(c: &Connection, id: i64) -> Result<Option<Proposal>> {
    let sql = format!("SELECT {PROPOSAL_COLUMNS} FROM sop_proposals WHERE id = ?1");
    c.prepare_cached(&sql).map_err(sql_err)?.query_row([id], proposal_row).optional().map_err(sql_err)
}

/// A new active version of `sop_id`; the one it replaces is archived.
/// Returns (new version, previous active version).
fn activate(
    c: &Connection,
    sop_id: &str,
    body: &serde_json::Value,
    source: &str,
    by: (&str, &str),
    at: Timestamp,
) -> Result<(i64, Option<i64>)> {
    let previous = active_version(c, sop_id)?;
    let last: i64 = c
        .query_row("SELECT COALESCE(MAX(version), 0) FROM sops WHERE id = ?1", [sop_id], |r| r.get(0))
        .map_err(sql_err)?;
    c.execute("UPDATE sops SET status = 'archived' WHERE id = ?1 AND status = 'active'", [sop_id]).map_err(sql_err)?;
    c.execute(
        "INSERT INTO sops (id, version, status, body, source, created_by, approved_by, created_at) \
         VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7)",
        params![sop_id, last + 1, body.to_string(), source, by.0, by.1, ms(at)],
    )
    .map_err(sql_err)?;
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

fn log(c: &Connection, ch: &Change<'_>, at: Timestamp) -> Result<()> {
    c.execute(
        "INSERT INTO sop_changes (sop_id, kind, version, previous_version, proposal_id, proposed_by, approved_by, diff, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            ch.sop_id,
            ch.kind.as_str(),
            ch.version,
            ch.previous,
            ch.proposal,
            ch.proposed_by,
            ch.approved_by,
            ch.diff.to_string(),
            ms(at)
        ],
    )
    .map_err(sql_err)
    .map(drop)
}

pub(crate) fn decide(c: &Connection, id: i64, d: &ProposalDecision, at: Timestamp) -> Result<Proposal> {
    let p = proposal(c, id)?.ok_or_else(|| StoreError::NotFound(format!("proposal {id}")))?;
    if p.status != ProposalStatus::Pending {
        return Err(StoreError::Conflict(format!("proposal {id} is already {}", p.status.as_str())));
    }
    let (status, version) = match &d.accept {
        Some((body, diff)) => {
            let (version, previous) = activate(c, &p.sop_id, body, &p.source, (&p.proposed_by, &d.actor), at)?;
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
            log(c, &change, at)?;
            if let Some(other) = p.retires.as_deref().filter(|o| *o != p.sop_id) {
                retire(c, other, &p, &d.actor, at)?;
            }
            (ProposalStatus::Accepted, Some(version))
        }
        None => (ProposalStatus::Rejected, None),
    };
    c.execute(
        "UPDATE sop_proposals SET status = ?2, decided_by = ?3, decided_at = ?4, note = ?5, version = ?6 WHERE id = ?1",
        params![id, status.as_str(), d.actor, ms(at), d.note, version],
    )
    .map_err(sql_err)?;
    proposal(c, id)?.ok_or_else(|| StoreError::NotFound(format!("proposal {id}")))
}

/// The other SOP of an accepted merge: archived with the same approval.
fn retire(c: &Connection, sop_id: &str, p: &Proposal, actor: &str, at: Timestamp) -> Result<()> {
    let Some(previous) = active_version(c, sop_id)? else {
        return Ok(());
    };
    c.execute("UPDATE sops SET status = 'archived' WHERE id = ?1 AND status = 'active'", [sop_id]).map_err(sql_err)?;
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
    log(c, &change, at)
}

pub(crate) fn rollback(c: &Connection, sop_id: &str, version: i64, actor: &str, at: Timestamp) -> Result<i64> {
    let target = sop_versions(c, sop_id)?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| StoreError::NotFound(format!("SOP {sop_id} version {version}")))?;
    let source = format!("rollback:v{version}");
    let (new, previous) = activate(c, sop_id, &target.body, &source, (actor, actor), at)?;
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
    log(c, &change, at)?;
    Ok(new)
}

pub(crate) fn archive(c: &Connection, sop_id: &str, actor: &str, at: Timestamp) -> Result<()> {
    let previous = active_version(c, sop_id)?.ok_or_else(|| StoreError::NotFound(format!("active SOP {sop_id}")))?;
    c.execute("UPDATE sops SET status = 'archived' WHERE id = ?1 AND status = 'active'", [sop_id]).map_err(sql_err)?;
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
    log(c, &change, at)
}

pub(crate) fn changes(c: &Connection, limit: u32) -> Result<Vec<SopChange>> {
    let limit = if limit == 0 { 100 } else { limit.min(1000) };
    let sql = format!("SELECT {CHANGE_COLUMNS} FROM sop_changes ORDER BY id DESC LIMIT ?1");
    let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt.query_map([limit], change_row).map_err(sql_err)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
}
