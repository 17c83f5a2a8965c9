//! Claude's SOP work over Anthropic's Messages API (DESIGN §2: ingestion,
//! conflict detection, merge suggestions, flagged feedback): each task
//! forces one tool with `tool_choice` and reads its input strictly.
//!
//! - [`Claude::structure`] — an uploaded document → SOP records (`propose_sops`);
//! - [`Claude::review`] — a changed SOP and the active SOPs it overlaps →
//!   conflicts and merge suggestions, each with a proposed record (`report_findings`);
//! - [`Claude::feedback`] — a flagged conversation → a new version of the
//!   SOP applied, or none (`propose_sop_change`).
//!
//! Nothing here stores or activates anything: the caller validates what
//! comes back with the same code as uploads (`ingest::check_records`) and
//! puts it in the review queue for a human. Failures are typed
//! ([`ReviewError`]) so the caller can tell an outage (wait, keep the job)
//! from an answer that will not get better.

mod error;
mod read;
pub mod tools;
mod wire;

use std::collections::HashSet;
use std::time::Duration;

use clubos_domain::SopId;

pub use error::ReviewError;
/// The strict readers of the tools' input, exposed for the fuzz targets
/// (`fuzz/`); not an API.
#[doc(hidden)]
pub use read::{change as read_change, findings as read_findings, structured as read_structured};

use crate::sop::Sop;

/// Where and how to call Claude for SOP work.
#[derive(Clone)]
pub struct ReviewSettings {
    /// API root, e.g. `https://api.anthropic.com`.
    pub base_url: String,
    pub api_key: String,
    pub model: String,
    /// Output limit of one call (a document can give many records).
    pub max_tokens: u32,
    /// Limit on one whole call; nobody waits on it but the queue.
    pub timeout: Duration,
}

impl ReviewSettings {
    /// Output limit by default: room for the records of one document part
    /// (about 50 SOPs).
    pub const DEFAULT_MAX_TOKENS: u32 = 16_384;
    /// Call limit by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(240);

    pub fn new(base_url: &str, api_key: &str, model: &str) -> Self {
        Self {
            base_url: base_url.to_owned(),
            api_key: api_key.to_owned(),
            model: model.to_owned(),
            max_tokens: Self::DEFAULT_MAX_TOKENS,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for ReviewSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The client for Claude's SOP work.
#[derive(Debug)]
pub struct Claude {
    http: reqwest::Client,
    url: String,
    settings: ReviewSettings,
}

/// A task's result with the tokens the call used.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub value: T,
    pub tokens_in: u32,
    pub tokens_out: u32,
}

/// What a review found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Two SOPs would answer the same text differently; `sop` is a new
    /// version of one of them that removes the conflict.
    Conflict,
    /// Two SOPs cover the same case; `sop` is the merged record under one
    /// of the two ids (the other is to be archived once it is accepted).
    Merge,
}

/// One conflict or merge suggestion, with its explanation for the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// The two SOPs concerned.
    pub sops: [SopId; 2],
    pub explanation: String,
    /// The proposed record (its id is one of `sops`).
    pub sop: Sop,
}

/// A flagged conversation: the SOP applied, what was decided, the
/// messages (`("customer" | "reply", text)`, oldest first) and the
/// operator's note.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackCase {
    pub sop: Sop,
    /// One line, e.g. `reply (matched faq.hours): "We're open 24/7 …"`.
    pub decision: String,
    pub messages: Vec<(String, String)>,
    pub note: String,
}

impl Claude {
    pub fn new(settings: ReviewSettings) -> Result<Self, ReviewError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ReviewError::Unavailable(format!("building the HTTP client: {e}")))?;
        let url = format!("{}/v1/messages", settings.base_url.trim_end_matches('/'));
        Ok(Self { http, url, settings })
    }

    /// The model asked.
    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// Proposes SOP records for the document `text` (named `document`);
    /// `existing` are the active SOPs (listed by id and title, so a rule
    /// they hold is proposed as their next version, not a duplicate).
    pub async fn structure(
        &self,
        document: &str,
        text: &str,
        existing: &[Sop],
    ) -> Result<Answer<Vec<Sop>>, ReviewError> {
        let call = wire::Call {
            system: tools::structure_system(),
            user: tools::structure_user(document, text, existing),
            tool: tools::STRUCTURE_TOOL,
            description: tools::STRUCTURE_DESCRIPTION,
            schema: tools::structure_schema(),
        };
        let got = wire::call(self, call).await?;
        Ok(Answer { value: read::structured(got.input)?, tokens_in: got.tokens_in, tokens_out: got.tokens_out })
    }

    /// Compares `changed` with the active SOPs that overlap it.
    pub async fn review(&self, changed: &Sop, overlapping: &[Sop]) -> Result<Answer<Vec<Finding>>, ReviewError> {
        let known: HashSet<SopId> = std::iter::once(changed).chain(overlapping).map(|s| s.id.clone()).collect();
        let call = wire::Call {
            system: tools::review_system(),
            user: tools::review_user(changed, overlapping),
            tool: tools::REVIEW_TOOL,
            description: tools::REVIEW_DESCRIPTION,
            schema: tools::review_schema(),
        };
        let got = wire::call(self, call).await?;
        Ok(Answer { value: read::findings(got.input, &known)?, tokens_in: got.tokens_in, tokens_out: got.tokens_out })
    }

    /// A new version of the flagged SOP (same id), or `None` when Claude
    /// finds the SOP not at fault; with Claude's explanation either way.
    pub async fn feedback(&self, case: &FeedbackCase) -> Result<Answer<(Option<Sop>, String)>, ReviewError> {
        let call = wire::Call {
            system: tools::feedback_system(),
            user: tools::feedback_user(case),
            tool: tools::FEEDBACK_TOOL,
            description: tools::FEEDBACK_DESCRIPTION,
            schema: tools::feedback_schema(),
        };
        let got = wire::call(self, call).await?;
        Ok(Answer {
            value: read::change(got.input, &case.sop.id)?,
            tokens_in: got.tokens_in,
            tokens_out: got.tokens_out,
        })
    }
}

#[cfg(test)]
mod tests;
