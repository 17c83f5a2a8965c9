//! Local ingestion: uploaded text, markdown, CSV or JSON turned into draft
//! SOPs for review (never active ones), without a language model.
//!
//! Documents are split by headings (else by paragraphs) and list items;
//! tables and JSON by row. Each part gets a guessed category and action, a
//! unique id, an SMS-sized reply and triggers from the customer phrasings it
//! lists, and goes through [`Sop::validate`] like every SOP. Parts that give
//! no draft are listed as [`Problem`]s; trigger collisions with current SOPs
//! are warnings on the draft.
//!
//! ```
//! use clubos_agent::ingest::{Format, ingest};
//!
//! let doc = "## Club rentals\nRental sets are free with every bay booking.\n- Do you rent clubs?\n";
//! let got = ingest("rules.md", Format::Markdown, doc, &clubos_agent::load_starter_sops());
//! assert_eq!(got.drafts[0].sop.id.as_str(), "faq.club_rentals");
//! assert_eq!(got.drafts[0].sop.triggers.exact, ["do you rent clubs", "club rentals"]);
//! ```

mod build;
mod guess;
mod table;
mod text;

use std::collections::{HashMap, HashSet};

use clubos_domain::SopId;

use crate::sop::Sop;
use build::Fields;

pub use build::MAX_REPLY_CHARS;

/// Largest upload read, in bytes (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Most drafts one upload gives; later parts are reported, not read.
pub const MAX_DRAFTS: usize = 500;
/// Most problems listed for one upload (then one saying how many more).
pub const MAX_PROBLEMS: usize = 500;
/// Most trigger-collision warnings on one draft (then one saying how many more).
const MAX_COLLISION_WARNINGS: usize = 10;

/// The kind of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
    Csv,
    Json,
}

impl Format {
    /// From a file name's extension (`.md`/`.markdown`, `.txt`, `.csv`,
    /// `.json`, any case); `None` if unknown.
    pub fn from_name(name: &str) -> Option<Format> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "txt" | "text" => Some(Format::Text),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// From a MIME type (parameters such as `; charset=utf-8` ignored) or a
    /// short name: `text/markdown`, `markdown`, `md`, `text/csv`, `csv`,
    /// `application/json`, `json`, `text/plain`, `text`, `txt`.
    pub fn parse(s: &str) -> Option<Format> {
        let essence = s.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/markdown" | "text/x-markdown" | "markdown" | "md" => Some(Format::Markdown),
            "text/plain" | "text" | "txt" | "plain" => Some(Format::Text),
            "text/csv" | "application/csv" | "csv" => Some(Format::Csv),
            "application/json" | "text/json" | "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The short name: `text`, `markdown`, `csv`, `json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A proposed SOP from an upload, valid (`Sop::validate` against the current
/// ids and the other drafts) but not active.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Draft {
    pub sop: Sop,
    /// Where it came from, e.g. `house-rules.md § Guests`, `prices.csv row 4`.
    pub origin: String,
    /// What a reviewer should check, e.g. "trigger `door code` is already a
    /// trigger of access.door_code".
    pub warnings: Vec<String>,
}

/// A part of an upload that produced no draft, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub origin: String,
    pub message: String,
}

/// What an upload gave: drafts for review and the parts that gave none.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Ingested {
    pub drafts: Vec<Draft>,
    pub problems: Vec<Problem>,
}

/// Turns uploaded text into draft SOPs, never active ones. `existing` is the
/// current SOP set (for id uniqueness, dependency checks and trigger
/// collisions). Never fails as a whole: what could not be used is listed in
/// [`Ingested::problems`].
pub fn ingest(source_name: &str, format: Format, text: &str, existing: &[Sop]) -> Ingested {
    if text.len() > MAX_INPUT_BYTES {
        let message = format!(
            "the upload is {} bytes; at most {MAX_INPUT_BYTES} bytes (1 MiB) are read at once — split it into smaller files",
            text.len()
        );
        return Ingested { drafts: Vec::new(), problems: vec![Problem { origin: source_name.to_owned(), message }] };
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Collector::new(source_name);
    match format {
        Format::Markdown => text::markdown(text, &mut out),
        Format::Text => text::plain(text, &mut out),
        Format::Csv => table::csv(text, &mut out),
        Format::Json => table::json(text, &mut out),
    }
    finish(out, existing)
}

/// Checks SOP records proposed from elsewhere (Claude's answers) exactly as
/// full records in an uploaded JSON file are checked: ids unique within the
/// batch, [`Sop::validate`] against `existing` and the batch, "replaces the
/// current version" and trigger-collision warnings. Each record comes with
/// its origin; records that fail are [`Problem`]s.
pub fn check_records(source_name: &str, records: Vec<(Sop, String)>, existing: &[Sop]) -> Ingested {
    let mut out = Collector::new(source_name);
    for (sop, origin) in records {
        out.part(origin, Part::Full(Box::new(sop), Vec::new()));
    }
    finish(out, existing)
}

/// A part of an upload before it gets its id and is validated.
#[derive(Debug)]
pub(crate) enum Part {
    /// A full SOP record (JSON), with warnings about what was left out.
    Full(Box<Sop>, Vec<String>),
    /// Fields from a section, row or simple object.
    Simple(Fields),
}

/// The parts and problems of one upload, in the order found.
#[derive(Debug)]
pub(crate) struct Collector {
    source: String,
    entries: Vec<(String, Result<Part, String>)>,
    parts: usize,
    dropped: usize,
}

impl Collector {
    fn new(source: &str) -> Self {
        Collector { source: source.to_owned(), entries: Vec::new(), parts: 0, dropped: 0 }
    }

    /// `<source> <where>`, e.g. `prices.csv row 4`.
    pub(crate) fn origin(&self, place: &str) -> String {
        format!("{} {place}", self.source)
    }

    /// The upload as a whole.
    pub(crate) fn whole(&self) -> String {
        self.source.clone()
    }

    pub(crate) fn part(&mut self, origin: String, part: Part) {
        if self.parts >= MAX_DRAFTS {
            self.dropped += 1;
            return;
        }
        self.parts += 1;
        self.entries.push((origin, Ok(part)));
    }

    pub(crate) fn simple(&mut self, origin: String, fields: Fields) {
        self.part(origin, Part::Simple(fields));
    }

    pub(crate) fn problem(&mut self, origin: String, message: impl Into<String>) {
        self.entries.push((origin, Err(message.into())));
    }
}

/// A drafted section about an SOP that exists already: its next version
/// takes the new title and reply and adds the new phrasings to the curated
/// triggers, which it keeps (regexes, misspellings, context, dependencies);
/// the actions stay as they are, with a warning when the text suggests others.
fn merge_into(current: &Sop, new: Sop, mut warnings: Vec<String>) -> (Sop, Vec<String>) {
    let mut next = current.clone();
    next.title = new.title;
    next.reply = new.reply;
    let union = |mut have: Vec<String>, add: Vec<String>| {
        for a in add {
            if !have.contains(&a) {
                have.push(a);
            }
        }
        have
    };
    next.triggers.exact = union(next.triggers.exact, new.triggers.exact);
    next.triggers.variants = union(next.triggers.variants, new.triggers.variants);
    next.keywords = union(next.keywords, new.keywords);
    warnings.insert(0, format!("replaces the current version of {}", current.id));
    if (new.primary_action, new.fallback_action) != (current.primary_action, current.fallback_action) {
        warnings.push(format!(
            "the text suggests `{}`; the current action `{}` is kept (edit the draft to change it)",
            new.primary_action.as_str(),
            current.primary_action.as_str()
        ));
    }
    (next, warnings)
}

/// Ids, validation and collision warnings for the collected parts.
fn finish(out: Collector, existing: &[Sop]) -> Ingested {
    let existing_ids: HashSet<SopId> = existing.iter().map(|s| s.id.clone()).collect();
    // Full records keep their ids; a generated id that names a current SOP
    // proposes its next version (merged below); generated ids avoid the
    // full records' ids and each other.
    let mut taken = HashSet::new();
    let mut full_ids = HashSet::new();
    let mut entries = Vec::with_capacity(out.entries.len());
    for (origin, entry) in out.entries {
        let entry = match entry {
            Ok(Part::Full(sop, _)) if !full_ids.insert(sop.id.clone()) => {
                Err(format!("id `{}` appears more than once in this upload; only the first is kept", sop.id))
            }
            other => other,
        };
        if let Ok(Part::Full(sop, _)) = &entry {
            taken.insert(sop.id.clone());
        }
        entries.push((origin, entry));
    }
    let mut candidates: Vec<Draft> = Vec::new();
    let mut problems = Vec::new();
    for (origin, entry) in entries {
        let built = entry.and_then(|part| match part {
            Part::Full(sop, mut warnings) => {
                if existing_ids.contains(&sop.id) {
                    warnings.insert(0, format!("replaces the current version of {}", sop.id));
                }
                Ok((*sop, warnings))
            }
            Part::Simple(fields) => {
                build::build(fields, &mut taken).map(|(sop, warnings)| match existing.iter().find(|e| e.id == sop.id) {
                    Some(current) => merge_into(current, sop, warnings),
                    None => (sop, warnings),
                })
            }
        });
        match built {
            Ok((sop, warnings)) => candidates.push(Draft { sop, origin, warnings }),
            Err(message) => problems.push(Problem { origin, message }),
        }
    }
    if out.dropped > 0 {
        problems.push(Problem {
            origin: out.source.clone(),
            message: format!(
                "at most {MAX_DRAFTS} drafts are made from one upload; {} more parts were not read — split the file",
                out.dropped
            ),
        });
    }

    let mut known = existing_ids;
    known.extend(candidates.iter().map(|d| d.sop.id.clone()));
    let mut drafts = Vec::with_capacity(candidates.len());
    for draft in candidates {
        match draft.sop.validate(&known) {
            Ok(()) => drafts.push(draft),
            Err(e) => problems.push(Problem { origin: draft.origin, message: e.to_string() }),
        }
    }
    warn_collisions(&mut drafts, existing);

    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem { origin: out.source.clone(), message: format!("… and {more} more problems") });
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(Problem {
            origin: out.source,
            message: "nothing to import: no headings, paragraphs, rows or records were found".into(),
        });
    }
    Ingested { drafts, problems }
}

/// Warns on each draft whose exact triggers are exact triggers of a current
/// SOP (other than the one it replaces) or of another draft.
fn warn_collisions(drafts: &mut [Draft], existing: &[Sop]) {
    let owners = |sops: &mut dyn Iterator<Item = &Sop>| {
        let mut map: HashMap<String, Vec<SopId>> = HashMap::new();
        for sop in sops {
            for t in &sop.triggers.exact {
                let ids = map.entry(t.clone()).or_default();
                if !ids.contains(&sop.id) {
                    ids.push(sop.id.clone());
                }
            }
        }
        map
    };
    let current = owners(&mut existing.iter());
    let uploaded = owners(&mut drafts.iter().map(|d| &d.sop));
    for draft in drafts.iter_mut() {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        for t in &draft.sop.triggers.exact {
            if !seen.insert(t) {
                continue;
            }
            for id in current.get(t).into_iter().flatten().filter(|id| **id != draft.sop.id) {
                found.push(format!("trigger `{t}` is already a trigger of {id}"));
            }
            for id in uploaded.get(t).into_iter().flatten().filter(|id| **id != draft.sop.id) {
                found.push(format!("trigger `{t}` is also a trigger of {id} in this upload"));
            }
        }
        if found.len() > MAX_COLLISION_WARNINGS {
            let more = found.len() - MAX_COLLISION_WARNINGS;
            found.truncate(MAX_COLLISION_WARNINGS);
            found.push(format!("… and {more} more trigger collisions"));
        }
        draft.warnings.extend(found);
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
