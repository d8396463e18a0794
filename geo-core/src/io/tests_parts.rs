//! A GeoJSON file read a part at a time gives what the whole file read at once gives:
//! across parts, with its `crs` member before or after the features, and with a broken
//! feature past the first part.

use super::*;
use crate::model::House;
use geo::{Coord, Geometry};

/// Houses in EPSG:4549 (CGCS2000 / 3-degree Gauss–Krüger CM 120E), enough for two parts.
/// House `REF` is the 10 m square at easting 610,690, northing 3,530,250; the others
/// lie south-west of it. `crs_after` puts the legacy `crs` member after the array;
/// `broken` gives one feature coordinates that are a string.
const N: usize = PART + 2;
const REF: usize = N - 1;

fn gk_houses(crs_after: bool, broken: Option<usize>) -> String {
    gk_houses_n(N, crs_after, broken)
}

fn gk_houses_n(n_features: usize, crs_after: bool, broken: Option<usize>) -> String {
    let crs = r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}}"#;
    let mut s = String::from("{\"type\":\"FeatureCollection\",");
    if !crs_after {
        s += crs;
        s.push(',');
    }
    s += "\"features\":[\n";
    for k in 0..n_features {
        let (e, n) = if k == REF {
            (610_690.0, 3_530_250.0)
        } else {
            (
                600_000.0 + (k % 500) as f64 * 20.0,
                3_500_000.0 + (k / 500) as f64 * 20.0,
            )
        };
        let coords = if broken == Some(k) {
            "\"x\"".to_string()
        } else {
            format!(
                "[[[{e},{n}],[{},{n}],[{},{}],[{e},{}],[{e},{n}]]]",
                e + 10.0,
                e + 10.0,
                n + 10.0,
                n + 10.0
            )
        };
        if k > 0 {
            s.push_str(",\n");
        }
        s += &format!(
            "{{\"type\":\"Feature\",\"id\":\"H-{k}\",\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{coords}}},\"properties\":{{\"地址\":\"第{k}号\"}}}}"
        );
    }
    s += "\n]";
    if crs_after {
        s.push(',');
        s += crs;
    }
    s.push('}');
    s
}

fn load(text: &str) -> LoadedFile<House> {
    load_bytes(text.as_bytes())
}

fn load_bytes(bytes: &[u8]) -> LoadedFile<House> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    std::fs::write(&path, bytes).expect("write");
    load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads")
}

#[test]
fn a_crs_member_after_the_features_is_obeyed_across_parts() {
    let before = load(&gk_houses(false, None));
    let after = load(&gk_houses(true, None));
    for out in [&before, &after] {
        assert_eq!(out.features.len(), N);
        assert_eq!(out.report.files[0].features_read, N as u64);
        assert!(
            out.report.files[0]
                .crs
                .as_deref()
                .is_some_and(|c| c.contains("4549") && c.ends_with("(GeoJSON crs member)")),
            "{:?}",
            out.report.files[0].crs
        );
    }
    // Reference: PROJ 9.1, cs2cs -f %.10f EPSG:4549 EPSG:4490 (northing easting in):
    //   3530250 610690 → 31.8899812005 121.1699766276
    //   3530260 610700 → 31.8900703924 121.1700834475
    let h = &after.features[REF];
    assert_eq!(h.id, format!("H-{REF}"));
    let Geometry::Polygon(p) = &h.geometry else {
        panic!("{:?}", h.geometry);
    };
    for (x, y) in [
        (121.169_976_627_6, 31.889_981_200_5),
        (121.170_083_447_5, 31.890_070_392_4),
    ] {
        assert!(
            p.exterior()
                .0
                .iter()
                .any(|c: &Coord<f64>| (c.x - x).abs() < 2e-9 && (c.y - y).abs() < 2e-9),
            "({x}, {y}) not in {p:?}"
        );
    }
    // Every house the same to the bit, wherever the member stood.
    for (a, b) in before.features.iter().zip(&after.features) {
        assert_eq!((&a.id, &a.geometry), (&b.id, &b.geometry));
    }
}

#[test]
fn a_broken_feature_past_the_first_part_costs_itself_only() {
    let bad = PART;
    let out = load(&gk_houses(false, Some(bad)));
    assert_eq!(out.features.len(), N - 1);
    assert_eq!(out.report.files[0].features_read, N as u64);
    let broken: Vec<Option<Position>> = out
        .report
        .with_code(IssueCode::BrokenFeature)
        .map(|i| i.position)
        .collect();
    assert_eq!(broken, vec![Some(Position::Feature(bad as u64))]);
    assert!(out.features.iter().all(|f| f.id != format!("H-{bad}")));
    assert_eq!(out.features[REF - 1].id, format!("H-{REF}"));
}

#[test]
fn an_unknown_crs_member_is_the_error_told_whatever_part_reads_it() {
    // The member's system is chosen when the first part reaches the features' pass; the
    // error is that choice's, not the reader's being stopped by it. Four parts, so that
    // the reader is still sending when the pass stops.
    let text = gk_houses_n(3 * PART + 1, false, None).replacen(
        "urn:ogc:def:crs:EPSG::4549",
        "EPSG:999999",
        1,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    std::fs::write(&path, text).expect("write");
    let out = load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    assert!(out.features.is_empty());
    assert_eq!(out.report.files[0].status, FileStatus::Skipped);
    let told: Vec<&str> = out
        .report
        .with_code(IssueCode::UnknownCrs)
        .map(|i| i.message.as_str())
        .collect();
    assert_eq!(told.len(), 1, "{:?}", out.report.issues);
    assert!(
        told[0].contains("EPSG:999999") && told[0].contains("GeoJSON crs member"),
        "{}",
        told[0]
    );
}

#[test]
fn a_file_read_in_blocks_gives_what_its_whole_text_gives() {
    // The plain file is read from disk a part at a time without its whole text, with or
    // without a UTF-8 byte-order mark in front; in UTF-16 (not the plain case) the same
    // features are read from the whole text.
    let text = gk_houses(false, None);
    let streamed = load(&text);
    let after_bom = load(&format!("\u{feff}{text}"));
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let whole = load_bytes(&utf16);
    for (out, encoding) in [
        (&streamed, "UTF-8 (valid UTF-8)"),
        (&after_bom, "UTF-8 (BOM)"),
        (&whole, "UTF-16LE (BOM)"),
    ] {
        assert_eq!(out.report.files[0].encoding.as_deref(), Some(encoding));
        assert_eq!(out.features.len(), N, "{encoding}");
        assert_eq!(out.report.files[0].features_read, N as u64, "{encoding}");
    }
    for other in [&after_bom, &whole] {
        for (a, b) in streamed.features.iter().zip(&other.features) {
            assert_eq!(
                (&a.id, &a.geometry, &a.props.address, &a.source.position()),
                (&b.id, &b.geometry, &b.props.address, &b.source.position())
            );
        }
    }
    assert_eq!(&*streamed.features[REF].props.address, format!("第{REF}号"));
}

#[test]
fn gbk_after_a_utf8_byte_order_mark_is_read_whole_as_gbk() {
    // A converter's slip: GBK text behind a UTF-8 byte-order mark. The part reader gives
    // it up at the first bytes that are not UTF-8, and the whole-file reader finds GBK.
    let text = gk_houses_n(3, false, None);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let out = load_bytes(&[&b"\xEF\xBB\xBF"[..], &gbk].concat());
    let encoding = out.report.files[0].encoding.clone().unwrap_or_default();
    assert!(
        encoding.starts_with("GBK") && encoding.contains("byte-order mark"),
        "{encoding}"
    );
    assert_eq!(out.features.len(), 3);
    assert_eq!(&*out.features[2].props.address, "第2号");
}
