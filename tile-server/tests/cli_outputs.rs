//! Where the commands write: an output file is checked before anything is loaded, and
//! never written over a file it is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

/// A report or an archive is written only to a file named as one, before anything is
/// loaded: `--out` naming a ledger of the folder is refused and the ledger left as it
/// was; a missing folder is made.
#[test]
fn an_output_file_is_checked_before_loading_and_its_folder_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let ledger = data.join("houses.csv");
    let before = std::fs::read(&ledger).unwrap();
    for (cmd, out) in [
        ("report", ledger.clone()),
        ("tiles", ledger.clone()),
        ("report", data.clone()),
    ] {
        let o = common::riskmap(&[cmd, data.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd} {}: {err}", out.display());
        assert!(err.contains(out.to_str().unwrap()), "{err}");
        // Refused before the folder was read.
        assert!(!err.contains("loading"), "{err}");
    }
    assert_eq!(std::fs::read(&ledger).unwrap(), before);
    let report = dir.path().join("审查材料/临江镇/报告.HTML");
    common::ok(&[
        "report",
        data.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
}
