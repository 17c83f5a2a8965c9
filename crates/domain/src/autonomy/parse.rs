//! Strict parser for the autonomy profile JSON, with errors that name the
//! category, the key and the problem.

use std::fmt;

use serde_json::{Map, Value};

use super::{AutonomyProfile, CategoryPolicy, Rule};
use crate::enums::Category;
use crate::time::{LocalTime, TimeWindow};

/// What is wrong with an autonomy profile, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    /// The category the problem is in, when it is in one.
    pub category: Option<String>,
    /// The key the problem is in, when it is in one (`time_restrictions.start`).
    pub key: Option<String>,
    pub problem: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("autonomy profile")?;
        if let Some(c) = &self.category {
            write!(f, ", category `{c}`")?;
        }
        if let Some(k) = &self.key {
            write!(f, ", key `{k}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

const KEYS: &[&str] = &[
    "autonomy",
    "max_fallbacks",
    "confidence_threshold",
    "require_booking",
    "time_restrictions",
    "cooldown_seconds",
    "rules",
    "max_attempts_per_booking",
    "use_cheaper_model",
];

pub(super) fn parse_profile(text: &str) -> Result<AutonomyProfile, ProfileError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ProfileError {
        category: None,
        key: None,
        problem: format!("not valid JSON: {e}"),
    })?;
    let Value::Object(root) = root else {
        return Err(ProfileError {
            category: None,
            key: None,
            problem: format!("must be a JSON object keyed by category, got {}", kind(&root)),
        });
    };
    let mut profile = AutonomyProfile::default();
    for (name, value) in &root {
        let category: Category = name.parse().map_err(|_| ProfileError {
            category: Some(name.clone()),
            key: None,
            problem: "unknown category; expected one of tech, booking, access, faq".into(),
        })?;
        let cx = Cx { category: name };
        let Value::Object(obj) = value else {
            return Err(cx.err(None, format!("must be an object, got {}", kind(value))));
        };
        profile.set(category, parse_category(&cx, obj)?);
    }
    Ok(profile)
}

struct Cx<'a> {
    category: &'a str,
}

impl Cx<'_> {
    fn err(&self, key: Option<&str>, problem: impl Into<String>) -> ProfileError {
        ProfileError { category: Some(self.category.to_owned()), key: key.map(str::to_owned), problem: problem.into() }
    }

    fn bool(&self, key: &str, v: &Value) -> Result<bool, ProfileError> {
        v.as_bool().ok_or_else(|| self.err(Some(key), format!("must be true or false, got {}", kind(v))))
    }

    fn uint(&self, key: &str, v: &Value, min: u64, max: u64) -> Result<u64, ProfileError> {
        match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(n) => Err(self.err(Some(key), format!("must be from {min} to {max}, got {n}"))),
            None => Err(self.err(Some(key), format!("must be a whole number from {min} to {max}, got {}", kind(v)))),
        }
    }
}

fn parse_category(cx: &Cx<'_>, obj: &Map<String, Value>) -> Result<CategoryPolicy, ProfileError> {
    let mut p = CategoryPolicy::default();
    for (key, v) in obj {
        let k = key.as_str();
        match k {
            "autonomy" => p.autonomy = cx.bool(k, v)?,
            "require_booking" => p.require_booking = cx.bool(k, v)?,
            "use_cheaper_model" => p.use_cheaper_model = cx.bool(k, v)?,
            "max_fallbacks" => p.max_fallbacks = cx.uint(k, v, 0, 10)? as u32,
            "cooldown_seconds" => p.cooldown_seconds = cx.uint(k, v, 0, 7 * 24 * 3600)?,
            "max_attempts_per_booking" => {
                p.max_attempts_per_booking = match v {
                    Value::Null => None,
                    _ => Some(cx.uint(k, v, 1, 100)? as u32),
                }
            }
            "confidence_threshold" => {
                p.confidence_threshold = match v.as_f64() {
                    Some(x) if (0.0..=1.0).contains(&x) => x,
                    Some(x) => {
                        return Err(cx.err(Some(k), format!("must be from 0 to 1, got {x}")));
                    }
                    None => {
                        return Err(cx.err(Some(k), format!("must be a number from 0 to 1, got {}", kind(v))));
                    }
                }
            }
            "time_restrictions" => p.time_restrictions = parse_window(cx, v)?,
            "rules" => {
                let Value::Array(items) = v else {
                    return Err(cx.err(Some(k), format!("must be a list of strings, got {}", kind(v))));
                };
                p.rules = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let key = format!("rules[{i}]");
                        let s = item
                            .as_str()
                            .ok_or_else(|| cx.err(Some(&key), format!("must be a string, got {}", kind(item))))?;
                        Rule::parse(s).map_err(|e| cx.err(Some(&key), e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
            }
            _ => {
                return Err(cx.err(Some(k), format!("unknown key; known keys are {}", KEYS.join(", "))));
            }
        }
    }
    Ok(p)
}

fn parse_window(cx: &Cx<'_>, v: &Value) -> Result<Option<TimeWindow>, ProfileError> {
    const KEY: &str = "time_restrictions";
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        _ => {
            return Err(cx.err(
                Some(KEY),
                format!("must be null or {{\"start\": \"HH:MM\", \"end\": \"HH:MM\"}}, got {}", kind(v)),
            ));
        }
    };
    if let Some(extra) = obj.keys().find(|k| *k != "start" && *k != "end") {
        return Err(cx.err(Some(&format!("{KEY}.{extra}")), "unknown key; expected start and end"));
    }
    let time = |name: &str| -> Result<LocalTime, ProfileError> {
        let key = format!("{KEY}.{name}");
        let value = obj.get(name).ok_or_else(|| cx.err(Some(&key), "is missing"))?;
        let s = value
            .as_str()
            .ok_or_else(|| cx.err(Some(&key), format!("must be a string \"HH:MM\", got {}", kind(value))))?;
        LocalTime::parse(s).map_err(|e| cx.err(Some(&key), e.to_string()))
    };
    let (start, end) = (time("start")?, time("end")?);
    TimeWindow::new(start, end).map(Some).map_err(|why| cx.err(Some(KEY), why))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autonomy::SEED_PROFILE_JSON;

    #[test]
    fn the_seed_profile_loads_unchanged() {
        let p = AutonomyProfile::from_json(SEED_PROFILE_JSON).unwrap();
        let tech = p.get(Category::Tech);
        assert!(tech.autonomy);
        assert_eq!(tech.max_fallbacks, 1);
        assert_eq!(tech.confidence_threshold, 0.85);
        assert!(tech.require_booking);
        assert_eq!(tech.time_restrictions, None);
        assert_eq!(tech.cooldown_seconds, 900);
        let booking = p.get(Category::Booking);
        assert!(!booking.autonomy);
        assert_eq!(booking.confidence_threshold, 0.95);
        assert_eq!(booking.time_restrictions.unwrap().to_string(), "08:00–22:00");
        let access = p.get(Category::Access);
        assert_eq!(access.rules, vec![Rule::WithinMinutesOfBooking(10), Rule::NoFlags]);
        assert_eq!(access.max_attempts_per_booking, Some(2));
        assert_eq!(access.confidence_threshold, 0.90);
        let faq = p.get(Category::Faq);
        assert!(faq.use_cheaper_model);
        assert_eq!(faq.confidence_threshold, 0.70);
        assert_eq!(faq.cooldown_seconds, 0, "documented default");
        assert_eq!(p, AutonomyProfile::seed());
    }

    #[test]
    fn round_trips_through_to_json() {
        let p = AutonomyProfile::seed();
        let again = AutonomyProfile::from_json(&p.to_json().to_string()).unwrap();
        assert_eq!(p, again);
    }

    #[test]
    fn a_missing_category_has_no_autonomy() {
        let p = AutonomyProfile::from_json(r#"{"faq": {"autonomy": true}}"#).unwrap();
        assert!(!p.get(Category::Tech).autonomy);
        assert!(p.get(Category::Faq).autonomy);
        assert_eq!(p.get(Category::Faq).confidence_threshold, 0.9);
        assert_eq!(AutonomyProfile::from_json("{}").unwrap(), AutonomyProfile::default());
    }

    fn err(json: &str) -> String {
        AutonomyProfile::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_category_key_and_problem() {
        let cases = [
            ("[]", "autonomy profile: must be a JSON object keyed by category, got a list"),
            ("{", "autonomy profile: not valid JSON: EOF while parsing an object at line 1 column 1"),
            (
                r#"{"techs":{}}"#,
                "autonomy profile, category `techs`: unknown category; expected one of tech, booking, access, faq",
            ),
            (r#"{"tech":true}"#, "autonomy profile, category `tech`: must be an object, got a boolean"),
            (
                r#"{"tech":{"autonomous":true}}"#,
                "autonomy profile, category `tech`, key `autonomous`: unknown key; known keys are autonomy, max_fallbacks, confidence_threshold, require_booking, time_restrictions, cooldown_seconds, rules, max_attempts_per_booking, use_cheaper_model",
            ),
            (
                r#"{"tech":{"autonomy":"yes"}}"#,
                "autonomy profile, category `tech`, key `autonomy`: must be true or false, got a string",
            ),
            (
                r#"{"faq":{"confidence_threshold":1.01}}"#,
                "autonomy profile, category `faq`, key `confidence_threshold`: must be from 0 to 1, got 1.01",
            ),
            (
                r#"{"faq":{"confidence_threshold":-0.1}}"#,
                "autonomy profile, category `faq`, key `confidence_threshold`: must be from 0 to 1, got -0.1",
            ),
            (
                r#"{"faq":{"confidence_threshold":"0.9"}}"#,
                "autonomy profile, category `faq`, key `confidence_threshold`: must be a number from 0 to 1, got a string",
            ),
            (
                r#"{"tech":{"cooldown_seconds":-1}}"#,
                "autonomy profile, category `tech`, key `cooldown_seconds`: must be a whole number from 0 to 604800, got a number",
            ),
            (
                r#"{"tech":{"max_fallbacks":1.5}}"#,
                "autonomy profile, category `tech`, key `max_fallbacks`: must be a whole number from 0 to 10, got a number",
            ),
            (
                r#"{"access":{"max_attempts_per_booking":0}}"#,
                "autonomy profile, category `access`, key `max_attempts_per_booking`: must be from 1 to 100, got 0",
            ),
            (
                r#"{"booking":{"time_restrictions":{"start":"8:00","end":"22:00"}}}"#,
                "autonomy profile, category `booking`, key `time_restrictions.start`: `8:00` is not a time of day in HH:MM form (00:00 to 23:59): expected two digits, a colon, two digits",
            ),
            (
                r#"{"booking":{"time_restrictions":{"start":"08:00"}}}"#,
                "autonomy profile, category `booking`, key `time_restrictions.end`: is missing",
            ),
            (
                r#"{"booking":{"time_restrictions":{"start":"08:00","end":"08:00"}}}"#,
                "autonomy profile, category `booking`, key `time_restrictions`: start and end are equal; use null for no restriction",
            ),
            (
                r#"{"booking":{"time_restrictions":"08:00-22:00"}}"#,
                "autonomy profile, category `booking`, key `time_restrictions`: must be null or {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}, got a string",
            ),
            (
                r#"{"booking":{"time_restrictions":{"start":"08:00","end":"22:00","tz":"x"}}}"#,
                "autonomy profile, category `booking`, key `time_restrictions.tz`: unknown key; expected start and end",
            ),
            (
                r#"{"access":{"rules":"no flags"}}"#,
                "autonomy profile, category `access`, key `rules`: must be a list of strings, got a string",
            ),
            (
                r#"{"access":{"rules":["no flags", 3]}}"#,
                "autonomy profile, category `access`, key `rules[1]`: must be a string, got a number",
            ),
            (
                r#"{"access":{"rules":["within ten min of booking"]}}"#,
                "autonomy profile, category `access`, key `rules[0]`: rule `within ten min of booking` is not understood; known rules: \"within N min of booking\", \"no flags\" (N must be a whole number of minutes)",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(err(json), want, "{json}");
        }
    }

    #[test]
    fn nulls_and_boundaries_that_are_allowed() {
        let p = AutonomyProfile::from_json(
            r#"{"tech":{"confidence_threshold":0,"max_attempts_per_booking":null,"time_restrictions":null},
                "faq":{"confidence_threshold":1}}"#,
        )
        .unwrap();
        assert_eq!(p.get(Category::Tech).confidence_threshold, 0.0);
        assert_eq!(p.get(Category::Faq).confidence_threshold, 1.0);
    }
}
