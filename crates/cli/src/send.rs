//! `clubos send`: posts an OpenPhone `message.received` webhook, exactly as
//! OpenPhone would, signed when the deployment has a webhook secret.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clubos_connectors::openphone::webhook::{WebhookSecret, build_message_received_legacy};
use clubos_domain::PhoneNumber;
use jiff::Timestamp;

#[derive(Debug)]
pub struct Args {
    pub from: String,
    pub text: String,
    pub to: Option<String>,
    pub url: Option<String>,
    pub config: Option<PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = crate::load_config(a.config.as_deref())?;
    let country = config.agent.default_country;
    let from = PhoneNumber::parse(&a.from, country).with_context(|| format!("--from {:?}", a.from))?;
    let to = match &a.to {
        Some(t) => PhoneNumber::parse(t, country).with_context(|| format!("--to {:?}", t))?,
        None => config
            .locations
            .iter()
            .find_map(|l| l.phone_number.clone())
            .or_else(|| config.connectors.openphone.as_ref().and_then(|o| o.from_number.clone()))
            .unwrap_or(PhoneNumber::parse_e164("+19025550100")?),
    };
    let now = Timestamp::now();
    let event_id = format!("EV{:024x}", rand::random::<u128>() >> 32);
    let message_id = format!("AC{:024x}", rand::random::<u128>() >> 32);
    let body = build_message_received_legacy(&event_id, &message_id, from.as_str(), to.as_str(), &a.text, now);
    let base = a.url.unwrap_or_else(|| format!("http://{}", config.server.listen));
    let url = format!("{}/webhooks/openphone", base.trim_end_matches('/'));
    let mut req = reqwest::Client::new().post(&url).header("content-type", "application/json");
    let secret_env = config.connectors.openphone.as_ref().and_then(|o| o.webhook_secret_env.clone());
    let secret_value = secret_env.as_ref().and_then(|var| Some((var, std::env::var(var.as_str()).ok()?)));
    if let Some((var, value)) = secret_value {
        let secret = WebhookSecret::parse(&value).map_err(|e| anyhow::anyhow!("{}: {e}", var.as_str()))?;
        for (name, value) in secret.signed_headers(&event_id, now, &body) {
            req = req.header(name, value);
        }
    }
    let resp = req.body(body).send().await.with_context(|| format!("posting to {url} (is `clubos serve` running?)"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    println!("{status} {text}");
    Ok(if status.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
