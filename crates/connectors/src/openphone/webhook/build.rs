//! Builders for `message.received` bodies in the vendor's exact shapes,
//! for `clubos send` and tests. Bodies are serialised by serde_json (compact,
//! field order as Quo's samples), never by string formatting.

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use serde::Serialize;

use super::event::MESSAGE_RECEIVED;

/// `apiVersion` of app-created legacy webhooks (the Help Center sample).
pub const LEGACY_API_VERSION: &str = "v2";
/// `apiVersion` of the new webhook system.
pub const V2_API_VERSION: &str = "2026-03-30";

/// Quo's timestamps: UTC, millisecond precision, `Z` (like JS `toISOString`).
fn iso_millis(ts: Timestamp) -> String {
    DateTimePrinter::new().precision(Some(3)).timestamp_to_string(&ts)
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of strings and lists: serialisation cannot fail.
    serde_json::to_vec(value).expect("webhook body serialises")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyEnvelope<'a> {
    id: &'a str,
    object: &'static str,
    api_version: &'static str,
    created_at: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    data: LegacyData<'a>,
}

#[derive(Serialize)]
struct LegacyData<'a> {
    object: LegacyMessage<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyMessage<'a> {
    id: &'a str,
    object: &'static str,
    from: &'a str,
    to: &'a str,
    direction: &'static str,
    body: &'a str,
    media: [&'a str; 0],
    status: &'static str,
    created_at: &'a str,
}

/// A legacy (app-created webhook, apiVersion `v2`) `message.received` body:
/// `to` is a single number and the text is in `body`. The Quo user, phone
/// number and conversation ids, which ClubOS neither knows nor reads, are
/// left out.
pub fn build_message_received_legacy(
    event_id: &str,
    message_id: &str,
    from: &str,
    to: &str,
    body: &str,
    created_at: Timestamp,
) -> Vec<u8> {
    let at = iso_millis(created_at);
    to_json(&LegacyEnvelope {
        id: event_id,
        object: "event",
        api_version: LEGACY_API_VERSION,
        created_at: &at,
        kind: MESSAGE_RECEIVED,
        data: LegacyData {
            object: LegacyMessage {
                id: message_id,
                object: "message",
                from,
                to,
                direction: "incoming",
                body,
                media: [],
                status: "received",
                created_at: &at,
            },
        },
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Envelope<'a> {
    id: &'a str,
    api_version: &'static str,
    created_at: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    data: V2Data<'a>,
}

#[derive(Serialize)]
struct V2Data<'a> {
    resource: V2Resource<'a>,
    context: V2Context<'a>,
    links: V2Links,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Resource<'a> {
    id: &'a str,
    direction: &'static str,
    text: &'a str,
    status: &'static str,
    created_at: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Context<'a> {
    phone_number_id: Option<&'a str>,
    conversation_id: Option<&'a str>,
    contacts: V2Contacts,
    sender_identifier: &'a str,
    recipient_identifiers: [&'a str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Contacts {
    ids: [&'static str; 0],
    lookup_status: &'static str,
}

#[derive(Serialize)]
struct V2Links {
    quo: Option<&'static str>,
}

/// A new-system (apiVersion `2026-03-30`) `message.received` body. The
/// conversation id and the Quo app link are `null` (both nullable in Quo's
/// schema), the contact lookup is `"unavailable"`, and the Quo user id,
/// which ClubOS neither knows nor reads, is left out.
pub fn build_message_received_v2(
    event_id: &str,
    message_id: &str,
    from: &str,
    to: &str,
    body: &str,
    created_at: Timestamp,
    phone_number_id: Option<&str>,
) -> Vec<u8> {
    let at = iso_millis(created_at);
    to_json(&V2Envelope {
        id: event_id,
        api_version: V2_API_VERSION,
        created_at: &at,
        kind: MESSAGE_RECEIVED,
        data: V2Data {
            resource: V2Resource {
                id: message_id,
                direction: "incoming",
                text: body,
                status: "received",
                created_at: &at,
            },
            context: V2Context {
                phone_number_id,
                conversation_id: None,
                contacts: V2Contacts { ids: [], lookup_status: "unavailable" },
                sender_identifier: from,
                recipient_identifiers: [to],
            },
            links: V2Links { quo: None },
        },
    })
}
