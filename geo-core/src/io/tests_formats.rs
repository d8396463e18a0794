//! A build without a binary format's feature refuses such a file by name: the folder's
//! other ledgers load, and the report says which file was left out and what to do.

use super::*;

/// A folder of one house as CSV and a hazard-source file of each binary format.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("houses.csv"),
        "编号,地址,经度,纬度\nH1,临江镇一组,121.1,31.9\n",
    )
    .expect("write");
    // (any bytes: the file is refused by its extension before it is opened)
    std::fs::write(dir.path().join("hazard_sources.parquet"), b"PAR1").expect("write");
    std::fs::write(dir.path().join("enterprises.fgb"), b"fgb\x03fgb\x00").expect("write");
    dir
}

/// The (format, feature) pairs this build was made without.
fn left_out() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    if cfg!(not(feature = "flatgeobuf")) {
        out.push(("enterprises.fgb", "FlatGeobuf", "flatgeobuf"));
    }
    if cfg!(not(feature = "geoparquet")) {
        out.push(("hazard_sources.parquet", "GeoParquet", "geoparquet"));
    }
    out
}

#[test]
fn a_file_of_a_format_left_out_is_refused_by_name_and_the_rest_loads() {
    let dir = folder();
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    assert_eq!(loaded.dataset.houses.len(), 1);
    let refused: Vec<&Issue> = loaded
        .report
        .with_code(IssueCode::UnsupportedFormat)
        .collect();
    let expected = left_out();
    assert_eq!(refused.len(), expected.len(), "{refused:?}");
    for (file, format, feature) in expected {
        let issue = refused
            .iter()
            .find(|i| i.file == file)
            .unwrap_or_else(|| panic!("{file} not refused: {refused:?}"));
        assert_eq!(issue.severity, Severity::Skipped);
        assert!(
            issue.message.contains(format) && issue.message.contains(&format!("`{feature}`")),
            "{}",
            issue.message
        );
        let summary = loaded
            .report
            .files
            .iter()
            .find(|f| f.file == file)
            .expect("summarised");
        assert_eq!(summary.status, FileStatus::Skipped);
    }
}

#[test]
fn a_strict_load_stops_at_a_format_left_out() {
    let dir = folder();
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    match load_dir(dir.path(), &strict) {
        Err(LoadError::FormatNotBuilt { file, feature, .. }) => {
            assert!(
                left_out()
                    .iter()
                    .any(|(f, _, x)| *f == file && *x == feature)
            );
        }
        // With both formats built, the bytes above are broken files of each.
        other if left_out().is_empty() => assert!(
            matches!(
                other,
                Err(LoadError::FlatGeobuf { .. } | LoadError::GeoParquet { .. })
            ),
            "{other:?}"
        ),
        other => panic!("{other:?}"),
    }
}
