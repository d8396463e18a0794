//! Reverse proxies: the address clients reach the server at, for the URLs in TileJSON,
//! styles and the catalog.
//!
//! A reverse proxy (often terminating TLS on a government intranet) says which host and
//! scheme the client used in `X-Forwarded-Host` and `X-Forwarded-Proto`. Anyone can send
//! those headers, so they are believed only from the proxies the configuration names
//! (`trusted_proxies`); from any other peer the URLs follow the `Host` header.

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

/// `scheme://host` the client used: the forwarded host and scheme when the peer is a
/// trusted proxy, else the `Host` header (and `http`).
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
    format!("{proto}://{host}")
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

    #[test]
    fn a_bad_proxy_entry_is_refused_with_its_text() {
        let e = TrustedProxy::try_from("10.0.0.0/33".to_string()).err();
        assert!(e.is_some_and(|m| m.contains("10.0.0.0/33")));
    }
}
