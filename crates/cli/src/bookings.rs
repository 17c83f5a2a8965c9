//! `clubos bookings import FILE.csv`: loads bookings into the local booking
//! store of a running server through `POST /api/bookings`.
//!
//! Every row is checked first (phone, location, bay, times); one bad row
//! and nothing is sent, so a half-imported file never has to be untangled.
//! Rows without an `id` get one derived from phone, location and start, so
//! importing the same file again updates rather than duplicates.

mod rows;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

pub use rows::{Row, parse_file};

#[derive(Debug)]
pub struct Args {
    pub file: PathBuf,
    pub url: Option<String>,
    pub config: Option<PathBuf>,
    pub dry_run: bool,
}

pub async fn import(a: Args) -> anyhow::Result<ExitCode> {
    let config = crate::load_config(a.config.as_deref())?;
    let text = std::fs::read_to_string(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let rows = match parse_file(&text, &config) {
        Ok(rows) => rows,
        Err(problems) => {
            for p in &problems {
                eprintln!("{}: {p}", a.file.display());
            }
            eprintln!("{} problem(s); nothing was imported", problems.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    if a.dry_run {
        println!("{}: {} booking(s) valid; nothing sent (--dry-run)", a.file.display(), rows.len());
        return Ok(ExitCode::SUCCESS);
    }
    let var = config.server.api_token_env.as_str().to_owned();
    let token = std::env::var(&var).with_context(|| {
        format!("set {var} to the server's API token (`clubos serve` prints it when it generates one)")
    })?;
    let base = a.url.unwrap_or_else(|| format!("http://{}", config.server.listen));
    let url = format!("{}/api/bookings", base.trim_end_matches('/'));
    let failed = post_all(&url, &token, &rows, &a.file).await?;
    println!("{}: {} imported, {failed} refused", a.file.display(), rows.len() - failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn post_all(url: &str, token: &str, rows: &[Row], file: &Path) -> anyhow::Result<usize> {
    let client = reqwest::Client::new();
    let mut failed = 0;
    for row in rows {
        let resp = client
            .post(url)
            .bearer_auth(token)
            .json(&row.body)
            .send()
            .await
            .with_context(|| format!("posting to {url} (is `clubos serve` running?)"))?;
        let status = resp.status();
        if !status.is_success() {
            failed += 1;
            let text = resp.text().await.unwrap_or_default();
            eprintln!("{}: line {}: the server refused it ({status}): {text}", file.display(), row.line);
        }
    }
    Ok(failed)
}
