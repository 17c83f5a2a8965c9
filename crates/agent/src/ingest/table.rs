//! CSV rows and JSON items (full SOP records or simple question/answer
//! objects) as parts of an upload.

use clubos_domain::Category;
use serde_json::{Map, Value};

use super::build::{Fields, collapse_ws};
use super::{Collector, Part};
use crate::sop::{Sop, SopAction};

/// The columns (or JSON fields) a row may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Title,
    Category,
    Subcategory,
    Triggers,
    Reply,
    Action,
    Keywords,
}

const COLUMNS: &[(Col, &[&str])] = &[
    (Col::Title, &["title", "name", "topic", "subject", "heading"]),
    (Col::Category, &["category", "cat"]),
    (Col::Subcategory, &["subcategory", "subcat", "intent", "subintent"]),
    (
        Col::Triggers,
        &["triggers", "trigger", "questions", "question", "phrases", "phrase", "phrasings", "examples", "customersays"],
    ),
    (Col::Reply, &["reply", "answer", "response", "replytext", "message"]),
    (Col::Action, &["action", "primaryaction"]),
    (Col::Keywords, &["keywords", "keyword", "tags"]),
];

/// The column a header (or JSON key) names: case, spaces, `_` and `-` ignored.
fn column(header: &str) -> Option<Col> {
    let key: String = header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    COLUMNS.iter().find(|(_, names)| names.contains(&key.as_str())).map(|(col, _)| *col)
}

/// One row's cells, each with the header (or key) it came from.
#[derive(Debug, Default)]
struct Row {
    cells: Vec<(Col, String, String)>,
}

impl Row {
    fn get(&self, col: Col) -> Option<(&str, &str)> {
        self.cells.iter().find(|(c, _, v)| *c == col && !v.trim().is_empty()).map(|(_, h, v)| (h.as_str(), v.trim()))
    }
}

/// Several phrases in one cell, separated by `;`, `|` or line breaks.
fn split_list(cell: &str) -> Vec<String> {
    cell.split([';', '|', '\n'])
        .map(|p| collapse_ws(p.trim().trim_matches(['"', '“', '”'])))
        .filter(|p| !p.is_empty())
        .collect()
}

/// A row's fields; `noun` is "column" or "field" for messages.
fn row_fields(row: &Row, noun: &str) -> Result<Fields, String> {
    let triggers = row.get(Col::Triggers).map(|(_, v)| split_list(v)).unwrap_or_default();
    let Some(title) = row.get(Col::Title).map(|(_, v)| v.to_owned()).or_else(|| triggers.first().cloned()) else {
        return Err(format!("no title and no triggers: the {noun} `title` (or `question`) is empty or missing"));
    };
    let Some((_, reply)) = row.get(Col::Reply) else {
        return Err(format!("no reply: the {noun} `reply` (or `answer`, `response`) is empty or missing"));
    };
    let category = match row.get(Col::Category) {
        None => None,
        Some((name, value)) => Some(value.to_lowercase().parse::<Category>().map_err(|_| {
            let accepted: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            format!("{noun} `{name}`: unknown category `{value}`; accepted: {}", accepted.join(", "))
        })?),
    };
    let action = match row.get(Col::Action) {
        None => None,
        Some((name, value)) => {
            let key = value.to_lowercase().replace([' ', '-'], "_");
            let found = SopAction::ALL.iter().copied().find(|a| a.as_str() == key);
            Some(found.ok_or_else(|| {
                let accepted: Vec<&str> = SopAction::ALL.iter().map(|a| a.as_str()).collect();
                format!("{noun} `{name}`: unknown action `{value}`; accepted: {}", accepted.join(", "))
            })?)
        }
    };
    Ok(Fields {
        title,
        reply: reply.to_owned(),
        phrasings: triggers,
        category,
        subcategory: row.get(Col::Subcategory).map(|(_, v)| v.to_owned()),
        action,
        keywords: row.get(Col::Keywords).map(|(_, v)| split_list(&v.replace(',', ";"))).unwrap_or_default(),
        warnings: Vec::new(),
    })
}

/// A CSV table with a header row; each later row is a part. Rows are
/// numbered as a spreadsheet shows them (the header is row 1).
pub(crate) fn csv(text: &str, out: &mut Collector) {
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).trim(::csv::Trim::All).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return out.problem(out.origin("header row"), format!("not a readable CSV header: {e}")),
    };
    let mut columns: Vec<Option<Col>> = Vec::with_capacity(headers.len());
    for header in &headers {
        let col = column(header).filter(|c| !columns.contains(&Some(*c)));
        if col.is_none() && !header.is_empty() {
            let why = if column(header).is_some() { "repeats an earlier column" } else { "is not a known column" };
            out.problem(out.origin("header row"), format!("column `{header}` {why} and was not read"));
        }
        columns.push(col);
    }
    if !columns.contains(&Some(Col::Reply)) {
        let message = "no reply column: name one `reply`, `answer` or `response` (with `title` or `question`, and optionally `category`, `subcategory`, `triggers`, `action`, `keywords`)";
        return out.problem(out.origin("header row"), message);
    }
    for (i, record) in reader.records().enumerate() {
        let origin = out.origin(&format!("row {}", i + 2));
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.problem(origin, format!("not readable as CSV: {e}"));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut row = Row::default();
        for ((col, header), value) in columns.iter().zip(&headers).zip(&record) {
            if let Some(col) = col {
                row.cells.push((*col, header.to_owned(), value.to_owned()));
            }
        }
        match row_fields(&row, "column") {
            Ok(fields) => out.simple(origin, fields),
            Err(message) => out.problem(origin, message),
        }
    }
}

/// Keys of an exported record that are not part of [`Sop`]; dropped with a
/// warning (every upload starts as a draft).
const RECORD_EXTRAS: &[&str] = &["status", "version", "source", "metrics"];

/// A JSON array (or single object) of full SOP records (with an `id`) or
/// simple objects `{title, question|questions|triggers, answer|reply,
/// category?, action?}`.
pub(crate) fn json(text: &str, out: &mut Collector) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return out.problem(out.whole(), format!("not valid JSON: {e}")),
    };
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let origin = out.origin(&format!("item {}", i + 1));
                json_item(item, origin, out);
            }
        }
        item @ Value::Object(_) => {
            let origin = out.whole();
            json_item(item, origin, out);
        }
        _ => out.problem(out.whole(), "expected a JSON array of SOP records or of objects with a title and an answer"),
    }
}

fn json_item(item: Value, origin: String, out: &mut Collector) {
    let Value::Object(mut map) = item else {
        return out.problem(origin, "not a JSON object");
    };
    if map.contains_key("id") {
        let mut warnings = Vec::new();
        for key in RECORD_EXTRAS {
            if map.remove(*key).is_some() {
                warnings.push(format!("field `{key}` was ignored: an upload is always a new draft"));
            }
        }
        match serde_json::from_value::<Sop>(Value::Object(map)) {
            Ok(sop) => out.part(origin, Part::Full(Box::new(sop), warnings)),
            Err(e) => out.problem(origin, format!("not a valid SOP record: {e}")),
        }
        return;
    }
    match simple_row(&map) {
        Ok((row, unused)) => match row_fields(&row, "field") {
            Ok(mut fields) => {
                fields.warnings.extend(unused.into_iter().map(|k| format!("field `{k}` was not used")));
                out.simple(origin, fields);
            }
            Err(message) => out.problem(origin, message),
        },
        Err(message) => out.problem(origin, message),
    }
}

/// A simple object as a row, and the keys that were not used.
fn simple_row(map: &Map<String, Value>) -> Result<(Row, Vec<String>), String> {
    let mut row = Row::default();
    let mut unused = Vec::new();
    for (key, value) in map {
        let Some(col) = column(key).filter(|c| row.get(*c).is_none()) else {
            unused.push(key.clone());
            continue;
        };
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Array(list) if matches!(col, Col::Triggers | Col::Keywords) => {
                let strings: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
                let Some(strings) = strings else {
                    return Err(format!("field `{key}` must be a string or a list of strings"));
                };
                strings.join("\n")
            }
            _ if matches!(col, Col::Triggers | Col::Keywords) => {
                let hint = if value.is_object() { " (a full SOP record needs an `id`)" } else { "" };
                return Err(format!("field `{key}` must be a string or a list of strings{hint}"));
            }
            _ => return Err(format!("field `{key}` must be a string")),
        };
        row.cells.push((col, key.clone(), text));
    }
    Ok((row, unused))
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
