//! A shapefile written by GDAL (`ogr2ogr -f "ESRI Shapefile"`, Debian package gdal-bin,
//! which scripts/ensure-gdal.sh installs) from more houses than two of the reader's parts
//! reads back house for house and in order: with its `.cpg`, which declares the .dbf's
//! encoding so that the .dbf is read as it goes, and without, when the encoding is found
//! in the .dbf's bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use riskmap_core::io::{FileOptions, LoadOptions, load_file};
use riskmap_core::model::House;

use common::{gdal, s};

#[test]
fn a_shapefile_of_many_parts_reads_as_the_geojson_gdal_made_it_from() {
    let n = 2 * 16_384 + 5;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("houses.geojson");
    // Column names short enough for a .dbf.
    let text = common::houses_geojson_with(n, |k| {
        format!(
            "\"编号\":\"F-{k}\",\"地址\":\"第{k}号\",\"层数\":{}",
            1 + k % 5
        )
    });
    std::fs::write(&json, text).expect("written");
    let shp = dir.path().join("houses.shp");
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            "-lco",
            "ENCODING=UTF-8",
            s(&shp),
            s(&json),
        ],
    );
    let opts = (FileOptions::default(), LoadOptions::default());
    let a = load_file::<House>(&json, &opts.0, &opts.1).expect("GeoJSON read");
    let with_cpg = load_file::<House>(&shp, &opts.0, &opts.1).expect("shapefile read");
    std::fs::remove_file(dir.path().join("houses.cpg")).expect("the .cpg GDAL wrote");
    let found = load_file::<House>(&shp, &opts.0, &opts.1).expect("shapefile read");
    assert_eq!(a.features.len(), n);
    for (b, encoding) in [(&with_cpg, "UTF-8 (.cpg)"), (&found, "UTF-8 (valid UTF-8)")] {
        let file = &b.report.files[0];
        assert_eq!(file.encoding.as_deref(), Some(encoding));
        assert_eq!(file.features_read, n as u64);
        assert_eq!(b.features.len(), n);
        for (k, (x, y)) in a.features.iter().zip(&b.features).enumerate() {
            assert_eq!(y.id, format!("F-{k}"));
            assert_eq!(y.source.position(), k as u64);
            assert_eq!(
                (&x.id, &x.geometry, &x.props.address, x.props.floors),
                (&y.id, &y.geometry, &y.props.address, y.props.floors)
            );
        }
    }
}

/// Runs `ogr2ogr` with `args`; it must succeed, and may only warn that it cut a column's
/// name to the 10 bytes a .dbf keeps ("Normalized/laundered field name").
fn ogr2ogr_cutting_names(args: &[&str]) -> String {
    let out = std::process::Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs (install gdal-bin)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ogr2ogr {args:?}: {stderr}");
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        assert!(line.contains("Normalized/laundered field name"), "{line}");
    }
    stderr
}

/// Ids and the named properties (as serde sees them; all when `fields` is empty) of a
/// loaded file, in order.
fn props_of<P: serde::Serialize>(
    out: &riskmap_core::io::LoadedFile<P>,
    fields: &[&str],
) -> Vec<(String, serde_json::Value)> {
    out.features
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f.props).unwrap();
            if let (false, Some(m)) = (fields.is_empty(), v.as_object_mut()) {
                m.retain(|k, _| fields.contains(&k.as_str()));
            }
            (f.id.clone(), v)
        })
        .collect()
}

/// The first feature where two files read differently, if any.
fn first_difference(
    a: &[(String, serde_json::Value)],
    b: &[(String, serde_json::Value)],
) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} features against {}", a.len(), b.len()));
    }
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map(|(x, y)| format!("{x:?} against {y:?}"))
}

/// GDAL cuts `design_pressure_mpa` to `design_pre` (and `pressure_class`,
/// `diameter_mm`) in a shapefile: each is read as the field it begins, and said so; the
/// pipes keep their pressures, and so their clearances.
#[test]
fn column_names_gdal_cut_to_ten_bytes_are_read_as_their_fields() {
    use riskmap_core::io::{IssueCode, Severity};
    use riskmap_core::model::GasPipeline;
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = (FileOptions::default(), LoadOptions::default());
    let json = common::demo_dir().join("gas_pipelines.geojson");
    let shp = dir.path().join("gas_pipelines.shp");
    let cut = [
        ("design_pre", "design_pressure_mpa"),
        ("diameter_m", "diameter_mm"),
        ("pressure_c", "pressure_class"),
    ];
    let gdal_said = ogr2ogr_cutting_names(&["-lco", "ENCODING=UTF-8", s(&shp), s(&json)]);
    for (short, long) in &cut {
        assert!(
            gdal_said.contains(&format!("'{long}' to '{short}'")),
            "{gdal_said}"
        );
    }
    let a = load_file::<GasPipeline>(&json, &opts.0, &opts.1).expect("GeoJSON read");
    let b = load_file::<GasPipeline>(&shp, &opts.0, &opts.1).expect("shapefile read");
    assert!(a.features.len() > 10);
    assert_eq!(
        first_difference(&props_of(&a, &[]), &props_of(&b, &[])),
        None
    );
    let said: Vec<(String, String)> = b
        .report
        .with_code(IssueCode::CutColumnName)
        .map(|i| {
            assert_eq!(i.severity, Severity::Warning);
            (i.field.clone().unwrap_or_default(), i.message.clone())
        })
        .collect();
    assert_eq!(said.len(), cut.len(), "{said:?}");
    for (short, long) in &cut {
        assert!(
            said.iter()
                .any(|(f, m)| f == long && m.contains(&format!("{short:?}"))),
            "{short} → {long} not said: {said:?}"
        );
    }
}

/// A .cpg that names the wrong encoding — UTF-8 on a GBK .dbf (copied from another
/// layer), GBK on a UTF-8 one — does not turn the Chinese names and values into
/// mojibake: the bytes decide, and the report says the .cpg is wrong.
#[test]
fn a_cpg_naming_the_wrong_encoding_is_overruled_by_the_bytes() {
    use riskmap_core::io::IssueCode;
    use riskmap_core::model::GasPipeline;
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = (FileOptions::default(), LoadOptions::default());
    let json = common::demo_dir().join("gas_pipelines.geojson");
    let a = load_file::<GasPipeline>(&json, &opts.0, &opts.1).expect("GeoJSON read");
    let a = props_of(&a, &[]);
    // Chinese column names of at most 10 bytes in GBK, Chinese values.
    let sql = "SELECT id AS \"编号\", name AS \"管道名称\", design_pressure_mpa AS \"设计压力\", \
               pressure_class AS \"压力级制\", diameter_mm AS \"管径\", material AS \"材质\", year_laid AS \"敷设年份\" \
               FROM gas_pipelines";
    for (written, cpg, read) in [("GBK", "UTF-8", "GBK"), ("UTF-8", "GBK", "UTF-8")] {
        let shp = dir.path().join(format!("pipes-{written}.shp"));
        let mut args = vec!["-lco".to_string(), format!("ENCODING={written}")];
        if written == "GBK" {
            args.extend(["-sql".to_string(), sql.to_string()]);
        }
        args.extend([s(&shp).to_string(), s(&json).to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ogr2ogr_cutting_names(&args);
        let right = load_file::<GasPipeline>(&shp, &opts.0, &opts.1).expect("read");
        assert_eq!(
            first_difference(&props_of(&right, &[]), &a),
            None,
            "{written} with its own .cpg"
        );
        std::fs::write(shp.with_extension("cpg"), cpg).expect("the wrong .cpg");
        let b = load_file::<GasPipeline>(&shp, &opts.0, &opts.1).expect("read");
        assert_eq!(
            first_difference(&props_of(&b, &[]), &a),
            None,
            "{written} under a .cpg of {cpg}"
        );
        let file = &b.report.files[0];
        assert!(
            file.encoding.as_deref().unwrap_or("").starts_with(read),
            "{:?}",
            file.encoding
        );
        let said: Vec<&str> = b
            .report
            .with_code(IssueCode::CpgMismatch)
            .map(|i| i.message.as_str())
            .collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains(&format!("{cpg:?}")), "{}", said[0]);
    }
}
