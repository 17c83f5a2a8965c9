//! `[http]`: direct HTTPS (certificate and key files), and the request body
//! size and rate limits of each class of route; `[console] trusted_proxies`'
//! address ranges ([`IpRange`]).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// PEM certificate chain; with `tls_key_file`, `clubos serve` speaks
    /// HTTPS itself (resolved against the config file's directory).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// `POST /webhooks/openphone`.
    pub webhook: RouteLimit,
    /// `/api/*` except the upload.
    pub api: RouteLimit,
    /// `POST /api/knowledge/upload` and the console's `POST /knowledge/upload`.
    pub upload: RouteLimit,
    /// `/login` (each attempt costs an argon2 hash).
    pub login: RouteLimit,
    /// Every other console page, form and asset, and unknown paths.
    pub console: RouteLimit,
    /// `/healthz`, `/readyz`, `/metrics`.
    pub ops: RouteLimit,
}

/// One route class's limits, per client address (an IPv6 client by its /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteLimit {
    /// Largest request body in bytes; a larger one is answered 413.
    pub body_limit_bytes: usize,
    /// Sustained requests per second per client address (token refill).
    pub requests_per_second: u32,
    /// Requests a client may make at once above the sustained rate
    /// (bucket size); past it, 429 with `Retry-After`.
    pub burst: u32,
}

impl RouteLimit {
    const fn new(body_limit_bytes: usize, requests_per_second: u32, burst: u32) -> Self {
        Self { body_limit_bytes, requests_per_second, burst }
    }
}

const KIB: usize = 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            tls_cert_file: None,
            tls_key_file: None,
            // Why this generous: OpenPhone delivers from a few addresses and
            // `clubos load --url` acknowledges ~7,000/s from one; this bounds
            // a flood from one source at ~3x what an instance can take, it
            // shapes nothing (a bad signature costs one HMAC).
            webhook: RouteLimit::new(64 * KIB, 20_000, 40_000),
            api: RouteLimit::new(64 * KIB, 100, 400),
            // The console's multipart upload carries up to 1 MiB of text
            // (4 MiB of form); the API route keeps its own 1 MiB cap.
            upload: RouteLimit::new(4096 * KIB, 1, 30),
            login: RouteLimit::new(8 * KIB, 1, 20),
            console: RouteLimit::new(64 * KIB, 20, 200),
            ops: RouteLimit::new(KIB, 20, 100),
        }
    }
}

impl HttpConfig {
    /// Each class's name (its TOML key) and limits.
    pub fn classes(&self) -> [(&'static str, RouteLimit); 6] {
        [
            ("webhook", self.webhook),
            ("api", self.api),
            ("upload", self.upload),
            ("login", self.login),
            ("console", self.console),
            ("ops", self.ops),
        ]
    }

    /// Bounds of every limit: `(key, why)` of the first one out of range.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(("http.tls_key_file".into(), "set both tls_cert_file and tls_key_file, or neither".into()));
        }
        for (name, l) in self.classes() {
            if l.body_limit_bytes > 64 * 1024 * KIB {
                return Err((format!("http.{name}.body_limit_bytes"), "must be at most 67108864 (64 MiB)".into()));
            }
            if !(1..=1_000_000).contains(&l.requests_per_second) {
                return Err((format!("http.{name}.requests_per_second"), "must be from 1 to 1000000".into()));
            }
            if !(1..=1_000_000).contains(&l.burst) {
                return Err((format!("http.{name}.burst"), "must be from 1 to 1000000".into()));
            }
        }
        Ok(())
    }
}

/// An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as
    /// its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { bits >> (width - prefix) }
}

impl std::str::FromStr for IpRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("`{s}`: the prefix length must be from 0 to {max}")),
            },
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_contain_what_they_should() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains("10.1.2.3".parse().unwrap()));
        assert!(r.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!r.contains("11.0.0.1".parse().unwrap()));
        let one: IpRange = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("fe80::1".parse().unwrap()));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("example.com".parse::<IpRange>().is_err());
    }

    #[test]
    fn the_defaults_are_within_bounds() {
        assert_eq!(HttpConfig::default().check(), Ok(()));
        let mut h = HttpConfig::default();
        h.api.burst = 0;
        assert_eq!(h.check().unwrap_err().0, "http.api.burst");
        h = HttpConfig { tls_cert_file: Some("c.pem".into()), ..HttpConfig::default() };
        assert_eq!(h.check().unwrap_err().0, "http.tls_key_file");
    }
}
