//! Reading and checking a bookings CSV: a header row naming the columns
//! `customer_phone`, `location`, `starts_at`, `ends_at` (required) and `id`,
//! `bay`, `status` (optional), in any order.
//!
//! Times are RFC 3339 (`2026-06-15T18:00:00Z`, `…-03:00`) or the location's
//! local time (`2026-06-15 15:00`), which is how booking systems export them.

use std::collections::HashMap;

use clubos_config::Config;
use clubos_domain::{BayNumber, BookingStatus, LocationId, PhoneNumber};
use jiff::Timestamp;
use jiff::civil::DateTime;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One checked row, ready to post.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The CSV line it came from (for messages).
    pub line: u64,
    pub body: Value,
}

const REQUIRED: [&str; 4] = ["customer_phone", "location", "starts_at", "ends_at"];
const KNOWN: [&str; 7] = ["id", "customer_phone", "location", "bay", "starts_at", "ends_at", "status"];

/// Every row checked; `Err` lists every problem found (with line numbers).
pub fn parse_file(text: &str, config: &Config) -> Result<Vec<Row>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| vec![format!("header: {e}")])?.clone();
    let columns: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.to_ascii_lowercase(), i)).collect();
    let mut problems: Vec<String> = Vec::new();
    for name in REQUIRED.iter().filter(|n| !columns.contains_key(**n)) {
        problems.push(format!("header: column `{name}` is missing"));
    }
    for name in columns.keys().filter(|n| !KNOWN.contains(&n.as_str())) {
        problems.push(format!("header: unknown column `{name}`; known: {}", KNOWN.join(", ")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| columns.get(name).and_then(|&i| record.get(i)).filter(|v| !v.is_empty());
        match row(&get, config) {
            Ok(body) => rows.push(Row { line, body }),
            Err(why) => problems.push(format!("line {line}: {why}")),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push("no bookings in the file".into());
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

fn row<'a>(get: &dyn Fn(&str) -> Option<&'a str>, config: &Config) -> Result<Value, String> {
    let need = |name: &str| get(name).ok_or_else(|| format!("{name} is empty"));
    let phone = PhoneNumber::parse(need("customer_phone")?, config.agent.default_country)
        .map_err(|e| format!("customer_phone: {e}"))?;
    let location = LocationId::parse(need("location")?).map_err(|e| format!("location: {e}"))?;
    let loc = config
        .locations
        .iter()
        .find(|l| l.id == location)
        .ok_or_else(|| format!("location: `{location}` is not in the configuration"))?;
    let bay = match get("bay") {
        Some(b) => {
            let n: u16 = b.parse().map_err(|_| format!("bay: `{b}` is not a bay number"))?;
            let bay = BayNumber::new(n).map_err(|e| format!("bay: {e}"))?;
            if !loc.bays.iter().any(|c| c.number == bay) {
                return Err(format!("bay: location `{location}` has no bay {bay}"));
            }
            Some(n)
        }
        None => None,
    };
    let starts_at = time(need("starts_at")?, loc).map_err(|e| format!("starts_at: {e}"))?;
    let ends_at = time(need("ends_at")?, loc).map_err(|e| format!("ends_at: {e}"))?;
    if ends_at <= starts_at {
        return Err(format!("ends_at ({ends_at}) is not after starts_at ({starts_at})"));
    }
    let status: BookingStatus = get("status").unwrap_or("confirmed").parse().map_err(|e| format!("status: {e}"))?;
    let id = match get("id") {
        Some(id) => id.to_owned(),
        None => derived_id(&phone, &location, starts_at),
    };
    Ok(json!({
        "id": id, "customer_phone": phone.as_str(), "location": location.as_str(), "bay": bay,
        "starts_at": starts_at.to_string(), "ends_at": ends_at.to_string(), "status": status.as_str(),
    }))
}

/// RFC 3339, else a civil date-time in the location's time zone (a time
/// that a DST change skips or repeats is resolved as jiff's "compatible").
fn time(text: &str, loc: &clubos_config::LocationConfig) -> Result<Timestamp, String> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    let civil: DateTime =
        text.parse().map_err(|_| format!("`{text}` is neither RFC 3339 nor a local `YYYY-MM-DD HH:MM`"))?;
    civil.to_zoned(loc.timezone.clone()).map(|z| z.timestamp()).map_err(|e| e.to_string())
}

/// The same booking always gets the same id, so a re-import updates it.
fn derived_id(phone: &PhoneNumber, location: &LocationId, starts_at: Timestamp) -> String {
    let digest = Sha256::digest(format!("{}|{}|{}", phone.as_str(), location.as_str(), starts_at.as_millisecond()));
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("csv-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Config {
        Config::demo()
    }

    #[test]
    fn reads_rfc3339_and_local_times_and_derives_stable_ids() {
        let csv = "customer_phone,location,bay,starts_at,ends_at\n\
                   (902) 555-0101,sandbox,2,2026-06-15T18:00:00Z,2026-06-15T19:00:00Z\n\
                   902-555-0102, sandbox ,,2026-06-15 15:00,2026-06-15 16:30\n";
        let rows = parse_file(csv, &demo()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].body["customer_phone"], "+19025550101");
        assert_eq!(rows[0].body["bay"], 2);
        assert_eq!(rows[0].line, 2);
        let tz = demo().locations[0].timezone.clone();
        let local: Timestamp = "2026-06-15 15:00".parse::<DateTime>().unwrap().to_zoned(tz).unwrap().timestamp();
        assert_eq!(rows[1].body["starts_at"], local.to_string());
        assert_eq!(rows[1].body["status"], "confirmed");
        assert!(rows[0].body["id"].as_str().unwrap().starts_with("csv-"));
        assert_eq!(parse_file(csv, &demo()).unwrap(), rows, "the same file gives the same ids");
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let csv = "customer_phone,location,bay,starts_at,ends_at\n\
                   12,sandbox,1,2026-06-15T18:00:00Z,2026-06-15T19:00:00Z\n\
                   9025550101,nowhere,1,2026-06-15T18:00:00Z,2026-06-15T19:00:00Z\n\
                   9025550101,sandbox,9,2026-06-15T18:00:00Z,2026-06-15T19:00:00Z\n\
                   9025550101,sandbox,1,tomorrow,2026-06-15T19:00:00Z\n\
                   9025550101,sandbox,1,2026-06-15T19:00:00Z,2026-06-15T18:00:00Z\n";
        let problems = parse_file(csv, &demo()).unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("line 2: customer_phone"));
        assert!(problems[1].contains("line 3: location: `nowhere` is not in the configuration"));
        assert!(problems[2].contains("line 4: bay: location `sandbox` has no bay 9"));
        assert!(problems[3].contains("line 5: starts_at: `tomorrow`"));
        assert!(problems[4].contains("line 6: ends_at"));
    }

    #[test]
    fn the_header_must_name_the_required_columns() {
        let problems = parse_file("phone,location,start\n1,2,3\n", &demo()).unwrap_err();
        assert!(problems.iter().any(|p| p.contains("`customer_phone` is missing")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("unknown column `phone`")), "{problems:?}");
        assert_eq!(
            parse_file("customer_phone,location,starts_at,ends_at\n", &demo()).unwrap_err(),
            vec!["no bookings in the file"]
        );
    }
}
