//! `clubos user add EMAIL --role admin|operator|viewer [--location ID]...
//! --password-stdin`: creates a console account in the deployment's
//! database (no `--location`: every location).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clubos_domain::Role;
use clubos_server::auth::{NewAccountRequest, create_account};
use clubos_server::bootstrap::open_store;

#[derive(Debug)]
pub struct AddArgs {
    pub email: String,
    pub role: String,
    pub locations: Vec<String>,
    pub password_stdin: bool,
    pub config: Option<PathBuf>,
}

pub async fn add(a: AddArgs) -> anyhow::Result<ExitCode> {
    let role: Role = a.role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    if !a.password_stdin {
        anyhow::bail!("give the password on standard input with --password-stdin (it never goes on the command line)");
    }
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
    // One trailing newline (from `echo` or a file) is not part of the password.
    let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
    let config = crate::load_config(a.config.as_deref())?;
    let secrets = config.resolve_secrets(&|name| std::env::var(name).ok()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&config, &secrets).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let req = NewAccountRequest {
        email: a.email.clone(),
        role,
        locations: a.locations.clone(),
        password: password.to_owned(),
    };
    let now = jiff::Timestamp::now();
    create_account(store.as_ref(), &config, now, req, "cli").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let scope = if a.locations.is_empty() { "every location".to_owned() } else { a.locations.join(", ") };
    println!("Created {role} account {} ({scope}).", a.email.trim().to_lowercase());
    Ok(ExitCode::SUCCESS)
}
