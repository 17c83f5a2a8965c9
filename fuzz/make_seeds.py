#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/seeds/<target>/.

Every seed is invented for the purpose: fictional 555-01xx numbers, made-up
ids, the fuzz harness's own test keys (fuzz/src/lib.rs). No customer data.
Run from anywhere: python3 fuzz/make_seeds.py (it rewrites fuzz/seeds/).
"""
import base64, hashlib, hmac, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")

LEGACY_KEY = base64.b64decode("ZnV6ei1sZWdhY3ktc2lnbmluZy1rZXktbm90LXJlYWw=")
STANDARD_KEY = base64.b64decode("ZnV6ei1zdGFuZGFyZC1zaWduaW5nLWtleQ==")
NOW = 1_774_893_600  # the harness's clock, 2026-03-30T18:00:00Z


def write(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def b64(b):
    return base64.b64encode(b).decode()


def legacy_sig(ts, body, key=LEGACY_KEY):
    return b64(hmac.new(key, str(ts).encode() + b"." + body, hashlib.sha256).digest())


def standard_sig(msg_id, ts, body, key=STANDARD_KEY):
    return b64(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest())


# ---- webhook bodies ----
legacy_v2 = {
    "id": "EVfuzz00000000000000000000000001", "object": "event", "apiVersion": "v2",
    "createdAt": "2026-03-30T17:59:58.120Z", "type": "message.received",
    "data": {"object": {
        "id": "ACfuzz00000000000000000000000001", "object": "message",
        "from": "+19025550123", "to": "+19025550100", "direction": "incoming",
        "body": "trackman frozen in bay 2", "media": [], "status": "received",
        "createdAt": "2026-03-30T17:59:58.000Z", "userId": "USfuzz0001",
        "phoneNumberId": "PNfuzz0001", "conversationId": "CNfuzz00000000000000000000000001"}}}
legacy_v4 = {
    "id": "EVfuzz00000000000000000000000002", "object": "event", "apiVersion": "v4",
    "createdAt": "2026-03-30T17:59:59.000Z", "type": "message.received",
    "data": {"object": {
        "id": "ACfuzz00000000000000000000000002", "object": "message",
        "from": "(902) 555-0124", "to": ["+19025550100", "+19025550101"], "direction": "incoming",
        "text": "door won't open, I'm booked for bay 3 at 7", "media": [{"url": "https://example.invalid/m.jpg", "type": "image/jpeg"}],
        "status": "received", "createdAt": "2026-03-30T17:59:59.000Z"}}}
legacy_wrapped = {"object": legacy_v2}
legacy_delivered = dict(legacy_v2, type="message.delivered")
legacy_media_only = json.loads(json.dumps(legacy_v2))
legacy_media_only["data"]["object"]["body"] = None
legacy_media_only["data"]["object"]["media"] = [{"url": "https://example.invalid/photo.png", "type": "image/png"}]
v2 = {
    "id": "EVfuzz-v2-0001", "apiVersion": "2026-03-30", "createdAt": "2026-03-30T18:00:00.000Z",
    "type": "message.received",
    "data": {
        "resource": {"id": "ACfuzzv2resource0000000000000001", "direction": "incoming",
                     "text": "what are your hours on sunday?", "status": "received",
                     "createdAt": "2026-03-30T18:00:00.500Z"},
        "context": {"phoneNumberId": "PNfuzzv2", "conversationId": "CNfuzzv2", "userId": "USfuzzv2",
                    "contacts": {"ids": ["CTfuzz0001"], "lookupStatus": "matched"},
                    "senderIdentifier": "902-555-0125", "recipientIdentifiers": ["+19025550100"]},
        "links": {"quo": None}}}
v2_resource_parties = {
    "id": "EVfuzz-v2-0002", "apiVersion": "2026-03-30", "createdAt": "2026-03-30T18:00:00Z",
    "type": "message.received",
    "data": {"resource": {"id": "ACfuzzv2resource0000000000000002", "from": "+442079460000",
                          "to": ["+19025550100"], "text": "EMERGENCY someone fell in bay 4"}}}
v2_call = {"id": "EVfuzz-v2-0003", "apiVersion": "2026-03-30", "createdAt": "2026-03-30T18:00:00Z",
           "type": "call.completed", "data": {"resource": {"id": "ACcall"}, "context": {}}}

bodies = {
    "legacy_v2.json": json.dumps(legacy_v2, indent=2).encode(),
    "legacy_v4_to_list.json": json.dumps(legacy_v4, separators=(",", ":")).encode(),
    "legacy_wrapped.json": json.dumps(legacy_wrapped).encode(),
    "legacy_delivered.json": json.dumps(legacy_delivered).encode(),
    "legacy_media_only.json": json.dumps(legacy_media_only).encode(),
    "v2.json": json.dumps(v2, indent=2).encode(),
    "v2_resource_parties.json": json.dumps(v2_resource_parties).encode(),
    "v2_other_event.json": json.dumps(v2_call).encode(),
    "missing_data.json": b'{"id":"EVx","type":"message.received"}',
    "not_json.txt": b"hmac;1;not a body",
}

for target in ["webhook_legacy", "webhook_standard"]:
    # No headers: the harness signs the body itself with the target's scheme.
    for name, body in bodies.items():
        write(target, "signed_" + name, body)

body = bodies["legacy_v2.json"]
ms = NOW * 1000 + 123
write("webhook_legacy", "raw_valid_ms.http", f"openphone-signature: hmac;1;{ms};{legacy_sig(ms, body)}\n\n".encode() + body)
write("webhook_legacy", "raw_valid_seconds.http", f"openphone-signature: hmac;1;{NOW};{legacy_sig(NOW, body)}\n\n".encode() + body)
write("webhook_legacy", "raw_two_entries.http",
      f"openphone-signature: hmac;2;{ms};AAAA,hmac;1;{ms};{legacy_sig(ms, body)}\n\n".encode() + body)
write("webhook_legacy", "raw_stale.http",
      f"openphone-signature: hmac;1;{ms - 3600_000};{legacy_sig(ms - 3600_000, body)}\n\n".encode() + body)
write("webhook_legacy", "raw_bad_base64.http", b"openphone-signature: hmac;1;1774893600123;***\n\n" + body)
write("webhook_legacy", "raw_three_fields.http", b"Openphone-Signature: hmac;1;1774893600123\n\n" + body)
write("webhook_legacy", "raw_unpadded.http",
      f"openphone-signature: hmac;1;{ms};{legacy_sig(ms, body).rstrip('=')}\n\n".encode() + body)

body = bodies["v2.json"]
mid = "msg_2fuzzDEFghiJKLmnoPQRstu"
sig = standard_sig(mid, NOW, body)
other = standard_sig(mid, NOW, body, key=b"rotated-out-key")
write("webhook_standard", "raw_valid.http",
      f"webhook-id: {mid}\nwebhook-timestamp: {NOW}\nwebhook-signature: v1,{sig}\n\n".encode() + body)
write("webhook_standard", "raw_rotation.http",
      f"webhook-id: {mid}\nwebhook-timestamp: {NOW}\nwebhook-signature: v1,{other} v1a,AAAA v1,{sig}\n\n".encode() + body)
write("webhook_standard", "raw_future.http",
      f"webhook-id: {mid}\nwebhook-timestamp: {NOW + 900}\nwebhook-signature: v1,{standard_sig(mid, NOW + 900, body)}\n\n".encode() + body)
write("webhook_standard", "raw_missing_id.http",
      f"webhook-timestamp: {NOW}\nwebhook-signature: v1,{sig}\n\n".encode() + body)
write("webhook_standard", "raw_no_v1.http",
      f"webhook-id: {mid}\nwebhook-timestamp: {NOW}\nwebhook-signature: v1a,{sig}\n\n".encode() + body)
write("webhook_standard", "raw_both_schemes.http",
      f"webhook-id: {mid}\nwebhook-timestamp: 0{NOW}\nwebhook-signature: v1,{sig}\nopenphone-signature: hmac;1;{NOW};{legacy_sig(NOW, body)}\n\n".encode() + body)

# ---- config ----
write("config", "demo.toml", read("crates/config/src/demo.toml"))
write("config", "example.toml", read("crates/config/examples/clubos.example.toml"))
write("config", "design_example.toml", read("crates/config/src/tests/fixtures/design_example.toml"))
write("config", "minimal.toml", """[[locations]]
id = "fuzz-north"
name = "Fuzz North"
timezone = "America/Halifax"
phone_number = "(902) 555-0100"
bays = [{ number = 1 }, { number = 2 }]
""")
write("config", "profile_relative.toml", """[agent]
llm = "local"
autonomy_profile = "autonomy.json"
default_country = 1

[limits]
queue_max = 500

[[locations]]
id = "fuzz-south"
name = "Fuzz South"
timezone = "Europe/London"
phone_number = "+442079460000"
bays = [{ number = 1 }]
doors = [{ id = "side" }]
""")

# ---- autonomy profile ----
seed_profile = read("crates/domain/src/autonomy/mod.rs").decode()
start = seed_profile.index('pub const SEED_PROFILE_JSON: &str = r#"') + len('pub const SEED_PROFILE_JSON: &str = r#"')
write("autonomy_profile", "seed.json", seed_profile[start:seed_profile.index('"#', start)])
write("autonomy_profile", "example.json", read("crates/config/examples/autonomy.json"))
write("autonomy_profile", "empty.json", "{}")
write("autonomy_profile", "night_window.json", json.dumps({"faq": {"autonomy": True, "time_restrictions": {"start": "22:00", "end": "06:00"},
                                                                 "confidence_threshold": 1, "cooldown_seconds": 0, "max_fallbacks": 10}}))
write("autonomy_profile", "bad_key.json", json.dumps({"tech": {"autonomy": True, "rules": ["within 1441 min of booking"], "colour": "red"}}))
write("autonomy_profile", "nulls.json", json.dumps({"access": {"max_attempts_per_booking": None, "rules": [], "use_cheaper_model": False}}))

# ---- autonomy rules ----
for i, r in enumerate(["within 10 min of booking", "Within  5 MINUTES of the booking", "no flags", "no customer flags",
                       "within 1440 mins of booking", "within -3 min of booking", "within ten min of booking", "no flag"]):
    write("autonomy_rule", f"rule{i}.txt", r)

# ---- phone numbers ----
for i, p in enumerate(["(902) 555-0100", "902.555.0100", "+1 902 555 0100", "19025550100", "011 44 20 7946 0000",
                       "44|020 7946 0000", "44|00 33 1 23 45 67 89", "353|087 555 0123", "+442079460000",
                       "1|+1 (902) 555-0100", "999|0 1234567", "+0 123", "902 555 01\u00a000", "+1 555 555 5555 5"]):
    write("phone", f"phone{i}.txt", p)

# ---- SOP uploads ----
write("sop_markdown", "house_rules.md", """# Fuzz Fairway house rules

Welcome! Please read these before your first visit.

## Guest policy

Each booking covers up to **4 players** in one bay. Extra guests may watch
from the lounge.

- Can I bring friends?
- Q: how many people per bay

## Lost and found

We keep lost items for *30 days*. Text us a description and we will check
the [lost and found log](https://fuzz-fairway.example.invalid/lost).

- "I left my glove in bay 2"
- Did anyone find my keys?

## Simulator frozen

If the screen freezes we restart the TrackMan PC remotely.

Action: reset_trackman
Category: tech

1. sim frozen
2. trackman stuck

```
code block kept out
```

| Item | Price |
|------|-------|
| Bay  | $40   |
""")
write("sop_markdown", "setext.md", "Parking\n=======\n\nFree parking behind the building after 6 pm.\n\n* Where do I park?\n\nWifi\n----\nNetwork FuzzGuest, no password.\n")
write("sop_markdown", "paragraphs.md", "Gift cards are sold at the front desk.\n\nShoes: flat or soft spikes only.\n\n> quoted note\n\n<div>html</div>\n")
write("sop_text", "notes.txt", """Hours
We're open 6 am to midnight every day.
- what time do you open
- are you open late

Food and drink
Drinks are sold at the lounge; no outside alcohol.
- can I bring beer
""")
write("sop_text", "one_paragraph.txt", "\ufeffLockers are by the lounge and free to use.")
write("sop_csv", "faq.csv", """Topic,Questions,Answer,Category,Action,Tags,Price
Gift cards,"Do you sell gift cards?
Can I buy a gift card",Gift cards are sold at the front desk and online.,FAQ,,gifts; vouchers,25
,Is there a student discount? | student rate,Students get 20% off weekday bookings with a valid ID.,booking,Send Reply,,
Lockers,Any lockers?,Lockers are by the lounge.,snacks,,,
Parking,Where do I park?,,faq,,,
Bay reset,,We restart the simulator remotely when it freezes.,tech,reset-trackman,,
,,,,,,
Sim stuck,sim stuck,Hang on.,tech,fix_it,,
""")
write("sop_csv", "semicolon.csv", "question;answer\n\"Do you sell food?\";No food, drinks only\n")
write("sop_csv", "no_reply.csv", "title,question\nParking,Where do I park?\n")
starter = json.loads(read("data/sops/faq.json"))
hours = starter[0]
holidays = json.loads(json.dumps(hours))
holidays["id"] = "faq.hours.holidays"
holidays["title"] = "Holiday hours"
holidays["triggers"]["exact"] = ["holiday hours", "open on thanksgiving"]
holidays["dependencies"] = ["faq.hours"]
write("sop_json", "full_records.json", json.dumps([hours, holidays, dict(hours, id="tech.hours"), {"id": "faq.x", "colour": "red"}], indent=1))
write("sop_json", "simple_objects.json", json.dumps([
    {"title": "Shoe policy", "questions": ["Can I wear spikes?", "shoe rules"], "answer": "Flat or soft-spike shoes only on the mats.", "notes": "binder"},
    {"question": "Do you have wifi for guests?", "reply": "Yes: network FuzzGuest, no password.", "category": "faq"},
    {"title": "Remote unlock", "triggers": "let me in", "answer": "We open the door remotely.", "action": "unlock_door", "category": "access"},
    {"title": "Broken", "answer": 5}, 7]))
write("sop_json", "one_object.json", json.dumps({"title": "Club rentals", "answer": "Rental sets are free with every booking."}))
write("sop_json", "wrapped.json", json.dumps({"sops": [holidays]}))

# ---- LLM tool-call arguments ----
for i, a in enumerate([
    {"category": "tech", "sub_intent": "trackman_frozen", "confidence": 0.93, "action": "reset_trackman", "bay": 3, "reply": "Resetting bay 3 now.", "reason": "frozen"},
    {"category": None, "confidence": 0.4, "action": "escalate"},
    {"category": "access", "confidence": 0.9, "action": "unlock_door", "door": "front", "sub_intent": "door_wont_open"},
    {"category": "faq", "confidence": 1, "action": "reply", "reply": "  We're open 6 am to midnight.  "},
    {"category": "tech", "confidence": 0.9, "action": "reboot_pc", "bay": 70000},
    {"category": "booking", "confidence": 1e-300, "action": "none", "extra": 1},
]):
    write("llm_tool_args", f"args{i}.json", json.dumps(a))
write("llm_tool_args", "dup_key.json", '{"category":"tech","confidence":0.5,"action":"none","action":"escalate"}')

# ---- Claude's SOP-work tool inputs ----
parking = starter[2]
write("llm_review_args", "propose_sops.json", json.dumps({"sops": [holidays, dict(parking, reply="Park anywhere behind the building.")]}))
write("llm_review_args", "report_findings.json", json.dumps({"findings": [
    {"kind": "conflict", "sops": ["faq.hours", "faq.parking"], "explanation": "Both answer when the lot is open.", "sop": hours},
    {"kind": "merge", "sops": ["faq.hours", "faq.hours"], "explanation": " ", "sop": hours}]}))
write("llm_review_args", "propose_change.json", json.dumps({"change": dict(hours, reply="We're open 7 am to 11 pm."), "explanation": "Customers were told the old hours."}))
write("llm_review_args", "propose_no_change.json", json.dumps({"change": None, "explanation": "The SOP was right."}))
