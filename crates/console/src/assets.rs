//! The console's CSS and JavaScript, embedded in the binary and served with
//! a content hash in their URL so browsers may cache them for a year.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

fn find(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "console.css" => Some((CSS, "text/css; charset=utf-8")),
        "console.js" => Some((JS, "text/javascript; charset=utf-8")),
        _ => None,
    }
}

/// FNV-1a of the content: changes whenever the file does.
fn hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

/// The URL of an asset, with its content hash.
pub fn url(name: &str) -> String {
    static HASHES: OnceLock<(String, String)> = OnceLock::new();
    let (css, js) = HASHES.get_or_init(|| (hash(CSS), hash(JS)));
    let v = if name == "console.css" { css } else { js };
    format!("/assets/{name}?v={v}")
}

pub async fn serve(Path(name): Path<String>) -> Response {
    match find(&name) {
        Some((body, mime)) => {
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_the_content_hash() {
        let u = super::url("console.css");
        assert!(u.starts_with("/assets/console.css?v=") && u.len() > 25, "{u}");
    }
}
