//! SOP records: the structured knowledge OperatorGPT applies (schema of
//! `data/sops/*.json`), their validation, and the embedded starter set.

use std::collections::HashSet;
use std::fmt;

use clubos_domain::signals::normalise;
use clubos_domain::time::{LocalTime, TimeWindow};
use clubos_domain::{BayNumber, Category, LocationId, Proposal, SopId, SubIntent};

/// Largest compiled size of one trigger regex (bytes of the compiled program).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest trigger regex accepted, in bytes of source.
pub const REGEX_MAX_LEN: usize = 1_000;

/// A standard operating procedure: when it applies (triggers, keywords,
/// context) and what OperatorGPT does (actions and the reply).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sop {
    /// `<category>.<subcategory>`, e.g. `tech.trackman_frozen`.
    pub id: SopId,
    pub title: String,
    pub category: Category,
    pub subcategory: SubIntent,
    pub triggers: SopTriggers,
    /// Single words that count as evidence (normalised).
    pub keywords: Vec<String>,
    pub primary_action: SopAction,
    pub fallback_action: Option<SopAction>,
    /// SMS sent when the SOP is applied (with or after the action).
    pub reply: String,
    pub context: SopContext,
    /// Ids of SOPs this one builds on.
    pub dependencies: Vec<SopId>,
}

/// The patterns that make an SOP match a text.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SopTriggers {
    /// Normalised phrases matched by (word-boundary) containment.
    pub exact: Vec<String>,
    /// Rust `regex` patterns run on the lowercased original text.
    pub regex: Vec<String>,
    /// Other phrasings, used for similarity.
    pub variants: Vec<String>,
    /// Common misspellings of key words (normalised).
    pub misspellings: Vec<String>,
}

/// Where and when an SOP applies.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SopContext {
    /// Locations the SOP is limited to; empty means every location.
    pub locations: Vec<LocationId>,
    /// Local-time window `{"start":"HH:MM","end":"HH:MM"}` (may cross
    /// midnight), or `null` for any time.
    #[serde(with = "window_serde")]
    pub time_window: Option<TimeWindow>,
    /// Last local date (inclusive) on which the SOP applies, `YYYY-MM-DD`.
    pub valid_until: Option<jiff::civil::Date>,
}

/// What an SOP does: the device action or message it proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SopAction {
    ResetTrackman,
    RebootPc,
    UnlockDoor,
    SendReply,
    Escalate,
}

impl SopAction {
    pub const ALL: &'static [SopAction] = &[
        SopAction::ResetTrackman,
        SopAction::RebootPc,
        SopAction::UnlockDoor,
        SopAction::SendReply,
        SopAction::Escalate,
    ];

    /// The canonical name (`reset_trackman`, …, `escalate`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SopAction::ResetTrackman => "reset_trackman",
            SopAction::RebootPc => "reboot_pc",
            SopAction::UnlockDoor => "unlock_door",
            SopAction::SendReply => "send_reply",
            SopAction::Escalate => "escalate",
        }
    }

    /// The proposal this action makes; `bay` is the bay named in the text,
    /// if any (the policy falls back to the booked bay).
    pub fn to_proposal(self, bay: Option<BayNumber>) -> Proposal {
        match self {
            SopAction::ResetTrackman => Proposal::ResetTrackman { bay },
            SopAction::RebootPc => Proposal::RebootPc { bay },
            SopAction::UnlockDoor => Proposal::UnlockDoor { door: None },
            SopAction::SendReply => Proposal::Reply,
            SopAction::Escalate => Proposal::Escalate,
        }
    }
}

impl fmt::Display for SopAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SOP that is well-formed JSON but unusable: names the SOP, the field
/// (e.g. `triggers.regex[2]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOP `{sop}`, field `{field}`: {problem}")]
pub struct SopError {
    pub sop: String,
    pub field: String,
    pub problem: String,
}

/// Why a set of SOPs could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SopLoadError {
    #[error("{source_name}: not a JSON array of SOP records: {error}")]
    Parse {
        source_name: String,
        #[source]
        error: serde_json::Error,
    },
    #[error(transparent)]
    Invalid(#[from] SopError),
}

impl Sop {
    /// The `<category>.<subcategory>` prefix the id must start with.
    pub fn expected_id_prefix(&self) -> String {
        format!("{}.{}", self.category, self.subcategory)
    }

    /// Checks what the JSON schema cannot: regexes compile (size-limited),
    /// the id matches category and subcategory, title and reply are not
    /// empty, phrase lists are normalised, and every dependency is in `known`.
    pub fn validate(&self, known: &HashSet<SopId>) -> Result<(), SopError> {
        let err = |field: String, problem: String| SopError { sop: self.id.to_string(), field, problem };
        let prefix = self.expected_id_prefix();
        let id = self.id.as_str();
        let id_ok = id == prefix
            || id.strip_prefix(prefix.as_str()).is_some_and(|rest| rest.starts_with('.') && rest.len() > 1);
        if !id_ok {
            return Err(err(
                "id".into(),
                format!("must be `{prefix}` (or start with `{prefix}.`), from category and subcategory"),
            ));
        }
        if self.title.trim().is_empty() {
            return Err(err("title".into(), "must not be empty".into()));
        }
        if self.reply.trim().is_empty() {
            return Err(err("reply".into(), "must not be empty".into()));
        }
        for (i, pattern) in self.triggers.regex.iter().enumerate() {
            check_regex(pattern).map_err(|why| err(format!("triggers.regex[{i}]"), why))?;
        }
        let lists: [(&str, &[String]); 3] = [
            ("triggers.exact", &self.triggers.exact),
            ("triggers.misspellings", &self.triggers.misspellings),
            ("keywords", &self.keywords),
        ];
        for (name, list) in lists {
            for (i, phrase) in list.iter().enumerate() {
                let n = normalise(phrase);
                if n.is_empty() {
                    return Err(err(format!("{name}[{i}]"), "must contain a letter or digit".into()));
                }
                if n != *phrase {
                    return Err(err(
                        format!("{name}[{i}]"),
                        format!("`{phrase}` is not normalised; write it as `{n}`"),
                    ));
                }
            }
        }
        for (i, v) in self.triggers.variants.iter().enumerate() {
            if normalise(v).is_empty() {
                return Err(err(format!("triggers.variants[{i}]"), "must contain a letter or digit".into()));
            }
        }
        for (i, dep) in self.dependencies.iter().enumerate() {
            if dep == &self.id {
                return Err(err(format!("dependencies[{i}]"), "an SOP cannot depend on itself".into()));
            }
            if !known.contains(dep) {
                return Err(err(format!("dependencies[{i}]"), format!("unknown SOP `{dep}`")));
            }
        }
        Ok(())
    }
}

/// Compiles a trigger regex the way the classifier will, with size limits.
fn check_regex(pattern: &str) -> Result<(), String> {
    if pattern.len() > REGEX_MAX_LEN {
        return Err(format!("regex is {} bytes; at most {REGEX_MAX_LEN}", pattern.len()));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map(drop)
        .map_err(|e| format!("regex does not compile: {e}"))
}

/// Validates a whole set: each SOP, unique ids, dependencies inside the set.
pub fn validate_all(sops: &[Sop]) -> Result<(), SopError> {
    let mut known = HashSet::with_capacity(sops.len());
    for sop in sops {
        if !known.insert(sop.id.clone()) {
            return Err(SopError { sop: sop.id.to_string(), field: "id".into(), problem: "duplicate id".into() });
        }
    }
    sops.iter().try_for_each(|s| s.validate(&known))
}

/// Parses one JSON array of SOP records (not yet validated as a set).
pub fn parse_sops(source_name: &str, json: &str) -> Result<Vec<Sop>, SopLoadError> {
    serde_json::from_str(json).map_err(|error| SopLoadError::Parse { source_name: source_name.to_owned(), error })
}

/// The four starter files, embedded at build time.
pub const STARTER_SOP_FILES: &[(&str, &str)] = &[
    ("data/sops/tech.json", include_str!("../../../data/sops/tech.json")),
    ("data/sops/access.json", include_str!("../../../data/sops/access.json")),
    ("data/sops/booking.json", include_str!("../../../data/sops/booking.json")),
    ("data/sops/faq.json", include_str!("../../../data/sops/faq.json")),
];

/// Parses and validates the embedded starter files.
pub fn try_load_starter_sops() -> Result<Vec<Sop>, SopLoadError> {
    let mut all = Vec::new();
    for (name, json) in STARTER_SOP_FILES {
        all.extend(parse_sops(name, json)?);
    }
    validate_all(&all)?;
    Ok(all)
}

/// The embedded starter SOPs (tech, access, booking, faq), parsed and
/// validated. They are compiled in and covered by a unit test, so this
/// cannot fail at run time.
pub fn load_starter_sops() -> Vec<Sop> {
    try_load_starter_sops().expect("the embedded starter SOPs are valid (unit-tested)")
}

/// `Option<TimeWindow>` as `null` or `{"start":"HH:MM","end":"HH:MM"}`.
mod window_serde {
    use super::{LocalTime, TimeWindow};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        start: String,
        end: String,
    }

    pub fn serialize<S: Serializer>(w: &Option<TimeWindow>, s: S) -> Result<S::Ok, S::Error> {
        w.map(|w| Raw { start: w.start.to_string(), end: w.end.to_string() }).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimeWindow>, D::Error> {
        use serde::de::Error;
        let Some(raw) = Option::<Raw>::deserialize(d)? else {
            return Ok(None);
        };
        let start = LocalTime::parse(&raw.start).map_err(D::Error::custom)?;
        let end = LocalTime::parse(&raw.end).map_err(D::Error::custom)?;
        TimeWindow::new(start, end).map(Some).map_err(D::Error::custom)
    }
}

#[cfg(test)]
#[path = "sop_tests.rs"]
mod tests;
