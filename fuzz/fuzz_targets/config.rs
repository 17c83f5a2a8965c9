//! Fuzzes the TOML deployment config (`Config::parse`, as `clubos serve` and `clubos check-config` load it), with the autonomy profile it names, then its summary and secret requirements.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use clubos_config::Config;
use libfuzzer_sys::fuzz_target;

/// A directory holding `clubos.toml`'s neighbour `autonomy.json` (the seed
/// profile), so a relative `agent.autonomy_profile = "autonomy.json"` loads.
fn config_path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("clubos-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("autonomy.json"), clubos_domain::autonomy::SEED_PROFILE_JSON).expect("profile");
        dir.join("clubos.toml")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = Config::parse(text, config_path()) else { return };
    let _ = config.summary().to_string();
    let _ = config.env_requirements();
    let _ = config.resolve_secrets(&|name| Some(format!("fuzz-value-of-{name}")));
});
