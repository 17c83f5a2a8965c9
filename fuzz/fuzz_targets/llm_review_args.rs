//! Fuzzes Claude's SOP-work tool inputs (`propose_sops`, `report_findings`, `propose_sop_change` read by `review::read_*`), then checks the records as the review queue does (`ingest::check_records`).
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use clubos_agent::ingest::check_records;
use clubos_agent::review::{read_change, read_findings, read_structured};
use clubos_domain::SopId;
use libfuzzer_sys::fuzz_target;

fn known() -> &'static HashSet<SopId> {
    static K: OnceLock<HashSet<SopId>> = OnceLock::new();
    K.get_or_init(|| clubos_fuzz::starter_sops().iter().map(|s| s.id.clone()).collect())
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let starter = clubos_fuzz::starter_sops();
    let mut records = Vec::new();
    if let Ok(sops) = read_structured(value.clone()) {
        records.extend(sops.into_iter().enumerate().map(|(i, s)| (s, format!("sops[{i}]"))));
    }
    if let Ok(found) = read_findings(value.clone(), known()) {
        records.extend(found.into_iter().enumerate().map(|(i, f)| (f.sop, format!("findings[{i}]"))));
    }
    let flagged = SopId::parse("faq.hours").expect("a valid id");
    if let Ok((Some(sop), _)) = read_change(value, &flagged) {
        records.push((sop, "change".to_owned()));
    }
    if !records.is_empty() {
        let _ = check_records("claude", records, starter);
    }
});
