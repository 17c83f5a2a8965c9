//! Fuzzes one autonomy rule string (`Rule::parse`, e.g. "within 10 min of booking"), and checks that a parsed rule reads back from its own `Display`.
#![no_main]

use clubos_domain::Rule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(rule) = Rule::parse(text) else { return };
    let written = rule.to_string();
    assert_eq!(Rule::parse(&written), Ok(rule), "`{written}` does not read back");
});
