//! What a proposal changes: a field-by-field diff of two SOP records, for
//! the review queue and the change log.

use serde_json::{Value, json};

/// The top-level fields that differ between `before` (absent: a new SOP)
/// and `after`, each `{field, before, after}`, in field order.
pub fn diff(before: Option<&Value>, after: &Value) -> Value {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    let changes: Vec<Value> = fields
        .into_iter()
        .filter(|f| b.get(*f) != a.get(*f))
        .map(|f| json!({"field": f, "before": b.get(f), "after": a.get(f)}))
        .collect();
    Value::Array(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_changed_added_and_removed_fields() {
        let before = json!({"id": "faq.guests", "reply": "Two guests.", "keywords": ["guest"], "old": 1});
        let after = json!({"id": "faq.guests", "reply": "Four guests.", "keywords": ["guest"], "new": true});
        assert_eq!(
            diff(Some(&before), &after),
            json!([
                {"field": "new", "before": null, "after": true},
                {"field": "old", "before": 1, "after": null},
                {"field": "reply", "before": "Two guests.", "after": "Four guests."}
            ])
        );
        assert_eq!(diff(Some(&after), &after), json!([]));
        assert_eq!(diff(None, &json!({"id": "x"})), json!([{"field": "id", "before": null, "after": "x"}]));
    }
}
