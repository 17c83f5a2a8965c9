//! Parsing of Quo webhook bodies (both envelope generations).

use jiff::Timestamp;
use serde_json::{Map, Value};

/// The event type of an inbound text.
pub const MESSAGE_RECEIVED: &str = "message.received";

/// Which envelope a body used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvelopeShape {
    /// `{"id","object":"event","apiVersion","createdAt","type","data":{"object":…}}`
    Legacy,
    /// The legacy envelope wrapped once more in `{"object": …}`.
    LegacyWrapped,
    /// `{"id","apiVersion":"2026-03-30","createdAt","type","data":{"resource","context","links"}}`
    V2,
}

/// One webhook event. Phone strings are passed through raw; the caller
/// normalises them to E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The envelope `id`: stable across retries (and, in the new system,
    /// across payload versions).
    pub event_id: String,
    pub event_type: String,
    /// When the underlying event happened. `None` if absent or unparsable.
    pub created_at: Option<Timestamp>,
    pub api_version: Option<String>,
    pub shape: EnvelopeShape,
    /// `Some` only for `message.received`.
    pub message: Option<InboundMessage>,
}

/// The text a customer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub message_id: String,
    /// The customer's number, raw.
    pub from: String,
    /// The facility's number (first recipient), raw.
    pub to: String,
    /// Exactly as sent; empty for a media-only message.
    pub body: String,
    /// `None` if absent or unparsable.
    pub created_at: Option<Timestamp>,
    pub phone_number_id: Option<String>,
    pub conversation_id: Option<String>,
}

/// Why a body could not be read. Paths are dotted JSON paths from the root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body is not valid JSON: {reason}")]
    NotJson { line: usize, column: usize, reason: String },
    #[error("missing field `{0}`")]
    MissingField(String),
    #[error("field `{path}` has the wrong type: expected {expected}, found {found}")]
    WrongType { path: String, expected: &'static str, found: &'static str },
    #[error("field `{0}` is an empty list")]
    EmptyList(String),
}

/// Reads a webhook body of either generation. Only `message.received`
/// events are looked into; other types yield `message: None`.
pub fn parse_event(raw_body: &[u8]) -> Result<Event, ParseError> {
    let value: Value = serde_json::from_slice(raw_body).map_err(|e| ParseError::NotJson {
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    let Value::Object(top) = &value else {
        return Err(wrong_type("(body)", "object", &value));
    };

    // `{"object": {…envelope…}}`: unwrap exactly once. The plain legacy
    // envelope has `"object": "event"` (a string) and a `type`.
    let (env, base, wrapped) = match top.get("object") {
        Some(Value::Object(inner)) if !top.contains_key("type") => (inner, "object", true),
        _ => (top, "", false),
    };

    let event_id = req_str(env, base, "id")?.to_owned();
    let event_type = req_str(env, base, "type")?.to_owned();
    let created_at = opt_ts(env, base, "createdAt")?;
    let api_version = opt_str(env, base, "apiVersion")?.map(str::to_owned);
    let data_path = join(base, "data");
    let data = req_obj(env, base, "data")?;

    let shape = if data.contains_key("resource") {
        EnvelopeShape::V2
    } else if wrapped {
        EnvelopeShape::LegacyWrapped
    } else {
        EnvelopeShape::Legacy
    };

    let message = if event_type == MESSAGE_RECEIVED {
        Some(match shape {
            EnvelopeShape::V2 => v2_message(data, &data_path)?,
            EnvelopeShape::Legacy | EnvelopeShape::LegacyWrapped => {
                if !data.contains_key("object") && looks_like_v2(api_version.as_deref()) {
                    return Err(ParseError::MissingField(join(&data_path, "resource")));
                }
                legacy_message(req_obj(data, &data_path, "object")?, &join(&data_path, "object"))?
            }
        })
    } else {
        None
    };

    Ok(Event { event_id, event_type, created_at, api_version, shape, message })
}

/// New-system versions are dates (`2026-03-30`); legacy ones are `v2`…`v4`.
fn looks_like_v2(api_version: Option<&str>) -> bool {
    api_version.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

/// `data.object` of a legacy `message.received`. App-created webhooks send
/// `to` as a string and the text in `body`; API-created ones (apiVersion v4)
/// send `to` as a list and the text in `text`. Both are accepted.
fn legacy_message(m: &Map<String, Value>, p: &str) -> Result<InboundMessage, ParseError> {
    let body = match opt_str(m, p, "body")? {
        Some(b) => b,
        None => opt_str(m, p, "text")?.unwrap_or(""),
    };
    Ok(InboundMessage {
        message_id: req_str(m, p, "id")?.to_owned(),
        from: req_str(m, p, "from")?.to_owned(),
        to: first_recipient(m, p, "to")?.ok_or_else(|| ParseError::MissingField(join(p, "to")))?,
        body: body.to_owned(),
        created_at: opt_ts(m, p, "createdAt")?,
        phone_number_id: opt_str(m, p, "phoneNumberId")?.map(str::to_owned),
        conversation_id: opt_str(m, p, "conversationId")?.map(str::to_owned),
    })
}

/// `data` of a new-system `message.received`: the message is
/// `data.resource` (`id`, `text`, `createdAt`), the parties are in
/// `data.context` (`senderIdentifier`, `recipientIdentifiers`). A
/// `resource.from` / `resource.to` is used if the context lacks them.
fn v2_message(data: &Map<String, Value>, dp: &str) -> Result<InboundMessage, ParseError> {
    let rp = join(dp, "resource");
    let r = req_obj(data, dp, "resource")?;
    let cp = join(dp, "context");
    let ctx = opt_obj(data, dp, "context")?;

    let from = match ctx.map(|c| opt_str(c, &cp, "senderIdentifier")).transpose()?.flatten() {
        Some(s) => s.to_owned(),
        None => {
            opt_str(r, &rp, "from")?.ok_or_else(|| ParseError::MissingField(join(&cp, "senderIdentifier")))?.to_owned()
        }
    };
    let to = match ctx.map(|c| first_recipient(c, &cp, "recipientIdentifiers")).transpose()?.flatten() {
        Some(s) => s,
        None => {
            first_recipient(r, &rp, "to")?.ok_or_else(|| ParseError::MissingField(join(&cp, "recipientIdentifiers")))?
        }
    };
    let ctx_str = |key: &str| -> Result<Option<String>, ParseError> {
        Ok(ctx.map(|c| opt_str(c, &cp, key)).transpose()?.flatten().map(str::to_owned))
    };
    Ok(InboundMessage {
        message_id: req_str(r, &rp, "id")?.to_owned(),
        from,
        to,
        body: opt_str(r, &rp, "text")?.unwrap_or("").to_owned(),
        created_at: opt_ts(r, &rp, "createdAt")?,
        phone_number_id: ctx_str("phoneNumberId")?,
        conversation_id: ctx_str("conversationId")?,
    })
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() { key.to_owned() } else { format!("{base}.{key}") }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(path: &str, expected: &'static str, found: &Value) -> ParseError {
    ParseError::WrongType { path: path.to_owned(), expected, found: type_name(found) }
}

fn req_str<'a>(m: &'a Map<String, Value>, base: &str, key: &str) -> Result<&'a str, ParseError> {
    opt_str(m, base, key)?.ok_or_else(|| ParseError::MissingField(join(base, key)))
}

/// Missing or `null` is `None`; any other non-string is an error.
fn opt_str<'a>(m: &'a Map<String, Value>, base: &str, key: &str) -> Result<Option<&'a str>, ParseError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(&join(base, key), "string", other)),
    }
}

fn req_obj<'a>(m: &'a Map<String, Value>, base: &str, key: &str) -> Result<&'a Map<String, Value>, ParseError> {
    opt_obj(m, base, key)?.ok_or_else(|| ParseError::MissingField(join(base, key)))
}

fn opt_obj<'a>(m: &'a Map<String, Value>, base: &str, key: &str) -> Result<Option<&'a Map<String, Value>>, ParseError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(wrong_type(&join(base, key), "object", other)),
    }
}

/// A timestamp string; an unparsable one is `None` rather than an error, so
/// an odd `createdAt` never costs a customer's message.
fn opt_ts(m: &Map<String, Value>, base: &str, key: &str) -> Result<Option<Timestamp>, ParseError> {
    Ok(opt_str(m, base, key)?.and_then(|s| s.parse().ok()))
}

/// A string, or the first element of a list of strings.
fn first_recipient(m: &Map<String, Value>, base: &str, key: &str) -> Result<Option<String>, ParseError> {
    let path = join(base, key);
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(items)) => match items.first() {
            None => Err(ParseError::EmptyList(path)),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(wrong_type(&format!("{path}[0]"), "string", other)),
        },
        Some(other) => Err(wrong_type(&path, "string or list of strings", other)),
    }
}
