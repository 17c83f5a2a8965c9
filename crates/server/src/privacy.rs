//! The customer data lifecycle in the service: exporting and forgetting one
//! customer (the admin API and `clubos customer` share these functions) and
//! the retention pass the scheduler's leader runs. The audit log names a
//! customer by a keyed reference (HMAC-SHA256 of the E.164 number under a
//! key kept in the database), never by the number: the same number always
//! gives the same reference, so "was this number forgotten?" can be
//! answered later by someone who has the number.

use clubos_domain::PhoneNumber;
use clubos_store::{AuditEntry, CustomerData, Forgotten, Redaction, Store, StoreError};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde_json::json;
use sha2::Sha256;

use crate::app::App;

/// Most threads one retention batch redacts (one transaction).
pub const RETENTION_BATCH: u32 = 500;
/// Most batches in one retention pass; the rest waits for the next pass.
const RETENTION_BATCHES: usize = 20;

/// The audit log's reference to the customer with `phone`:
/// `hmac-sha256:<64 hex digits>`.
pub async fn customer_ref(store: &dyn Store, phone: &PhoneNumber, now: Timestamp) -> Result<String, StoreError> {
    let candidate: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    let key = store.privacy_key(&candidate, now).await?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| StoreError::Corrupt(format!("privacy key: {e}")))?;
    mac.update(phone.as_str().as_bytes());
    let digest: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("hmac-sha256:{digest}"))
}

/// The audit subject of a reference: short enough to read in a list.
fn subject(reference: &str) -> String {
    let hex = reference.trim_start_matches("hmac-sha256:");
    format!("customer-ref:{}", &hex[..hex.len().min(16)])
}

/// Deletes or redacts everything about the customer with `phone` and
/// records it in the audit log (by reference, with the thread ids).
pub async fn forget(
    store: &dyn Store,
    actor: &str,
    phone: &PhoneNumber,
    now: Timestamp,
) -> Result<(String, Forgotten), StoreError> {
    let reference = customer_ref(store, phone, now).await?;
    let mut detail = serde_json::Map::new();
    detail.insert("customer_ref".into(), json!(reference));
    let audit =
        AuditEntry { actor: actor.to_owned(), action: "customer.forget".into(), subject: subject(&reference), detail };
    let done = store.forget_customer(phone, audit, now).await?;
    tracing::info!(threads = done.threads.len(), bookings = done.bookings, "customer forgotten");
    Ok((reference, done))
}

/// Everything held about the customer with `phone`; the export is audited
/// (by reference).
pub async fn export(
    store: &dyn Store,
    actor: &str,
    phone: &PhoneNumber,
    now: Timestamp,
) -> Result<CustomerData, StoreError> {
    let data = store.customer_data(phone).await?;
    let reference = customer_ref(store, phone, now).await?;
    let detail = json!({"customer_ref": reference, "threads": data.threads.len(), "bookings": data.bookings.len()});
    store.audit(actor, "customer.export", &subject(&reference), detail, now).await?;
    Ok(data)
}

/// Redacts the closed threads older than `[privacy] retention_days` (in
/// batches, at most [`RETENTION_BATCHES`] per pass); `None` when no
/// retention is configured.
pub async fn retention_pass(app: &App, now: Timestamp) -> Result<Option<Redaction>, StoreError> {
    let Some(keep) = app.config.privacy.retention() else {
        return Ok(None);
    };
    let before = now - keep;
    let mut total = Redaction::default();
    for _ in 0..RETENTION_BATCHES {
        let mut detail = serde_json::Map::new();
        detail.insert("retention_days".into(), json!(app.config.privacy.retention_days));
        detail.insert("before".into(), json!(before));
        let audit = AuditEntry {
            actor: "scheduler".into(),
            action: "privacy.retention".into(),
            subject: "threads".into(),
            detail,
        };
        let batch = app.store.redact_closed_before(before, RETENTION_BATCH, audit, now).await?;
        let full = batch.threads.len() >= RETENTION_BATCH as usize;
        total.threads.extend(batch.threads);
        total.messages += batch.messages;
        total.bookings += batch.bookings;
        if !full {
            break;
        }
    }
    if !total.is_empty() {
        tracing::info!(threads = total.threads.len(), bookings = total.bookings, "retention: old data redacted");
    }
    Ok(Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_reference_is_keyed_stable_and_not_the_number() {
        let store = clubos_store_sqlite::SqliteStore::open_in_memory().unwrap();
        let p = |s| PhoneNumber::parse_e164(s).unwrap();
        let now = Timestamp::UNIX_EPOCH;
        let a = customer_ref(&store, &p("+19025550111"), now).await.unwrap();
        assert_eq!(a, customer_ref(&store, &p("+19025550111"), now).await.unwrap(), "stable");
        assert_ne!(a, customer_ref(&store, &p("+19025550112"), now).await.unwrap());
        assert!(a.starts_with("hmac-sha256:") && a.len() == 12 + 64, "{a}");
        assert!(!a.contains("9025550111"));
        // Another deployment (another key) gives another reference.
        let other = clubos_store_sqlite::SqliteStore::open_in_memory().unwrap();
        assert_ne!(a, customer_ref(&other, &p("+19025550111"), now).await.unwrap());
        assert_eq!(subject(&a).len(), "customer-ref:".len() + 16);
    }
}
