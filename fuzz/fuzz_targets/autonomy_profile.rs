//! Fuzzes the autonomy profile JSON (`AutonomyProfile::from_json`, as the config loader and `PUT /api/admin/autonomy` read it), and checks that `from_json(to_json(p)) == p`.
#![no_main]

use clubos_domain::AutonomyProfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(profile) = AutonomyProfile::from_json(text) else { return };
    let written = profile.to_string();
    let again = AutonomyProfile::from_json(&written).unwrap_or_else(|e| panic!("own output refused: {e}\n{written}"));
    assert_eq!(again, profile, "round trip changed the profile\n{written}");
});
