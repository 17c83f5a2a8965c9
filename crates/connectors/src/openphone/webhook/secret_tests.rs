//! Tests of secret parsing and key hygiene.

use super::*;

const LEGACY_KEY_B64: &str = "R2ZLM2o0bFhBNVpyUnU2NG9mYXQ1MHNyR3pvSUhIVVg=";
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn secret(s: &str) -> WebhookSecret {
    WebhookSecret::parse(s).unwrap()
}

#[test]
fn secret_parsing() {
    let s = secret(STANDARD_SECRET);
    assert_eq!(s.scheme(), Scheme::Standard);
    assert_eq!(s.key(), b"1\xf2\x90\xf6\xbf\x06)\x8a\xabO\x08\xd4<?\x08,\xf6H\xa3b\xda-\xa4\xb0");
    let l = secret(&format!("  {LEGACY_KEY_B64}\n"));
    assert_eq!(l.scheme(), Scheme::Legacy);
    assert_eq!(l.key(), b"GfK3j4lXA5ZrRu64ofat50srGzoIHHUX");
    assert_eq!(WebhookSecret::parse("").unwrap_err(), SecretError::Empty);
    assert_eq!(WebhookSecret::parse("whsec_").unwrap_err(), SecretError::Empty);
    assert_eq!(WebhookSecret::parse("not base64!").unwrap_err(), SecretError::NotBase64);
    assert_eq!(WebhookSecret::parse("whsec_%%%").unwrap_err(), SecretError::NotBase64);
}

#[test]
fn secret_debug_hides_the_key() {
    for s in [secret(STANDARD_SECRET), secret(LEGACY_KEY_B64)] {
        let shown = format!("{s:?} {:?}", vec![s.clone()]);
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains("MfKQ") && !shown.contains("GfK3") && !shown.contains("49"), "{shown}");
    }
}
