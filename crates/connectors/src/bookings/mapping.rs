//! From a booking system's JSON answer to domain bookings: where the list is
//! and where each field sits (JSON pointers, RFC 6901), how times and
//! statuses read. An item that does not read is skipped and logged with its
//! booking id (never its phone number); it never fails the whole answer.

use std::collections::HashMap;

use clubos_domain::{BayNumber, Booking, BookingId, BookingStatus, CountryCode, LocationId, PhoneNumber};
use jiff::Timestamp;
use serde_json::Value;

/// Where each field sits, as JSON pointers. `items` is read from the body,
/// the others from each item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    /// The array of bookings; `""` means the body itself is the array.
    pub items: String,
    pub id: String,
    /// Number or numeric string; `""` means the system assigns no bays.
    pub bay: String,
    pub phone: String,
    /// RFC 3339 with an offset, or epoch seconds (number or numeric string).
    pub starts_at: String,
    pub ends_at: String,
    /// Read through the [`StatusMap`]; `""` (or a missing value) means confirmed.
    pub status: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        let s = |p: &str| p.to_owned();
        Self {
            items: s(""),
            id: s("/id"),
            bay: s("/bay"),
            phone: s("/phone"),
            starts_at: s("/starts_at"),
            ends_at: s("/ends_at"),
            status: s("/status"),
        }
    }
}

/// The booking system's status words and what they mean. Words are
/// compared without regard to case; `confirmed`, `pending` and `cancelled`
/// are understood without an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusMap(HashMap<String, BookingStatus>);

impl StatusMap {
    pub fn new(words: impl IntoIterator<Item = (String, BookingStatus)>) -> Self {
        Self(words.into_iter().map(|(w, s)| (w.trim().to_lowercase(), s)).collect())
    }

    pub fn get(&self, word: &str) -> Option<BookingStatus> {
        let w = word.trim().to_lowercase();
        self.0.get(&w).copied().or_else(|| w.parse().ok())
    }
}

/// How an answer is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub fields: FieldMap,
    pub statuses: StatusMap,
    /// For phone numbers written without a country code.
    pub default_country: CountryCode,
}

/// The answer as a whole could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the answer has nothing at {0:?} (bookings.fields.items)")]
    NoItems(String),
    #[error("{0:?} (bookings.fields.items) is not an array in the answer")]
    NotAnArray(String),
}

/// An item left out, and why. Holds no phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub index: usize,
    /// The item's booking id, when it had a readable one.
    pub id: Option<String>,
    pub reason: String,
}

impl Mapping {
    /// Every item that reads as a booking at `location`; the others are
    /// logged (id and reason) and left out.
    pub fn read(&self, body: &Value, location: &LocationId) -> Result<Vec<Booking>, MappingError> {
        let (bookings, skipped) = self.read_all(body, location)?;
        for s in &skipped {
            tracing::warn!(
                index = s.index,
                booking = s.id.as_deref().unwrap_or("?"),
                reason = %s.reason,
                "bookings: item skipped"
            );
        }
        Ok(bookings)
    }

    /// Like [`Mapping::read`], returning the skipped items instead of logging them.
    pub fn read_all(&self, body: &Value, location: &LocationId) -> Result<(Vec<Booking>, Vec<Skipped>), MappingError> {
        let items = body.pointer(&self.fields.items).ok_or_else(|| MappingError::NoItems(self.fields.items.clone()))?;
        let items = match items {
            Value::Array(a) => a.as_slice(),
            // An API that answers `{"data": null}` when there is nothing.
            Value::Null => &[],
            _ => return Err(MappingError::NotAnArray(self.fields.items.clone())),
        };
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for (index, item) in items.iter().enumerate() {
            match self.item(item, location) {
                Ok(b) => good.push(b),
                Err((id, reason)) => bad.push(Skipped { index, id, reason }),
            }
        }
        Ok((good, bad))
    }

    fn item(&self, v: &Value, location: &LocationId) -> Result<Booking, (Option<String>, String)> {
        let f = &self.fields;
        let id = match field(v, &f.id) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err((None, format!("id (`{}`) is not a string or number", f.id))),
            None => return Err((None, format!("no id at `{}`", f.id))),
        };
        let id = BookingId::parse(&id).map_err(|e| (None, e.to_string()))?;
        let skip = |why: String| (Some(id.to_string()), why);
        let phone = match field(v, &f.phone) {
            Some(Value::String(s)) => PhoneNumber::parse(s, self.default_country),
            Some(Value::Number(n)) => PhoneNumber::parse(&n.to_string(), self.default_country),
            Some(_) => return Err(skip(format!("phone (`{}`) is not a string", f.phone))),
            None => return Err(skip(format!("no phone at `{}`", f.phone))),
        }
        .map_err(|e| skip(format!("phone (`{}`): {e}", f.phone)))?;
        let time = |ptr: &str| match field(v, ptr) {
            Some(t) => timestamp(t).map_err(|why| skip(format!("`{ptr}`: {why}"))),
            None => Err(skip(format!("no time at `{ptr}`"))),
        };
        let (starts_at, ends_at) = (time(&f.starts_at)?, time(&f.ends_at)?);
        let bay = match optional(v, &f.bay) {
            None => None,
            Some(b) => Some(bay(b).map_err(|why| skip(format!("bay (`{}`): {why}", f.bay)))?),
        };
        let status = match optional(v, &f.status) {
            None => BookingStatus::Confirmed,
            Some(Value::String(s)) => self.statuses.get(s).ok_or_else(|| {
                skip(format!("status `{s}` is neither in [bookings.status_map] nor confirmed, pending or cancelled"))
            })?,
            Some(other @ (Value::Number(_) | Value::Bool(_))) => {
                let word = other.to_string();
                self.statuses
                    .get(&word)
                    .ok_or_else(|| skip(format!("status `{word}` is not in [bookings.status_map]")))?
            }
            Some(_) => return Err(skip(format!("status (`{}`) is not a string", f.status))),
        };
        Booking::new(id.clone(), location.clone(), bay, phone, starts_at, ends_at, status)
            .map_err(|e| skip(e.to_string()))
    }
}

/// The value at `ptr`, `None` when absent or `null`.
fn field<'a>(v: &'a Value, ptr: &str) -> Option<&'a Value> {
    v.pointer(ptr).filter(|x| !x.is_null())
}

/// Like [`field`], where an empty pointer means "not mapped".
fn optional<'a>(v: &'a Value, ptr: &str) -> Option<&'a Value> {
    if ptr.is_empty() { None } else { field(v, ptr) }
}

/// RFC 3339 (with an offset) or epoch seconds, as a number or a string.
fn timestamp(v: &Value) -> Result<Timestamp, String> {
    let seconds = |s: i64| {
        Timestamp::from_second(s)
            .map_err(|_| format!("{s} is out of range as epoch seconds (milliseconds are not read)"))
    };
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(s), _) => seconds(s),
            (None, Some(f)) if f.is_finite() && f.abs() < 1e12 => seconds(f.floor() as i64),
            _ => Err(format!("{n} is not epoch seconds")),
        },
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return seconds(n);
            }
            s.parse::<Timestamp>().map_err(|_| format!("`{s}` is neither RFC 3339 with an offset nor epoch seconds"))
        }
        _ => Err("is not a string or number".to_owned()),
    }
}

fn bay(v: &Value) -> Result<BayNumber, String> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{v} is not a bay number"))?;
    u16::try_from(n)
        .map_err(|_| format!("{n} is not a bay number"))
        .and_then(|n| BayNumber::new(n).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn loc() -> LocationId {
        LocationId::parse("bedford").unwrap()
    }

    fn nested() -> Mapping {
        Mapping {
            fields: FieldMap {
                items: "/data/reservations".into(),
                id: "/reservationId".into(),
                bay: "/resource/number".into(),
                phone: "/customer/mobile".into(),
                starts_at: "/slot/start".into(),
                ends_at: "/slot/end".into(),
                status: "/state".into(),
            },
            statuses: StatusMap::new([
                ("Booked".to_owned(), BookingStatus::Confirmed),
                ("canceled".to_owned(), BookingStatus::Cancelled),
                ("on_hold".to_owned(), BookingStatus::Pending),
            ]),
            default_country: CountryCode::NANP,
        }
    }

    #[test]
    fn a_nested_answer_with_both_time_forms_and_mapped_statuses() {
        let body = json!({"data": {"reservations": [
            {"reservationId": "r-101", "resource": {"number": 2, "name": "Bay 2"},
             "customer": {"mobile": "(902) 555-0123"}, "slot": {"start": "2026-06-15T14:00:00-04:00",
             "end": "2026-06-15T15:00:00-04:00"}, "state": "BOOKED"},
            {"reservationId": 102, "resource": {"number": "3"}, "customer": {"mobile": "+19025550124"},
             "slot": {"start": 1781546400, "end": "1781550000"}, "state": "canceled"},
            {"reservationId": "r-103", "customer": {"mobile": "+19025550125"},
             "slot": {"start": "2026-06-15T18:00:00Z", "end": "2026-06-15T19:00:00Z"}}
        ]}});
        let (got, skipped) = nested().read_all(&body, &loc()).unwrap();
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(got.len(), 3);
        let first = &got[0];
        assert_eq!((first.id.as_str(), first.bay.map(|b| b.get())), ("r-101", Some(2)));
        assert_eq!(first.customer_phone.as_str(), "+19025550123");
        assert_eq!(first.starts_at, "2026-06-15T18:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!((first.status, first.location.as_str()), (BookingStatus::Confirmed, "bedford"));
        let second = &got[1];
        assert_eq!((second.id.as_str(), second.bay.map(|b| b.get())), ("102", Some(3)));
        assert_eq!(second.starts_at, Timestamp::from_second(1_781_546_400).unwrap());
        assert_eq!(second.ends_at, Timestamp::from_second(1_781_550_000).unwrap());
        assert_eq!(second.status, BookingStatus::Cancelled);
        assert_eq!((got[2].bay, got[2].status), (None, BookingStatus::Confirmed), "no bay, no status");
    }

    #[test]
    fn bad_items_are_skipped_with_their_id_and_never_their_phone() {
        let item = |id: Value, phone: &str, start: Value, state: &str| {
            json!({"reservationId": id, "customer": {"mobile": phone}, "resource": {"number": 1},
                   "slot": {"start": start, "end": "2026-06-15T19:00:00Z"}, "state": state})
        };
        let t = json!("2026-06-15T18:00:00Z");
        let body = json!({"data": {"reservations": [
            item(json!("ok-1"), "+19025550123", t.clone(), "booked"),
            item(json!("bad-phone"), "+1902555", t.clone(), "booked"),
            item(json!("bad-time"), "+19025550123", json!("tomorrow"), "booked"),
            item(json!("bad-status"), "+19025550123", t.clone(), "waitlisted"),
            item(json!("ends-first"), "+19025550123", json!("2026-06-15T20:00:00Z"), "booked"),
            item(json!(null), "+19025550123", t.clone(), "booked"),
            json!({"reservationId": "bad-bay", "customer": {"mobile": "+19025550123"},
                   "resource": {"number": "Bay A"}, "slot": {"start": t, "end": "2026-06-15T19:00:00Z"}}),
        ]}});
        let (got, skipped) = nested().read_all(&body, &loc()).unwrap();
        assert_eq!(got.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["ok-1"]);
        let ids: Vec<_> = skipped.iter().map(|s| s.id.as_deref()).collect();
        assert_eq!(
            ids,
            [Some("bad-phone"), Some("bad-time"), Some("bad-status"), Some("ends-first"), None, Some("bad-bay")]
        );
        for s in &skipped {
            assert!(!s.reason.contains("902555"), "{s:?}");
        }
        assert!(skipped[2].reason.contains("waitlisted"), "{:?}", skipped[2]);
    }

    #[test]
    fn the_body_itself_may_be_the_list_and_an_empty_answer_is_no_bookings() {
        let m = Mapping::default();
        let body = json!([{"id": "b1", "phone": "+19025550123", "bay": 4,
            "starts_at": "2026-06-15T18:00:00Z", "ends_at": "2026-06-15T19:00:00Z", "status": "pending"}]);
        let got = m.read(&body, &loc()).unwrap();
        assert_eq!((got[0].bay.map(|b| b.get()), got[0].status), (Some(4), BookingStatus::Pending));
        assert!(m.read(&json!([]), &loc()).unwrap().is_empty());
        let wrapped = Mapping { fields: FieldMap { items: "/data".into(), ..FieldMap::default() }, ..m.clone() };
        assert!(wrapped.read(&json!({"data": null}), &loc()).unwrap().is_empty());
        assert_eq!(wrapped.read(&json!({"items": []}), &loc()), Err(MappingError::NoItems("/data".into())));
        assert_eq!(wrapped.read(&json!({"data": {}}), &loc()), Err(MappingError::NotAnArray("/data".into())));
    }

    #[test]
    fn unmapped_bay_and_status_pointers_are_ignored() {
        let m = Mapping {
            fields: FieldMap { bay: String::new(), status: String::new(), ..FieldMap::default() },
            ..Mapping::default()
        };
        let body = json!([{"id": "b1", "phone": "+19025550123", "bay": "not a number", "status": "whatever",
            "starts_at": "2026-06-15T18:00:00Z", "ends_at": "2026-06-15T19:00:00Z"}]);
        let got = m.read(&body, &loc()).unwrap();
        assert_eq!((got[0].bay, got[0].status), (None, BookingStatus::Confirmed));
    }

    #[test]
    fn times_read_rfc3339_and_epoch_seconds() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(timestamp(&json!("2026-06-15T14:00:00-04:00")), Ok(at("2026-06-15T18:00:00Z")));
        assert_eq!(timestamp(&json!(1781546400)), Ok(at("2026-06-15T18:00:00Z")));
        assert_eq!(timestamp(&json!(" 1781546400 ")), Ok(at("2026-06-15T18:00:00Z")));
        assert_eq!(timestamp(&json!(1781546400.5)), Ok(at("2026-06-15T18:00:00Z")));
        assert!(timestamp(&json!("2026-06-15T18:00:00")).is_err(), "no offset: ambiguous");
        assert!(timestamp(&json!(1781546400000i64)).unwrap_err().contains("milliseconds"));
        assert!(timestamp(&json!(true)).is_err());
    }
}
