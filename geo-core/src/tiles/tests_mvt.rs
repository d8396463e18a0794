//! Tiles against the `mvt` crate's encoder, an independent writer of the same messages:
//! the same features give the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;

use geo::{Geometry, LineString, Point};

use super::tests::{T, lonlat};
use super::*;

/// The `mvt` crate's geometry of one point.
fn mvt_point(x: i32, y: i32) -> mvt::GeomData {
    mvt::GeomEncoder::new(mvt::GeomType::Point)
        .point(x, y)
        .unwrap()
        .encode()
        .unwrap()
}

/// A property as a feature holds it.
type Prop<'a> = (Cow<'a, str>, PropValue<'a>);

#[test]
fn concatenated_layers_equal_a_multi_layer_mvt_tile() {
    let o = TileOptions::default();
    let p = Geometry::Point(Point(lonlat(T, 25.0, 17.0)));
    let l = Geometry::LineString(LineString::new(vec![
        lonlat(T, 2.0, 2.0),
        lonlat(T, 2.0, 10.0),
    ]));
    let mut b = TileBuilder::new(T, &o).unwrap();
    b.add_layer("p", [TileFeature::borrowed(1, &p).with("name", "a")])
        .unwrap();
    b.add_layer("l", [TileFeature::borrowed(2, &l)]).unwrap();
    let size = b.size();
    let ours = b.into_bytes().unwrap();
    assert_eq!(ours.len(), size);

    let mut tile = mvt::Tile::new(4096);
    let layer = tile.create_layer("p");
    let data = mvt_point(25, 17);
    let mut f = layer.into_feature(data);
    f.set_id(1);
    f.add_tag_string("name", "a");
    tile.add_layer(f.into_layer()).unwrap();
    let layer = tile.create_layer("l");
    let data = mvt::GeomEncoder::new(mvt::GeomType::Linestring)
        .point(2, 2)
        .unwrap()
        .point(2, 10)
        .unwrap()
        .encode()
        .unwrap();
    let mut f = layer.into_feature(data);
    f.set_id(2);
    tile.add_layer(f.into_layer()).unwrap();
    assert_eq!(ours, tile.to_bytes().unwrap());
}

/// Features that borrow one list of properties share its tags, found once: a list is
/// known by where it lies and its length, so a shorter list at the same place (and a list
/// of the same values owned by one feature) is its own. The `mvt` crate, which interns
/// every tag of every feature, writes the same bytes.
#[test]
fn features_sharing_their_properties_equal_an_mvt_layer() {
    let o = TileOptions::default();
    let a: Vec<Prop> = vec![
        ("level".into(), PropValue::String("high".into())),
        ("n".into(), PropValue::UInt(3)),
    ];
    let bl: Vec<Prop> = vec![
        ("level".into(), PropValue::String("low".into())),
        ("n".into(), PropValue::UInt(1)),
    ];
    let own: Vec<Prop> = vec![
        ("level".into(), PropValue::String("low".into())),
        ("name".into(), PropValue::String("x".into())),
    ];
    let pts: Vec<Geometry<f64>> = (0..7)
        .map(|i| Geometry::Point(Point(lonlat(T, 100.0 + 300.0 * f64::from(i), 50.0))))
        .collect();
    let lists: [Cow<[Prop]>; 7] = [
        Cow::Borrowed(&a[..]),
        Cow::Borrowed(&bl[..]),
        Cow::Owned(own.clone()),
        Cow::Borrowed(&a[..]),
        Cow::Borrowed(&a[..1]),
        Cow::Borrowed(&bl[..]),
        Cow::Owned(a.clone()),
    ];
    let feats: Vec<TileFeature> = pts
        .iter()
        .zip(lists.iter())
        .enumerate()
        .map(|(i, (g, p))| TileFeature {
            id: i as u64 + 1,
            geometry: Cow::Borrowed(g),
            properties: p.clone(),
        })
        .collect();
    let mut b = TileBuilder::new(T, &o).unwrap();
    b.add_layer_from("s", &feats).unwrap();
    let ours = b.into_bytes().unwrap();

    let mut tile = mvt::Tile::new(4096);
    let mut layer = tile.create_layer("s");
    let tags: [&[(&str, &str, u64)]; 7] = [
        &[("level", "high", 0), ("n", "", 3)],
        &[("level", "low", 0), ("n", "", 1)],
        &[("level", "low", 0), ("name", "x", 0)],
        &[("level", "high", 0), ("n", "", 3)],
        &[("level", "high", 0)],
        &[("level", "low", 0), ("n", "", 1)],
        &[("level", "high", 0), ("n", "", 3)],
    ];
    for (i, t) in tags.iter().enumerate() {
        let data = mvt_point(100 + 300 * i as i32, 50);
        let mut f = layer.into_feature(data);
        f.set_id(i as u64 + 1);
        for (k, s, n) in t.iter() {
            if s.is_empty() {
                f.add_tag_uint(k, *n);
            } else {
                f.add_tag_string(k, s);
            }
        }
        layer = f.into_layer();
    }
    tile.add_layer(layer).unwrap();
    assert_eq!(ours, tile.to_bytes().unwrap());
}

/// A feature whose message is past 127 bytes (its length takes two bytes), with an id
/// near 2^53 and no properties, beside one of id 0: the lengths worked out before
/// writing are those the `mvt` crate writes.
#[test]
fn a_long_feature_and_a_large_id_equal_an_mvt_layer() {
    // Kept as given: not simplified, no three points in a line.
    let o = TileOptions {
        simplify_tolerance: 0.0,
        ..TileOptions::default()
    };
    let pts: Vec<(i32, i32)> = (0..60)
        .map(|i| (10 + 61 * i, 40 + (i * i * 37) % 3001))
        .collect();
    let line = Geometry::LineString(LineString::new(
        pts.iter()
            .map(|&(x, y)| lonlat(T, f64::from(x), f64::from(y)))
            .collect(),
    ));
    let p = Geometry::Point(Point(lonlat(T, 7.0, 9.0)));
    let big_id = (1u64 << 53) - 1;
    let mut b = TileBuilder::new(T, &o).unwrap();
    b.add_layer(
        "l",
        [
            TileFeature::borrowed(0, &p),
            TileFeature::borrowed(big_id, &line),
        ],
    )
    .unwrap();
    let ours = b.into_bytes().unwrap();

    let mut tile = mvt::Tile::new(4096);
    let layer = tile.create_layer("l");
    let data = mvt_point(7, 9);
    let mut f = layer.into_feature(data);
    f.set_id(0);
    let layer = f.into_layer();
    let mut enc = mvt::GeomEncoder::new(mvt::GeomType::Linestring);
    for &(x, y) in &pts {
        enc = enc.point(x, y).unwrap();
    }
    let mut f = layer.into_feature(enc.encode().unwrap());
    f.set_id(big_id);
    tile.add_layer(f.into_layer()).unwrap();
    let theirs = tile.to_bytes().unwrap();
    assert_eq!(ours, theirs);
    // The line's message is long enough to take a two-byte length.
    assert!(ours.len() > 200, "{}", ours.len());
}
