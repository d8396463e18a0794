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
