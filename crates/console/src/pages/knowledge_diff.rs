//! A proposal's diff made readable: the server's field-by-field JSON diff
//! (`[{field, before, after}]`) shown as removed and added lines per field,
//! marked with − and + as well as colour, and an SOP record shown the same
//! way.

use maud::{Markup, html};
use serde_json::Value;

/// The lines of a value: a string's lines, one line per list item, and
/// `key.sub: value` for the fields of an object.
pub fn lines(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(v, &mut Vec::new(), &mut out);
    out
}

fn collect(v: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    let leaf = |text: &str, path: &[String]| {
        if path.is_empty() { text.to_owned() } else { format!("{}: {text}", path.join(".")) }
    };
    match v {
        Value::Null => {}
        Value::String(s) if s.is_empty() => out.push(leaf("(empty)", path)),
        Value::String(s) => out.extend(s.lines().map(|l| leaf(l, path))),
        Value::Number(_) | Value::Bool(_) => out.push(leaf(&v.to_string(), path)),
        Value::Array(items) if items.is_empty() => out.push(leaf("(none)", path)),
        Value::Object(fields) if fields.is_empty() => out.push(leaf("(none)", path)),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(_) | Value::Object(_) => out.push(leaf(&item.to_string(), path)),
                    scalar => collect(scalar, path, out),
                }
            }
        }
        Value::Object(fields) => {
            for (k, sub) in fields {
                path.push(k.clone());
                collect(sub, path, out);
                path.pop();
            }
        }
    }
}

/// One field's change: removed lines, then added lines; lines in both are
/// left out (a reordering or an empty field says so).
fn field_change(before: &Value, after: &Value) -> Markup {
    let (b, a) = (lines(before), lines(after));
    let removed: Vec<&String> = b.iter().filter(|l| !a.contains(l)).collect();
    let added: Vec<&String> = a.iter().filter(|l| !b.contains(l)).collect();
    html! {
        @if removed.is_empty() && added.is_empty() {
            li.muted { @if a.is_empty() { "(empty)" } @else { "(same content, in a different order)" } }
        }
        @for l in removed { li.del { span.mark aria-label="removed" { "−" } " " (l) } }
        @for l in added { li.add { span.mark aria-label="added" { "+" } " " (l) } }
    }
}

/// The diff of a proposal; `key` makes its element ids unique on the page.
pub fn view(diff: &Value, key: &str) -> Markup {
    let changes = diff.as_array().map(Vec::as_slice).unwrap_or_default();
    html! {
        @if changes.is_empty() {
            p.muted { "No changes against the active version." }
        } @else {
            dl.diff aria-label="What it changes" id={(key) "-diff"} {
                @for c in changes {
                    dt { code { (c["field"].as_str().unwrap_or("?")) } }
                    dd { ul.diff-lines { (field_change(&c["before"], &c["after"])) } }
                }
            }
        }
    }
}

/// An SOP record, field by field.
pub fn record(body: &Value) -> Markup {
    let fields = body.as_object();
    html! {
        dl.record {
            @for (k, v) in fields.into_iter().flatten() {
                dt { code { (k) } }
                dd {
                    @let ls = lines(v);
                    @if ls.is_empty() { span.muted { "—" } }
                    @else { ul.diff-lines { @for l in ls { li { (l) } } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_become_lines() {
        let v = json!({"exact": ["a", "b"], "window": {"start": "09:00"}, "n": 2, "none": null});
        assert_eq!(lines(&v), vec!["exact: a", "exact: b", "n: 2", "window.start: 09:00"]);
        assert_eq!(lines(&json!("one\ntwo")), vec!["one", "two"]);
        assert_eq!(lines(&Value::Null), Vec::<String>::new());
        assert_eq!(lines(&json!({"locations": [], "rules": {}})), vec!["locations: (none)", "rules: (none)"]);
    }

    #[test]
    fn a_change_shows_removed_and_added_lines_only() {
        let diff = json!([{"field": "keywords", "before": ["guest", "old"], "after": ["guest", "new"]}]);
        let html = view(&diff, "p-1").into_string();
        assert!(html.contains("<code>keywords</code>"), "{html}");
        assert!(html.contains("class=\"del\"") && html.contains("old"), "{html}");
        assert!(html.contains("class=\"add\"") && html.contains("new"), "{html}");
        assert!(!html.contains("guest"), "unchanged lines are left out: {html}");
        assert!(view(&json!([]), "p-2").into_string().contains("No changes"));
    }
}
