//! Reverse proxies: the address clients reach the server at, for the URLs in TileJSON,
//! styles and the catalog.
//!
//! A reverse proxy (often terminating TLS on a government intranet) says which host and
//! scheme the client used in `X-Forwarded-Host` and `X-Forwarded-Proto`, and the path it
//! serves the map under (`/riskmap/` on a host of several applications) in
//! `X-Forwarded-Prefix`. Anyone can send those headers, so they are believed only from
//! the proxies the configuration names (`trusted_proxies`); from any other peer the URLs
//! follow the `Host` header. The viewer asks for everything by relative URLs, so that it
//! works under any prefix.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use serde::Deserialize;

/// An address or a CIDR range of trusted reverse proxies (`"10.0.0.7"`, `"10.1.0.0/16"`,
/// `"::1"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TrustedProxy(pub IpNet);

impl TryFrom<String> for TrustedProxy {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let t = s.trim();
        t.parse::<IpNet>()
            .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
            .map(TrustedProxy)
            .map_err(|_| {
                format!("trusted_proxies: {s:?} is neither an IP address nor a CIDR range")
            })
    }
}

/// The peer's address, when the server knows it (the socket's; absent in tests that
/// call the router directly).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// `scheme://host[/prefix]` the client used: the forwarded host, scheme and path prefix
/// when the peer is a trusted proxy, else the `Host` header (and `http`).
pub fn origin(headers: &HeaderMap, peer: Peer, trusted: &[TrustedProxy]) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let from_proxy = peer
        .0
        .is_some_and(|ip| trusted.iter().any(|t| t.0.contains(&ip)));
    let forwarded = |name: &str| if from_proxy { get(name) } else { None };
    let host = forwarded("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or("127.0.0.1:8080");
    let proto = match forwarded("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let prefix = forwarded("x-forwarded-prefix")
        .and_then(path_prefix)
        .unwrap_or_default();
    format!("{proto}://{host}{prefix}")
}

/// A path prefix as a proxy sends it (`/riskmap`, `/riskmap/`, `/gis/risk`), without its
/// trailing slash; none for `/`, and none for anything that is not a plain path (a
/// scheme, a query, `..`, characters a URL would have to escape).
fn path_prefix(p: &str) -> Option<String> {
    let p = p.trim().trim_end_matches('/');
    let plain = p.starts_with('/')
        && !p.contains("//")
        && p.split('/').all(|seg| seg != ".." && seg != ".")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    (plain && !p.is_empty()).then(|| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            "10.0.0.5:8080".parse().unwrap_or_else(|_| unreachable!()),
        );
        h.insert(
            "x-forwarded-host",
            "evil.example".parse().unwrap_or_else(|_| unreachable!()),
        );
        h.insert(
            "x-forwarded-proto",
            "https".parse().unwrap_or_else(|_| unreachable!()),
        );
        h
    }

    fn proxies(v: &[&str]) -> Vec<TrustedProxy> {
        v.iter()
            .filter_map(|s| TrustedProxy::try_from((*s).to_string()).ok())
            .collect()
    }

    #[test]
    fn forwarded_headers_only_from_trusted_proxies() {
        let h = headers();
        let proxy = Peer(Some(IpAddr::from([10, 1, 2, 3])));
        let other = Peer(Some(IpAddr::from([192, 0, 2, 9])));
        // No proxy configured: the Host header, whoever sends the forwarded ones.
        assert_eq!(origin(&h, proxy, &[]), "http://10.0.0.5:8080");
        let t = proxies(&["10.1.0.0/16", "::1"]);
        assert_eq!(t.len(), 2);
        assert_eq!(origin(&h, proxy, &t), "https://evil.example");
        assert_eq!(origin(&h, other, &t), "http://10.0.0.5:8080");
        assert_eq!(origin(&h, Peer(None), &t), "http://10.0.0.5:8080");
        // A single address is a /32.
        let one = proxies(&["10.1.2.3"]);
        assert_eq!(origin(&h, proxy, &one), "https://evil.example");
        assert_eq!(
            origin(&h, Peer(Some(IpAddr::from([10, 1, 2, 4]))), &one),
            "http://10.0.0.5:8080"
        );
    }

    /// A map served under a path of the proxy's host (`/riskmap/`): the URLs the server
    /// writes carry it, when a trusted proxy says so and it is a plain path.
    #[test]
    fn a_trusted_proxys_path_prefix_goes_into_the_urls() {
        let t = proxies(&["10.1.0.0/16"]);
        let proxy = Peer(Some(IpAddr::from([10, 1, 2, 3])));
        let with = |prefix: &str| {
            let mut h = headers();
            h.insert(
                "x-forwarded-prefix",
                prefix.parse().unwrap_or_else(|_| unreachable!()),
            );
            h
        };
        assert_eq!(
            origin(&with("/riskmap"), proxy, &t),
            "https://evil.example/riskmap"
        );
        assert_eq!(
            origin(&with("/gis/risk-map/"), proxy, &t),
            "https://evil.example/gis/risk-map"
        );
        for not_a_prefix in [
            "/",
            "riskmap",
            "/a/../b",
            "//evil.example",
            "/a?b",
            "/a%20b",
        ] {
            let h = with(not_a_prefix);
            assert_eq!(
                origin(&h, proxy, &t),
                "https://evil.example",
                "{not_a_prefix}"
            );
        }
        // Not from a trusted proxy: no prefix either.
        let other = Peer(Some(IpAddr::from([192, 0, 2, 9])));
        assert_eq!(origin(&with("/riskmap"), other, &t), "http://10.0.0.5:8080");
    }

    #[test]
    fn a_bad_proxy_entry_is_refused_with_its_text() {
        let e = TrustedProxy::try_from("10.0.0.0/33".to_string()).err();
        assert!(e.is_some_and(|m| m.contains("10.0.0.0/33")));
    }
}
