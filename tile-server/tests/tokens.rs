//! Bearer tokens with roles on the HTTP application: 401 without a known token, 403 for a
//! role too low, the reload for an admin; the log names the token's holder and never
//! holds the token, and no response echoes it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;

mod common;
use common::*;

const ADMIN: &str = "admin-secret-2f9c";
const EDITOR: &str = "editor-secret-77ab";
const LEGACY: &str = "legacy-secret-90d1";

/// A log written into memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

fn reload(auth: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().method("POST").uri("/admin/reload");
    if let Some(a) = auth {
        r = r.header(header::AUTHORIZATION, a);
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn roles_are_enforced_and_tokens_never_logged_or_echoed() {
    // The hashes are sha256sum's of ADMIN and EDITOR.
    let (config, warnings) = ServerConfig::from_toml(
        r#"
[[tokens]]
name = "li-si"
role = "admin"
sha256 = "8520e392f85c50cf0ca04218e6e27b296afb0a864db4f0c9b59a02f4b9924d45"

[[tokens]]
name = "zhang-san"
role = "editor"
sha256 = "76a8e4a4a5607f27edd4d636c3f72bcdadc6583a23b41ab93159802d3e02f66b"
"#,
        "server.toml",
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let app = router(state_with(config, Some(LEGACY)));
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut bodies = Vec::new();
    for (auth, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (
            Some("Bearer not-a-token".to_string()),
            StatusCode::UNAUTHORIZED,
        ),
        (Some(format!("Bearer {EDITOR}")), StatusCode::FORBIDDEN),
        (Some(format!("Bearer {ADMIN}")), StatusCode::OK),
        // The plain admin_token still reloads.
        (Some(format!("Bearer {LEGACY}")), StatusCode::OK),
    ] {
        let (status, _, body) = send(&app, reload(auth.as_deref())).await;
        assert_eq!(status, want, "{auth:?}: {}", String::from_utf8_lossy(&body));
        bodies.push(String::from_utf8_lossy(&body).into_owned());
    }
    assert!(
        bodies[2].contains("zhang-san") && bodies[2].contains("admin"),
        "{}",
        bodies[2]
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("li-si"), "{text}");
    assert!(text.contains("zhang-san"), "{text}");
    assert!(text.contains("request refused: unknown token"), "{text}");
    for secret in [ADMIN, EDITOR, LEGACY, "not-a-token"] {
        assert!(!text.contains(secret), "the log holds a token: {text}");
        for b in &bodies {
            assert!(!b.contains(secret), "a response holds a token: {b}");
        }
    }
}

#[tokio::test]
async fn without_any_token_reload_over_http_is_disabled() {
    let app = router(state_with(ServerConfig::default(), None));
    let (status, _, body) = send(&app, reload(Some("Bearer x"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("riskmap token new"));
}
