//! Request size and rate limits on every route. Each request is put in a
//! class by its path ([`Class`]); its client address ([`client_ip`]: the
//! trusted proxy's header or the TCP peer) spends a token from its bucket in
//! that class (empty: 429 with `Retry-After`); then its body is bounded by
//! the class's size (413 at once from a larger `Content-Length`, and while
//! reading a chunked body). Limits come from `[http]`.
//!
//! Why a token bucket of our own rather than `tower_governor`: the key is
//! the trusted-proxy address the console's login lockout already uses, each
//! class needs its own limits, and refusals must be the one [`ApiError`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use clubos_config::{Config, IpRange, RouteLimit};

use super::ApiError;

/// Buckets kept before idle (full) ones are dropped; past it even after
/// that, all are dropped (a flood from this many addresses starts afresh).
const MAX_BUCKETS: usize = 100_000;

/// What a route is, for its limits (`[http.<class>]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Webhook,
    Api,
    Upload,
    Login,
    Console,
    Ops,
}

impl Class {
    /// The class of a request for `path`.
    pub fn of(path: &str) -> Class {
        match path {
            "/api/knowledge/upload" | "/knowledge/upload" => Class::Upload,
            "/healthz" | "/readyz" | "/metrics" => Class::Ops,
            // Both verify a password (argon2): the expensive requests.
            "/login" | "/account/password" => Class::Login,
            p if p.starts_with("/webhooks/") => Class::Webhook,
            p if p == "/api" || p.starts_with("/api/") => Class::Api,
            _ => Class::Console,
        }
    }
}

/// The client's address: the last entry of `header` when the TCP `peer` is
/// one of the trusted `proxies`, else the peer. The console's login lockout
/// and the rate limits both count by it.
pub fn client_ip(
    header: Option<&str>,
    proxies: &[IpRange],
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> Option<IpAddr> {
    let (Some(name), Some(p)) = (header, peer) else {
        return peer;
    };
    if !proxies.iter().any(|r| r.contains(p)) {
        return Some(p);
    }
    let forwarded = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
    Some(forwarded.unwrap_or(p))
}

/// Who a bucket belongs to: an IPv4 address, an IPv6 client's /64 (one
/// host usually holds the whole /64), or no address known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    V4(u32),
    V6(u64),
    Unknown,
}

impl Key {
    fn of(ip: Option<IpAddr>) -> Key {
        match ip {
            Some(IpAddr::V4(v4)) => Key::V4(v4.into()),
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Key::V4(v4.into()),
                None => Key::V6((u128::from(v6) >> 64) as u64),
            },
            None => Key::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limits of every class and one token bucket per (class, client).
#[derive(Debug)]
pub struct Limiter {
    limits: HashMap<Class, RouteLimit>,
    header: Option<String>,
    proxies: Vec<IpRange>,
    buckets: Mutex<HashMap<(Class, Key), Bucket>>,
}

impl Limiter {
    pub fn new(config: &Config) -> Limiter {
        let h = &config.http;
        let limits = HashMap::from([
            (Class::Webhook, h.webhook),
            (Class::Api, h.api),
            (Class::Upload, h.upload),
            (Class::Login, h.login),
            (Class::Console, h.console),
            (Class::Ops, h.ops),
        ]);
        Limiter {
            limits,
            header: config.console.client_ip_header.clone(),
            proxies: config.console.trusted_proxies.clone(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, class: Class) -> RouteLimit {
        self.limits[&class]
    }

    /// Spends one of the client's tokens in `class`; `Err(seconds)` until
    /// the next token when there is none.
    fn take(&self, class: Class, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let l = self.limit(class);
        let (rate, burst) = (f64::from(l.requests_per_second), f64::from(l.burst));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let key = (class, Key::of(ip));
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            self.prune(&mut buckets, now);
        }
        let b = buckets.entry(key).or_insert(Bucket { tokens: burst, at: now });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * rate;
        b.tokens = (b.tokens + refill).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Drops the buckets that have refilled (the same as no bucket); all of
    /// them when that is not enough.
    fn prune(&self, buckets: &mut HashMap<(Class, Key), Bucket>, now: Instant) {
        buckets.retain(|(class, _), b| {
            let l = self.limit(*class);
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * f64::from(l.requests_per_second)
                < f64::from(l.burst)
        });
        if buckets.len() >= MAX_BUCKETS {
            tracing::warn!(clients = buckets.len(), "rate-limit table full; starting afresh");
            buckets.clear();
        }
    }
}

/// The middleware: rate limit, then body size (see the module doc).
pub async fn enforce(State(limiter): State<Arc<Limiter>>, req: Request, next: Next) -> Result<Response, ApiError> {
    let class = Class::of(req.uri().path());
    let limit = limiter.limit(class);
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = client_ip(limiter.header.as_deref(), &limiter.proxies, peer, req.headers());
    if let Err(seconds) = limiter.take(class, ip, Instant::now()) {
        tracing::debug!(?class, client = ?ip, "rate limited");
        return Err(ApiError::RateLimited(seconds));
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.body_limit_bytes as u64) {
        return Err(ApiError::TooLarge(Some(limit.body_limit_bytes)));
    }
    let req = req.map(|body| Body::new(http_body_util::Limited::new(body, limit.body_limit_bytes)));
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limiter(extra: &str) -> Limiter {
        let text = format!(
            "{extra}\n[[locations]]\nid = \"x\"\nname = \"X\"\ntimezone = \"America/Halifax\"\n[http.api]\nbody_limit_bytes = 10\nrequests_per_second = 2\nburst = 3\n"
        );
        Limiter::new(&Config::parse(&text, std::path::Path::new("t.toml")).expect("config"))
    }

    #[test]
    fn routes_fall_in_their_classes() {
        assert_eq!(Class::of("/webhooks/openphone"), Class::Webhook);
        assert_eq!(Class::of("/api/threads/7"), Class::Api);
        assert_eq!(Class::of("/api/knowledge/upload"), Class::Upload);
        assert_eq!(Class::of("/knowledge/upload"), Class::Upload);
        assert_eq!(Class::of("/login"), Class::Login);
        assert_eq!(Class::of("/metrics"), Class::Ops);
        assert_eq!(Class::of("/threads/7"), Class::Console);
        assert_eq!(Class::of("/no/such/page"), Class::Console);
    }

    #[test]
    fn a_bucket_empties_then_refills_at_the_rate() {
        let l = limiter("");
        let (a, b) = (Some("192.0.2.1".parse().unwrap()), Some("192.0.2.2".parse().unwrap()));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.take(Class::Api, a, t0), Ok(()));
        }
        assert_eq!(l.take(Class::Api, a, t0), Err(1), "the burst is spent");
        assert_eq!(l.take(Class::Api, b, t0), Ok(()), "another client has its own bucket");
        assert_eq!(l.take(Class::Webhook, a, t0), Ok(()), "another class has its own bucket");
        assert_eq!(l.take(Class::Api, a, t0 + Duration::from_millis(500)), Ok(()), "2/s: one token in 0.5 s");
        assert_eq!(l.take(Class::Api, a, t0 + Duration::from_millis(500)), Err(1));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let l = limiter("");
        let t0 = Instant::now();
        for i in 0..3 {
            let ip: IpAddr = format!("2001:db8:1:2::{i}").parse().unwrap();
            assert_eq!(l.take(Class::Api, Some(ip), t0), Ok(()));
        }
        assert!(l.take(Class::Api, Some("2001:db8:1:2::99".parse().unwrap()), t0).is_err());
        assert!(l.take(Class::Api, Some("2001:db8:1:3::1".parse().unwrap()), t0).is_ok());
    }

    #[test]
    fn the_forwarded_address_counts_only_from_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "203.0.113.5, 198.51.100.7".parse().unwrap());
        let proxies = ["10.0.0.0/8".parse().unwrap()];
        let proxy = Some("10.1.1.1".parse().unwrap());
        let stranger = Some("192.0.2.9".parse().unwrap());
        let via = |peer| client_ip(Some("x-forwarded-for"), &proxies, peer, &h);
        assert_eq!(via(proxy), Some("198.51.100.7".parse().unwrap()), "the entry the proxy appended");
        assert_eq!(via(stranger), stranger, "anyone else may not choose their address");
        assert_eq!(client_ip(None, &proxies, proxy, &h), proxy, "no header configured");
    }
}
