//! `clubos sop import PATH...`: sends documents (markdown, text, CSV, JSON;
//! directories are walked) to a running server's knowledge upload, where
//! they become draft SOPs in the review queue, with a progress bar.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

#[derive(Debug)]
pub struct Args {
    pub paths: Vec<PathBuf>,
    pub url: Option<String>,
    pub config: Option<PathBuf>,
}

const EXTENSIONS: [&str; 5] = ["md", "markdown", "txt", "csv", "json"];

/// The files to send: every path given, and the documents inside each
/// directory (recursively), in a stable order.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    Ok(())
}

pub async fn import(a: Args) -> anyhow::Result<ExitCode> {
    let config = crate::load_config(a.config.as_deref())?;
    let files = collect(&a.paths)?;
    if files.is_empty() {
        anyhow::bail!("no documents found (looked for .md, .txt, .csv and .json)");
    }
    let var = config.server.api_token_env.as_str().to_owned();
    let token = std::env::var(&var).with_context(|| {
        format!("set {var} to the server's API token (`clubos serve` prints it when it generates one)")
    })?;
    let base = a.url.unwrap_or_else(|| format!("http://{}", config.server.listen));
    let endpoint = format!("{}/api/knowledge/upload", base.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut drafts, mut problems, mut failed, mut claude) = (0usize, 0usize, 0usize, 0usize);
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("upload").to_owned();
        bar.set_message(name.clone());
        let text = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
        let sent = client
            .post(&endpoint)
            .query(&[("name", name.as_str())])
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(text)
            .send()
            .await
            .with_context(|| format!("posting to {endpoint} (is `clubos serve` running?)"))?;
        let status = sent.status();
        let body: Value = sent.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            let n = body["proposals"].as_array().map_or(0, Vec::len);
            drafts += n;
            claude += body["claude_jobs"].as_array().map_or(0, Vec::len);
            for p in body["problems"].as_array().into_iter().flatten() {
                problems += 1;
                bar.println(format!(
                    "{}: {}: {}",
                    file.display(),
                    p["origin"].as_str().unwrap_or(""),
                    p["message"].as_str().unwrap_or("")
                ));
            }
        } else {
            failed += 1;
            let why = body["error"]["message"].as_str().unwrap_or("no reason given").to_owned();
            bar.suspend(|| eprintln!("{}: refused ({status}): {why}", file.display()));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{} file(s): {drafts} draft SOP(s) in the review queue, {problems} part(s) skipped, {failed} file(s) refused",
        files.len()
    );
    if claude > 0 {
        println!("{claude} document part(s) queued for Claude; its proposals join the review queue when they have run");
    }
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_for_documents_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for f in ["b.md", "a.csv", "sub/c.JSON", "skip.docx", "sub/notes.txt"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let files = collect(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> =
            files.iter().map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string()).collect();
        assert_eq!(names, ["a.csv", "b.md", "sub/c.JSON", "sub/notes.txt"]);
        assert!(collect(&[dir.path().join("missing.md")]).is_err());
    }
}
