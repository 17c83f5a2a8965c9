//! The embedded demo deployment: SQLite, the local classifier, the seed
//! autonomy profile and one clearly labelled sandbox facility.

use std::path::{Path, PathBuf};

use crate::Config;

/// The demo deployment as TOML (what [`Config::demo`] parses).
pub const DEMO_TOML: &str = include_str!("demo.toml");

/// How the demo is named in errors and summaries.
pub const DEMO_NAME: &str = "(built-in demo)";

impl Config {
    /// The deployment `clubos serve` runs without a config file: listen on
    /// 127.0.0.1:8080, `sqlite://clubos.db`, local LLM, seed profile,
    /// default limits, every connector in sandbox mode and one location,
    /// `sandbox` ("Sandbox Golf (demo)", America/Halifax, bays 1–4, door `front`).
    pub fn demo() -> Config {
        match crate::build::parse(DEMO_TOML, Path::new(DEMO_NAME)) {
            Ok(mut c) => {
                c.file = None;
                c
            }
            // Unreachable: `demo.toml` is a constant, checked by the tests.
            Err(e) => panic!("the built-in demo configuration is invalid: {e}"),
        }
    }

    /// Whether this is the built-in demo (no file).
    pub fn is_demo(&self) -> bool {
        self.file.is_none()
    }

    /// The file errors are attributed to: the loaded file, or `(built-in demo)`.
    pub(crate) fn display_file(&self) -> PathBuf {
        self.file.clone().unwrap_or_else(|| PathBuf::from(DEMO_NAME))
    }
}
