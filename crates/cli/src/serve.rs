//! `clubos serve`: load the deployment, open the database, start the
//! service, and say how to use it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clubos_config::Secret;
use clubos_connectors::sandbox::Sandbox;
use clubos_server::bootstrap::{Boot, open_store, start};
use clubos_server::clock::SystemClock;
use tokio::net::TcpListener;

pub async fn run(config_path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    init_tracing();
    let config = crate::load_config(config_path.as_deref())?;
    let mut secrets = config.resolve_secrets(&|name| std::env::var(name).ok()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let generated = secrets.api_token.is_none();
    if generated {
        secrets.api_token = Some(Secret::new(random_token()));
    }
    let token = secrets.api_token.clone();
    let store = open_store(&config, &secrets).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let listen = config.server.listen;
    let tls = match (&config.http.tls_cert_file, &config.http.tls_key_file) {
        (Some(cert), Some(key)) => Some(clubos_server::tls::server_config(cert, key)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let demo = config.is_demo();
    let db = format!("{:?}", config.server.database_url);
    let app = start(Boot {
        config,
        secrets,
        store,
        clock: Arc::new(SystemClock),
        sandbox: Sandbox::default(),
        classifier: None,
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    println!(
        "ClubOS is running on {scheme}://{addr}{}",
        if demo { "  (demo deployment: sandbox facility, local classifier)" } else { "" }
    );
    println!("  database: {db}");
    if let Some(t) = &token {
        if generated {
            println!("  API token (generated for this run; set CLUBOS_API_TOKEN to choose one): {}", t.expose());
        } else {
            println!("  API token: from the environment");
        }
    }
    println!("  Send a test message:");
    let config_arg = config_path.as_ref().map(|p| format!(" --config {}", p.display())).unwrap_or_default();
    println!("    cargo run --release -- send{config_arg} --from \"(902) 555-0123\" \"trackman frozen in bay 2\"");
    println!("  Then look at the thread:");
    println!("    curl -s -H \"Authorization: Bearer <token>\" {scheme}://{addr}/api/threads");
    match clubos_server::auth::first_run_admin(app.store.as_ref(), app.clock.now()).await {
        Ok(Some((email, password))) => {
            // Shown once, on the terminal only (never logged); the first
            // login must replace it.
            println!("  Operator console: {scheme}://{addr}/  (first run: an admin account was created)");
            println!("    e-mail: {email}");
            println!("    one-time password: {password}");
            println!("    Sign in and set your own password; add accounts with `clubos user add`.");
        }
        Ok(None) => println!("  Operator console: {scheme}://{addr}/"),
        Err(e) => anyhow::bail!("creating the first admin account: {e}"),
    }
    let console = clubos_console::router(Arc::clone(&app));
    match tls {
        Some(tls) => clubos_server::serve_tls_with(app, listener, tls, console, shutdown_signal()).await?,
        None => clubos_server::serve_with(app, listener, console, shutdown_signal()).await?,
    }
    println!("ClubOS stopped.");
    Ok(ExitCode::SUCCESS)
}

fn random_token() -> String {
    (0..4).map(|_| format!("{:016x}", rand::random::<u64>())).collect()
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CLUBOS_LOG").unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
