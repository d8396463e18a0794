//! The loader on a large generated GeoJSON file, timed (ignored: a benchmark, run by hand).

use super::*;

/// Timing of a large file: `cargo test --release -p riskmap-core --lib
/// io::tests_timing::large_geojson -- --ignored --nocapture` (RAYON_NUM_THREADS=1 for one core;
/// RISKMAP_BENCH_FEATURES to change the size, default 1 000 000 small polygons, ~250 MB;
/// RISKMAP_BENCH_FILE to keep the file there and reuse it).
#[test]
#[ignore = "benchmark: writes a 250 MB file; run in release mode"]
fn large_geojson_timing() {
    use std::io::Write;
    let n: usize = std::env::var("RISKMAP_BENCH_FEATURES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = match std::env::var("RISKMAP_BENCH_FILE") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => dir.path().join("houses.geojson"),
    };
    let t = Instant::now();
    if !path.exists() {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        write!(w, "{{\"type\":\"FeatureCollection\",\"features\":[").expect("write");
        let uses = ["自住", "经营", "自住兼经营"];
        let grades = ["A级", "B级", "C级", "D级"];
        for i in 0..n {
            let x = 121.0 + (i % 1000) as f64 * 0.000_5 + 0.123_456;
            let y = 31.7 + (i / 1000) as f64 * 0.000_5;
            let (x1, y1) = (x + 0.000_12, y + 0.000_09);
            // About 250 bytes a feature, as in a district's house census export.
            if i > 0 {
                w.write_all(b",\n").expect("write");
            }
            write!(
                w,
                "{{\"type\":\"Feature\",\"id\":\"H{i}\",\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":\
                 [[[{x:.6},{y:.6}],[{x1:.6},{y:.6}],[{x1:.6},{y1:.6}],[{x:.6},{y1:.6}],[{x:.6},{y:.6}]]]}},\
                 \"properties\":{{\"地址\":\"{i}号\",\"层数\":{},\"用途\":\"{}\",\"鉴定等级\":\"{}\"}}}}",
                1 + i % 5,
                uses[i % 3],
                grades[i % 4],
            )
            .expect("write");
        }
        write!(w, "]}}").expect("write");
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} features, {:.1} MB in {:.2?}",
        size as f64 / 1e6,
        t.elapsed()
    );
    // load_file first, in a fresh process, so that it pays for first-touch memory as a
    // real load does.
    let t = Instant::now();
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("load");
    println!(
        "load_file (read, parse, check, convert, build, dedupe) {:.2?} on {} thread(s); {} issues",
        t.elapsed(),
        rayon::current_num_threads(),
        out.report.issues.len()
    );
    assert_eq!(out.features.len(), n);
    let t = Instant::now();
    let bytes = std::fs::read(&path).expect("read");
    let read = t.elapsed();
    let text = std::str::from_utf8(&bytes).expect("utf8");
    let t = Instant::now();
    let parsed = geojson::parse(text, "houses.geojson").expect("parse");
    let parse = t.elapsed();
    assert_eq!(parsed.features.len(), n);
    drop(parsed);
    println!("of which: read {read:.2?}; parse into raw features {parse:.2?}");
    let t = Instant::now();
    let layer = Layer::new(LayerKind::Houses, out.features);
    println!(
        "R-tree bulk load {:.2?} ({} features)",
        t.elapsed(),
        layer.len()
    );
}
