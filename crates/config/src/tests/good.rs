//! Configurations that load: DESIGN §4's example, the demo, the shipped
//! example, relative paths, merged limits, the summary.

use std::net::SocketAddr;
use std::path::Path;

use clubos_domain::{AutonomyProfile, BayNumber, Category, DoorId, LocationId, PhoneNumber};

use super::{BASE, DESIGN_EXAMPLE, Dir, load};
use crate::{BookingProvider, Config, ConnectorMode, DatabaseUrl, LlmChoice, SqliteSynchronous, check};

#[test]
fn the_design_example_loads() {
    let c = load(DESIGN_EXAMPLE).unwrap();
    assert_eq!(c.server.listen, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    assert_eq!(c.server.database_url, DatabaseUrl::Sqlite("clubos.db".into()));
    assert_eq!(c.server.api_token_env.as_str(), "CLUBOS_API_TOKEN");
    assert_eq!(c.server.sqlite_synchronous, SqliteSynchronous::Normal);
    assert_eq!((c.server.database_pool_size, c.server.database_ca_file.as_ref()), (10, None));
    assert_eq!(c.agent.llm, LlmChoice::Local);
    assert_eq!(c.agent.llm_timeout_seconds, 10);
    assert_eq!(c.agent.workers, 16);
    assert_eq!(c.limits.thread_llm_interval_seconds, 15);
    assert_eq!(c.limits.max_tokens_per_response, 500);
    assert_eq!(c.autonomy, AutonomyProfile::seed());
    let o = c.llm.openai.as_ref().unwrap();
    assert_eq!(o.base_url.as_str(), "https://api.openai.com/v1");
    assert_eq!((o.complex_model.as_str(), o.cheap_model()), ("gpt-4o", "gpt-4o-mini"));
    assert_eq!(c.llm.anthropic.as_ref().unwrap().model, "claude-haiku-4-5");
    let op = c.connectors.openphone.as_ref().unwrap();
    assert_eq!(op.mode, ConnectorMode::Live);
    assert_eq!(op.from_number, Some(PhoneNumber::parse_e164("+19025550100").unwrap()));
    assert_eq!(op.webhook_secret_env.as_ref().unwrap().as_str(), "OPENPHONE_WEBHOOK_SECRET");
    assert_eq!(c.connectors.ninjaone.as_ref().unwrap().reset_script_id, Some(42));
    let u = c.connectors.unifi_access.as_ref().unwrap();
    assert_eq!(u.base_url.as_ref().unwrap().as_str(), "https://10.0.0.2:12445");
    assert!(!u.insecure_tls);
    assert_eq!(c.bookings.provider, BookingProvider::Local);
    assert_eq!(c.locations.len(), 1);
    let l = c.location(&LocationId::parse("bedford").unwrap()).unwrap();
    assert_eq!((l.name.as_str(), l.timezone_name()), ("Bedford", "America/Halifax"));
    assert_eq!((l.token_caps.daily, l.token_caps.monthly), (Some(200_000), Some(4_000_000)));
    assert_eq!(l.bay(BayNumber::new(1).unwrap()).unwrap().ninjaone_device_id, Some(101));
    assert_eq!(l.default_door().unwrap().id, DoorId::parse("front").unwrap());
    assert_eq!(l.default_door().unwrap().unifi_door_id.as_deref(), Some("door-uuid"));
    assert_eq!(c.time_rules.no_resolution_minutes, 15);
    assert!(!c.is_demo());
}

#[test]
fn the_demo_is_a_valid_sandbox() {
    let c = Config::demo();
    c.validate().unwrap();
    assert!(c.is_demo());
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.database_url.to_string(), "sqlite://clubos.db");
    assert_eq!(c.agent.llm, LlmChoice::Local);
    assert_eq!(c.autonomy, AutonomyProfile::seed());
    assert_eq!(c.limits, clubos_domain::Limits::default());
    for mode in [
        c.connectors.openphone.as_ref().map(|x| x.mode),
        c.connectors.ninjaone.as_ref().map(|x| x.mode),
        c.connectors.unifi_access.as_ref().map(|x| x.mode),
    ] {
        assert_eq!(mode, Some(ConnectorMode::Sandbox));
    }
    assert_eq!(c.bookings.provider, BookingProvider::Local);
    let [l] = c.locations.as_slice() else { panic!("one location") };
    assert_eq!(l.id.as_str(), "sandbox");
    assert_eq!(l.name, "Sandbox Golf (demo)");
    assert_eq!(l.timezone_name(), "America/Halifax");
    let bays: Vec<_> = l.bays.iter().map(|b| (b.number.get(), b.ninjaone_device_id)).collect();
    assert_eq!(bays, [(1, Some(101)), (2, Some(102)), (3, Some(103)), (4, Some(104))]);
    let door = l.default_door().unwrap();
    assert_eq!((door.id.as_str(), door.unifi_door_id.as_deref()), ("front", Some("sandbox-front")));
    assert_eq!((l.token_caps.daily, l.token_caps.monthly), (Some(200_000), Some(4_000_000)));
    // A sandbox needs no secret at all.
    let s = c.resolve_secrets(&|_| None).unwrap();
    assert!(s.openphone_api_key.is_none() && s.api_token.is_none());
    let summary = c.summary().to_string();
    assert!(summary.starts_with("(built-in demo): OK\n"), "{summary}");
    assert!(summary.contains("openphone sandbox, ninjaone sandbox, unifi_access sandbox"), "{summary}");
}

#[test]
fn the_shipped_example_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/clubos.example.toml");
    let c = Config::load(&path).unwrap();
    assert!(c.locations.len() >= 2, "the example shows several locations");
    assert!(c.agent.autonomy_profile.as_ref().unwrap().ends_with("examples/autonomy.json"));
    let summary = check(&path).unwrap();
    assert_eq!(summary.locations.len(), c.locations.len());
    assert_eq!(c.privacy.retention(), Some(jiff::SignedDuration::from_hours(365 * 24)));
}

#[test]
fn retention_is_off_unless_set() {
    assert_eq!(load(BASE).unwrap().privacy.retention(), None);
    assert_eq!(Config::demo().privacy.retention_days, None);
    let c = load(&format!("[privacy]\nretention_days = 1\n{BASE}")).unwrap();
    assert_eq!(c.privacy.retention(), Some(jiff::SignedDuration::from_hours(24)));
    let c = load(&format!("[privacy]\nretention_days = 3650\n{BASE}")).unwrap();
    assert_eq!(c.privacy.retention_days, Some(3650));
}

#[test]
fn every_key_of_the_example_is_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(dir.join("../../docs/CONFIGURATION.md")).unwrap();
    let example = std::fs::read_to_string(dir.join("examples/clubos.example.toml")).unwrap();
    let table: toml::Table = example.parse().unwrap();
    /// Leaf keys as `` `key` ``, tables as their `[header]`, arrays of tables as `[[header]]`.
    fn keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (k, v) in t {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                toml::Value::Table(t) => {
                    // `[connectors]` only groups `[connectors.*]`: not a table of its own.
                    if !t.values().all(toml::Value::is_table) {
                        out.push(format!("[{path}]"));
                    }
                    keys(t, &path, out);
                }
                toml::Value::Array(a) if a.iter().all(|v| v.is_table()) && prefix.is_empty() => {
                    out.push(format!("[[{path}]]"));
                    a.iter().filter_map(|v| v.as_table()).for_each(|t| keys(t, &path, out));
                }
                toml::Value::Array(a) => {
                    out.push(format!("`{k}`"));
                    a.iter().filter_map(|v| v.as_table()).for_each(|t| keys(t, "", out));
                }
                _ => out.push(format!("`{k}`")),
            }
        }
    }
    let mut all = Vec::new();
    keys(&table, "", &mut all);
    for k in all {
        assert!(doc.contains(&k), "docs/CONFIGURATION.md does not document {k}");
    }
}

#[test]
fn the_demo_toml_is_the_demo() {
    let mut parsed = Config::parse(crate::DEMO_TOML, Path::new("demo.toml")).unwrap();
    parsed.file = None;
    assert_eq!(parsed, Config::demo());
}

#[test]
fn the_autonomy_path_is_relative_to_the_config_file() {
    let d = Dir::new();
    d.write("etc/profiles/strict.json", r#"{"faq": {"autonomy": false, "confidence_threshold": 0.99}}"#);
    let text = format!("[agent]\nautonomy_profile = \"profiles/strict.json\"\n{BASE}");
    let path = d.write("etc/clubos.toml", &text);
    let c = Config::load(&path).unwrap();
    assert_eq!(c.agent.autonomy_profile, Some(d.path("etc/profiles/strict.json")));
    assert_eq!(c.autonomy.get(Category::Faq).confidence_threshold, 0.99);
    assert!(!c.autonomy.get(Category::Tech).autonomy, "missing category: no autonomy");
    // Without the key: the seed profile.
    let c = Config::load(&d.write("etc/other.toml", BASE)).unwrap();
    assert_eq!((c.agent.autonomy_profile, c.autonomy), (None, AutonomyProfile::seed()));
    // An absolute path is taken as it is.
    let abs = d.path("etc/profiles/strict.json");
    let text = format!("[agent]\nautonomy_profile = {:?}\n{BASE}", abs.display().to_string());
    let c = Config::load(&d.write("elsewhere/c.toml", &text)).unwrap();
    assert_eq!(c.agent.autonomy_profile, Some(abs));
}

#[test]
fn agent_keys_are_copied_into_the_limits() {
    let c = load(&format!(
        "[agent]\nthread_llm_interval_seconds = 20\nmax_tokens_per_response = 300\n\
         [limits]\nqueue_max = 50\nmax_tokens_per_response = 300\n{BASE}"
    ))
    .unwrap();
    assert_eq!(c.limits.thread_llm_interval_seconds, 20);
    assert_eq!(c.limits.max_tokens_per_response, 300);
    assert_eq!(c.agent.max_tokens_per_response, 300);
    assert_eq!(c.limits.queue_max, 50);
    let c = load(&format!("[limits]\nthread_llm_interval_seconds = 30\n{BASE}")).unwrap();
    assert_eq!((c.limits.thread_llm_interval_seconds, c.agent.thread_llm_interval_seconds), (30, 30));
}

#[test]
fn a_full_deployment_loads() {
    let text = format!(
        r#"
[server]
listen = "[::]:9000"
database_url = "postgres://clubos@db.internal/clubos"
database_password_env = "PGPASSWORD"
sqlite_synchronous = "full"
database_pool_size = 25
database_ca_file = "certs/db-ca.pem"
[agent]
llm = "openai"
default_country = 44
workers = 8
[llm.openai]
base_url = "http://127.0.0.1:11434/v1/"
complex_model = "llama3"
[time_rules]
idle_timeout_minutes = 45
[signals]
emergency_phrases = ["code red"]
[connectors.openphone]
mode = "sandbox"
[connectors.unifi_access]
mode = "sandbox"
ca_file = "certs/ca.pem"
pinned_sha256 = "{pin}"
[bookings]
provider = "http"
base_url = "https://bookings.example.com/api"
[notify.slack]
webhook_url_env = "SLACK_WEBHOOK_URL"
[notify.sms]
on_call_number = "+19025550199"
{BASE}
phone_number = "+19025550123"
"#,
        pin = "AB:".repeat(30) + "ABCD",
    );
    let d = Dir::new();
    let path = d.write("clubos.toml", &text);
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("connectors.unifi_access.ca_file"), "{err}");
    assert!(err.reason.starts_with("no such file: "), "{err}");
    d.write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("server.database_ca_file"), "{err}");
    assert!(err.reason.starts_with("no such file: "), "{err}");
    d.write("certs/db-ca.pem", "-----BEGIN CERTIFICATE-----\n");
    let c = Config::load(&path).unwrap();
    assert_eq!((c.server.database_pool_size, c.server.database_ca_file.clone()), (25, Some(d.path("certs/db-ca.pem"))));
    let u = c.connectors.unifi_access.as_ref().unwrap();
    assert_eq!(u.ca_file, Some(d.path("certs/ca.pem")));
    assert_eq!(c.server.listen.to_string(), "[::]:9000");
    assert_eq!(c.server.database_url, DatabaseUrl::Postgres("postgres://clubos@db.internal/clubos".into()));
    assert_eq!(c.server.sqlite_synchronous, SqliteSynchronous::Full);
    assert_eq!((c.agent.llm, c.agent.default_country.get(), c.agent.workers), (LlmChoice::OpenAi, 44, 8));
    let o = c.llm.openai.as_ref().unwrap();
    assert_eq!((o.base_url.as_str(), o.cheap_model()), ("http://127.0.0.1:11434/v1", "llama3"));
    assert_eq!(c.time_rules.idle_timeout_minutes, 45);
    let det = c.signals.detector();
    assert!(det.detect("CODE RED").emergency && !det.detect("fire").emergency);
    let pin = c.connectors.unifi_access.as_ref().unwrap().pinned_sha256.clone().unwrap();
    assert_eq!(pin, "ab".repeat(30) + "abcd");
    assert_eq!(c.bookings.provider, BookingProvider::Http);
    assert!(c.notify.slack.is_some());
    let phone = PhoneNumber::parse_e164("+19025550123").unwrap();
    assert_eq!(c.location_by_phone(&phone).unwrap().id.as_str(), "bedford");
}

#[test]
fn summary_names_what_matters() {
    let s = load(DESIGN_EXAMPLE).unwrap().summary().to_string();
    for want in [
        "clubos.toml: OK",
        "llm: local (Claude for SOP work: configured)",
        "connectors: openphone live, ninjaone live, unifi_access live",
        "bedford \"Bedford\" America/Halifax, 1 bay, 1 door",
        "OPENPHONE_API_KEY (required, from connectors.openphone.api_key_env)",
        "CLUBOS_API_TOKEN (optional, from server.api_token_env)",
    ] {
        assert!(s.contains(want), "{want:?} not in\n{s}");
    }
}

#[test]
fn model_prices_give_the_cost_of_a_call() {
    let text = format!(
        "[[llm.prices]]\nmodel = \"gpt-test\"\ninput_usd_per_million = 0.15\noutput_usd_per_million = 0.6\n{}",
        super::BASE
    );
    let c = crate::Config::parse(&text, std::path::Path::new("clubos.toml")).unwrap();
    let p = &c.llm.prices[0];
    assert_eq!(p.model, "gpt-test");
    // 1,000,000 in at $0.15 + 500,000 out at $0.60 = $0.45
    assert!((p.cost(1_000_000, 500_000) - 0.45).abs() < 1e-9);
}

#[test]
fn an_http_booking_source_with_a_mapping_loads() {
    let text = format!(
        r#"
[bookings]
provider = "http"
base_url = "https://bookings.example.com/api/"
path = "/v2/reservations"
api_key_env = "BOOKINGS_API_KEY"
auth_header = "X-Api-Key"
auth_scheme = ""
timeout_seconds = 3
[bookings.query]
phone = "customer_phone"
location = "site"
to = ""
[bookings.fields]
items = "/data/reservations"
id = "/reservationId"
bay = "/space/number"
phone = "/guest/phone"
starts_at = "/window/start"
ends_at = "/window/end"
status = ""
[bookings.status_map]
booked = "confirmed"
canceled = "cancelled"
"On Hold" = "pending"
{BASE}booking_location_id = "site-7"
"#
    );
    let c = load(&text).unwrap();
    let b = &c.bookings;
    assert_eq!(b.provider, BookingProvider::Http);
    assert_eq!(b.base_url.as_ref().unwrap().as_str(), "https://bookings.example.com/api");
    assert_eq!(
        (b.path.as_str(), b.auth_header.as_str(), b.auth_scheme.as_str()),
        ("/v2/reservations", "X-Api-Key", "")
    );
    assert_eq!(b.timeout_seconds, 3);
    assert_eq!((b.query.phone.as_str(), b.query.location.as_str()), ("customer_phone", "site"));
    assert_eq!((b.query.from.as_str(), b.query.to.as_str()), ("from", ""), "defaults stay");
    assert_eq!((b.fields.items.as_str(), b.fields.status.as_str()), ("/data/reservations", ""));
    use clubos_domain::BookingStatus;
    assert_eq!(
        b.statuses(),
        vec![
            ("On Hold".to_owned(), BookingStatus::Pending),
            ("booked".to_owned(), BookingStatus::Confirmed),
            ("canceled".to_owned(), BookingStatus::Cancelled),
        ]
    );
    assert_eq!(c.locations[0].booking_location_id.as_deref(), Some("site-7"));
    let env: Vec<_> = c.env_requirements().into_iter().map(|e| (e.var.to_string(), e.required)).collect();
    assert!(env.contains(&("BOOKINGS_API_KEY".to_owned(), true)), "{env:?}");

    let defaults = load(BASE).unwrap().bookings;
    assert_eq!((defaults.auth_header.as_str(), defaults.auth_scheme.as_str()), ("Authorization", "Bearer"));
    assert_eq!((defaults.fields.id.as_str(), defaults.fields.items.as_str(), defaults.timeout_seconds), ("/id", "", 5));
}
