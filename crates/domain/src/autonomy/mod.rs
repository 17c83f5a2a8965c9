//! The autonomy profile: per category, whether and when OperatorGPT may act
//! on its own. Loaded from JSON in exactly the seed's format; fallback logic
//! lives in this configuration, not in code.
//!
//! Every key is optional. Defaults (a category missing from the file gets all
//! of them, so it has no autonomy):
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `autonomy` | bool | `false` | may the AI act or reply without a human |
//! | `max_fallbacks` | integer 0–10 | `0` | further AI attempts allowed after a failed action in a thread |
//! | `confidence_threshold` | number 0–1 | `0.9` | minimum classification confidence (equal passes) |
//! | `require_booking` | bool | `false` | an active booking (± the booking grace) is required |
//! | `time_restrictions` | `null` or `{"start":"HH:MM","end":"HH:MM"}` | `null` | local-time window, start inclusive, end exclusive, may cross midnight |
//! | `cooldown_seconds` | integer ≥ 0 | `0` | same action on the same target is refused inside this many seconds |
//! | `rules` | array of strings | `[]` | `"within N min of booking"`, `"no flags"` |
//! | `max_attempts_per_booking` | integer 1–100 or `null` | `null` | attempts of the action per booking, any outcome |
//! | `use_cheaper_model` | bool | `false` | use the cheap LLM tier for this category |

mod parse;
mod rules;

use std::fmt;

pub use parse::ProfileError;
pub use rules::{Rule, RuleError};

use crate::enums::Category;
use crate::time::TimeWindow;

/// Autonomy settings of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryPolicy {
    pub autonomy: bool,
    pub max_fallbacks: u32,
    pub confidence_threshold: f64,
    pub require_booking: bool,
    pub time_restrictions: Option<TimeWindow>,
    pub cooldown_seconds: u64,
    pub rules: Vec<Rule>,
    pub max_attempts_per_booking: Option<u32>,
    pub use_cheaper_model: bool,
}

impl CategoryPolicy {
    pub const DEFAULT_CONFIDENCE_THRESHOLD: f64 = 0.9;
}

impl Default for CategoryPolicy {
    /// No autonomy: everything in the category goes to a human.
    fn default() -> Self {
        Self {
            autonomy: false,
            max_fallbacks: 0,
            confidence_threshold: Self::DEFAULT_CONFIDENCE_THRESHOLD,
            require_booking: false,
            time_restrictions: None,
            cooldown_seconds: 0,
            rules: Vec::new(),
            max_attempts_per_booking: None,
            use_cheaper_model: false,
        }
    }
}

/// The whole profile: one [`CategoryPolicy`] per [`Category`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutonomyProfile {
    /// Indexed by `Category as usize` order of [`Category::ALL`].
    policies: [CategoryPolicy; 4],
}

impl AutonomyProfile {
    /// Parses the seed's JSON format. Errors name the category, the key and
    /// what is wrong.
    pub fn from_json(text: &str) -> Result<Self, ProfileError> {
        parse::parse_profile(text)
    }

    /// The seed's own profile (Chunk 1, [1.2]), the demo deployment's default.
    pub fn seed() -> Self {
        Self::from_json(SEED_PROFILE_JSON).unwrap_or_default()
    }

    pub fn get(&self, category: Category) -> &CategoryPolicy {
        &self.policies[index(category)]
    }

    pub fn set(&mut self, category: Category, policy: CategoryPolicy) {
        self.policies[index(category)] = policy;
    }

    /// The profile in the seed's JSON format, every key explicit, so that
    /// `from_json(to_json(p)) == p`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut root = serde_json::Map::new();
        for &c in Category::ALL {
            let p = self.get(c);
            let window = p
                .time_restrictions
                .map(|w| serde_json::json!({"start": w.start.to_string(), "end": w.end.to_string()}));
            let rules: Vec<String> = p.rules.iter().map(ToString::to_string).collect();
            root.insert(
                c.as_str().to_owned(),
                serde_json::json!({
                    "autonomy": p.autonomy,
                    "max_fallbacks": p.max_fallbacks,
                    "confidence_threshold": p.confidence_threshold,
                    "require_booking": p.require_booking,
                    "time_restrictions": window,
                    "cooldown_seconds": p.cooldown_seconds,
                    "rules": rules,
                    "max_attempts_per_booking": p.max_attempts_per_booking,
                    "use_cheaper_model": p.use_cheaper_model,
                }),
            );
        }
        serde_json::Value::Object(root)
    }
}

impl fmt::Display for AutonomyProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pretty = serde_json::to_string_pretty(&self.to_json()).map_err(|_| fmt::Error)?;
        f.write_str(&pretty)
    }
}

fn index(c: Category) -> usize {
    match c {
        Category::Tech => 0,
        Category::Booking => 1,
        Category::Access => 2,
        Category::Faq => 3,
    }
}

/// The JSON block of the seed's [1.2], byte for byte.
pub const SEED_PROFILE_JSON: &str = r#"{
  "tech": {
    "autonomy": true,
    "max_fallbacks": 1,
    "confidence_threshold": 0.85,
    "require_booking": true,
    "time_restrictions": null,
    "cooldown_seconds": 900
  },
  "booking": {
    "autonomy": false,
    "confidence_threshold": 0.95,
    "require_booking": false,
    "time_restrictions": {"start": "08:00", "end": "22:00"}
  },
  "access": {
    "autonomy": true,
    "rules": ["within 10 min of booking", "no flags"],
    "confidence_threshold": 0.90,
    "max_attempts_per_booking": 2
  },
  "faq": {
    "autonomy": true,
    "confidence_threshold": 0.70,
    "use_cheaper_model": true
  }
}"#;
