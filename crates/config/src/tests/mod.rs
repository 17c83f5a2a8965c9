//! Tests of the whole crate: fixtures, good and bad configurations, secrets.

mod bad;
mod good;
mod secrets;

use std::path::{Path, PathBuf};

use crate::{Config, ConfigError};

/// DESIGN §4's example, verbatim.
pub(super) const DESIGN_EXAMPLE: &str = include_str!("fixtures/design_example.toml");

/// The smallest valid configuration: one location.
pub(super) const BASE: &str = r#"
[[locations]]
id = "bedford"
name = "Bedford"
timezone = "America/Halifax"
bays = [{ number = 1, ninjaone_device_id = 101 }]
doors = [{ id = "front", unifi_door_id = "door-uuid" }]
"#;

/// A temporary directory holding `clubos.toml` (and whatever else a test puts there).
pub(super) struct Dir {
    pub dir: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Loads `text` as `clubos.toml` in a fresh directory with the seed
/// profile as `autonomy.json` beside it.
pub(super) fn load(text: &str) -> Result<Config, ConfigError> {
    let d = Dir::new();
    d.write("autonomy.json", clubos_domain::autonomy::SEED_PROFILE_JSON);
    Config::load(&d.write("clubos.toml", text))
}

pub(super) fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or_default()
}
