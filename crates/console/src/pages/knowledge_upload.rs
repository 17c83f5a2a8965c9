//! Uploading a document to the knowledge base from the console: pasted text
//! (a urlencoded form with a file name that sets the format) or a file (a
//! multipart form; its CSRF token rides in the action URL's `_csrf`). Both
//! call the server's `knowledge::upload`, which drafts SOPs into the review
//! queue; the page then shows the drafts and any problems.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use clubos_agent::ingest::Format;
use clubos_server::App;
use clubos_server::auth::Administer;
use clubos_server::knowledge::{self, Uploaded};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::{UPLOAD_LIMIT, refused, render};
use crate::guard::{CSRF_FIELD, Page};
use crate::view::{ConsoleError, csrf_field};

/// The two upload forms (admins only).
pub fn form(page: &Page) -> Markup {
    let token: String = url::form_urlencoded::byte_serialize(page.csrf().as_bytes()).collect();
    html! {
        section aria-labelledby="upload-title" {
            h2 #upload-title { "Upload a document" }
            p.muted {
                "Markdown, plain text, CSV or JSON, up to 1 MiB. Each section, row or record becomes a draft "
                "in the review queue; nothing answers customers until it is accepted."
            }
            div.grid.upload {
                form.card method="post" action={"/knowledge/upload?" (CSRF_FIELD) "=" (token)} enctype="multipart/form-data" {
                    h3 { "A file" }
                    label for="upload-file" { "File (.md, .txt, .csv or .json)" }
                    input #upload-file type="file" name="file" required
                        accept=".md,.markdown,.txt,.text,.csv,.json,text/markdown,text/plain,text/csv,application/json";
                    p { button.primary type="submit" { "Upload file" } }
                }
                form.card method="post" action="/knowledge/upload" {
                    (csrf_field(page.csrf()))
                    h3 { "Pasted text" }
                    label for="upload-name" { "Name (its ending sets the format: .md, .txt, .csv, .json)" }
                    input #upload-name type="text" name="filename" value="pasted.md" required maxlength="200";
                    label for="upload-text" { "Document" }
                    textarea #upload-text name="text" required rows="8" {}
                    p { button.primary type="submit" { "Upload text" } }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasteForm {
    filename: Option<String>,
    text: String,
}

fn bad(m: impl Into<String>) -> ConsoleError {
    ConsoleError::BadRequest(m.into())
}

/// The format from the name's ending, else the part's content type.
fn format_of(name: &str, mime: &str) -> Result<Format, ConsoleError> {
    Format::from_name(name)
        .or_else(|| Format::parse(mime))
        .ok_or_else(|| bad(format!("cannot tell the format of `{name}`: name it .md, .txt, .csv or .json")))
}

/// The first file of a multipart form: (its name, content type, text).
async fn file_of(mut form: Multipart) -> Result<(String, String, Vec<u8>), ConsoleError> {
    let broken = |e: axum::extract::multipart::MultipartError| bad(format!("the upload could not be read: {e}"));
    while let Some(field) = form.next_field().await.map_err(broken)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        if name.is_empty() {
            return Err(bad("choose a file first"));
        }
        let mime = field.content_type().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(broken)?;
        return Ok((name, mime, bytes.to_vec()));
    }
    Err(bad("choose a file first"))
}

/// The document of either form: (name, format, text).
async fn document(req: Request) -> Result<(String, Format, String), ConsoleError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (name, format, bytes) = if content_type.starts_with("multipart/form-data") {
        let form = Multipart::from_request(req, &()).await.map_err(|e| bad(e.body_text()))?;
        let (name, mime, bytes) = file_of(form).await?;
        (name.clone(), format_of(&name, &mime)?, bytes)
    } else {
        let Form(f) = Form::<PasteForm>::from_request(req, &()).await.map_err(|e| bad(e.body_text()))?;
        let name = f.filename.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).unwrap_or("pasted.md".into());
        (name.clone(), format_of(&name, "")?, f.text.into_bytes())
    };
    if bytes.len() > UPLOAD_LIMIT {
        return Err(bad(format!("`{name}` is {} bytes; at most 1 MiB at a time — split it", bytes.len())));
    }
    let text = String::from_utf8(bytes).map_err(|_| bad(format!("`{name}` is not UTF-8 text")))?;
    if text.trim().is_empty() {
        return Err(bad(format!("`{name}` is empty")));
    }
    Ok((name, format, text))
}

/// `POST /knowledge/upload`: pasted text or a file.
pub async fn upload(State(app): State<Arc<App>>, page: Page, req: Request) -> Result<Response, ConsoleError> {
    let grant = page.grant::<Administer>()?;
    let headers = req.headers().clone();
    let (name, format, text) = match document(req).await {
        Ok(d) => d,
        Err(e) => {
            let top = html! { p.error role="alert" { "Nothing was uploaded: " (e) } };
            return render(&app, &page, &headers, top, StatusCode::BAD_REQUEST).await;
        }
    };
    let out = knowledge::upload(&app, &name, format, &text, grant.name()).await.map_err(refused)?;
    let status =
        if out.proposals.is_empty() && out.claude_jobs.is_empty() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(&app, &page, &headers, result(&name, &out), status).await
}

/// What an upload made: its drafts (now in the queue) and its problems.
fn result(name: &str, out: &Uploaded) -> Markup {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    html! {
        section.card.upload-result aria-labelledby="upload-result-title" role="status" {
            h2 #upload-result-title { "Uploaded " code { (name) } }
            @if out.proposals.is_empty() {
                p { "No drafts were made from it." }
            } @else {
                p { (out.proposals.len()) " draft(s) added to the review queue below:" }
                ul {
                    @for d in &out.proposals {
                        li {
                            strong { (text(d, "title")) } " " code { (text(d, "sop_id")) }
                            span.muted { " from " (text(d, "origin")) }
                            @for w in d["warnings"].as_array().into_iter().flatten() {
                                br; span.badge.warn { "Check" } " " (w.as_str().unwrap_or_default())
                            }
                        }
                    }
                }
            }
            @if !out.claude_jobs.is_empty() {
                p { "Claude is structuring it too; its proposals join the queue when done." }
            }
            @if !out.problems.is_empty() {
                h3 { "Problems" }
                ul.problems {
                    @for p in &out.problems {
                        li.error { strong { (text(p, "origin")) } ": " (text(p, "message")) }
                    }
                }
            }
        }
    }
}
