//! What a bad server configuration gets from the `riskmap` binary: one message naming
//! the file, the key and what the key takes, and the server not started.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::path::Path;
use std::process::Command;

#[test]
fn a_gzip_level_out_of_range_is_refused_with_its_range_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    for (value, shown) in [("-1", "not -1"), ("1.5", "not 1.5"), ("13", "not 13")] {
        let cfg = tmp.path().join("server.toml");
        std::fs::write(&cfg, format!("tile_gzip_level = {value}\n")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_riskmap"))
            .arg("serve")
            .arg(&data)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{value}: the server must not start");
        let err = String::from_utf8_lossy(&out.stderr);
        let range = "a gzip level from 0 (stored) through 1 (fastest) to 12 (smallest)";
        assert!(
            err.contains("server.toml") && err.contains("tile_gzip_level"),
            "{value}: {err}"
        );
        assert!(err.contains(shown), "{value}: {err}");
        // Said once: the cause the message already quotes is not printed again.
        assert_eq!(err.matches(range).count(), 1, "{value}: {err}");
    }
}
