//! Tests of signature verification and signing.

use jiff::{SignedDuration, Timestamp};

use super::*;

/// The sample legacy signing key shown in Quo's docs (decodes to ASCII).
const LEGACY_KEY_B64: &str = "R2ZLM2o0bFhBNVpyUnU2NG9mYXQ1MHNyR3pvSUhIVVg=";
/// The Standard Webhooks specification's test secret.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_c2VjcmV0LW51bWJlci10d28tZm9yLXJvdGF0aW9u";
const BODY: &[u8] = br#"{"id":"EV1","object":"event","type":"message.received","data":{"object":{}}}"#;
const ID: &str = "msg_2abcDEFghiJKLmnoPQRstu";

/// 2026-03-30T18:00:00Z
fn now() -> Timestamp {
    Timestamp::from_second(1_774_893_600).unwrap()
}

fn secret(s: &str) -> WebhookSecret {
    WebhookSecret::parse(s).unwrap()
}

fn legacy_key() -> Vec<u8> {
    secret(LEGACY_KEY_B64).key().to_vec()
}

fn standard_key() -> Vec<u8> {
    secret(STANDARD_SECRET).key().to_vec()
}

fn legacy_h(value: &str) -> Headers<'_> {
    Headers { openphone_signature: Some(value), ..Headers::default() }
}

fn std_h<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
    Headers { webhook_id: Some(id), webhook_timestamp: Some(ts), webhook_signature: Some(sig), ..Headers::default() }
}

fn check(secrets: &[WebhookSecret], h: Headers<'_>, body: &[u8]) -> Result<Verified, VerifyError> {
    verify(secrets, &h, body, now(), DEFAULT_TOLERANCE)
}

fn legacy_at(offset: SignedDuration) -> String {
    sign_legacy(&legacy_key(), (now() + offset).as_millisecond(), BODY)
}

fn standard_at(offset: SignedDuration) -> (String, String) {
    let ts = (now() + offset).as_second();
    (ts.to_string(), sign_standard(&standard_key(), ID, ts, BODY))
}

fn is_malformed(r: Result<Verified, VerifyError>) -> bool {
    matches!(r, Err(VerifyError::MalformedHeader { .. }))
}

// ---- fixed vectors, computed independently of this code ----

#[test]
fn standard_webhooks_spec_vector() {
    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}",hashlib.sha256).digest()).decode())'
    // -> g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= (also the spec libraries' own vector)
    let body = br#"{"test": 2432232314}"#;
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert_eq!(sign_standard(&standard_key(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body), expected);
    let at = Timestamp::from_second(1_614_265_330).unwrap();
    let h = std_h("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", expected);
    let v = verify(&[secret(STANDARD_SECRET)], &h, body, at, DEFAULT_TOLERANCE).unwrap();
    assert_eq!(v.scheme, Scheme::Standard);
    assert_eq!(v.delivery_id.as_deref(), Some("msg_p5jXN8AQM9LWM0D4loKWxJek"));
    assert_eq!(v.signed_at, at);
}

#[test]
fn legacy_fixed_vector() {
    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(base64.b64decode("R2ZLM2o0bFhBNVpyUnU2NG9mYXQ1MHNyR3pvSUhIVVg="),b"1774893600123."+open("body","rb").read(),hashlib.sha256).digest()).decode())'
    // with `body` holding exactly BODY (printf '%s' '<BODY>' > body) -> the signature below.
    let expected = "hmac;1;1774893600123;HW1EzGmAus1EMspJ7Rd1cw1kYT24oeEOSYsbgfNJt2o=";
    assert_eq!(sign_legacy(&legacy_key(), 1_774_893_600_123, BODY), expected);
    let v = check(&[secret(LEGACY_KEY_B64)], legacy_h(expected), BODY).unwrap();
    assert_eq!(v.scheme, Scheme::Legacy);
    assert_eq!(v.delivery_id, None);
    assert_eq!(v.signed_at, Timestamp::from_millisecond(1_774_893_600_123).unwrap());
}

// ---- round trips ----

#[test]
fn legacy_round_trip_milliseconds() {
    let header = legacy_at(SignedDuration::ZERO);
    assert!(header.starts_with("hmac;1;1774893600000;"), "{header}");
    assert!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&header), BODY).is_ok());
}

#[test]
fn legacy_round_trip_seconds() {
    let header = sign_legacy(&legacy_key(), now().as_second(), BODY);
    let v = check(&[secret(LEGACY_KEY_B64)], legacy_h(&header), BODY).unwrap();
    assert_eq!(v.signed_at, now());
}

#[test]
fn standard_round_trip() {
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    let v = check(&[secret(STANDARD_SECRET)], std_h(ID, &ts, &sig), BODY).unwrap();
    assert_eq!(
        v,
        Verified { scheme: Scheme::Standard, delivery_id: Some(ID.to_owned()), signed_at: now(), secret_index: 0 }
    );
}

#[test]
fn signed_headers_round_trip_for_both_schemes() {
    for s in [secret(STANDARD_SECRET), secret(LEGACY_KEY_B64)] {
        let pairs = s.signed_headers(ID, now(), BODY);
        let h = Headers::from_pairs(&pairs);
        let v = verify(std::slice::from_ref(&s), &h, BODY, now(), DEFAULT_TOLERANCE).unwrap();
        assert_eq!(v.scheme, s.scheme());
    }
}

#[test]
fn headers_from_pairs_ignores_case() {
    let pairs = [("Webhook-Id", "a"), ("WEBHOOK-TIMESTAMP", "1"), ("x", "y")];
    let h = Headers::from_pairs(&pairs);
    assert_eq!(h.webhook_id, Some("a"));
    assert_eq!(h.webhook_timestamp, Some("1"));
    assert_eq!(h.webhook_signature, None);
    assert_eq!(h.openphone_signature, None);
}

// ---- rejections ----

#[test]
fn wrong_key_is_rejected() {
    let header = legacy_at(SignedDuration::ZERO);
    let wrong_legacy = secret("c29tZSBvdGhlciBrZXk=");
    assert_eq!(check(&[wrong_legacy], legacy_h(&header), BODY), Err(VerifyError::BadSignature));
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    assert_eq!(check(&[secret(OTHER_SECRET)], std_h(ID, &ts, &sig), BODY), Err(VerifyError::BadSignature));
}

#[test]
fn one_tampered_byte_is_rejected() {
    let mut tampered = BODY.to_vec();
    tampered[10] ^= 0x01;
    let header = legacy_at(SignedDuration::ZERO);
    assert_eq!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&header), &tampered), Err(VerifyError::BadSignature));
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    assert_eq!(check(&[secret(STANDARD_SECRET)], std_h(ID, &ts, &sig), &tampered), Err(VerifyError::BadSignature));
    // The id and timestamp are signed too.
    assert_eq!(check(&[secret(STANDARD_SECRET)], std_h("msg_other", &ts, &sig), BODY), Err(VerifyError::BadSignature));
}

#[test]
fn skew_boundaries_both_schemes() {
    let ok = [-299, -300, 299, 300];
    let old = SignedDuration::from_secs(-301);
    let new = SignedDuration::from_secs(301);
    for secs in ok {
        let d = SignedDuration::from_secs(secs);
        assert!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&legacy_at(d)), BODY).is_ok(), "{secs}");
        let (ts, sig) = standard_at(d);
        assert!(check(&[secret(STANDARD_SECRET)], std_h(ID, &ts, &sig), BODY).is_ok(), "{secs}");
    }
    let too_old =
        Err(VerifyError::TimestampTooOld { age: SignedDuration::from_secs(301), tolerance: DEFAULT_TOLERANCE });
    assert_eq!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&legacy_at(old)), BODY), too_old);
    let (ts, sig) = standard_at(old);
    assert_eq!(check(&[secret(STANDARD_SECRET)], std_h(ID, &ts, &sig), BODY), too_old);

    let too_new =
        Err(VerifyError::TimestampTooNew { ahead: SignedDuration::from_secs(301), tolerance: DEFAULT_TOLERANCE });
    assert_eq!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&legacy_at(new)), BODY), too_new);
    let (ts, sig) = standard_at(new);
    assert_eq!(check(&[secret(STANDARD_SECRET)], std_h(ID, &ts, &sig), BODY), too_new);
}

#[test]
fn legacy_millisecond_precision_counts() {
    // 4m59.999s old passes, 5m00.001s old fails: the milliseconds are read.
    let d = SignedDuration::from_millis(-299_999);
    assert!(check(&[secret(LEGACY_KEY_B64)], legacy_h(&legacy_at(d)), BODY).is_ok());
    let d = SignedDuration::from_millis(-300_001);
    assert!(matches!(
        check(&[secret(LEGACY_KEY_B64)], legacy_h(&legacy_at(d)), BODY),
        Err(VerifyError::TimestampTooOld { .. })
    ));
}

#[test]
fn tolerance_is_a_parameter() {
    let header = legacy_at(SignedDuration::from_secs(-30));
    let h = legacy_h(&header);
    let s = [secret(LEGACY_KEY_B64)];
    assert!(verify(&s, &h, BODY, now(), SignedDuration::from_secs(31)).is_ok());
    assert!(verify(&s, &h, BODY, now(), SignedDuration::from_secs(29)).is_err());
}

#[test]
fn missing_headers() {
    let s = [secret(STANDARD_SECRET), secret(LEGACY_KEY_B64)];
    assert_eq!(check(&s, Headers::default(), BODY), Err(VerifyError::MissingSignature));
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    let only_sig = Headers { webhook_signature: Some(&sig), ..Headers::default() };
    assert_eq!(check(&s, only_sig, BODY), Err(VerifyError::MissingHeader(WEBHOOK_ID)));
    let no_ts = Headers { webhook_timestamp: None, ..std_h(ID, &ts, &sig) };
    assert_eq!(check(&s, no_ts, BODY), Err(VerifyError::MissingHeader(WEBHOOK_TIMESTAMP)));
    let no_sig = Headers { webhook_signature: None, ..std_h(ID, &ts, &sig) };
    assert_eq!(check(&s, no_sig, BODY), Err(VerifyError::MissingHeader(WEBHOOK_SIGNATURE)));
}

#[test]
fn malformed_legacy_headers() {
    let good = legacy_at(SignedDuration::ZERO);
    let parts: Vec<&str> = good.split(';').collect();
    let (ts, sig) = (parts[2], parts[3]);
    let s = [secret(LEGACY_KEY_B64)];
    for bad in [
        String::new(),
        " , ".to_owned(),
        format!("hmac;2;{ts};{sig}"),
        format!("sha1;1;{ts};{sig}"),
        format!("hmac;1;{ts}"),
        format!("hmac;1;{ts};{sig};extra"),
        format!("hmac;1;;{sig}"),
        format!("hmac;1;{ts};"),
        format!("hmac;1;-{ts};{sig}"),
        format!("hmac;1;12a4;{sig}"),
        format!("hmac;1;99999999999999999999;{sig}"),
        format!("hmac;1;{ts};not*base64!"),
        sig.to_owned(),
    ] {
        assert!(is_malformed(check(&s, legacy_h(&bad), BODY)), "{bad:?}");
    }
}

#[test]
fn malformed_standard_headers() {
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    let b64 = sig.trim_start_matches("v1,");
    let s = [secret(STANDARD_SECRET)];
    let v2_only = format!("v2,{b64}");
    let no_comma = format!("v1{b64}");
    let bad_b64 = "v1,@@not-base64@@".to_owned();
    for bad in ["", "   ", &v2_only, &no_comma, &bad_b64] {
        assert!(is_malformed(check(&s, std_h(ID, &ts, bad), BODY)), "{bad:?}");
    }
    for bad_ts in ["", "abc", "1.5", "-1", " 1774893600", "99999999999999999999"] {
        assert!(is_malformed(check(&s, std_h(ID, bad_ts, &sig), BODY)), "{bad_ts:?}");
    }
    assert!(is_malformed(check(&s, std_h("", &ts, &sig), BODY)));
}

#[test]
fn any_of_several_standard_signatures_passes() {
    let (ts, good) = standard_at(SignedDuration::ZERO);
    let wrong = sign_standard(secret(OTHER_SECRET).key(), ID, now().as_second(), BODY);
    let s = [secret(STANDARD_SECRET)];
    let both = format!("{wrong} {good}");
    assert!(check(&s, std_h(ID, &ts, &both), BODY).is_ok());
    let with_unknown = format!("v1a,c29tZXRoaW5n  {good}");
    assert!(check(&s, std_h(ID, &ts, &with_unknown), BODY).is_ok());
    let unpadded = good.trim_end_matches('=');
    assert!(check(&s, std_h(ID, &ts, unpadded), BODY).is_ok());
    assert_eq!(check(&s, std_h(ID, &ts, &format!("{wrong} {wrong}")), BODY), Err(VerifyError::BadSignature));
}

#[test]
fn any_of_several_legacy_signatures_passes() {
    let good = legacy_at(SignedDuration::ZERO);
    let wrong = sign_legacy(b"another key", now().as_millisecond(), BODY);
    let s = [secret(LEGACY_KEY_B64)];
    assert!(check(&s, legacy_h(&format!("{wrong},{good}")), BODY).is_ok());
    assert!(check(&s, legacy_h(&format!("hmac;2;1;abc=, {good}")), BODY).is_ok());
    // A stale valid entry does not hide a fresh one.
    let stale = legacy_at(SignedDuration::from_secs(-3600));
    assert!(check(&s, legacy_h(&format!("{stale},{good}")), BODY).is_ok());
}

#[test]
fn key_rotation_reports_the_matching_secret() {
    let secrets = [secret(LEGACY_KEY_B64), secret(OTHER_SECRET), secret(STANDARD_SECRET)];
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    let v = check(&secrets, std_h(ID, &ts, &sig), BODY).unwrap();
    assert_eq!(v.secret_index, 2);
    let v = check(&secrets, legacy_h(&legacy_at(SignedDuration::ZERO)), BODY).unwrap();
    assert_eq!(v.secret_index, 0);
}

#[test]
fn keys_are_bound_to_their_scheme() {
    let (ts, sig) = standard_at(SignedDuration::ZERO);
    // The same key bytes configured as a legacy secret do not verify a
    // Standard delivery: the configuration error is named.
    let as_legacy = WebhookSecret::Legacy(standard_key());
    assert_eq!(check(&[as_legacy], std_h(ID, &ts, &sig), BODY), Err(VerifyError::NoSecretForScheme(Scheme::Standard)));
    assert_eq!(
        check(&[], legacy_h(&legacy_at(SignedDuration::ZERO)), BODY),
        Err(VerifyError::NoSecretForScheme(Scheme::Legacy))
    );
}

#[test]
fn legacy_header_is_tried_when_standard_headers_fail() {
    let legacy = legacy_at(SignedDuration::ZERO);
    let h = Headers { openphone_signature: Some(&legacy), ..std_h(ID, "1774893600", "v1,AAAA") };
    let v = check(&[secret(LEGACY_KEY_B64)], h, BODY).unwrap();
    assert_eq!(v.scheme, Scheme::Legacy);
    // With keys for both, the failing scheme's own error is reported.
    let h = Headers { openphone_signature: Some("hmac;1;1;AAAA"), ..std_h(ID, "1774893600", "v1,AAAA") };
    assert_eq!(check(&[secret(STANDARD_SECRET)], h, BODY), Err(VerifyError::BadSignature));
}

#[test]
fn error_messages_are_readable() {
    let e = VerifyError::TimestampTooOld { age: SignedDuration::from_secs(301), tolerance: DEFAULT_TOLERANCE };
    assert_eq!(e.to_string(), "signature timestamp is 5m 1s old, beyond the 5m tolerance");
    let e = check(&[secret(LEGACY_KEY_B64)], legacy_h("hmac;1;123"), BODY).unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed `openphone-signature` header: expected `hmac;1;<timestamp>;<signature>`, got 3 field(s)"
    );
}
