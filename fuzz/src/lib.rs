//! What the fuzz targets share: the webhook path as the server runs it (with
//! fixed test secrets), and the starter SOPs the ingestion targets check
//! against. Test secrets only; nothing here is a real key or real data.

use std::sync::OnceLock;

use clubos_agent::Sop;
use clubos_connectors::openphone::webhook::{DEFAULT_TOLERANCE, Headers, Scheme, WebhookSecret, parse_event, verify};
use clubos_domain::{CountryCode, PhoneNumber};
use jiff::Timestamp;

/// Legacy signing key of the fuzz deployment: base64 of
/// `fuzz-legacy-signing-key-not-real`.
pub const LEGACY_SECRET: &str = "ZnV6ei1sZWdhY3ktc2lnbmluZy1rZXktbm90LXJlYWw=";
/// Standard Webhooks secret of the fuzz deployment: `whsec_` + base64 of
/// `fuzz-standard-signing-key`.
pub const STANDARD_SECRET: &str = "whsec_ZnV6ei1zdGFuZGFyZC1zaWduaW5nLWtleQ==";
/// `webhook-id` of the deliveries the harness signs itself.
pub const DELIVERY_ID: &str = "msg_fuzz0000000000000000001";

/// The server's clock during a run: 2026-03-30T18:00:00Z.
pub fn now() -> Timestamp {
    Timestamp::from_second(1_774_893_600).expect("in range")
}

fn secrets() -> &'static [WebhookSecret; 2] {
    static S: OnceLock<[WebhookSecret; 2]> = OnceLock::new();
    S.get_or_init(|| {
        [
            WebhookSecret::parse(LEGACY_SECRET).expect("test legacy key"),
            WebhookSecret::parse(STANDARD_SECRET).expect("test standard key"),
        ]
    })
}

/// One webhook delivery, laid out like HTTP: `name: value` header lines, a
/// blank line, the body (without a blank line the whole input is the body).
///
/// - With no signature header (`openphone-signature`, `webhook-id`,
///   `webhook-timestamp`, `webhook-signature`), the harness signs the body
///   with `scheme`'s test secret at [`now`], the way Quo would, so the
///   fuzzer gets past verification into the body parser; that delivery must
///   verify (a failure is a bug and panics).
/// - With signature headers, they are used as sent (the header parsers and
///   the refusal paths).
///
/// Then as `server/src/http/webhook.rs`: verify against both keys, parse the
/// event, and the customer's and facility's numbers to E.164.
pub fn webhook(data: &[u8], scheme: Scheme) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (&b""[..], data),
    };
    let Ok(head) = std::str::from_utf8(head) else { return };
    let pairs: Vec<(&str, &str)> =
        head.lines().filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim(), v.trim())).collect();
    let raw = Headers::from_pairs(&pairs);

    let secret = secrets().iter().find(|s| s.scheme() == scheme).expect("both schemes have a key");
    let signed: Vec<(&str, String)>;
    let (headers, self_signed) = if raw == Headers::default() {
        signed = secret.signed_headers(DELIVERY_ID, now(), body);
        (Headers::from_pairs(&signed), true)
    } else {
        (raw, false)
    };

    let verified = verify(secrets(), &headers, body, now(), DEFAULT_TOLERANCE);
    match verified {
        Ok(v) => {
            if self_signed {
                assert_eq!(v.scheme, scheme, "a delivery signed for one scheme verified as the other");
            }
        }
        Err(e) => {
            assert!(!self_signed, "a body signed with the configured key was refused: {e}");
            return;
        }
    }
    let Ok(event) = parse_event(body) else { return };
    if let Some(msg) = event.message {
        let _ = PhoneNumber::parse(&msg.from, CountryCode::NANP);
        let _ = PhoneNumber::parse(&msg.to, CountryCode::NANP);
    }
}

/// The embedded starter SOPs, loaded once.
pub fn starter_sops() -> &'static [Sop] {
    static S: OnceLock<Vec<Sop>> = OnceLock::new();
    S.get_or_init(clubos_agent::load_starter_sops)
}
