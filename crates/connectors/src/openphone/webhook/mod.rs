//! Quo (formerly OpenPhone) webhooks: signature verification and body
//! parsing. Pure: no I/O, no async, no clock reads (`now` is a parameter).
//!
//! Quo runs two webhook systems at once and a facility may use either, so
//! both are accepted. Use: [`verify()`] the raw body bytes first (before any
//! JSON parsing), then [`parse_event`] them; dedupe on [`Event::event_id`],
//! [`Verified::delivery_id`] (the `webhook-id` header) and
//! [`InboundMessage::message_id`].
//!
//! The wire details below were checked against Quo's published documentation
//! (pages named in each section), not against earlier ClubOS code, which got
//! several of them wrong.
//!
//! # Legacy webhooks (`openphone-signature`)
//!
//! Sources: Quo, "Validate legacy webhook signatures",
//! <https://www.quo.com/docs/webhooks/legacy-signature-validation>; OpenPhone
//! Help Center, "How to use webhooks",
//! <https://support.openphone.com/hc/en-us/articles/4690754298903-How-to-use-webhooks>.
//!
//! - One header, `openphone-signature: <scheme>;<version>;<timestamp>;<signature>`,
//!   scheme always `hmac`, version always `1`, signature base64. The
//!   documented example is `hmac;1;1639710054089;mw1K4fvh5m9XzsGon4C5N3KvL0bkmPZSAyb/9Vms2Qo=`.
//! - Signed content is `"{timestamp}.{raw body}"`, HMAC-SHA256, keyed with
//!   the signing key *decoded from base64* (the key the app shows under
//!   "Reveal signing secret" is base64). The timestamp is signed exactly as
//!   it appears in the header.
//! - Timestamp unit: the Help Center table only says "Unix timestamp", but
//!   the documented example (`1639710054089`, 13 digits) is **milliseconds**.
//!   Since the words are ambiguous, both are accepted by magnitude: values of
//!   10^11 and above are milliseconds, smaller ones seconds (see
//!   [`verify()`]). [`sign_legacy`] writes milliseconds, as Quo does.
//! - Quo reserves commas for several signatures in one header ("Future
//!   versions may include multiple signatures separated by commas", quoted
//!   from the Help Center by several integrations); any matching entry passes.
//! - Body: `{"id","object":"event","apiVersion","createdAt","type","data":{"object":{…}}}`.
//!   For `message.received` the object is `{"id","object":"message","from","to",
//!   "direction":"incoming","body","media","status","createdAt",…}`. App-created
//!   webhooks (apiVersion `v2`, Help Center sample) send `to` as a string and
//!   the text in `body`; API-created ones (Quo, "Webhook payload reference",
//!   <https://www.quo.com/docs/mdx/guides/webhooks>, apiVersion `v4`) send
//!   `"to": ["+1…"]` and `"text"`. Both are read. Some deliveries wrap the whole
//!   envelope once more in `{"object": …}`; that is unwrapped once.
//!
//! # New webhooks (Standard Webhooks)
//!
//! Sources: Quo, "Validate webhook signatures",
//! <https://www.quo.com/docs/mdx/beta/webhooks-signature-validation>; Quo,
//! "Webhooks overview", <https://www.quo.com/docs/2026-03-30/webhooks-overview>;
//! Quo, "Webhook event payloads", <https://www.quo.com/docs/mdx/beta/webhooks-event-payloads>
//! (also under `/docs/2026-03-30/`); the Standard Webhooks specification,
//! <https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>.
//!
//! - Headers `webhook-id` (stable per delivery: dedupe on it), `webhook-timestamp`
//!   (Unix **seconds**) and `webhook-signature`, a space-separated list of
//!   `v1,<base64>` entries (several during key rotation; any match passes).
//! - Signed content `"{webhook-id}.{webhook-timestamp}.{raw body}"`,
//!   HMAC-SHA256, base64. The key is returned as `whsec_<base64>`: strip the
//!   prefix and base64-decode the rest. Quo recommends a 5-minute window.
//! - Body: `{"id","apiVersion":"2026-03-30","createdAt","type","data":{"resource","context","links"}}`.
//!   `id` is the event id (stable across retries), `createdAt` the event time.
//!   For `message.received`: `data.resource` is `{"id","direction":"incoming",
//!   "text","status","createdAt"}`; `data.context` is `{"phoneNumberId",
//!   "conversationId","userId","contacts":{"ids","lookupStatus"},
//!   "senderIdentifier","recipientIdentifiers":[…]}`; `data.links.quo` is a
//!   deep link or `null`. So the text is `resource.text`, the customer is
//!   `context.senderIdentifier` and the facility number is the first of
//!   `context.recipientIdentifiers`. (The copy of the event-payloads page
//!   available here showed only its opening: envelope, quick index, field
//!   semantics. The `message.received` field names come from a public
//!   integration reference that quotes that page and Quo's sample test event,
//!   and two other independent integrations read the same names.)

mod build;
mod event;
mod secret;
mod verify;

#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod secret_tests;
#[cfg(test)]
mod verify_tests;

pub use build::{LEGACY_API_VERSION, V2_API_VERSION, build_message_received_legacy, build_message_received_v2};
pub use event::{EnvelopeShape, Event, InboundMessage, MESSAGE_RECEIVED, ParseError, parse_event};
pub use secret::{
    OPENPHONE_SIGNATURE, Scheme, SecretError, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, WebhookSecret,
    sign_legacy, sign_standard,
};
pub use verify::{DEFAULT_TOLERANCE, Headers, Verified, VerifyError, verify};
