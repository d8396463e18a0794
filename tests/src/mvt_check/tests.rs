//! The checks the fixtures do not reach, on tiles written by hand here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_varint(out: &mut Vec<u8>, field: u32, v: u64) {
    varint(out, u64::from(field) << 3);
    varint(out, v);
}

fn field_bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    varint(out, (u64::from(field) << 3) | 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn packed(field: u32, values: &[u32], out: &mut Vec<u8>) {
    let mut inner = Vec::new();
    for &v in values {
        varint(&mut inner, u64::from(v));
    }
    field_bytes(out, field, &inner);
}

fn zz(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

/// Commands for polygon rings given as vertex lists (absolute coordinates).
fn rings(rings: &[&[(i32, i32)]]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cur = (0, 0);
    for r in rings {
        out.push(9);
        out.extend([zz(r[0].0 - cur.0), zz(r[0].1 - cur.1)]);
        cur = r[0];
        out.push(2 | ((r.len() as u32 - 1) << 3));
        for p in &r[1..] {
            out.extend([zz(p.0 - cur.0), zz(p.1 - cur.1)]);
            cur = *p;
        }
        out.push(15);
    }
    out
}

struct F {
    id: Option<u64>,
    ty: u64,
    geometry: Vec<u32>,
}

fn tile(features: &[F]) -> Vec<u8> {
    let mut layer = Vec::new();
    field_varint(&mut layer, 15, 2);
    field_bytes(&mut layer, 1, b"t");
    for f in features {
        let mut fb = Vec::new();
        if let Some(id) = f.id {
            field_varint(&mut fb, 1, id);
        }
        field_varint(&mut fb, 3, f.ty);
        packed(4, &f.geometry, &mut fb);
        field_bytes(&mut layer, 2, &fb);
    }
    field_varint(&mut layer, 5, 4096);
    let mut out = Vec::new();
    field_bytes(&mut out, 3, &layer);
    out
}

fn poly(id: u64, r: &[&[(i32, i32)]]) -> F {
    F {
        id: Some(id),
        ty: 3,
        geometry: rings(r),
    }
}

const SQUARE: &[(i32, i32)] = &[(0, 0), (10, 0), (10, 10), (0, 10)];

#[test]
fn valid_polygon_with_hole_decodes() {
    let hole: &[(i32, i32)] = &[(2, 2), (2, 8), (8, 8), (8, 2)];
    let t = decode_riskmap(&tile(&[poly(1, &[SQUARE, hole])]), &RiskmapRules::default()).unwrap();
    let Geometry::Polygons(p) = &t.layers[0].features[0].geometry else {
        panic!()
    };
    assert_eq!(p[0].exterior, vec![[0, 0], [10, 0], [10, 10], [0, 10]]);
    assert_eq!(p[0].interiors.len(), 1);
}

#[test]
fn ring_rules() {
    let check = |r: &[&[(i32, i32)]], rule: Rule| {
        let e = decode(&tile(&[poly(1, r)])).unwrap_err();
        assert!(e.has(rule), "expected {rule:?}, got {e}");
    };
    // Exterior must come first and be positive.
    check(
        &[&[(0, 0), (0, 10), (10, 10), (10, 0)]],
        Rule::FirstRingNotExterior,
    );
    // Closing point repeated before ClosePath.
    check(
        &[&[(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]],
        Rule::RingClosingPointRepeated,
    );
    // Only 2 distinct points (LineTo count 1).
    check(&[&[(0, 0), (10, 0)]], Rule::RingTooShort);
    // Zero area.
    check(&[&[(0, 0), (10, 0), (20, 0)]], Rule::FirstRingNotExterior);
    // Bow-tie with positive area overall.
    check(
        &[&[(0, 0), (20, 0), (20, 10), (10, -5), (0, 10)]],
        Rule::RingSelfIntersection,
    );
    // Self-tangent ring (touches itself at (5, 5)).
    check(
        &[&[(0, 0), (10, 0), (10, 10), (5, 5), (0, 10), (0, 5), (5, 5)]],
        Rule::RingSelfIntersection,
    );
    // Hole outside its exterior.
    check(
        &[SQUARE, &[(20, 20), (20, 28), (28, 28), (28, 20)]],
        Rule::HoleOutsideExterior,
    );
    // Hole crossing its exterior.
    check(
        &[SQUARE, &[(5, 5), (5, 15), (15, 15), (15, 5)]],
        Rule::HoleOutsideExterior,
    );
    // Two overlapping holes.
    check(
        &[
            SQUARE,
            &[(1, 1), (1, 6), (6, 6), (6, 1)],
            &[(4, 4), (4, 9), (9, 9), (9, 4)],
        ],
        Rule::HoleOutsideExterior,
    );
    // A hole touching its exterior at one point is fine.
    let ok = tile(&[poly(1, &[SQUARE, &[(0, 5), (5, 8), (5, 2)]])]);
    decode(&ok).unwrap();
}

#[test]
fn command_rules() {
    let bad = |ty: u64, geometry: Vec<u32>, rule: Rule| {
        let e = decode(&tile(&[F {
            id: Some(1),
            ty,
            geometry,
        }]))
        .unwrap_err();
        assert!(e.has(rule), "expected {rule:?}, got {e}");
    };
    bad(1, vec![17, 2, 2], Rule::Commands); // MoveTo count 2, one pair
    bad(1, vec![1, 2, 2], Rule::Commands); // MoveTo count 0
    bad(1, vec![9, 2, 2, 10, 2, 2], Rule::Commands); // LineTo in a point
    bad(2, vec![9, 2, 2, 2], Rule::Commands); // LineTo count 0
    bad(2, vec![17, 2, 2, 4, 4, 10, 2, 2], Rule::Commands); // MoveTo count 2 in a line
    bad(2, vec![9, 2, 2, 10, 0, 0], Rule::ZeroLengthSegment);
    bad(2, vec![9, 2, 2, 10, 2, 2, 15], Rule::Commands); // ClosePath in a line
    let mut square = rings(&[SQUARE]);
    square.push(0);
    bad(3, square, Rule::Commands); // a parameter after ClosePath
    bad(3, vec![9, 0, 0, 26, 20, 0, 0, 20, 19, 0], Rule::Commands); // not closed
    // ClosePath count 2 (7 | 2 << 3).
    bad(
        3,
        vec![9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 23],
        Rule::Commands,
    );
    bad(4, vec![9, 2, 2], Rule::GeomType);
    bad(1, vec![11, 2, 2], Rule::Commands); // command id 3 does not exist
}

#[test]
fn wire_errors_stop_decoding() {
    let mut t = tile(&[poly(1, &[SQUARE])]);
    t.truncate(t.len() - 3);
    assert!(decode(&t).unwrap_err().has(Rule::Wire));
    // A varint that never ends.
    assert!(
        decode(&[
            0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ])
        .unwrap_err()
        .has(Rule::Wire)
    );
    // Field number 0.
    assert!(decode(&[0x02, 0x00]).unwrap_err().has(Rule::Wire));
    // Group wire type.
    assert!(decode(&[0x1b]).unwrap_err().has(Rule::Wire));
    // Empty input is an empty tile.
    assert_eq!(decode(&[]).unwrap().layers.len(), 0);
}

#[test]
fn riskmap_rules() {
    let rules = RiskmapRules::default();
    let check = |features: &[F], rule: Rule| {
        let t = decode(&tile(features)).unwrap();
        let e = check_riskmap_rules(&t, &rules).unwrap_err();
        assert!(e.has(rule), "expected {rule:?}, got {e}");
    };
    let pts = |id: Option<u64>, g: Vec<u32>| F {
        id,
        ty: 1,
        geometry: g,
    };
    check(&[pts(Some(1), vec![17, 2, 2, 0, 0])], Rule::RepeatedPoint);
    check(&[pts(None, vec![9, 2, 2])], Rule::MissingId);
    check(
        &[pts(Some(1), vec![9, 2, 2]), pts(Some(1), vec![9, 4, 4])],
        Rule::DuplicateId,
    );
    check(
        &[pts(Some(1), vec![9, zz(4161), 2])],
        Rule::CoordinateOutOfRange,
    );
    check(
        &[pts(Some(1), vec![9, zz(-65), 2])],
        Rule::CoordinateOutOfRange,
    );
    check(
        &[F {
            id: Some(1),
            ty: 0,
            geometry: vec![9, 2, 2],
        }],
        Rule::UnknownGeometry,
    );
    check(
        &[F {
            id: Some(1),
            ty: 2,
            geometry: vec![9, 2, 2, 10, 4, 4, 9, 0, 0, 10, 4, 4],
        }],
        Rule::RepeatedPoint,
    );
    // Overlapping parts of a multipolygon.
    check(
        &[poly(1, &[SQUARE, &[(5, 5), (15, 5), (15, 15), (5, 15)]])],
        Rule::OverlappingPolygons,
    );
    // An island inside a hole does not overlap.
    let hole: &[(i32, i32)] = &[(2, 2), (2, 8), (8, 8), (8, 2)];
    let island: &[(i32, i32)] = &[(4, 4), (6, 4), (6, 6), (4, 6)];
    let t = decode(&tile(&[poly(1, &[SQUARE, hole, island])])).unwrap();
    check_riskmap_rules(&t, &rules).unwrap();
    // Boundary values are in range.
    let t = decode(&tile(&[pts(
        Some(1),
        vec![17, zz(-64), zz(-64), zz(4224), zz(4224)],
    )]))
    .unwrap();
    check_riskmap_rules(&t, &rules).unwrap();
}
