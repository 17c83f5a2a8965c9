//! Refused configurations: each names the file, the key and the reason.

use std::path::Path;

use super::{BASE, DESIGN_EXAMPLE, Dir, file_name, load};
use crate::{Config, ErrorKind, Position};

/// `[bookings]` for the HTTP provider, ready for more keys.
const HTTP_BOOKINGS: &str = "[bookings]\nprovider = \"http\"\nbase_url = \"https://bookings.example.com/api\"\n";

/// `(config text, key, reason)`; the file is always `clubos.toml`.
fn cases() -> Vec<(String, &'static str, &'static str)> {
    let with = |head: &str| format!("{head}\n{BASE}");
    vec![
        (
            with("[server]\nlisten = \"127.0.0.1:8080\"\nport = 8080"),
            "server.port",
            "unknown key; expected one of `listen`, `database_url`, `database_password_env`, `api_token_env`, `sqlite_synchronous`, `database_pool_size`, `database_ca_file`",
        ),
        (with("[server]\ndatabase_pool_size = 0"), "server.database_pool_size", "must be from 1 to 1000"),
        (
            with("[server]\ndatabase_url = \"postgres://db/clubos?sslmode=allow\""),
            "server.database_url",
            "has sslmode=allow; use one of disable, prefer, require, verify-ca, verify-full",
        ),
        (
            with("[srever]\nlisten = \"127.0.0.1:8080\""),
            "srever",
            "unknown key; expected one of `server`, `agent`, `limits`, `time_rules`, `signals`, `llm`, `connectors`, `bookings`, `notify`, `console`, `privacy`, `http`, `locations`",
        ),
        (
            with("[agent]\nworkers = \"two\""),
            "agent.workers",
            "invalid type: string \"two\", expected a whole number ≥ 0",
        ),
        (with("[agent]\nworkers = 0"), "agent.workers", "must be from 1 to 256"),
        (
            with("[console]\nsession_idle_minutes = 1"),
            "console.session_idle_minutes",
            "must be from 5 to 10080 (a week)",
        ),
        (with("[console]\nlogin_max_failures = 0"), "console.login_max_failures", "must be from 1 to 100"),
        (
            with("[privacy]\nretention_days = 0"),
            "privacy.retention_days",
            "must be from 1 to 3650 days (leave it out to keep data until forgotten)",
        ),
        (
            with("[privacy]\nretention_days = 3651"),
            "privacy.retention_days",
            "must be from 1 to 3650 days (leave it out to keep data until forgotten)",
        ),
        (with("[privacy]\nretention = 30"), "privacy.retention", "unknown key; expected `retention_days`"),
        (
            with("[[llm.prices]]\nmodel = \"gpt-test\"\ninput_usd_per_million = -1\noutput_usd_per_million = 2"),
            "llm.prices[0].input_usd_per_million",
            "-1 is not a price from 0 to 100000 dollars",
        ),
        (
            with("[agent]\nllm = \"gpt\""),
            "agent.llm",
            "unknown value `gpt`, expected one of `local`, `openai`, `anthropic`",
        ),
        (with("[agent]\ndefault_country = 0"), "agent.default_country", "country code 0 is not between 1 and 999"),
        (
            BASE.replace("America/Halifax", "Mars/Olympus"),
            "locations[0].timezone",
            "unknown time zone \"Mars/Olympus\"; use an IANA name such as \"America/Halifax\"",
        ),
        (
            with("[server]\nlisten = \"localhost:8080\""),
            "server.listen",
            "`localhost:8080` is not an IP address and port such as 127.0.0.1:8080 or [::]:8080",
        ),
        (
            with("[server]\ndatabase_url = \"postgres://clubos:hunter2@db/clubos\""),
            "server.database_url",
            "must not contain a password; name the variable that holds it in `server.database_password_env`",
        ),
        (
            with("[server]\ndatabase_url = \"mysql://db\""),
            "server.database_url",
            "must be sqlite://PATH, sqlite::memory: or postgres://…",
        ),
        (
            with("[connectors.openphone]\nmode = \"sandbox\"\nfrom_number = \"902-555-0100\""),
            "connectors.openphone.from_number",
            "phone number must be in E.164 form, such as +19025550100",
        ),
        (
            format!("{BASE}phone_number = \"+44123\"\n"),
            "locations[0].phone_number",
            "phone number is too short: 5 digits, need at least 7",
        ),
        (
            BASE.replace("{ number = 1, ninjaone_device_id = 101 }", "{ number = 1 }, { number = 1 }"),
            "locations[0].bays[1].number",
            "duplicate bay number `1` (already used at `locations[0].bays[0].number`)",
        ),
        (
            BASE.replace("number = 1,", "number = 1, model = \"x\","),
            "locations[0].bays[0].model",
            "unknown key; expected `number` or `ninjaone_device_id`",
        ),
        (BASE.replace("id = \"front\", ", ""), "locations[0].doors[0].id", "is required"),
        (
            BASE.replace("number = 1,", "number = 0,"),
            "locations[0].bays[0].number",
            "invalid bay number `0`: must be between 1 and 999",
        ),
        (
            format!("{BASE}{}", BASE.replace("Bedford\"", "Bedford 2\"")),
            "locations[1].id",
            "duplicate location id `bedford` (already used at `locations[0].id`)",
        ),
        (
            BASE.replace("\"bedford\"", "\"Bedford Main\""),
            "locations[0].id",
            "invalid location id `Bedford Main`: use lowercase letters, digits, `-`, `_` and `` only",
        ),
        (BASE.replace("name = \"Bedford\"\n", ""), "locations[0].name", "is required"),
        ("[server]\n".into(), "locations", "at least one [[locations]] table is required"),
        (
            format!("{BASE}daily_token_cap = 5000\nmonthly_token_cap = 100\n"),
            "locations[0].daily_token_cap",
            "5000 is more than monthly_token_cap (100)",
        ),
        (with("[agent]\nllm = \"openai\""), "agent.llm", "is \"openai\" but there is no [llm.openai] section"),
        (with("[agent]\nllm = \"anthropic\""), "agent.llm", "is \"anthropic\" but there is no [llm.anthropic] section"),
        (with("[agent]\nautonomy_profile = \"missing.json\""), "agent.autonomy_profile", "cannot read"),
        (
            with("[connectors.openphone]\napi_key = \"sk-live-123\""),
            "connectors.openphone.api_key",
            "unknown key; expected one of `mode`, `base_url`, `api_key_env`, `from_number`, `webhook_secret_env`. Secrets never go in the config file: put the value in an environment variable and name that variable with `api_key_env`",
        ),
        (
            with("[connectors.unifi_access]\ntoken = \"abc\""),
            "connectors.unifi_access.token",
            "unknown key; expected one of `mode`, `base_url`, `token_env`, `ca_file`, `pinned_sha256`, `insecure_tls`. Secrets never go in the config file: put the value in an environment variable and name that variable with `token_env`",
        ),
        (
            with("[llm.anthropic]\nmodel = \"m\"\napi_key_env = \"sk-ant-abc123\""),
            "llm.anthropic.api_key_env",
            "must be the NAME of an environment variable (ASCII letters, digits and `_`, not starting with a digit), not the secret itself",
        ),
        (
            with("[agent]\nthread_llm_interval_seconds = 15\n[limits]\nthread_llm_interval_seconds = 20"),
            "limits.thread_llm_interval_seconds",
            "is 20 but `agent.thread_llm_interval_seconds` is 15; set it in one place only ([agent] is the documented one)",
        ),
        (with("[limits]\nqueue_max = 0"), "limits.queue_max", "must be at least 1"),
        (with("[agent]\nmax_tokens_per_response = 0"), "agent.max_tokens_per_response", "must be at least 1"),
        (
            with("[limits.timeouts]\nunlock_door_seconds = 0"),
            "limits.timeouts.unlock_door_seconds",
            "must be from 1 to 600",
        ),
        (
            with("[limits.timeouts]\nunlock_door = 5"),
            "limits.timeouts.unlock_door",
            "unknown key; expected one of `reset_trackman_seconds`, `unlock_door_seconds`, `reboot_pc_seconds`, `send_reply_seconds`",
        ),
        (
            with("[time_rules]\nidle_timeout_minutes = 0"),
            "time_rules.idle_timeout_minutes",
            "must be from 1 to 10080 (a week)",
        ),
        (
            with("[signals]\nemergency_phrases = []"),
            "signals.emergency_phrases",
            "must not be empty; leave the key out for the built-in list",
        ),
        (
            with("[signals]\nnegative_phrases = [\"ugh\", \"!!\"]"),
            "signals.negative_phrases[1]",
            "must contain a letter or digit",
        ),
        (
            with("[connectors.openphone]\napi_key_env = \"K\"\nfrom_number = \"+19025550100\""),
            "connectors.openphone.base_url",
            "is required when the connector's mode is \"live\" (or set mode = \"sandbox\")",
        ),
        (
            with("[connectors.openphone]\nbase_url = \"https://api.openphone.com\"\napi_key_env = \"K\""),
            "connectors.openphone.from_number",
            "is required for a live connector unless every location has a phone_number (locations[0] has none)",
        ),
        (
            format!(
                "[connectors.ninjaone]\nbase_url = \"https://app.ninjarmm.com\"\nclient_id_env = \"I\"\n\
                 client_secret_env = \"S\"\nreset_script_id = 1\n{}",
                BASE.replace("{ number = 1, ninjaone_device_id = 101 }", "{ number = 1 }")
            ),
            "locations[0].bays[0].ninjaone_device_id",
            "is required when [connectors.ninjaone] is live",
        ),
        (
            with("[connectors.ninjaone]\nmode = \"sandbox\"\nreset_script_id = \"42\""),
            "connectors.ninjaone.reset_script_id",
            "invalid type: string \"42\", expected a whole number ≥ 0",
        ),
        (
            with("[connectors.unifi_access]\nmode = \"sandbox\"\ninsecure_tls = true\npinned_sha256 = \"00\""),
            "connectors.unifi_access.pinned_sha256",
            "must be the certificate's SHA-256: 64 hex digits, `:` separators allowed",
        ),
        (
            with("[connectors.unifi_access]\nmode = \"sandbox\"\nbase_url = \"10.0.0.2:12445\""),
            "connectors.unifi_access.base_url",
            "must start with https:// or http://",
        ),
        (
            with("[connectors.unifi_access]\nmode = \"off\""),
            "connectors.unifi_access.mode",
            "unknown value `off`, expected `live` or `sandbox`",
        ),
        (
            with("[notify.sms]\non_call_number = \"+19025550199\""),
            "notify.sms",
            "sends through OpenPhone, but [connectors.openphone] is not configured",
        ),
        (with("[bookings]\nprovider = \"http\""), "bookings.base_url", "is required when provider is \"http\""),
        (
            with("[bookings]\nprovider = \"skedda\""),
            "bookings.provider",
            "\"skedda\" is not supported: Skedda has no booking-lookup API this build can call; use provider = \"http\" with base_url and a [bookings.fields] mapping of your booking system's JSON API (see docs/CONNECTORS.md)",
        ),
        (
            with(&format!("{HTTP_BOOKINGS}[bookings.fields]\nid = \"reservationId\"")),
            "bookings.fields.id",
            "\"reservationId\" is not a JSON pointer: it must start with \"/\" (RFC 6901, e.g. \"/data/0/id\" or \"/reservationId\")",
        ),
        (
            with(&format!("{HTTP_BOOKINGS}[bookings.fields]\nitems = \"data.items\"")),
            "bookings.fields.items",
            "\"data.items\" is not a JSON pointer: it must start with \"/\" or be empty (RFC 6901, e.g. \"/data/0/id\" or \"/data.items\")",
        ),
        (
            with(&format!("{HTTP_BOOKINGS}[bookings.fields]\nstarts_at = \"\"")),
            "bookings.fields.starts_at",
            "must not be empty: every booking needs it; a JSON pointer such as \"/id\"",
        ),
        (
            with(&format!(
                "{HTTP_BOOKINGS}[bookings.status_map]\nbooked = \"confirmed\"\n\"Checked In\" = \"arrived\""
            )),
            "bookings.status_map.\"Checked In\"",
            "unknown status \"arrived\"; expected \"confirmed\", \"pending\" or \"cancelled\"",
        ),
        (
            with(&format!("{HTTP_BOOKINGS}auth_header = \"X Api Key\"")),
            "bookings.auth_header",
            "\"X Api Key\" is not an HTTP header name (e.g. \"X-Api-Key\")",
        ),
        (with(&format!("{HTTP_BOOKINGS}timeout_seconds = 0")), "bookings.timeout_seconds", "must be from 1 to 60"),
        (
            with("[bookings]\napi_key = \"bk-live-123\""),
            "bookings.api_key",
            "unknown key; expected one of `provider`, `base_url`, `path`, `api_key_env`, `auth_header`, `auth_scheme`, `timeout_seconds`, `webhook_secret_env`, `query`, `fields`, `status_map`. Secrets never go in the config file: put the value in an environment variable and name that variable with `api_key_env`",
        ),
        (format!("{BASE}booking_location_id = \" \"\n"), "locations[0].booking_location_id", "must not be empty"),
        (with("[llm.openai]\nbase_url = \"https://api.openai.com/v1\""), "llm.openai.complex_model", "is required"),
        (with("[llm]\nopenai = 3"), "llm.openai", "invalid type: integer `3`, expected a table"),
        ("locations = 3".to_owned(), "locations", "invalid type: integer `3`, expected a list"),
    ]
}

#[test]
fn each_bad_config_names_file_key_and_reason() {
    let mut failures = Vec::new();
    for (text, key, reason) in cases() {
        let e = match load(&text) {
            Ok(_) => {
                failures.push(format!("accepted:\n{text}"));
                continue;
            }
            Err(e) => e,
        };
        let ok = file_name(&e.file) == "clubos.toml"
            && e.key.as_deref() == Some(key)
            && (e.reason == reason || (reason == "cannot read" && e.reason.starts_with(reason)))
            && e.kind == ErrorKind::Invalid;
        if !ok {
            failures.push(format!("want {key}: {reason}\n got {:?}: {}\n for:\n{text}", e.key, e.reason));
        }
        let shown = e.to_string();
        assert!(shown.contains(&format!("clubos.toml: key `{key}`: ")), "{shown}");
        for secret in ["hunter2", "sk-live-123", "sk-ant-abc123", "bk-live-123"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn bad_autonomy_json_names_autonomy_json() {
    let d = Dir::new();
    d.write("autonomy.json", r#"{"faq": {"autonomy": true, "confidence_threshold": 1.5}}"#);
    let e = Config::load(&d.write("clubos.toml", DESIGN_EXAMPLE)).unwrap_err();
    assert_eq!(e.file, d.path("autonomy.json"));
    assert_eq!(e.kind, ErrorKind::AutonomyProfile { category: Some("faq".into()) });
    assert_eq!((e.key.as_deref(), e.reason.as_str()), (Some("confidence_threshold"), "must be from 0 to 1, got 1.5"));
    let shown = e.to_string();
    assert!(
        shown.ends_with(
            "autonomy.json: autonomy profile, category `faq`, key `confidence_threshold`: must be from 0 to 1, got 1.5"
        ),
        "{shown}"
    );
    d.write("autonomy.json", "{ not json");
    let e = Config::load(&d.path("clubos.toml")).unwrap_err();
    assert_eq!((file_name(&e.file), e.key.as_deref()), ("autonomy.json", None));
    assert!(e.reason.starts_with("not valid JSON"), "{e}");
}

#[test]
fn a_missing_autonomy_file_names_the_key_and_the_path() {
    let d = Dir::new();
    let e = Config::load(&d.write("clubos.toml", DESIGN_EXAMPLE)).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("agent.autonomy_profile"));
    assert!(e.reason.contains(&d.path("autonomy.json").display().to_string()), "{e}");
}

#[test]
fn syntax_errors_give_line_and_column() {
    let e = load("[server]\nlisten = \"127.0.0.1:8080\"\ndatabase_url = = 3\n").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.position, Some(Position { line: 3, column: 16 }));
    let shown = e.to_string();
    assert!(shown.contains("clubos.toml:3:16: TOML syntax error: "), "{shown}");
    let e = load("[server\n").unwrap_err();
    assert_eq!((e.kind, e.position.map(|p| p.line)), (ErrorKind::Syntax, Some(1)));
}

#[test]
fn serde_errors_carry_their_position_too() {
    let e = load(&format!("{BASE}color = \"green\"\n")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("locations[0].color"));
    assert_eq!(e.position, Some(Position { line: 8, column: 1 }));
}

#[test]
fn an_unreadable_file_is_a_read_error() {
    let e = Config::load(Path::new("/nonexistent/clubos.toml")).unwrap_err();
    assert_eq!((&e.kind, &e.key), (&ErrorKind::Read, &None));
    assert!(e.to_string().starts_with("/nonexistent/clubos.toml: cannot read the file: "), "{e}");
}

#[test]
fn an_oversized_or_endless_file_is_refused_at_once() {
    let d = Dir::new();
    let big = format!("# {}\n", "x".repeat(crate::MAX_FILE_BYTES as usize));
    let e = Config::load(&d.write("clubos.toml", &big)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Read);
    assert!(e.reason.contains("larger than 1024 KiB"), "{e}");
    // A profile pointed at a device that never ends: refused, not read forever.
    let text = format!("[agent]\nautonomy_profile = \"/dev/zero\"\n{BASE}");
    let e = Config::load(&d.write("clubos.toml", &text)).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("agent.autonomy_profile"));
    assert!(e.reason.contains("larger than 1024 KiB"), "{e}");
}
