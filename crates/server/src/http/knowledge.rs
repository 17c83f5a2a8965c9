//! `/api/knowledge` and `/api/sops`: upload documents (drafts go to the
//! review queue), review proposals with their diff (accept as is or edited,
//! reject, one by one or in bulk), the change log, the active SOPs with
//! their versions, rollback and archive.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use bytes::Bytes;
use clubos_agent::ingest::Format;
use clubos_domain::SopId;
use clubos_store::ProposalStatus;
use serde::Deserialize;
use serde_json::{Value, json};

use axum::Extension;

use super::{ApiError, Body};
use crate::app::App;
use crate::auth::Actor;
use crate::knowledge::{self, KnowledgeError, upkeep};

/// Largest document accepted by `POST /api/knowledge/upload` (1 MiB).
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

impl From<KnowledgeError> for ApiError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::Invalid(m) => ApiError::BadRequest(m),
            KnowledgeError::NotFound(m) => ApiError::NotFound(m),
            KnowledgeError::Conflict(m) => ApiError::Conflict(m),
            KnowledgeError::Store(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    name: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pasted {
    /// `filename` in DESIGN §4.
    #[serde(alias = "filename")]
    name: Option<String>,
    format: Option<String>,
    /// `content` in DESIGN §4.
    #[serde(alias = "content")]
    text: String,
}

/// The document: pasted text as `{"name"?, "format"?, "text"}` (or
/// `{"filename", "content"}`), a `multipart/form-data` form with one file,
/// or a file's bytes with `?name=FILE` (format from `?format=`, the name's
/// extension or the `Content-Type`).
pub async fn upload(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    q: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let body = body?;
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let (name, format, text) = if mime == "multipart/form-data" {
        let (name, part_mime, bytes) = first_file(content_type, body).await?;
        let format = pick_format(q.format.as_deref(), &name, &part_mime)?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::BadRequest("the document must be UTF-8 text".into()))?;
        (name, format, text)
    } else if q.name.is_none() && mime == "application/json" {
        let p: Pasted = serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("expected {{\"text\": …}} (or a file with ?name=): {e}")))?;
        let name = p.name.unwrap_or_else(|| "pasted text".into());
        let format = pick_format(p.format.as_deref(), &name, "text/plain")?;
        (name, format, p.text)
    } else {
        let name = q.name.clone().unwrap_or_else(|| "upload".into());
        let format = pick_format(q.format.as_deref(), &name, &mime)?;
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| ApiError::BadRequest("the document must be UTF-8 text".into()))?;
        (name, format, text)
    };
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest("the document is empty".into()));
    }
    let out = knowledge::upload(&app, &name, format, &text, &actor.name).await?;
    // `proposals` is the list of ids (DESIGN §4); `drafts` says what each is.
    let ids: Vec<&Value> = out.proposals.iter().map(|p| &p["id"]).collect();
    Ok(Json(
        json!({"proposals": ids, "drafts": out.proposals, "problems": out.problems, "claude_jobs": out.claude_jobs}),
    ))
}

/// The first file of a multipart form: (file name, its content type, bytes).
async fn first_file(content_type: &str, body: Bytes) -> Result<(String, String, Bytes), ApiError> {
    let bad = |e: multer::Error| ApiError::BadRequest(format!("multipart form: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        let mime = field.content_type().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        return Ok((name, mime, field.bytes().await.map_err(bad)?));
    }
    Err(ApiError::BadRequest("multipart form: no file in it".into()))
}

fn pick_format(explicit: Option<&str>, name: &str, mime: &str) -> Result<Format, ApiError> {
    if let Some(f) = explicit {
        return Format::parse(f)
            .ok_or_else(|| ApiError::BadRequest(format!("format `{f}`: expected markdown, text, csv or json")));
    }
    Format::from_name(name).or_else(|| Format::parse(mime)).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "cannot tell the format of `{name}`: name it .md, .txt, .csv or .json, or pass ?format="
        ))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
}

pub async fn proposals(
    State(app): State<Arc<App>>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q?;
    let status = match q.status.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(ProposalStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest(format!("status `{s}`: expected pending, accepted, rejected or all"))
        })?),
    };
    let list = app.store.proposals(status, q.limit.unwrap_or(100)).await?;
    let mut out = Vec::with_capacity(list.len());
    for p in &list {
        out.push(knowledge::with_diff(&app, p).await?);
    }
    Ok(Json(json!({"proposals": out})))
}

type IdPath = Result<Path<i64>, axum::extract::rejection::PathRejection>;

fn proposal_id(p: IdPath) -> Result<i64, ApiError> {
    p.map(|Path(id)| id).map_err(|_| ApiError::BadRequest("proposal id must be a number".into()))
}

/// An optional JSON body: empty means all defaults.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

pub async fn proposal(State(app): State<Arc<App>>, id: IdPath) -> Result<Json<Value>, ApiError> {
    let id = proposal_id(id)?;
    let p = app.store.proposal(id).await?.ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))?;
    Ok(Json(knowledge::with_diff(&app, &p).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The reviewer's edited SOP record; absent: the proposal as is.
    sop: Option<Value>,
    note: Option<String>,
}

pub async fn accept(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: IdPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (id, b): (i64, AcceptBody) = (proposal_id(id)?, optional_json(&body)?);
    let done = knowledge::accept(&app, id, b.sop, &actor.name, b.note).await?;
    Ok(Json(json!({"proposal": done})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    note: Option<String>,
}

pub async fn reject(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    id: IdPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (id, note) = (proposal_id(id)?, optional_json::<RejectBody>(&body)?.note);
    let done = knowledge::reject(&app, id, &actor.name, note).await?;
    Ok(Json(json!({"proposal": done})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    ids: Vec<i64>,
    accept: bool,
    note: Option<String>,
}

/// Accepts or rejects several proposals; each is decided on its own, and
/// the answer says what happened to each.
pub async fn bulk(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Body(b): Body<BulkBody>,
) -> Result<Json<Value>, ApiError> {
    if b.ids.is_empty() || b.ids.len() > 500 {
        return Err(ApiError::BadRequest("ids: give 1 to 500 proposal ids".into()));
    }
    let mut results = Vec::with_capacity(b.ids.len());
    for id in b.ids {
        let r = if b.accept {
            knowledge::accept(&app, id, None, &actor.name, b.note.clone()).await
        } else {
            knowledge::reject(&app, id, &actor.name, b.note.clone()).await
        };
        results.push(match r {
            Ok(p) => json!({"id": id, "status": p.status, "version": p.version}),
            Err(KnowledgeError::Store(e)) => return Err(e.into()),
            Err(e) => json!({"id": id, "error": e.to_string()}),
        });
    }
    Ok(Json(json!({"results": results})))
}

pub async fn changes(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"changes": app.store.sop_changes(200).await?})))
}

/// The active SOPs with their use metrics and upkeep flags.
pub async fn sops(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let active = app.store.active_sop_versions().await?;
    let metrics = app.store.sop_metrics().await?;
    let now = app.clock.now();
    let list: Vec<Value> = active
        .iter()
        .map(|v| {
            let m = metrics.iter().find(|m| m.sop_id == v.sop_id);
            json!({
                "id": v.sop_id, "title": v.body["title"], "category": v.body["category"], "status": v.status, "version": v.version,
                "source": v.source, "approved_by": v.approved_by,
                "metrics": {
                    "times_used": m.map_or(0, |m| m.times_used),
                    "success_rate": m.and_then(upkeep::success_rate),
                    "overrides": m.map_or(0, |m| m.overrides),
                    "last_success": m.and_then(|m| m.last_success),
                    "last_failure": m.and_then(|m| m.last_failure),
                },
                "flags": upkeep::flags(m, v.created_at, now),
            })
        })
        .collect();
    Ok(Json(json!({"sops": list})))
}

fn sop_id(raw: &str) -> Result<SopId, ApiError> {
    SopId::parse(raw).map_err(|e| ApiError::BadRequest(format!("SOP id: {e}")))
}

pub async fn sop(State(app): State<Arc<App>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = sop_id(&id)?;
    let versions = app.store.sop_versions(id.as_str()).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no SOP {id}")));
    }
    Ok(Json(json!({"id": id, "versions": versions})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    version: i64,
}

pub async fn rollback(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Body(b): Body<RollbackBody>,
) -> Result<Json<Value>, ApiError> {
    let id = sop_id(&id)?;
    let version = knowledge::rollback(&app, &id, b.version, &actor.name).await?;
    Ok(Json(json!({"id": id, "version": version})))
}

pub async fn archive(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = sop_id(&id)?;
    knowledge::archive(&app, &id, &actor.name).await?;
    Ok(Json(json!({"id": id, "status": "archived"})))
}
