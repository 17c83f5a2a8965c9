//! Secrets come from the environment, by name; nothing prints them.

use std::collections::HashMap;

use super::{BASE, DESIGN_EXAMPLE, load};
use crate::{ErrorKind, Secret};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

const ALL: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-openai-SECRET"),
    ("ANTHROPIC_API_KEY", "sk-ant-SECRET"),
    ("OPENPHONE_API_KEY", "op-SECRET"),
    ("OPENPHONE_WEBHOOK_SECRET", "whsec_SECRET"),
    ("NINJAONE_CLIENT_ID", "ninja-id-SECRET"),
    ("NINJAONE_CLIENT_SECRET", "ninja-SECRET"),
    ("UNIFI_ACCESS_TOKEN", "unifi-SECRET"),
    ("CLUBOS_API_TOKEN", "admin-SECRET"),
];

#[test]
fn secrets_are_read_by_name_and_never_printed() {
    let c = load(DESIGN_EXAMPLE).unwrap();
    let s = c.resolve_secrets(&env(ALL)).unwrap();
    assert_eq!(s.openphone_api_key.as_ref().unwrap().expose(), "op-SECRET");
    assert_eq!(s.unifi_access_token.as_ref().unwrap().expose(), "unifi-SECRET");
    assert_eq!(s.api_token.as_ref().unwrap().expose(), "admin-SECRET");
    assert_eq!(s.anthropic_api_key.as_ref().unwrap().expose(), "sk-ant-SECRET");
    let shown = format!("{s:?} {c:?} {}", s.ninjaone_client_secret.as_ref().unwrap());
    for (_, value) in ALL {
        assert!(!shown.contains(value), "{value} in {shown}");
    }
    assert!(shown.contains("[redacted]"));
    assert_eq!(format!("{:?}", Secret::new("x".into())), "[redacted]");
}

#[test]
fn a_missing_variable_of_a_live_connector_names_key_and_variable() {
    let c = load(DESIGN_EXAMPLE).unwrap();
    let without = |var: &str| {
        let pairs: Vec<_> = ALL.iter().copied().filter(|(k, _)| *k != var).collect();
        c.resolve_secrets(&env(&pairs)).unwrap_err()
    };
    let e = without("NINJAONE_CLIENT_SECRET");
    assert_eq!(e.kind, ErrorKind::Environment);
    assert_eq!(e.key.as_deref(), Some("connectors.ninjaone.client_secret_env"));
    assert_eq!(e.reason, "environment variable `NINJAONE_CLIENT_SECRET` is not set");
    assert!(e.to_string().ends_with(
        "clubos.toml: key `connectors.ninjaone.client_secret_env`: environment variable `NINJAONE_CLIENT_SECRET` is not set"
    ));
    // Claude is configured, so its key is needed even with agent.llm = "local".
    assert_eq!(without("ANTHROPIC_API_KEY").key.as_deref(), Some("llm.anthropic.api_key_env"));
    // OpenAI is configured but not used: optional.
    let pairs: Vec<_> = ALL.iter().copied().filter(|(k, _)| *k != "OPENAI_API_KEY").collect();
    assert!(c.resolve_secrets(&env(&pairs)).unwrap().openai_api_key.is_none());
    // The admin token is optional.
    let pairs: Vec<_> = ALL.iter().copied().filter(|(k, _)| *k != "CLUBOS_API_TOKEN").collect();
    assert!(c.resolve_secrets(&env(&pairs)).unwrap().api_token.is_none());
    // Set but empty counts as missing, and the error says so.
    let mut pairs = ALL.to_vec();
    pairs.push(("UNIFI_ACCESS_TOKEN", ""));
    pairs.retain(|(k, v)| *k != "UNIFI_ACCESS_TOKEN" || v.is_empty());
    let e = c.resolve_secrets(&env(&pairs)).unwrap_err();
    assert_eq!(e.reason, "environment variable `UNIFI_ACCESS_TOKEN` is set but empty");
}

#[test]
fn sandbox_connectors_need_nothing_but_read_what_is_named() {
    let c = load(&format!(
        "[connectors.openphone]\nmode = \"sandbox\"\napi_key_env = \"OP\"\nwebhook_secret_env = \"WH\"\n{BASE}"
    ))
    .unwrap();
    let s = c.resolve_secrets(&|_| None).unwrap();
    assert!(s.openphone_api_key.is_none());
    let s = c.resolve_secrets(&env(&[("WH", "whsec_x")])).unwrap();
    assert_eq!(s.openphone_webhook_secret.unwrap().expose(), "whsec_x");
}

#[test]
fn requirements_list_every_named_variable() {
    let c = load(DESIGN_EXAMPLE).unwrap();
    let reqs: Vec<_> = c.env_requirements().into_iter().map(|r| (r.key, r.var.to_string(), r.required)).collect();
    let want = [
        ("server.api_token_env", "CLUBOS_API_TOKEN", false),
        ("llm.openai.api_key_env", "OPENAI_API_KEY", false),
        ("llm.anthropic.api_key_env", "ANTHROPIC_API_KEY", true),
        ("connectors.openphone.api_key_env", "OPENPHONE_API_KEY", true),
        ("connectors.openphone.webhook_secret_env", "OPENPHONE_WEBHOOK_SECRET", true),
        ("connectors.ninjaone.client_id_env", "NINJAONE_CLIENT_ID", true),
        ("connectors.ninjaone.client_secret_env", "NINJAONE_CLIENT_SECRET", true),
        ("connectors.unifi_access.token_env", "UNIFI_ACCESS_TOKEN", true),
    ];
    let want: Vec<_> = want.iter().map(|(k, v, r)| (*k, (*v).to_owned(), *r)).collect();
    assert_eq!(reqs, want);
}

#[test]
fn the_postgres_password_comes_from_its_variable() {
    let c = load(&format!(
        "[server]\ndatabase_url = \"postgres://clubos@db/clubos\"\ndatabase_password_env = \"PGPASS\"\n{BASE}"
    ))
    .unwrap();
    let e = c.resolve_secrets(&|_| None).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("server.database_password_env"));
    let s = c.resolve_secrets(&env(&[("PGPASS", "pw")])).unwrap();
    let url = c.server.database_url.postgres_with_password(s.database_password.as_ref()).unwrap();
    assert_eq!(url.expose(), "postgres://clubos:pw@db/clubos");
    assert_eq!(url.to_string(), "[redacted]");
}
