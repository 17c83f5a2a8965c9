//! `ConfigError`: which file, which key, and why — plus the translation of
//! toml/serde errors (which know a byte span) into a key path such as
//! `locations[0].bays[1].number`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// What kind of problem a [`ConfigError`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read.
    Read,
    /// The file is not valid TOML.
    Syntax,
    /// A key is unknown, of the wrong type, or has a refused value.
    Invalid,
    /// The autonomy profile (a JSON file) is refused; `key` is within `category`.
    AutonomyProfile { category: Option<String> },
    /// An environment variable named by an `*_env` key is missing.
    Environment,
}

/// A 1-based line and column in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A refused configuration: the file, the key and the reason, kept apart for
/// programs and joined by `Display` for people:
/// `clubos.toml: key `locations[0].timezone`: unknown time zone "Mars/Olympus"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// Dotted key path (`connectors.openphone.from_number`), when there is one.
    pub key: Option<String>,
    pub reason: String,
    /// Where in the file, when known (always for syntax errors).
    pub position: Option<Position>,
    pub kind: ErrorKind,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match (&self.kind, self.position) {
            (ErrorKind::Syntax, Some(p)) => {
                return write!(f, ":{}:{}: TOML syntax error: {}", p.line, p.column, self.reason);
            }
            (ErrorKind::AutonomyProfile { category }, _) => {
                f.write_str(": autonomy profile")?;
                if let Some(c) = category {
                    write!(f, ", category `{c}`")?;
                }
            }
            _ => {}
        }
        let sep = if matches!(self.kind, ErrorKind::AutonomyProfile { .. }) { ", " } else { ": " };
        if let Some(k) = &self.key {
            write!(f, "{sep}key `{k}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl ConfigError {
    pub(crate) fn new(file: &Path, key: Option<String>, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), key, reason: reason.into(), position: None, kind: ErrorKind::Invalid }
    }

    /// An invalid value at `key`.
    pub(crate) fn at(file: &Path, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(file, Some(key.into()), reason)
    }

    pub(crate) fn read(file: &Path, err: &std::io::Error) -> Self {
        Self { kind: ErrorKind::Read, ..Self::new(file, None, format!("cannot read the file: {err}")) }
    }

    /// A toml/serde error over `text`; `doc` (when the text parsed) maps the
    /// error's span to a key path.
    pub(crate) fn from_toml(file: &Path, text: &str, doc: Option<&DeTable<'_>>, err: &toml::de::Error) -> Self {
        let span = err.span();
        let position = span.as_ref().map(|s| position(text, s.start));
        let Some(doc) = doc else {
            return Self { position, kind: ErrorKind::Syntax, ..Self::new(file, None, err.message().trim()) };
        };
        let path = span.and_then(|s| find_path(doc, &s, ""));
        let (key, reason) = humanize(err.message(), path);
        Self { position, ..Self::new(file, key, reason) }
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> Position {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
}

/// Deepest key whose name or value span holds the error span.
fn find_path(table: &DeTable<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
    for (k, v) in table {
        let path = join(prefix, k.get_ref());
        if let Some(found) = find_in_value(v.get_ref(), span, &path) {
            return Some(found);
        }
        if k.span() == *span || contains(&v.span(), span) {
            return Some(path);
        }
    }
    None
}

fn find_in_value(v: &DeValue<'_>, span: &Range<usize>, path: &str) -> Option<String> {
    match v {
        DeValue::Table(t) => find_path(t, span, path),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let p = format!("{path}[{i}]");
            find_in_value(item.get_ref(), span, &p).or_else(|| contains(&item.span(), span).then_some(p))
        }),
        _ => None,
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

/// `prefix.key`, quoting keys that are not bare TOML keys.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if prefix.is_empty() { key } else { format!("{prefix}.{key}") }
}

/// Turns serde's wording into the operator's: "missing field" becomes the
/// key plus "is required", Rust type names become TOML ones, and an unknown
/// key that looks like a secret gets the hint to use an environment variable.
fn humanize(message: &str, path: Option<String>) -> (Option<String>, String) {
    let message = message.trim();
    if let Some(field) = between(message, "missing field `", "`") {
        let key = join(path.as_deref().unwrap_or(""), field);
        return (Some(key), "is required".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let expected = rest.split_once(", ").map_or("", |(_, e)| e);
        let mut reason = match expected.strip_prefix("expected ") {
            Some(list) => format!("unknown key; expected {list}"),
            None => "unknown key; this table takes no keys".to_owned(),
        };
        if looks_secret(name) {
            let env_key = format!("`{name}_env`");
            let named = if expected.contains(&env_key) {
                format!("with {env_key}")
            } else {
                "with the section's `*_env` key".to_owned()
            };
            reason.push_str(&format!(
                ". Secrets never go in the config file: put the value in an environment \
                 variable and name that variable {named}"
            ));
        }
        return (path, reason);
    }
    let mut reason = message.replace("unknown variant", "unknown value");
    for (rust, toml) in [
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a table"),
        ("expected a borrowed string", "expected a string"),
    ] {
        reason = reason.replace(rust, toml);
    }
    for int in ["u8", "u16", "u32", "u64", "usize"] {
        reason = reason.replace(&format!("expected {int}"), "expected a whole number ≥ 0");
    }
    if let Some(i) = reason.find("expected struct ") {
        reason.replace_range(i.., "expected a table");
    }
    (path, reason)
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

/// `api_key`, `client_secret`, `token`, `password`, … (case-insensitive).
pub(crate) fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["key", "secret", "token", "password"].iter().any(|s| k.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let t = "a = 1\nbé = x\n";
        assert_eq!(position(t, 0), Position { line: 1, column: 1 });
        assert_eq!(position(t, 11), Position { line: 2, column: 5 });
    }

    #[test]
    fn keys_are_joined_and_quoted() {
        assert_eq!(join("", "server"), "server");
        assert_eq!(join("llm", "openai"), "llm.openai");
        assert_eq!(join("x", "a b"), "x.\"a b\"");
    }

    #[test]
    fn secret_looking_names() {
        for k in ["api_key", "token", "client_secret", "PASSWORD", "apikey"] {
            assert!(looks_secret(k), "{k}");
        }
        for k in ["api_key_env", "base_url", "keys_file"] {
            assert!(!looks_secret(k), "{k}");
        }
    }

    #[test]
    fn display_formats() {
        let e = ConfigError::at(Path::new("clubos.toml"), "server.listen", "bad");
        assert_eq!(e.to_string(), "clubos.toml: key `server.listen`: bad");
        let e = ConfigError {
            kind: ErrorKind::AutonomyProfile { category: Some("faq".into()) },
            ..ConfigError::at(Path::new("autonomy.json"), "confidence_threshold", "too big")
        };
        assert_eq!(
            e.to_string(),
            "autonomy.json: autonomy profile, category `faq`, key `confidence_threshold`: too big"
        );
        let e = ConfigError::new(Path::new("c.toml"), None, "at least one");
        assert_eq!(e.to_string(), "c.toml: at least one");
    }
}
