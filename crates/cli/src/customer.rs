//! `clubos customer export PHONE [--output FILE]` and `clubos customer
//! forget PHONE --yes`: the customer data lifecycle on the deployment's
//! database (the same functions as the admin API; see docs/PRIVACY.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clubos_domain::PhoneNumber;
use clubos_server::bootstrap::open_store;

#[derive(Debug)]
pub struct Args {
    pub phone: String,
    pub config: Option<PathBuf>,
}

/// Who ran the command, for the audit log.
fn actor() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).map_or_else(|| "cli".to_owned(), |u| format!("cli:{u}"))
}

async fn open(a: &Args) -> anyhow::Result<(std::sync::Arc<dyn clubos_store::Store>, PhoneNumber)> {
    let config = crate::load_config(a.config.as_deref())?;
    let phone =
        PhoneNumber::parse(&a.phone, config.agent.default_country).map_err(|e| anyhow::anyhow!("PHONE: {e}"))?;
    let secrets = config.resolve_secrets(&|name| std::env::var(name).ok()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config, &secrets).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((store, phone))
}

pub async fn export(a: Args, output: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (store, phone) = open(&a).await?;
    let data = clubos_server::privacy::export(store.as_ref(), &actor(), &phone, jiff::Timestamp::now()).await?;
    let json = serde_json::to_string_pretty(&data)?;
    match output {
        None => println!("{json}"),
        Some(path) => {
            write_private(&path, &json).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "Wrote {} ({} threads, {} bookings) for {}.",
                path.display(),
                data.threads.len(),
                data.bookings.len(),
                phone.redacted()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Personal data: readable by the owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

pub async fn forget(a: Args, yes: bool) -> anyhow::Result<ExitCode> {
    if !yes {
        anyhow::bail!(
            "forgetting deletes the customer's messages, bookings and name for good; add --yes to do it \
             (`clubos customer export` first keeps a copy)"
        );
    }
    let (store, phone) = open(&a).await?;
    let (reference, done) =
        clubos_server::privacy::forget(store.as_ref(), &actor(), &phone, jiff::Timestamp::now()).await?;
    println!(
        "Forgot {}: {} threads redacted ({} messages), {} bookings deleted, customer record {}.",
        phone.redacted(),
        done.threads.len(),
        done.messages,
        done.bookings,
        if done.customer { "deleted" } else { "absent" }
    );
    println!("Audit reference: {reference}");
    Ok(ExitCode::SUCCESS)
}
