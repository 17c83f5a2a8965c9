//! Tests of body parsing and the body builders.

use jiff::Timestamp;

use super::*;

/// Shape of the Help Center's `message.received` sample (app webhook, v2).
const LEGACY: &str = r#"{
  "id": "EVc67ec998b35c41d388af50799aeeba3e",
  "object": "event",
  "apiVersion": "v2",
  "createdAt": "2022-01-23T16:55:52.557Z",
  "type": "message.received",
  "data": {
    "object": {
      "id": "AC24a8b8321c4f4cf2be110f4250793d51",
      "object": "message",
      "from": "+14155550100",
      "to": "+13105550199",
      "direction": "incoming",
      "body": "Hello",
      "media": [],
      "status": "received",
      "createdAt": "2022-01-23T16:55:52.420Z",
      "userId": "USu5AsEHuQ",
      "phoneNumberId": "PNtoDbDhuz",
      "conversationId": "CN78ba0373683c48fd8fd96bc836c51f79"
    }
  }
}"#;

/// Shape of Quo's new-system sample test event for `message.received`.
const V2: &str = r#"{
  "id": "EV-test-message-received",
  "apiVersion": "2026-03-30",
  "createdAt": "2026-03-30T18:00:00.000Z",
  "type": "message.received",
  "data": {
    "resource": {
      "id": "ACsampleactivity0000000000000000",
      "direction": "incoming",
      "text": "Hello from Quo! This is a sample message.",
      "status": "received",
      "createdAt": "2026-03-30T18:00:01.000Z"
    },
    "context": {
      "phoneNumberId": "PNsamplephonenumber000000000000",
      "conversationId": "CNsampleconversation000000000000",
      "userId": "USsampleus",
      "contacts": { "ids": ["CTsampleContact01234"], "lookupStatus": "matched" },
      "senderIdentifier": "+15555551234",
      "recipientIdentifiers": ["+15555555678"]
    },
    "links": { "quo": "https://my.quo.com/inbox/PN/c/CN" }
  }
}"#;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn parse(s: &str) -> Result<Event, ParseError> {
    parse_event(s.as_bytes())
}

fn with_replaced(src: &str, from: &str, to: &str) -> String {
    assert!(src.contains(from), "{from}");
    src.replacen(from, to, 1)
}

#[test]
fn legacy_envelope() {
    let e = parse(LEGACY).unwrap();
    assert_eq!(e.event_id, "EVc67ec998b35c41d388af50799aeeba3e");
    assert_eq!(e.event_type, MESSAGE_RECEIVED);
    assert_eq!(e.created_at, Some(ts("2022-01-23T16:55:52.557Z")));
    assert_eq!(e.api_version.as_deref(), Some("v2"));
    assert_eq!(e.shape, EnvelopeShape::Legacy);
    assert_eq!(
        e.message,
        Some(InboundMessage {
            message_id: "AC24a8b8321c4f4cf2be110f4250793d51".into(),
            from: "+14155550100".into(),
            to: "+13105550199".into(),
            body: "Hello".into(),
            created_at: Some(ts("2022-01-23T16:55:52.420Z")),
            phone_number_id: Some("PNtoDbDhuz".into()),
            conversation_id: Some("CN78ba0373683c48fd8fd96bc836c51f79".into()),
        })
    );
}

#[test]
fn legacy_envelope_wrapped_once_more() {
    let wrapped = format!(r#"{{"object": {LEGACY}}}"#);
    let e = parse(&wrapped).unwrap();
    assert_eq!(e.shape, EnvelopeShape::LegacyWrapped);
    let plain = parse(LEGACY).unwrap();
    assert_eq!(e.event_id, plain.event_id);
    assert_eq!(e.message, plain.message);
    // Only one level is unwrapped.
    let twice = format!(r#"{{"object": {wrapped}}}"#);
    assert_eq!(parse(&twice), Err(ParseError::MissingField("object.id".into())));
}

#[test]
fn legacy_api_webhook_v4_shape() {
    // API-created legacy webhooks: `to` is a list and the text is `text`.
    let v4 = with_replaced(LEGACY, r#""to": "+13105550199""#, r#""to": ["+13105550199", "+1999"]"#);
    let v4 = with_replaced(&v4, r#""body": "Hello""#, r#""text": "Hi there""#);
    let m = parse(&v4).unwrap().message.unwrap();
    assert_eq!(m.to, "+13105550199");
    assert_eq!(m.body, "Hi there");
}

#[test]
fn v2_envelope() {
    let e = parse(V2).unwrap();
    assert_eq!(e.event_id, "EV-test-message-received");
    assert_eq!(e.shape, EnvelopeShape::V2);
    assert_eq!(e.api_version.as_deref(), Some("2026-03-30"));
    assert_eq!(e.created_at, Some(ts("2026-03-30T18:00:00Z")));
    assert_eq!(
        e.message,
        Some(InboundMessage {
            message_id: "ACsampleactivity0000000000000000".into(),
            from: "+15555551234".into(),
            to: "+15555555678".into(),
            body: "Hello from Quo! This is a sample message.".into(),
            created_at: Some(ts("2026-03-30T18:00:01Z")),
            phone_number_id: Some("PNsamplephonenumber000000000000".into()),
            conversation_id: Some("CNsampleconversation000000000000".into()),
        })
    );
}

#[test]
fn v2_falls_back_to_resource_parties() {
    let body = r#"{"id":"EV1","apiVersion":"2026-03-30","type":"message.received",
        "data":{"resource":{"id":"AC1","from":"+1902","to":["+1800"]}}}"#;
    let m = parse(body).unwrap().message.unwrap();
    assert_eq!((m.from.as_str(), m.to.as_str(), m.body.as_str()), ("+1902", "+1800", ""));
    assert_eq!(m.phone_number_id, None);
}

#[test]
fn other_event_types_have_no_message() {
    let call = r#"{"id":"EV2","object":"event","apiVersion":"v2","createdAt":"2022-01-24T19:30:55.400Z",
        "type":"call.completed","data":{"object":{"id":"AC1","object":"call","status":"completed"}}}"#;
    let e = parse(call).unwrap();
    assert_eq!((e.event_type.as_str(), e.message), ("call.completed", None));
    let v2 = with_replaced(V2, "message.received", "call.completed");
    let e = parse(&v2).unwrap();
    assert_eq!((e.shape, e.message), (EnvelopeShape::V2, None));
    let delivered = with_replaced(LEGACY, "message.received", "message.delivered");
    assert_eq!(parse(&delivered).unwrap().message, None);
}

#[test]
fn missing_data() {
    let e = parse(r#"{"id":"EV1","object":"event","type":"message.received"}"#);
    assert_eq!(e, Err(ParseError::MissingField("data".into())));
    let e = parse(r#"{"object":{"id":"EV1","type":"call.completed"}}"#);
    assert_eq!(e, Err(ParseError::MissingField("object.data".into())));
    let e = parse(r#"{"id":"EV1","type":"message.received","data":{}}"#);
    assert_eq!(e, Err(ParseError::MissingField("data.object".into())));
    let e = parse(r#"{"id":"EV1","apiVersion":"2026-03-30","type":"message.received","data":{}}"#);
    assert_eq!(e, Err(ParseError::MissingField("data.resource".into())));
    let e = parse(r#"{"id":"EV1","type":"message.received","data":"x"}"#);
    assert!(matches!(e, Err(ParseError::WrongType { .. })));
}

#[test]
fn garbage_is_not_json() {
    let e = parse_event(b"\xff\xfe\x00garbage").unwrap_err();
    assert!(matches!(e, ParseError::NotJson { line: 1, column: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("line 1 column 1"), "{e}");
    let e = parse("{\"id\": \"EV1\",\n  \"type\" 5}").unwrap_err();
    assert!(matches!(e, ParseError::NotJson { line: 2, column: 10, .. }), "{e:?}");
    assert!(matches!(parse(""), Err(ParseError::NotJson { .. })));
    assert!(matches!(parse(&LEGACY[..LEGACY.len() - 3]), Err(ParseError::NotJson { .. })));
    assert_eq!(
        parse("[1,2]"),
        Err(ParseError::WrongType { path: "(body)".into(), expected: "object", found: "array" })
    );
}

#[test]
fn missing_and_mistyped_fields_name_their_path() {
    let no_from = with_replaced(LEGACY, r#""from": "+14155550100","#, "");
    assert_eq!(parse(&no_from), Err(ParseError::MissingField("data.object.from".into())));
    let no_id = with_replaced(LEGACY, r#""id": "EVc67ec998b35c41d388af50799aeeba3e","#, "");
    assert_eq!(parse(&no_id), Err(ParseError::MissingField("id".into())));
    let numeric_id = with_replaced(LEGACY, r#""EVc67ec998b35c41d388af50799aeeba3e""#, "42");
    let e = parse(&numeric_id).unwrap_err();
    assert_eq!(e, ParseError::WrongType { path: "id".into(), expected: "string", found: "number" });
    assert_eq!(e.to_string(), "field `id` has the wrong type: expected string, found number");
    let bad_to = with_replaced(LEGACY, r#""+13105550199""#, "true");
    assert!(matches!(parse(&bad_to), Err(ParseError::WrongType { path, .. }) if path == "data.object.to"));
    let no_sender = with_replaced(V2, r#""senderIdentifier": "+15555551234","#, "");
    assert_eq!(parse(&no_sender), Err(ParseError::MissingField("data.context.senderIdentifier".into())));
    let no_recipients = with_replaced(V2, r#"["+15555555678"]"#, "[]");
    assert_eq!(parse(&no_recipients), Err(ParseError::EmptyList("data.context.recipientIdentifiers".into())));
    let numeric_text = with_replaced(V2, r#""Hello from Quo! This is a sample message.""#, "7");
    assert!(matches!(parse(&numeric_text), Err(ParseError::WrongType { path, .. }) if path == "data.resource.text"));
}

#[test]
fn media_only_and_odd_timestamps_are_tolerated() {
    let no_body = with_replaced(LEGACY, r#""body": "Hello","#, "");
    assert_eq!(parse(&no_body).unwrap().message.unwrap().body, "");
    let odd = with_replaced(LEGACY, "2022-01-23T16:55:52.420Z", "yesterday");
    let m = parse(&odd).unwrap().message.unwrap();
    assert_eq!((m.created_at, m.message_id.len()), (None, 34));
}

#[test]
fn builders_produce_the_vendor_bytes() {
    // Expected bytes from python3's json.dumps(obj, separators=(",",":"),
    // ensure_ascii=False) on dicts in Quo's field order (see module docs).
    let text = "Bay 3 frozen \u{1F976} <b>help</b> \"now\" '; DROP TABLE bookings;-- \\ é";
    let at = ts("2026-03-30T18:00:00.123Z");
    let legacy = build_message_received_legacy(
        "EVc67ec998b35c41d388af50799aeeba3e",
        "AC24a8b8321c4f4cf2be110f4250793d51",
        "+19025550123",
        "+19025550100",
        text,
        at,
    );
    assert_eq!(
        String::from_utf8(legacy).unwrap(),
        r#"{"id":"EVc67ec998b35c41d388af50799aeeba3e","object":"event","apiVersion":"v2","createdAt":"2026-03-30T18:00:00.123Z","type":"message.received","data":{"object":{"id":"AC24a8b8321c4f4cf2be110f4250793d51","object":"message","from":"+19025550123","to":"+19025550100","direction":"incoming","body":"Bay 3 frozen 🥶 <b>help</b> \"now\" '; DROP TABLE bookings;-- \\ é","media":[],"status":"received","createdAt":"2026-03-30T18:00:00.123Z"}}}"#
    );
    let v2 = build_message_received_v2("EV123", "AC-message", "+19025550123", "+19025550100", text, at, Some("PN123"));
    assert_eq!(
        String::from_utf8(v2.clone()).unwrap(),
        r#"{"id":"EV123","apiVersion":"2026-03-30","createdAt":"2026-03-30T18:00:00.123Z","type":"message.received","data":{"resource":{"id":"AC-message","direction":"incoming","text":"Bay 3 frozen 🥶 <b>help</b> \"now\" '; DROP TABLE bookings;-- \\ é","status":"received","createdAt":"2026-03-30T18:00:00.123Z"},"context":{"phoneNumberId":"PN123","conversationId":null,"contacts":{"ids":[],"lookupStatus":"unavailable"},"senderIdentifier":"+19025550123","recipientIdentifiers":["+19025550100"]},"links":{"quo":null}}}"#
    );
    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),b"msg_2abcDEFghiJKLmnoPQRstu.1774893600."+open("v2body","rb").read(),hashlib.sha256).digest()).decode())'
    let key = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(
        sign_standard(key.key(), "msg_2abcDEFghiJKLmnoPQRstu", 1_774_893_600, &v2),
        "v1,nFngyYeyhVZRRVBBRwdM84glzmeMTfLK63J0Teu1ARI="
    );
}

#[test]
fn tricky_bodies_round_trip_exactly() {
    let at = ts("2026-03-30T18:00:00Z");
    for text in [
        "",
        "plain",
        "emoji 🏌️‍♂️⛳ and flags 🇨🇦",
        "<script>alert('x')</script>&amp;",
        r#"quotes " ' ` and \ backslash \" \\"#,
        "Robert'); DROP TABLE customers;--",
        "line\nbreak\r\ttab \u{0} nul \u{7f} \u{2028} \u{202e}rtl",
        "{\"not\":\"json\"}",
    ] {
        let wrapped_legacy = {
            let inner = build_message_received_legacy("EV1", "AC1", "+1902", "+1800", text, at);
            let mut out = br#"{"object":"#.to_vec();
            out.extend_from_slice(&inner);
            out.push(b'}');
            out
        };
        for raw in [
            build_message_received_legacy("EV1", "AC1", "+1902", "+1800", text, at),
            build_message_received_v2("EV1", "AC1", "+1902", "+1800", text, at, None),
            wrapped_legacy,
        ] {
            let e = parse_event(&raw).unwrap();
            let m = e.message.unwrap();
            assert_eq!(m.body, text);
            assert_eq!((m.from.as_str(), m.to.as_str()), ("+1902", "+1800"));
            assert_eq!((e.created_at, m.created_at), (Some(at), Some(at)));
        }
    }
}
