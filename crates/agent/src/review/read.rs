//! Strict reading of the tools' input: the shape the schema asks for or
//! [`ReviewError::InvalidOutput`] naming what is wrong. The only repair is
//! mechanical: phrase lists (`triggers.exact`, `misspellings`, `keywords`)
//! are normalised the way the classifier compares them, so "What's the
//! WiFi?" is kept as `whats the wifi`. Validation against the active SOPs
//! (ids, regexes, dependencies, collisions) is the caller's, the same as
//! for uploads.

use std::collections::HashSet;

use clubos_domain::SopId;
use clubos_domain::signals::normalise;
use serde::Deserialize;
use serde_json::Value;

use super::{Finding, FindingKind, ReviewError};
use crate::sop::Sop;

fn bad(why: String) -> ReviewError {
    ReviewError::InvalidOutput(why)
}

/// One SOP record from the tool's input, phrase lists normalised.
fn sop(value: Value, field: &str) -> Result<Sop, ReviewError> {
    let mut sop: Sop = serde_json::from_value(value).map_err(|e| bad(format!("{field}: not an SOP record: {e}")))?;
    for list in [&mut sop.triggers.exact, &mut sop.triggers.misspellings, &mut sop.keywords] {
        let mut seen = HashSet::new();
        *list = list.iter().map(|p| normalise(p)).filter(|p| !p.is_empty() && seen.insert(p.clone())).collect();
    }
    Ok(sop)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Structured {
    sops: Vec<Value>,
}

/// `propose_sops` input: `{"sops": [record, …]}`.
pub fn structured(input: Value) -> Result<Vec<Sop>, ReviewError> {
    let s: Structured = serde_json::from_value(input).map_err(|e| bad(format!("propose_sops input: {e}")))?;
    s.sops.into_iter().enumerate().map(|(i, v)| sop(v, &format!("sops[{i}]"))).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Findings {
    findings: Vec<RawFinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFinding {
    kind: String,
    sops: Vec<String>,
    explanation: String,
    sop: Value,
}

/// `report_findings` input. Each finding names two distinct SOPs of
/// `known` (the changed one and those it was compared with), explains
/// itself, and proposes a record under one of the two ids.
pub fn findings(input: Value, known: &HashSet<SopId>) -> Result<Vec<Finding>, ReviewError> {
    let f: Findings = serde_json::from_value(input).map_err(|e| bad(format!("report_findings input: {e}")))?;
    let mut out = Vec::with_capacity(f.findings.len());
    for (i, raw) in f.findings.into_iter().enumerate() {
        let at = format!("findings[{i}]");
        let kind = match raw.kind.as_str() {
            "conflict" => FindingKind::Conflict,
            "merge" => FindingKind::Merge,
            other => return Err(bad(format!("{at}.kind: `{other}` is neither conflict nor merge"))),
        };
        let [a, b] = <[String; 2]>::try_from(raw.sops)
            .map_err(|v| bad(format!("{at}.sops: {} ids; exactly two are needed", v.len())))?;
        let id = |s: &str| {
            SopId::parse(s)
                .ok()
                .filter(|id| known.contains(id))
                .ok_or_else(|| bad(format!("{at}.sops: `{s}` is not one of the SOPs reviewed")))
        };
        let pair = [id(&a)?, id(&b)?];
        if pair[0] == pair[1] {
            return Err(bad(format!("{at}.sops: the two ids are the same")));
        }
        let explanation = raw.explanation.trim().to_owned();
        if explanation.is_empty() {
            return Err(bad(format!("{at}.explanation is empty")));
        }
        let sop = sop(raw.sop, &format!("{at}.sop"))?;
        if !pair.contains(&sop.id) {
            return Err(bad(format!("{at}.sop: id `{}` must be {} or {}", sop.id, pair[0], pair[1])));
        }
        out.push(Finding { kind, sops: pair, explanation, sop });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    change: Option<Value>,
    explanation: String,
}

/// `propose_sop_change` input: a new version of `flagged` (same id) or
/// null, with the explanation.
pub fn change(input: Value, flagged: &SopId) -> Result<(Option<Sop>, String), ReviewError> {
    let c: Change = serde_json::from_value(input).map_err(|e| bad(format!("propose_sop_change input: {e}")))?;
    let explanation = c.explanation.trim().to_owned();
    let Some(value) = c.change else {
        return Ok((None, explanation));
    };
    let sop = sop(value, "change")?;
    if &sop.id != flagged {
        return Err(bad(format!("change: id `{}` must stay `{flagged}`", sop.id)));
    }
    Ok((Some(sop), explanation))
}
