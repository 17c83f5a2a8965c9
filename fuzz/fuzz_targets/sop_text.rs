//! Fuzzes the SOP upload parser for text (`ingest::ingest` with `Format::Text`, against the starter SOPs), as `POST /api/knowledge/uploads` and `clubos sop import` run it.
#![no_main]

use clubos_agent::ingest::{Format, MAX_DRAFTS, MAX_PROBLEMS, ingest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let got = ingest("upload.txt", Format::Text, text, clubos_fuzz::starter_sops());
    assert!(got.drafts.len() <= MAX_DRAFTS, "{} drafts", got.drafts.len());
    assert!(got.problems.len() <= MAX_PROBLEMS + 1, "{} problems", got.problems.len());
});
